"""Sanctions-list file formats (pure): OFAC SDN.CSV (with ALT.CSV), the UN Security Council consolidated XML and
OpenSanctions' targets.simple.csv, read as their publishers ship them into Entity rows.

Every reader returns a ListRead: the entries it took and the rows it refused, each with its line number and why.
A file that cannot be read as a whole (undecodable bytes, malformed XML, missing columns, no entry, or more rows
refused than taken: the wrong format) raises WatchlistError, so the list already in use stays.

OFAC marks *weak* aliases (nicknames, common acronyms; OFAC FAQ 122-123) only in the SDN file's Remarks, as
`a.k.a. 'NAME'` in quotes; ALT.CSV holds the strong ones. The UN list marks them `QUALITY` Low (and Very Low).
A weak alias is kept apart (`Entity.weak_aliases`): it never makes a match alone.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from radar_classifier.entities import Entity, WatchlistError, valid_imo

_IMO = re.compile(r"\bIMO[\s:#.-]*(\d{7})\b", re.IGNORECASE)
_MMSI = re.compile(r"\bMMSI[\s:#.-]*(\d{9})\b", re.IGNORECASE)
_REMARK_ALIAS = re.compile(r"^([afn])\.k\.a\.,?\s*'(.+)'\.?$", re.IGNORECASE)
_NONE = "-0-"
_EOF = "\x1a"  # the DOS end-of-file byte OFAC's files end with


@dataclass(frozen=True)
class Refused:
    """A row left out: its line in the file (or, for XML, its position among the `unit` elements) and why."""

    line: int
    reason: str
    unit: str = "line"

    @property
    def where(self) -> str:
        return f"{self.unit} {self.line}"


@dataclass
class ListRead:
    """What one reading of a list file took and refused."""

    source: str
    entities: list[Entity] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    def report(self) -> dict[str, int]:
        """The figures an import prints: entries, names, strong and weak aliases, vessels (with IMO, MMSI), refused."""
        vessels = [e for e in self.entities if e.kind == "vessel"]
        return {
            "entries": len(self.entities),
            "names": sum(1 + len(e.aliases) + len(e.weak_aliases) for e in self.entities),
            "aliases": sum(len(e.aliases) for e in self.entities),
            "weak_aliases": sum(len(e.weak_aliases) for e in self.entities),
            "vessels": len(vessels),
            "vessels_with_imo": sum(1 for e in vessels if e.imo),
            "with_imo": sum(1 for e in self.entities if e.imo),
            "with_mmsi": sum(1 for e in self.entities if e.mmsi),
            "refused": len(self.refused),
        }

    def usable(self) -> "ListRead":
        """This reading, or WatchlistError when it is no list: nothing taken, or more refused than taken."""
        if not self.entities:
            first = f"; {self.refused[0].where}: {self.refused[0].reason}" if self.refused else ""
            raise WatchlistError(f"{self.source}: no entry could be read{first}")
        if len(self.refused) > len(self.entities):
            raise WatchlistError(f"{self.source}: {len(self.refused)} rows refused against {len(self.entities)} read ({self.refused[0].where}: {self.refused[0].reason}); is this the right format?")
        return self

    def strict(self) -> list[Entity]:
        """The entries, or WatchlistError naming the first refused row."""
        if self.refused:
            raise WatchlistError(f"{self.source}: {self.refused[0].where}: {self.refused[0].reason}")
        return self.entities


def decode_list(data: bytes | str, source: str) -> str:
    """The text of a list file: UTF-8 (BOM dropped), else Windows-1252 as OFAC's older files are; the trailing
    DOS end-of-file byte removed."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as error:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined in cp1252
                raise WatchlistError(f"{source}: neither UTF-8 nor Windows-1252 (byte {error.start})") from error
    else:
        text = data.removeprefix("\ufeff")
    return text.rstrip("\r\n" + _EOF).rstrip() if text.rstrip().endswith(_EOF) else text


def _field(value: str) -> str:
    value = value.strip()
    return "" if value == _NONE else value


def _valid_imo_in(text: str) -> str | None:
    return next((n for n in _IMO.findall(text or "") if valid_imo(n)), None)


def _programs(value: str) -> str:
    """SDN.CSV writes several programs as `IRAN] [SDGT] [IRGC`."""
    return "; ".join(p.strip(" []") for p in _field(value).split("] [") if p.strip(" []"))


