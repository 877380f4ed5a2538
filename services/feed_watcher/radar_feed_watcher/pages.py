"""The main text of an article page (pure): trafilatura, made for the job, drops navigation, boilerplate,
comments and ads. Runs in the parser workers, under their CPU limit (parser_pool.py)."""

import trafilatura

from radar_feed_watcher.htmltext import strip_controls


class PageExtractError(Exception):
    """No main text could be extracted. The message names the page."""


def extract_main_text(html: bytes, url: str, max_chars: int) -> str:
    """The page's main text, paragraphs separated by newlines, at most `max_chars` characters."""
    try:
        text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False, favor_precision=True, deduplicate=True)
    except (ValueError, TypeError) as error:  # trafilatura's own parse errors on broken input
        raise PageExtractError(f"page {url}: cannot extract the main text: {error}") from None
    text = strip_controls(text or "").strip()
    if not text:
        raise PageExtractError(f"page {url}: no main text found")
    return text[:max_chars].rstrip()
