"""Real sinks and sources for tests: an SMTP server (aiosmtpd), a Slack webhook stand-in and a feed server."""

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    at: float = field(default_factory=time.time)  # arrival, seconds since the epoch

    @property
    def subject(self) -> str:
        return str(self.message["subject"])

    def part(self, content_type: str) -> str:
        for p in self.message.walk():
            if p.get_content_type() == content_type:
                return p.get_content()
        return ""


class _SMTPHandler:
    def __init__(self, sink: "SMTPSink") -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class SMTPSink:
    port: int = field(default_factory=free_port)
    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    def start(self) -> "SMTPSink":
        self._controller = Controller(_SMTPHandler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def snapshot(self) -> list[ReceivedMail]:
        with self.lock:
            return list(self.messages)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # like a real server: many clients may connect at once
    allow_reuse_address = True


def serve(handler: type[BaseHTTPRequestHandler], port: int) -> _Server:
    """Start a threaded HTTP server on 127.0.0.1:port in the background."""
    server = _Server(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _stop(server: _Server | None) -> None:
    if server:
        server.shutdown()
        server.server_close()


@dataclass
class HTTPSink:
    """Records POSTs (a Slack incoming-webhook stand-in). `responder` may return (status, headers, body)."""

    port: int = field(default_factory=free_port)
    requests: list[dict[str, Any]] = field(default_factory=list)
    responder: Callable[[str, bytes], tuple[int, dict[str, str], bytes]] | None = None
    keep_alive: bool = False  # HTTP/1.1 persistent connections, as Slack keeps them (benchmarks)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "HTTPSink":
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if sink.keep_alive else "HTTP/1.0"
            # The head and the body go out in two writes: with Nagle's algorithm on, the body waits for the ACK of
            # the head, which the client delays (40 ms): a keep-alive connection then carried ~22 requests/s.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                expected = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(expected)
                if len(body) < expected:  # the sender died mid-request: like Slack, accept nothing
                    return
                status, headers, reply = (sink.responder or (lambda p, b: (200, {}, b"ok")))(self.path, body)
                if 200 <= status < 300:
                    with sink.lock:
                        try:
                            payload = json.loads(body)
                        except ValueError:
                            payload = {"raw": body.decode("utf-8", "replace")}
                        sink.requests.append({"path": self.path, "json": payload, "at": time.time()})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self._server = serve(Handler, self.port)
        return self

    def stop(self) -> None:
        _stop(self._server)
        self._server = None

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.requests)


@dataclass
class FeedServer:
    """Serves feeds from memory, with ETag and Last-Modified, and counts requests per path.

    `content_types` overrides the default UTF-8 RSS type of a path; a path in `trickle` is sent one byte
    every that many seconds (a hostile or broken server)."""

    port: int = field(default_factory=free_port)
    feeds: dict[str, bytes] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    trickle: dict[str, float] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    conditional_hits: dict[str, int] = field(default_factory=dict)
    _server: _Server | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> "FeedServer":
        import hashlib

        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                srv.hits[self.path] = srv.hits.get(self.path, 0) + 1
                body = srv.feeds.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    srv.conditional_hits[self.path] = srv.conditional_hits.get(self.path, 0) + 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("content-type", srv.content_types.get(self.path, "application/rss+xml; charset=utf-8"))
                self.send_header("ETag", etag)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                if self.path not in srv.trickle:
                    self.wfile.write(body)
                    return
                for byte in body:
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return
                    time.sleep(srv.trickle[self.path])

        self._server = serve(Handler, self.port)
        return self

    def stop(self) -> None:
        _stop(self._server)
        self._server = None


@dataclass
class ConnectionRecorder:
    """A TCP listener that only counts the connections it accepts (and closes them): a port a hostile channel
    URL would scan. `host` may be any loopback address (127.0.0.2 stands for "another machine" in tests)."""

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    accepted: int = 0
    _sock: socket.socket | None = None

    def start(self) -> "ConnectionRecorder":
        self._sock = socket.create_server((self.host, self.port))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        assert self._sock is not None
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # closed by stop()
                return
            self.accepted += 1
            conn.close()

    def stop(self) -> None:
        if self._sock:
            self._sock.close()
            self._sock = None
