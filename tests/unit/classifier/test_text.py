import random

import pytest

from radar_classifier.text import _SENTENCE_END, Document, compile_term, normalize, split_sentences


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("North Korea", "North Korea’s fuel imports", ["North Korea"]),
        ("north korea", "NORTH KOREA", ["NORTH KOREA"]),
        ("северн* коре*", "поставки в Северную Корею", ["Северную Корею"]),
        ("санкци*", "новых санкций против", ["санкций"]),
        ("КНДР", "в КНДР.", ["КНДР"]),
        ("북한", "북한은 미사일을", ["북한"]),  # CJK and Hangul match without word boundaries
        ("제재", "대북제재를 위반", ["제재"]),
        ("北朝鮮", "北朝鮮産の石炭", ["北朝鮮"]),
        ("朝鲜", "俄罗斯向朝鲜运送石油。", ["朝鲜"]),
        ("cafe", "Café Nampo", ["Café"]),
        ("ship-to-ship", "illicit ship-to-ship transfers", ["ship-to-ship"]),
        ("korea", "South Koreans", []),
        ("coal", "charcoal", []),
        ("North Korea", "North. Korea", []),
    ],
)
def test_term_matching_is_word_based_case_and_diacritic_insensitive(term: str, text: str, found: list[str]) -> None:
    doc = Document("", text)
    assert [doc.surface(i, j) for i, j in doc.find(compile_term(term))] == found


def test_sentences_title_first_and_abbreviations_kept() -> None:
    doc = Document("Title here", "The U.S. Treasury acted. A second one! Third?")
    texts = [doc.text[s.start : s.end] for s in doc.sentences]
    assert texts == ["Title here", "The U.S. Treasury acted.", "A second one!", "Third?"]


def test_normalize_folds_yo_and_case() -> None:
    assert normalize("ЁЛКА") == normalize("елка")


def test_sentence_split_is_the_patterns_split() -> None:
    """The fast split tries the pattern only after sentence punctuation and at line breaks: the pieces must be the
    pattern's own, including empty matches after CJK full stops and abbreviations that do not end a sentence."""
    pieces = list('ab AZMrNoSt.!?。！？」』”’）)"\'»\n\t 北') + ["Mr.", "No.", "St.", "U.S.", "\n\n", "。」", '." ']
    rng = random.Random(7)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        assert split_sentences(text) == _SENTENCE_END.split(text), text


def test_repeated_words_fold_the_same_in_every_document() -> None:
    """Words are folded and stemmed once per language and then looked up: a word's tokens are the same whether
    it is new or seen before, and a language's stems stay its own."""
    first = Document("", "Straße ﬁne Ёлка Sanktionen 北朝鮮", "de").tokens
    again = Document("", "Straße ﬁne Ёлка Sanktionen 北朝鮮", "de").tokens
    english = Document("", "Straße ﬁne Ёлка Sanktionen 北朝鮮", "en").tokens
    assert first == again
    assert [t.norm for t in first] == ["strasse", "fine", "елка", "sanktionen", "北", "朝", "鮮"]
    assert first[3].stem == "§de:sanktion" and english[3].stem == "§en:sanktionen"
    assert [t.stem for t in first[4:]] == [None, None, None]
