"""The classifier's face to the control plane: classify text with the built-in topics and the stored watches,
evaluate a labelled corpus, check a watch query and test it on articles, and read watchlist files. The control
plane imports nothing else from this service, so what it runs is the classifier's own code, never a copy.
"""

from pathlib import Path

from radar_classifier.classify import Classifier, compile_watches
from radar_classifier.evaluate import (
    CorpusError,
    EntityReport,
    Report,
    entity_items,
    evaluate,
    evaluate_entities,
    read_corpus,
    read_entity_labels,
    split_for,
    split_holdout,
)
from radar_classifier.listformats import ListRead, read_list
from radar_classifier.query import QuerySyntaxError, parse_query
from radar_classifier.rules import load_topics
from radar_classifier.watchlist import Entity, WatchlistError, parse_ofac_sdn, parse_opensanctions
from radar_shared.messages import Article

__all__ = [
    "SAMPLE_WATCHLIST", "Classifier", "CorpusError", "Entity", "EntityReport", "ListRead", "QuerySyntaxError",
    "Report", "WatchlistError", "classifier_for", "entity_items", "evaluate", "evaluate_entities", "load_topics",
    "match_query", "parse_ofac_sdn", "parse_opensanctions", "parse_query", "read_corpus", "read_entity_labels",
    "read_list", "split_for", "split_holdout", "stored_classifier", "topic_names",
]

SAMPLE_WATCHLIST = Path(__file__).parent / "watchlists" / "sample-dprk.csv"
TEST_WATCH_ID = 0


def topic_names() -> list[str]:
    """The built-in topics a subscription may name."""
    return [t.topic for t in load_topics()]


def classifier_for(watches: list[tuple[int, str]] | None = None, entities: list[Entity] | None = None) -> Classifier:
    """The built-in topics, plus watches given as (id, query) and watchlist entities."""
    return Classifier.default(compile_watches(watches or [])[0], entities or [])


def stored_classifier(database_url: str) -> Classifier:
    """The classifier the service would run: the built-in topics and the stored watches and watchlists, or the
    built-in topics alone when the database cannot be read (`radar classify` without a database)."""
    try:
        from radar_classifier.store import load_watches, load_watchlists  # the database layer, only when there is one to read

        rows, entities = load_watches(database_url), load_watchlists(database_url)
    except Exception:  # noqa: BLE001 - no database here: built-in topics only
        rows, entities = [], []
    return classifier_for(rows, entities)


def match_query(query: str, articles: list[Article]) -> list[dict[str, object]]:
    """Which of `articles` the watch `query` matches, and why (terms, snippets), through the classifier's own
    matcher; QuerySyntaxError (with the position) for an invalid query."""
    parse_query(query)
    classifier = Classifier([], compile_watches([(TEST_WATCH_ID, query)])[0])
    out: list[dict[str, object]] = []
    for a in articles:
        for tag in classifier.classify(a.title, a.text, a.url, a.lang, a.source):
            out.append({"id": a.article_id, "title": a.title, "url": a.url, "matched": sorted({m.term for m in tag.matched}), "snippets": [s.marked for s in tag.snippets]})
    return out
