"""Sanctions watchlists (pure): matching names and IMO numbers in text.

A name matches when a run of 1–6 words of the article, turned into a Latin key (translit.py), is at least
WATCHLIST_MIN_SCORE similar (rapidfuzz ratio) to the key of a name or alias. Candidates are blocked by the first
two letters of the key. An IMO number matches exactly, and only with a valid check digit.
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
_IMO = re.compile(r"\bIMO[\s:#.-]*(\d{7})\b", re.IGNORECASE)


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
            for name in dict.fromkeys((entity.name, *entity.aliases)):
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
                for key, index, _words in self._by_block.get(joined[:2], ()):
                    if not 0.8 <= len(joined) / len(key) <= 1.25:
                        continue
                    score = fuzz.ratio(joined, key)
                    if score >= self.min_score and score > found.get(index, (0.0,))[0]:
                        found[index] = (score, i, j + 1, "name")
        for m in _IMO.finditer(doc.text):
            span = [k for k in range(len(doc)) if doc.offsets(k)[0] >= m.start() and doc.offsets(k)[1] <= m.end()]
            for index in self._by_imo.get(m.group(1), ()) if span else ():
                found[index] = (100.0, span[0], span[-1] + 1, "imo")
        by_list: defaultdict[str, list[tuple[Entity, float, int, int, str]]] = defaultdict(list)
        for index, (score, i, j, how) in found.items():
            by_list[self.entities[index].list].append((self.entities[index], score, i, j, how))
        tags = []
        for list_name, hits in sorted(by_list.items()):
            matched, snippets = [], []
            for entity, score, i, j, how in sorted(hits, key=lambda h: -h[1]):
                surface = doc.surface(i, j)
                matched.append(Match(term=surface, group=f"{entity.name} ({entity.kind or 'entity'}{', IMO ' + entity.imo if entity.imo else ''})", rule=f"watchlist:{how}:{score:.0f}"))
                sentence = doc.sentences[doc.sentence_of[i]]
                a, b = doc.span(i, j)
                if len(snippets) < 3:
                    snippets.append(Snippet(text=doc.text[sentence.start : sentence.end], highlights=[Span(start=a - sentence.start, end=b - sentence.start)]))
            tags.append(Tag(tag=f"watchlist:{list_name}", kind="watchlist", score=round(max(h[1] for h in hits) / 100, 4), matched=matched, snippets=snippets))
        return tags
