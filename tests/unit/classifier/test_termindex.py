"""The term index and the document's tokens, against the slow and obvious ways of finding the same things."""

import random

from radar_classifier import termindex
from radar_classifier.termindex import TermIndex
from radar_classifier.text import _WORD, Document, compile_term, stems_for

WORDS = ["North", "Korea", "korean", "coal", "tanker", "tankers", "Rich", "Glory", "ship-to-ship", "fuel", "U.S.", "Café",
         "санкции", "Северная", "Корея", "북한", "제재", "北朝鮮", "the", "of", "in", "a"]
TERMS = ["north korea", "north korea*", "korea", "kore*", "coal", "tanker", "rich glory", "ship to ship", "ship-to-ship", "u.s",
         "the north", "of coal", "a tanker", "санкци*", "северная корея", "북한", "제재", "北朝鮮", "朝鮮", "cafe", "in the north korea*", "=tankers"]
PIECES = [" ", " ", " ", ". ", ", ", "\n", "! ", "? ", "。", "“", "” ", "(", ") ", "Mr. ", "—"]


def random_text(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(WORDS) + rng.choice(PIECES) for _ in range(words))


def test_tokens_are_the_word_pattern_s_over_the_whole_text_and_each_in_its_sentence() -> None:
    """Words are found sentence by sentence and their starts later: the same tokens as one pass over the text."""
    rng = random.Random(11)
    for _ in range(500):
        doc = Document(random_text(rng, rng.randint(0, 4)), random_text(rng, rng.randint(0, 40)))
        words = [(m.group(), m.start()) for m in _WORD.finditer(doc.text)]
        assert [doc.text[a:b] for a, b in map(doc.offsets, range(len(doc)))] == [w for w, _ in words]
        assert doc.starts == [s for _, s in words]
        for i in range(len(doc)):
            sentence = doc.sentences[doc.sentence_of[i]]
            assert sentence.start <= doc.starts[i] < sentence.end


def test_occurrences_are_each_term_s_own_finds() -> None:
    """One walk over the tokens finds, for every term, what looking that term up alone finds, in token order."""
    rng = random.Random(5)
    terms = [compile_term(t) for t in TERMS] + [compile_term(t, stems_for("en")) for t in ("tanker", "korean", "north korea")]
    index = TermIndex(terms)
    for _ in range(300):
        doc = Document(random_text(rng, 3), random_text(rng, rng.randint(0, 60)), "en")
        found = index.occurrences(doc)
        for term in terms:
            assert found.get(term, []) == doc.find(term), (term.source, doc.text)


def cached_entries(index: TermIndex) -> int:
    """The starts and transitions an index holds, all reachable from its starts."""
    count, todo, seen = 0, [s for s in index._starts.values() if s], set()
    count += len(index._starts)
    while todo:
        state = todo.pop()
        if id(state) in seen:
            continue
        seen.add(id(state))
        count += len(state.after)
        todo += [s for s in state.after.values() if s]
    return count


def test_the_walk_s_states_are_bounded_and_rebuilt_the_same(monkeypatch) -> None:
    """Neither new words nor new pairs of known words grow the index's caches without end: past the bound they
    start again, and what is found does not change."""
    monkeypatch.setattr(termindex, "_MAX_STATES", 8)
    terms = [compile_term(t) for t in TERMS]
    bounded = TermIndex(terms)
    rng = random.Random(9)
    known = Document("", " ".join(WORDS))  # every word's start is cached after this; later documents only pair them anew
    bounded.occurrences(known)
    for n in range(200):
        text = random_text(rng, 30) if n % 2 else random_text(rng, 30) + f" word{n} north korea{n}"
        doc = Document("", text)
        assert bounded.occurrences(doc) == TermIndex(terms).occurrences(doc)
        assert cached_entries(bounded) <= 8
