"""The quality targets of the built-in topics on the labelled corpus. Fails when a rule or lexicon change lowers them.

The rules were tuned on dev.jsonl and on the tuning half of dev2.jsonl; the other half was frozen before the
rewrite (decision 008) and is the figure that says whether they generalise.
"""

import json

import pytest
from click.testing import CliRunner

from radar_api.cli import main
from radar_classifier.classify import Classifier
from radar_classifier.evaluate import CorpusError, evaluate, read_corpus, split_by_id_hash, split_for, split_holdout
from tests.support.corpus import CORPUS, CORPUS2, CORPUS3, needs_shared


def _items(path) -> list[dict]:  # type: ignore[no-untyped-def]
    return read_corpus(path.read_text(encoding="utf-8").splitlines())


@needs_shared
def test_both_files_meet_the_targets() -> None:
    report = evaluate(Classifier.default(), _items(CORPUS) + _items(CORPUS2))
    for topic, counts in report.topics.items():
        assert counts.f1 >= 0.95, f"{topic}: F1 {counts.f1:.3f} < 0.95"
        assert counts.precision >= 0.95, f"{topic}: precision {counts.precision:.3f} < 0.95"
    assert report.debatable > 0 and any(f.kind == "debatable" for f in report.findings), "DEBATABLE items are listed, not counted"


@needs_shared
def test_every_language_is_found_on_the_tuning_items() -> None:
    """Recall ≥ 0.85 in each language with at least 3 positives. On the tuning items only: a held-out miss is
    reported (README), never tuned away, or the held-out half would stop measuring anything."""
    tune, _ = split_holdout(_items(CORPUS2))
    report = evaluate(Classifier.default(), _items(CORPUS) + tune)
    for (topic, lang), counts in report.by_lang.items():
        if counts.tp + counts.fn >= 3:
            assert counts.recall >= 0.85, f"{topic} [{lang}]: recall {counts.recall:.3f} < 0.85"


@needs_shared
def test_the_held_out_half_generalises() -> None:
    _, held = split_holdout(_items(CORPUS2))
    report = evaluate(Classifier.default(), held)
    for topic, counts in report.topics.items():
        assert counts.f1 >= 0.9, f"held out, {topic}: F1 {counts.f1:.3f} < 0.9"


def test_holdout_split_is_stratified_and_fixed() -> None:
    items = [{"id": f"x{i}", "lang": lang, "dprk_sanctions": i % 2 == 0, "russia_dprk_smuggling": i % 3 == 0} for i, lang in enumerate(["en", "fr", "ja"] * 10)]
    tune, held = split_holdout(items)
    assert len(tune) == len(held) == 15
    assert {i["id"] for i in held} == {i["id"] for i in split_holdout(list(reversed(items)))[1]}, "the file's order does not matter"
    assert {i["id"] for i in held} != {i["id"] for i in split_holdout(items, seed=1)[1]}, "the seed decides"
    for lang in ("en", "fr", "ja"):
        assert sum(i["lang"] == lang for i in held) == 5


def test_dev3_split_hashes_each_id_within_its_stratum() -> None:
    items = [{"id": f"d{i}", "lang": lang, "dprk_sanctions": i % 2 == 0, "russia_dprk_smuggling": False} for i, lang in enumerate(["nl", "th"] * 8)]
    tune, held = split_by_id_hash(items)
    assert len(tune) == len(held) == 8 and sum(i["lang"] == "th" for i in held) == 4
    assert {i["id"] for i in held} == {i["id"] for i in split_by_id_hash(list(reversed(items)))[1]}, "the file's order does not matter"
    assert {i["id"] for i in held} != {i["id"] for i in split_by_id_hash(items, salt="other")[1]}, "the salt decides"
    assert split_for("/x/dev3.jsonl", items) == split_by_id_hash(items) and split_for("dev2.jsonl", items) == split_holdout(items)


DEV3_HELD_OUT = (
    "d3-002 d3-004 d3-009 d3-010 d3-012 d3-014 d3-018 d3-020 d3-021 d3-024 d3-026 d3-027 d3-029 d3-030 d3-032 d3-034 d3-035 "
    "d3-036 d3-037 d3-040 d3-046 d3-049 d3-050 d3-052 d3-054 d3-055 d3-057 d3-058 d3-059 d3-061 d3-063 d3-064 d3-066 d3-068 "
    "d3-071 d3-073 d3-075 d3-077 d3-078 d3-080"
)


@needs_shared
def test_dev3_held_out_half_is_the_one_frozen_in_decision_019() -> None:
    if not CORPUS3.exists():
        pytest.fail(f"{CORPUS3} is missing")
    _, held = split_for("dev3.jsonl", _items(CORPUS3))
    assert " ".join(sorted(i["id"] for i in held)) == DEV3_HELD_OUT


