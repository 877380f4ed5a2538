import pytest

from radar_feed_watcher.identity import article_id, canonical_url, entry_key, story_id


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.ORG:443/a/b?x=1#frag", "https://www.example.org/a/b?x=1"),
        ("http://example.org:80/", "http://example.org/"),
        ("http://example.org:8080/p", "http://example.org:8080/p"),
        ("https://example.org/p?utm_source=rss&utm_medium=feed&id=7&fbclid=abc&gclid=x&mc_cid=1", "https://example.org/p?id=7"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/p?b=2&a=1", "https://example.org/p?b=2&a=1"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_article_id_ignores_tracking_and_case() -> None:
    a = article_id("https://www.nknews.org/2024/01/story/?utm_source=rss")
    assert a == article_id("https://WWW.NKNEWS.ORG/2024/01/story/#comments")
    assert a != article_id("https://www.nknews.org/2024/01/other-story/")
    assert len(a) == 32


def test_entry_key_falls_back_from_guid_to_link_to_text() -> None:
    by_guid = entry_key("urn:1", "https://a.org/x", "T", "C")
    assert by_guid == entry_key("urn:1", "https://a.org/changed", "Edited title", "C2"), "same GUID, edited entry"
    by_link = entry_key(None, "https://a.org/x?utm_source=z", "T", "C")
    assert by_link == entry_key("", "https://a.org/x", "Other", "Other")
    by_text = entry_key(None, None, "T", "C")
    assert by_text != entry_key(None, None, "T", "D")
    assert len({by_guid, by_link, by_text}) == 3


def test_story_id_is_stable_per_canonical_url() -> None:
    assert story_id(canonical_url("https://a.org/x?utm_campaign=q")) == story_id(canonical_url("https://A.org/x"))


def test_a_reused_guid_falls_back_to_guid_plus_link() -> None:
    from radar_feed_watcher.parser import parse_feed
    from tests.support.feeds import rss

    body = rss([{"title": "One", "text": "a", "link": "https://a.org/1", "guid": "same"}, {"title": "Two", "text": "b", "link": "https://a.org/2", "guid": "same"}])
    keys = [e.entry_key for e in parse_feed(body, "https://a.org/feed").entries]
    assert len(set(keys)) == 2, "both items survive a feed that reuses its GUID"
    assert entry_key("same", "https://a.org/1", "", "", guid_reused=True) != entry_key("same", "https://a.org/1", "", "")
