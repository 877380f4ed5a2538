"""What parsing a feed yields (pure): entries bounded and storable, whatever the format (RSS, Atom, JSON Feed).

One bad item never fails its feed: a link that cannot be an article's address, or a date no datetime can hold in
UTC, is dropped with a warning and the entry kept. Title, summary and text are capped (EntryLimits), so that every
event stays well under Kafka's 1 MB message limit; a capped entry is marked `truncated`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from radar_feed_watcher.htmltext import cap, cap_html, html_to_text, sanitize_html, strip_controls
from radar_feed_watcher.identity import article_id, canonical_url, entry_key, story_id
from radar_shared.language_codes import bare_language
from radar_shared.netpolicy import URLRefusedError, check_url_syntax


class FeedParseError(Exception):
    """The body is not a feed. The message names the feed."""


@dataclass(frozen=True)
class EntryLimits:
    """Caps, in characters, of what one entry may carry (FEED_WATCHER_MAX_*_CHARS)."""

    title: int = 1_000
    summary: int = 50_000
    text: int = 100_000


@dataclass(frozen=True)
class ParsedEntry:
    entry_key: str
    article_id: str
    story_id: str
    url: str
    title: str
    summary_html: str
    text: str
    lang: str | None
    published_at: datetime | None
    truncated: bool = False


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: list[ParsedEntry]
    ttl_minutes: int | None = None
    warnings: list[str] = field(default_factory=list)
    item_digests: list[str] = field(default_factory=list)  # every item of the body, parsed or skipped
    skipped_items: int = 0
    encoding: str | None = None  # as declared, or as detected (then with " (detected)")

    @property
    def truncated_entries(self) -> int:
        return sum(e.truncated for e in self.entries)


@dataclass(frozen=True)
class UnusableDate:
    """A date that an entry gives but no datetime can hold once it is in UTC (`9999-12-31T23:59:59-12:00` is in
    year 10000, `0001-01-01T00:00:00+05:00` in year 0): the entry is kept without a date, with a warning."""

    raw: str


def first_date(dates: Iterable[datetime | UnusableDate | None]) -> datetime | UnusableDate | None:
    """The first usable date (published before updated), else the first unusable one, else None."""
    given = [d for d in dates if d is not None]
    return next((d for d in given if isinstance(d, datetime)), given[0] if given else None)


def make_entry(
    feed_url: str, limits: EntryLimits, guid: str | None, link: str, raw_title: str, raw_html: str, lang: str | None,
    published_at: datetime | UnusableDate | None, reused_guid: bool, warnings: list[str],
) -> ParsedEntry | None:
    """One entry, bounded and storable, from its raw fields (RSS, Atom or JSON Feed alike); None when it is empty.
    A link that cannot be an article's address, or a date out of range, is dropped with a warning: the entry is
    kept, as one without a link or a date (one bad item never fails its feed)."""
    title = strip_controls(html_to_text(strip_controls(raw_title or "")).replace("\n", " ").strip())
    html = strip_controls(sanitize_html(strip_controls(raw_html)))
    text = strip_controls(html_to_text(html))
    link = strip_controls(link or "").strip()
    if link:
        try:
            check_url_syntax(link)  # the address rules of feeds and pages: http(s), a host, a valid port
        except URLRefusedError as error:
            warnings.append(f"feed {feed_url}: entry {title[:80]!r}: link {link[:200]!r} refused ({error.reason}); kept without a link")
            link = ""
    if isinstance(published_at, UnusableDate):
        warnings.append(f"feed {feed_url}: entry {title[:80]!r}: date {strip_controls(published_at.raw)[:80]!r} is out of range; kept without a date")
        published_at = None
    key = entry_key(guid, link, title, text, reused_guid)
    if link:
        canonical = canonical_url(link)
        aid = article_id(link)
    else:
        canonical = f"{canonical_url(feed_url)}#{key}"
        aid = key
    if not title and not text and not link:
        return None
    # the declared language only: undeclared ones are left to the classifier, which identifies them among the
    # languages it has lexicons for (a guess from the script here called every Cyrillic text Russian)
    lang = bare_language(lang)
    title, title_cut = cap(title or canonical, limits.title)
    html, html_cut = cap_html(html, limits.summary)
    text, text_cut = cap(text, limits.text)
    return ParsedEntry(
        entry_key=key,
        article_id=aid,
        story_id=story_id(canonical),
        url=canonical if link else "",
        title=title,
        summary_html=html,
        text=text,
        lang=lang,
        published_at=published_at,
        truncated=title_cut or html_cut or text_cut,
    )


def reused_guids(guids: list[str]) -> set[str]:
    return {g for g in guids if g and guids.count(g) > 1}
