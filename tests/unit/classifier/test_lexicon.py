"""The CLDR country names that start-up reads from lexicon/cldr-names.json are Babel's."""

import json
from pathlib import Path

import pytest

from radar_classifier.lexicon import CLDR_FILE, LEXICON_DIR, LexiconError, cldr_table, lexicon_languages, load_lexicon, write_cldr_table


def test_the_cldr_table_is_what_babel_says() -> None:
    stored = json.loads((LEXICON_DIR / CLDR_FILE).read_text(encoding="utf-8"))
    assert stored == cldr_table(lexicon_languages()), "the installed Babel names countries differently: run `python -m radar_classifier.lexicon`"


def test_a_lexicon_directory_without_a_table_asks_babel(tmp_path: Path) -> None:
    (tmp_path / "de.yaml").write_text("lang: de\nstemmer: german\nconcepts:\n  dprk: [Pjöngjang]\n  russia: [Moskau]\n", encoding="utf-8")
    lexicon = load_lexicon(tmp_path)
    assert {"Nordkorea", "Pjöngjang"} <= {t.source for t in lexicon.concepts["dprk"]}


def test_a_language_missing_from_the_table_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "de.yaml").write_text("lang: de\nstemmer: german\nconcepts:\n  dprk: [Pjöngjang]\n", encoding="utf-8")
    write_cldr_table(tmp_path)
    (tmp_path / "fr.yaml").write_text("lang: fr\nstemmer: french\nconcepts:\n  dprk: [Pyongyang]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"fr.yaml: no CLDR names for 'fr' in cldr-names.json"):
        load_lexicon(tmp_path)
