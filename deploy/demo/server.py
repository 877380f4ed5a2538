"""The demo's outside world, on 127.0.0.1 only: a feed server that releases the invented articles of
articles.yaml a few a minute, an SMTP catcher and a Slack stand-in. What the two sinks receive is appended to
an inbox (JSON Lines) that the web page's /demo page shows.

    .venv/bin/python deploy/demo/server.py --inbox .run/demo/inbox.jsonl --feeds-port 8090 --smtp-port 8025 --slack-port 8091

Stops on SIGTERM or Ctrl-C. Not a test double of Radar: a stand-in for the world it watches.
"""

import argparse
import email
import email.policy
import json
import signal
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import yaml
from aiosmtpd.controller import Controller

HERE = Path(__file__).resolve().parent


class Inbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, channel: str, to: str, subject: str, body: str) -> None:
        record = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "channel": channel, "to": to, "subject": subject, "body": body[:20_000]}
        with self.lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def rss(title: str, items: list[dict], base: str) -> bytes:
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{escape(title)}</title><link>{base}/</link>'
             f"<description>Radar demo feed</description>"]
    for item in items:
        link = f"{base}/articles/{item['n']}"
        parts.append(f"<item><title>{escape(item['title'])}</title><link>{link}</link><guid>{link}</guid>"
                     f"<pubDate>{format_datetime(item['released'])}</pubDate><description>{escape(item['text'])}</description></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def serve_feeds(port: int, first: int, every: float) -> ThreadingHTTPServer:
    """Feeds by language (/feeds/wire-en.xml …); `first` articles are out at once, then one more every `every` s."""
    articles = yaml.safe_load((HERE / "articles.yaml").read_text(encoding="utf-8"))
    started = time.time()

    def released() -> list[dict]:
        count = first + int((time.time() - started) // every)
        out = []
        for n, article in enumerate(articles[:count]):
            out.append({**article, "n": n, "released": datetime.fromtimestamp(started + max(0, n - first + 1) * every, UTC)})
        return out

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            base = f"http://127.0.0.1:{port}"
            name = self.path.removeprefix("/feeds/").removesuffix(".xml")
            items = [a for a in released() if a["feed"] == name]
            if not self.path.startswith("/feeds/") or not any(a["feed"] == name for a in articles):
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            body = rss(f"Demo wire ({name})", list(reversed(items)), base)
            self.send_response(200)
            self.send_header("content-type", "application/rss+xml; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_slack(port: int, inbox: Inbox) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            payload = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
            text = payload.get("text") or ""
            blocks = [b.get("text", {}).get("text", "") for b in payload.get("blocks", []) if isinstance(b.get("text"), dict)]
            inbox.add("slack", self.path.rsplit("/", 3)[-3] if self.path.count("/") >= 3 else self.path, text.split("\n")[0][:200], "\n".join(blocks) or text)
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class MailHandler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[attr-defined]
        part = message.get_body(preferencelist=("plain", "html"))
        self.inbox.add("email", ", ".join(envelope.rcpt_tos), str(message["subject"] or ""), part.get_content() if part else "")  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--feeds-port", type=int, default=8090)
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--slack-port", type=int, default=8091)
    parser.add_argument("--first", type=int, default=4, help="Articles out at once.")
    parser.add_argument("--every", type=float, default=20.0, help="Seconds between two further articles.")
    args = parser.parse_args()
    inbox = Inbox(args.inbox)
    feeds, slack = serve_feeds(args.feeds_port, args.first, args.every), serve_slack(args.slack_port, inbox)
    smtp = Controller(MailHandler(inbox), hostname="127.0.0.1", port=args.smtp_port)
    smtp.start()
    print(f"demo: feeds http://127.0.0.1:{args.feeds_port}/feeds/  smtp 127.0.0.1:{args.smtp_port}  slack http://127.0.0.1:{args.slack_port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    smtp.stop()
    feeds.shutdown()
    slack.shutdown()


if __name__ == "__main__":
    main()
