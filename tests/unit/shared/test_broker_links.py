"""A broker outage in the logs: aiokafka's repeated connection errors become DEBUG, the loss and the recovery of
each node are logged once at WARNING, and the seconds add up in radar_broker_unreachable_seconds_total."""

import logging
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from radar_shared.logging import AIOKAFKA_OUTAGE_LOGGERS, BrokerLinks, watch_broker_links


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def links() -> Iterator[tuple[BrokerLinks, Clock]]:
    clock = Clock()
    links = BrokerLinks(clock)
    levels = {name: logging.getLogger(name).level for name in ("aiokafka", "aiokafka.conn", "aiokafka.consumer", "aiokafka.producer")}
    watch_broker_links(links)
    yield links, clock
    for name in AIOKAFKA_OUTAGE_LOGGERS:
        logging.getLogger(name).removeFilter(links)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


def test_an_outage_is_two_warnings_with_the_node_and_its_duration_and_no_error(links: tuple[BrokerLinks, Clock], caplog: pytest.LogCaptureFixture) -> None:
    filt, clock = links
    client, fetcher = logging.getLogger("aiokafka"), logging.getLogger("aiokafka.consumer.fetcher")
    caplog.set_level(logging.INFO)
    for _ in range(40):  # aiokafka's retries while broker 1 is away
        client.error("Unable connect to node with id %s: %s", 1, OSError("Connect call failed ('127.0.0.1', 9092)"))
        client.error("Unable to update metadata from %s", [1])
        fetcher.error("Failed fetch messages from %s: %s", 1, "NodeNotReadyError")
        clock.now += 0.5
    assert lines(caplog, logging.ERROR) == []
    assert lines(caplog, logging.WARNING) == ["Kafka broker 1 unreachable; aiokafka's retries are logged at DEBUG"]
    assert filt.unreachable_seconds() == {"1": 20.0}, "an ongoing outage counts"
    client.debug("Sending metadata request %s to node %s", "MetadataRequest_v0(topics=[])", 1)
    client.debug("Sending metadata request %s to node %s", "MetadataRequest_v0(topics=[])", 1)
    assert lines(caplog, logging.WARNING)[1:] == ["Kafka broker 1 reachable again after 20.0 s"]
    assert [r.node for r in caplog.records if r.name == "radar.kafka"] == ["1", "1"]
    assert lines(caplog, logging.DEBUG) == [], "aiokafka's DEBUG lines, wanted only for recoveries, stay out"
    clock.now += 100
    registry = CollectorRegistry()
    registry.register(filt)
    assert registry.get_sample_value("radar_broker_unreachable_seconds_total", {"node": "1"}) == 20.0, "a closed outage stops counting"


def test_each_node_and_bootstrap_address_has_its_own_state(links: tuple[BrokerLinks, Clock], caplog: pytest.LogCaptureFixture) -> None:
    filt, clock = links
    client = logging.getLogger("aiokafka")
    caplog.set_level(logging.INFO)
    client.error('Unable connect to "%s:%s": %s', "kafka-0", 9092, OSError("refused"))
    client.error("Unable connect to node with id %s: %s", 2, OSError("refused"))
    client.error("Unable connect to node with id %s: %s", 2, OSError("refused"))
    clock.now += 3
    client.debug("Received cluster metadata: %s", "ClusterMetadata(brokers: 2)")
    assert lines(caplog, logging.WARNING) == [
        "Kafka broker kafka-0:9092 unreachable; aiokafka's retries are logged at DEBUG",
        "Kafka broker 2 unreachable; aiokafka's retries are logged at DEBUG",
        "Kafka broker kafka-0:9092 reachable again after 3.0 s",
    ]
    assert filt.unreachable_seconds() == {"kafka-0:9092": 3.0, "2": 3.0}


def test_aiokafka_errors_that_are_not_an_outage_stay_errors(links: tuple[BrokerLinks, Clock], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("aiokafka.consumer.group_coordinator").error("Attempt to join group failed due to fatal error: %s", "GroupAuthorizationFailedError")
    assert lines(caplog, logging.ERROR) == ["Attempt to join group failed due to fatal error: GroupAuthorizationFailedError"]


def test_a_connection_attempt_that_does_not_fail_is_the_recovery(links: tuple[BrokerLinks, Clock], caplog: pytest.LogCaptureFixture) -> None:
    filt, clock = links
    client = logging.getLogger("aiokafka")
    caplog.set_level(logging.INFO)
    client.error("Unable connect to node with id %s: %s", 1, OSError("refused"))
    clock.now += 5
    client.debug("Initiating connection to node %s at %s:%s", 1, "127.0.0.1", 9092)
    client.error("Unable connect to node with id %s: %s", 1, OSError("refused"))  # that attempt failed
    clock.now += 5
    filt.settle()
    assert len(lines(caplog, logging.WARNING)) == 1, "still down"
    client.debug("Initiating connection to node %s at %s:%s", 1, "127.0.0.1", 9092)
    clock.now += 1
    filt.settle()
    assert len(lines(caplog, logging.WARNING)) == 1, "an attempt is given time to fail"
    clock.now += 5
    filt.settle()
    assert lines(caplog, logging.WARNING)[1:] == ["Kafka broker 1 reachable again after 10.0 s"], "down from the first failure to the attempt that connected"
    assert filt.unreachable_seconds() == {"1": 10.0}
