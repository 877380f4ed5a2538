"""A lean HTTP/1.1 client for webhook POSTs (IO): keep-alive connections per pinned address, nothing else.

Invariants: a request goes only to the address it is given (the caller resolved and checked it:
`netpolicy.check_url` + `pinned_request`), with the Host header and TLS server name of the original host, and
the certificate verified against that name. A connection is pooled per (scheme, address, port, host), reused
only after its previous response was read in full and while the server has not closed it, and closed after
any error; it never carries two requests at once. Redirects are not followed.

Why not httpx: per POST, httpx/httpcore cost about 1 ms of CPU here, most of it checking every pooled
connection for readability (getpeername + poll) each time a request is placed; this client costs a fraction.
"""

import asyncio
import json
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

KEEPALIVE_SECONDS = 5.0  # an idle connection older than this is closed rather than reused (httpx's default)
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024  # of a response body kept; a longer body is cut and its connection not reused


class WebhookHTTPError(Exception):
    """The server's answer was not HTTP/1.x as expected, or it closed the connection mid-answer."""


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def reusable(self, now: float) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing() and not self.reader._buffer and now - self.idle_since < KEEPALIVE_SECONDS  # type: ignore[attr-defined]  # bytes a closed exchange left unread

    def close(self) -> None:
        self.writer.close()


_TLS: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()
    return _TLS


def request_bytes(path: str, host: str, body: bytes) -> bytes:
    """The request head and body; a CR or LF in the path or Host would split the request, so it is refused."""
    if any(c in path or c in host for c in "\r\n"):
        raise WebhookHTTPError("CR or LF in the request line or Host header")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Accept: */*\r\nUser-Agent: radar-notifier\r\n\r\n")
    return head.encode("latin-1") + body


def parse_head(head: bytes) -> tuple[str, int, dict[str, str]]:
    """HTTP version, status and headers of a response head (ending in CRLF CRLF)."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise WebhookHTTPError(f"not an HTTP/1.x status line: {lines[0][:100]!r}")
    headers = {}
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise WebhookHTTPError(f"malformed header line: {line[:100]!r}")
            headers[name.strip().lower()] = value.strip()
    return parts[0], int(parts[1]), headers


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    """The body, cut at MAX_BODY_BYTES, and whether it was read to its end. A chunk is read only as far as the
    cap: a server declaring a 2 GB chunk gets at most MAX_BODY_BYTES of it buffered, not its declared size."""
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise WebhookHTTPError(f"bad chunk size {size_line[:40]!r}") from None
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return bytes(body[:MAX_BODY_BYTES]), len(body) <= MAX_BODY_BYTES
        if len(body) + size > MAX_BODY_BYTES:
            body += await reader.readexactly(MAX_BODY_BYTES - len(body))
            return bytes(body), False
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def read_response(reader: asyncio.StreamReader) -> tuple[Response, bool]:
    """One response, and whether the connection may carry another request. Informational answers (1xx, such
    as 103 Early Hints) before it are skipped."""
    status = 100
    while 100 <= status < 200:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise WebhookHTTPError("response head too large") from None
        except asyncio.IncompleteReadError as error:
            raise WebhookHTTPError("server disconnected without sending a response" if not error.partial else "server disconnected mid-response") from None
        version, status, headers = parse_head(head)
    keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body, complete = await _read_chunked(reader)
            keep = keep and complete
        elif (length := headers.get("content-length")) is not None:
            if not length.isdigit():
                raise WebhookHTTPError(f"bad Content-Length {length[:40]!r}")
            n = int(length)
            body = await reader.readexactly(min(n, MAX_BODY_BYTES))
            keep = keep and n <= MAX_BODY_BYTES
        elif status in (204, 304):
            body = b""
        else:  # delimited by the end of the connection
            body = await reader.read(MAX_BODY_BYTES)
            keep = False
    except asyncio.IncompleteReadError:
        raise WebhookHTTPError("server disconnected mid-response") from None
    return Response(status, headers, body), keep


@dataclass
class WebhookClient:
    """POSTs JSON to pinned addresses over pooled keep-alive connections: at most `connections` per
    (scheme, address, port, host), and as many requests in flight."""

    timeout: float
    connections: int = 16
    idle: dict[tuple[str, str, int, str], list[_Connection]] = field(default_factory=dict)
    slots: dict[tuple[str, str, int, str], asyncio.Semaphore] = field(default_factory=dict)

    async def post_json(self, target: str, host_header: str, sni_hostname: str, payload: Any) -> Response:
        """POST `payload` as JSON to `target` (a URL whose host is the checked address), sending `host_header`
        as Host and verifying TLS against `sni_hostname`. Raises OSError, TimeoutError or WebhookHTTPError."""
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WebhookHTTPError(f"cannot POST to {parts.scheme or 'a URL without a scheme'}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, parts.hostname, port, sni_hostname)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        data = request_bytes(path, host_header, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
        slot = self.slots.get(key) or self.slots.setdefault(key, asyncio.Semaphore(self.connections))
        async with slot:
            conn = self._idle_connection(key)
            try:
                async with asyncio.timeout(self.timeout):
                    if conn is None:
                        tls = _tls() if parts.scheme == "https" else None
                        reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=tls, server_hostname=sni_hostname if tls else None,
                                                                       limit=MAX_HEADER_BYTES)
                        conn = _Connection(reader, writer)
                    conn.writer.write(data)
                    await conn.writer.drain()
                    response, keep = await read_response(conn.reader)
            except BaseException:
                if conn is not None:
                    conn.close()
                raise
            if keep:
                conn.idle_since = time.monotonic()
                self.idle.setdefault(key, []).append(conn)
            else:
                conn.close()
            return response

    def _idle_connection(self, key: tuple[str, str, int, str]) -> _Connection | None:
        pool = self.idle.get(key)
        now = time.monotonic()
        while pool:
            conn = pool.pop()
            if conn.reusable(now):
                return conn
            conn.close()
        return None

    async def aclose(self) -> None:
        for pool in self.idle.values():
            for conn in pool:
                conn.close()
        self.idle.clear()
