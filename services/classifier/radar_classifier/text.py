"""Text normalisation, tokens, sentences and term look-up (pure), shared by topic rules and watches.

Matching is case- and diacritic-insensitive and works on words, so boundaries hold in Latin and Cyrillic.
Chinese, Japanese and Korean are matched without word boundaries: every Han, kana or Hangul character is a token
of its own, and a CJK term is the run of its characters, so `北朝鮮` is found inside `北朝鮮産` and `제재` inside
`대북제재를`.

A term's word can match three ways:
- exactly (after folding): `coal`, a CJK character, or a word written `=arms` in a lexicon;
- as a prefix: `санкци*` matches any word it starts;
- by its stem: a lexicon word in a language with a Snowball stemmer (`Sanktionen`, `поставки`) matches the
  words of a document in that language whose stem is the same. Stems are keys of their own (`§de:sanktion`),
  so a German stem never matches an English word.

Each token also has `reach`, its distance from the start in word units (a word 5, a CJK character 2), so that a
window of N words covers as much Chinese as English.

A document is read in one pass over its words; each distinct word is folded and stemmed once per language and
then looked up, so a token is the same whether its word is new or seen before.
"""

import bisect
import itertools
import operator
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple, cast, overload

import Stemmer

_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff"


def _mark_ranges(first: int = 0x0300, last: int = 0x1100) -> str:
    """A character class body of the combining marks (Unicode category M) from `first` to `last`, with the
    zero-width (non-)joiners: the vowel signs and viramas of Indic and Thai script are marks, not word
    characters, and without them `\\w+` would cut উত্তর (Bengali "north") into pieces."""
    marks = [c for c in range(first, last) if unicodedata.category(chr(c)).startswith("M")] + [0x200C, 0x200D]
    ranges: list[tuple[int, int]] = []
    for c in marks:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


_MARKS = _mark_ranges()
_INDIC = re.compile(r"[\u0900-\u0dff\u0e00-\u0e7f]")  # scripts whose marks are letters' parts, kept by _fold
_WORD = re.compile(rf"(?:[^\W{_CJK}]|[{_MARKS}])+(?:\.(?:[^\W{_CJK}]|[{_MARKS}])+)*|[{_CJK}]", re.UNICODE)  # hyphens split words, in text and terms alike
_IS_CJK = re.compile(rf"[{_CJK}]")
_WORD_OUTSIDE_CJK = re.compile(rf"[\w{_MARKS}]+(?:\.[\w{_MARKS}]+)*")  # _WORD for a text without CJK characters, a fifth cheaper
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bNo\.)(?<!\bSt\.)[\"'»”’)]*\s+|(?<=[。！？])[」』”’）)]*\s*|\n+")
WORD_REACH, CJK_REACH = 5, 2
_SENTENCE_CANDIDATE = re.compile(r"[.!?。！？\n]")  # a sentence end starts after one of these, or at a line break
STEM_MARK = "§"


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    # Accents go (Latin, Greek, Cyrillic й, Arabic vowel points); an Indic or Thai vowel sign is part of the letter.
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c) or _INDIC.match(c))
    # Keep Hangul composed (NFKD splits syllables into jamo) and fold ё/й consistently.
    return unicodedata.normalize("NFC", stripped).replace("ё", "е").replace("’", "'")


def normalize(word: str) -> str:
    """Case and diacritics folded; ASCII words take the short way."""
    return word.lower() if word.isascii() else _fold(word)


