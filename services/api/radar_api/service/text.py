"""What text every store can hold: the one rule for the API's bodies and forms and for the service layer.

PostgreSQL's `text` refuses NUL (U+0000), and no UTF-8 store, log or page holds a lone surrogate ("\\ud800",
which JSON can escape). SQLite takes both, so without this rule a value would pass on one database and be a
500 on the other; with it, both refuse it naming the field.
"""

from radar_api.service.errors import ConfigError

SURROGATE = "text must be valid Unicode (a lone surrogate such as \\ud800 is not)"
NUL = "text must not contain a NUL character (U+0000)"


def text_refusal(value: str) -> str | None:
    """Why `value` cannot be stored, or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return NUL if "\x00" in value else None


def check_text(**fields: str) -> None:
    """ConfigError naming the first field whose value cannot be stored."""
    for field, value in fields.items():
        if reason := text_refusal(value):
            raise ConfigError(f"{field}: {reason}")
