"""The fetcher against a real local HTTP server: conditional GET, limits, redirects, errors."""

import gzip
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from radar_feed_watcher.fetcher import FeedFetchError, conditional_headers, fetch_feed, make_client
from radar_shared.netpolicy import parse_allow_list
from radar_shared.retry_after import parse_retry_after
from tests.support.sinks import free_port, serve

LOCAL = parse_allow_list(["127.0.0.1:1024-65535"], "allowed")
BOMB = gzip.compress(b"<rss>" + b" " * 50_000_000 + b"</rss>")  # 50 MB inflated, ~50 KB on the wire


class Handler(BaseHTTPRequestHandler):
    seen_headers: list[dict[str, str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def reply(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        Handler.seen_headers.append(dict(self.headers))
        p = self.path
        if p == "/feed":
            if self.headers.get("If-None-Match") == '"v1"':
                return self.reply(304, etag='"v1"')
            return self.reply(200, b"<rss><channel><title>t</title></channel></rss>", etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
        if p == "/big":
            return self.reply(200, b"x" * 200_000)
        if p == "/bomb":
            return self.reply(200, BOMB, content_encoding="gzip")
        if p == "/chunked-big":
            self.send_response(200)
            self.end_headers()
            for _ in range(300):
                self.wfile.write(b"y" * 1000)
            return None
        if p == "/to-private":
            return self.reply(302, location="http://10.0.0.1/feed")
        if p == "/loop":
            return self.reply(301, location="/loop")
        if p == "/moved":
            return self.reply(301, location="/feed")
        if p == "/busy":
            return self.reply(503, retry_after="120")
        if p == "/slow":
            time.sleep(3)
            return self.reply(200, b"late")
        return self.reply(404)


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    port = free_port()
    srv = serve(Handler, port)
    yield f"http://127.0.0.1:{port}"
    srv.shutdown()


async def fetch(url: str, **kw: Any):  # type: ignore[no-untyped-def]
    async with make_client("test", 2, kw.pop("read_timeout", 5), 4) as client:
        return await fetch_feed(client, url, etag=kw.pop("etag", None), last_modified=kw.pop("last_modified", None),
                                max_body_bytes=kw.pop("max_body_bytes", 100_000), max_redirects=kw.pop("max_redirects", 3), allowed_networks=kw.pop("allowed", LOCAL))


async def test_conditional_get_round_trip(server: str) -> None:
    first = await fetch(f"{server}/feed")
    assert first.status == 200 and first.etag == '"v1"' and first.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    second = await fetch(f"{server}/feed", etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    assert Handler.seen_headers[-1]["If-None-Match"] == '"v1"'
    assert Handler.seen_headers[-1]["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


@pytest.mark.parametrize("path", ["/big", "/chunked-big", "/bomb"])
async def test_body_cap_stops_big_bodies_and_gzip_bombs(server: str, path: str) -> None:
    with pytest.raises(FeedFetchError, match="cap") as info:
        await fetch(f"{server}{path}")
    assert info.value.kind == "too_large"
    assert server in str(info.value)


async def test_redirect_to_private_address_is_refused_per_hop(server: str) -> None:
    with pytest.raises(FeedFetchError, match="10.0.0.1") as info:
        await fetch(f"{server}/to-private")
    assert info.value.kind == "refused"


async def test_loopback_is_refused_without_an_allowed_network(server: str) -> None:
    with pytest.raises(FeedFetchError, match="not a public address"):
        await fetch(f"{server}/feed", allowed=[])


async def test_redirect_limit(server: str) -> None:
    with pytest.raises(FeedFetchError, match="redirects") as info:
        await fetch(f"{server}/loop")
    assert info.value.kind == "redirects"


async def test_permanent_redirect_is_reported(server: str) -> None:
    result = await fetch(f"{server}/moved")
    assert result.status == 200 and result.permanent_redirect == f"{server}/feed"


async def test_503_carries_retry_after(server: str) -> None:
    with pytest.raises(FeedFetchError, match="HTTP 503") as info:
        await fetch(f"{server}/busy")
    assert info.value.status == 503 and info.value.retry_after == 120


async def test_read_timeout(server: str) -> None:
    with pytest.raises(FeedFetchError, match="timeout") as info:
        await fetch(f"{server}/slow", read_timeout=0.5)
    assert info.value.kind == "timeout"


async def test_connection_refused_is_a_connect_error() -> None:
    with pytest.raises(FeedFetchError) as info:
        await fetch(f"http://127.0.0.1:{free_port()}/feed")
    assert info.value.kind == "connect"


def test_retry_after_forms() -> None:
    from datetime import UTC, datetime

    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Mon, 01 Jan 2024 00:01:00 GMT", now) == 60
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert conditional_headers(None, None) == {}


def test_httpx_is_the_async_client() -> None:
    assert isinstance(make_client("ua", 1, 1, 1), httpx.AsyncClient)


async def test_a_name_that_does_not_resolve_is_a_dns_error() -> None:
    with pytest.raises(FeedFetchError, match="cannot resolve") as info:
        await fetch("http://no-such-host.invalid/feed", allowed=[])
    assert info.value.kind == "dns"
