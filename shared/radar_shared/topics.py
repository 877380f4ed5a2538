"""Kafka topic names. One constant per topic; dead-letter topics are `<topic>.dlq`."""

ARTICLES_DISCOVERED = "articles.discovered.v1"
ARTICLES_CLASSIFIED = "articles.classified.v1"
ALERTS_DELIVERED = "alerts.delivered.v1"
ALERTS_FAILED = "alerts.failed.v1"


def dlq(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return f"{topic}.dlq"


# Topics that a service consumes get a dead-letter topic.
CONSUMED = (ARTICLES_DISCOVERED, ARTICLES_CLASSIFIED)
ALL_TOPICS = (
    ARTICLES_DISCOVERED,
    ARTICLES_CLASSIFIED,
    ALERTS_DELIVERED,
    ALERTS_FAILED,
    *(dlq(t) for t in CONSUMED),
)
