"""The dev-set quality targets of the built-in topics. Fails when a rule change lowers them."""

import json

from click.testing import CliRunner

from radar_api.cli import main
from radar_classifier.classify import Classifier
from radar_classifier.evaluate import CorpusError, evaluate, read_corpus
from tests.support.corpus import CORPUS, needs_shared


@needs_shared
def test_dev_set_meets_the_targets() -> None:
    report = evaluate(Classifier.default(), read_corpus(CORPUS.read_text(encoding="utf-8").splitlines()))
    for topic, counts in report.topics.items():
        assert counts.f1 >= 0.97, f"{topic}: F1 {counts.f1:.3f} < 0.97"
        assert counts.precision >= 0.95, f"{topic}: precision {counts.precision:.3f} < 0.95"
        assert report.non_english[topic].recall >= 0.9, f"{topic}: non-English recall {report.non_english[topic].recall:.3f} < 0.9"
    assert report.debatable > 0 and any(f.kind == "debatable" for f in report.findings), "DEBATABLE items are listed, not counted"


@needs_shared
def test_radar_eval_prints_figures_and_findings() -> None:
    result = CliRunner().invoke(main, ["eval", "--corpus", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert "dprk-sanctions" in result.output and "non-en" in result.output and "DEBATABLE" in result.output
    data = json.loads(CliRunner().invoke(main, ["eval", "--corpus", str(CORPUS), "--json"]).output)
    assert set(data["topics"]) == {"dprk-sanctions", "russia-dprk-smuggling"}
    assert {"precision", "recall", "f1"} <= set(data["topics"]["dprk-sanctions"])


def test_corpus_errors_name_the_line_and_field() -> None:
    import pytest

    with pytest.raises(CorpusError, match=r"line 2 \(x\): missing field 'russia_dprk_smuggling'"):
        read_corpus(['{"title": "t", "text": "", "dprk_sanctions": true, "russia_dprk_smuggling": false}', '{"id": "x", "title": "t", "text": "", "dprk_sanctions": true}'])
    with pytest.raises(CorpusError, match="must be true or false"):
        read_corpus(['{"title": "t", "text": "", "dprk_sanctions": "yes", "russia_dprk_smuggling": false}'])
