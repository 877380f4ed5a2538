"""The webhook client: keep-alive reuse only of connections whose answer was read in full, the answers Slack
gives (status, Retry-After, chunked bodies), TLS verified against the original host name, no header injection."""

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from radar_notifier import webhook_http
from radar_notifier.channels import post_slack
from radar_notifier.webhook_http import WebhookClient, WebhookHTTPError
from radar_shared.netpolicy import parse_allow_list

OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"


@dataclass
class Server:
    """An HTTP/1.1 server on 127.0.0.1 that answers each request with `answer(n)` (n counts requests) and
    records connections, request heads and the TLS server name it was asked for."""

    answer: Callable[[int], bytes] = lambda n: OK
    close_after: bool = False  # close each connection after its answer, without saying so
    tls: ssl.SSLContext | None = None
    connections: int = 0
    heads: list[str] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                length = next(int(line.split(":")[1]) for line in head.split("\r\n") if line.lower().startswith("content-length:"))
                await reader.readexactly(length)
                self.heads.append(head)
                writer.write(self.answer(len(self.heads)))
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def start(self) -> asyncio.Server:
        if self.tls is not None:
            self.tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)  # type: ignore[func-returns-value]
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=self.tls)
        self.port = server.sockets[0].getsockname()[1]
        return server


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., asyncio.Future]]:
    servers: list[asyncio.Server] = []

    async def start(**kw: object) -> Server:
        s = Server(**kw)  # type: ignore[arg-type]
        servers.append(await s.start())
        return s

    yield start  # type: ignore[misc]
    for s in servers:
        s.close()


