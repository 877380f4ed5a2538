"""The language of an article (pure, with a packaged model): the feed's word when it gives one, else py3langid's.

The language picks the stemmer for the document's tokens; lexicon terms of other languages still match by their
exact and prefix forms, and CJK terms match in any document. py3langid ships its model inside the package, so
nothing is downloaded at run time. It is restricted to the languages Radar has lexicons for, which makes it
both faster and more accurate on short texts (a title and a lead).
"""

import functools
import importlib.metadata
import io
import logging
import lzma
import os
import shutil
import tempfile
from array import array
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from radar_shared.language_codes import bare_language

SAMPLE_CHARS = 600  # a title and a lead tell the language; the cost grows with the sample


log = logging.getLogger("radar.classifier")


def model_cache() -> Path:
    """Where py3langid's model is kept unpacked: unpacking its LZMA file took 0.3 s of every `radar classify`."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "radar" / f"py3langid-{importlib.metadata.version('py3langid')}-model"


# The model's arrays as files read straight into memory: numpy's own format for the matrices (`ptc` is mapped,
# and only the columns of Radar's languages are copied), raw bytes for the tokenizer's transition tables, which
# py3langid wants as stdlib arrays (read into one with a single copy; from the npz it took three, 0.14 s).
_NUMPY = ("ptc", "pc", "classes", "out_feat")
_RAW = ("nextmove", "nextmove_row")
_TYPECODES = {2: "H", 4: "I", 8: "L"}


def _unpack(cache: Path) -> bool:
    """Unpack the packaged model into the directory `cache` (written whole, then renamed); False if it cannot be."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=cache.parent, prefix=".unpacking-"))
        with lzma.open(MODEL_DIR / MODEL_FILE) as packed, np.load(io.BytesIO(packed.read()), allow_pickle=False) as data:
            for name in _NUMPY:
                np.save(work / f"{name}.npy", data[name], allow_pickle=False)
            for name in _RAW:
                values = np.ascontiguousarray(data[name])
                (work / f"{name}.{_TYPECODES[values.dtype.itemsize]}").write_bytes(values.tobytes())
        try:
            work.rename(cache)
        except OSError:  # another process unpacked it first
            shutil.rmtree(work, ignore_errors=True)
        (cache.parent / f"{cache.name}.npz").unlink(missing_ok=True)  # the single file an earlier version cached (68 MB)
        return cache.is_dir()
    except OSError as error:
        log.debug("language model not cached; unpacked in memory", extra={"path": str(cache), "error": str(error)})
        return False


def _raw(cache: Path, name: str) -> array:
    (path,) = cache.glob(f"{name}.?")
    values = array(path.suffix[1:])
    with path.open("rb") as f:
        values.fromfile(f, path.stat().st_size // values.itemsize)
    return values


def load_identifier(cache: Path | None = None) -> LanguageIdentifier:
    """py3langid's identifier, from the unpacked model (as py3langid's own loader reads it), or from the packaged
    file when the cache cannot be written."""
    cache = cache or model_cache()
    if not cache.is_dir() and not _unpack(cache):
        return LanguageIdentifier.from_model_file(MODEL_DIR / MODEL_FILE)
    ptc, pc, classes, out_feat = (np.load(cache / f"{name}.npy", mmap_mode="r" if name == "ptc" else None, allow_pickle=False) for name in _NUMPY)
    return LanguageIdentifier(ptc, np.asarray(pc), classes.tolist(), _raw(cache, "nextmove"), out_feat.tolist(), tk_row=_raw(cache, "nextmove_row"))


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
