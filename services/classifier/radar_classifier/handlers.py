"""The classifier's handler logic: an ArticleDiscovered in, an ArticleClassified (or nothing) out."""

import logging

from radar_classifier.classify import Classifier, compile_watches
from radar_shared.messages import ArticleClassified, ArticleDiscovered

log = logging.getLogger("radar.classifier")


def classify_event(classifier: Classifier, event: ArticleDiscovered) -> ArticleClassified | None:
    a = event.article
    tags = classifier.classify(a.title, a.text, a.url, a.lang, a.source)
    if not tags:
        return None
    return ArticleClassified(article=a, tags=tags, classifier_version=classifier.version, discovered_at=event.occurred_at)


def apply_watches(classifier: Classifier, rows: list[tuple[int, str]]) -> None:
    """Swap in freshly compiled watches; an invalid stored query is logged and skipped, never fatal."""
    compiled, errors = compile_watches(rows)
    for watch_id, error in errors:
        log.error("watch query is invalid; skipped", extra={"watch_id": watch_id, "error": error})
    classifier.watches = compiled
