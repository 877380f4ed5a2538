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
        # What a token starts, by its (word, stem): news repeats its vocabulary, so most tokens cost one look-up.
        self._starts: dict[tuple[str, str | None], _Start] = {}

    def _start(self, norm: str, stem: str | None) -> "_Start":
        """The one-word terms a token is, and the nodes from which longer terms go on; () when it starts nothing."""
        nodes = [node for prefix, node in self._prefix2.get(norm[:2], ()) if norm.startswith(prefix)]
        nodes += [node for _prefix, node in self._prefix1.get(norm[:1], ())]
        nodes += [node for key in (norm, stem) if key is not None and (node := self._root.exact.get(key)) is not None]
        terms = tuple(term for node in nodes for term in node.terms)
        deeper = tuple(node for node in nodes if node.exact or node.prefixes)
        start: _Start = (terms, deeper) if terms or deeper else ()
        if len(self._starts) >= 500_000:
            self._starts.clear()
        self._starts[(norm, stem)] = start
        return start

    def occurrences(self, doc: Document) -> dict[Term, list[tuple[int, int]]]:
        found: defaultdict[Term, list[tuple[int, int]]] = defaultdict(list)
        norms, stems, sentence_of = doc.norms, doc.stems, doc.sentence_of
        count = len(norms)
        keys = list(zip(norms, stems))
        starts = list(map(self._starts.get, keys))  # dict look-ups mapped in C: a walk starts only where a term does
        if None in starts:
            starts = [start if start is not None else self._start(*key) for key, start in zip(keys, starts, strict=True)]
        # A term is in one node, reached at most once from a token: each term's list stays in token order.
        for i in compress(range(count), starts):
            terms, deeper = starts[i]
            if terms:
                one = (i, i + 1)
                for term in terms:  # one-word terms: most hits end here
                    found[term].append(one)
            if not deeper:
                continue
            sentence = sentence_of[i]
            stack = [(node, i + 1) for node in deeper]
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


_Start = tuple[tuple[Term, ...], tuple[_Node, ...]] | tuple[()]
