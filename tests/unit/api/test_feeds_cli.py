"""`radar feeds preview|import|export` and OPML, including hostile XML."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from radar_api.cli import main
from radar_api.opml import OPMLError, OPMLFeed, parse_opml, render_opml
from tests.support.corpus import FEEDS, needs_shared

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="Korea"><outline text="NK News" xmlUrl="https://www.nknews.org/feed/"/>
<outline title="38 North" xmlUrl="https://www.38north.org/feed/"/></outline>
<outline text="private" xmlUrl="http://192.168.1.10/feed"/><outline text="dup" xmlUrl="https://www.nknews.org/feed/"/></body></opml>"""
LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><opml><body><outline text="&lol3;" xmlUrl="https://x.example/"/></body></opml>"""


@pytest.fixture
def db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    return sqlite_url


def test_opml_round_trip() -> None:
    feeds = parse_opml(OPML)
    assert [f.url for f in feeds] == ["https://www.nknews.org/feed/", "https://www.38north.org/feed/", "http://192.168.1.10/feed"]
    assert parse_opml(render_opml(feeds)) == feeds


@pytest.mark.parametrize(("data", "message"), [(LAUGHS, "unsafe XML"), (b"<html></html>", "not <opml>"), (b"<opml><body>", "not well-formed")])
def test_hostile_or_broken_opml_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(OPMLError, match=message):
        parse_opml(data, "feeds.opml")


def test_import_reports_each_feed_and_export_lists_them(db: str, tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_bytes(OPML)
    result = CliRunner().invoke(main, ["feeds", "import", str(path)])
    assert result.exit_code == 1, "one feed was refused"
    assert "2 added, 0 already present, 1 refused" in result.output
    assert "192.168.1.10" in result.output and "not a public address" in result.output
    again = CliRunner().invoke(main, ["feeds", "import", str(path)])
    assert "0 added, 2 already present" in again.output
    exported = CliRunner().invoke(main, ["feeds", "export"])
    assert [f.url for f in parse_opml(exported.stdout_bytes)] == ["https://www.nknews.org/feed/", "https://www.38north.org/feed/"]


@needs_shared
def test_preview_a_file_prints_json_lines() -> None:
    result = CliRunner().invoke(main, ["feeds", "preview", str(FEEDS / "rssparser_guardian_us_2018.xml")])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 55
    assert set(lines[0]) == {"id", "url", "title", "published", "text_length"}


def test_preview_errors_exit_non_zero(tmp_path: Path) -> None:
    refused = CliRunner().invoke(main, ["feeds", "preview", "http://127.0.0.1:9/feed"])
    assert refused.exit_code == 1 and "not a public address" in refused.output
    page = tmp_path / "page.html"
    page.write_text("<html><body>not a feed</body></html>")
    broken = CliRunner().invoke(main, ["feeds", "preview", str(page)])
    assert broken.exit_code == 1 and "not a feed" in broken.output


def test_subscription_schedule_options(db: str) -> None:
    slack = "slack://T00000000/B00000000/radartestwebhooktoken000"
    run = CliRunner().invoke
    added = run(main, ["subscriptions", "add", "--channel", slack, "--topic", "dprk-sanctions", "--digest", "daily", "--digest-time", "07:30",
                       "--timezone", "Asia/Seoul", "--quiet", "22:00-06:00", "--max-per-hour", "5"])
    assert added.exit_code == 0, added.output
    listed = run(main, ["subscriptions", "list"])
    assert "digest daily at 07:30 Asia/Seoul, quiet 22:00–06:00 Asia/Seoul, at most 5/hour" in listed.output
    assert "radartestwebhooktoken000" not in listed.output
    for args, field in ((["--timezone", "Mars/Base"], "timezone:"), (["--quiet", "22:00"], "quiet:"), (["--digest", "daily", "--digest-time", "7"], "digest_time:")):
        bad = run(main, ["subscriptions", "add", "--channel", slack, "--topic", "dprk-sanctions", *args])
        assert bad.exit_code == 2 and field in bad.output, bad.output


def test_a_feed_opts_in_to_full_text_with_a_threshold(db: str) -> None:
    added = CliRunner().invoke(main, ["feeds", "add", "https://www.nknews.org/feed/", "--full-text-below", "500"])
    assert added.exit_code == 0, added.output
    [row] = [json.loads(line) for line in CliRunner().invoke(main, ["feeds", "list", "--json"]).output.splitlines()]
    assert row["full_text_below"] == 500 and row["pages_fetched"] == 0
    assert "full text < 500" in CliRunner().invoke(main, ["feeds", "list"]).output
    refused = CliRunner().invoke(main, ["feeds", "add", "https://www.38north.org/feed/", "--full-text-below", "0"])
    assert refused.exit_code != 0 and "full_text_below: between 1 and 100000" in refused.output and "Traceback" not in refused.output


def test_feeds_add_says_in_its_help_that_an_interval_is_at_least_30_seconds_and_refuses_less(db: str) -> None:
    runner = CliRunner()
    assert "at least 30" in runner.invoke(main, ["feeds", "add", "--help"]).output
    refused = runner.invoke(main, ["feeds", "add", "https://www.nknews.org/feed/", "--interval", "29"])
    assert refused.exit_code == 2 and "30" in refused.output
    added = runner.invoke(main, ["feeds", "add", "https://www.nknews.org/feed/", "--interval", "30"])
    assert added.exit_code == 0, added.output


@pytest.mark.parametrize(("seconds", "said"), [(45, "45 s"), (59.4, "59 s"), (59.6, "1 min"), (60, "1 min"), (900, "15 min"), (3600, "1 h"), (9000, "2 h 30 min")])
def test_status_says_a_poll_interval_in_units_that_are_not_zero(seconds: float, said: str) -> None:
    from radar_api.cli.output import duration

    assert duration(seconds) == said


def test_status_prints_a_planned_interval_under_a_minute_in_seconds(db: str) -> None:
    from radar_shared.db import session_scope
    from radar_shared.models import FeedState
    from tests.support.sinks import free_port

    added = CliRunner().invoke(main, ["feeds", "add", "https://www.nknews.org/feed/", "--interval", "45"])
    assert added.exit_code == 0, added.output
    with session_scope(db) as s:
        s.add(FeedState(feed_id=1, polls=1, interval_seconds=45.0))
    printed = CliRunner().invoke(main, ["status"], env={"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"}).output
    [line] = [line for line in printed.splitlines() if "nknews.org" in line]
    assert "every 45 s" in line and "0 min" not in line


def test_the_opml_export_stays_well_formed_with_hostile_titles() -> None:
    hostile = "Coal\ufffe ship\uffff \ud800left\udfff Nampo\x00\x01\x1f"  # every kind of character that XML 1.0 forbids
    exported = render_opml([OPMLFeed("https://x.example/feed?a=1\x0b", hostile)], title=hostile)
    [feed] = parse_opml(exported)  # raises OPMLError on anything that is not well-formed XML
    assert feed == OPMLFeed("https://x.example/feed?a=1", "Coal ship left Nampo")


def test_a_feed_is_given_its_own_allow_list_entries_within_the_operators(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_WATCHER_ALLOWED_NETWORKS", '["10.1.0.0/16:80,443"]')
    runner = CliRunner()
    added = runner.invoke(main, ["feeds", "add", "http://10.1.2.3/feed.xml", "--full-text-below", "500", "--allow", "10.1.2.0/24:443", "--allow", "10.1.9.9/32:80"])
    assert added.exit_code == 0, added.output
    [row] = [json.loads(line) for line in runner.invoke(main, ["feeds", "list", "--json"]).output.splitlines()]
    assert row["allowed_networks"] == ["10.1.2.0/24:443", "10.1.9.9:80"]
    for entry, said in [("10.1.2.3:8443", "allowed_networks: entry '10.1.2.3:8443' is not within FEED_WATCHER_ALLOWED_NETWORKS (10.1.0.0/16:80,443)"),
                        ("10.0.0.0/8:443", "allowed_networks: entry '10.0.0.0/8:443' is not within FEED_WATCHER_ALLOWED_NETWORKS"),
                        ("10.1.2.3", "allowed_networks: entry '10.1.2.3': names no port; write 10.1.2.3:PORT"),
                        ("wiki.intranet:443", "allowed_networks: entry 'wiki.intranet:443': 'wiki.intranet' is not an IP address or network")]:
        refused = runner.invoke(main, ["feeds", "add", "http://10.1.2.4/feed.xml", "--allow", entry])
        assert refused.exit_code != 0 and said in refused.output and "Traceback" not in refused.output, refused.output
    other_port = runner.invoke(main, ["feeds", "add", "http://10.1.2.3:8080/feed.xml"])
    assert other_port.exit_code != 0 and "host 10.1.2.3 is not a public address (its allow-list entry does not name port 8080)" in other_port.output


def test_a_bare_network_in_the_operators_list_is_refused_naming_the_setting(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_WATCHER_ALLOWED_NETWORKS", '["10.1.0.0/16"]')
    refused = CliRunner().invoke(main, ["feeds", "add", "http://10.1.2.3/feed.xml"])
    assert refused.exit_code != 0 and "FEED_WATCHER_ALLOWED_NETWORKS: entry '10.1.0.0/16': names no port" in refused.output, refused.output
