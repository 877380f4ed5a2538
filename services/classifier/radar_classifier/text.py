"""Text normalisation, tokens, sentences and term look-up (pure), shared by topic rules and watches.

Matching is case- and diacritic-insensitive and works on words, so boundaries hold in Cyrillic and Hangul.
A term's word ending in `*` matches any word it starts (Russian case endings); a Hangul word always
does, since Korean particles attach to the end of the word (북한은, 북한의, 북한이).
"""

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

_WORD = re.compile(r"\w+(?:\.\w+)*", re.UNICODE)  # hyphens split words, in text and terms alike
_SENTENCE_END = re.compile(r"(?<=[.!?。!?])(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bNo\.)(?<!\bSt\.)[\"'»”’)]*\s+|\n+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


@lru_cache(maxsize=65536)
def normalize(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Keep Hangul composed (NFKD splits syllables into jamo) and fold ё/й consistently.
    return unicodedata.normalize("NFC", stripped).replace("ё", "е").replace("’", "'")


class Token(NamedTuple):
    norm: str
    start: int
    end: int
    sentence: int


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


@dataclass(frozen=True, eq=False)
class Term:
    """A word or a phrase; `prefix[i]` says whether word i matches as a prefix.

    Terms compare and hash by identity: they are keys of every look-up, and hashing their fields each time
    was a third of the classifier's cost. Equal words in two places are two terms; both are found.
    """

    source: str
    words: tuple[str, ...]
    prefix: tuple[bool, ...]


def compile_term(source: str) -> Term:
    words, prefix = [], []
    for raw in source.split():
        star = raw.endswith("*")
        parts = [normalize(m.group()) for m in _WORD.finditer(raw)]
        for i, part in enumerate(parts):
            words.append(part)
            prefix.append((star and i == len(parts) - 1) or bool(_HANGUL.search(part)))
    if not words:
        raise ValueError(f"term {source!r} has no words")
    return Term(source, tuple(words), tuple(prefix))


class Document:
    """An article's tokens and sentences. Sentence 0 is the title."""

    def __init__(self, title: str, text: str) -> None:
        self.text = f"{title.strip()}\n{text.strip()}" if text.strip() else title.strip()
        title_end = len(title.strip())
        self.sentences: list[Sentence] = [Sentence(0, title_end)]
        pos = title_end + 1
        body = self.text[pos:] if len(self.text) > title_end else ""
        for piece in _SENTENCE_END.split(body):
            if piece is None:
                continue
            idx = self.text.find(piece, pos)
            if piece.strip() and idx >= 0:
                self.sentences.append(Sentence(idx, idx + len(piece)))
                pos = idx + len(piece)
        tokens: list[Token] = []
        append, norm, text = tokens.append, normalize, self.text
        for index, sentence in enumerate(self.sentences):  # sentence by sentence: each token knows its sentence
            for m in _WORD.finditer(text, sentence.start, sentence.end):
                append(Token(norm(m.group()), m.start(), m.end(), index))
        self.tokens = tokens
        self._sorted: list[tuple[str, int]] | None = None
        self._keys: list[str] = []

    def positions(self, word: str, prefix: bool) -> list[int]:
        if self._sorted is None:  # built on first use: the classifier's matchers do not need it
            self._sorted = sorted((t.norm, i) for i, t in enumerate(self.tokens))
            self._keys = [k for k, _ in self._sorted]
        lo = bisect.bisect_left(self._keys, word)
        if prefix:
            hi = lo
            while hi < len(self._keys) and self._keys[hi].startswith(word):
                hi += 1
        else:
            hi = bisect.bisect_right(self._keys, word, lo)
        return sorted(i for _, i in self._sorted[lo:hi])

    def find(self, term: Term) -> list[tuple[int, int]]:
        """Token ranges [i, j) where the term occurs; a phrase must be consecutive words of one sentence."""
        first = self.positions(term.words[0], term.prefix[0])
        if len(term.words) == 1:
            return [(i, i + 1) for i in first]
        hits = []
        for i in first:
            j = i + len(term.words)
            if j > len(self.tokens):
                continue
            ok = all(
                (self.tokens[i + k].norm.startswith(w) if p else self.tokens[i + k].norm == w)
                and self.tokens[i + k].sentence == self.tokens[i].sentence
                for k, (w, p) in enumerate(zip(term.words, term.prefix, strict=True))
                if k
            )
            if ok:
                hits.append((i, j))
        return hits

    def span(self, i: int, j: int) -> tuple[int, int]:
        return self.tokens[i].start, self.tokens[j - 1].end

    def surface(self, i: int, j: int) -> str:
        start, end = self.span(i, j)
        return self.text[start:end]
