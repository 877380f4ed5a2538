"""With HTTP(S)_PROXY set, requests looks up only the proxy's name: the channel's own host is checked here before
anything is handed to the proxy, so the proxy never sees a request for an internal target (issue 21, item 1)."""

import socket
import threading
from collections.abc import Iterator

import pytest

from radar_notifier.channels import Sender
from radar_shared.channel_urls import ChannelRules
from tests.unit.notifier.test_address_guard import ALERT, ALL, RebindingDNS


class RecordingProxy:
    """An HTTP proxy on loopback that records the first line of every request (GET/POST with an absolute URL, or
    CONNECT host:port) and answers each with an empty 200 without forwarding anything."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n" not in data and (chunk := conn.recv(4096)):
                    data += chunk
                if data:
                    self.lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def __enter__(self) -> "RecordingProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingProxy]:
    with RecordingProxy() as recording:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{recording.port}")
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield recording


async def send(url: str) -> object:
    sender = Sender(ChannelRules.of(ALL + ["ntfys"], ["127.0.0.1:1024-65535"]))  # the proxy's own address is allowed
    try:
        return await sender.send(url, ALERT)
    finally:
        await sender.close()


@pytest.mark.parametrize("url", ["ntfy://internal.test:19321/topic", "ntfys://internal.test/topic", "matrix://u:p@internal.test/!room",
                                 "ntfy://unresolvable.test:19321/topic"])
async def test_the_proxy_never_sees_a_request_for_an_internal_target(url: str, proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch,
                                                                     outside_connections: list) -> None:
    dns = RebindingDNS("internal.test", [["10.0.0.7"]])
    real = dns.real

    def resolve(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "unresolvable.test":  # the proxy might resolve it to an internal address: refused here
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return dns(host, port, *args, **kwargs) if host == "internal.test" else real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    result = await send(url)
    assert not result.ok  # type: ignore[attr-defined]
    assert proxy.lines == [], f"the proxy was asked for {proxy.lines}"
    assert outside_connections == []


async def test_an_allowed_target_still_goes_through_the_proxy(proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch, outside_connections: list) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", RebindingDNS("allowed.test", [["127.0.0.1"]]))  # 127.0.0.1 plays a public address
    result = await send("ntfy://allowed.test:19321/topic")
    assert result.ok, result.errors  # type: ignore[attr-defined]
    assert proxy.lines == ["POST http://allowed.test:19321/ HTTP/1.1"]  # ntfy posts the topic in the body
    assert outside_connections == []
