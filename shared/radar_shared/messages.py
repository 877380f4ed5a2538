"""Every Kafka payload, defined once, and the alert record the notifier keeps from one. Models are frozen and
ignore unknown fields.

A breaking change means a new `…v2` topic; adding an optional field does not. The same holds for AlertRecord,
which is stored as JSON in `delivery.alert`: rows written by an older notifier must still read.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

SCHEMA_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Event(_Frozen):
    """Fields that every event carries."""

    event_id: UUID = Field(default_factory=uuid4, description="Idempotency key of this event.")
    occurred_at: datetime = Field(default_factory=utcnow, description="When the event happened (UTC).")
    schema_version: int = SCHEMA_VERSION

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        """A version this code does not know is never read as version 1: the message is refused (a validation
        error, so the dead-letter middleware sends it to `<topic>.dlq` with this reason)."""
        if version != SCHEMA_VERSION:
            raise ValueError(f"schema_version {version} is not supported: this service reads version {SCHEMA_VERSION} "
                             "(a breaking change comes on a new …v2 topic)")
        return version


class Article(_Frozen):
    """An article as discovered in a feed. HTML is sanitised; `text` is the plain text used for classification."""

    article_id: str = Field(description="Stable hash of the canonical URL.")
    story_id: str = Field(description="Groups the same story seen through several feeds or URLs.")
    feed_id: int
    feed_url: str
    entry_key: str = Field(description="The entry's identity within its feed (GUID, link, or title+content).")
    url: str = Field(description="Canonical URL of the article.")
    title: str
    summary_html: str = Field("", description="Sanitised HTML summary from the feed.")
    text: str = Field("", description="Plain text (title excluded) used for classification.")
    lang: str | None = None
    source: str = Field("", description="The source's domain or feed title.")
    published_at: datetime | None = None
    truncated: bool = Field(False, description="The feed's title, summary or text was longer than the feed-watcher's caps and was cut.")
    summary: str = Field("", description="Plain text of the feed's summary; `text` holds the same unless it came from the article page.")
    text_source: Literal["feed", "page"] = Field("feed", description="Where `text` came from: the feed entry, or the article page's main text.")


class Span(_Frozen):
    start: int
    end: int


class Snippet(_Frozen):
    """A sentence that matched, with the matched character ranges."""

    text: str
    highlights: list[Span] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def marked(self) -> str:
        """The sentence with matches between « and »: for humans and logs; renderers use `highlights`."""
        return self.mark("«", "»")

    def mark(self, open_: str, close: str, escape: Callable[[str], str] = str) -> str:
        """The one highlighter of evidence: each match between `open_` and `close`, every piece of the sentence
        passed through `escape` (the renderers' HTML, Slack or Markdown escaping; the marks are not escaped).
        A range that overlaps an earlier one or lies beyond the text (a stored snippet edited since) is left out."""
        out, pos = [], 0
        for span in sorted(self.highlights, key=lambda s: s.start):
            if span.start < pos or span.end > len(self.text):
                continue
            out += [escape(self.text[pos : span.start]), open_, escape(self.text[span.start : span.end]), close]
            pos = span.end
        out.append(escape(self.text[pos:]))
        return "".join(str(piece) for piece in out)


class Match(_Frozen):
    """A term or entity that fired, and the rule or group it belongs to."""

    term: str = Field(description="The text as found in the article.")
    group: str = Field(description="The term group, watch or list entry it matched.")
    rule: str = Field("", description="The rule that fired.")
    entity_id: str = Field("", description="For a watchlist tag: the id of the list entry that matched (the tag names the list).")
    listed_name: str = Field("", description="For a watchlist tag: the entry's name or alias that matched, as listed.")


TagKind = Literal["topic", "watch", "watchlist"]


class Tag(_Frozen):
    tag: str = Field(description="`dprk-sanctions`, `russia-dprk-smuggling`, `watch:<id>` or `watchlist:<list>`.")
    kind: TagKind = "topic"
    score: float = Field(ge=0.0, le=1.0)
    matched: list[Match] = Field(default_factory=list)
    snippets: list[Snippet] = Field(default_factory=list)
    truncated_at: int | None = Field(
        None, description="Set when only the first this-many characters of the text were classified (the classifier's input cap)."
    )


class ArticleDiscovered(Event):
    """Topic `articles.discovered.v1`, key = article_id."""

    article: Article


class ArticleClassified(Event):
    """Topic `articles.classified.v1`, key = article_id. Published only when at least one tag fired."""

    article: Article
    tags: list[Tag]
    classifier_version: str
    discovered_at: datetime = Field(description="`occurred_at` of the ArticleDiscovered event, for end-to-end latency.")


class AlertDelivered(Event):
    """Topic `alerts.delivered.v1`, key = article_id."""

    delivery_id: int
    subscription_id: int
    article_id: str
    story_id: str
    channel: str = Field(description="The channel URL, masked.")
    tags: list[str]
    attempts: int
    discovered_at: datetime | None = None


class AlertFailed(Event):
    """Topic `alerts.failed.v1`, key = article_id."""

    delivery_id: int
    subscription_id: int
    article_id: str
    story_id: str
    channel: str = Field(description="The channel URL, masked.")
    error: str
    attempts: int
    permanent: bool = False


class Coverage(_Frozen):
    """A later report of a story that waits in a digest queue: another outlet's article."""

    article_id: str = ""
    source: str = ""
    title: str = ""
    url: str = ""


ALERT_COVERAGE_LIMIT = 20  # later reports kept per queued story


class AlertRecord(_Frozen):
    """What the notifier keeps to (re-)send one alert (`delivery.alert`, JSON): the article without its text
    (alerts show the evidence), the tags that its subscription follows, and the later coverage of the story."""

    article: Article
    tags: list[Tag]
    discovered_at: datetime | None = Field(None, description="When the article was discovered, for end-to-end latency.")
    coverage: list[Coverage] = Field(default_factory=list)

    @classmethod
    def of(cls, event: ArticleClassified, tags: list[Tag]) -> "AlertRecord":
        """The alert of `event` for a subscription that follows `tags` (no validation: the parts are models)."""
        article = event.article.model_copy(update={"text": "", "summary_html": ""})
        return cls.model_construct(article=article, tags=tags, discovered_at=event.discovered_at, coverage=[])

    def stored(self) -> dict:
        """The JSON that `delivery.alert` holds: the keys the notifier has always written."""
        return self.model_dump(mode="json", exclude={"article": {"text", "summary_html"}})

    def with_coverage(self, article: Article) -> "AlertRecord":
        """This alert with a later report of its story added (once per article, at most ALERT_COVERAGE_LIMIT)."""
        if article.article_id in {self.article.article_id, *(c.article_id for c in self.coverage)}:
            return self
        cover = Coverage(article_id=article.article_id, source=article.source, title=article.title, url=article.url)
        return self.model_copy(update={"coverage": [*self.coverage, cover][:ALERT_COVERAGE_LIMIT]})
