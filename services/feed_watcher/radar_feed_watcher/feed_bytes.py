"""A feed's bytes before feedparser reads them (pure): the encoding a browser would choose for a body that declares
none, the feed's declared language, character references XML forbids, and the items already seen last time.

A changed feed usually adds one item to dozens it served before; leaving the known items out (by their digests)
lets feedparser read the channel and the new item instead of the whole body.
"""

import hashlib
import re

import charset_normalizer

from radar_shared.xml_chars import xml_safe

_ITEM = re.compile(rb"<(item|entry)[\s>].*?</\1\s*>", re.S)
MAX_ITEM_DIGESTS = 500


def item_digest(chunk: bytes) -> str:
    return hashlib.blake2b(chunk, digest_size=8).hexdigest()


def without_known_items(body: bytes, known: frozenset[str]) -> tuple[bytes, list[str], int]:
    """The body with the items seen unchanged last time left out, all item digests, and how many were left out.

    A changed feed usually adds one item to dozens it served before: feedparser then reads the channel and the
    new item instead of the whole 150 KB. A body whose items cannot be delimited is returned whole.
    """
    matches = list(_ITEM.finditer(body))
    if not matches:
        return body, [], 0
    digests = [item_digest(m.group(0)) for m in matches]
    if not known:
        return body, digests, 0
    kept = [m.group(0) for m, d in zip(matches, digests, strict=True) if d not in known]
    skipped = len(matches) - len(kept)
    if not skipped:
        return body, digests, 0
    reduced = body[: matches[0].start()] + b"\n".join(kept) + body[matches[-1].end() :]
    return reduced, digests, skipped


_CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")


def _drop_forbidden_ref(match: re.Match[bytes]) -> bytes:
    digits = match.group(1)
    code = int(digits[1:], 16) if digits[:1] in b"xX" else int(digits)
    return match.group(0) if code <= 0x10FFFF and xml_safe(chr(code)) else b""


def without_forbidden_refs(body: bytes) -> bytes:
    """The body without character references to what XML 1.0 forbids (`&#xD800;`, `&#xFFFE;`, `&#0;`) or to no
    character at all (`&#x110000;`): feedparser's fallback parser turns them into characters it cannot encode and
    fails the whole feed (UnicodeEncodeError, ValueError)."""
    return _CHAR_REF.sub(_drop_forbidden_ref, body) if b"&#" in body else body


_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>", re.S)
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=", re.S)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


# The WHATWG encoding standard's legacy default per language (https://encoding.spec.whatwg.org, as browsers use it
# for a document that declares nothing); every other language, and Latin-script text without a hint, gets windows-1252.
LEGACY_ENCODINGS = {
    "ar": "windows-1256", "fa": "windows-1256", "ur": "windows-1256", "he": "windows-1255", "iw": "windows-1255", "yi": "windows-1255",
    "be": "windows-1251", "bg": "windows-1251", "kk": "windows-1251", "ky": "windows-1251", "mk": "windows-1251", "ru": "windows-1251",
    "sr": "windows-1251", "tg": "windows-1251", "tt": "windows-1251", "uk": "windows-1251", "ba": "windows-1251", "sah": "windows-1251",
    "cs": "windows-1250", "hr": "windows-1250", "hu": "iso-8859-2", "pl": "iso-8859-2", "sk": "windows-1250", "sl": "iso-8859-2",
    "el": "iso-8859-7", "et": "windows-1257", "lt": "windows-1257", "lv": "windows-1257", "tr": "windows-1254", "ku": "windows-1254",
    "th": "windows-874", "vi": "windows-1258", "ja": "shift_jis", "ko": "euc-kr", "zh": "gb18030", "zh-tw": "big5", "zh-hk": "big5",
}
_LANGUAGE = re.compile(rb"<(?:language|dc:language)>\s*([A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?)|xml:lang\s*=\s*[\"']([A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?)")


def legacy_encoding(language: str | None) -> str | None:
    """The legacy encoding that the WHATWG standard expects for a language tag (`pt-BR`, `ru`, `zh-TW`), or None."""
    if not language:
        return None
    tag = language.strip().lower().replace("_", "-")
    return LEGACY_ENCODINGS.get(tag) or LEGACY_ENCODINGS.get(tag.split("-")[0])


def declared_language(body: bytes, content_language: str | None) -> str | None:
    """The feed's language: its <language> (or xml:lang) near the top, else the Content-Language header."""
    found = _LANGUAGE.search(body[:8192])
    if found:
        return (found.group(1) or found.group(2)).decode("ascii")
    return content_language.split(",")[0].strip() or None if content_language else None


def _latin_script(text: str) -> bool:
    letters = [c for c in text[:20_000] if c.isalpha()]
    return not letters or sum(c < "\u0250" for c in letters) / len(letters) > 0.8


def detect_encoding(body: bytes, language: str | None) -> str:
    """The encoding of a body that is not UTF-8 and declares none, as a browser would choose it (WHATWG):

    the language's legacy encoding when the feed names a language whose script is not Latin-1's; otherwise
    windows-1252 for Latin-script text (charset-normalizer alone reads Portuguese as a Baltic code page), and
    charset-normalizer's guess only for text that it reads in another script (EUC-KR, windows-1255, …).
    """
    hinted = legacy_encoding(language)
    if hinted:
        return hinted
    if language:  # a language whose legacy encoding is windows-1252 (pt, fr, de, en, …)
        return "windows-1252"
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    if best is None or _latin_script(str(best)):
        return "windows-1252"
    return best.encoding


def normalise_encoding(body: bytes, content_type: str | None, content_language: str | None = None) -> tuple[bytes, str | None]:
    """UTF-8 bytes for a feed that declares no encoding and is not UTF-8 (windows-1252, EUC-KR, windows-1255, …).

    A declared encoding (BOM, HTTP charset, XML declaration) is left to feedparser. Otherwise the body is
    decoded as UTF-8 if it can be, else with detect_encoding(), and re-encoded as UTF-8. Returns the body and
    the detected encoding, or None when nothing was changed.
    """
    if body.startswith(_BOMS) or (content_type and "charset=" in content_type.lower()) or _DECLARED.match(body[:512]):
        return body, None
    try:
        body.decode("utf-8")
        return body, None
    except UnicodeDecodeError:
        pass
    encoding = detect_encoding(body, declared_language(body, content_language))
    text = body.decode(encoding, errors="replace")
    return _XML_DECL.sub(b"", text.encode("utf-8"), count=1), encoding
