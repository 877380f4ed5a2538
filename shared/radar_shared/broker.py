"""The broker factory: idempotent producer with acks=all, at-least-once consumers, dead letters and metrics.

Consumers acknowledge (commit) only after the handler returned, i.e. after its effects are durable.
A handler error is retried in place (the offset is not committed, the message is read again) with a
growing pause; a message that cannot be decoded or validated, or that keeps failing, goes to
`<topic>.dlq` with the error in its headers, and the partition moves on.
"""

import asyncio
import json
import logging
from collections import OrderedDict
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.middlewares import BaseMiddleware
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError

from radar_shared.topics import dlq

log = logging.getLogger("radar.broker")


class PoisonMessageError(Exception):
    """Raised by a handler for a message that can never be processed. It goes to the DLQ at once."""


POISON_ERRORS: tuple[type[BaseException], ...] = (
    PoisonMessageError,
    ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)


def consumer_options(service: str) -> dict[str, Any]:
    """Subscriber keyword arguments every Radar consumer uses: group = service, commit after success."""
    return {
        "group_id": service,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }


class DeadLetters:
    """State shared by the dead-letter middleware of one broker: attempt counts and the DLQ counter."""

    def __init__(self, broker: KafkaBroker, service: str, registry: CollectorRegistry, max_attempts: int, base_delay: float) -> None:
        self.broker = broker
        self.service = service
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.attempts: OrderedDict[tuple[str, int, int], int] = OrderedDict()
        self.sent = Counter("radar_dead_letters_total", "Messages sent to a dead-letter topic", ["topic"], registry=registry)

    def record_failure(self, key: tuple[str, int, int]) -> int:
        self.attempts[key] = self.attempts.get(key, 0) + 1
        self.attempts.move_to_end(key)
        while len(self.attempts) > 10_000:
            self.attempts.popitem(last=False)
        return self.attempts[key]

    def forget(self, key: tuple[str, int, int]) -> None:
        self.attempts.pop(key, None)

    async def send(self, record: Any, error: BaseException, attempts: int) -> None:
        topic = dlq(record.topic)
        headers = {
            "x-radar-error": f"{type(error).__name__}: {error}"[:4000],
            "x-radar-source-topic": record.topic,
            "x-radar-source-partition": str(record.partition),
            "x-radar-source-offset": str(record.offset),
            "x-radar-service": self.service,
            "x-radar-attempts": str(attempts),
        }
        value = record.value if isinstance(record.value, bytes | bytearray) else json.dumps(record.value).encode()
        await self.broker.publish(value, topic, key=record.key, headers=headers)
        self.sent.labels(topic=topic).inc()
        log.error(
            "message sent to dead-letter topic",
            extra={"topic": record.topic, "error": headers["x-radar-error"], "partition": record.partition, "offset": record.offset},
        )


class DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, dead_letters: DeadLetters) -> None:
        super().__init__(msg, context=context)
        self.dead_letters = dead_letters

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        record = msg.raw_message
        key = (record.topic, record.partition, record.offset)
        try:
            result = await call_next(msg)
        except asyncio.CancelledError:
            raise
        except POISON_ERRORS as error:
            await self.dead_letters.send(record, error, attempts=1)
            self.dead_letters.forget(key)
            return None
        except Exception as error:
            attempts = self.dead_letters.record_failure(key)
            if attempts >= self.dead_letters.max_attempts:
                await self.dead_letters.send(record, error, attempts=attempts)
                self.dead_letters.forget(key)
                return None
            delay = min(self.dead_letters.base_delay * 2 ** (attempts - 1), 30.0)
            log.warning(
                "handler failed; the message will be read again",
                extra={"topic": record.topic, "error": f"{type(error).__name__}: {error}", "attempt": attempts, "retry_in": delay},
            )
            await asyncio.sleep(delay)
            raise
        self.dead_letters.forget(key)
        return result


def make_broker(
    bootstrap_servers: str,
    service: str,
    registry: CollectorRegistry,
    *,
    max_attempts: int = 5,
    retry_base_delay: float = 0.5,
) -> KafkaBroker:
    """A KafkaBroker for `service`, with Prometheus and dead-letter middleware."""
    broker = KafkaBroker(
        bootstrap_servers.split(","),
        acks="all",
        enable_idempotence=True,
        client_id=service,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=service, metrics_prefix="radar")],
        logger=logging.getLogger(f"radar.{service}.faststream"),
    )
    dead_letters = DeadLetters(broker, service, registry, max_attempts, retry_base_delay)

    def dead_letter_middleware(msg: Any, /, *, context: Any) -> DeadLetterMiddleware:
        return DeadLetterMiddleware(msg, context=context, dead_letters=dead_letters)

    broker.add_middleware(dead_letter_middleware)
    return broker
