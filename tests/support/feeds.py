"""Builds RSS documents for tests."""

from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


def rss(items: list[dict], title: str = "Test feed") -> bytes:
    """items: dicts with title, text, link, optional guid and published (datetime)."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{escape(title)}</title><link>http://example.org/</link><description>t</description>']
    for it in items:
        published = format_datetime(it.get("published") or datetime.now(UTC))
        parts.append(
            f"<item><title>{escape(it['title'])}</title><link>{escape(it['link'])}</link>"
            f"<guid isPermaLink=\"false\">{escape(it.get('guid', it['link']))}</guid><pubDate>{published}</pubDate>"
            f"<description>{escape(it['text'])}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")
