"""Sending through Apprise (IO). Channel URLs are secrets: only their masked form is ever logged or shown.

Every send obeys the address policy again, whatever the database holds: the URL's rules are checked
(`radar_shared.channel_urls`), Apprise's connections go through the guarded resolver (`resolver.py`), and Slack
webhooks are posted to the address that was resolved and checked, with the Host header and TLS name kept. A
refused send carries only Radar's own reason, never anything a host outside the policy answered.
"""

import asyncio
import contextvars
import functools
import logging
import re
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import apprise
import requests
import requests.adapters
import requests.utils
from apprise.plugins.email import smtp as apprise_smtp
from apprise.plugins.slack import NotifySlack, SlackMode

from radar_notifier import resolver
from radar_notifier.render import RenderedAlert
from radar_notifier.webhook_http import WebhookClient, WebhookHTTPError
from radar_shared.channel_urls import ChannelRules, ChannelURLError, mask, scheme, validate_channel_url
from radar_shared.netpolicy import AllowList, URLRefusedError, check_url, pinned_request
from radar_shared.retry_after import parse_retry_after

log = logging.getLogger("radar.notifier")
EMAIL_SCHEMES = ("mailto", "mailtos")


_HTTP_STATUS = re.compile(r"\b(?:error=|HTTP |status[ =:]+)?([45]\d\d)\b")
PERMANENT_STATUSES = {"400", "401", "403", "404", "410"}  # bad request, revoked or deleted webhook, no access


@dataclass(frozen=True)
class SendResult:
    ok: bool
    service: str
    errors: list[str] = field(default_factory=list)
    permanent: bool = False  # retrying cannot help: an unusable URL, a revoked or deleted webhook
    retry_after: float | None = None  # seconds the service asked us to wait (HTTP 429/503 Retry-After)

    def as_dict(self) -> dict:
        out = {"ok": self.ok, "service": self.service, "errors": self.errors, "permanent": self.permanent}
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        return out


def is_permanent(errors: list[str]) -> bool:
    return any(code in PERMANENT_STATUSES for line in errors for code in _HTTP_STATUS.findall(line))


def configure_slack(webhook_base_url: str) -> None:
    """Where Slack incoming webhooks are posted (Slack itself in production, a local receiver in tests)."""
    NotifySlack.webhook_url = webhook_base_url.rstrip("/")
    slack_webhook.cache_clear()


@functools.lru_cache(maxsize=4096)
def slack_webhook(url: str) -> str | None:
    """The incoming-webhook address of a Slack channel URL (slack://A/B/C or https://hooks.slack.com/…),
    or None for other URLs and for Slack's bot mode, which go through Apprise."""
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not isinstance(plugin, NotifySlack) or plugin.mode not in (SlackMode.WEBHOOK, SlackMode.WEBHOOK_GOV):
        return None
    base = NotifySlack.webhook_gov_url if plugin.mode == SlackMode.WEBHOOK_GOV else NotifySlack.webhook_url
    return f"{base}/{plugin.token_a}/{plugin.token_b}/{plugin.token_c}"


def refused(masked: str, reason: str) -> SendResult:
    """A send the address policy stopped: nothing was sent, and only Radar's reason is shown."""
    return SendResult(False, masked, [f"channel: {reason} (refused by the address policy; nothing was sent)"], permanent=True)


@functools.lru_cache(maxsize=4096)
def static_refusal(url: str, rules: ChannelRules) -> str | None:
    """Why the stored URL may not be sent to, whatever DNS says (a scheme no longer allowed, an address literal
    outside the policy, a URL Apprise cannot use), or None. A forged or outdated row is refused here."""
    try:
        validate_channel_url(url, rules, admin=True)  # who stored it is not known here; the scheme and servers are
    except ChannelURLError as error:
        return str(error).removeprefix("channel: ")
    return None


