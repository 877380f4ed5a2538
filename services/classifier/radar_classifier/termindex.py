"""A word-level trie of terms (pure): all occurrences of many terms in one pass over a document's tokens.

From each token the trie is walked only as far as the following words match, so the cost per article depends
on the article, not on how many terms there are. Words that match as prefixes (`refin*`, Hangul) are kept in a
dict by prefix at the root and in a short list below it. A stemmed word is a key of the exact dict like any
other (`§de:lieferung`), looked up with the token's stem.
"""

from collections import defaultdict
from collections.abc import Iterable
from itertools import compress

from radar_classifier.text import Document, Term


class _Node:
    __slots__ = ("exact", "prefixes", "terms")

    def __init__(self) -> None:
        self.exact: dict[str, _Node] = {}
        self.prefixes: list[tuple[str, _Node]] = []
        self.terms: list[Term] = []

    def child(self, word: str, prefix: bool) -> "_Node":
        if not prefix:
            return self.exact.setdefault(word, _Node())
        for existing, node in self.prefixes:
            if existing == word:
                return node
        node = _Node()
        self.prefixes.append((word, node))
        return node


class TermIndex:
    def __init__(self, terms: Iterable[Term]) -> None:
        self._root = _Node()
        by_prefix: dict[str, _Node] = {}
        for term in dict.fromkeys(terms):
            first, first_prefix = term.words[0], term.prefix[0]
            node = by_prefix.setdefault(first, _Node()) if first_prefix else self._root.child(first, False)
            for word, prefix in zip(term.words[1:], term.prefix[1:], strict=True):
                node = node.child(word, prefix)
            node.terms.append(term)
        # Root prefixes by their first two characters (or one, for one-character prefixes): one look-up a token.
        self._prefix2: defaultdict[str, list[tuple[str, _Node]]] = defaultdict(list)
        self._prefix1: defaultdict[str, list[tuple[str, _Node]]] = defaultdict(list)
        for prefix, node in by_prefix.items():
            (self._prefix2 if len(prefix) >= 2 else self._prefix1)[prefix[:2]].append((prefix, node))
        # The root nodes a word starts, by word: news repeats its vocabulary, so most tokens cost one look-up.
        self._starts: dict[str, tuple[_Node, ...]] = {}

    def _root_nodes(self, norm: str) -> tuple[_Node, ...]:
        nodes = self._starts.get(norm)
        if nodes is None:
            found = [node for prefix, node in self._prefix2.get(norm[:2], ()) if norm.startswith(prefix)]
            found += [node for _prefix, node in self._prefix1.get(norm[:1], ())]
            node = self._root.exact.get(norm)
            if node is not None:
                found.append(node)
            nodes = tuple(found)
            if len(self._starts) >= 500_000:
                self._starts.clear()
            self._starts[norm] = nodes
        return nodes

    def occurrences(self, doc: Document) -> dict[Term, list[tuple[int, int]]]:
        found: defaultdict[Term, list[tuple[int, int]]] = defaultdict(list)
        norms, stems, sentence_of = doc.norms, doc.stems, doc.sentence_of
        count = len(norms)
        exact = self._root.exact
        # The root nodes of every token at once (dict look-ups mapped in C); a walk starts only where there are some.
        nodes_of = list(map(self._starts.get, norms))
        if None in nodes_of:
            nodes_of = [nodes if nodes is not None else self._root_nodes(norm) for nodes, norm in zip(nodes_of, norms, strict=True)]
        starts = set(compress(range(count), nodes_of))
        stem_nodes: list[_Node | None] = list(map(exact.get, stems)) if any(stems) else []
        if stem_nodes:
            starts.update(compress(range(count), stem_nodes))
        for i in sorted(starts):
            # A term is in one node, reached at most once from token i: each term's list stays in token order.
            stack = []
            one = (i, i + 1)
            for node in (*nodes_of[i], stem_nodes[i]) if stem_nodes else nodes_of[i]:
                if node is None:
                    continue
                for term in node.terms:  # single words: most walks end here
                    found[term].append(one)
                if node.exact or node.prefixes:
                    stack.append((node, i + 1))
            if not stack:
                continue
            sentence = sentence_of[i]
            while stack:
                node, j = stack.pop()
                if j >= count or sentence_of[j] != sentence:
                    continue
                following = norms[j]
                following_stem = stems[j]
                for child in (node.exact.get(following), node.exact.get(following_stem) if following_stem is not None else None):
                    if child is not None:
                        for term in child.terms:
                            found[term].append((i, j + 1))
                        if child.exact or child.prefixes:
                            stack.append((child, j + 1))
                for prefix, child in node.prefixes:
                    if following.startswith(prefix):
                        for term in child.terms:
                            found[term].append((i, j + 1))
                        if child.exact or child.prefixes:
                            stack.append((child, j + 1))
        return found
