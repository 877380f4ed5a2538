import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from radar_feed_watcher.htmltext import html_to_text
from radar_feed_watcher.parser import FeedParseError, parse_feed
from radar_shared.language_codes import bare_language
from tests.support.corpus import FEEDS, needs_shared
from tests.support.feeds import rss

SHARED_FEEDS = {
    # file: (minimum entries, a title that must be among them or None)
    "rssparser_guardian_us_2018.xml": (55, "#Me Too is about more than stopping rape. We demand more | Jessica Valenti"),
    "nodefeedparser_tpm_all_news.xml": (20, None),
    "nodefeedparser_pcmag_illegally_nested.xml": (10, None),
    "feedparser_touchnokia_ru_large_atom.xml": (15, "Невидимая броня для Вашего Nokia 5800"),
    "nodefeedparser_saxerror.xml": (3, "Good Item"),
    "feedparser_windows1255_no_encoding_decl.xml": (1, None),
    "feedparser_euckr_no_encoding_decl.xml": (1, "EUC-KR 에서 TypeKey 한글닉네임 표시하기"),
    "feedparser_unclosed_rss_root.xml": (1, "http://link/get?a=1&b=2"),
}


@needs_shared
@pytest.mark.parametrize("name", sorted(SHARED_FEEDS))
def test_real_feeds_parse_without_crashing(name: str) -> None:
    minimum, title = SHARED_FEEDS[name]
    parsed = parse_feed((FEEDS / name).read_bytes(), f"file://{name}")
    assert len(parsed.entries) >= minimum
    if title:
        assert title in {e.title for e in parsed.entries}
    for entry in parsed.entries:
        assert entry.article_id and entry.entry_key and entry.story_id
        assert "<script" not in entry.summary_html.lower()
        assert "<" not in entry.text or "<" in entry.summary_html  # text is extracted, not raw markup


@needs_shared
def test_every_shared_feed_yields_entries_or_a_clear_error() -> None:
    for path in sorted(Path(FEEDS).glob("*.xml")):
        try:
            parsed = parse_feed(path.read_bytes(), f"https://feeds.example/{path.name}")
        except FeedParseError as error:
            assert path.name in str(error)
        else:
            assert isinstance(parsed.entries, list)


@needs_shared
def test_undeclared_encodings_are_detected_and_decoded() -> None:
    korean = parse_feed((FEEDS / "feedparser_euckr_no_encoding_decl.xml").read_bytes(), "https://kr.example/feed")
    assert korean.entries[0].text.startswith("TypeKey 시스템이 UTF-8로 돌아가는데")
    assert korean.entries[0].lang is None  # undeclared: the classifier identifies it
    assert any("euc_kr" in w for w in korean.warnings)
    hebrew = parse_feed((FEEDS / "feedparser_windows1255_no_encoding_decl.xml").read_bytes(), "https://he.example/feed")
    assert hebrew.entries[0].text.startswith("האם תדפיס נייר של אתר אינטרנט")
    assert any("cp1255" in w for w in hebrew.warnings)


@needs_shared
def test_raw_ampersand_keeps_the_good_entries() -> None:
    parsed = parse_feed((FEEDS / "nodefeedparser_saxerror.xml").read_bytes(), "https://sax.example/feed")
    assert [e.title for e in parsed.entries] == ["Good Item", "Bad Item", "Item After Error"]
    assert parsed.entries[1].url == "http://example.com/bad?foo=1&bar=2"
    assert parsed.warnings, "the broken XML is reported, not hidden"


def test_declared_encoding_is_left_to_feedparser() -> None:
    body = '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>t</title><item><title>Санкции против КНДР</title><link>https://ru.example/1</link></item></channel></rss>'.encode("cp1251")
    assert parse_feed(body, "https://ru.example/feed").entries[0].title == "Санкции против КНДР"


@needs_shared
def test_russian_text_is_decoded_and_its_undeclared_language_left_to_the_classifier() -> None:
    parsed = parse_feed((FEEDS / "feedparser_touchnokia_ru_large_atom.xml").read_bytes(), "https://touchnokia.example/")
    entry = parsed.entries[0]
    assert entry.lang is None and "Nokia" in parsed.title
    assert "style" not in entry.text.lower()[:200] or "Nokia" in entry.text


