import pydantic
import pytest

from radar_shared.messages import Article, ArticleClassified, ArticleDiscovered, Snippet, Span, Tag


def article() -> Article:
    return Article(article_id="a", story_id="s", feed_id=1, feed_url="f", entry_key="k", url="u", title="t")


def test_events_carry_identity_time_and_version() -> None:
    e = ArticleDiscovered(article=article())
    assert e.event_id and e.occurred_at.tzinfo is not None and e.schema_version == 1


@pytest.mark.parametrize("version", [0, 2, 99])
def test_an_unknown_schema_version_is_refused_not_read_as_v1(version: int) -> None:
    data = ArticleDiscovered(article=article()).model_dump(mode="json") | {"schema_version": version}
    with pytest.raises(pydantic.ValidationError, match=f"schema_version {version} is not supported: this service reads version 1"):
        ArticleDiscovered.model_validate(data)


def test_models_are_frozen_and_ignore_unknown_fields() -> None:
    e = ArticleDiscovered(article=article())
    with pytest.raises(pydantic.ValidationError):
        e.article = article()  # type: ignore[misc]
    data = e.model_dump(mode="json") | {"added_in_a_later_minor_version": 1}
    assert ArticleDiscovered.model_validate(data) == e


def test_round_trip_with_tags() -> None:
    tag = Tag(tag="dprk-sanctions", score=0.7, snippets=[Snippet(text="ab cd", highlights=[Span(start=3, end=5)])])
    e = ArticleClassified(article=article(), tags=[tag], classifier_version="rules:x@1", discovered_at=ArticleDiscovered(article=article()).occurred_at)
    again = ArticleClassified.model_validate_json(e.model_dump_json())
    assert again == e and again.tags[0].snippets[0].marked == "ab «cd»"


def test_score_is_bounded() -> None:
    with pytest.raises(pydantic.ValidationError, match="score"):
        Tag(tag="x", score=1.5)
