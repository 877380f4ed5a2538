"""`radar classify` uses exactly the service's code and gives the same tags as the running service."""

import json

from click.testing import CliRunner

from radar_api.cli import main
from radar_classifier.classify import Classifier, classify_event
from radar_shared.messages import Article, ArticleDiscovered

ITEMS = [
    {"id": "a", "title": "UN tightens sanctions on North Korea", "text": "Russian tankers deliver fuel to North Korea, evading sanctions."},
    {"id": "b", "title": "Wimbledon final", "text": "Djokovic won."},
    {"title": "Совбез ООН расширил санкции против КНДР", "text": "", "lang": "ru"},
]


def test_output_format_and_parity_with_the_service(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    result = CliRunner().invoke(main, ["classify", "-"], input="\n".join(json.dumps(i) for i in ITEMS) + "\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", 3]
    for item, line in zip(ITEMS, lines, strict=True):
        event = ArticleDiscovered(article=Article(article_id="x", story_id="x", feed_id=1, feed_url="f", entry_key="k", url="", title=item["title"], text=item["text"], lang=item.get("lang")))
        classified = classify_event(Classifier.default(), event)
        expected = [t.model_dump(mode="json") for t in classified.tags] if classified else []
        assert line["tags"] == expected
        for tag in line["tags"]:
            assert set(tag) >= {"tag", "score", "matched", "snippets"} and 0 <= tag["score"] <= 1


def test_bad_lines_are_reported_with_their_number(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    result = CliRunner().invoke(main, ["classify", "-"], input='{"title": "ok", "text": ""}\nnot json\n{"title": 5}\n')
    assert result.exit_code == 1
    assert "line 2" in result.output and "line 3" in result.output
    assert json.loads(result.output.splitlines()[0])["id"] == 1