def test_not_a_feed_is_a_clear_error_naming_the_feed() -> None:
    with pytest.raises(FeedParseError, match="https://x.example/feed"):
        parse_feed(b"<html><body>Just a page</body></html>", "https://x.example/feed")
    with pytest.raises(FeedParseError, match="https://x.example/feed"):
        parse_feed(b"", "https://x.example/feed")


def test_entries_keep_sanitised_html_and_separate_plain_text() -> None:
    body = rss([{"title": "A &amp; B", "text": '<p>Hello <b>world</b><script>alert(1)</script></p><p onclick="x()">Second</p>', "link": "https://a.org/1?utm_source=x"}])
    entry = parse_feed(body, "https://a.org/feed").entries[0]
    assert entry.url == "https://a.org/1"
    assert "script" not in entry.summary_html and "onclick" not in entry.summary_html
    assert entry.text == "Hello world\n\nSecond"
    assert entry.published_at is not None


def test_html_to_text_drops_styles_and_scripts() -> None:
    assert html_to_text("<style>p{color:red}</style><div>One</div><div>Two&nbsp;three</div>") == "One\n\nTwo three"


@pytest.mark.parametrize(("declared", "expected"), [("ko-KR", "ko"), ("en_US", "en"), ("RU", "ru"), (" uk ", "uk"), ("zh_Hant", "zh"), ("x-klingon", None), ("", None), (None, None)])
def test_bare_language(declared: str | None, expected: str | None) -> None:
    assert bare_language(declared) == expected


def test_an_undeclared_cyrillic_entry_is_left_to_the_classifier_to_identify() -> None:
    body = rss([{"title": "КНДР обходить санкції", "text": "Україна та партнери посилюють санкції проти КНДР.", "link": "https://news.example/uk"}])
    assert parse_feed(body, "https://news.example/rss").entries[0].lang is None


@pytest.mark.parametrize(
    "evil",
    ['<img src=x onerror="alert(1)">', '<a href="javascript:alert(1)">x</a>', "<script>alert(1)</script>", "<iframe src=//evil.example></iframe>",
     '<style>body{display:none}</style>', '<svg><script>alert(1)</script></svg>', '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>'],
)
def test_hostile_html_is_sanitised_before_it_goes_on_the_wire(evil: str) -> None:
    body = rss([{"title": "t", "text": f"<p>Before</p>{evil}<p>After</p>", "link": "https://a.org/x"}])
    entry = parse_feed(body, "https://a.org/feed").entries[0]
    lowered = entry.summary_html.lower()
    for bad in ("onerror", "javascript:", "<script", "<iframe", "<style", "data:text"):
        assert bad not in lowered
    assert "Before" in entry.text and "After" in entry.text and "alert" not in entry.text


def test_known_items_are_left_out_and_new_ones_parsed() -> None:
    old = [{"title": f"Story {i}", "text": f"Text {i}", "link": f"https://a.org/{i}"} for i in range(5)]
    first = parse_feed(rss(old), "https://a.org/feed")
    assert len(first.item_digests) == 5 and first.skipped_items == 0
    edited = {**old[2], "title": "Story 2 (updated)"}
    body = rss([{"title": "Brand new", "text": "New", "link": "https://a.org/new"}, *old[:2], edited, *old[3:]])
    second = parse_feed(body, "https://a.org/feed", known_items=frozenset(first.item_digests))
    assert [e.title for e in second.entries] == ["Brand new", "Story 2 (updated)"], "only new or edited items are parsed"
    assert second.skipped_items == 4 and len(second.item_digests) == 6
    assert second.title == "Test feed"
    full = {e.entry_key for e in parse_feed(body, "https://a.org/feed").entries}
    assert {e.entry_key for e in second.entries} <= full


@needs_shared
def test_guardian_with_one_new_item_parses_one_item() -> None:
    base = (FEEDS / "rssparser_guardian_us_2018.xml").read_bytes()
    first = parse_feed(base, "https://theguardian.example/")
    changed = base.replace(b"<item>", b"<item><title>New</title><link>https://theguardian.example/new</link></item><item>", 1)
    second = parse_feed(changed, "https://theguardian.example/", known_items=frozenset(first.item_digests))
    assert [e.title for e in second.entries] == ["New"] and second.skipped_items == 55


