"""classify(): the one function that tags an article, used by the service and by `radar classify`; classify_event
turns an ArticleDiscovered into the ArticleClassified to publish (or nothing), and apply_watches swaps in new watches."""

import logging
from urllib.parse import urlsplit

from radar_classifier.language import identify_language
from radar_classifier.lexicon import load_lexicon
from radar_classifier.matcher import IndexedWatch, WatchMatcher
from radar_classifier.query import Article as QueryArticle
from radar_classifier.query import parse_query
from radar_classifier.rules import MAX_SNIPPETS, TopicRules, classifier_version, load_topics, score_topic
from radar_classifier.termindex import TermIndex
from radar_classifier.text import Document
from radar_classifier.watchlist import Entity, WatchlistMatcher
from radar_shared.messages import ArticleClassified, ArticleDiscovered, Match, Snippet, Span, Tag

log = logging.getLogger("radar.classifier")

CompiledWatch = IndexedWatch


def compile_watches(rows: list[tuple[int, str]]) -> tuple[list[CompiledWatch], list[tuple[int, str]]]:
    """Compile (id, query) pairs; return the compiled ones and (id, error) for invalid ones."""
    compiled, errors = [], []
    for watch_id, query in rows:
        try:
            compiled.append(CompiledWatch(watch_id, query, parse_query(query)))
        except ValueError as error:
            errors.append((watch_id, str(error)))
    return compiled, errors


# Evidence objects are built by their constructors, which validate in pydantic-core: for these small models
# that is about twice as fast as model_construct, whose field loop runs in Python (pydantic 2.14: a Span 1.3
# against 2.4 µs), and an out-of-range value fails here rather than in a consumer.
def _watch_tag(doc: Document, watch: CompiledWatch, hits: list[tuple[int, int, str]]) -> Tag:
    matched: dict[str, Match] = {}
    by_sentence: dict[int, list[tuple[int, int]]] = {}
    for i, j, source in hits:
        surface = doc.surface(i, j)
        key = surface.casefold()
        if key not in matched:  # the first surface of each term, built once
            matched[key] = Match(term=surface, group=source, rule=f"watch:{watch.id}")
        by_sentence.setdefault(doc.sentence_of[i], []).append(doc.span(i, j))
    snippets = []
    for s in sorted(by_sentence)[:MAX_SNIPPETS]:
        sentence = doc.sentences[s]
        spans = sorted(set(by_sentence[s]))
        snippets.append(Snippet(text=doc.text[sentence.start : sentence.end], highlights=[Span(start=a - sentence.start, end=b - sentence.start) for a, b in spans]))
    return Tag(tag=f"watch:{watch.id}", kind="watch", score=1.0, matched=list(matched.values()), snippets=snippets)


class Classifier:
    """Built-in topics plus the users' watches, the latter through one compiled matcher."""

    def __init__(
        self, topics: list[TopicRules], watches: list[CompiledWatch], watchlist: list[Entity] | None = None,
        languages: tuple[str, ...] = ("en",), max_chars: int = 100_000,
    ) -> None:
        self.topics = topics
        self.languages = languages
        self.max_chars = max_chars
        self.watches = watches
        self.watchlist = watchlist or []

    @property
    def watchlist(self) -> list[Entity]:
        return self._watchlist.entities

    @watchlist.setter
    def watchlist(self, entities: list[Entity]) -> None:
        self._watchlist = WatchlistMatcher(entities)

    @property
    def watches(self) -> list[CompiledWatch]:
        return self._matcher.watches

    @watches.setter
    def watches(self, watches: list[CompiledWatch]) -> None:
        self._matcher = WatchMatcher(watches)
        # One index of every term, topics' and watches': each article is scanned once.
        self._index = TermIndex([t for rules in self.topics for t in rules.all_terms()] + self._matcher.terms)

    @classmethod
    def default(cls, watches: list[CompiledWatch] | None = None, watchlist: list[Entity] | None = None, max_chars: int = 100_000) -> "Classifier":
        lexicon = load_lexicon()
        return cls(load_topics(lexicon=lexicon), watches or [], watchlist, lexicon.languages, max_chars)

    @property
    def version(self) -> str:
        return classifier_version(self.topics)

    def classify(self, title: str, text: str, url: str = "", lang: str | None = None, source: str = "") -> list[Tag]:
        """Tags for one article: built-in topics first, then watches, each with its evidence.

        `lang` is the feed's word for the language; without it the language is identified from the text.
        """
        doc = Document(title, text, identify_language(title, text, lang, self.languages), self.max_chars)
        found = self._index.occurrences(doc)
        tags = [tag for rules in self.topics if (tag := score_topic(doc, rules, found)) is not None]
        site = (source or urlsplit(url).hostname or "").lower().removeprefix("www.")
        for watch, hits in self._matcher.match(QueryArticle(doc, site, doc.lang), found):
            tags.append(_watch_tag(doc, watch, hits))
        if self._watchlist.entities:
            tags += self._watchlist.match(doc)
        return tags


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
