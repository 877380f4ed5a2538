"""Text from a feed's HTML (pure): sanitised HTML, plain text, control characters removed, caps that keep HTML whole.

Whatever a feed sends, what leaves here is storable: control characters (NUL, which PostgreSQL text columns reject,
and the rest of C0/C1) and the characters XML 1.0 forbids (U+FFFE, U+FFFF, lone surrogates) are removed. nh3 (the
Rust ammonia library) sanitises HTML to an allow-list, and only http, https and mailto links survive.
"""

import re
from html.parser import HTMLParser

import nh3

from radar_shared.xml_chars import XML_FORBIDDEN_CHARS

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


# What XML 1.0 forbids (C0 controls except tab, newline and carriage return; lone surrogates, which are not
# encodable; U+FFFE and U+FFFF), and DEL and the C1 controls.
_CONTROL = re.compile(f"[{XML_FORBIDDEN_CHARS}\x7f-\x9f]")


def strip_controls(value: str) -> str:
    """The string without control characters and XML 1.0's forbidden ones: PostgreSQL rejects NUL in text, an Atom
    feed or OPML export with U+FFFE or a lone surrogate is not XML, and none of them is ever content."""
    return _CONTROL.sub("", value)


def cap(value: str, limit: int) -> tuple[str, bool]:
    """The first `limit` characters of `value`, and whether anything was cut."""
    if len(value) <= limit:
        return value, False
    return value[:limit].rstrip(), True


def cap_html(html: str, limit: int) -> tuple[str, bool]:
    """Sanitised HTML of at most `limit` characters: cut, then sanitised again, which closes what the cut left open."""
    if len(html) <= limit:
        return html, False
    cut = html[:limit]
    while len(cut) > 0:
        cleaned = sanitize_html(cut)
        if len(cleaned) <= limit:
            return cleaned, True
        cut = cut[: len(cut) - max(len(cleaned) - limit, 64)]
    return "", True


_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    """Safe HTML: no scripts, styles, event handlers or javascript: links; links get rel=noopener noreferrer."""
    return nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow")
