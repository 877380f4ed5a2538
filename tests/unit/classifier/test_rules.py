from pathlib import Path

import pytest
import yaml

from radar_classifier.classify import Classifier, compile_watches
from radar_classifier.lexicon import LEXICON_DIR, LexiconError, load_lexicon
from radar_classifier.rules import TopicRulesError, _firings, _Hits, load_topics, score_topic
from radar_classifier.text import Document
from tests.support.corpus import corpus, needs_shared

CONCEPTS = {
    "dprk", "russia", "sanctions", "sanction_bodies", "evasion", "fuel", "coal", "goods", "arms", "workers", "finance", "ships", "sts",
    "ports", "rail", "front", "movement", "arms_use", "diplomacy", "tourism", "troops",
}


def test_builtin_topics_load_from_data_files() -> None:
    topics = {t.topic: t for t in load_topics()}
    assert set(topics) == {"dprk-sanctions", "russia-dprk-smuggling"}
    assert topics["russia-dprk-smuggling"].groups["dprk"] == topics["dprk-sanctions"].groups["dprk"]


def test_every_lexicon_has_every_concept_and_cldr_names() -> None:
    lexicon = load_lexicon()
    assert {"en", "ru", "ko", "ja", "zh", "de", "fr", "es", "it", "pt", "uk", "pl", "tr", "vi"} <= set(lexicon.languages)
    for path in LEXICON_DIR.glob("*.yaml"):
        concepts = yaml.safe_load(path.read_text(encoding="utf-8"))["concepts"]
        assert set(concepts) == CONCEPTS, f"{path.name}: {set(concepts) ^ CONCEPTS}"
    sources = {t.source for t in lexicon.concepts["dprk"]}
    assert {"Nordkorea", "Corée du Nord", "朝鲜", "北韓", "Triều Tiên", "Kuzey Kore"} <= sources  # from CLDR, not typed


