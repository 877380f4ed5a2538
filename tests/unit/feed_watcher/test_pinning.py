"""The fetcher connects to the address it checked: a name is resolved once per hop, and Host is kept."""

import socket

import pytest

from radar_feed_watcher.fetcher import FeedFetchError, fetch_feed, make_client
from radar_shared.netpolicy import parse_allow_list
from tests.support.feeds import rss
from tests.support.sinks import FeedServer


async def test_name_resolved_once_and_host_header_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FeedServer().start()
    server.feeds["/f.xml"] = rss([{"title": "t", "text": "x", "link": "https://a.example/1"}])
    answers = iter(["127.0.0.1", "10.9.9.9"])  # a rebinding DNS: the second answer would be private
    lookups: list[str] = []
    real = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "feeds.test":
            lookups.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    try:
        async with make_client("t", 2, 5, 2) as client:
            result = await fetch_feed(client, f"http://feeds.test:{server.port}/f.xml", etag=None, last_modified=None,
                                      max_body_bytes=100_000, max_redirects=2, allowed_networks=parse_allow_list(["127.0.0.0/8:1024-65535"], "allowed"))
            assert result.status == 200
            assert lookups == ["feeds.test"], "resolved once, then connected to that address"
            with pytest.raises(FeedFetchError, match="10.9.9.9"):
                await fetch_feed(client, f"http://feeds.test:{server.port}/f.xml", etag=None, last_modified=None,
                                 max_body_bytes=100_000, max_redirects=2, allowed_networks=parse_allow_list(["127.0.0.0/8:1024-65535"], "allowed"))
    finally:
        server.stop()
