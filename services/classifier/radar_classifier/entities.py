"""Sanctions-list entries (pure): the Entity every list format yields and the matcher reads, and IMO check digits."""

import hashlib
import json
import re
from dataclasses import astuple, dataclass


class WatchlistError(ValueError):
    """A watchlist file is unusable. The message names the file, line and field."""


@dataclass(frozen=True)
class Entity:
    """One entry of a list. `aliases` match on their own; `weak_aliases` (OFAC's "weak" a.k.a.s) never do alone."""

    list: str
    entity_id: str
    name: str
    kind: str = ""
    aliases: tuple[str, ...] = ()
    imo: str | None = None
    program: str = ""
    weak_aliases: tuple[str, ...] = ()
    mmsi: str | None = None
    vessel_type: str = ""

    @property
    def fingerprint(self) -> str:
        """A digest of what the list says of this entry (names, ids, programs): an analyst's clear of the entry
        holds while it is unchanged."""
        return hashlib.sha256(json.dumps(astuple(self), ensure_ascii=False).encode()).hexdigest()[:32]


def valid_imo(number: str) -> bool:
    """The IMO check digit: the weighted sum of the first six digits (weights 7..2) ends in the seventh."""
    if not re.fullmatch(r"\d{7}", number):
        return False
    return sum(int(d) * w for d, w in zip(number[:6], range(7, 1, -1), strict=True)) % 10 == int(number[6])