async def post_slack(client: WebhookClient, webhook: str, masked: str, payload: dict, allowed: AllowList) -> SendResult:
    """POST a Block Kit payload to an incoming webhook, at the address that was resolved and checked (Host and
    TLS name kept). Unlike Apprise, this sees the status and Retry-After."""
    try:
        address = await check_url(webhook, allowed)
    except URLRefusedError as error:
        if error.reason.startswith("cannot resolve"):  # DNS trouble, not a refusal: try again later
            return SendResult(False, masked, [f"Slack webhook: {error.reason}"])
        return refused(masked, f"Slack webhook {error.reason}")
    target, host, extensions = pinned_request(webhook, address)
    try:
        response = await client.post_json(target, host["Host"], extensions["sni_hostname"], payload)
    except (OSError, TimeoutError, WebhookHTTPError) as error:
        return SendResult(False, masked, [f"Slack webhook: {type(error).__name__}: {error}"])
    if response.status_code == 200:
        return SendResult(True, masked)
    status = str(response.status_code)
    answer = f"Slack webhook answered HTTP {status}: {response.text[:200]}"
    return SendResult(False, masked, [answer], permanent=status in PERMANENT_STATUSES, retry_after=parse_retry_after(response.headers.get("retry-after")))


class _LazyTLSContext:
    """What Apprise's SMTP controller gets from `ssl.create_default_context()`: nothing is loaded for plain SMTP,
    one shared verifying context serves TLS, and a caller that turns verification off gets a context of its
    own. Apprise builds a fresh context, reading the whole CA bundle, for every email, even without TLS: about
    12 ms of CPU per alert, the largest cost in bench/notify.py."""

    _shared: ssl.SSLContext | None = None

    def __init__(self) -> None:
        object.__setattr__(self, "_ctx", None)

    def _context(self) -> ssl.SSLContext:
        if self._ctx is None:
            if _LazyTLSContext._shared is None:
                _LazyTLSContext._shared = ssl.create_default_context()
            object.__setattr__(self, "_ctx", _LazyTLSContext._shared)
        return self._ctx  # type: ignore[return-value]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._ctx is None or self._ctx is _LazyTLSContext._shared:
            object.__setattr__(self, "_ctx", ssl.create_default_context())  # never change the shared one
        setattr(self._ctx, name, value)


class _SSLForApprise:
    def __getattr__(self, name: str) -> Any:
        return _LazyTLSContext if name == "create_default_context" else getattr(ssl, name)


_errors: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("apprise_errors", default=None)


