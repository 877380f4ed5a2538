"""What a service published, seen by test subscribers on its (in-memory) broker: its events on one topic, and the
records it dead-lettered from the topic it reads."""

from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel

from radar_shared.topics import dlq


@dataclass
class Observed:
    events: list[Any] = field(default_factory=list)  # the events published to the topic, as models
    dead: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)  # (body, headers) of the dead-lettered records


def observe(broker: KafkaBroker, topic: str, schema: type[BaseModel], source: str) -> Observed:
    """Subscribe to `topic` and to the dead-letter topic of `source` (before the broker starts)."""
    seen = Observed()

    @broker.subscriber(topic, group_id="test-observer")
    async def on_event(body: Any, message: KafkaMessage) -> None:
        seen.events.append(schema.model_validate_json(message.body))

    @broker.subscriber(dlq(source), group_id="test-observer")
    async def on_dead(body: Any, message: KafkaMessage) -> None:
        seen.dead.append((message.body, message.headers))

    return seen


def handler_mock(broker: KafkaBroker, topic: str) -> Any:
    """The mock of the service's own handler: the one subscriber to `topic` (under a TestKafkaBroker)."""
    [subscriber] = [s for s in broker.subscribers if getattr(s, "topic_names", None) == [topic]]
    return subscriber.calls[0].handler.mock
