"""A word-level trie of terms (pure): all occurrences of many terms in one pass over a document's tokens.

From each token the trie is walked only as far as the following words match, so the cost per article depends
on the article, not on how many terms there are. Words that match as prefixes (`refin*`, Hangul) are kept in a
dict by prefix at the root and in a short list below it. A stemmed word is a key of the exact dict like any
other (`§de:lieferung`), looked up with the token's stem.
"""

from collections import defaultdict
from collections.abc import Iterable

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
        tokens = doc.tokens
        count = len(tokens)
        exact = self._root.exact
        starts, root_nodes = self._starts, self._root_nodes
        for i, (norm, _start, _end, sentence, stem, _reach) in enumerate(tokens):  # unpacked: one step, not three look-ups
            nodes = starts.get(norm)
            if nodes is None:
                nodes = root_nodes(norm)
            node = exact.get(stem) if stem is not None else None
            if not nodes and node is None:
                continue
            stack = [(n, i + 1) for n in nodes]
            if node is not None:
                stack.append((node, i + 1))
            while stack:
                node, j = stack.pop()
                for term in node.terms:
                    found[term].append((i, j))
                if j >= count:
                    continue
                following, _start, _end, following_sentence, following_stem, _reach = tokens[j]
                if following_sentence != sentence:
                    continue
                nxt = node.exact.get(following)
                if nxt is not None:
                    stack.append((nxt, j + 1))
                if following_stem is not None:
                    nxt = node.exact.get(following_stem)
                    if nxt is not None:
                        stack.append((nxt, j + 1))
                for prefix, child in node.prefixes:
                    if following.startswith(prefix):
                        stack.append((child, j + 1))
        return found