class Stems:
    """A language's own keys for words, which cannot collide with plain words or with another language's keys.

    With a Snowball stemmer a word's key is its stem (`§ru:санкц`). Without one it is the word itself, marked with
    the language (`§ko=北`): that serves terms that mean something only in that language's text, such as the
    Korean press's 北 for North Korea, which in Chinese or Japanese text is just "north".
    """

    def __init__(self, lang: str, algorithm: str | None) -> None:
        self.lang = lang
        self.stemmed = algorithm is not None
        self._stemmer = Stemmer.Stemmer(algorithm) if algorithm else None
        self._prefix = f"{STEM_MARK}{lang}:" if algorithm else f"{STEM_MARK}{lang}="
        self._cache: dict[str, str] = {}

    def key(self, norm: str) -> str:
        key = self._cache.get(norm)
        if key is None:
            key = self._prefix + (self._stemmer.stemWord(norm) if self._stemmer is not None else norm)
            if len(self._cache) < 200_000:
                self._cache[norm] = key
        return key


STEMMERS: dict[str, str] = {
    "en": "english", "ru": "russian", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
    "pt": "portuguese", "pl": "polish", "tr": "turkish", "ro": "romanian",
    "nl": "dutch", "da": "danish", "no": "norwegian", "sv": "swedish", "id": "indonesian", "ms": "indonesian",
    "sr": "serbian", "hr": "serbian", "cs": "czech", "fi": "finnish", "hu": "hungarian", "et": "estonian",
    "el": "greek", "hi": "hindi", "ta": "tamil", "ca": "catalan", "lt": "lithuanian", "hy": "armenian",
}


@cache
def stems_for(lang: str | None) -> Stems | None:
    """The keys of a language's words, for a two- or three-letter language code."""
    return Stems(lang, STEMMERS.get(lang)) if lang and 2 <= len(lang) <= 3 else None


class _Words(dict[str, tuple[str, str | None, int]]):
    """A language's words as written → (norm, stem key, reach step): each distinct word is folded and stemmed
    once, not once per occurrence. News repeats its vocabulary, so most tokens cost one look-up."""

    LIMIT = 100_000  # distinct words kept per language; past it the table starts again

    def __init__(self, stems: Stems | None) -> None:
        super().__init__()
        self._stems = stems

    def add(self, word: str) -> tuple[str, str | None, int]:
        stems = self._stems
        if _IS_CJK.match(word):  # a CJK character is a token of its own, kept as written
            entry = (word, stems.key(word) if stems is not None and not stems.stemmed else None, CJK_REACH)
        else:
            norm = normalize(word)
            entry = (norm, stems.key(norm) if stems is not None else None, WORD_REACH)
        if len(self) >= self.LIMIT:
            self.clear()
        self[word] = entry
        return entry


@cache
def _words_for(lang: str | None) -> _Words:
    return _Words(stems_for(lang))


def split_sentences(text: str) -> list[str]:
    """`_SENTENCE_END.split(text)`, the same pieces, found several times faster.

    The pattern starts with look-behinds, so the regex engine tries it at every character. A match can only start
    right after `.!?。！？` or at a line break: the pattern is tried at those places only, in order, with split's
    rule that an empty match may not follow another at the same place.
    """
    pieces: list[str] = []
    last, empty_at = 0, -1
    match = _SENTENCE_END.match
    for candidate in _SENTENCE_CANDIDATE.finditer(text):
        at = candidate.start() if candidate.group() == "\n" else candidate.end()
        if at < last or at == empty_at:
            continue
        m = match(text, at)
        if m is None:
            continue
        end = m.end()
        pieces.append(text[last:at])
        last = end
        empty_at = at if end == at else -1
    pieces.append(text[last:])
    return pieces


def count_tokens(text: str) -> int:
    """How many tokens a Document makes of the text (a CJK character is one)."""
    return sum(1 for _ in _WORD.finditer(text))


class Token(NamedTuple):
    norm: str
    start: int
    end: int
    sentence: int
    stem: str | None = None  # the stem key in the document's language, if it has a stemmer
    reach: int = 0  # word units from the start of the document


class Sentence(NamedTuple):  # a tuple: an article has dozens, and a frozen dataclass costs five times as much to make
    start: int
    end: int


