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


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("North Korea sanctions", [(0, 11)], "[North Korea] sanctions"),
        ("a <b> c", [(2, 5)], "a [&lt;b&gt;] c"),  # the match is escaped too, the marks are not
        ("one two three", [(8, 13), (0, 3)], "[one] two [three]"),  # ranges in any order
        ("overlapping", [(0, 4), (2, 6)], "[over]lapping"),  # a range that overlaps an earlier one is left out
        ("short", [(0, 2), (3, 40)], "[sh]ort"),  # a range beyond the text is left out
        ("no match", [], "no match"),
    ],
)
def test_one_highlighter_marks_matches_and_escapes_the_rest(text: str, spans: list[tuple[int, int]], expected: str) -> None:
    snippet = Snippet(text=text, highlights=[Span(start=s, end=e) for s, e in spans])
    escape = lambda t: t.replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    assert snippet.mark("[", "]", escape) == expected
    assert snippet.marked == expected.replace("[", "«").replace("]", "»").replace("&lt;", "<").replace("&gt;", ">")
