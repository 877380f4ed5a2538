"""classify(): the one function that tags an article, used by the service and by `radar classify`."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from radar_classifier.query import Article as QueryArticle
from radar_classifier.query import Node, evaluate, parse_query
from radar_classifier.rules import MAX_SNIPPETS, TopicRules, classifier_version, load_topics, score_topic
from radar_classifier.text import Document
from radar_shared.messages import Match, Snippet, Span, Tag


@dataclass(frozen=True)
class CompiledWatch:
    id: int
    query: str
    node: Node


def compile_watches(rows: list[tuple[int, str]]) -> tuple[list[CompiledWatch], list[tuple[int, str]]]:
    """Compile (id, query) pairs; return the compiled ones and (id, error) for invalid ones."""
    compiled, errors = [], []
    for watch_id, query in rows:
        try:
            compiled.append(CompiledWatch(watch_id, query, parse_query(query)))
        except ValueError as error:
            errors.append((watch_id, str(error)))
    return compiled, errors


def _watch_tag(doc: Document, watch: CompiledWatch, hits: list[tuple[int, int, str]]) -> Tag:
    matched: dict[str, Match] = {}
    by_sentence: dict[int, list[tuple[int, int]]] = {}
    for i, j, source in hits:
        surface = doc.surface(i, j)
        matched.setdefault(surface.casefold(), Match(term=surface, group=source, rule=f"watch:{watch.id}"))
        by_sentence.setdefault(doc.tokens[i].sentence, []).append(doc.span(i, j))
    snippets = []
    for s in sorted(by_sentence)[:MAX_SNIPPETS]:
        sentence = doc.sentences[s]
        spans = sorted(set(by_sentence[s]))
        snippets.append(Snippet(text=doc.text[sentence.start : sentence.end], highlights=[Span(start=a - sentence.start, end=b - sentence.start) for a, b in spans]))
    return Tag(tag=f"watch:{watch.id}", kind="watch", score=1.0, matched=list(matched.values()), snippets=snippets)


@dataclass
class Classifier:
    topics: list[TopicRules]
    watches: list[CompiledWatch]

    @classmethod
    def default(cls, watches: list[CompiledWatch] | None = None) -> "Classifier":
        return cls(load_topics(), watches or [])

    @property
    def version(self) -> str:
        return classifier_version(self.topics)

    def classify(self, title: str, text: str, url: str = "", lang: str | None = None, source: str = "") -> list[Tag]:
        """Tags for one article: built-in topics first, then watches, each with its evidence."""
        doc = Document(title, text)
        tags = [tag for rules in self.topics if (tag := score_topic(doc, rules)) is not None]
        site = (source or urlsplit(url).hostname or "").lower().removeprefix("www.")
        article = QueryArticle(doc, site, lang)
        for watch in self.watches:
            hits: list[tuple[int, int, str]] = []
            if evaluate(watch.node, article, hits):
                tags.append(_watch_tag(doc, watch, hits))
        return tags
