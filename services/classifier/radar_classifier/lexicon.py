"""Concept lexicons (pure, read once): for each concept, the terms of every language Radar reads.

Each `lexicon/<lang>.yaml` is written from its language (see lexicon/README.md). Country names come from CLDR
through Babel, in every locale Radar has a lexicon for, so that `Nordkorea`, `Corée du Nord`, `朝鲜`, `北韓` and
`Triều Tiên` need no one to type them. They are read from `lexicon/cldr-names.json`, which
`python -m radar_classifier.lexicon` writes from Babel (loading sixteen CLDR locales took a quarter of a second
of every start-up; a test fails when the file and the installed Babel disagree). Words of a language with a
Snowball stemmer match by stem, and also by their exact form, in case the document's language was misjudged.
"""

import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from radar_classifier.text import STEMMERS, Term, compile_term, stems_for

LEXICON_DIR = Path(__file__).parent / "lexicon"
CLDR_FILE = "cldr-names.json"
# CLDR territory codes whose names in every locale join a concept.
CLDR_TERRITORIES = {"dprk": ("KP",), "russia": ("RU",)}
CLDR_LOCALES = {"zh": ("zh_Hans", "zh_Hant"), "pt": ("pt", "pt_PT")}

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the same documents, read 10× faster at start-up


class LexiconError(Exception):
    """A lexicon file is invalid. The message names the file and the field."""


@dataclass(frozen=True)
class Lexicon:
    languages: tuple[str, ...]
    concepts: dict[str, tuple[Term, ...]]


def cldr_names(lang: str, territory: str) -> list[str]:
    """The territory's names in the language's CLDR locales, from Babel."""
    from babel import Locale  # only to write or check the table: start-up reads CLDR_FILE

    names = []
    for locale in CLDR_LOCALES.get(lang, (lang,)):
        name = Locale.parse(locale).territories.get(territory)
        if name:
            names.append(name)
    return names


def lexicon_languages(directory: Path = LEXICON_DIR) -> list[str]:
    return sorted(yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)["lang"] for path in directory.glob("*.yaml"))


def cldr_table(languages: list[str]) -> dict[str, dict[str, list[str]]]:
    """{lang: {concept: names}} of CLDR_TERRITORIES, from Babel."""
    return {lang: {concept: [n for t in territories for n in cldr_names(lang, t)] for concept, territories in CLDR_TERRITORIES.items()}
            for lang in languages}


def write_cldr_table(directory: Path = LEXICON_DIR) -> Path:
    path = directory / CLDR_FILE
    path.write_text(json.dumps(cldr_table(lexicon_languages(directory)), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _read_cldr_table(directory: Path) -> dict[str, dict[str, list[str]]] | None:
    """The stored table, or None for a lexicon directory of one's own without one (Babel is asked then)."""
    path = directory / CLDR_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _terms(path: Path, concept: str, sources: list[str], lang: str) -> list[Term]:
    stems = stems_for(lang)
    terms = []
    for source in sources:
        try:
            terms.append(compile_term(str(source), stems))
            if stems is not None and stems.stemmed and not str(source).startswith(("=", "~")):
                exact = compile_term(str(source))
                if exact.words != terms[-1].words:
                    terms.append(exact)
        except ValueError as error:
            raise LexiconError(f"{path.name}: concepts.{concept}: {error}") from None
    return terms


@functools.lru_cache(maxsize=8)
def load_lexicon(directory: Path = LEXICON_DIR) -> Lexicon:
    """The concepts of every lexicon file in `directory`, read once per process (the files are data of the release)."""
    concepts: dict[str, list[Term]] = {}
    languages = []
    cldr = _read_cldr_table(directory)
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
        lang = data.get("lang")
        if not isinstance(lang, str) or not lang:
            raise LexiconError(f"{path.name}: missing field 'lang'")
        stemmer = data.get("stemmer", "none")
        if STEMMERS.get(lang, "none") != stemmer:
            raise LexiconError(f"{path.name}: stemmer: {stemmer!r} is not the stemmer Radar uses for {lang!r} ({STEMMERS.get(lang, 'none')})")
        if not isinstance(data.get("concepts"), dict):
            raise LexiconError(f"{path.name}: missing field 'concepts'")
        languages.append(lang)
        for concept, sources in data["concepts"].items():
            if not isinstance(sources, list):
                raise LexiconError(f"{path.name}: concepts.{concept}: a list of terms is needed")
            concepts.setdefault(concept, []).extend(_terms(path, concept, sources, lang))
        names = cldr_table([lang])[lang] if cldr is None else cldr.get(lang)
        if names is None:
            raise LexiconError(f"{path.name}: no CLDR names for {lang!r} in {CLDR_FILE}: run `python -m radar_classifier.lexicon`")
        for concept in CLDR_TERRITORIES:
            concepts.setdefault(concept, []).extend(_terms(path, concept, names.get(concept, []), lang))
    return Lexicon(tuple(languages), {c: tuple(ts) for c, ts in concepts.items()})


if __name__ == "__main__":  # python -m radar_classifier.lexicon: write the CLDR names of every lexicon language
    print(f"wrote {write_cldr_table(Path(sys.argv[1]) if len(sys.argv) > 1 else LEXICON_DIR)}")
