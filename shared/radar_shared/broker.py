"""The broker factory: idempotent producer with acks=all, at-least-once consumers, dead letters and metrics.

Consumers acknowledge (commit) only after the handler returned, i.e. after its effects are durable. Those
commits are grouped: a message's offset is committed with the others done in the same COMMIT_INTERVAL (0.2 s),
instead of a broker round trip per message, which halved the notifier's throughput. A crash or a rebalance can
therefore re-deliver up to that interval's messages; every handler is idempotent (outbox, delivery log).
A handler error is retried in place (the offset is not committed, the message is read again) with a
growing pause; a message that cannot be decoded or validated, or that keeps failing, goes to
`<topic>.dlq` with the error in its headers, and the partition moves on. When the dead-letter topic will not
take the message (larger than its limit), a small JSON envelope naming it (topic, partition, offset, key, size,
errors) is dead-lettered instead, so the partition moves on even then.

Every producer waits for all in-sync replicas (acks=all, with min.insync.replicas=2 on a three-broker cluster)
and is idempotent; every consumer reads committed records only. TLS and SASL settings (KAFKA_SECURITY_PROTOCOL
and friends) reach every aiokafka client the broker makes, including the start-up probe.

Batch subscribers (the classifier's) get the same guarantees: their decoder (`batch_decoder`) validates each
record and dead-letters the ones that are poison at once, so one bad message never fails its batch; the
batch's offsets (the highest per partition) are queued for the grouped commit only after the handler returned,
which for the classifier is after every publish of the batch was acknowledged; a batch that keeps failing is
dead-lettered record by record.

A service started while Kafka is down does not fail once and idle: start() retries with back-off until the
broker answers and the topics it uses exist, and only then starts producers and consumers.
"""

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.kafka.security import parse_security
from faststream.message import AckStatus
from faststream.middlewares import BaseMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, ValidationError

from radar_shared.backoff import backoff_delay
from radar_shared.settings import SharedSettings
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
        "isolation_level": "read_committed",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }


def kafka_client_options(settings: SharedSettings | None = None) -> dict[str, Any]:
    """aiokafka keyword arguments for TLS/SASL (empty for PLAINTEXT), for the clients the control plane and the
    CLI make themselves (status, dead letters, watch tests)."""
    return parse_security(kafka_security(settings or SharedSettings()))


