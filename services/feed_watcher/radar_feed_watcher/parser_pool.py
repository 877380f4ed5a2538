"""Feed parsing in worker processes with a CPU-time limit, so one hostile feed cannot stall the others.

feedparser has regular expressions that take seconds to minutes on crafted input (a 64 KB author field
takes ~20 s). Each parse runs in a worker process under an ITIMER_PROF timer (CPU seconds): when it fires,
the parse is interrupted with FeedParseError. A worker that does not come back within a wall-clock limit
is killed with its pool, and a new pool is started.

Workers die with the service, however it ends: each watches the service's pid (a pidfd) from a thread and
exits when it is gone, and asks the kernel for SIGKILL when its own parent (multiprocessing's forkserver)
dies. With the workers gone, the forkserver and the resource tracker see their pipes close and exit too,
so even a SIGKILLed feed-watcher leaves no process behind.
"""

import asyncio
import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from radar_feed_watcher.pages import PageExtractError, extract_main_text
from radar_feed_watcher.parser import EntryLimits, FeedParseError, ParsedFeed, parse_feed


class _CPULimit(Exception):
    pass


def _on_cpu_limit(signum: int, frame: object) -> None:
    raise _CPULimit


PR_SET_PDEATHSIG = 1


def _exit_when_gone(pid: int) -> None:
    """Exit this process as soon as process `pid` has ended, even by SIGKILL: a pidfd on Linux, else a check a second."""
    try:
        pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    except ProcessLookupError:
        os._exit(1)

    def watch() -> None:
        if pidfd is not None:
            select.select([pidfd], [], [])
        else:
            while os.getppid() != 1 and _exists(pid):
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name=f"exit-with-{pid}", daemon=True).start()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _init_worker(service_pid: int) -> None:
    signal.signal(signal.SIGPROF, _on_cpu_limit)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if sys.platform.startswith("linux"):  # the parent here is the forkserver
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _exit_when_gone(service_pid)


def _parse_limited(
    body: bytes, feed_url: str, content_type: str | None, known: frozenset[str], cpu_seconds: float, limits: EntryLimits, content_language: str | None
) -> ParsedFeed:
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        return parse_feed(body, feed_url, content_type, known, limits, content_language)
    except _CPULimit:
        raise FeedParseError(f"feed {feed_url}: parsing exceeded the {cpu_seconds:g} s CPU limit (hostile or pathological feed)") from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def _extract_limited(html: bytes, url: str, max_chars: int, cpu_seconds: float) -> str:
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        return extract_main_text(html, url, max_chars)
    except _CPULimit:
        raise PageExtractError(f"page {url}: extraction exceeded the {cpu_seconds:g} s CPU limit") from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


class ParserPool:
    def __init__(self, workers: int, cpu_seconds: float, limits: EntryLimits = EntryLimits()) -> None:
        self.workers = workers
        self.cpu_seconds = cpu_seconds
        self.limits = limits
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver: workers start from a clean interpreter, not a copy of the event loop's process.
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("forkserver"), initializer=_init_worker, initargs=(os.getpid(),)
        )

    def _restart(self) -> None:
        old, self._pool = self._pool, self._new_pool()
        for process in list(getattr(old, "_processes", {}).values()):
            process.kill()
        old.shutdown(wait=False, cancel_futures=True)

    async def parse(
        self, body: bytes, feed_url: str, content_type: str | None, known: frozenset[str] = frozenset(), content_language: str | None = None
    ) -> ParsedFeed:
        loop = asyncio.get_running_loop()
        wall = self.cpu_seconds * 3 + 5
        try:
            future = loop.run_in_executor(self._pool, _parse_limited, body, feed_url, content_type, known, self.cpu_seconds, self.limits, content_language)
            return await asyncio.wait_for(future, wall)
        except TimeoutError:
            self._restart()
            raise FeedParseError(f"feed {feed_url}: the parser did not return within {wall:g} s; its worker was killed") from None
        except BrokenProcessPool:
            self._restart()
            raise FeedParseError(f"feed {feed_url}: the parser process died (memory or CPU limit)") from None

    async def extract(self, html: bytes, url: str, max_chars: int) -> str:
        """An article page's main text, extracted in a worker under the same CPU limit as feeds."""
        loop = asyncio.get_running_loop()
        wall = self.cpu_seconds * 3 + 5
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._pool, _extract_limited, html, url, max_chars, self.cpu_seconds), wall)
        except TimeoutError:
            self._restart()
            raise PageExtractError(f"page {url}: extraction did not return within {wall:g} s; its worker was killed") from None
        except BrokenProcessPool:
            self._restart()
            raise PageExtractError(f"page {url}: the extracting process died (memory or CPU limit)") from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def close_and_wait(self) -> None:
        """Close, and wait (in a thread, so the event loop runs on) until the pool's manager thread and workers
        have ended. A process that exits right after close() races concurrent.futures' exit hook, which writes to
        the manager thread's wake-up pipe while that thread closes it: `OSError: Bad file descriptor` at exit,
        now and then. A command that exits after one parse (a preview) closes with this."""
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
