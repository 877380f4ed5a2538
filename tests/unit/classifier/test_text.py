import pytest

from radar_classifier.text import Document, compile_term, normalize


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
