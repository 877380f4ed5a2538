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

from rapidfuzz import fuzz, process
from wordfreq import available_languages, zipf_frequency

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
# Legal forms (folded keys): a company's name without them is its usual short form; a one-word company needs one
# of them, or an industry word, next to it ("Alis LLC", "SINSMS Pte. Ltd.").
LEGAL_FORMS = frozenset(
    "llc ltd limited liability company co corp corporation inc incorporated jsc ojsc pjsc cjsc oao zao pao ooo ao "
    "sa s a de cv gmbh ag plc pte bv nv srl spa fze fzco group holding holdings joint stock open closed public".split()
)
INDUSTRY_WORDS = frozenset(
    "bank banks shipping trading trade energy oil gas petroleum airlines airline shipyard insurance investment "
    "industries industrial export import банк банка шиппинг компания компании ооо ао пао".split()
) | LEGAL_FORMS
# Words before a family name that fix the person ("President Putin", "Mr Kozhemyako", "Президент Путин").
TITLE_WORDS = frozenset(
    "president mr mrs ms dr leader chairman governor minister premier general marshal secretary spokeswoman "
    "spokesman director ceo präsident président presidente президент президента президентом губернатор "
    "губернатора министр глава лидер 대통령 위원장 总统 主席".split()
)
COMMON_ZIPF = 3.0
_PATRONYMIC = re.compile(r"(?:vich|vna|ichna|ogly|kyzy)$", re.IGNORECASE)
_WORDFREQ_LANGS = frozenset(available_languages()) - {"ja", "ko", "zh"}  # these need MeCab/jieba tokenizers
_IMO = re.compile(r"\bIMO[\s:#.-]*(\d{7})\b", re.IGNORECASE)


def _reordered(entity: Entity) -> tuple[str, ...]:
    """A listed person's name in the orders articles write it: "PUTIN, Vladimir Vladimirovich" is also "Vladimir
    Vladimirovich PUTIN" and, without the middle names or patronymic, "Vladimir PUTIN" and "PUTIN Vladimir"."""
    if entity.kind != "individual":
        return ()
    out = []
    for family, _, given in (n.partition(",") for n in (entity.name, *entity.aliases)):
        family, names = family.strip(), given.split()
        if names:
            out.append(f"{' '.join(names)} {family}")
        if len(names) == 2 and _PATRONYMIC.search(names[1]):  # only a patronymic is dropped: "Jong Un" is one name
            out += [f"{names[0]} {family}", f"{family} {names[0]}"]
    return tuple(out)


def _family(entity: Entity) -> str:
    """The family name of a listed person ("PUTIN" of "PUTIN, Vladimir"), or "" when the list does not mark it."""
    family, comma, _ = entity.name.partition(",")
    return family.strip() if entity.kind == "individual" and comma else ""


def _core(name: str) -> tuple[str, bool]:
    """A company's name without its legal form ("GUDZON SHIPPING CO LLC" → "GUDZON SHIPPING"), and whether a
    legal form was there. The prefix before " OF THE " is also the usual short form ("FOREIGN TRADE BANK")."""
    words = [w for w in re.split(r"[\s,]+", name) if w]
    kept = [w for w in words if latin_key(w) not in LEGAL_FORMS]
    return " ".join(kept), len(kept) < len(words)


def _short_forms(entity: Entity) -> tuple[str, ...]:
    if entity.kind not in ("", "entity"):
        return ()
    out = []
    for name in (entity.name, *entity.aliases):
        core, _ = _core(name)
        if core != name and count_tokens(core) >= 2:
            out.append(core)
        head = re.split(r"\s+OF\s+THE\s+", name, maxsplit=1, flags=re.IGNORECASE)[0]
        if head != name and count_tokens(head) >= 3:
            out.append(head)
    return tuple(out)


def common_word(word: str, lang: str | None) -> bool:
    """Whether a one-word name is an ordinary word of the article's language (or English): wordfreq's Zipf
    frequency at least COMMON_ZIPF ("visita", "vista", "people", "мерки")."""
    return any(zipf_frequency(word, code) >= COMMON_ZIPF for code in dict.fromkeys((lang or "en", "en")) if code in _WORDFREQ_LANGS)


