"""Latin keys for names in Latin, Cyrillic or Hangul (pure), so that Гудзон, Gudzon and 구드존 can be compared.

Cyrillic follows a simple BGN/PCGN-like table; Hangul syllables are decomposed into jamo and romanised in the
spirit of the Revised Romanization. The key drops spaces, hyphens and diacritics: "Chon Ma San" → "chonmasan".
"""

import unicodedata

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}
_INITIAL = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_MEDIAL = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"]
_FINAL = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"]


def _hangul(ch: str) -> str:
    code = ord(ch) - 0xAC00
    return _INITIAL[code // 588] + _MEDIAL[(code % 588) // 28] + _FINAL[code % 28]


def latin_key(name: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFC", name.casefold()):
        if "\uac00" <= ch <= "\ud7a3":
            out.append(_hangul(ch))
        elif ch in _CYRILLIC:
            out.append(_CYRILLIC[ch])
        elif ch.isalnum():
            out.append(ch)
    key = unicodedata.normalize("NFKD", "".join(out))
    return "".join(c for c in key if not unicodedata.combining(c))
