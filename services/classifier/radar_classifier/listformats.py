"""Sanctions-list file formats (pure): OFAC SDN (with ALT) and OpenSanctions CSV, parsed into Entity rows."""

import csv
import io
import re
from collections import defaultdict

from radar_classifier.entities import Entity, WatchlistError, valid_imo

_IMO = re.compile(r"\bIMO[\s:#.-]*(\d{7})\b", re.IGNORECASE)
_AKA = re.compile(r"a\.k\.a\.?\s*'([^']+)'", re.IGNORECASE)


def _imo_in(text: str) -> str | None:
    found = _IMO.search(text or "")
    return found.group(1) if found and valid_imo(found.group(1)) else None


def parse_ofac_sdn(data: str, list_name: str, aliases_csv: str | None = None, source: str = "sdn.csv") -> list[Entity]:
    """OFAC's SDN.CSV (no header: ent_num, name, type, program, title, call sign, vessel type, tonnage, GRT, flag,
    owner, remarks) and, optionally, ALT.CSV (ent_num, alt_num, alt_type, alt_name, remarks)."""
    alts: defaultdict[str, list[str]] = defaultdict(list)
    if aliases_csv:
        for row in csv.reader(io.StringIO(aliases_csv)):
            if len(row) >= 4 and row[3].strip() not in ("", "-0-"):
                alts[row[0].strip()].append(row[3].strip())
    entities = []
    for number, row in enumerate(csv.reader(io.StringIO(data)), 1):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 12:
            raise WatchlistError(f"{source}: line {number}: expected 12 SDN fields, found {len(row)}")
        ent, name, kind, program, remarks = row[0].strip(), row[1].strip(), row[2].strip(), row[3].strip(), row[11].strip()
        if not name or name == "-0-":
            raise WatchlistError(f"{source}: line {number}: empty name")
        kind = "" if kind == "-0-" else kind.lower()
        aliases = tuple(dict.fromkeys([*alts.get(ent, []), *_AKA.findall(remarks)]))
        entities.append(Entity(list_name, ent, name, kind, aliases, _imo_in(remarks), "" if program == "-0-" else program))
    return entities


def parse_opensanctions(data: str, list_name: str, source: str = "targets.simple.csv") -> list[Entity]:
    """OpenSanctions' targets.simple.csv (header: id, schema, name, aliases, …, identifiers, sanctions, …)."""
    reader = csv.DictReader(io.StringIO(data))
    missing = {"id", "schema", "name"} - set(reader.fieldnames or [])
    if missing:
        raise WatchlistError(f"{source}: missing columns {', '.join(sorted(missing))}")
    entities = []
    for number, row in enumerate(reader, 2):
        name = (row.get("name") or "").strip()
        if not name:
            raise WatchlistError(f"{source}: line {number}: empty name")
        aliases = tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip())
        identifiers = row.get("identifiers") or ""
        imo = next((n for n in re.findall(r"(?:IMO)?\s*(\d{7})", identifiers) if valid_imo(n)), None)
        entities.append(Entity(list_name, row["id"].strip(), name, (row.get("schema") or "").lower(), aliases, imo, (row.get("sanctions") or "")[:200]))
    return entities
