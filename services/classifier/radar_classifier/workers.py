"""Classification on several cores: worker processes, each with its own Classifier, beside the service's own.

Classifying is CPU work in Python, so one process uses one core however the batch is split. With
CLASSIFIER_WORKERS = N > 0 a batch is cut in chunks that the service's own Classifier (in a thread) and N worker
processes take as each becomes free, while the service's event loop does the Kafka work (fetch, validate,
publish each chunk's events as it comes back, commit). The delivery guarantee does not change: a batch's
offsets are committed only after every one of its events is acknowledged. Decision 015 says when it pays.

- Workers are spawned, never forked (the service has threads, and a forked child may inherit a lock held by
  one of them), as children of the service: they exit when it does, even when it is killed. Each loads the
  rules once. The configuration (watches, watchlists) is versioned: a change is written to a file, the
  service's Classifier takes it at once, and each chunk handed out afterwards names the new version, which a
  worker applies (from the file) before classifying the chunk. A new watch thus applies to every article
  classified after the service loaded it, whichever process classifies it.
- Events go to the workers as JSON and come back as the JSON to publish, with the tags for the metrics: no
  pydantic object crosses a process boundary.
- A worker that dies (killed, out of memory) breaks its pool: that batch fails and the dead-letter middleware
  reads it again after a pause; a fresh pool is started for the next attempt. A batch that keeps killing its
  worker ends in the dead-letter topic like any other failing batch.
- Memory: a worker holds the rules and the watches (~85 MB with 1,000 watches).
"""

import asyncio
import logging
import os
import pickle
import shutil
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Protocol

from radar_classifier.classify import Classifier, apply_watches, classify_event
from radar_classifier.watchlist import Entity
from radar_shared.messages import ArticleClassified, ArticleDiscovered

log = logging.getLogger("radar.classifier")

Result = tuple[bytes, list[tuple[str, str]]] | None  # the ArticleClassified's JSON and its (kind, tag) pairs, or nothing
READY_TIMEOUT = 120.0
CHUNKS_PER_LANE = 4

_classifier: Classifier | None = None  # a worker process's own
_version = -1  # of the configuration it has applied

Config = tuple[int, str]  # (version, file with the pickled watches and watchlists)


def _start_worker(max_chars: int) -> None:
    global _classifier
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in `make run` reaches the whole process group: the service stops its workers
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    _classifier = Classifier.default(max_chars=max_chars)


def _configured(config: Config) -> Classifier:
    """The worker's Classifier with the configuration of that version (read from its file when it changed)."""
    global _version
    assert _classifier is not None, "worker started without its initializer"
    version, path = config
    if version != _version:
        watches, watchlist = pickle.loads(Path(path).read_bytes())  # noqa: S301 - written by the service that spawned this worker
        apply_watches(_classifier, watches)
        _classifier.watchlist = watchlist
        _version = version
    return _classifier