def test_a_body_without_delimitable_items_is_parsed_whole() -> None:
    atom = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><title>One</title><id>urn:1</id><link href="https://a.org/1"/></entry></feed>'
    first = parse_feed(atom, "https://a.org/atom")
    assert [e.title for e in first.entries] == ["One"] and len(first.item_digests) == 1
    assert parse_feed(atom, "https://a.org/atom", known_items=frozenset(first.item_digests)).entries == []


PORTUGUESE = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Notícias</title><item><title>Governo anuncia ação contra a poluição no 1º trimestre</title>'
              '<link>https://pt.example/1</link><description>A região de São João recebeu o ministro; a população está à espera.</description></item></channel></rss>')


def test_latin1_without_declaration_is_read_as_windows_1252_not_a_baltic_code_page() -> None:
    feed = parse_feed(PORTUGUESE.encode("latin-1"), "https://pt.example/feed")
    assert feed.entries[0].title == "Governo anuncia ação contra a poluição no 1º trimestre"
    assert "São João" in feed.entries[0].text and feed.encoding == "windows-1252 (detected)"


@pytest.mark.parametrize(
    ("language", "encoding", "text"),
    [("ru", "cp1251", "Санкции против КНДР"), ("el", "iso-8859-7", "Κυρώσεις κατά της Βόρειας Κορέας"), ("pl", "iso-8859-2", "Sankcje wobec Korei Północnej, żółć")],
)
def test_the_feeds_language_chooses_the_legacy_encoding_of_its_script(language: str, encoding: str, text: str) -> None:
    body = f'<rss version="2.0"><channel><title>t</title><language>{language}</language><item><title>{text}</title><link>https://x.example/1</link></item></channel></rss>'
    feed = parse_feed(body.encode(encoding), "https://x.example/feed")
    assert feed.entries[0].title == text
    header_only = f'<rss version="2.0"><channel><title>t</title><item><title>{text}</title><link>https://x.example/1</link></item></channel></rss>'
    assert parse_feed(header_only.encode(encoding), "https://x.example/feed", content_language=language).entries[0].title == text


def test_control_characters_and_nul_are_removed() -> None:
    body = (b'<rss version="2.0"><channel><title>t\x00</title><item><title>North\x00 Korea\x07 sanctions\x1b</title><link>https://x.example/1</link>'
            b'<description>Text\x00 with\x0b controls\x7f and a tab\there.</description></item></channel></rss>')
    entry = parse_feed(body, "https://x.example/feed").entries[0]
    assert entry.title == "North Korea sanctions"
    assert entry.text == "Text with controls and a tab here."  # whitespace is folded, as always
    assert "\x00" not in entry.summary_html and "\x7f" not in entry.summary_html


def test_oversized_fields_are_capped_and_marked_truncated() -> None:
    from radar_feed_watcher.parser import EntryLimits

    huge = "<p>" + "word " * 700_000 + "</p>"
    body = (f'<rss version="2.0"><channel><title>t</title><item><title>{"T" * 1_000_000}</title><link>https://x.example/1</link>'
            f'<description><![CDATA[{huge}]]></description></item><item><title>small</title><link>https://x.example/2</link></item></channel></rss>').encode()
    feed = parse_feed(body, "https://x.example/feed", limits=EntryLimits(title=1000, summary=50_000, text=100_000))
    big, small = feed.entries
    assert big.truncated and not small.truncated and feed.truncated_entries == 1
    assert len(big.title) == 1000 and len(big.summary_html) <= 50_000 and len(big.text) <= 100_000
    assert big.summary_html.endswith("</p>"), "the cut HTML is sanitised again, which closes its tags"


