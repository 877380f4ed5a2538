"""What the shared rate limit costs (issue 21, item 9): the API counts every request in the database
(radar_api.ratelimit), so that every API process sees the same counters.

Prints, for SQLite and (with --postgresql) PostgreSQL started by deploy/postgres.sh:
- one counted hit (an upsert in its own transaction): median and p99 in ms, hits/s from one thread;
- GET /v1/me through the whole app (TestClient, one process): median and p99 with the shared counter, and the
  same request with the counter bypassed (the in-memory cost floor), so the counter's share is visible.

    .venv/bin/python bench/ratelimit.py [--hits 2000] [--requests 500] [--postgresql]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from radar_api import auth  # noqa: E402
from radar_api.app import create_app  # noqa: E402
from radar_api.config import ApiSettings  # noqa: E402
from radar_api.ratelimit import RateLimiter  # noqa: E402
from radar_shared.db import get_engine, upgrade  # noqa: E402
from tests.support.sinks import free_port  # noqa: E402


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p99 {ordered[int(len(ordered) * 0.99) - 1] * 1000:.2f} ms"


def bench_hits(db: str, hits: int) -> None:
    limiter = RateLimiter(db)
    samples = []
    started = time.perf_counter()
    for i in range(hits):
        t = time.perf_counter()
        limiter.hit(f"token:{i % 50}")
        samples.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    print(f"  one counted hit: {_ms(samples)}; {hits / elapsed:,.0f} hits/s from one thread")


class _Free:
    """A limiter that counts nothing: the request's cost without the shared counter."""

    def hit(self, name: str, now: float | None = None) -> int:
        return 1

    def count(self, name: str, now: float | None = None) -> int:
        return 0


def bench_requests(db: str, requests: int) -> None:
    auth.add_user(db, "bench", "user")
    headers = {"Authorization": f"Bearer {auth.create_token(db, 'bench')[1]}"}
    with TestClient(create_app(db, ApiSettings(rate_limit_per_minute=10**9))) as client:
        for label in ("with the shared counter", "counter bypassed"):
            if label == "counter bypassed":
                client.app.state.context.limiter = _Free()  # type: ignore[attr-defined]
            for _ in range(20):
                client.get("/v1/me", headers=headers)
            samples = []
            for _ in range(requests):
                t = time.perf_counter()
                assert client.get("/v1/me", headers=headers).status_code == 200
                samples.append(time.perf_counter() - t)
            print(f"  GET /v1/me {label}: {_ms(samples)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--postgresql", action="store_true", help="also measure on PostgreSQL (deploy/postgres.sh)")
    args = parser.parse_args()
    os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    work = Path(tempfile.mkdtemp(prefix="radar-bench-ratelimit-"))
    work.chmod(0o755)
    try:
        targets = [("SQLite", f"sqlite:///{work / 'radar.db'}")]
        if args.postgresql:
            url = subprocess.run([str(ROOT / "deploy" / "postgres.sh"), "start", str(work / "pg"), str(free_port())],
                                 check=True, capture_output=True, text=True, timeout=120).stdout.strip()
            targets.append(("PostgreSQL", url))
        for name, db in targets:
            upgrade(db)
            print(f"{name}:")
            bench_hits(db, args.hits)
            bench_requests(db, args.requests)
            get_engine(db).dispose()
    finally:
        if args.postgresql:
            subprocess.run([str(ROOT / "deploy" / "postgres.sh"), "stop", str(work / "pg")], check=False, timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
