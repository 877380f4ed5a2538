"""A user's alerts as an Atom feed (pure), for their feed reader: RFC 4287, built with ElementTree so that every
title, snippet and link is escaped.

Each entry is one delivery: the article's title and link, when Radar matched it, and the tags with their score
and evidence sentences (the matched terms in <mark>), as HTML content.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from radar_api.highlight import highlight

ATOM = "http://www.w3.org/2005/Atom"


def _when(value: datetime | None) -> str:
    when = value or datetime.now(UTC)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(alert: dict[str, Any]) -> str:
    parts = []
    for tag in alert.get("tags", []):
        parts.append(f"<p><strong>{escape(str(tag.get('tag', '')))}</strong> score {float(tag.get('score', 0)):.2f}</p>")
        parts += [f"<blockquote>{highlight(s)}</blockquote>" for s in tag.get("snippets", [])[:3]]
    return "".join(parts)


def render_alerts_atom(deliveries: Iterable[Any], user_name: str, self_url: str) -> bytes:
    """The Atom document of a user's deliveries (newest first, as given)."""
    rows = list(deliveries)
    feed = Element("feed", xmlns=ATOM)
    SubElement(feed, "id").text = f"urn:radar:alerts:{user_name}"
    SubElement(feed, "title").text = f"Radar alerts for {user_name}"
    SubElement(feed, "updated").text = _when(max((r.sent_at or r.created_at for r in rows), default=None))
    SubElement(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    SubElement(SubElement(feed, "author"), "name").text = "Radar"
    for row in rows:
        alert = row.alert or {}
        article = alert.get("article", {})
        entry = SubElement(feed, "entry")
        SubElement(entry, "id").text = f"urn:radar:delivery:{row.id}"
        SubElement(entry, "title").text = row.title or str(article.get("title", "")) or f"alert {row.id}"
        url = str(article.get("url", ""))
        if url.startswith(("http://", "https://")):
            SubElement(entry, "link", rel="alternate", href=url)
        SubElement(entry, "updated").text = _when(row.sent_at or row.created_at)
        if article.get("published_at"):
            SubElement(entry, "published").text = str(article["published_at"])
        for tag in row.tags:
            SubElement(entry, "category", term=tag)
        if article.get("source"):
            SubElement(SubElement(entry, "source"), "title").text = str(article["source"])
        SubElement(entry, "content", type="html").text = _content(alert)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(feed, encoding="utf-8")
