"""Full text for summary-only feeds: the article page is fetched under the feeds' rules (robots.txt, address
policy, size cap, deadline) and its main text extracted with trafilatura; a page that cannot be used leaves the
feed's text and says why on the feed.

The pages in tests/fixtures/pages are written for these tests, in the shape of real news pages: navigation,
a sidebar, advertisements, comments and a footer around the article.
"""

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from sqlmodel import select

from radar_feed_watcher.config import FeedWatcherSettings
from radar_feed_watcher.fetcher import make_client
from radar_feed_watcher.metrics import FeedMetrics
from radar_feed_watcher.pages import PageExtractError, extract_main_text
from radar_feed_watcher.poller import Poller
from radar_shared.db import session_scope
from radar_shared.messages import ArticleDiscovered
from radar_shared.models import Feed, FeedState
from radar_shared.netpolicy import FeedAllowance
from tests.support.feeds import rss
from tests.support.sinks import FeedServer

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
HTML = "text/html; charset=utf-8"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "paragraphs", "boilerplate"),
    [
        (
            "tanker-seized.html",
            [
                "Coast guard boards tanker suspected of fuel transfers to North Korea",
                "The coast guard boarded a tanker in international waters on Tuesday after satellite images showed it alongside a North Korean vessel for eleven hours, officials said.",
                "The tanker, which sails under a flag of convenience, is suspected of transferring refined petroleum products at sea "
                "in violation of United Nations sanctions that cap North Korea's annual imports.",
                "Inspectors found that the ship's transponder had been switched off for most of the past month, and that its logbook listed a port call in Vladivostok that port records do not show.",
                "A spokesman for the foreign ministry said the case would be reported to the Security Council's sanctions committee, and that the crew of twenty-two was cooperating with the inquiry.",
            ],
            ["Subscribe", "Most read", "Advertisement", "Comments", "First!", "All rights reserved", "dataLayer"],
        ),
        (
            "rail-freight-ru.html",
            [
                "Объём грузов через пограничный переход Хасан вырос вдвое",
                "Объём грузов, прошедших по железной дороге через пограничный переход Хасан в сторону КНДР, за январь вырос вдвое по сравнению с прошлым годом, сообщили в региональном управлении.",
                "По данным управления, основную часть составили нефтепродукты и продовольствие, а в обратном направлении шли вагоны с углём и металлоломом.",
                "Эксперты отмечают, что часть поставок может нарушать ограничения, установленные резолюциями Совета Безопасности ООН.",
            ],
            ["Главная", "рассылку", "Читайте также", "пирога", "Все права защищены"],
        ),
    ],
)
def test_the_main_text_of_a_news_page(name: str, paragraphs: list[str], boilerplate: list[str]) -> None:
    text = extract_main_text(page(name), "https://news.example/a", 100_000)
    assert text.split("\n") == paragraphs
    assert not [b for b in boilerplate if b in text]


def test_a_page_without_an_article_is_a_clear_error() -> None:
    with pytest.raises(PageExtractError, match="page https://news.example/signin: no main text found"):
        extract_main_text(page("no-article.html"), "https://news.example/signin", 100_000)


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    srv = FeedServer().start()
    yield srv
    srv.stop()


def opted_in_feed(db: str, url: str, below: int | None = 400) -> int:
    with session_scope(db) as s:
        feed = Feed(url=url, full_text_below_chars=below)
        s.add(feed)
        s.flush()
        return feed.id  # type: ignore[return-value]


def poller(db: str, published: list, **settings: int) -> Poller:
    async def publish(event: ArticleDiscovered) -> None:
        published.append(event)

    config = FeedWatcherSettings(allowed_networks=["127.0.0.0/8:1024-65535"], poll_interval_seconds=60, **settings)
    return Poller(config, db, make_client("RadarTest/1", 2, 5, 4), publish, FeedMetrics(CollectorRegistry()), lambda _: None)


def serve_pages(server: FeedServer, pages: dict[str, bytes]) -> None:
    for path, body in pages.items():
        server.feeds[path] = body
        server.content_types[path] = HTML


