"""`radar feeds preview` and the web page's preview: the watcher's overall fetch deadline, and a clean exit."""

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures.process import _ExecutorManagerThread

import pytest

from radar_feed_watcher.config import FeedWatcherSettings
from radar_feed_watcher.preview import FeedFetchError, preview_url
from tests.support.feeds import rss
from tests.support.sinks import FeedServer

FEED = rss([{"title": f"Coal ship {n} leaves Nampo", "text": "A tanker was seen off Nampo.", "link": f"https://news.example/{n}"} for n in range(3)])
LOCAL = {"FEED_WATCHER_ALLOWED_NETWORKS": '["127.0.0.1:1024-65535"]'}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer(feeds={"/feed": FEED, "/slow": FEED}, trickle={"/slow": 1.0}).start()  # a byte a second: never done
    yield srv
    srv.stop()


def _pool_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if isinstance(t, _ExecutorManagerThread) and t.is_alive()}


async def test_a_slowloris_feed_ends_at_the_watchers_fetch_deadline(server: FeedServer) -> None:
    settings = FeedWatcherSettings(allowed_networks=["127.0.0.1:1024-65535"], fetch_deadline_seconds=1.0)
    with pytest.raises(FeedFetchError) as error:
        await asyncio.wait_for(preview_url(server.url("/slow"), settings), 15)  # the read timeout (30 s) never fires
    assert str(error.value) == f"feed {server.url('/slow')}: no complete response within the 1 s deadline (FEED_WATCHER_FETCH_DEADLINE_SECONDS)"


async def test_a_preview_leaves_no_pool_thread_to_race_the_exit(server: FeedServer) -> None:
    """concurrent.futures' exit hook writes to a pool manager thread's wake-up pipe while that thread closes it
    (`OSError: Bad file descriptor` at exit, 2 runs in 30): a preview returns only once that thread has ended."""
    before = _pool_threads()
    entries = await preview_url(server.url("/feed"), FeedWatcherSettings(allowed_networks=["127.0.0.1:1024-65535"]))
    assert len(entries) == 3
    assert _pool_threads() - before == set()


def _radar(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "radar_api.cli", *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ.get("PATH", ""), **LOCAL, **env})


def test_the_cli_preview_names_the_slow_feed_and_exits_cleanly(server: FeedServer) -> None:
    slow = _radar("feeds", "preview", server.url("/slow"), FEED_WATCHER_FETCH_DEADLINE_SECONDS="1")
    assert slow.returncode == 1 and slow.stdout == ""
    assert slow.stderr == f"radar: feed {server.url('/slow')}: no complete response within the 1 s deadline (FEED_WATCHER_FETCH_DEADLINE_SECONDS)\n"
    for _ in range(3):
        good = _radar("feeds", "preview", server.url("/feed"))
        assert good.returncode == 0 and good.stderr == "", good.stderr
        assert len(good.stdout.splitlines()) == 3
