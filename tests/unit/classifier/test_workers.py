"""The classifier's worker processes: the same results as classifying in the service's process, new watches
swapped in, and a pool whose worker died replaced (the batch fails, to be read again; the next one passes)."""

import asyncio
import json
import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from radar_classifier.classify import Classifier, apply_watches
from radar_classifier.workers import ClassifierPool, ClassifyStrategy, InlineClassifier, Result, classify_strategy, classify_values
from radar_shared.messages import Article, ArticleDiscovered

TEXTS = [
    ("Tanker seized", "The tanker Sky Morning transferred refined petroleum to a North Korean vessel in a ship-to-ship transfer, in breach of UN sanctions."),
    ("Weather", "Rain is expected in the north of the country on Tuesday."),
    ("Treasury acts", "The US Treasury designated two Russian front companies that shipped coal from Nakhodka to Nampo for North Korea."),
    ("Vessel watch", "The Zorblat freighter called at Vostochny."),
]


def values() -> list[bytes]:
    return [
        ArticleDiscovered(article=Article(article_id=f"a{n}", story_id=f"s{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                                          url=f"https://news.example/{n}", title=title, text=text, lang="en", source="news.example")).model_dump_json().encode()
        for n, (title, text) in enumerate(TEXTS)
    ]


def without_times(results: list) -> list:
    """The results without what each classification makes anew (its event's id and time)."""
    out = []
    for result in results:
        if result is None:
            out.append(None)
            continue
        body, tags = result
        event = json.loads(body)
        event.pop("occurred_at")  # stamped by each classification
        event.pop("event_id")
        out.append((event, tags))
    return out


@pytest.fixture(scope="module")
def pool():
    pool = ClassifierPool(2, 100_000)
    pool.configure(watches=[(7, "Zorblat")])
    pool.start()
    yield pool
    pool.close()


def test_workers_classify_as_the_service_process_does(pool: ClassifierPool) -> None:
    here = Classifier.default()
    apply_watches(here, [(7, "Zorblat")])
    batch = values()
    got = asyncio.run(pool.classify(batch))
    assert without_times(got) == without_times(classify_values(here, batch))
    assert [r is not None for r in got] == [True, False, True, True]
    assert ("watch", "watch:7") in got[3][1]


async def classified(strategy: ClassifyStrategy, events: list[ArticleDiscovered]) -> list[Result]:
    """Each event's result, in order, through the interface both strategies share."""
    chunks = sorted([chunk async for chunk in strategy.classify_events(events)], key=lambda chunk: chunk[0])
    return [result for _, part in chunks for result in part]


def test_the_inline_strategy_classifies_as_the_pool_does_and_takes_new_watches(pool: ClassifierPool) -> None:
    """CLASSIFIER_WORKERS=0 and N > 0 differ only in the strategy object: same results, same configure()."""
    events = [ArticleDiscovered.model_validate_json(value) for value in values()]
    inline = classify_strategy(0, 100_000)
    assert isinstance(inline, InlineClassifier)
    inline.start()
    for strategy in (inline, pool):
        strategy.configure(watches=[(7, "Zorblat")])
    got = asyncio.run(classified(inline, events))
    assert without_times(got) == without_times(asyncio.run(classified(pool, events)))
    assert got[3] is not None and ("watch", "watch:7") in got[3][1]
    inline.configure(watches=[])
    assert asyncio.run(classified(inline, events))[3] is None
    inline.close()


def test_new_watches_reach_the_workers_without_restarting_them(pool: ClassifierPool) -> None:
    workers = asyncio.run(_worker_pids(pool))
    pool.configure(watches=[(8, "rain")])
    got = asyncio.run(pool.classify(values() * 8))  # enough chunks that every worker takes one
    assert all(result is not None and ("watch", "watch:8") in result[1] for result in got[1::4])
    assert all(result is None for result in got[3::4])  # watch 7 is gone
    assert asyncio.run(_worker_pids(pool)) == workers


def test_a_dead_worker_fails_its_batch_and_the_next_batch_gets_a_new_pool(pool: ClassifierPool) -> None:
    workers = asyncio.run(_worker_pids(pool))
    os.kill(workers[0], signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        asyncio.run(pool.classify(values() * 10))
    assert len([r for r in asyncio.run(pool.classify(values())) if r is not None]) >= 2
    assert not set(asyncio.run(_worker_pids(pool))) & set(workers)


async def _worker_pids(pool: ClassifierPool) -> list[int]:
    return sorted(pool._pool._processes)  # type: ignore[union-attr]  # noqa: SLF001


def test_the_service_process_classifies_beside_its_workers() -> None:
    local = Classifier.default()
    pool = ClassifierPool(1, 100_000, local=local)
    pool.configure(watches=[(9, "Nakhodka")])
    try:
        batch = values() * 30  # more chunks than lanes: both take some
        got = asyncio.run(pool.classify(batch))
        assert without_times(got) == without_times(classify_values(local, batch))
        assert ("watch", "watch:9") in got[2][1]  # the local classifier was configured too
    finally:
        pool.close()


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="CLASSIFIER_WORKERS"):
        ClassifierPool(0, 100_000)