async def test_short_entries_get_the_pages_main_text_and_keep_their_summary(sqlite_url: str, server: FeedServer) -> None:
    serve_pages(server, {"/news/tanker": page("tanker-seized.html"), "/news/rail": page("rail-freight-ru.html")})
    long_text = "A long entry that carries its whole story in the feed. " * 20
    server.feeds["/f.xml"] = rss([
        {"title": "Tanker boarded", "text": "A tanker was boarded.", "link": server.url("/news/tanker")},
        {"title": "Хасан", "text": "Грузы через Хасан.", "link": server.url("/news/rail")},
        {"title": "Long", "text": long_text, "link": server.url("/news/long")},
    ])
    feed_id = opted_in_feed(sqlite_url, server.url("/f.xml"))
    published: list[ArticleDiscovered] = []
    p = poller(sqlite_url, published)
    await p.tick()
    await p.relay_once()
    await p.client.aclose()
    by_title = {e.article.title: e.article for e in published}
    tanker = by_title["Tanker boarded"]
    assert tanker.text_source == "page" and tanker.summary == "A tanker was boarded."
    assert tanker.text.startswith("Coast guard boards tanker") and "transponder had been switched off" in tanker.text and "Most read" not in tanker.text
    assert by_title["Хасан"].text_source == "page" and "нефтепродукты" in by_title["Хасан"].text
    assert by_title["Long"].text_source == "feed" and by_title["Long"].text == long_text.strip(), "long enough: its page is not fetched"
    assert server.hits.get("/news/long") is None
    with session_scope(sqlite_url) as s:
        state = s.get(FeedState, feed_id)
        assert state.pages_fetched == 2 and state.pages_failed == 0  # type: ignore[union-attr]


async def test_pages_that_cannot_be_used_leave_the_feeds_text_and_say_why(sqlite_url: str, server: FeedServer) -> None:
    serve_pages(server, {"/private/a": page("tanker-seized.html"), "/big": page("tanker-seized.html") * 20, "/signin": page("no-article.html"),
                         "/robots.txt": b"User-agent: *\nDisallow: /private/\n"})
    server.content_types["/robots.txt"] = "text/plain"
    server.feeds["/f.xml"] = rss([
        {"title": "Disallowed", "text": "Short.", "link": server.url("/private/a")},
        {"title": "Too big", "text": "Short.", "link": server.url("/big")},
        {"title": "No article", "text": "Short.", "link": server.url("/signin")},
        {"title": "Intranet", "text": "Short.", "link": "http://10.255.255.1/story"},  # refused before any connection
    ])
    feed_id = opted_in_feed(sqlite_url, server.url("/f.xml"))
    published: list[ArticleDiscovered] = []
    p = poller(sqlite_url, published, max_page_bytes=10_000)
    await p.tick()
    await p.relay_once()
    await p.client.aclose()
    assert sorted(e.article.title for e in published) == ["Disallowed", "Intranet", "No article", "Too big"], "nothing is lost"
    assert all(e.article.text_source == "feed" and e.article.text == "Short." for e in published)
    assert server.hits.get("/private/a") is None, "robots.txt is obeyed"
    with session_scope(sqlite_url) as s:
        state = s.get(FeedState, feed_id)
        assert state.pages_fetched == 0 and state.pages_failed == 4  # type: ignore[union-attr]
    errors = []
    for title, url in (("Disallowed", server.url("/private/a")), ("Too big", server.url("/big")), ("No article", server.url("/signin")), ("Intranet", "http://10.255.255.1/story")):
        try:
            checker = poller(sqlite_url, [], max_page_bytes=10_000)
            await checker.fetch_full_text(url, FeedAllowance.of(server.url("/f.xml"), checker.allowed))  # as the feed's poll does
        except Exception as error:  # noqa: BLE001 - each kind of failure, as recorded on the feed
            errors.append((title, str(error)))
    assert [t for t, e in errors if "robots.txt disallows it" in e] == ["Disallowed"]
    assert [t for t, e in errors if "exceeds the 10000-byte cap" in e] == ["Too big"]
    assert [t for t, e in errors if "no main text found" in e] == ["No article"]
    assert [t for t, e in errors if "10.255.255.1, which is not a public address" in e] == ["Intranet"]


