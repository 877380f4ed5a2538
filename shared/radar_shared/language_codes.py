"""Language codes as Radar carries them (pure): a feed's or entry's declared language as a bare ISO 639 code."""


def bare_language(value: str | None) -> str | None:
    """`en-US` → `en`, `zh_Hant` → `zh`, ` RU ` → `ru`; None for an empty or unusable value (not 2–3 letters)."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None
