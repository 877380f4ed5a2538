"""OPML import and export (pure). Parsed with defusedxml: an OPML file is untrusted XML. Written without the
characters XML 1.0 forbids (a feed title's control character would make the export unreadable)."""

from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from radar_shared.xml_chars import xml_safe_tree


class OPMLError(ValueError):
    """The file is not usable OPML. The message names the file."""


@dataclass(frozen=True)
class OPMLFeed:
    url: str
    title: str


def parse_opml(data: bytes, name: str = "OPML file") -> list[OPMLFeed]:
    if len(data) > 5_000_000:
        raise OPMLError(f"{name}: larger than 5 MB")
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as error:
        raise OPMLError(f"{name}: refused unsafe XML ({type(error).__name__})") from None
    except SafeET.ParseError as error:
        raise OPMLError(f"{name}: not well-formed XML: {error}") from None
    if root.tag != "opml":
        raise OPMLError(f"{name}: the root element is <{root.tag}>, not <opml>")
    feeds, seen = [], set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if url and url not in seen:
            seen.add(url)
            feeds.append(OPMLFeed(url, (outline.get("title") or outline.get("text") or "").strip()))
    return feeds


def render_opml(feeds: list[OPMLFeed], title: str = "Radar feeds") -> bytes:
    opml = Element("opml", version="2.0")
    SubElement(SubElement(opml, "head"), "title").text = title
    body = SubElement(opml, "body")
    for feed in feeds:
        SubElement(body, "outline", type="rss", text=feed.title or feed.url, title=feed.title or feed.url, xmlUrl=feed.url)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(xml_safe_tree(opml), encoding="utf-8")
