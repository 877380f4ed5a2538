"""Feed parsing (pure): bytes in, entries with sanitised HTML and separately extracted plain text out.

feedparser is always handed bytes, never a URL. Its own HTML sanitiser is off: nh3 (the Rust ammonia library)
sanitises the HTML instead, to the same allow-list idea at a fraction of the cost (a 150 KB feed parses in
~47 ms instead of ~70 ms), and only http, https and mailto links survive.
"""

import calendar
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import charset_normalizer
import feedparser
import nh3

from radar_feed_watcher.identity import article_id, canonical_url, entry_key, story_id


class FeedParseError(Exception):
    """The body is not a feed. The message names the feed."""


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


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: list[ParsedEntry]
    ttl_minutes: int | None = None
    warnings: list[str] = field(default_factory=list)
    item_digests: list[str] = field(default_factory=list)  # every item of the body, parsed or skipped
    skipped_items: int = 0


_ITEM = re.compile(rb"<(item|entry)[\s>].*?</\1\s*>", re.S)
MAX_ITEM_DIGESTS = 500


def item_digest(chunk: bytes) -> str:
    return hashlib.blake2b(chunk, digest_size=8).hexdigest()


def without_known_items(body: bytes, known: frozenset[str]) -> tuple[bytes, list[str], int]:
    """The body with the items seen unchanged last time left out, all item digests, and how many were left out.

    A changed feed usually adds one item to dozens it served before: feedparser then reads the channel and the
    new item instead of the whole 150 KB. A body whose items cannot be delimited is returned whole.
    """
    matches = list(_ITEM.finditer(body))
    if not matches:
        return body, [], 0
    digests = [item_digest(m.group(0)) for m in matches]
    if not known:
        return body, digests, 0
    kept = [m.group(0) for m, d in zip(matches, digests, strict=True) if d not in known]
    skipped = len(matches) - len(kept)
    if not skipped:
        return body, digests, 0
    reduced = body[: matches[0].start()] + b"\n".join(kept) + body[matches[-1].end() :]
    return reduced, digests, skipped


_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "section", "article", "figcaption"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: scripts and styles dropped, blocks become paragraphs."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts)
    lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def guess_lang(declared: str | None, text: str) -> str | None:
    """The declared language (`ko-KR` → `ko`), else a guess from the script for Hangul and Cyrillic."""
    if declared:
        return declared.split("-")[0].split("_")[0].lower() or None
    sample = text[:2000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return None
    hangul = sum("\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff" for c in letters)
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in letters)
    if hangul / len(letters) > 0.3:
        return "ko"
    if cyrillic / len(letters) > 0.3:
        return "ru"
    return None


def _when(entry: dict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    """Safe HTML: no scripts, styles, event handlers or javascript: links; links get rel=noopener noreferrer."""
    return nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow")


def _best_html(entry: dict) -> str:
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    summary = entry.get("summary", "") or ""
    return max([summary, *contents], key=len)


_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>", re.S)
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=", re.S)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def normalise_encoding(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """UTF-8 bytes for a feed that declares no encoding and is not UTF-8 (EUC-KR, windows-1255, …).

    A declared encoding (BOM, HTTP charset, XML declaration) is left to feedparser. Otherwise the encoding
    is detected (charset-normalizer) and the body is re-encoded as UTF-8. Returns the body and the
    detected encoding, or None when nothing was changed.
    """
    if body.startswith(_BOMS) or (content_type and "charset=" in content_type.lower()) or _DECLARED.match(body[:512]):
        return body, None
    try:
        body.decode("utf-8")
        return body, None
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return body, None
    text = body.decode(best.encoding, errors="replace")
    return _XML_DECL.sub(b"", text.encode("utf-8"), count=1), best.encoding


def parse_feed(body: bytes, feed_url: str, content_type: str | None = None, known_items: frozenset[str] = frozenset()) -> ParsedFeed:
    """Parse a feed body, leaving out the items in `known_items` (digests from the last parse).

    Raises FeedParseError when nothing feed-like can be read from it.
    """
    body, detected = normalise_encoding(body, content_type)
    body, digests, skipped = without_known_items(body, known_items)
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=True)
    entries = parsed.get("entries", [])
    version = parsed.get("version", "")
    if not entries and not version and not skipped:
        reason = parsed.get("bozo_exception") or "no feed elements found"
        raise FeedParseError(f"feed {feed_url}: not a feed: {reason}")
    warnings = [f"feed {feed_url}: {parsed.bozo_exception}"] if parsed.get("bozo") else []
    if detected:
        warnings.append(f"feed {feed_url}: no encoding declared; detected {detected}")
    feed_lang = parsed.feed.get("language")
    host = urlsplit(feed_url).hostname or ""
    result: list[ParsedEntry] = []
    guids = [(e.get("id") or "").strip() for e in entries]
    reused = {g for g in guids if g and guids.count(g) > 1}
    for entry in entries:
        title = html_to_text(entry.get("title", "") or "").replace("\n", " ").strip()
        html = sanitize_html(_best_html(entry))
        text = html_to_text(html)
        link = entry.get("link") or ""
        key = entry_key(entry.get("id"), link, title, text, (entry.get("id") or "").strip() in reused)
        if link:
            canonical = canonical_url(link)
            aid = article_id(link)
        else:
            canonical = f"{canonical_url(feed_url)}#{key}"
            aid = key
        if not title and not text and not link:
            continue
        result.append(
            ParsedEntry(
                entry_key=key,
                article_id=aid,
                story_id=story_id(canonical),
                url=canonical if link else "",
                title=title or canonical,
                summary_html=html,
                text=text,
                lang=guess_lang(entry.get("language") or feed_lang, f"{title}\n{text}"),
                published_at=_when(entry),
            )
        )
    ttl = parsed.feed.get("ttl")
    return ParsedFeed(
        title=parsed.feed.get("title", "") or host,
        entries=result,
        ttl_minutes=int(ttl) if str(ttl or "").isdigit() else None,
        warnings=warnings,
        item_digests=digests[:MAX_ITEM_DIGESTS],
        skipped_items=skipped,
    )
