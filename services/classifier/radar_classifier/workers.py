"""Classification on every core: worker processes, each with its own Classifier, behind one Kafka consumer.

Classifying is CPU work in Python, so one process uses one core however the batch is split. With
CLASSIFIER_WORKERS = N > 0 the service splits each batch into N chunks and classifies them in N worker
processes, while its own process does the Kafka work (fetch, validate, publish, commit). The delivery guarantee
does not change: the service publishes what the workers return, and a batch's offsets are committed only after
every one of its events is acknowledged.

- Workers are spawned, never forked (the service has threads, and a forked child may inherit a lock held by
  one of them), as children of the service: they exit when it does, even when it is killed. Each builds its
  Classifier from the configuration the service loaded: the watches and the watchlists. When either changes, a new pool is started, and swapped in only once every one
  of its workers is ready; batches already handed to the old pool finish there.
- Events go to the workers as JSON and come back as the JSON to publish, with the tags for the metrics: no
  pydantic object crosses a process boundary.
- A worker that dies (killed, out of memory) breaks its pool: that batch fails and the dead-letter middleware
  reads it again after a pause; `classify` starts a fresh pool for the next attempt. A batch that keeps killing
  its worker ends in the dead-letter topic like any other failing batch.
"""

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from radar_classifier.classify import Classifier, apply_watches, classify_event
from radar_classifier.watchlist import Entity
from radar_shared.messages import ArticleDiscovered

log = logging.getLogger("radar.classifier")

Result = tuple[bytes, list[tuple[str, str]]] | None  # the ArticleClassified's JSON and its (kind, tag) pairs, or nothing
READY_TIMEOUT = 120.0
CHUNKS_PER_WORKER = 4

_classifier: Classifier | None = None  # a worker process's own


def _start_worker(max_chars: int, watches: list[tuple[int, str]], watchlist: list[Entity]) -> None:
    global _classifier
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    classifier = Classifier.default(max_chars=max_chars)
    apply_watches(classifier, watches)
    classifier.watchlist = watchlist
    _classifier = classifier


def _exit_with_parent(parent: int) -> None:
    """A worker outlives a killed service by at most a second (its pipe is closed too, but a worker busy with a
    chunk would not notice until the chunk ends)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _ready() -> int:
    time.sleep(0.05)  # long enough that one worker cannot answer for all the others
    return os.getpid()


def classify_values(classifier: Classifier, values: list[bytes]) -> list[Result]:
    """Classify ArticleDiscovered events given as JSON; the worker's task, and the service's own without workers."""
    out: list[Result] = []
    for value in values:
        classified = classify_event(classifier, ArticleDiscovered.model_validate_json(value))
        out.append(None if classified is None else (classified.model_dump_json().encode(), [(t.kind, t.tag) for t in classified.tags]))
    return out


def _classify_chunk(values: list[bytes]) -> list[Result]:
    assert _classifier is not None, "worker started without its initializer"
    return classify_values(_classifier, values)


class ClassifierPool:
    """N worker processes with the service's current configuration; `configure` swaps in a new pool."""

    def __init__(self, workers: int, max_chars: int) -> None:
        if workers < 1:
            raise ValueError(f"CLASSIFIER_WORKERS: a pool needs at least one worker, not {workers}")
        self.workers = workers
        self.max_chars = max_chars
        self._watches: list[tuple[int, str]] = []
        self._watchlist: list[Entity] = []
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # configure() runs in the reloaders' threads

    def configure(self, watches: list[tuple[int, str]] | None = None, watchlist: list[Entity] | None = None) -> None:
        """New watches or watchlists. Once started, a pool with them is started, and swapped in when its workers
        are ready; before `start`, they are only kept (the first pool starts once, with all of them)."""
        with self._lock:
            if watches is not None:
                self._watches = watches
            if watchlist is not None:
                self._watchlist = watchlist
            if self._pool is None:
                return
            new = self._ready_pool()
            old, self._pool = self._pool, new
        old.shutdown(wait=False)  # what it was given finishes; then its workers exit

    def start(self) -> None:
        """Start the first pool (blocks until its workers are ready)."""
        with self._lock:
            if self._pool is None:
                self._pool = self._ready_pool()

    def _ready_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(self.max_chars, self._watches, self._watchlist))
        started = time.monotonic()
        ready: set[int] = set()
        while len(ready) < self.workers:
            if time.monotonic() - started > READY_TIMEOUT:
                pool.shutdown(wait=False, cancel_futures=True)
                raise RuntimeError(f"classifier workers: only {len(ready)} of {self.workers} ready after {READY_TIMEOUT:.0f} s")
            ready.update(f.result(timeout=READY_TIMEOUT) for f in [pool.submit(_ready) for _ in range(self.workers)])
        log.info("classifier workers ready", extra={"workers": self.workers, "watches": len(self._watches), "seconds": round(time.monotonic() - started, 2)})
        return pool

    async def classify(self, values: list[bytes]) -> list[Result]:
        """Each value's result, in order."""
        results: list[Result] = [None] * len(values)
        async for start, part in self.classify_chunks(values):
            results[start : start + len(part)] = part
        return results

    async def classify_chunks(self, values: list[bytes]) -> AsyncIterator[tuple[int, list[Result]]]:
        """(index of the chunk's first value, its results) as each chunk is done. A batch is cut in CHUNKS_PER_WORKER
        chunks a worker, so that the caller publishes the first results while the workers classify the rest."""
        pool = self._pool
        if pool is None:  # not started at start-up (an in-memory test broker runs no start-up hooks): now
            await asyncio.to_thread(self.start)
            pool = self._pool
            assert pool is not None
        size = max(1, -(-len(values) // (self.workers * CHUNKS_PER_WORKER)))
        loop = asyncio.get_running_loop()

        async def chunk(k: int) -> tuple[int, list[Result]]:
            return k, await loop.run_in_executor(pool, _classify_chunk, values[k : k + size])

        chunks = [asyncio.ensure_future(chunk(k)) for k in range(0, len(values), size)]
        try:
            for done in asyncio.as_completed(chunks):
                yield await done
        except BrokenProcessPool:
            log.error("a classifier worker died; starting a new pool, and the batch will be read again", extra={"workers": self.workers})
            await asyncio.to_thread(self._replace, pool)
            raise
        finally:
            for future in chunks:
                future.cancel()

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:  # not already replaced by a reload or by another batch
                self._pool = self._ready_pool()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
