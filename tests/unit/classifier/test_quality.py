"""The quality targets of the built-in topics on the labelled corpus. Fails when a rule or lexicon change lowers them.

The rules were tuned on dev.jsonl and on the tuning half of dev2.jsonl; the other half was frozen before the
rewrite (decision 008) and is the figure that says whether they generalise.
"""

import json

import pytest
from click.testing import CliRunner

from radar_api.cli import main
from radar_classifier.classify import Classifier
from radar_classifier.evaluate import CorpusError, evaluate, read_corpus, split_holdout
from tests.support.corpus import CORPUS, CORPUS2, needs_shared


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
