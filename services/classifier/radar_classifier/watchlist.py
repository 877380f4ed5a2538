"""Sanctions watchlists (pure): matching names and IMO numbers in text.

A name matches when a run of 1–6 words of the article, turned into a Latin key (translit.py), equals the key of a
name or alias; only a name of two or more words and FUZZY_MIN_KEY letters may also match at WATCHLIST_MIN_SCORE
similarity (rapidfuzz ratio), because a one-word name one letter off is another word ("müssen", "visita").
Precision comes from the nature of names: a vessel's name counts only with a vessel word in its sentence ("the
tanker Angara", not "the Angara rocket"), and a one-word name of a person or company never matches alone.
Candidates are blocked by the first two letters of the key. An IMO number matches exactly, and only with a valid
check digit; it needs no context. Weak aliases (Entity.weak_aliases) are never indexed, so never match alone.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from radar_classifier.entities import Entity, WatchlistError, valid_imo
from radar_classifier.listformats import parse_ofac_sdn, parse_opensanctions
from radar_classifier.text import Document, count_tokens
from radar_classifier.translit import latin_key
from radar_shared.messages import Match, Snippet, Span, Tag

__all__ = ["Entity", "WatchlistError", "WatchlistMatcher", "parse_ofac_sdn", "parse_opensanctions", "valid_imo"]

MIN_SCORE = 90.0
MIN_KEY_LENGTH = 5  # shorter names ("Lady R") match too much text by chance
FUZZY_MIN_KEY = 10
# Words that make a name in the same sentence a ship, in the classifier's languages (folded, lower case).
VESSEL_WORDS = frozenset(
    "ship ships vessel vessels tanker tankers freighter cargo carrier bulker steamer "
    "schiff frachter navire petrolier cargo buque petrolero barco nave navio petroleiro "
    "судно судна судне суда танкер танкера танкером сухогруз сухогруза корабль "
    "선박 유조선 화물선 船 船舶 油轮 货轮 油輪 貨輪 タンカー 貨物船".split()
)
_VESSEL_SUFFIXES = ("호", "號", "号", "船", "轮", "輪")  # 안가라호, 天马山号: the name and its ship word are one token
_IMO = re.compile(r"\bIMO[\s:#.-]*(\d{7})\b", re.IGNORECASE)


def _reordered(entity: Entity) -> tuple[str, ...]:
    """A listed person's name in the order articles write it: "PUTIN, Vladimir" is also "Vladimir PUTIN"."""
    if entity.kind != "individual":
        return ()
    return tuple(f"{given.strip()} {family.strip()}" for family, _, given in (n.partition(",") for n in (entity.name, *entity.aliases)) if given.strip())


@dataclass
class WatchlistMatcher:
    entities: list[Entity]
    min_score: float = MIN_SCORE
    _by_block: defaultdict[str, list[tuple[str, int, int]]] = field(default_factory=lambda: defaultdict(list))
    _by_imo: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _max_words: int = 1

    def __post_init__(self) -> None:
        for index, entity in enumerate(self.entities):
            if entity.imo:
                self._by_imo[entity.imo].append(index)  # one ship may be on several lists
            for name in dict.fromkeys((entity.name, *entity.aliases, *_reordered(entity))):
                key = latin_key(name)
                if len(key) >= MIN_KEY_LENGTH:
                    words = max(1, count_tokens(name))  # a Hangul or Han name is a token a character
                    self._by_block[key[:2]].append((key, index, words))
                    self._max_words = max(self._max_words, min(words + 1, 16))

    def match(self, doc: Document) -> list[Tag]:
        found: dict[int, tuple[float, int, int, str]] = {}  # entity → best (score, token i, token j, how)
        keys = [latin_key(norm) for norm in doc.norms]
        sentence_of = doc.sentence_of
        for i in range(len(keys)):
            joined = ""
            for j in range(i, min(i + self._max_words, len(keys))):
                if sentence_of[j] != sentence_of[i]:
                    break
                joined += keys[j]
                if len(joined) < MIN_KEY_LENGTH:
                    continue
                for key, index, words in self._by_block.get(joined[:2], ()):
                    if not 0.8 <= len(joined) / len(key) <= 1.25:
                        continue
                    fuzzy = words >= 2 and len(key) >= FUZZY_MIN_KEY
                    score = 100.0 if joined == key else fuzz.ratio(joined, key) if fuzzy else 0.0
                    if score < self.min_score or score <= found.get(index, (0.0,))[0]:
                        continue
                    if self._in_context(self.entities[index], words, doc, i, j + 1):
                        found[index] = (score, i, j + 1, "name")
        for m in _IMO.finditer(doc.text):
            span = [k for k in range(len(doc)) if doc.offsets(k)[0] >= m.start() and doc.offsets(k)[1] <= m.end()]
            for index in self._by_imo.get(m.group(1), ()) if span else ():
                found[index] = (100.0, span[0], span[-1] + 1, "imo")
        return self._tags(doc, found)

    @staticmethod
    def _in_context(entity: Entity, words: int, doc: Document, i: int, j: int) -> bool:
        """Whether the words i..j, equal to a name of `entity`, can be that entity rather than a word or place."""
        if entity.kind == "vessel":
            sentence = doc.sentence_of[i]
            near = [k for k in range(max(0, i - 8), min(len(doc), j + 8)) if doc.sentence_of[k] == sentence]
            return any(doc.norms[k] in VESSEL_WORDS for k in near) or doc.norms[j - 1].endswith(_VESSEL_SUFFIXES)
        return words >= 2  # a one-word name of a person or company ("VISTA", "Issa") is too often a word

    def _tags(self, doc: Document, found: dict[int, tuple[float, int, int, str]]) -> list[Tag]:
        by_list: defaultdict[str, list[tuple[Entity, float, int, int, str]]] = defaultdict(list)
        for index, (score, i, j, how) in found.items():
            by_list[self.entities[index].list].append((self.entities[index], score, i, j, how))
        tags = []
        for list_name, hits in sorted(by_list.items()):
            matched: list[Match] = []
            snippets: list[Snippet] = []
            for entity, score, i, j, how in sorted(hits, key=lambda h: -h[1]):
                surface = doc.surface(i, j)
                matched.append(Match(term=surface, group=f"{entity.name} ({entity.kind or 'entity'}{', IMO ' + entity.imo if entity.imo else ''})", rule=f"watchlist:{how}:{score:.0f}"))
                sentence = doc.sentences[doc.sentence_of[i]]
                a, b = doc.span(i, j)
                if len(snippets) < 3:
                    snippets.append(Snippet(text=doc.text[sentence.start : sentence.end], highlights=[Span(start=a - sentence.start, end=b - sentence.start)]))
            tags.append(Tag(tag=f"watchlist:{list_name}", kind="watchlist", score=round(max(h[1] for h in hits) / 100, 4), matched=matched, snippets=snippets))
        return tags