class _SendCapture(logging.Handler):
    """Apprise reports a failure's reason only in its log. This one handler on the `apprise` logger files each
    record under the send that logged it (a context variable, which Apprise carries into its worker threads),
    so concurrent sends never see each other's errors; Apprise's own LogCapture would mix them."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        buffer = _errors.get()
        if buffer is not None:
            buffer.append(f"{record.levelname}: {record.getMessage()}")


_CAPTURE = _SendCapture()


def _check_before_proxy(send: Any) -> Any:
    """Wrap requests' HTTPAdapter.send: when a proxy (HTTP(S)_PROXY) carries a request, requests looks up only
    the proxy's name, so the guarded resolver would check the proxy's address alone and the proxy would reach an
    internal target for us. Here the target's own host is looked up first (under the send's guard, which refuses
    a name resolving to an address outside the policy), and a name that does not resolve here is refused too,
    because the proxy might resolve it to an internal address. The proxy must enforce egress rules as well: it
    resolves the name again, and a DNS answer that changes in between is beyond what Radar can pin."""

    @functools.wraps(send)
    def checked(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        proxies = kwargs.get("proxies") or (args[4] if len(args) > 4 else None) or {}
        if requests.utils.select_proxy(request.url, proxies):
            parts = urlsplit(request.url)
            try:
                socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
            except socket.gaierror as error:
                raise requests.exceptions.ConnectionError(f"{parts.hostname}: not sent through the proxy ({error})", request=request) from None
        return send(self, request, *args, **kwargs)

    checked.radar_checked = True  # type: ignore[attr-defined]
    return checked


def install_apprise_hooks() -> None:
    """Fit Apprise for sending (idempotent; a Sender calls it, importing this module changes nothing): its SMTP
    controller gets the lazy TLS context, its HTTP requests the target check before a proxy, and its log the
    handler that files errors under their send."""
    if not isinstance(getattr(apprise_smtp, "ssl", None), _SSLForApprise):
        apprise_smtp.ssl = _SSLForApprise()  # type: ignore[assignment]
    if not getattr(requests.adapters.HTTPAdapter.send, "radar_checked", False):
        requests.adapters.HTTPAdapter.send = _check_before_proxy(requests.adapters.HTTPAdapter.send)  # type: ignore[method-assign]
    apprise_log = logging.getLogger("apprise")
    if _CAPTURE not in apprise_log.handlers:
        apprise_log.addHandler(_CAPTURE)


_ASSET = apprise.AppriseAsset(async_mode=False)  # one service per send: no thread pool of Apprise's own


def _send_apprise(url: str, alert: RenderedAlert, allowed: AllowList) -> SendResult:
    kind = scheme(url)
    masked = mask(url)
    ap = apprise.Apprise(asset=_ASSET)
    if not ap.add(url):
        return SendResult(False, masked, ["Apprise cannot use this URL"], permanent=True)
    if kind in EMAIL_SCHEMES:
        title, body, fmt = alert.subject, alert.html, apprise.NotifyFormat.HTML
    else:
        title, body, fmt = alert.subject, alert.text, apprise.NotifyFormat.TEXT
    errors: list[str] = []
    token = _errors.set(errors)
    try:
        with resolver.guarded(allowed) as guard:
            ok = bool(ap.notify(title=title, body=body, body_format=fmt))
    finally:
        _errors.reset(token)
    if guard.refused:
        return refused(masked, guard.refused[0])
    errors = [line.strip() for line in errors if line.strip()] if not ok else []
    return SendResult(ok, masked, errors, permanent=not ok and is_permanent(errors))


class ChannelGate:
    """At most `concurrency` sends in flight to one channel, starting at least `interval` seconds apart, and
    `interval` after the previous send ended: a receiver that counts arrivals (Slack: one message per second per
    webhook) sees them `interval` apart even when the first send was slow (a new connection, TLS) and the next fast."""

    def __init__(self, concurrency: int, interval: float) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.interval = interval
        self.next_start = 0.0
        self.lock = asyncio.Lock()

    async def __aenter__(self) -> None:
        await self.slots.acquire()
        if self.interval > 0:
            async with self.lock:
                now = time.monotonic()
                wait = self.next_start - now
                self.next_start = max(now, self.next_start) + self.interval
            if wait > 0:
                await asyncio.sleep(wait)

    async def __aexit__(self, *exc: object) -> None:
        if self.interval > 0:
            self.next_start = max(self.next_start, time.monotonic() + self.interval)
        self.slots.release()


HOST_CONNECTIONS = 16  # keep-alive connections (and requests in flight) per webhook host


class Sender:
    """Sends rendered alerts. Channels are independent: each has its own gate (Slack: one message per second
    per webhook), and Apprise's blocking sends run on a pool of their own, so a channel that hangs until its
    timeout occupies at most its gate's slots, never the whole notifier."""

    def __init__(self, rules: ChannelRules, workers: int = 32, channel_concurrency: int = 4, slack_interval: float = 1.0, timeout: float = 15.0) -> None:
        resolver.install()
        install_apprise_hooks()
        self.rules = rules
        self.allowed = rules.networks
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apprise")
        self.timeout = timeout
        self.webhooks = WebhookClient(timeout, HOST_CONNECTIONS)  # keep-alive connections per webhook host
        self.channel_concurrency = channel_concurrency
        self.slack_interval = slack_interval
        self.gates: dict[str, ChannelGate] = {}

    def gate(self, url: str, slack: bool) -> ChannelGate:
        if url not in self.gates:
            self.gates[url] = ChannelGate(1, self.slack_interval) if slack else ChannelGate(self.channel_concurrency, 0.0)
        return self.gates[url]

    async def send(self, url: str, alert: RenderedAlert) -> SendResult:
        if reason := static_refusal(url, self.rules):
            return refused(mask(url), reason)
        webhook = slack_webhook(url)
        async with self.gate(url, webhook is not None):
            if webhook is not None:
                return await post_slack(self.webhooks, webhook, mask(url), alert.slack, self.allowed)
            return await asyncio.get_running_loop().run_in_executor(self.executor, _send_apprise, url, alert, self.allowed)

    async def close(self) -> None:
        await self.webhooks.aclose()
        self.executor.shutdown(wait=False, cancel_futures=True)


async def send(url: str, alert: RenderedAlert, rules: ChannelRules) -> SendResult:
    """Send one alert to one channel (a one-off Sender: `radar subscriptions test`, tests)."""
    sender = Sender(rules, workers=1)
    try:
        return await sender.send(url, alert)
    finally:
        await sender.close()