def _exit_with_parent(parent: int) -> None:
    """A worker outlives a killed service by at most a second (its pipe is closed too, but a worker busy with a
    chunk would not notice until the chunk ends)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _ready(config: Config) -> int:
    _configured(config)
    time.sleep(0.05)  # long enough that one worker cannot answer for all the others
    return os.getpid()


def result_of(classified: ArticleClassified | None) -> Result:
    """What is published for an article: its ArticleClassified as JSON, with its tags for the metrics."""
    return None if classified is None else (classified.model_dump_json().encode(), [(t.kind, t.tag) for t in classified.tags])


def classify_values(classifier: Classifier, values: list[bytes]) -> list[Result]:
    """Classify ArticleDiscovered events given as JSON: a chunk's work, in a worker or in the service's thread."""
    return [result_of(classify_event(classifier, ArticleDiscovered.model_validate_json(value))) for value in values]


def _classify_chunk(config: Config, values: list[bytes]) -> list[Result]:
    return classify_values(_configured(config), values)


class ClassifierPool:
    """N worker processes, and the service's own Classifier, with the service's current configuration."""

    def __init__(self, workers: int, max_chars: int, local: Classifier | None = None) -> None:
        if workers < 1:
            raise ValueError(f"CLASSIFIER_WORKERS: a pool needs at least one worker, not {workers}")
        self.workers = workers
        self.max_chars = max_chars
        self.local = local  # the service's own Classifier, which takes chunks too
        self._watches: list[tuple[int, str]] = []
        self._watchlist: list[Entity] = []
        self._dir = Path(tempfile.mkdtemp(prefix="radar-classifier-"))
        self._config: Config = (0, "")
        self._write_config()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # configure() runs in the reloaders' threads

    def _write_config(self) -> None:
        """The configuration as a new version: a file the workers read when a chunk names a version they have not
        applied yet. The file before last is removed (a chunk handed out just before a change names the last)."""
        version = self._config[0] + 1
        path = self._dir / f"config-{version}.pickle"
        path.with_suffix(".tmp").write_bytes(pickle.dumps((self._watches, self._watchlist)))
        path.with_suffix(".tmp").replace(path)
        (self._dir / f"config-{version - 2}.pickle").unlink(missing_ok=True)
        self._config = (version, str(path))

    def configure(self, watches: list[tuple[int, str]] | None = None, watchlist: list[Entity] | None = None) -> None:
        """New watches or watchlists: the service's Classifier takes them now, each worker with its next chunk."""
        with self._lock:
            if watches is not None:
                self._watches = watches
                if self.local is not None:
                    apply_watches(self.local, watches)
            if watchlist is not None:
                self._watchlist = watchlist
                if self.local is not None:
                    self.local.watchlist = watchlist
            self._write_config()

    def start(self) -> None:
        """Start the workers (blocks until each has loaded the rules and the configuration)."""
        with self._lock:
            if self._pool is None:
                self._pool = self._ready_pool()

    def _ready_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(self.max_chars,))
        started = time.monotonic()
        ready: set[int] = set()
        while len(ready) < self.workers:
            if time.monotonic() - started > READY_TIMEOUT:
                pool.shutdown(wait=False, cancel_futures=True)
                raise RuntimeError(f"classifier workers: only {len(ready)} of {self.workers} ready after {READY_TIMEOUT:.0f} s")
            ready.update(f.result(timeout=READY_TIMEOUT) for f in [pool.submit(_ready, self._config) for _ in range(self.workers)])
        log.info("classifier workers ready", extra={"workers": self.workers, "watches": len(self._watches), "seconds": round(time.monotonic() - started, 2)})
        return pool

    async def classify_events(self, events: Sequence[ArticleDiscovered]) -> AsyncIterator[tuple[int, list[Result]]]:
        """classify_chunks of the events, sent to the workers as JSON."""
        async for chunk in self.classify_chunks([event.model_dump_json().encode() for event in events]):
            yield chunk

    async def classify(self, values: list[bytes]) -> list[Result]:
        """Each value's result, in order."""
        results: list[Result] = [None] * len(values)
        async for start, part in self.classify_chunks(values):
            results[start : start + len(part)] = part
        return results

    async def classify_chunks(self, values: list[bytes]) -> AsyncIterator[tuple[int, list[Result]]]:
        """(index of the chunk's first value, its results) as each chunk is done. A batch is cut in CHUNKS_PER_LANE
        chunks for each worker and for the service's own process (if it classifies too); each takes the next chunk
        when it is free, and the caller publishes the first results while the rest are being classified."""
        pool = self._pool
        if pool is None:  # not started at start-up (an in-memory test broker runs no start-up hooks): now
            await asyncio.to_thread(self.start)
            pool = self._pool
            assert pool is not None
        loop = asyncio.get_running_loop()
        config = self._config
        runners: list[Callable[[list[bytes]], Awaitable[list[Result]]]] = [
            lambda chunk: loop.run_in_executor(pool, _classify_chunk, config, chunk) for _ in range(self.workers)
        ]
        if self.local is not None:  # this process's own share, in a thread: its event loop goes on with Kafka
            local = self.local
            runners.append(lambda chunk: asyncio.to_thread(classify_values, local, chunk))
        size = max(1, -(-len(values) // (len(runners) * CHUNKS_PER_LANE)))
        todo = deque(range(0, len(values), size))
        chunks: dict[int, asyncio.Future[tuple[int, list[Result]]]] = {k: loop.create_future() for k in todo}

        async def lane(run: Callable[[list[bytes]], Awaitable[list[Result]]]) -> None:
            while todo:
                k = todo.popleft()
                try:
                    chunks[k].set_result((k, await run(values[k : k + size])))
                except Exception as error:  # noqa: BLE001 - the caller gets it from the chunk's future
                    chunks[k].set_exception(error)

        lanes = [asyncio.ensure_future(lane(run)) for run in runners]
        try:
            for chunk in asyncio.as_completed(chunks.values()):
                yield await chunk
        except BrokenProcessPool:
            log.error("a classifier worker died; starting a new pool, and the batch will be read again", extra={"workers": self.workers})
            await asyncio.to_thread(self._replace, pool)
            raise
        finally:
            for task in lanes:
                task.cancel()
            for future in chunks.values():
                if future.done() and not future.cancelled():
                    future.exception()  # retrieved: one failure is raised above, the others are the same
                else:
                    future.cancel()

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:  # not already replaced for another batch
                self._pool = self._ready_pool()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._dir, ignore_errors=True)


class ClassifyStrategy(Protocol):
    """How the service classifies a batch: InlineClassifier (CLASSIFIER_WORKERS=0) or ClassifierPool."""

    def configure(self, watches: list[tuple[int, str]] | None = None, watchlist: list[Entity] | None = None) -> None: ...

    def start(self) -> None: ...

    def classify_events(self, events: Sequence[ArticleDiscovered]) -> AsyncIterator[tuple[int, list[Result]]]: ...

    def close(self) -> None: ...


class InlineClassifier:
    """The service's own Classifier alone, in its event loop, with ClassifierPool's interface: the whole batch is
    one chunk, and there is nothing to start or stop."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier

    def configure(self, watches: list[tuple[int, str]] | None = None, watchlist: list[Entity] | None = None) -> None:
        if watches is not None:
            apply_watches(self.classifier, watches)
        if watchlist is not None:
            self.classifier.watchlist = watchlist

    def start(self) -> None:
        """Nothing to start: the rules were loaded when the Classifier was made."""

    async def classify_events(self, events: Sequence[ArticleDiscovered]) -> AsyncIterator[tuple[int, list[Result]]]:
        yield 0, [result_of(classify_event(self.classifier, event)) for event in events]

    def close(self) -> None:
        """Nothing to stop."""


def classify_strategy(workers: int, max_chars: int) -> ClassifyStrategy:
    """The service's Classifier (the rules load here: seconds, ~85 MB), alone or beside `workers` processes."""
    classifier = Classifier.default(max_chars=max_chars)
    return ClassifierPool(workers, max_chars, local=classifier) if workers else InlineClassifier(classifier)
