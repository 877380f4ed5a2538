"""CLI start-up: wall time of `radar` commands, each in a fresh process, and what they import (prints figures;
not a test).

Targets (issue 13, item 6), on an idle machine: `radar --help` within 0.3 s, simple commands within 0.8 s. Each
command runs `--runs` times (default 5) against a throwaway SQLite database migrated once beforehand (the row
"no database" names a file that is not there, as on a laptop without `radar db upgrade`); the table
gives the median, the fastest and the slowest run, and the median CPU time (user + system) of the process, which
varies less than wall time when other processes share the machine. Then each command runs once more under `python -X importtime`:
the total time spent importing, the number of modules loaded, and the heaviest top-level imports.

    .venv/bin/python bench/cli.py [--runs 5]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RADAR = str(BIN / "radar")
ARTICLE = '{"title": "Tanker Sky Morning loads coal at Nampo", "text": "A ship-to-ship transfer of North Korean coal near Nampo."}\n'

# (label, argv after the interpreter, budget in seconds); "{article}" is a file of one article
COMMANDS: list[tuple[str, list[str], float]] = [
    ("radar --help", [RADAR, "--help"], 0.3),
    ("radar status --help", [RADAR, "status", "--help"], 0.8),
    ("radar feeds add --help", [RADAR, "feeds", "add", "--help"], 0.8),
    ("python -m radar_api.cli users --help", ["-m", "radar_api.cli", "users", "--help"], 0.8),
    ("radar feeds list (empty SQLite)", [RADAR, "feeds", "list"], 0.8),
    ("radar users list (empty SQLite)", [RADAR, "users", "list"], 0.8),
    ("radar classify ARTICLE (one line)", [RADAR, "classify", "{article}"], 0.8),
    ("radar classify ARTICLE, no database", [RADAR, "classify", "{article}"], 0.8),
]
NO_DATABASE = {"radar classify ARTICLE, no database"}  # these run with DATABASE_URL naming a file that is not there


def run(argv: list[str], env: dict[str, str], importtime: bool = False) -> subprocess.CompletedProcess[str]:
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run([sys.executable, *flags, *argv], env=env, capture_output=True, text=True, check=True)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run in a fresh process."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    run(argv, env)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def imports(stderr: str) -> tuple[float, int, list[tuple[str, float]]]:
    """Total import time (s), modules imported, and the five heaviest top-level imports (name, cumulative s)."""
    total, count, top = 0, 0, []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        total, count = total + int(own), count + 1
        if not name.startswith("  "):  # depth 0: one space after the bar, two more per level
            top.append((name.strip(), int(cumulative) / 1e6))
    return total / 1e6, count, sorted(top, key=lambda t: -t[1])[:5]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        article = Path(tmp, "article.jsonl")
        article.write_text(ARTICLE, encoding="utf-8")
        env = {"PATH": str(BIN), "HOME": tmp, "DATABASE_URL": f"sqlite:///{tmp}/radar.db"}
        run([RADAR, "db", "upgrade"], env)
        commands = [(label, [a.format(article=article) for a in argv], budget) for label, argv, budget in COMMANDS]
        envs = {label: env | ({"DATABASE_URL": f"sqlite:///{tmp}/none.db"} if label in NO_DATABASE else {}) for label, _, _ in commands}
        for label, argv, _ in commands:  # warm the byte-code and the page cache once
            run(argv, envs[label])
        times: dict[str, list[float]] = {label: [] for label, _, _ in commands}
        cpu: dict[str, list[float]] = {label: [] for label, _, _ in commands}
        for _ in range(args.runs):  # round by round, so that a burst of load spreads over all commands
            for label, argv, _ in commands:
                wall, used = timed(argv, envs[label])
                times[label].append(wall)
                cpu[label].append(used)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average {load}; {args.runs} runs each\n")
        print(f"{'command':<38}{'median':>8}{'min':>8}{'max':>8}{'CPU':>8}{'budget':>8}")
        for label, _, budget in commands:
            t = times[label]
            mark = "" if statistics.median(t) <= budget else "  over"
            print(f"{label:<38}{statistics.median(t):>7.3f}s{min(t):>7.3f}s{max(t):>7.3f}s{statistics.median(cpu[label]):>7.3f}s{budget:>7.1f}s{mark}")
        print(f"\n{'command':<38}{'imports':>9}{'modules':>9}   heaviest top-level imports (cumulative)")
        for label, argv, _ in commands:
            total, count, top = imports(run(argv, envs[label], importtime=True).stderr)
            heaviest = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in top[:3])
            print(f"{label:<38}{total:>8.3f}s{count:>9}   {heaviest}")


if __name__ == "__main__":
    main()
