from pathlib import Path

import pytest

from radar_classifier.classify import Classifier, compile_watches
from radar_classifier.rules import TopicRulesError, load_topics, score_topic
from radar_classifier.text import Document
from tests.support.corpus import corpus, needs_shared


def test_builtin_topics_load_from_data_files() -> None:
    topics = {t.topic: t for t in load_topics()}
    assert set(topics) == {"dprk-sanctions", "russia-dprk-smuggling"}
    assert topics["russia-dprk-smuggling"].groups["dprk"] == topics["dprk-sanctions"].groups["dprk"]


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
    with pytest.raises(TopicRulesError, match=r"x.yaml: rules\[0\].all"):
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


def test_false_friends_are_no_evidence() -> None:
    classifier = Classifier.default()
    passing = "North Korea fired a missile on Monday. Sanctions on North Korea remain in place, officials said."
    assert classifier.classify("Missile launch", passing) == []
    other = "The EU agreed new sanctions on Russia; North Korea was mentioned as a supplier of shells."
    assert "dprk-sanctions" not in {t.tag for t in classifier.classify("EU package", other)}
    rules = load_topics()[0]
    assert any(t.source == "sanctions on russia" for t in rules.exclude)