@needs_shared
def test_radar_eval_reports_each_file_and_the_held_out_half() -> None:
    result = CliRunner().invoke(main, ["eval", "--corpus", str(CORPUS), "--corpus", f"{CORPUS2}:holdout"])
    assert result.exit_code == 0, result.output
    assert "== dev.jsonl: 109 items" in result.output and "== dev2.jsonl:holdout: 33 items" in result.output and "== all files" in result.output
    assert "dprk-sanctions" in result.output and "non-en" in result.output and "DEBATABLE" in result.output
    data = json.loads(CliRunner().invoke(main, ["eval", "--corpus", str(CORPUS), "--json"]).output)
    assert set(data["topics"]) == {"dprk-sanctions", "russia-dprk-smuggling"}
    assert {"precision", "recall", "f1"} <= set(data["topics"]["dprk-sanctions"])


def test_radar_eval_names_a_missing_file() -> None:
    result = CliRunner().invoke(main, ["eval", "--corpus", "/no/such/corpus.jsonl"])
    assert result.exit_code != 0 and "--corpus /no/such/corpus.jsonl" in result.output and "Traceback" not in result.output


def test_corpus_errors_name_the_line_and_field() -> None:
    with pytest.raises(CorpusError, match=r"line 2 \(x\): missing field 'russia_dprk_smuggling'"):
        read_corpus(['{"title": "t", "text": "", "dprk_sanctions": true, "russia_dprk_smuggling": false}', '{"id": "x", "title": "t", "text": "", "dprk_sanctions": true}'])
    with pytest.raises(CorpusError, match="must be true or false"):
        read_corpus(['{"title": "t", "text": "", "dprk_sanctions": "yes", "russia_dprk_smuggling": false}'])


def _entity_files(tmp_path):  # type: ignore[no-untyped-def]
    """A corpus of two articles of the project's own, and labels for them against the sample list."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in (
        {"id": "e1", "title": "Tanker seized", "text": "Gudzon Shipping Co LLC chartered the tanker that met a North Korean ship at sea.",
         "dprk_sanctions": True, "russia_dprk_smuggling": True},
        {"id": "e2", "title": "Port news", "text": "A new crane was delivered to the port of Vladivostok on Monday.",
         "dprk_sanctions": False, "russia_dprk_smuggling": False},
    )), encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "e1", "entities": [{"ent_num": "radar-sample-1", "sdn_name": "Gudzon Shipping Co LLC", "type": "entity"}]})
                      + "\n" + json.dumps({"id": "e2", "entities": []}), encoding="utf-8")
    return corpus, labels


def test_radar_eval_entities_scores_screening_per_type_with_misses_and_false_matches(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from radar_classifier.operator import SAMPLE_WATCHLIST

    corpus, labels = _entity_files(tmp_path)
    result = CliRunner().invoke(main, ["eval", "--corpus", str(corpus), "--entities", str(labels), "--list", str(SAMPLE_WATCHLIST), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["articles"] == 2 and data["types"]["all"]["tp"] == 1 and data["types"]["all"]["fp"] == 0 and not data["misses"]
    text = CliRunner().invoke(main, ["eval", "--corpus", str(corpus), "--entities", str(labels), "--list", str(SAMPLE_WATCHLIST)]).output
    assert "== watchlist screening: 2 labelled articles (all)" in text and "precision" in text


def test_radar_eval_entities_names_what_is_missing_or_broken(tmp_path) -> None:  # type: ignore[no-untyped-def]
    corpus, labels = _entity_files(tmp_path)
    without_list = CliRunner().invoke(main, ["eval", "--corpus", str(corpus), "--entities", str(labels)])
    assert without_list.exit_code != 0 and "--list" in without_list.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "e1"}\n', encoding="utf-8")
    broken = CliRunner().invoke(main, ["eval", "--corpus", str(corpus), "--entities", str(bad), "--list", str(corpus)])
    assert broken.exit_code != 0 and "line 1" in broken.output and "Traceback" not in broken.output


@needs_shared
def test_radar_eval_entities_on_the_real_sdn_list_scores_the_frozen_held_out_half() -> None:
    sdn = CORPUS.parent.parent / "watchlists" / "ofac-sdn-2024-05-03.csv"
    labels = CORPUS.parent / "entities-dev.jsonl"
    result = CliRunner().invoke(main, ["eval", "--corpus", str(CORPUS), "--corpus", str(CORPUS2), "--entities", f"{labels}:holdout", "--list", str(sdn), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["half"] == "holdout" and 80 <= data["articles"] <= 95
    assert data["types"]["all"]["precision"] >= 0.9, data["types"]
