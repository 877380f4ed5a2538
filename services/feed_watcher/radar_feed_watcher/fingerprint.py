"""Near-duplicate fingerprints of stories (pure): 64-bit SimHash over word 3-grams of title and text.

Two copies of one wire story (another outlet or URL, a changed headline, a sentence added or boilerplate
appended) differ in 0–11 bits, short summaries the most; unrelated stories in about 32 (at least 18 over
the 5,886 pairs of the dev corpus). Near means ≤ 10 bits. Candidates are found by eight 8-bit bands:
within 7 bits two fingerprints always share a band, at 10 bits about 91 % of the time.
"""

import hashlib
import re
import unicodedata

BITS = 64
MAX_DISTANCE = 10
BANDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded)


def simhash(title: str, text: str, limit: int = 3000) -> int:
    """The fingerprint as a signed 64-bit integer (storable in SQLite and PostgreSQL BIGINT)."""
    words = _words(f"{title} {text[:limit]}")
    shingles = [" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))] if words else [""]
    weights = [0] * BITS
    for shingle in shingles:
        h = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(BITS):
            weights[bit] += 1 if h >> bit & 1 else -1
    value = sum(1 << bit for bit in range(BITS) if weights[bit] > 0)
    return value - (1 << 64) if value >= 1 << 63 else value


def bands(fingerprint: int) -> tuple[int, ...]:
    unsigned = fingerprint & 0xFFFFFFFFFFFFFFFF
    return tuple((unsigned >> (8 * i)) & 0xFF for i in range(BANDS))


def title_key(title: str) -> str | None:
    """A normalised title, for titles long enough to identify a story (5 words or more)."""
    words = _words(title)
    return " ".join(words) if len(words) >= 5 else None


def distance(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


def is_near_duplicate(a: int, b: int) -> bool:
    return distance(a, b) <= MAX_DISTANCE
