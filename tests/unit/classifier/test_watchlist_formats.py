"""Sanctions lists as their publishers ship them: OFAC SDN.CSV (0x1A end, Windows-1252, weak aliases in Remarks)
with ALT.CSV, the UN consolidated XML (1718 Committee entries, Low-quality aliases, no external entities) and
OpenSanctions' CSV; what an import took and refused, and a list refused whole leaving the stored one in place."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from radar_api.cli import main
from radar_classifier.listformats import decode_list, read_list, read_ofac_sdn, read_opensanctions, read_un_consolidated
from radar_classifier.store import load_watchlists
from radar_classifier.watchlist import WatchlistError
from tests.support.corpus import SHARED, needs_shared

FIXTURES = Path(__file__).parents[2] / "fixtures" / "watchlists"
SDN_FILE = SHARED / "watchlists" / "ofac-sdn-2024-05-03.csv"


def _sdn() -> dict[str, object]:
    read = read_ofac_sdn((FIXTURES / "sdn-cp1252.csv").read_bytes(), "sdn", (FIXTURES / "alt.csv").read_bytes())
    return {e.entity_id: e for e in read.entities} | {"refused": read.refused}


def test_windows_1252_file_ending_in_0x1a() -> None:
    data = (FIXTURES / "sdn-cp1252.csv").read_bytes()
    assert data.endswith(b"\x1a") and b"\xdc" in data  # the fixture is what it claims to be
    entries = _sdn()
    assert entries["37003"].name == "MÜLLER, Jürgen" and entries["37005"].name == "VOSTOK–TEST LLC"  # type: ignore[attr-defined]
    assert decode_list("ok\r\n\x1a", "x") == "ok" and decode_list("é".encode(), "x") == "é"


def test_remarks_aliases_are_weak_and_alt_aliases_strong() -> None:
    entries = _sdn()
    company = entries["37002"]
    assert company.aliases == ("KOREA TESTLINE SHIPPING", "TESTLINE MARITIME")  # type: ignore[attr-defined]
    assert company.weak_aliases == ("TSC", "ABU-'UMAR TRADING")  # type: ignore[attr-defined]  # f.k.a., an apostrophe inside
    assert entries["37003"].weak_aliases == ("JÜRGEN THE TRADER",)  # type: ignore[attr-defined]  # n.k.a.


def test_vessel_ids_type_and_programs() -> None:
    entries = _sdn()
    ship = entries["37001"]
    assert (ship.kind, ship.imo, ship.mmsi, ship.vessel_type, ship.program) == ("vessel", "9123453", "445123000", "Crude Oil Tanker", "DPRK3; DPRK4")  # type: ignore[attr-defined]
    assert entries["37005"].imo is None  # type: ignore[attr-defined]  # IMO 9123454: wrong check digit


def test_bad_rows_are_refused_with_their_lines() -> None:
    assert [(r.line, r.reason) for r in _sdn()["refused"]] == [(4, "empty name"), (6, "expected 12 SDN fields, found 2")]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"1,NAME,vessel\n2,OTHER\n", "no entry could be read; line 1: expected 12 SDN fields"),
        (b'1,"A",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n2,B\n3,C\n', "2 rows refused against 1 read"),
        (b"\x81\x8d\x8f\x90 not text", "neither UTF-8 nor Windows-1252"),
        (b"<CONSOLIDATED_LIST><INDIVIDUALS>", "not well-formed XML"),
        (b"<sdnList/>", "root element sdnList, expected CONSOLIDATED_LIST"),
        (b"id,name\nx,y\n", "missing columns schema"),
    ],
)
def test_unreadable_lists_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(WatchlistError, match=message):
        read_list(data, "x", source="bad.file")


def test_un_consolidated_list() -> None:
    read = read_un_consolidated((FIXTURES / "un-dprk.xml").read_bytes(), "un", "un-dprk.xml")
    pak, kim, company, owner = read.entities
    assert (pak.entity_id, pak.name, pak.kind, pak.program) == ("9900001", "PAK TEST-CHOL", "person", "DPRK; KPi.901")
    assert pak.aliases == ("박테스트철", "Pak Test Chol") and pak.weak_aliases == ("Mr. Pak",)  # original script strong; QUALITY Low weak
    assert kim.name == "KIM TEST SU" and company.weak_aliases == ("KTTC",) and company.aliases == ("조선테스트룡무역총회사", "Testryong Trading")
    assert owner.imo == "8877667" and owner.program.endswith("KPe.902")
    assert [(r.where, r.reason) for r in read.refused] == [("INDIVIDUAL 3", "DATAID 9900003: no FIRST_NAME")]
    assert read_list((FIXTURES / "un-dprk.xml").read_bytes(), "un").report()["entries"] == 4  # detected as UN XML


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',  # an external entity (XXE)
        '<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',  # entity expansion
    ],
)
def test_un_xml_entities_are_refused(doctype: str) -> None:
    data = f'<?xml version="1.0"?>{doctype}<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>&xxe;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>'
    with pytest.raises(WatchlistError, match="refused: the XML declares entities"):
        read_un_consolidated(data.replace("&xxe;", "&b;" if "ENTITY b" in doctype else "&xxe;").encode(), "un", "evil.xml")


def test_opensanctions_rows_refused_with_physical_lines() -> None:
    data = 'id,schema,name,aliases,identifiers\nos-1,Vessel,Testlight,"multi\nline alias",IMO9123453 445123000\nos-2,Person,,,\nos-3,Company,Testco,,\n'
    read = read_opensanctions(data, "os")
    assert [e.entity_id for e in read.entities] == ["os-1", "os-3"] and read.entities[0].mmsi == "445123000"
    assert [(r.line, r.reason) for r in read.refused] == [(4, "empty name")]


def test_alt_rows_of_unknown_entries_are_refused_with_their_lines() -> None:
    alt = (FIXTURES / "alt.csv").read_bytes().rstrip(b"\x1a") + b'99999,504,"aka","NOBODY LISTED",-0- \r\n38001,505\r\n'
    read = read_ofac_sdn((FIXTURES / "sdn-cp1252.csv").read_bytes(), "sdn", alt)
    refused = [(r.where, r.reason) for r in read.refused if r.unit != "line"]
    assert refused == [("alt.csv line 5", "expected 5 ALT fields, found 2"), ("alt.csv line 4", "alias of ent_num 99999, which sdn.csv does not list")]


@needs_shared
def test_the_real_sdn_csv_reads_whole() -> None:
    read = read_list(SDN_FILE.read_bytes(), "sdn", source=SDN_FILE.name)
    r = read.report()
    assert r["entries"] == 14965 and r["refused"] == 0 and r["vessels"] == 851 and r["with_imo"] == 859
    assert r["weak_aliases"] > 3000 and r["with_mmsi"] > 100
    assert sum(1 for e in read.entities if "DPRK" in e.program) >= 480
    artavil = next(e for e in read.entities if e.entity_id == "15036")
    assert artavil.imo == "9187629" and artavil.mmsi == "572469210" and artavil.weak_aliases == ("ALPHA",)


@needs_shared
def test_the_real_sdn_csv_imports_through_the_cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(main, ["watchlists", "import", str(SDN_FILE), "--list", "sdn"])
    assert result.exit_code == 0, result.output
    assert "watchlist sdn: 14965 entities (859 with an IMO number)" in result.output and "vessels 851, 844 with an IMO number" in result.output
    assert "refused 0 rows" in result.output and len(load_watchlists(sqlite_url)) == 14965


def test_cli_import_reports_and_a_refused_list_keeps_the_stored_one(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    sdn, alt = FIXTURES / "sdn-cp1252.csv", FIXTURES / "alt.csv"
    result = CliRunner().invoke(main, ["watchlists", "import", str(sdn), "--aliases", str(alt), "--list", "sdn"])
    assert result.exit_code == 0, result.output
    assert "4 entities (1 with an IMO number)" in result.output and "aliases 3 strong, 4 weak" in result.output
    assert "vessels 1, 1 with an IMO number" in result.output and "refused 2 rows" in result.output
    assert "sdn-cp1252.csv: line 4: empty name" in result.output and "line 6: expected 12 SDN fields" in result.output
    stored = {e.entity_id: e for e in load_watchlists(sqlite_url)}
    assert stored["37001"].weak_aliases == ("SB TEST",) and stored["37001"].mmsi == "445123000" and stored["37001"].vessel_type == "Crude Oil Tanker"

    (tmp_path / "sdn.csv").write_bytes(b"garbage\nmore garbage\n")
    refused = CliRunner().invoke(main, ["watchlists", "import", str(tmp_path / "sdn.csv"), "--list", "sdn"])
    assert refused.exit_code == 2 and "sdn.csv: no entry could be read" in refused.output
    assert sorted(e.entity_id for e in load_watchlists(sqlite_url)) == ["37001", "37002", "37003", "37005"]  # the list in use stays

    un = CliRunner().invoke(main, ["watchlists", "import", str(FIXTURES / "un-dprk.xml"), "--list", "un-1718"])
    assert un.exit_code == 0 and "watchlist un-1718: 4 entities" in un.output and "un-dprk.xml: INDIVIDUAL 3: DATAID 9900003: no FIRST_NAME" in un.output