def kafka_security(settings: SharedSettings) -> BaseSecurity | None:
    """The TLS/SASL settings as faststream's security object (None for PLAINTEXT), for an external Kafka."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    ssl_context = None
    if protocol.endswith("SSL"):
        ssl_context = create_ssl_context(
            cafile=settings.kafka_ssl_cafile or None, certfile=settings.kafka_ssl_certfile or None, keyfile=settings.kafka_ssl_keyfile or None
        )
    if not protocol.startswith("SASL"):
        return BaseSecurity(ssl_context=ssl_context, use_ssl=True)
    sasl = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}[settings.kafka_sasl_mechanism]
    return sasl(settings.kafka_sasl_username, settings.kafka_sasl_password.get_secret_value(), ssl_context=ssl_context, use_ssl=protocol == "SASL_SSL")


def batch_consumer_options(service: str, max_records: int) -> dict[str, Any]:
    """consumer_options for a batch subscriber. When a fetch finds nothing, faststream sleeps for as long as it
    waited (batch_timeout_ms) before fetching again, so that wait is kept short: a message arriving on a quiet
    topic waits at most twice BATCH_WAIT_MS. A busy topic fills batches without waiting."""
    return {**consumer_options(service), "batch": True, "max_records": max_records, "batch_timeout_ms": BATCH_WAIT_MS}


BATCH_WAIT_MS = 10
COMMIT_INTERVAL = 0.2


class CommitBatcher:
    """Offsets of handled messages, committed together every COMMIT_INTERVAL (and on shutdown)."""

    def __init__(self, interval: float = COMMIT_INTERVAL) -> None:
        self.interval = interval
        self.pending: dict[int, tuple[AIOKafkaConsumer, dict[TopicPartition, int]]] = {}
        self.task: asyncio.Task | None = None

    def add(self, consumer: AIOKafkaConsumer, topic: str, partition: int, next_offset: int) -> None:
        _, offsets = self.pending.setdefault(id(consumer), (consumer, {}))
        tp = TopicPartition(topic, partition)
        offsets[tp] = max(offsets.get(tp, 0), next_offset)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self.pending:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> None:
        batches, self.pending = list(self.pending.values()), {}
        for consumer, offsets in batches:
            try:
                await consumer.commit(offsets)
            except Exception as error:  # noqa: BLE001 - a rebalance or a closed consumer: the messages are read again
                log.warning("offsets not committed; those messages will be handled again", extra={"error": f"{type(error).__name__}: {error}"})


class DeadLetters:
    """State shared by the dead-letter middleware of one broker: attempt counts and the DLQ counter."""

    def __init__(self, broker: KafkaBroker, service: str, registry: CollectorRegistry, max_attempts: int, base_delay: float) -> None:
        self.broker = broker
        self.service = service
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.attempts: OrderedDict[tuple[str, int, int], int] = OrderedDict()
        self.sent = Counter("radar_dead_letters_total", "Messages sent to a dead-letter topic", ["topic"], registry=registry)
        self.envelopes = Counter(
            "radar_dead_letter_envelopes_total", "Messages the dead-letter topic refused, dead-lettered as an envelope naming them", ["topic"], registry=registry
        )
        self.commits = CommitBatcher()

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
        try:
            await self.broker.publish(value, topic, key=record.key, headers=headers)
        except Exception as refused:  # noqa: BLE001 - too large for the DLQ, most likely: send what names the message
            await self.send_envelope(record, topic, headers, len(value), refused)
            return
        self.sent.labels(topic=topic).inc()
        log.error(
            "message sent to dead-letter topic",
            extra={"topic": record.topic, "error": headers["x-radar-error"], "partition": record.partition, "offset": record.offset},
        )


    async def send_envelope(self, record: Any, topic: str, headers: dict[str, str], size: int, refused: BaseException) -> None:
        """Dead-letter what identifies a message that the dead-letter topic refused; if this fails too (the broker
        is down), the error propagates and the message is read again later."""
        key = record.key.decode("utf-8", "replace") if isinstance(record.key, bytes | bytearray) else record.key
        envelope = {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": key[:1000] if isinstance(key, str) else key,
            "size": size,
            "error": headers["x-radar-error"],
            "dead_letter_error": f"{type(refused).__name__}: {refused}"[:4000],
        }
        small_key = record.key if record.key is None or len(record.key) <= 1000 else None
        await self.broker.publish(json.dumps(envelope).encode(), topic, key=small_key, headers={**headers, "x-radar-envelope": "true"})
        self.envelopes.labels(topic=topic).inc()
        log.error(
            "message too large for its dead-letter topic; an envelope naming it was dead-lettered",
            extra={"topic": record.topic, "partition": record.partition, "offset": record.offset, "size": size, "error": envelope["dead_letter_error"]},
        )


def batch_decoder(broker: KafkaBroker, model: type[BaseModel]) -> Callable[[Any], Awaitable[list[Any]]]:
    """A decoder for a batch subscriber: each record validated as `model`. A record that is not valid is
    dead-lettered at once and left out of the batch, so one poison message never fails the others."""
    dead_letters: DeadLetters = broker.radar_dead_letters  # type: ignore[attr-defined]

    async def decode(msg: Any) -> list[Any]:
        valid = []
        for record in msg.raw_message:
            try:
                valid.append(model.model_validate_json(record.value or b""))
            except POISON_ERRORS as error:
                await dead_letters.send(record, error, attempts=1)
        return valid

    return decode


class UnpublishableError(Exception):
    """A handler's result that Kafka will never take (too large, or refused for good); its input is dead-lettered."""


def publish_refusal(broker: KafkaBroker, key: bytes | None, value: bytes, headers: dict[str, str]) -> UnpublishableError | None:
    """Why the broker's producer would refuse this message before sending it (larger than its max request
    size), or None: checked before publishing, so one oversized result never fails the batch it is part of."""
    limit = broker._connection_kwargs.get("max_request_size", 1_048_576)  # noqa: SLF001 - the producer's own setting
    size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, [(k, v.encode()) for k, v in headers.items()])
    if size <= limit:
        return None
    return UnpublishableError(f"the result is {size:,} bytes, larger than the producer's max request size ({limit:,} bytes)")


def refused_for_good(error: BaseException) -> bool:
    """A publish error that no retry can cure (the broker refused the message itself: too large, invalid)."""
    return isinstance(error, KafkaError) and not error.retriable


def record_with_key(records: tuple[Any, ...] | list[Any], key: bytes, event_id: str, taken: set[int]) -> Any | None:
    """The record of a batch that carried an event: the first not taken yet with this key whose value names the
    event's id (a batch can hold one key twice)."""
    needle = event_id.encode()
    for n, record in enumerate(records):
        if n not in taken and record.key == key and needle in (record.value or b""):
            taken.add(n)
            return record
    return None


async def dead_letter_alone(broker: KafkaBroker, record: Any, error: BaseException) -> None:
    """Dead-letter one record of a batch with its reason; the rest of the batch goes on and is committed."""
    await broker.radar_dead_letters.send(record, error, attempts=1)  # type: ignore[attr-defined]


class DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, dead_letters: DeadLetters) -> None:
        super().__init__(msg, context=context)
        self.dead_letters = dead_letters

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        raw = msg.raw_message
        records = tuple(raw) if isinstance(raw, tuple | list) else (raw,)  # a batch subscriber's message: several records
        if not records:
            return await call_next(msg)
        first = records[0]
        key = (first.topic, first.partition, first.offset)
        try:
            result = await call_next(msg)
        except asyncio.CancelledError:
            raise
        except POISON_ERRORS as error:
            for record in records:
                await self.dead_letters.send(record, error, attempts=1)
            self.dead_letters.forget(key)
            self._done(msg, records)
            return None
        except Exception as error:
            attempts = self.dead_letters.record_failure(key)
            if attempts >= self.dead_letters.max_attempts:
                for record in records:
                    await self.dead_letters.send(record, error, attempts=attempts)
                self.dead_letters.forget(key)
                self._done(msg, records)
                return None
            delay = backoff_delay(attempts, self.dead_letters.base_delay, 30.0)
            log.warning(
                "handler failed; the message will be read again",
                extra={"topic": first.topic, "error": f"{type(error).__name__}: {error}", "attempt": attempts, "retry_in": delay, "messages": len(records)},
            )
            await asyncio.sleep(delay)
            raise
        self.dead_letters.forget(key)
        self._done(msg, records)
        return result

    def _done(self, msg: Any, records: tuple[Any, ...]) -> None:
        """The messages' effects are durable: queue their offsets for the next grouped commit, and tell faststream
        that they are acknowledged (so it does not commit them on its own)."""
        consumer = getattr(msg, "consumer", None)
        if isinstance(consumer, AIOKafkaConsumer) and getattr(msg, "committed", AckStatus.ACKED) is None:
            for record in records:
                self.dead_letters.commits.add(consumer, record.topic, record.partition, record.offset + 1)
            msg.committed = AckStatus.ACKED


class PatientKafkaBroker(KafkaBroker):
    """A KafkaBroker whose start() waits for Kafka, with back-off, instead of failing once and leaving the
    service idle for ever ("Unable to bootstrap")."""

    bootstrap: list[str]
    client_security: dict[str, Any]
    start_retry_max_seconds = 5.0  # waiting is cheap; a service that comes up late is not

    def used_topics(self) -> set[str]:
        topics = {str(getattr(t, "name", t)) for sub in self.subscribers for t in getattr(sub, "topics", ())}
        return topics | {str(getattr(p, "topic", "")) for p in self.publishers if getattr(p, "topic", None)}

    async def missing_topics(self) -> set[str]:
        """Topics this broker uses that Kafka does not have yet; raises KafkaError while Kafka does not answer."""
        client = AIOKafkaClient(bootstrap_servers=self.bootstrap, client_id="radar-start", **self.client_security)
        try:
            await client.bootstrap()
            return self.used_topics() - (await client.fetch_all_metadata()).topics()
        finally:
            await client.close()

    async def start(self) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                missing = await self.missing_topics()
                if not missing:
                    await super().start()
                    if attempt > 1:
                        log.info("connected to Kafka", extra={"attempt": attempt})
                    return
                problem = f"topics missing: {', '.join(sorted(missing))} (deploy/kafka.sh topics creates them)"
            except (KafkaError, OSError) as error:
                problem = f"{type(error).__name__}: {error}"
                await self._discard_partial_start()
            delay = backoff_delay(attempt, 0.5, self.start_retry_max_seconds)
            log.warning("Kafka is not ready; starting again", extra={"error": problem, "attempt": attempt, "retry_in": delay, "bootstrap": ",".join(self.bootstrap)})
            await asyncio.sleep(delay)

    async def _discard_partial_start(self) -> None:
        try:
            await self.stop()
        except Exception as error:  # noqa: BLE001 - what failed to start may fail to stop; the next attempt starts afresh
            log.debug("cleaning up a failed start", extra={"error": f"{type(error).__name__}: {error}"})


def make_broker(
    bootstrap_servers: str,
    service: str,
    registry: CollectorRegistry,
    *,
    max_attempts: int = 5,
    retry_base_delay: float = 0.5,
    security: BaseSecurity | None = None,
) -> KafkaBroker:
    """A KafkaBroker for `service`, with Prometheus and dead-letter middleware, that waits for Kafka at start.
    `security` (from kafka_security()) is TLS and SASL for an external Kafka; None is PLAINTEXT."""
    broker = PatientKafkaBroker(
        bootstrap_servers.split(","),
        acks="all",
        enable_idempotence=True,
        client_id=service,
        security=security,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=service, metrics_prefix="radar")],
        logger=logging.getLogger(f"radar.{service}.faststream"),
        log_level=logging.DEBUG,  # faststream's "Received"/"Processed" lines per message; INFO has the services' summaries
    )
    broker.bootstrap = bootstrap_servers.split(",")
    broker.client_security = parse_security(security)
    dead_letters = DeadLetters(broker, service, registry, max_attempts, retry_base_delay)

    def dead_letter_middleware(msg: Any, /, *, context: Any) -> DeadLetterMiddleware:
        return DeadLetterMiddleware(msg, context=context, dead_letters=dead_letters)

    broker.add_middleware(dead_letter_middleware)
    broker.radar_dead_letters = dead_letters  # type: ignore[attr-defined]  # for batch_decoder
    broker.radar_commits = dead_letters.commits  # type: ignore[attr-defined]  # flushed by make_app on shutdown
    return broker