async def test_a_connection_is_kept_alive_and_reused(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve()
    client = WebhookClient(timeout=5)
    for n in range(5):
        response = await client.post_json(f"http://127.0.0.1:{server.port}/services/T/B/{n}", "hooks.example", "hooks.example", {"text": n})
        assert response.status_code == 200 and response.text == "ok"
    await client.aclose()
    assert server.connections == 1
    assert server.heads[0].startswith("POST /services/T/B/0 HTTP/1.1\r\n") and "\r\nHost: hooks.example\r\n" in server.heads[0]


async def test_a_connection_the_server_closed_is_not_reused(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(close_after=True)
    client = WebhookClient(timeout=5)
    for _ in range(3):
        assert (await client.post_json(f"http://127.0.0.1:{server.port}/x", "h", "h", {})).status_code == 200
        await asyncio.sleep(0.05)  # the server's FIN arrives
    await client.aclose()
    assert server.connections == 3 and len(server.heads) == 3


async def test_connection_close_and_http_1_0_answers_end_the_connection(serve) -> None:  # type: ignore[no-untyped-def]
    answers = [b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok", b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok", OK, OK]
    server = await serve(answer=lambda n: answers[n - 1])
    client = WebhookClient(timeout=5)
    for _ in answers:
        assert (await client.post_json(f"http://127.0.0.1:{server.port}/x", "h", "h", {})).status_code == 200
    await client.aclose()
    assert server.connections == 3  # a new one after each of the first two answers; the last two share one


async def test_an_informational_answer_before_the_response_is_skipped(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer=lambda n: b"HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n" + OK)
    client = WebhookClient(timeout=5)
    for _ in range(2):
        response = await client.post_json(f"http://127.0.0.1:{server.port}/x", "h", "h", {})
        assert response.status_code == 200 and response.text == "ok"
    await client.aclose()
    assert server.connections == 1


async def test_slack_s_rate_limit_answer_is_read_chunked_with_its_retry_after(serve) -> None:  # type: ignore[no-untyped-def]
    chunked = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\ntransfer-encoding: chunked\r\n\r\n4\r\nrate\r\n8\r\n_limited\r\n0\r\n\r\n"
    server = await serve(answer=lambda n: chunked if n == 1 else OK)
    client = WebhookClient(timeout=5)
    result = await post_slack(client, f"http://127.0.0.1:{server.port}/services/T/B/C", "slack://T/B/***", {"text": "x"}, parse_allow_list(["127.0.0.0/8:1024-65535"], "allowed"))
    assert not result.ok and result.retry_after == 30 and "HTTP 429: rate_limited" in result.errors[0]
    assert (await client.post_json(f"http://127.0.0.1:{server.port}/x", "127.0.0.1", "127.0.0.1", {})).status_code == 200
    await client.aclose()
    assert server.connections == 1, "the chunked answer was read to its end, so the connection was reused"


async def test_a_declared_huge_chunk_is_read_only_up_to_the_cap(serve) -> None:  # type: ignore[no-untyped-def]
    sent = webhook_http.MAX_BODY_BYTES + 4096  # of a declared 2 GB chunk; the rest never comes, the connection stays open
    server = await serve(answer=lambda n: b"HTTP/1.1 500 Oops\r\ntransfer-encoding: chunked\r\n\r\n80000000\r\n" + b"x" * sent)
    client = WebhookClient(timeout=30)
    async with asyncio.timeout(10):  # the old client waited for all 2 GB until its own timeout stopped it
        response = await client.post_json(f"http://127.0.0.1:{server.port}/x", "h", "h", {})
    assert response.status_code == 500 and len(response.body) == webhook_http.MAX_BODY_BYTES
    assert not client.idle, "a connection whose answer was cut is not reused"
    await client.aclose()


async def test_a_server_that_hangs_up_without_answering_is_a_failed_send(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer=lambda n: b"", close_after=True)
    client = WebhookClient(timeout=5)
    result = await post_slack(client, f"http://127.0.0.1:{server.port}/services/T/B/C", "slack://T/B/***", {"text": "x"}, parse_allow_list(["127.0.0.0/8:1024-65535"], "allowed"))
    await client.aclose()
    assert not result.ok and not result.permanent and "disconnected without sending a response" in result.errors[0]


async def test_a_server_that_never_answers_times_out(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer=lambda n: b"HTTP/1.1 200 OK\r\n")  # a head that never ends
    client = WebhookClient(timeout=0.3)
    with pytest.raises(TimeoutError):
        await client.post_json(f"http://127.0.0.1:{server.port}/x", "h", "h", {})
    await client.aclose()


def test_a_line_break_cannot_inject_a_header() -> None:
    with pytest.raises(WebhookHTTPError):
        webhook_http.request_bytes("/x HTTP/1.1\r\nX-Evil: 1", "h", b"{}")
    with pytest.raises(WebhookHTTPError):
        webhook_http.request_bytes("/x", "h\r\nX-Evil: 1", b"{}")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for hooks.test (openssl)."""
    assert shutil.which("openssl"), "the test certificate is made with openssl (Debian: apt-get install openssl)"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", "/CN=hooks.test", "-addext", "subjectAltName=DNS:hooks.test"], check=True, capture_output=True)
    return cert, key


async def test_tls_goes_to_the_pinned_address_and_is_verified_against_the_host_name(serve, certificate, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server = await serve(tls=server_tls)
    monkeypatch.setattr(webhook_http, "_TLS", ssl.create_default_context(cafile=str(cert)))  # trusts only this certificate
    client = WebhookClient(timeout=5)
    response = await client.post_json(f"https://127.0.0.1:{server.port}/services/T/B/C", f"hooks.test:{server.port}", "hooks.test", {"text": "x"})
    assert response.status_code == 200 and server.server_names[0] == "hooks.test"
    assert f"\r\nHost: hooks.test:{server.port}\r\n" in server.heads[0]
    with pytest.raises(ssl.SSLCertVerificationError):
        await client.post_json(f"https://127.0.0.1:{server.port}/services/T/B/C", "evil.test", "evil.test", {"text": "x"})
    await client.aclose()
    assert len(server.heads) == 1, "nothing was sent over a connection whose certificate did not match"
