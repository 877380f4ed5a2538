"""Articles whose feed declares no language: the classifier identifies it among the languages it has lexicons for
(the feed-watcher no longer guesses "ru" for every Cyrillic text)."""

import pytest

from radar_classifier.classify import Classifier
from radar_classifier.language import identify_language


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.default()


@pytest.mark.parametrize(("title", "text", "lang"), [
    ("Російські танкери постачали пальне до КНДР", "Перевантаження відбувалося у відкритому морі, повідомили розвідники.", "uk"),
    ("Российские танкеры поставляли топливо в КНДР", "Перевалка происходила в открытом море, сообщили источники.", "ru"),
    ("북한, 러시아산 석유 밀수", "선박 간 환적이 공해상에서 이뤄졌다고 정보 당국이 밝혔다.", "ko"),
])
def test_an_undeclared_language_is_identified_from_the_text(classifier: Classifier, title: str, text: str, lang: str) -> None:
    assert identify_language(title, text, None, classifier.languages) == lang


def test_an_undeclared_ukrainian_article_is_tagged(classifier: Classifier) -> None:
    tags = classifier.classify("Російські танкери постачали пальне до КНДР", "Перевантаження відбувалося у відкритому морі.", lang=None)
    assert "russia-dprk-smuggling" in {t.tag for t in tags}


def test_the_language_model_is_unpacked_once_into_a_cache_and_reads_the_same(tmp_path) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from radar_classifier.language import load_identifier

    cache = tmp_path / "radar" / "model"
    cache.parent.mkdir()
    (cache.parent / "model.npz").write_bytes(b"the single file an earlier version cached")
    packaged = LanguageIdentifier.from_model_file(MODEL_FILE)
    first = load_identifier(cache)
    assert cache.is_dir() and not list(cache.parent.glob(".unpacking-*"))
    assert not (cache.parent / "model.npz").exists(), "the earlier cache file is removed"
    again = load_identifier(cache)  # from the cache
    for text in ("North Korea ships coal to Russia", "Северная Корея отправила уголь", "Північна Корея", "북한이 석탄을 수출했다", "Nordkorea liefert Kohle"):
        assert first.classify(text) == again.classify(text) == packaged.classify(text)


def test_an_unwritable_cache_falls_back_to_the_packaged_model(tmp_path) -> None:
    from radar_classifier.language import load_identifier

    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    identifier = load_identifier(blocked / "radar" / "model")
    assert identifier.classify("North Korea ships coal to Russia")[0] == "en"
