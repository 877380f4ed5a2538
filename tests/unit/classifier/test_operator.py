"""The classifier's face (radar_classifier.operator): what the control plane runs of the classifier."""

import pytest

from radar_classifier import operator
from radar_shared.db import session_scope
from radar_shared.messages import Article
from radar_shared.models import Watch

TEXT = "The tanker Sky Morning was seen transferring oil at sea."


def article(text: str) -> Article:
    return Article(article_id="a1", story_id="a1", feed_id=0, feed_url="", entry_key="", url="https://example.org/a1", title="Report", text=text)


def test_the_stored_classifier_runs_the_stored_watches(sqlite_url: str) -> None:
    with session_scope(sqlite_url) as s:
        s.add(Watch(query='"Sky Morning"', name="tanker"))
    tags = operator.stored_classifier(sqlite_url).classify("Report", TEXT, "https://example.org/a1", "en")
    assert "watch:1" in {t.tag for t in tags}


def test_without_a_database_the_built_in_topics_remain(tmp_path) -> None:  # type: ignore[no-untyped-def]
    classifier = operator.stored_classifier(f"sqlite:///{tmp_path / 'missing' / 'none.db'}")
    assert classifier.watches == [] and {t.topic for t in classifier.topics} == set(operator.topic_names())


def test_a_watch_test_shows_what_matched_and_an_invalid_query_is_refused() -> None:
    [match] = operator.match_query('"Sky Morning"', [article(TEXT), article("Nothing here.")])
    assert match["matched"] == ["Sky Morning"] and "Sky Morning" in match["snippets"][0]
    with pytest.raises(operator.QuerySyntaxError):
        operator.match_query('"Sky Morning', [])