def _remark_aliases(remarks: str) -> list[str]:
    """The quoted a.k.a./f.k.a./n.k.a. names of SDN Remarks: OFAC's weak aliases. A name may hold an apostrophe
    ('ABU-'UMAR'), so a remark is split at `;` and its quotes are the outer ones."""
    found = []
    for part in remarks.split(";"):
        m = _REMARK_ALIAS.match(part.strip())
        if m and m.group(2).strip():
            found.append(m.group(2).strip())
    return found


def _read_alt(text: str, source: str, refused: list[Refused]) -> dict[str, list[tuple[int, str]]]:
    """ALT.CSV: ent_num, alt_num, alt_type (aka, fka, nka), alt_name, alt_remarks. Its aliases are strong; each
    is kept with its line, to refuse one whose ent_num SDN.CSV does not hold."""
    alts: dict[str, list[tuple[int, str]]] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 4:
            refused.append(Refused(number, f"expected 5 ALT fields, found {len(row)}", f"{source} line"))
            continue
        name = _field(row[3])
        if name:
            alts.setdefault(row[0].strip(), []).append((number, name))
    return alts


def read_ofac_sdn(data: bytes | str, list_name: str, aliases_csv: bytes | str | None = None, source: str = "sdn.csv", aliases_source: str = "alt.csv") -> ListRead:
    """OFAC's SDN.CSV (no header: ent_num, name, type, program, title, call sign, vessel type, tonnage, GRT, flag,
    owner, remarks) and, optionally, ALT.CSV. Vessels' IMO numbers (with a valid check digit) and MMSI come
    from Remarks."""
    read = ListRead(source)
    alts = _read_alt(decode_list(aliases_csv, aliases_source), aliases_source, read.refused) if aliases_csv else {}
    try:
        rows = list(csv.reader(io.StringIO(decode_list(data, source))))
    except csv.Error as error:
        raise WatchlistError(f"{source}: not CSV: {error}") from error
    for number, row in enumerate(rows, 1):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 12:
            read.refused.append(Refused(number, f"expected 12 SDN fields, found {len(row)}"))
            continue
        ent, name, remarks = row[0].strip(), _field(row[1]), _field(row[11])
        if not ent:
            read.refused.append(Refused(number, "empty ent_num"))
            continue
        if not name:
            read.refused.append(Refused(number, "empty name"))
            continue
        strong = tuple(dict.fromkeys(a for _, a in alts.get(ent, []) if a != name))
        weak = tuple(dict.fromkeys(a for a in _remark_aliases(remarks) if a != name and a not in strong))
        mmsi = _MMSI.search(remarks)
        read.entities.append(
            Entity(
                list_name, ent, name, _field(row[2]).lower(), strong, _valid_imo_in(remarks), _programs(row[3]), weak,
                mmsi.group(1) if mmsi else None, _field(row[6]),
            )
        )
    listed = {e.entity_id for e in read.entities}
    for ent, names in alts.items():
        if ent not in listed:
            read.refused.extend(Refused(number, f"alias of ent_num {ent}, which {source} does not list", f"{aliases_source} line") for number, _ in names)
    return read


def parse_ofac_sdn(data: bytes | str, list_name: str, aliases_csv: bytes | str | None = None, source: str = "sdn.csv") -> list[Entity]:
    """read_ofac_sdn, refusing the whole file at its first bad row."""
    return read_ofac_sdn(data, list_name, aliases_csv, source).strict()


def read_opensanctions(data: bytes | str, list_name: str, source: str = "targets.simple.csv") -> ListRead:
    """OpenSanctions' targets.simple.csv (header: id, schema, name, aliases, …, identifiers, sanctions, …)."""
    reader = csv.DictReader(io.StringIO(decode_list(data, source)))
    missing = {"id", "schema", "name"} - set(reader.fieldnames or [])
    if missing:
        raise WatchlistError(f"{source}: missing columns {', '.join(sorted(missing))}")
    read = ListRead(source)
    for row in reader:
        name, entity_id = (row.get("name") or "").strip(), (row.get("id") or "").strip()
        if not entity_id or not name:
            read.refused.append(Refused(reader.line_num, "empty id" if not entity_id else "empty name"))
            continue
        aliases = tuple(a for a in dict.fromkeys(a.strip() for a in (row.get("aliases") or "").split(";")) if a and a != name)
        identifiers = row.get("identifiers") or ""
        imo = next((n for n in re.findall(r"(?:IMO)?\s*(\d{7})\b", identifiers) if valid_imo(n)), None)
        mmsi = next(iter(re.findall(r"\b(\d{9})\b", identifiers)), None) if (row.get("schema") or "").lower() == "vessel" else None
        entities_row = Entity(list_name, entity_id, name, (row.get("schema") or "").lower(), aliases, imo, (row.get("sanctions") or "")[:200], (), mmsi)
        read.entities.append(entities_row)
    return read


