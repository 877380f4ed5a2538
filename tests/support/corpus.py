"""Access to ../shared (read in place, never copied). Tests that need it skip, saying why, when it is absent."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "dev.jsonl"
CORPUS2 = SHARED / "corpus" / "dev2.jsonl"
CORPUS3 = SHARED / "corpus" / "dev3.jsonl"
FEEDS = SHARED / "feeds"

needs_shared = pytest.mark.skipif(
    not CORPUS.exists(),
    reason=f"../shared is absent ({SHARED}): the labelled corpus and real feeds are read in place and are not in this repository",
)


def corpus() -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, CORPUS.read_text(encoding="utf-8").splitlines()) if row}