@pytest.mark.parametrize(("link", "problem"), [
    ("https://news.example:99999/b", "not a valid URL (Port out of range"),
    ("http://[::1/c", "not a valid URL (Invalid IPv6 URL"),
    ("javascript:alert(1)", "only http and https URLs are allowed"),
    ("ftp://news.example/file", "only http and https URLs are allowed"),
])
def test_an_entry_with_an_unusable_link_is_kept_without_it_and_the_feed_goes_on(link: str, problem: str) -> None:
    body = rss([{"title": "First story", "text": "a", "link": "https://news.example/a"},
                {"title": "Second story", "text": "b", "link": link, "guid": "second"},
                {"title": "Third story", "text": "c", "link": "https://news.example/c"}])
    parsed = parse_feed(body, "https://feed.example/rss")
    assert [e.title for e in parsed.entries] == ["First story", "Second story", "Third story"]
    second = parsed.entries[1]
    assert second.url == "" and second.story_id and second.article_id
    assert any(w.startswith("feed https://feed.example/rss: entry 'Second story': link") and problem in w for w in parsed.warnings), parsed.warnings


HOSTILE = "Coal\ufffe ship\uffff \ud800left\udfff Nampo\x00\x01\x1f"  # every kind of character that XML 1.0 forbids


def test_characters_that_xml_forbids_never_survive_parsing() -> None:
    rss_body = ('<rss version="2.0"><channel><title>t\ufffe&#xFFFF;</title><item><title>Coal\ufffe ship&#xFFFF; &#xD800;left\x00 Nampo\x01</title>'
                '<link>https://x.example/1</link><description>Text\uffff with&#xFFFE; hostile\x1f characters</description></item></channel></rss>')
    json_body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": f"t{HOSTILE}",
                            "items": [{"id": "1", "url": "https://x.example/1", "title": HOSTILE, "content_html": f"<p>{HOSTILE}</p>"}]})
    for body in (rss_body.encode("utf-8", "surrogatepass"), json_body.encode()):
        feed = parse_feed(body, "https://x.example/feed")
        [entry] = feed.entries
        for value in (feed.title, entry.title, entry.summary_html, entry.text):
            assert not set(value) & set("\ufffe\uffff\ud800\udfff\x00\x01\x1f"), repr(value)
        assert entry.title == "Coal ship left Nampo"


def _dated_feeds(date: str) -> dict[str, bytes]:
    """One feed of each format: an entry with `date`, and one with a good date."""
    good = "2026-11-30T08:00:00Z"
    rss_body = ('<rss version="2.0"><channel><title>t</title>'
                f'<item><title>Bad date</title><link>https://x.example/1</link><pubDate>{date}</pubDate></item>'
                f'<item><title>Good date</title><link>https://x.example/2</link><pubDate>{good}</pubDate></item></channel></rss>')
    atom_body = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
                 f'<entry><title>Bad date</title><id>1</id><link href="https://x.example/1"/><updated>{date}</updated></entry>'
                 f'<entry><title>Good date</title><id>2</id><link href="https://x.example/2"/><updated>{good}</updated></entry></feed>')
    json_body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "https://x.example/1", "title": "Bad date", "date_published": date},
        {"id": "2", "url": "https://x.example/2", "title": "Good date", "date_published": good}]})
    return {"rss": rss_body.encode(), "atom": atom_body.encode(), "json": json_body.encode()}


@pytest.mark.parametrize("date", ["9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
@pytest.mark.parametrize("kind", ["rss", "atom", "json"])
def test_an_out_of_range_date_loses_its_entry_the_date_not_the_feed(kind: str, date: str) -> None:
    feed = parse_feed(_dated_feeds(date)[kind], "https://x.example/feed")
    assert [(e.title, e.published_at) for e in feed.entries] == [("Bad date", None), ("Good date", datetime(2026, 11, 30, 8, 0, tzinfo=UTC))]
    assert f"feed https://x.example/feed: entry 'Bad date': date '{date}' is out of range; kept without a date" in feed.warnings


def test_an_unusable_published_date_falls_back_to_the_updated_one() -> None:
    body = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>a</title><id>1</id><link href="https://x.example/1"/>'
            b'<published>9999-12-31T23:59:59-12:00</published><updated>2026-11-30T08:00:00Z</updated></entry></feed>')
    [entry] = parse_feed(body, "https://x.example/feed").entries
    assert entry.published_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