def parse_opensanctions(data: bytes | str, list_name: str, source: str = "targets.simple.csv") -> list[Entity]:
    """read_opensanctions, refusing the whole file at its first bad row."""
    return read_opensanctions(data, list_name, source).strict()


def _text(element: object, tag: str) -> str:
    child = element.find(tag)  # type: ignore[attr-defined]
    return (child.text or "").strip() if child is not None and child.text else ""


def _un_entry(node: object, list_name: str, kind: str, alias_tag: str) -> Entity | str:
    """One INDIVIDUAL or ENTITY of the UN list, or why it is refused."""
    dataid = _text(node, "DATAID")
    if not dataid:
        return "no DATAID"
    name = " ".join(p for p in (_text(node, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")) if p)
    if not name:
        return f"DATAID {dataid}: no FIRST_NAME"
    strong: list[str] = []
    weak: list[str] = []
    original = _text(node, "NAME_ORIGINAL_SCRIPT")
    if original and original != name:
        strong.append(original)
    for alias in node.findall(alias_tag):  # type: ignore[attr-defined]
        alias_name = _text(alias, "ALIAS_NAME")
        if alias_name and alias_name != name:
            (weak if _text(alias, "QUALITY").lower() in ("low", "very low") else strong).append(alias_name)
    programs = "; ".join(p for p in (_text(node, "UN_LIST_TYPE"), _text(node, "REFERENCE_NUMBER")) if p)
    imo = _valid_imo_in(_text(node, "COMMENTS1")) if kind == "entity" else None
    return Entity(list_name, dataid, name, kind, tuple(dict.fromkeys(strong)), imo, programs, tuple(dict.fromkeys(w for w in weak if w not in strong)))


def read_un_consolidated(data: bytes | str, list_name: str, source: str = "consolidated.xml") -> ListRead:
    """The UN Security Council consolidated list (CONSOLIDATED_LIST with INDIVIDUALS/INDIVIDUAL and
    ENTITIES/ENTITY). Parsed with defusedxml: a DTD entity or an external reference refuses the file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        root = ElementTree.fromstring(raw.rstrip(_EOF.encode()), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise WatchlistError(f"{source}: refused: the XML declares entities or external references ({type(error).__name__})") from error
    except ElementTree.ParseError as error:
        raise WatchlistError(f"{source}: not well-formed XML: {error}") from error
    if root.tag != "CONSOLIDATED_LIST":
        raise WatchlistError(f"{source}: root element {root.tag}, expected CONSOLIDATED_LIST (the UN consolidated list)")
    read = ListRead(source)
    for section, tag, kind, alias_tag in (("INDIVIDUALS", "INDIVIDUAL", "person", "INDIVIDUAL_ALIAS"), ("ENTITIES", "ENTITY", "entity", "ENTITY_ALIAS")):
        for position, node in enumerate(root.iterfind(f"{section}/{tag}"), 1):
            entry = _un_entry(node, list_name, kind, alias_tag)
            if isinstance(entry, str):
                read.refused.append(Refused(position, entry, tag))
            else:
                read.entities.append(entry)
    return read


def detect_format(data: bytes) -> str:
    """`un` for XML, `opensanctions` for a CSV with an `id,` header, else `ofac` (SDN.CSV has no header)."""
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        return "un"
    return "opensanctions" if head.startswith(b"id,") else "ofac"


def read_list(data: bytes, list_name: str, fmt: str | None = None, aliases_csv: bytes | None = None, source: str = "list") -> ListRead:
    """Read a list file in its format (detected when not given); WatchlistError when it is unusable as a whole."""
    fmt = fmt or detect_format(data)
    if fmt == "ofac":
        read = read_ofac_sdn(data, list_name, aliases_csv, source)
    elif fmt == "opensanctions":
        read = read_opensanctions(data, list_name, source)
    elif fmt == "un":
        read = read_un_consolidated(data, list_name, source)
    else:
        raise WatchlistError(f"{source}: unknown list format {fmt!r} (ofac, un, opensanctions)")
    return read.usable()
