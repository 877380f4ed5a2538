"""One compiled matcher for all watches (pure): the cost per article does not grow with the number of watches.

Every distinct term of every watch goes into one word-level trie (termindex.py). One pass over the article's
tokens finds every term occurrence. Only the watches one of whose required terms occurred are then evaluated,
on those occurrences (no search per watch).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from radar_classifier.query import And, Article, Near, Node, Not, Or, TermNode, evaluate
from radar_classifier.termindex import TermIndex
from radar_classifier.text import Document, Term


@dataclass(frozen=True)
class IndexedWatch:
    id: int
    query: str
    node: Node


def _terms(node: Node, positive: bool = True) -> Iterable[tuple[Term, bool]]:
    if isinstance(node, TermNode):
        yield node.term, positive
    elif isinstance(node, Near):
        yield node.left.term, positive
        yield node.right.term, positive
    elif isinstance(node, Not):
        yield from _terms(node.node, not positive)
    elif isinstance(node, And | Or):
        for child in node.nodes:
            yield from _terms(child, positive)


def requires_a_term(node: Node) -> bool:
    """Whether the query can only match when one of its positive terms occurs."""
    if isinstance(node, TermNode | Near):
        return True
    if isinstance(node, And):
        return any(requires_a_term(n) for n in node.nodes)
    if isinstance(node, Or):
        return all(requires_a_term(n) for n in node.nodes)
    return False  # Not, Site, Lang


class WatchMatcher:
    def __init__(self, watches: Iterable[IndexedWatch]) -> None:
        self.watches = list(watches)
        self._watches_of: defaultdict[Term, list[int]] = defaultdict(list)
        self._always: list[int] = []
        every: list[Term] = []
        for position, watch in enumerate(self.watches):
            terms = list(_terms(watch.node))
            every += [t for t, _ in terms]
            if requires_a_term(watch.node):
                for term in {t for t, positive in terms if positive}:
                    self._watches_of[term].append(position)
            else:
                self._always.append(position)
        self.terms = every
        self._index: TermIndex | None = None  # built when first asked for: the classifier passes what its own index found

    def occurrences(self, doc: Document) -> dict[Term, list[tuple[int, int]]]:
        if self._index is None:
            self._index = TermIndex(self.terms)
        return self._index.occurrences(doc)

    def match(self, article: Article, found: dict[Term, list[tuple[int, int]]] | None = None) -> list[tuple[IndexedWatch, list[tuple[int, int, str]]]]:
        """The watches the article matches, each with its positive evidence (token ranges and terms).

        `found`: term occurrences already found by a combined index that includes these watches' terms.
        """
        if not self.watches:
            return []
        found = self.occurrences(article.doc) if found is None else found
        positions = set(self._always)
        for term in found:
            positions.update(self._watches_of.get(term, ()))
        out = []
        for position in sorted(positions):
            watch = self.watches[position]
            hits: list[tuple[int, int, str]] = []
            if evaluate(watch.node, article, hits, found):
                out.append((watch, hits))
        return out
