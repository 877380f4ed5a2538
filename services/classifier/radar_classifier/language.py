"""The language of an article (pure, with a packaged model): the feed's word when it gives one, else py3langid's.

The language picks the stemmer for the document's tokens; lexicon terms of other languages still match by their
exact and prefix forms, and CJK terms match in any document. py3langid ships its model inside the package, so
nothing is downloaded at run time. It is restricted to the languages Radar has lexicons for, which makes it
both faster and more accurate on short texts (a title and a lead).
"""

import functools

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from radar_shared.language_codes import bare_language

SAMPLE_CHARS = 600  # a title and a lead tell the language; the cost grows with the sample


@functools.lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(languages))
    return identifier


def identify_language(title: str, text: str, declared: str | None, supported: tuple[str, ...]) -> str | None:
    """The declared language, if any; else the most likely of `supported` from the first characters."""
    code = bare_language(declared)
    if code is not None:
        return code
    sample = f"{title}\n{text[:SAMPLE_CHARS]}".strip()
    if not sample:
        return None
    return str(_identifier(supported).classify(sample)[0])  # one identifier per set of languages (cached)