@dataclass
class WatchlistMatcher:
    entities: list[Entity]
    min_score: float = MIN_SCORE
    _exact: defaultdict[str, list[tuple[str, int, int, str, str]]] = field(default_factory=lambda: defaultdict(list))  # key → its names
    _by_block: defaultdict[str, list[tuple[str, int, int, str, str]]] = field(default_factory=lambda: defaultdict(list))  # fuzzy-eligible keys by first two letters
    _block_keys: dict[str, list[str]] = field(default_factory=dict)  # the same keys alone, for rapidfuzz's C loop
    _by_imo: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _max_words: int = 1
    _person_keys: dict[int, tuple[str, str]] = field(default_factory=dict)  # a listed person's (family, given) keys, for fuzzy checks

    def __post_init__(self) -> None:
        for index, entity in enumerate(self.entities):
            if entity.imo:
                self._by_imo[entity.imo].append(index)  # one ship may be on several lists
            names = {name: "" for name in (entity.name, *entity.aliases, *_reordered(entity))}
            if entity.kind in ("", "entity"):
                for name in (entity.name, *entity.aliases):
                    core, _ = _core(name)
                    if count_tokens(core) == 1:
                        names.setdefault(core, "form")
            names.update((short, "short") for short in _short_forms(entity) if short not in names)  # "ALIS" of "LIMITED LIABILITY COMPANY ALIS" needs "Alis LLC"
            for name, need in names.items():
                self._add(latin_key(name), index, name, need)
        families: defaultdict[str, list[int]] = defaultdict(list)
        for index, entity in enumerate(self.entities):
            if family := _family(entity):
                families[latin_key(family)].append(index)
                self._person_keys[index] = (latin_key(family), latin_key(entity.name.partition(",")[2]))
        self._block_keys = {prefix: [entry[0] for entry in entries] for prefix, entries in self._by_block.items()}
        for key, indexes in families.items():
            if len(indexes) == 1:  # "President Kim" fixes no one of the list's many KIMs; "President Putin" does
                self._add(key, indexes[0], _family(self.entities[indexes[0]]), "title")

    def _add(self, key: str, index: int, name: str, need: str) -> None:
        if len(key) >= (MIN_KEY_LENGTH - 1 if need == "form" else MIN_KEY_LENGTH):  # "Alis LLC": the form is context
            words = max(1, count_tokens(name))  # a Hangul or Han name is a token a character
            self._exact[key].append((key, index, words, name, need))
            if words >= 2 and len(key) >= FUZZY_MIN_KEY and not need:  # only these may match one letter off
                self._by_block[key[:2]].append((key, index, words, name, need))
            self._max_words = max(self._max_words, min(words + 1, 16))

    def match(self, doc: Document) -> list[Tag]:
        found: dict[int, tuple[float, int, int, str, str]] = {}  # entity → best (score, token i, token j, how, listed name)
        keys = [latin_key(norm) for norm in doc.norms]
        sentence_of = doc.sentence_of
        for i in range(len(keys)):
            joined = ""
            for j in range(i, min(i + self._max_words, len(keys))):
                if sentence_of[j] != sentence_of[i]:
                    break
                joined += keys[j]
                if len(joined) < MIN_KEY_LENGTH - 1:
                    continue
                candidates = [(100.0, entry) for entry in self._exact.get(joined, ())]
                if len(joined) >= FUZZY_MIN_KEY * 0.8 and (keys_of_block := self._block_keys.get(joined[:2])):
                    block = self._by_block[joined[:2]]
                    candidates += [(score, block[n]) for _, score, n in process.extract(joined, keys_of_block, scorer=fuzz.ratio, score_cutoff=self.min_score, limit=None)
                                   if score < 100.0]
                for score, (_key, index, words, name, need) in candidates:
                    if score < self.min_score or score <= found.get(index, (0.0,))[0]:
                        continue
                    if score < 100.0 and not self._fuzzy_ok(self._person_keys.get(index), joined):
                        continue
                    if j == i and common_word(doc.norms[i], doc.lang) and not (need == "title" or self.entities[index].kind == "vessel"):
                        continue  # a one-word name that is an ordinary word ("technology", "David") needs more
                    if self._in_context(self.entities[index], words, need, doc, i, j + 1):
                        found[index] = (score, i, j + 1, "exact" if score == 100.0 else "fuzzy", name)
        for m in _IMO.finditer(doc.text):
            span = [k for k in range(len(doc)) if doc.offsets(k)[0] >= m.start() and doc.offsets(k)[1] <= m.end()]
            for index in self._by_imo.get(m.group(1), ()) if span else ():
                found[index] = (100.0, span[0], span[-1] + 1, "imo", f"IMO {m.group(1)}")
        return self._tags(doc, found)

    @staticmethod
    def _fuzzy_ok(person: tuple[str, str] | None, joined: str) -> bool:
        """A person's name may be one letter off only in the given names: "Ri Tong Hyok" is not RI, Song-hyok's
        family with a typo but another person, so the family name must be exact at either end. `person` is the
        listed person's (family, given) keys, None for what is not a person with a marked family name."""
        if person is None:
            return True
        family, given = person
        rest = joined[len(family):] if joined.startswith(family) else joined[: -len(family)] if joined.endswith(family) else ""
        return bool(rest) and fuzz.ratio(rest, given) >= MIN_SCORE

    @staticmethod
    def _in_context(entity: Entity, words: int, need: str, doc: Document, i: int, j: int) -> bool:
        """Whether the words i..j, equal to a name of `entity`, can be that entity rather than a word or place."""
        if need == "title":  # a family name alone, after a title ("President Putin"), not a given name ("David Lammy")
            after = doc.surface(j, j + 1) if j < len(doc) and doc.sentence_of[j] == doc.sentence_of[i] else ""
            return not after[:1].isupper() and any(doc.norms[k] in TITLE_WORDS for k in range(max(0, i - 2), i) if doc.sentence_of[k] == doc.sentence_of[i])
        if need == "form":  # a one-word company, in one word of the text ("and a" is not ANDA), next to its legal form or an industry word
            if j - i != 1:
                return False
            near = [k for k in (*range(i - 3, i), j, j + 1) if 0 <= k < len(doc) and doc.sentence_of[k] == doc.sentence_of[i]]
            return any(latin_key(doc.norms[k]) in INDUSTRY_WORDS for k in near)
        if need == "short" and j - i < 3 and all(common_word(doc.norms[k], doc.lang) for k in range(i, j)):
            return False  # "Russian energy" is not RUSSIAN ENERGY LLC; "Foreign Trade Bank" (three words) is the FTB
        if entity.kind == "vessel":
            sentence = doc.sentence_of[i]
            near = [k for k in range(max(0, i - 8), min(len(doc), j + 8)) if doc.sentence_of[k] == sentence]
            return any(doc.norms[k] in VESSEL_WORDS for k in near) or doc.norms[j - 1].endswith(_VESSEL_SUFFIXES)
        return words >= 2  # a one-word name of a person or company ("VISTA", "Issa") is too often a word

    def _tags(self, doc: Document, found: dict[int, tuple[float, int, int, str, str]]) -> list[Tag]:
        by_list: defaultdict[str, list[tuple[Entity, float, int, int, str, str]]] = defaultdict(list)
        for index, (score, i, j, how, listed) in found.items():
            by_list[self.entities[index].list].append((self.entities[index], score, i, j, how, listed))
        tags = []
        for list_name, hits in sorted(by_list.items()):
            matched: list[Match] = []
            snippets: list[Snippet] = []
            for entity, score, i, j, how, listed in sorted(hits, key=lambda h: -h[1]):
                surface = doc.surface(i, j)
                group = f"{entity.name} ({entity.kind or 'entity'}{', IMO ' + entity.imo if entity.imo else ''}{'; ' + entity.program if entity.program else ''})"
                matched.append(Match(term=surface, group=group, rule=f"watchlist:{how}:{score:.0f}", entity_id=entity.entity_id, listed_name=listed))
                sentence = doc.sentences[doc.sentence_of[i]]
                a, b = doc.span(i, j)
                if len(snippets) < 3:
                    snippets.append(Snippet(text=doc.text[sentence.start : sentence.end], highlights=[Span(start=a - sentence.start, end=b - sentence.start)]))
            tags.append(Tag(tag=f"watchlist:{list_name}", kind="watchlist", score=round(max(h[1] for h in hits) / 100, 4), matched=matched, snippets=snippets))
        return tags