# Invented reports in each language the press writes in: goods moving between Russia and North Korea, and the
# sanctions on North Korea. Written for these tests from the languages, not taken from the corpus.
SMUGGLING = [
    ("en", "Russian tankers deliver fuel to North Korea", "Ship-to-ship transfers took place in the Sea of Japan."),
    ("ru", "Российские танкеры доставили топливо в КНДР", "Перевалка нефтепродуктов проходила в открытом море."),
    ("uk", "Російські танкери постачали пальне до КНДР", "Перевантаження відбувалося у відкритому морі."),
    ("ko", "러시아, 북한에 정제유 공급", "러시아 유조선이 북한 선박에 정제유를 옮겨 실었다."),
    ("ja", "ロシア、北朝鮮に石油を供給", "ロシアのタンカーが北朝鮮の船に石油精製品を瀬取りで移し替えた。"),
    ("zh", "俄罗斯向朝鲜运送石油", "俄罗斯油轮在公海通过船对船转运向朝鲜提供成品油。"),
    ("zh", "俄羅斯向北韓運送石油", "俄羅斯油輪在公海透過船對船轉運向北韓提供成品油。"),
    ("de", "Russische Tanker liefern Öl an Nordkorea", "Die Ladung wurde auf hoher See von Schiff zu Schiff umgeladen."),
    ("fr", "Des pétroliers russes livrent du carburant à la Corée du Nord", "Les transbordements de navire à navire ont eu lieu en mer."),
    ("es", "Petroleros rusos suministran combustible a Corea del Norte", "Los transbordos de buque a buque se hicieron en alta mar."),
    ("it", "Petroliere russe forniscono carburante alla Corea del Nord", "I trasbordi da nave a nave sono avvenuti in mare aperto."),
    ("pt", "Petroleiros russos fornecem combustível à Coreia do Norte", "As transferências de navio para navio ocorreram em alto-mar."),
    ("pl", "Rosyjskie tankowce dostarczają paliwo do Korei Północnej", "Przeładunek ze statku na statek odbył się na pełnym morzu."),
    ("tr", "Rus tankerleri Kuzey Kore'ye yakıt taşıdı", "Gemiden gemiye aktarma açık denizde yapıldı."),
    ("vi", "Tàu chở dầu Nga cung cấp nhiên liệu cho Triều Tiên", "Việc chuyển tải giữa các tàu diễn ra trên biển."),
    ("en", "North Korea ships artillery shells to Russia by rail", "Freight trains crossed the Tumen River bridge at Khasan."),
    ("en", "Russian firm channels funds to North Korean IT workers", "The front company in Vladivostok paid the workers through bank accounts."),
]
SANCTIONS = [
    ("en", "UN tightens sanctions on North Korea", "The Security Council voted on Friday."),
    ("ru", "Совбез ООН расширил санкции против КНДР", ""),
    ("uk", "Рада безпеки ООН посилила санкції проти КНДР", ""),
    ("ko", "유엔 안보리, 대북제재 강화", "북한의 석탄 수출을 금지했다."),
    ("ja", "国連安保理、北朝鮮への制裁を強化", "北朝鮮からの石炭の輸出を禁止した。"),
    ("zh", "联合国安理会加强对朝鲜的制裁", "禁止朝鲜出口煤炭。"),
    ("de", "UN verschärfen Sanktionen gegen Nordkorea", "Der Sicherheitsrat verbot die Kohleexporte."),
    ("fr", "L'ONU durcit les sanctions contre la Corée du Nord", "Le Conseil de sécurité interdit les exportations de charbon."),
    ("es", "La ONU endurece las sanciones contra Corea del Norte", "El Consejo de Seguridad prohibió las exportaciones de carbón."),
    ("it", "L'ONU inasprisce le sanzioni contro la Corea del Nord", "Il Consiglio di sicurezza ha vietato le esportazioni di carbone."),
    ("pt", "ONU endurece sanções contra a Coreia do Norte", "O Conselho de Segurança proibiu as exportações de carvão."),
    ("pl", "ONZ zaostrza sankcje wobec Korei Północnej", "Rada Bezpieczeństwa zakazała eksportu węgla."),
    ("tr", "BM Kuzey Kore'ye yaptırımları sıkılaştırdı", "Güvenlik Konseyi kömür ihracatını yasakladı."),
    ("vi", "Liên Hợp Quốc siết chặt lệnh trừng phạt Triều Tiên", "Hội đồng Bảo an cấm xuất khẩu than đá."),
]


@pytest.mark.parametrize(("lang", "title", "text"), SMUGGLING, ids=[f"{lang}-{i}" for i, (lang, _, _) in enumerate(SMUGGLING)])
def test_goods_moving_between_russia_and_north_korea_in_every_language(lang: str, title: str, text: str) -> None:
    for declared in (lang, None):  # the feed's language, or none: identified from the text
        tags = {t.tag: t for t in Classifier.default().classify(title, text, lang=declared)}
        assert "russia-dprk-smuggling" in tags, (declared, title)
        assert tags["russia-dprk-smuggling"].snippets, "evidence in the article's own language"
        assert any(s.highlights for s in tags["russia-dprk-smuggling"].snippets)


@pytest.mark.parametrize(("lang", "title", "text"), SANCTIONS, ids=[f"{lang}-{i}" for i, (lang, _, _) in enumerate(SANCTIONS)])
def test_sanctions_on_north_korea_in_every_language(lang: str, title: str, text: str) -> None:
    tags = {t.tag for t in Classifier.default().classify(title, text, lang=lang)}
    assert "dprk-sanctions" in tags


