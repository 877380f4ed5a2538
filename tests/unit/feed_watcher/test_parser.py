from pathlib import Path

import pytest

from radar_feed_watcher.parser import FeedParseError, guess_lang, html_to_text, parse_feed
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
    assert korean.entries[0].lang == "ko"
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
def test_russian_text_is_decoded_and_tagged_ru() -> None:
    parsed = parse_feed((FEEDS / "feedparser_touchnokia_ru_large_atom.xml").read_bytes(), "https://touchnokia.example/")
    entry = parsed.entries[0]
    assert entry.lang == "ru"
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


@pytest.mark.parametrize(
    ("declared", "text", "expected"),
    [("ko-KR", "", "ko"), (None, "북한이 탄도미사일을 발사했다", "ko"), (None, "Северная Корея запустила ракету", "ru"), (None, "North Korea", None), ("en_US", "", "en")],
)
def test_guess_lang(declared: str | None, text: str, expected: str | None) -> None:
    assert guess_lang(declared, text) == expected
