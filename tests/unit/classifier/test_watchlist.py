"""Sanctions watchlists: OFAC and OpenSanctions formats, fuzzy names across scripts, exact IMO numbers."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from radar_api.cli import main
from radar_classifier.classify import Classifier
from radar_classifier.entities import Entity
from radar_classifier.evaluate import is_entity_holdout
from radar_classifier.text import Document
from radar_classifier.translit import latin_key
from radar_classifier.watchlist import WatchlistError, WatchlistMatcher, parse_ofac_sdn, parse_opensanctions, valid_imo
from tests.support.corpus import CORPUS, CORPUS2, SHARED, needs_shared

# Written for these tests: fictional entities in OFAC's SDN.CSV / ALT.CSV layout. 9074729 has a valid IMO check digit.
SDN = '''36001,"OCEAN TESTWIND","vessel","DPRK3","-0-","-0-","Crude Oil Tanker",-0-,-0-,"Korea, North",-0-,"Vessel Registration Identification IMO 9074729; a.k.a. 'TESTWIND OCEAN'."
36002,"BALTIC TESTLINE LLC",-0-,"DPRK3","-0-","-0-",-0-,-0-,-0-,-0-,-0-,"Nakhodka, Russia."
'''
ALT = '''36002,1001,"aka","БАЛТИК ТЕСТЛАЙН",-0-
'''
OPENSANCTIONS = '''id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset,first_seen,last_seen,last_change
os-1,Vessel,Northern Testlight,북방테스트라이트,,kp,,IMO9074729,UN 1718,,,test,,,
os-2,Company,Testgrad Trading Ltd,Тестград Трейдинг,,ru,,,US OFAC,,,test,,,
'''


def test_imo_check_digit() -> None:
    assert valid_imo("9074729") and not valid_imo("9074728") and not valid_imo("907472")


def test_latin_keys_across_scripts() -> None:
    assert latin_key("Гудзон Шиппинг") == latin_key("Gudzon Shipping") == "gudzonshipping"
    assert latin_key("천마산") == "cheonmasan" and latin_key("Chon Ma San") == "chonmasan"


def test_ofac_sdn_with_aliases_and_imo() -> None:
    entities = parse_ofac_sdn(SDN, "ofac", ALT)
    vessel, company = entities
    assert vessel.name == "OCEAN TESTWIND" and vessel.kind == "vessel" and vessel.imo == "9074729" and vessel.weak_aliases == ("TESTWIND OCEAN",)
    assert company.aliases == ("БАЛТИК ТЕСТЛАЙН",) and company.imo is None and company.kind == ""


def test_opensanctions_simple() -> None:
    vessel, company = parse_opensanctions(OPENSANCTIONS, "os")
    assert vessel.imo == "9074729" and vessel.aliases == ("북방테스트라이트",) and vessel.kind == "vessel"
    assert company.aliases == ("Тестград Трейдинг",)


@pytest.mark.parametrize(
    ("data", "message"),
    [("1,NAME,vessel\n", "line 1: expected 12 SDN fields"), ('2,"-0-",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n', "line 1: empty name")],
)
def test_broken_ofac_rows_are_named(data: str, message: str) -> None:
    with pytest.raises(WatchlistError, match=message):
        parse_ofac_sdn(data, "x")


def test_opensanctions_without_required_columns() -> None:
    with pytest.raises(WatchlistError, match="missing columns"):
        parse_opensanctions("foo,bar\n1,2\n", "x")


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Tanker Ocean Testwind seen at Nampo", "", {"OCEAN TESTWIND"}),
        ("Танкер", "Компания Балтик Тестлайн получила груз.", {"BALTIC TESTLINE LLC"}),  # Cyrillic alias
        ("Satellite images", "The ship, IMO 9074729, switched off its transponder.", {"OCEAN TESTWIND", "Northern Testlight"}),
        ("Satellite images", "The ship, IMO 9074728, is another one.", set()),  # wrong check digit: not an IMO
        ("북방테스트라이트호 포착", "", {"Northern Testlight"}),  # Hangul alias with a particle attached
        ("Testgrad Tradeing Ltd named", "", {"Testgrad Trading Ltd"}),  # a typo still matches
        ("Ocean winds test the coast", "Trading in Testgrad was calm.", set()),  # the words, not the name
        ("The Ocean Testwind rocket flew", "", set()),  # a vessel's name without a vessel word is something else
        ("Gesichtet", "Das Schiff Ocean Testwind lag vor Nampo.", {"OCEAN TESTWIND"}),  # a vessel word in the sentence
        ("Testwinds Ocean", "The tanker left.", set()),  # fuzzy matching is only for long names: not 'testwind ocean'
    ],
)
def test_matching(title: str, text: str, expected: set[str]) -> None:
    matcher = WatchlistMatcher(parse_ofac_sdn(SDN, "ofac", ALT) + parse_opensanctions(OPENSANCTIONS, "os"))
    tags = matcher.match(Document(title, text))
    assert {m.group.split(" (")[0] for t in tags for m in t.matched} == expected
    for tag in tags:
        assert tag.tag in ("watchlist:ofac", "watchlist:os") and tag.kind == "watchlist" and tag.snippets


def test_one_word_names_and_weak_aliases_need_more_than_themselves() -> None:
    entities = [
        Entity("t", "1", "TESTVISTA", "entity"),
        Entity("t", "2", "TESTWORTH, Alana", "individual", weak_aliases=("ALANO",)),
    ]
    matcher = WatchlistMatcher(entities)
    assert matcher.match(Document("A testvista of the bay", "Alano arrived.")) == []
    assert [m.term for t in matcher.match(Document("Alana Testworth arrived", "")) for m in t.matched] == ["Alana Testworth"]


def test_cli_import_and_classify(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    (tmp_path / "sdn.csv").write_text(SDN)
    (tmp_path / "alt.csv").write_text(ALT)
    result = CliRunner().invoke(main, ["watchlists", "import", str(tmp_path / "sdn.csv"), "--aliases", str(tmp_path / "alt.csv"), "--list", "ofac"])
    assert result.exit_code == 0 and "2 entities (1 with an IMO number)" in result.output
    assert CliRunner().invoke(main, ["watchlists", "import", "--sample"]).exit_code == 0
    listed = CliRunner().invoke(main, ["watchlists", "list"]).output
    assert "ofac" in listed and "sample" in listed
    out = CliRunner().invoke(main, ["classify", "-"], input='{"title": "The tankers Petrel 8 and Ocean Testwind", "text": ""}\n').output
    assert '"watchlist:ofac"' in out and '"watchlist:sample"' in out


def test_classifier_tags_watchlists_next_to_topics() -> None:
    classifier = Classifier.default(watchlist=parse_ofac_sdn(SDN, "ofac", ALT))
    tags = {t.tag for t in classifier.classify("Russian tanker Ocean Testwind delivered fuel to North Korea", "It breached UN sanctions on North Korea.")}
    assert {"watchlist:ofac", "russia-dprk-smuggling", "dprk-sanctions"} <= tags


@needs_shared
def test_real_sdn_list_on_the_tuning_half_of_the_entity_labels() -> None:
    """The floor reached on the tuning half (measured 0.65 / 0.56); the held-out half is scored, never tuned on."""
    data = (SHARED / "watchlists" / "ofac-sdn-2024-05-03.csv").read_text(encoding="utf-8", errors="replace").rstrip("\x1a")
    matcher = WatchlistMatcher(parse_ofac_sdn(data, "ofac"))
    labels = {item["id"]: item for item in map(json.loads, (SHARED / "corpus" / "entities-dev.jsonl").read_text().splitlines())}
    right = wrong = missed = 0
    for path in (CORPUS, CORPUS2):
        for article in map(json.loads, path.read_text().splitlines()):
            if article["id"] not in labels or is_entity_holdout(article["id"]):
                continue
            doc = Document(article.get("title", ""), article.get("text", ""), article.get("lang"))
            got = {m.group.split(" (")[0] for tag in matcher.match(doc) for m in tag.matched}
            expected = {e["sdn_name"] for e in labels[article["id"]]["entities"]}
            right, wrong, missed = right + len(got & expected), wrong + len(got - expected), missed + len(expected - got)
    assert right / (right + wrong) >= 0.6 and right / (right + missed) >= 0.5


def test_entity_holdout_is_a_fixed_half() -> None:
    ids = [f"a{n}" for n in range(1000)]
    held = [i for i in ids if is_entity_holdout(i)]
    assert 400 < len(held) < 600 and held == [i for i in reversed(ids) if is_entity_holdout(i)][::-1]
    assert [is_entity_holdout(i) for i in ("nk002", "nk003", "a1", "a2")] == [False, False, False, True]  # frozen: never re-drawn


# Names by their nature (issue 22 §2): fictional-format rows modelled on the real list's shapes.
NATURE = [
    Entity("sdn", "35096", "PUTIN, Vladimir Vladimirovich", "individual", program="RUSSIA-EO14024"),
    Entity("sdn", "48316", "DAVID, Yafi", "individual", program="SYRIA"),
    Entity("sdn", "22326", "RI, Song-hyok", "individual", program="DPRK3"),
    Entity("sdn", "22992", "KIM, Jong Chol", "individual", program="DPRK3"),
    Entity("sdn", "48260", "LIMITED LIABILITY COMPANY ALIS", "entity", program="RUSSIA-EO14024"),
    Entity("sdn", "37483", "ANDA", "entity", program="RUSSIA-EO14024"),
    Entity("sdn", "45006", "RUSSIAN ENERGY LLC", "entity", program="RUSSIA-EO14024"),
    Entity("sdn", "15603", "FOREIGN TRADE BANK OF THE DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA", "entity", program="DPRK3"),
]


def _ids(text: str, lang: str = "en") -> dict[str, tuple[str, str]]:
    tags = WatchlistMatcher(NATURE).match(Document("", text, lang))
    return {m.entity_id: (m.listed_name, m.term) for t in tags for m in t.matched}


def test_a_tag_names_the_entry_and_the_listed_name_that_matched() -> None:
    tags = WatchlistMatcher(NATURE).match(Document("", "Vladimir Putin met envoys.", "en"))
    match = tags[0].matched[0]
    assert (match.entity_id, match.listed_name, match.term) == ("35096", "Vladimir PUTIN", "Vladimir Putin")
    assert "RUSSIA-EO14024" in match.group and match.rule.startswith("watchlist:exact")


def test_persons_by_full_name_or_family_name_after_a_title() -> None:
    assert "35096" in _ids("President Putin said the talks went well.")
    assert "35096" in _ids("Президент Путин заявил о переговорах.", "ru")
    assert _ids("UK Foreign Secretary, David Lammy, told the BBC.") == {}  # a given name, not DAVID, Yafi
    assert "22992" not in _ids("Kim Jong Un met Putin.")  # "Jong Chol" is one given name: no "KIM Jong"


def test_a_person_one_letter_off_in_the_given_name_is_another_person() -> None:
    assert "22326" not in _ids("Ri Tong Hyok attended the meeting.")


def test_companies_need_their_legal_form_or_are_more_than_common_words() -> None:
    assert "48260" in _ids("The supplier, Alis LLC, shipped the parts.")
    assert "37483" not in _ids("The captain and a sailor left.")
    assert "45006" not in _ids("Russian energy exports rose.")
    assert _ids("Deals went through the Foreign Trade Bank in Pyongyang.").keys() == {"15603"}


@needs_shared
def test_screening_on_the_real_sdn_list_tune_half() -> None:
    from radar_classifier.evaluate import evaluate_entities, read_corpus, read_entity_labels
    from radar_classifier.listformats import read_ofac_sdn

    entities = read_ofac_sdn((SHARED / "watchlists" / "ofac-sdn-2024-05-03.csv").read_bytes(), "sdn").entities
    labels = read_entity_labels((SHARED / "corpus" / "entities-dev.jsonl").read_text(encoding="utf-8").splitlines())
    items = [i for path in (CORPUS, CORPUS2) for i in read_corpus(path.read_text(encoding="utf-8").splitlines()) if not is_entity_holdout(i["id"])]
    report = evaluate_entities(Classifier.default(watchlist=entities), items, labels, {e.entity_id: e.kind or "entity" for e in entities})
    assert report.total.precision >= 0.9 and report.total.recall >= 0.7, (report.misses, report.false_matches)


def test_entity_labels_refuse_a_bad_line_by_number() -> None:
    from radar_classifier.evaluate import CorpusError, read_entity_labels

    with pytest.raises(CorpusError, match="entities-dev.jsonl: line 2: .*'id' and 'entities'"):
        read_entity_labels(['{"id": "a", "entities": []}', '{"id": "b"}'], "entities-dev.jsonl")
