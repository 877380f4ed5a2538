"""Deciding an article's story (pure): which earlier article it is a copy of, if any.

An article joins the story of an article seen in the last STORY_WINDOW whose fingerprint is near its own
(another outlet's copy of a wire story, the same article under another URL), or that is the same article;
failing that, the story of an article with the same long title (5 words or more) in the last TITLE_WINDOW
(a rewrite of one announcement); failing that, it starts its own story (the id derived from its canonical URL).
The store looks the candidates up by fingerprint band and title, and keeps each fingerprint for the articles
that follow.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from radar_feed_watcher.fingerprint import bands, is_near_duplicate, simhash, title_key

STORY_WINDOW = timedelta(days=7)
TITLE_WINDOW = timedelta(hours=36)


@dataclass(frozen=True)
class StoryPrint:
    """What an article is recognised by: its SimHash, the bands that find candidates, its long title's key."""

    simhash: int
    bands: tuple[int, ...]
    title_key: str | None

    @classmethod
    def of(cls, title: str, text: str) -> "StoryPrint":
        fp = simhash(title, text)
        return cls(fp, bands(fp), title_key(title))


@dataclass(frozen=True)
class SeenArticle:
    """An earlier article that shares a band with this one."""

    story_id: str
    article_id: str
    simhash: int


def near_duplicate_story(article_id: str, fingerprint: StoryPrint, candidates: Iterable[SeenArticle]) -> str | None:
    """The story of the first candidate (oldest first) that is this article or a near-duplicate of it."""
    return next((c.story_id for c in candidates if c.article_id == article_id or is_near_duplicate(c.simhash, fingerprint.simhash)), None)


def decide_story(near_duplicate: str | None, same_title: str | None, own: str) -> str:
    """A near-duplicate's story first, then that of the same long title, else the article's own."""
    return near_duplicate or same_title or own