# Hard negatives: both countries named, nothing moving. Summits, treaties, visits, tourism, flights, troops.
HARD_NEGATIVES = [
    ("Putin and Kim sign partnership treaty in Pyongyang", "The Russian president arrived for a two-day state visit. The leaders held talks and attended a banquet."),
    ("Kim Jong Un arrives in Vladivostok by armoured train", "The North Korean leader's train crossed the border at Khasan before his summit with Putin. Railway workers lined the platform."),
    ("Russian tourists return to North Korea's ski resort", "A group of tourists from Russia flew to Pyongyang on a charter flight operated by the Russian airline."),
    ("North Korean troops deployed to Russia's Kursk region", "Thousands of soldiers fought alongside Russian forces, and casualties were reported."),
    ("Путин и Ким Чен Ын подписали договор о партнерстве", "Встреча лидеров России и КНДР прошла в Пхеньяне. Делегации провели переговоры."),
    ("Russlands Außenminister besucht Nordkorea", "Lawrow traf in Pjöngjang seinen Amtskollegen zu Gesprächen über die Partnerschaft."),
    ("プーチン大統領、北朝鮮を訪問", "金正恩総書記と首脳会談を行い、包括的戦略パートナーシップ条約に署名した。"),
]


@pytest.mark.parametrize(("title", "text"), HARD_NEGATIVES)
def test_two_countries_named_together_are_not_smuggling(title: str, text: str) -> None:
    assert "russia-dprk-smuggling" not in {t.tag for t in Classifier.default().classify(title, text)}


def test_a_long_article_is_classified_up_to_the_cap_and_the_tag_says_so() -> None:
    filler = "The weather in the capital was mild, and markets were calm. " * 4000  # ~240 KB of nothing
    classifier = Classifier(load_topics(), [], None, load_lexicon().languages, max_chars=100_000)
    tags = classifier.classify("Russian tankers deliver fuel to North Korea", filler + "Ship-to-ship transfers were seen.")
    tag = {t.tag: t for t in tags}["russia-dprk-smuggling"]  # the title is within the cap; the last sentence is not
    assert tag.truncated_at is not None and tag.truncated_at <= 100_000
    assert all("Ship-to-ship" not in s.text for s in tag.snippets)


def test_firings_are_one_per_sentence_however_many_hits() -> None:
    """Scoring is linear in the hits: a window rule fires at most once a sentence, not once a pair of hits."""
    rules = {t.topic: t for t in load_topics()}["russia-dprk-smuggling"]
    sentence = "Russia and North Korea and Russia and North Korea traded oil, coal, fuel and arms shipped and delivered. "
    doc = Document("Report", sentence * 200)
    found = rules.index.occurrences(doc)
    hits = _Hits(doc, rules, found, [(t, rules.concepts_of[t]) for t in found if t in rules.concepts_of])
    firings = [f for rule in rules.rules for f in _firings(doc, rule, hits)]
    assert len(firings) <= len(rules.rules) * (len(doc.sentences))


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("UN tightens sanctions on North Korea", "The Security Council voted on Friday.", {"dprk-sanctions"}),
        ("Russian tankers deliver fuel to North Korea", "Ship-to-ship transfers in the Sea of Japan.", {"russia-dprk-smuggling"}),
        ("Совбез ООН расширил санкции против КНДР", "", {"dprk-sanctions"}),
        ("러시아, 북한에 정제유 공급", "대북제재 결의 위반 의혹이 제기됐다.", {"russia-dprk-smuggling", "dprk-sanctions"}),
        ("러시아, 북한에 정제유 공급", "러시아가 북한에 정제유를 공급했다.", {"russia-dprk-smuggling"}),
        ("North Korea fires a missile", "It flew 1,000 km. Japan protested. Seoul convened its security council. Sanctions on North Korea remain in place.", set()),
        ("EU adopts new sanctions on Russia", "The package targets the shadow fleet of oil tankers.", set()),
        ("Wimbledon final", "Djokovic won in five sets.", set()),
    ],
)
def test_topics(title: str, text: str, expected: set[str]) -> None:
    tags = Classifier.default().classify(title, text)
    assert {t.tag for t in tags} == expected


