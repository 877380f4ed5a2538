"""The language of an article (pure, with a packaged model): the feed's word when it gives one, else py3langid's.

The language picks the stemmer for the document's tokens; lexicon terms of other languages still match by their
exact and prefix forms, and CJK terms match in any document. py3langid ships its model inside the package, so
nothing is downloaded at run time. It is restricted to the languages Radar has lexicons for, which makes it
both faster and more accurate on short texts (a title and a lead).
"""

import functools
import importlib.metadata
import logging
import lzma
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
from py3langid.modelio import _to_array

from radar_shared.language_codes import bare_language

SAMPLE_CHARS = 600  # a title and a lead tell the language; the cost grows with the sample


log = logging.getLogger("radar.classifier")


def model_cache() -> Path:
    """Where py3langid's model is kept unpacked: unpacking its LZMA file took 0.3 s of every `radar classify`."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "radar" / f"py3langid-{importlib.metadata.version('py3langid')}-model.npz"


def _unpacked_model(cache: Path) -> Path:
    """The model's npz, unpacked once into `cache` (written whole, then renamed); the packaged file if the cache
    cannot be written."""
    if not cache.exists():
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cache.parent, prefix=".unpacking-", delete=False) as tmp, lzma.open(MODEL_DIR / MODEL_FILE) as packed:
                shutil.copyfileobj(packed, tmp, length=1 << 20)
            Path(tmp.name).replace(cache)
        except OSError as error:
            log.debug("language model not cached; unpacked in memory", extra={"path": str(cache), "error": str(error)})
            return MODEL_DIR / MODEL_FILE
    return cache


def load_identifier(cache: Path | None = None) -> LanguageIdentifier:
    """py3langid's identifier, from the unpacked model (as py3langid's own loader reads it)."""
    path = _unpacked_model(cache or model_cache())
    if path.suffix == ".xz":
        return LanguageIdentifier.from_model_file(path)
    with np.load(path, allow_pickle=False) as data:
        return LanguageIdentifier(np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(), _to_array(data["nextmove"]),
                                  data["out_feat"].tolist(), tk_row=_to_array(data["nextmove_row"]))


@functools.lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    identifier = load_identifier()
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
