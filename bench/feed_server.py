"""A fast local feed server for bench/poll.py (uvicorn, raw ASGI), run in its own process.

/f/<n>: feed n. Feeds below N_CHANGED return a Guardian-sized body that changes every cycle (a new entry);
feeds below N_CHANGED + N_ERRORS return 500; the rest answer 304 to If-None-Match "v1".
"""

import sys

import uvicorn

BASE = open(sys.argv[2], "rb").read()
N_CHANGED, N_ERRORS = int(sys.argv[3]), int(sys.argv[4])
cycle = {"n": 0}


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/next-cycle":
        cycle["n"] += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    n = int(path.rsplit("/", 1)[-1])
    headers = dict(scope["headers"])
    if n < N_CHANGED:
        item = f"<item><title>Feed {n} cycle {cycle['n']}</title><link>https://bench.example/{n}/{cycle['n']}</link><description>new</description></item>".encode()
        body = BASE.replace(b"<item>", item + b"<item>", 1)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/rss+xml"), (b"etag", f'"c{cycle["n"]}"'.encode())]})
        await send({"type": "http.response.body", "body": body})
    elif n < N_CHANGED + N_ERRORS:
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b"error"})
    elif headers.get(b"if-none-match") == b'"v1"':
        await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", b'"v1"')]})
        await send({"type": "http.response.body", "body": b""})
    else:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", b'"v1"')]})
        await send({"type": "http.response.body", "body": b"<rss version='2.0'><channel><title>quiet</title></channel></rss>"})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", access_log=False, backlog=4096)
