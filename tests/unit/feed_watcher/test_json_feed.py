"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/), next to RSS and Atom: feedparser does not read it.

The first two fixtures are the spec's own examples (the simple feed and the podcast feed, as the spec prints them).
"""

import json
from datetime import UTC, datetime

import pytest

from radar_feed_watcher.jsonfeed import is_json_feed
from radar_feed_watcher.parser import EntryLimits, FeedParseError, parse_feed
from radar_shared.messages import ArticleDiscovered
from tests.support.sinks import FeedServer
from tests.unit.feed_watcher.test_poller import add_feed, make_poller

SPEC_SIMPLE = b"""{
    "version": "https://jsonfeed.org/version/1.1",
    "title": "My Example Feed",
    "home_page_url": "https://example.org/",
    "feed_url": "https://example.org/feed.json",
    "items": [
        {
            "id": "2",
            "content_text": "This is a second item.",
            "url": "https://example.org/second-item"
        },
        {
            "id": "1",
            "content_html": "<p>Hello, world!</p>",
            "url": "https://example.org/initial-post"
        }
    ]
}"""

SPEC_PODCAST = b"""{
    "version": "https://jsonfeed.org/version/1.1",
    "user_comment": "This is a podcast feed. You can add this feed to your podcast client using the following URL: http://therecord.co/feed.json",
    "title": "The Record",
    "home_page_url": "http://therecord.co/",
    "feed_url": "http://therecord.co/feed.json",
    "items": [
        {
            "id": "http://therecord.co/chris-parrish",
            "title": "Special #1 - Chris Parrish",
            "url": "http://therecord.co/chris-parrish",
            "content_text": "Chris has worked at Adobe and as a founder of Rogue Sheep, which won an Apple Design Award for Postage. Chris\\u2019s new company is Aged & Distilled with Guy English \\u2014 which shipped Napkin, a Mac app for visual collaboration. Chris is also the co-host of The Record. He lives on Bainbridge Island, a quick ferry ride from Seattle.",
            "content_html": "Chris has worked at <a href=\\"http://adobe.com/\\">Adobe</a> and as a founder of Rogue Sheep, which won an Apple Design Award for Postage. Chris\\u2019s new company is Aged & Distilled with Guy English \\u2014 which shipped <a href=\\"http://aged-and-distilled.com/napkin/\\">Napkin</a>, a Mac app for visual collaboration. Chris is also the co-host of The Record. He lives on <a href=\\"http://www.ci.bainbridge-isl.wa.us/\\">Bainbridge Island</a>, a quick ferry ride from Seattle.",
            "summary": "Brent interviews Chris Parrish, co-host of The Record and one-half of Aged & Distilled.",
            "date_published": "2014-05-09T14:04:00-07:00",
            "attachments": [
                {
                    "url": "http://therecord.co/downloads/The-Record-sp1e1-ChrisParrish.m4a",
                    "mime_type": "audio/x-m4a",
                    "size_in_bytes": 89970236,
                    "duration_in_seconds": 6629
                }
            ]
        }
    ]
}"""


def test_the_specs_simple_example() -> None:
    feed = parse_feed(SPEC_SIMPLE, "https://example.org/feed.json", "application/feed+json")
    assert feed.title == "My Example Feed"
    assert [(e.url, e.text) for e in feed.entries] == [
        ("https://example.org/second-item", "This is a second item."),
        ("https://example.org/initial-post", "Hello, world!"),
    ]
    assert feed.entries[1].summary_html == "<p>Hello, world!</p>"
    assert feed.entries[0].title == "https://example.org/second-item", "an untitled item is named by its link, as RSS items are"
    assert len({e.entry_key for e in feed.entries}) == 2 and len({e.article_id for e in feed.entries}) == 2


def test_the_specs_podcast_example() -> None:
    [entry] = parse_feed(SPEC_PODCAST, "http://therecord.co/feed.json", "application/json").entries
    assert entry.title == "Special #1 - Chris Parrish"
    assert entry.published_at == datetime(2014, 5, 9, 21, 4, tzinfo=UTC), "RFC 3339 with an offset, in UTC"
    assert entry.text.startswith("Brent interviews Chris Parrish") and "Bainbridge Island" in entry.text, "the summary, then the content"
    assert 'href="http://adobe.com/"' in entry.summary_html and 'rel="noopener noreferrer nofollow"' in entry.summary_html


def test_content_text_is_escaped_language_and_external_url_are_read() -> None:
    body = json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Desk", "language": "ko-KR",
        "items": [
            {"id": "a", "title": "북한 석탄", "content_text": "<script>alert(1)</script> 선박", "external_url": "https://news.example/a", "date_modified": "2024-03-01T00:00:00Z"},
            {"id": "b", "title": "English", "content_text": "Coal", "url": "https://news.example/b", "language": "en"},
            "not an object",
        ],
    }).encode()
    feed = parse_feed(body, "https://desk.example/feed.json")  # no content type: a JSON object is sniffed
    a, b = feed.entries
    assert "<script>" not in a.summary_html and "&lt;script&gt;" in a.summary_html and a.text.startswith("<script>alert(1)</script>")
    assert a.url == "https://news.example/a" and a.lang == "ko" and b.lang == "en"
    assert a.published_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert feed.warnings == ["feed https://desk.example/feed.json: items[2] is not an object; skipped"]


def test_json_entries_are_capped_like_any_other() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1", "title": "t", "items": [{"id": "1", "title": "T" * 5000, "content_text": "x\x00y" * 100}]}).encode()
    [entry] = parse_feed(body, "https://f.example/feed.json", "application/feed+json", limits=EntryLimits(title=100)).entries
    assert len(entry.title) == 100 and entry.truncated and "\x00" not in entry.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"title": "no version", "items": []}', "no 'version' of https://jsonfeed.org/version/"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "'items' is not a list"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not a JSON Feed: Expecting value"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"\xff\xfe{}", "not a JSON Feed"),
    ],
)
def test_a_broken_json_feed_is_a_clear_error_naming_the_feed(body: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=f"feed https://bad.example/feed.json: .*{message}"):
        parse_feed(body, "https://bad.example/feed.json", "application/feed+json")


def test_xml_is_not_taken_for_json() -> None:
    assert is_json_feed(b"  {", None) and is_json_feed(b"<rss/>", "application/feed+json; charset=utf-8")
    assert not is_json_feed(b'<?xml version="1.0"?><rss/>', "application/rss+xml")


async def test_a_json_feed_is_polled_and_published(sqlite_url: str) -> None:
    server = FeedServer().start()
    try:
        server.feeds["/feed.json"] = SPEC_SIMPLE
        server.content_types["/feed.json"] = "application/feed+json"
        add_feed(sqlite_url, server.url("/feed.json"))
        published: list[ArticleDiscovered] = []
        poller = make_poller(sqlite_url, published)
        await poller.tick()
        await poller.relay_once()
        assert sorted(e.article.url for e in published) == ["https://example.org/initial-post", "https://example.org/second-item"]
        await poller.client.aclose()
    finally:
        server.stop()
