"""Watchlist import benchmark: the time and memory to read list files at OpenSanctions' scale. Prints figures; not a test.

    .venv/bin/python bench/watchlist_import.py [rows]

Generates an OpenSanctions targets.simple.csv of `rows` rows (default 100,000: persons, companies and vessels with
aliases in several scripts and IMO/MMSI identifiers), and reads it with the importer's reader (`read_list`), then
the real OFAC SDN.CSV from ../shared when it is there; then stores the generated list in SQLite. Time is an untraced reading; peak memory the Python heap's in a second,
traced reading (tracemalloc) and the process's maximum RSS.
"""

import csv
import io
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from radar_classifier.entities import valid_imo
from radar_classifier.listformats import read_list

SDN = Path(__file__).resolve().parents[2] / "shared" / "watchlists" / "ofac-sdn-2024-05-03.csv"
HEADER = ["id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers", "sanctions", "phones", "emails", "dataset", "first_seen", "last_seen", "last_change"]
GIVEN = ["Jong Un", "Vladimir", "Sergei", "Chol", "Myong Hak", "Ali", "Ivan", "Song Il", "Hyon", "Dmitri", "Olga", "Min Ho"]
FAMILY = ["Kim", "Pak", "Ri", "Choe", "Ivanov", "Petrov", "Sokolov", "Han", "Jang", "Hosseini", "Smirnov", "O"]
COMPANY = ["Trading", "Shipping", "Logistics", "Maritime", "Energy", "General", "Mining", "Bank", "Investment", "Technology"]
FORMS = ["Co., Ltd.", "LLC", "OOO", "Corporation", "JSC", "Pte. Ltd.", "FZE"]


def _imo(rng: random.Random) -> str:
    while True:
        number = f"{rng.randrange(100000, 1000000)}{rng.randrange(10)}"
        if valid_imo(number):
            return number


def generate(rows: int, seed: int = 1718) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n in range(rows):
        kind = rng.choices(["Person", "Company", "Vessel"], [6, 3, 1])[0]
        if kind == "Person":
            name = f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"
            aliases = [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}", "Ким Чен Ын", "김정은"][: rng.randrange(4)]
            ids = ""
        elif kind == "Company":
            name = f"{rng.choice(FAMILY)} {rng.choice(COMPANY)} {rng.choice(FORMS)}"
            aliases = [f"{rng.choice(COMPANY)} {n}", "ООО Тест"][: rng.randrange(3)]
            ids = ""
        else:
            name = f"{rng.choice(['Sky', 'Rich', 'Ocean', 'Hao', 'Chon Ma'])} {rng.choice(['Glory', 'Star', 'Fan', 'San', 'Morning'])} {n % 97}"
            aliases, ids = [], f"IMO{_imo(rng)};{rng.randrange(100000000, 1000000000)}"
        writer.writerow([f"NK-{n:07d}", kind, name, ";".join(aliases), "", "kp", "", ids, "UN 1718; US OFAC DPRK3", "", "", "bench", "", "", ""])
    return out.getvalue().encode()


def measure(label: str, data: bytes) -> None:
    start = time.perf_counter()
    read = read_list(data, "bench", source=label)
    seconds = time.perf_counter() - start
    tracemalloc.start()  # a second reading, traced: tracing slows it several times
    read_list(data, "bench", source=label)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    r = read.report()
    print(f"{label:<28} {len(data) / 1e6:7.1f} MB  {r['entries']:>8} entries  {r['names']:>8} names  {seconds:6.2f} s  "
          f"{r['entries'] / seconds:>9,.0f} entries/s  heap peak {peak / 1e6:7.1f} MB  refused {r['refused']}")


def store(data: bytes) -> None:
    """The same list stored (`radar watchlists import`) into a fresh SQLite file and read back as the classifier does."""
    from radar_api.service.watchlists import import_watchlist
    from radar_classifier.store import load_watchlists
    from radar_shared.db import upgrade

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        entities = read_list(data, "bench").entities
        start = time.perf_counter()
        stored = import_watchlist(url, entities, "bench")
        middle = time.perf_counter()
        loaded = len(load_watchlists(url))
        print(f"stored {stored:,} entries in SQLite in {middle - start:.2f} s; the classifier loaded {loaded:,} in {time.perf_counter() - middle:.2f} s")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = generate(rows)
    measure(f"opensanctions x{rows:,}", data)
    store(data)
    if SDN.exists():
        measure(SDN.name, SDN.read_bytes())
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