async def test_an_unreadable_robots_txt_means_no_page_is_fetched(sqlite_url: str, server: FeedServer) -> None:
    serve_pages(server, {"/a": page("tanker-seized.html")})
    server.feeds["/robots.txt"] = b"x" * (600 * 1024)  # over the robots.txt cap: the site's rules cannot be read
    server.feeds["/f.xml"] = rss([{"title": "A", "text": "Short.", "link": server.url("/a")}])
    opted_in_feed(sqlite_url, server.url("/f.xml"))
    published: list[ArticleDiscovered] = []
    p = poller(sqlite_url, published)
    await p.tick()
    await p.relay_once()
    await p.client.aclose()
    assert [e.article.text_source for e in published] == ["feed"] and server.hits.get("/a") is None


async def test_feeds_that_do_not_opt_in_never_fetch_pages(sqlite_url: str, server: FeedServer) -> None:
    serve_pages(server, {"/a": page("tanker-seized.html")})
    server.feeds["/f.xml"] = rss([{"title": "A", "text": "Short.", "link": server.url("/a")}])
    opted_in_feed(sqlite_url, server.url("/f.xml"), below=None)
    published: list[ArticleDiscovered] = []
    p = poller(sqlite_url, published)
    await p.tick()
    await p.relay_once()
    await p.client.aclose()
    assert [(e.article.text_source, e.article.summary) for e in published] == [("feed", "Short.")]
    assert server.hits.get("/a") is None and server.hits.get("/robots.txt") is None
    with session_scope(sqlite_url) as s:
        assert s.exec(select(FeedState)).one().pages_fetched == 0


async def test_an_entry_link_to_another_port_follows_the_feeds_own_allowance(sqlite_url: str, server: FeedServer) -> None:
    """Issue 21, item 2: the operator's list let any opted-in feed's entry links reach every port it allowed,
    and publish what answered. An entry's link now reaches a target off the feed's own origin only when the
    feed's own entries name it (and the operator's list contains it)."""
    other = FeedServer().start()  # a second port on the same allowed address: an internal service
    try:
        serve_pages(other, {"/internal": page("tanker-seized.html")})
        for path in ("/public.xml", "/intranet.xml"):
            server.feeds[path] = rss([{"title": path, "text": "Short.", "link": other.url("/internal")}])
        public = opted_in_feed(sqlite_url, server.url("/public.xml"))
        with session_scope(sqlite_url) as s:
            feed = Feed(url=server.url("/intranet.xml"), full_text_below_chars=400, allowed_networks=[f"127.0.0.1:{other.port}"])
            s.add(feed)
            s.flush()
            intranet = feed.id
        published: list[ArticleDiscovered] = []

        async def publish(event: ArticleDiscovered) -> None:
            published.append(event)

        config = FeedWatcherSettings(allowed_networks=[f"127.0.0.1:{server.port},{other.port}"], poll_interval_seconds=60)  # both ports are the operator's
        p = Poller(config, sqlite_url, make_client("RadarTest/1", 2, 5, 4), publish, FeedMetrics(CollectorRegistry()), lambda _: None)
        await p.tick()
        await p.relay_once()
        await p.client.aclose()
    finally:
        other.stop()
    by_feed = {e.article.feed_id: e.article for e in published}
    assert by_feed[public].text_source == "feed" and by_feed[public].text == "Short.", "the page was not fetched for a feed without the entry"
    assert by_feed[intranet].text_source == "page" and "tanker" in by_feed[intranet].text.lower()
    assert other.hits == {"/robots.txt": 1, "/internal": 1}, "reached once, robots.txt included: for the feed whose own entries name the port"
    with session_scope(sqlite_url) as s:
        state = s.get(FeedState, public)
        assert state.pages_failed == 1 and "resolves to 127.0.0.1, which is not a public address" in (state.last_page_error or "")  # type: ignore[union-attr]
