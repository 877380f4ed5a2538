"""Watchlist screening cost: CPU per article with no list, with OFAC's real SDN list, and with a generated list
of `--synthetic` names (OpenSanctions' shapes, from bench/watchlist_import.py's generator), plus the matcher's
build time and the process's RSS after each build. Prints figures; not a test.

    .venv/bin/python bench/watchlist.py [--synthetic 1000000]

Articles are the dev corpus's (../shared/corpus/dev.jsonl and dev2.jsonl); each figure is the best of three
passes of process time, after a warm-up pass (wordfreq loads a language's table on first use).
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from watchlist_import import SDN, generate  # noqa: E402

from radar_classifier.classify import Classifier  # noqa: E402
from radar_classifier.listformats import read_list  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def per_article(classifier: Classifier, items: list[dict]) -> float:
    for item in items:
        classifier.classify(item["title"], item["text"], "", item.get("lang"))
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for item in items:
            classifier.classify(item["title"], item["text"], "", item.get("lang"))
        best = min(best, (time.process_time() - started) / len(items))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synthetic", type=int, default=0, help="also a generated list of this many rows (e.g. 1000000)")
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"bench/watchlist.py: needs the labelled corpus in {CORPUS}")
    items = [json.loads(line) for name in ("dev.jsonl", "dev2.jsonl") for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    lists = {"no list": []}
    if SDN.exists():
        lists["OFAC SDN"] = read_list(SDN.read_bytes(), "sdn").entities
    if args.synthetic:
        lists[f"synthetic {args.synthetic:,}"] = read_list(generate(args.synthetic), "synthetic", "opensanctions").entities
    print(f"{len(items)} dev articles, one core, Python {sys.version.split()[0]}; best of three passes")
    print(f"{'list':<22}{'entries':>10}{'build s':>9}{'ms/article':>12}{'× no list':>11}{'max RSS MB':>12}")
    base = None
    for name, entities in lists.items():
        started = time.perf_counter()
        classifier = Classifier.default(watchlist=entities) if entities else Classifier.default()
        build = time.perf_counter() - started
        cost = per_article(classifier, items)
        base = base or cost
        print(f"{name:<22}{len(entities):>10,}{build:>9.2f}{cost * 1000:>12.2f}{cost / base:>11.1f}{rss_mb():>12.0f}")
        del classifier


if __name__ == "__main__":
    main()
