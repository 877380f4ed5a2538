"""Concept lexicons (pure, read once): for each concept, the terms of every language Radar reads.

Each `lexicon/<lang>.yaml` is written from its language (see lexicon/README.md). Country names come from CLDR
through Babel, in every locale Radar has a lexicon for, so that `Nordkorea`, `Corée du Nord`, `朝鲜`, `北韓` and
`Triều Tiên` need no one to type them. Words of a language with a Snowball stemmer match by stem, and also by
their exact form, in case the document's language was misjudged.
"""

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel import Locale

from radar_classifier.text import STEMMERS, Term, compile_term, stems_for

LEXICON_DIR = Path(__file__).parent / "lexicon"
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
    names = []
    for locale in CLDR_LOCALES.get(lang, (lang,)):
        name = Locale.parse(locale).territories.get(territory)
        if name:
            names.append(name)
    return names


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
        for concept, territories in CLDR_TERRITORIES.items():
            names = [name for t in territories for name in cldr_names(lang, t)]
            concepts.setdefault(concept, []).extend(_terms(path, concept, names, lang))
    return Lexicon(tuple(languages), {c: tuple(ts) for c, ts in concepts.items()})
