"""JSON logging with one fixed vocabulary of keys (`feed_id`, `article_id`, `story_id`, `subscription_id`, `channel`, `topic`)."""

import collections
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily
from pythonjsonlogger.json import JsonFormatter

LOG_KEYS = ("feed_id", "article_id", "story_id", "subscription_id", "delivery_id", "channel", "topic", "error")


class _ConsoleFormatter(logging.Formatter):
    """Readable one-line logs for `make run`: the same keys, as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        base = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {getattr(record, 'service', record.name):<12} {record.getMessage()}"
        extras = " ".join(f"{k}={getattr(record, k)}" for k in LOG_KEYS if getattr(record, k, None) is not None)
        text = f"{base} {extras}".rstrip()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class _ServiceFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        return True


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Route the root logger to stderr as JSON (or console lines), tagged with the service name."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "console":
        handler.setFormatter(_ConsoleFormatter())
    else:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    handler.addFilter(_ServiceFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "httpx", "httpcore", "apprise", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    watch_broker_links(BROKER_LINKS)


# The aiokafka loggers that log a broker's absence ("aiokafka" is its client's: connections, metadata), and the
# parents of its other module loggers, which stay at WARNING when the client's goes to DEBUG.
AIOKAFKA_OUTAGE_LOGGERS = ("aiokafka", "aiokafka.conn", "aiokafka.consumer.fetcher", "aiokafka.consumer.group_coordinator", "aiokafka.producer.sender")
AIOKAFKA_QUIET_LOGGERS = ("aiokafka.conn", "aiokafka.consumer", "aiokafka.producer", "aiokafka.coordinator", "aiokafka.admin", "aiokafka.cluster", "aiokafka.helpers")
_LOST = ("Unable connect to node with id %s: %s", 'Unable connect to "%s:%s": %s')
_REACHED = "Sending metadata request %s to node %s"  # the client's DEBUG line once a connection to the node is up
_BOOTSTRAPPED = "Received cluster metadata: %s"
_INITIATING = "Initiating connection to node %s at %s:%s"  # DEBUG, before each attempt; a failure follows at once
CONNECT_GRACE_SECONDS = 3.0  # an attempt with no failure this long after it has connected
# What aiokafka repeats, at ERROR or WARNING, while a broker it needs is away: DEBUG, the loss is logged once.
OUTAGE_REPEATS = frozenset({
    *_LOST,
    "Unable to update metadata from %s",
    "Unable to request metadata from node with id %s: %r",
    "Failed fetch messages from %s: %s",
    "Failed fetch offsets from %s: %s",
    "Heartbeat send request failed: %s. Will retry.",
    "Group Coordinator Request failed: %s",
    "FindCoordinator Request failed: %s",
    "Cannot send %r to %s: %r",
    "Could not send %r: %r",
    "Got error produce response: %s",
    "Got error produce response on topic-partition %s, retrying. Error: %s",
    "Error sending %s to node %s [%s] -- marking coordinator dead",
    "Marking the coordinator dead (node %s)for group %s.",
    "Heartbeat session expired - marking coordinator dead",
    "Heartbeat failed for group %s: coordinator (node %s) is either not started or not valid",
})


class BrokerLinks(logging.Filter):
    """Follows aiokafka's connection lines per broker node: the loss of a node and its recovery are logged once
    each at WARNING (logger `radar.kafka`, with `node` and `seconds`), aiokafka's repeats become DEBUG, and
    the seconds each node was unreachable add up in `unreachable_seconds` (radar_broker_unreachable_seconds).

    A node is lost at aiokafka's first "Unable connect to node with id N" (or to a bootstrap address) and
    back when the client sends it a request again (its metadata request, logged at DEBUG), or when an attempt
    to connect to it ("Initiating connection", DEBUG) is not followed by a failure within CONNECT_GRACE_SECONDS;
    settle() (called by the heartbeat and by each aiokafka line) reports those."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, log: logging.Logger | None = None) -> None:
        super().__init__()
        self.clock = clock
        self.log = log or logging.getLogger("radar.kafka")
        self.down_since: dict[str, float] = {}
        self.attempted: dict[str, float] = {}  # down nodes with a connection attempt not (yet) failed
        self.closed_seconds: dict[str, float] = collections.defaultdict(float)
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        fmt = record.msg if isinstance(record.msg, str) else ""
        args = record.args if isinstance(record.args, tuple) else ()
        self.settle()
        if fmt == _INITIATING and args and str(args[0]) in self.down_since:
            self.attempted.setdefault(str(args[0]), self.clock())
        elif fmt in _LOST and args:
            self._lost(str(args[0]) if fmt == _LOST[0] else f"{args[0]}:{args[1]}", record.getMessage())
        elif fmt == _REACHED and len(args) == 2:
            self._back(str(args[1]))
        elif fmt == _BOOTSTRAPPED:
            for node in [n for n in self.down_since if ":" in n]:  # bootstrap addresses
                self._back(node)
        if fmt in OUTAGE_REPEATS:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= logging.WARNING  # aiokafka's DEBUG lines (wanted here only to see recoveries) stay out

    def _lost(self, node: str, error: str) -> None:
        with self._lock:
            self.attempted.pop(node, None)
            if node in self.down_since:
                return
            self.down_since[node] = self.clock()
        self.log.warning(f"Kafka broker {node} unreachable; aiokafka's retries are logged at DEBUG", extra={"node": node, "error": error})

    def settle(self) -> None:
        """Report the nodes whose last connection attempt has not failed for CONNECT_GRACE_SECONDS as back."""
        now = self.clock()
        for node, at in list(self.attempted.items()):
            if now - at >= CONNECT_GRACE_SECONDS:
                self._back(node, at)

    def _back(self, node: str, at: float | None = None) -> None:
        with self._lock:
            attempted = self.attempted.pop(node, None)
            since = self.down_since.pop(node, None)
            if since is None:
                return
            seconds = (at or attempted or self.clock()) - since
            self.closed_seconds[node] += seconds
        self.log.warning(f"Kafka broker {node} reachable again after {seconds:.1f} s", extra={"node": node, "seconds": round(seconds, 1)})

    def unreachable_seconds(self) -> dict[str, float]:
        """Seconds each node has been unreachable so far, the current outage included."""
        now = self.clock()
        with self._lock:
            totals = {node: float(seconds) for node, seconds in self.closed_seconds.items()}
            for node, since in self.down_since.items():
                totals[node] = totals.get(node, 0.0) + now - since
        return totals

    def collect(self) -> Iterator[CounterMetricFamily]:
        """A prometheus_client collector: radar_broker_unreachable_seconds_total{node}."""
        family = CounterMetricFamily("radar_broker_unreachable_seconds", "Seconds a Kafka broker node was unreachable from this process", labels=["node"])
        for node, seconds in sorted(self.unreachable_seconds().items()):
            family.add_metric([node], seconds)
        yield family