def test_tag_carries_score_matches_and_marked_snippets() -> None:
    tag = score_topic(Document("Sanctions on North Korea tightened", "The UN sanctions North Korea again."), load_topics()[0])
    assert tag is not None and 0.5 <= tag.score <= 1.0
    assert {m.group for m in tag.matched} == {"dprk", "sanctions"}
    assert all(m.rule for m in tag.matched)
    assert tag.snippets[0].marked == "«Sanctions» on «North Korea» tightened"


def test_watch_tags_with_evidence() -> None:
    watches, errors = compile_watches([(7, '"Sky Morning" OR "Rich Glory"'), (8, "(broken")])
    assert [w.id for w in watches] == [7] and errors[0][0] == 8
    tags = Classifier.default(watches).classify("Tanker Rich Glory seen at Nampo", "Satellite images show the Rich Glory.")
    watch = [t for t in tags if t.tag == "watch:7"][0]
    assert watch.kind == "watch" and watch.score == 1.0
    assert {m.term for m in watch.matched} == {"Rich Glory"}
    assert watch.snippets[0].marked == "Tanker «Rich Glory» seen at Nampo"


def test_broken_rule_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("topic: x\nversion: 1\ngroups: {a: [foo]}\nrules: [{all: [a, b]}]\n")
    with pytest.raises(TopicRulesError, match=r"x.yaml: rules\[0\].all: unknown or empty concepts \['b'\]"):
        load_topics(tmp_path)
    (tmp_path / "x.yaml").write_text("topic: x\nversion: 1\nrules: [{all: [dprk, [coal, nonsense]]}]\n")
    with pytest.raises(TopicRulesError, match=r"x.yaml: rules\[0\].all: unknown or empty concepts \['nonsense'\]"):
        load_topics(tmp_path)
    (tmp_path / "x.yaml").write_text("topic: x\nversion: 1\nrules: [{all: [dprk, coal], scope: window}]\n")
    with pytest.raises(TopicRulesError, match=r"rules\[0\].words: a window needs"):
        load_topics(tmp_path)
    (tmp_path / "x.yaml").write_text("topic: x\ngroups: {}\nrules: []\n")
    with pytest.raises(TopicRulesError, match="missing field 'version'"):
        load_topics(tmp_path)


@needs_shared
def test_seed_article_nk001_gets_both_topics() -> None:
    item = corpus()["nk001"]
    tags = {t.tag: t for t in Classifier.default().classify(item["title"], item["text"])}
    assert set(tags) == {"dprk-sanctions", "russia-dprk-smuggling"}
    assert any("smuggl" in m.term.lower() or "supplie" in m.term.lower() for m in tags["russia-dprk-smuggling"].matched)


def test_broken_lexicon_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "xx.yaml").write_text("lang: de\nstemmer: french\nconcepts: {dprk: [Nordkorea]}\n")
    with pytest.raises(LexiconError, match="xx.yaml: stemmer: 'french' is not the stemmer Radar uses for 'de'"):
        load_lexicon(tmp_path)
    (tmp_path / "xx.yaml").write_text("lang: de\nstemmer: german\nconcepts: {dprk: Nordkorea}\n")
    with pytest.raises(LexiconError, match="xx.yaml: concepts.dprk: a list of terms is needed"):
        load_lexicon(tmp_path)
    (tmp_path / "xx.yaml").write_text("stemmer: german\nconcepts: {}\n")
    with pytest.raises(LexiconError, match="xx.yaml: missing field 'lang'"):
        load_lexicon(tmp_path)


def test_false_friends_are_no_evidence() -> None:
    classifier = Classifier.default()
    passing = "North Korea fired a missile on Monday. Sanctions on North Korea remain in place, officials said."
    assert classifier.classify("Missile launch", passing) == []
    other = "The EU agreed new sanctions on Russia; North Korea was mentioned as a supplier of shells."
    assert "dprk-sanctions" not in {t.tag for t in classifier.classify("EU package", other)}
    rules = load_topics()[0]
    assert any(t.source == "sanctions on russia" for t in rules.exclude)
