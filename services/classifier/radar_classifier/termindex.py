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
        for start, node in by_prefix.items():
            (self._prefix2 if len(start) >= 2 else self._prefix1)[start[:2]].append((start, node))
        # What a token starts, by its (word, stem, reach step): news repeats its vocabulary, so most tokens cost one look-up.
        self._starts: dict[tuple[str, str | None, int], _State | int] = {}
        self._states = 0  # states built (cache entries made) since the caches were last cleared

    def _state(self, nodes: list[_Node]) -> "_State | int":
        """The trie nodes a walk is in, as one state: the terms that end there, and its transitions; 0 for none.
        Each is kept in one cache entry (a start or a transition), so the count bounds the caches: past it they
        start again, whether new words or new pairs of known words filled them."""
        if self._states >= _MAX_STATES:
            self._starts.clear()  # the states hang from the starts: all of them go
            self._states = 0
        self._states += 1
        terms = tuple(term for node in nodes for term in node.terms)
        deeper = tuple(node for node in nodes if node.exact or node.prefixes)
        return _State(terms, deeper) if terms or deeper else 0

    def _start(self, key: tuple[str, str | None, int]) -> "_State | int":
        """The state after one token: the one-word terms it is, and the nodes from which longer terms go on."""
        norm, stem = key[0], key[1]
        nodes = [node for prefix, node in self._prefix2.get(norm[:2], ()) if norm.startswith(prefix)]
        nodes += [node for _prefix, node in self._prefix1.get(norm[:1], ())]
        nodes += [node for k in (norm, stem) if k is not None and (node := self._root.exact.get(k)) is not None]
        start = self._starts[key] = self._state(nodes)
        return start

    def _step(self, state: "_State", key: tuple[str, str | None, int]) -> "_State | int":
        """The state after one more token (its word or its stem, or a prefix of its word)."""
        norm, stem = key[0], key[1]
        nodes = []
        for node in state.deeper:
            nodes += [child for k in (norm, stem) if k is not None and (child := node.exact.get(k)) is not None]
            nodes += [child for prefix, child in node.prefixes if norm.startswith(prefix)]
        following = state.after[key] = self._state(nodes)
        return following

    def occurrences(self, doc: Document) -> dict[Term, list[tuple[int, int]]]:
        found: defaultdict[Term, list[tuple[int, int]]] = defaultdict(list)
        sentence_of = doc.sentence_of
        count = len(sentence_of)
        keys = doc.keys  # each token's (norm, stem, reach step), one tuple per distinct word: none built a token
        states = self._starts
        starts = list(map(states.get, keys))  # dict look-ups mapped in C: a walk starts only where a term does (0: none)
        if None in starts:
            starts = [start if start is not None else self._start(key) for key, start in zip(keys, starts, strict=True)]
        # The walk is deterministic: the trie nodes it is in make one state, built once and then looked up. A term
        # is in one node, reached at most once from a token: each term's list stays in token order.
        for i in compress(range(count), starts):
            state: _State = starts[i]  # type: ignore[assignment]  # compress kept only the tokens that start a state
            for term in state.terms:  # one-word terms: most hits end here
                found[term].append((i, i + 1))
            j = i + 1
            sentence = sentence_of[i]
            while state.deeper and j < count and sentence_of[j] == sentence:
                key = keys[j]
                following = state.after.get(key)
                if following is None:
                    following = self._step(state, key)
                if isinstance(following, int):  # 0: the walk ends here
                    break
                state = following
                j += 1
                for term in state.terms:
                    found[term].append((i, j))
        return found


class _State:
    """Where a walk through the trie is: the terms ending here, the nodes it goes on from, and the state after
    each next (word, stem) seen so far (0 where the walk ends)."""

    __slots__ = ("after", "deeper", "terms")

    def __init__(self, terms: tuple[Term, ...], deeper: tuple[_Node, ...]) -> None:
        self.terms = terms
        self.deeper = deeper
        self.after: dict[tuple[str, str | None, int], _State | int] = {}


_MAX_STATES = 500_000