BROKER_LINKS = BrokerLinks()  # one per process, as its loggers are


def watch_broker_links(links: BrokerLinks) -> None:
    """Attach `links` to aiokafka's loggers. The client's logger goes to DEBUG so that its connection lines reach
    the filter (which keeps them out of the logs); the other aiokafka loggers stay at WARNING."""
    for name in AIOKAFKA_QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("aiokafka").setLevel(logging.DEBUG)
    for name in AIOKAFKA_OUTAGE_LOGGERS:
        if links not in logging.getLogger(name).filters:
            logging.getLogger(name).addFilter(links)


class PeriodicSummary:
    """What a service did, logged at INFO once per `interval` seconds (at the first event after it has passed),
    so that INFO stays readable at a thousand messages a second; each message has its own line at DEBUG."""

    def __init__(self, logger: logging.Logger, what: str, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.what = what
        self.interval = interval
        self.clock = clock
        self.since = clock()
        self.counts: Counter[str] = Counter()

    def add(self, **counts: int) -> None:
        self.counts.update(counts)
        now = self.clock()
        if now - self.since >= self.interval:
            seconds = now - self.since
            figures = ", ".join(f"{name} {count}" for name, count in self.counts.items())
            self.logger.info(f"{self.what} in the last {seconds:.0f} s: {figures}", extra={**self.counts, "seconds": round(seconds, 1)})
            self.counts = Counter()
            self.since = now