@dataclass(frozen=True, eq=False)
class Term:
    """A word or a phrase; `prefix[i]` says whether word i matches as a prefix.

    A stemmed word is a stem key (`§de:lieferung`), matched against tokens' stems. Terms compare and hash by
    identity: they are keys of every look-up, and hashing their fields each time was a third of the
    classifier's cost. Equal words in two places are two terms; both are found.
    """

    source: str
    words: tuple[str, ...]
    prefix: tuple[bool, ...]
    lang: str | None = None


def compile_term(source: str, stems: Stems | None = None) -> Term:
    """A term from its written form, for the language of `stems` if given.

    Plain words match by stem in a stemmed language, else exactly; `=word` exactly; `word*` as a prefix;
    `~word` only in documents of the term's language (by stem, or by the word itself).
    """
    words, prefix = [], []
    for raw in source.split():
        star, exact, own = raw.endswith("*"), raw.startswith("="), raw.startswith("~")
        parts = [normalize(m.group()) for m in _WORD.finditer(raw)]
        for i, part in enumerate(parts):
            is_prefix = star and i == len(parts) - 1
            if stems is not None and (own or (stems.stemmed and not (is_prefix or exact or _IS_CJK.match(part)))):
                part = stems.key(part)
            words.append(part)
            prefix.append(is_prefix)
    if not words:
        raise ValueError(f"term {source!r} has no words")
    return Term(source, tuple(words), tuple(prefix), stems.lang if stems else None)


