"""Sending through Apprise (IO). Channel URLs are secrets: only their masked form is ever logged or shown."""

import asyncio
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import apprise
from apprise.plugins.slack import NotifySlack

from radar_notifier.render import RenderedAlert

log = logging.getLogger("radar.notifier")
EMAIL_SCHEMES = ("mailto", "mailtos")


class ChannelURLError(ValueError):
    """A channel URL that Apprise cannot use, or whose scheme is not allowed. The message is safe to show."""


_HTTP_STATUS = re.compile(r"\b(?:error=|HTTP |status[ =:]+)?([45]\d\d)\b")
PERMANENT_STATUSES = {"400", "401", "403", "404", "410"}  # bad request, revoked or deleted webhook, no access


@dataclass(frozen=True)
class SendResult:
    ok: bool
    service: str
    errors: list[str] = field(default_factory=list)
    permanent: bool = False  # retrying cannot help: an unusable URL, a revoked or deleted webhook

    def as_dict(self) -> dict:
        return {"ok": self.ok, "service": self.service, "errors": self.errors, "permanent": self.permanent}


def is_permanent(errors: list[str]) -> bool:
    return any(code in PERMANENT_STATUSES for line in errors for code in _HTTP_STATUS.findall(line))


def scheme(url: str) -> str:
    return urlsplit(url).scheme.lower()


def mask(url: str) -> str:
    """Apprise's privacy form of a channel URL (tokens and passwords hidden)."""
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        return f"{scheme(url) or 'invalid'}://…"
    return plugin.url(privacy=True)


def validate_channel_url(url: str, allowed_schemes: list[str]) -> str:
    """The channel kind (its scheme), or ChannelURLError."""
    kind = scheme(url)
    if kind not in allowed_schemes:
        raise ChannelURLError(f"channel: scheme {kind or '(none)'!r} is not allowed; allowed: {', '.join(allowed_schemes)}")
    if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
        raise ChannelURLError(f"channel: Apprise cannot use the URL {mask(url)}")
    return kind


def configure_slack(webhook_base_url: str) -> None:
    """Where Slack incoming webhooks are posted (Slack itself in production, a local receiver in tests)."""
    NotifySlack.webhook_url = webhook_base_url.rstrip("/")


def _send_sync(url: str, alert: RenderedAlert) -> SendResult:
    kind = scheme(url)
    masked = mask(url)
    ap = apprise.Apprise()
    if not ap.add(url):
        return SendResult(False, masked, ["Apprise cannot use this URL"], permanent=True)
    if kind in EMAIL_SCHEMES:
        title, body, fmt = alert.subject, alert.html, apprise.NotifyFormat.HTML
    elif kind == "slack":
        # Plain text: Apprise escapes it for Slack. Its MARKDOWN mode turns `&lt;!channel&gt;` back into a
        # live `<!channel>`, so feed text must never take that path.
        title, body, fmt = "", alert.slack, apprise.NotifyFormat.TEXT
    else:
        title, body, fmt = alert.subject, alert.text, apprise.NotifyFormat.TEXT
    with apprise.LogCapture(level=logging.WARNING, fmt="%(levelname)s: %(message)s") as captured:
        ok = bool(ap.notify(title=title, body=body, body_format=fmt))
    errors = [line.strip() for line in captured.getvalue().splitlines() if line.strip()] if not ok else []
    return SendResult(ok, masked, errors, permanent=not ok and is_permanent(errors))


async def send(url: str, alert: RenderedAlert) -> SendResult:
    """Send one alert to one channel without blocking the event loop."""
    return await asyncio.to_thread(_send_sync, url, alert)
