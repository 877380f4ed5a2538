"""JSON Feed 1.0 and 1.1 (pure; https://www.jsonfeed.org/version/1.1/), which feedparser does not read."""

import json
from datetime import UTC, datetime
from html import escape as html_escape
from urllib.parse import urlsplit

from radar_feed_watcher.entries import EntryLimits, FeedParseError, ParsedFeed, UnusableDate, first_date, make_entry, reused_guids
from radar_feed_watcher.htmltext import strip_controls


def is_json_feed(body: bytes, content_type: str | None) -> bool:
    """A JSON Feed (application/feed+json or application/json), or a body that is a JSON object."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind in ("application/feed+json", "application/json") or body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _json_time(value: object) -> datetime | UnusableDate | None:
    """An RFC 3339 date of JSON Feed (`2020-08-07T11:44:36-05:00`, `…Z`), in UTC; None when absent or malformed,
    UnusableDate when it is out of range in UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    try:
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        return UnusableDate(value.strip())


def _json_str(item: dict, key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def parse_json_feed(body: bytes, feed_url: str, limits: EntryLimits = EntryLimits()) -> ParsedFeed:
    """A JSON Feed 1.0 or 1.1 (https://www.jsonfeed.org/version/1.1/), which feedparser does not read.

    An item's HTML is `content_html`, else `content_text` (escaped), with `summary` when it says more; its link is
    `url`, else `external_url`. Items that are not objects are skipped with a warning. Raises FeedParseError when
    the body is not a JSON Feed.
    """
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FeedParseError(f"feed {feed_url}: not a JSON Feed: {error}") from None
    except RecursionError:
        raise FeedParseError(f"feed {feed_url}: not a JSON Feed: nested too deeply") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise FeedParseError(f"feed {feed_url}: not a JSON Feed: no 'version' of https://jsonfeed.org/version/…")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedParseError(f"feed {feed_url}: not a JSON Feed: 'items' is not a list")
    warnings = [f"feed {feed_url}: items[{n}] is not an object; skipped" for n, item in enumerate(items) if not isinstance(item, dict)]
    items = [item for item in items if isinstance(item, dict)]
    feed_lang = _json_str(data, "language") or None
    guids = [str(item.get("id") or "").strip() for item in items]
    reused = reused_guids(guids)
    entries = []
    for item, guid in zip(items, guids, strict=True):
        html = _json_str(item, "content_html") or html_escape(_json_str(item, "content_text")).replace("\n", "<br>")
        summary = _json_str(item, "summary")
        if summary and summary not in html:
            html = f"<p>{html_escape(summary)}</p>{html}"
        entry = make_entry(
            feed_url, limits, guid or None, _json_str(item, "url") or _json_str(item, "external_url"), _json_str(item, "title"), html,
            _json_str(item, "language") or feed_lang, first_date([_json_time(item.get("date_published")), _json_time(item.get("date_modified"))]), guid in reused,
            warnings,
        )
        if entry is not None:
            entries.append(entry)
    host = urlsplit(feed_url).hostname or ""
    return ParsedFeed(
        title=strip_controls(_json_str(data, "title") or host)[: limits.title],
        entries=entries,
        warnings=warnings,
        item_digests=[],
        encoding="utf-8",
    )