class Document:
    """An article's tokens and sentences. Sentence 0 is the title.

    Only the first `max_chars` characters of the text are read (`truncated_at` then says where it stopped), so a
    hostile or merely verbose feed costs a bounded amount of work. `lang` picks the stemmer for the tokens.

    The tokens are kept as parallel lists (`norms`, `stems`, `sentence_of`), built by the regex engine sentence by
    sentence with the dict look-ups mapped in C: a 2 KB article has ~430 tokens, and a Python object per token
    was a quarter of the classifier's time. Where tokens start (`offsets`, `span`) and their reach are worked out
    when first asked for; `tokens[i]` builds the full Token for the callers that want one.
    """

    def __init__(self, title: str, text: str, lang: str | None = None, max_chars: int | None = None) -> None:
        title, text = title.strip(), text.strip()
        self.truncated_at: int | None = None
        if max_chars is not None and len(text) > max_chars:
            cut = text.rfind(" ", max_chars - 200, max_chars)
            text = text[: cut if cut > 0 else max_chars]
            self.truncated_at = len(text)
        self.lang = lang
        self.text = f"{title}\n{text}" if text else title
        title_end = len(title)
        self.sentences: list[Sentence] = [Sentence(0, title_end)]
        pos = title_end + 1
        if text:
            for piece in split_sentences(self.text[pos:]):
                if not piece or not piece.strip():
                    if piece:
                        pos += len(piece)
                    continue
                idx = self.text.find(piece, pos)
                if idx >= 0:
                    self.sentences.append(Sentence(idx, idx + len(piece)))
                    pos = idx + len(piece)
        table = _words_for(lang)
        self._words_in = words_in = _WORD if _IS_CJK.search(self.text) else _WORD_OUTSIDE_CJK
        # Sentences hold whole words: they end after punctuation or at a line break, and what lies between them
        # (spaces, quotes, line breaks) is no word. So the words are found sentence by sentence, in C, which gives
        # each its sentence; where each word starts is worked out only when evidence is quoted.
        findall, text = words_in.findall, self.text
        words: list[str] = []
        sentence_of: list[int] = []
        for index, sentence in enumerate(self.sentences):
            found = findall(text, sentence.start, sentence.end)
            words += found
            sentence_of += [index] * len(found)
        found_entries = list(map(table.get, words))
        if None in found_entries:
            entries = [entry if entry is not None else table.add(word) for word, entry in zip(words, found_entries, strict=True)]
        else:
            entries = cast(list[tuple[str, str | None, int]], found_entries)
        self.norms: list[str] = list(map(_NORM, entries))
        self.stems: list[str | None] = list(map(_STEM, entries))
        self._words = words
        self.sentence_of = sentence_of
        self._starts: list[int] | None = None
        self.keys: list[tuple[str, str | None, int]] = entries  # each token's (norm, stem, reach step): one tuple per distinct word
        self._reach: list[int] | None = None
        self.tokens = _Tokens(self)
        self._sorted: list[tuple[str, int]] | None = None
        self._keys: list[str] = []

    def __len__(self) -> int:
        return len(self.norms)

    @property
    def reach(self) -> list[int]:
        """Each token's distance from the start of the document in word units."""
        if self._reach is None:
            self._reach = list(itertools.accumulate(map(_STEP, self.keys), initial=0))[:-1]
        return self._reach

    @property
    def starts(self) -> list[int]:
        """Where each token starts in `text`: found again, in one pass of the regex engine, when evidence first needs it."""
        starts = self._starts
        if starts is None:
            starts = self._starts = list(map(_MATCH_START, self._words_in.finditer(self.text)))
        return starts

    def offsets(self, i: int) -> tuple[int, int]:
        """Token i's start and end in `text`."""
        start = self.starts[i]
        return start, start + len(self._words[i])

    def positions(self, word: str, prefix: bool) -> list[int]:
        if self._sorted is None:  # built on first use: the classifier's matchers do not need it
            self._sorted = sorted([(norm, i) for i, norm in enumerate(self.norms)] + [(stem, i) for i, stem in enumerate(self.stems) if stem])
            self._keys = [k for k, _ in self._sorted]
        lo = bisect.bisect_left(self._keys, word)
        if prefix:
            hi = lo
            while hi < len(self._keys) and self._keys[hi].startswith(word):
                hi += 1
        else:
            hi = bisect.bisect_right(self._keys, word, lo)
        return sorted({i for _, i in self._sorted[lo:hi]})

    def _matches(self, k: int, word: str, prefix: bool) -> bool:
        if prefix:
            return self.norms[k].startswith(word)
        return self.norms[k] == word or self.stems[k] == word

    def find(self, term: Term) -> list[tuple[int, int]]:
        """Token ranges [i, j) where the term occurs; a phrase must be consecutive words of one sentence."""
        first = self.positions(term.words[0], term.prefix[0])
        if len(term.words) == 1:
            return [(i, i + 1) for i in first]
        hits = []
        for i in first:
            j = i + len(term.words)
            if j > len(self.norms):
                continue
            ok = all(
                self._matches(i + k, w, p) and self.sentence_of[i + k] == self.sentence_of[i]
                for k, (w, p) in enumerate(zip(term.words, term.prefix, strict=True))
                if k
            )
            if ok:
                hits.append((i, j))
        return hits

    def span(self, i: int, j: int) -> tuple[int, int]:
        starts = self.starts
        return starts[i], starts[j - 1] + len(self._words[j - 1])

    def surface(self, i: int, j: int) -> str:
        start, end = self.span(i, j)
        return self.text[start:end]


_NORM, _STEM, _STEP = operator.itemgetter(0), operator.itemgetter(1), operator.itemgetter(2)
_MATCH_START = re.Match.start


class _Tokens(Sequence[Token]):
    """A document's tokens as Token tuples, each built when asked for."""

    def __init__(self, doc: Document) -> None:
        self._doc = doc

    def __len__(self) -> int:
        return len(self._doc.norms)

    @overload
    def __getitem__(self, i: int) -> Token: ...
    @overload
    def __getitem__(self, i: slice) -> list[Token]: ...
    def __getitem__(self, i: int | slice) -> Token | list[Token]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        doc = self._doc
        if i < 0:
            i += len(doc.norms)
        if not 0 <= i < len(doc.norms):
            raise IndexError("token index out of range")
        start, end = doc.offsets(i)
        return Token(doc.norms[i], start, end, doc.sentence_of[i], doc.stems[i], doc.reach[i])

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return f"Tokens({list(self)!r})"
