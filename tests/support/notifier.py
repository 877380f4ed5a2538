"""A notifier in the test's own event loop, and subscriptions for it (the delivery log is a real database);
FakeSender stands in for the channels where a real SMTP server or Slack stand-in adds nothing."""

from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry

from radar_notifier.channels import SendResult
from radar_notifier.config import NotifierSettings
from radar_notifier.deliver import Notifier
from radar_notifier.metrics import DeliveryMetrics
from radar_notifier.render import RenderedAlert
from radar_notifier.routing import SubscriptionView
from radar_shared.channel_urls import ChannelRules, scheme
from radar_shared.db import session_scope
from radar_shared.models import Channel, Subscription

SLACK = "slack://T00000000/B00000000/radartestwebhooktoken000"
SINKS = ["127.0.0.0/8:1024-65535"]  # the tests' SMTP server and Slack stand-in listen on 127.0.0.1: allowed like an intranet relay


def local_rules(*schemes: str) -> ChannelRules:
    """Channel rules for tests: these schemes, and the local sinks let through the address policy."""
    return ChannelRules.of(schemes, SINKS)


def subscribe(db: str, url: str) -> SubscriptionView:
    with session_scope(db) as s:
        ch = Channel(url=url, kind=url.split(":")[0])
        s.add(ch)
        s.flush()
        sub = Subscription(channel_id=ch.id, topics=["dprk-sanctions"])  # type: ignore[arg-type]
        s.add(sub)
        s.flush()
        return SubscriptionView(sub.id, url, ("dprk-sanctions",), ())  # type: ignore[arg-type]


class FakeSender:
    """The notifier's edge (channels.Sender) without channels: it keeps what it was given to send, and answers
    with the results the test scripted, in order, then with success."""

    def __init__(self, *results: SendResult) -> None:
        self.script = list(results)
        self.sent: list[tuple[str, RenderedAlert]] = []
        self.closed = False

    async def send(self, url: str, alert: RenderedAlert) -> SendResult:
        self.sent.append((url, alert))
        return self.script.pop(0) if self.script else SendResult(True, scheme(url))

    async def close(self) -> None:
        self.closed = True

    def subjects(self) -> list[str]:
        return [alert.subject for _, alert in self.sent]


def failure(error: str = "Connection error", permanent: bool = False, retry_after: float | None = None) -> SendResult:
    """A failed send, as channels.send reports it."""
    return SendResult(False, "mailto", [error], permanent=permanent, retry_after=retry_after)


def notifier_for(db: str, clock: Callable[[], datetime] | None = None, sender: FakeSender | None = None, **settings: float) -> tuple[Notifier, list, list]:
    """A Notifier with quick retries (and `sender` in place of the channels); returns it with the lists its
    published delivered and failed events go to."""
    delivered: list = []
    failed: list = []

    async def on_delivered(e) -> None:  # type: ignore[no-untyped-def]
        delivered.append(e)

    async def on_failed(e) -> None:  # type: ignore[no-untyped-def]
        failed.append(e)

    config = NotifierSettings(**{"retry_base_seconds": 0.05, "retry_max_seconds": 5, "allowed_networks": SINKS, **settings})
    kw = {"clock": clock} if clock else {}
    return Notifier(config, db, on_delivered, on_failed, DeliveryMetrics(CollectorRegistry()), sender=sender, **kw), delivered, failed  # type: ignore[arg-type]
