"""A user's alerts as an Atom feed (pure), for their feed reader: RFC 4287, built with ElementTree so that every
title, snippet and link is escaped, and stripped of the characters XML 1.0 forbids (a feed's U+FFFE or a stored
lone surrogate would otherwise make the whole document unreadable to every reader).

Each entry is one delivery: the article's title and link, when Radar matched it, and the tags with their score
and evidence sentences (the matched terms in <mark>), as HTML content.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from radar_api.highlight import highlight
from radar_api.service import alert_record
from radar_shared.messages import AlertRecord
from radar_shared.xml_chars import xml_safe_tree

ATOM = "http://www.w3.org/2005/Atom"


def _when(value: datetime | None) -> str:
    when = value or datetime.now(UTC)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(alert: AlertRecord | None) -> str:
    parts = []
    for tag in alert.tags if alert else []:
        parts.append(f"<p><strong>{escape(tag.tag)}</strong> score {tag.score:.2f}</p>")
        parts += [f"<blockquote>{highlight(s)}</blockquote>" for s in tag.snippets[:3]]
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
        alert = alert_record(row)
        article = alert.article if alert else None
        entry = SubElement(feed, "entry")
        SubElement(entry, "id").text = f"urn:radar:delivery:{row.id}"
        SubElement(entry, "title").text = row.title or (article.title if article else "") or f"alert {row.id}"
        if article and article.url.startswith(("http://", "https://")):
            SubElement(entry, "link", rel="alternate", href=article.url)
        SubElement(entry, "updated").text = _when(row.sent_at or row.created_at)
        if article and article.published_at:
            SubElement(entry, "published").text = _when(article.published_at)
        for tag in row.tags:
            SubElement(entry, "category", term=tag)
        if article and article.source:
            SubElement(SubElement(entry, "source"), "title").text = article.source
        SubElement(entry, "content", type="html").text = _content(alert)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(xml_safe_tree(feed), encoding="utf-8")
