"""`radar` and bad input: one line that names the field, a non-zero exit, never a traceback."""

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from radar_api import service
from radar_api.cli import main
from tests.support.sinks import free_port


@pytest.fixture
def db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")  # nothing listens: no command here needs Kafka
    return sqlite_url


def refused(result: Result, starts: str, exit_code: int = 2) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), f"{type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.output
    assert result.exit_code == exit_code, result.output
    [line] = result.output.splitlines()
    assert line.startswith(f"radar: {starts}"), line


@pytest.mark.parametrize(
    ("args", "starts", "exit_code"),
    [
        (["feeds", "add", "http://[::1/feed"], "url: 'http://[::1/feed': not a valid URL", 2),
        (["feeds", "preview", "http://[::1/feed"], "feed http://[::1/feed: not a valid URL", 1),
        (["deliveries", "resend", "999999"], "delivery_ids: no failed delivery 999999", 2),
        (["deliveries", "list", "--limit", "-1"], "limit: between 1 and 500", 2),
        (["dlq", "list", "--topic", "no.such.topic"], "topic: no dead letters are kept for 'no.such.topic'", 2),
        (["dlq", "replay", "--topic", "no.such.topic"], "topic:", 2),
        (["watches", "add", "(" * 300], "query: nested deeper than 32 levels at position 32", 2),
        (["watches", "test", "(" * 300], "query: nested deeper than 32 levels", 2),
        (["subscriptions", "add", "--channel", "slack://T00000000/B00000000/clitestwebhooktoken0000", "--topic", "dprk-sanctions", "--timezone", "X" * 70],
         "timezone: String should have at most 64 characters", 2),
        (["subscriptions", "add", "--channel", "slack://T00000000/B00000000/clitestwebhooktoken0000", "--topic", "dprk-sanctions", "--timezone", "Mars/Base"],
         "timezone: 'Mars/Base' is not an IANA time zone", 2),
    ],
)
def test_bad_arguments(db: str, args: list[str], starts: str, exit_code: int) -> None:
    refused(CliRunner().invoke(main, args), starts, exit_code)


@pytest.mark.parametrize(("lines", "starts"), [('{"title": "a"}\nnot json\n', "file: line 2: Expecting value"), ("[1]\n", "file: line 1: not a JSON object"),
                                               ('{"title": 5}\n', "file: line 1: title: Input should be a valid string")])
def test_watches_test_file_lines_that_are_no_articles(db: str, tmp_path: Path, lines: str, starts: str) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text(lines)
    refused(CliRunner().invoke(main, ["watches", "test", "coal", "--file", str(path)]), starts)


@pytest.mark.parametrize(
    ("url", "starts"),
    [(f"postgresql://radar:secret@127.0.0.1:{free_port()}/radar", "DATABASE_URL: cannot use the database: connection failed"),
     ("mysql+nosuchdriver://radar:secret@127.0.0.1/radar", "DATABASE_URL: not a database URL Radar can use"),
     ("not a url", "DATABASE_URL: not a database URL Radar can use"),
     ("sqlite:////proc/radar-test/radar.db", "DATABASE_URL: cannot use the database: unable to open database file")],
)
def test_a_database_that_cannot_be_used(monkeypatch: pytest.MonkeyPatch, url: str, starts: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    for args in (["watches", "list"], ["db", "upgrade"], ["subscriptions", "add", "--channel", "slack://T0/B0/C0", "--topic", "dprk-sanctions"]):
        result = CliRunner().invoke(main, args)
        refused(result, starts)
        assert "secret" not in result.output


def test_an_empty_database_says_to_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    refused(CliRunner().invoke(main, ["feeds", "list"]), "DATABASE_URL: cannot use the database: no such table: feed; run `radar db upgrade`")


def test_opml_import_reports_the_bad_url_and_imports_the_rest(db: str, tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text('<opml><body><outline xmlUrl="http://[::1/feed"/><outline xmlUrl="https://www.nknews.org/feed/"/></body></opml>')
    result = CliRunner().invoke(main, ["feeds", "import", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit | None)
    assert "1 added, 0 already present, 1 refused" in result.output and "http://[::1/feed" in result.output and "not a valid URL" in result.output
    assert [f.url for f, _ in service.list_feeds(db)] == ["https://www.nknews.org/feed/"]


def test_preview_reads_no_more_than_the_byte_cap(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_WATCHER_MAX_BODY_BYTES", "4096")
    refused(CliRunner().invoke(main, ["feeds", "preview", "/dev/zero"]), "feed /dev/zero: more than the 4096-byte cap", 1)
