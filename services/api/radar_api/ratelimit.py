"""Rate limits that every API process shares: fixed one-minute windows counted in the database
(rate_limit_window), one upsert per counted request, so N processes allow what one does.

Buckets (named by the caller, stored as a SHA-256 of the name):
- a valid token's requests, once signed in (`token:<hash>`); the API and the web page share it;
- a client address's requests before sign-in (`address:<ip>`): pages, /signin, /feedback, /v1 without a token;
- a client address's failed authentications (`failed:<ip>`): an unknown token on /v1 (Basic auth included), a
  wrong token at /signin, a sign-in cookie that is not a valid token. Once an address has as many as
  API_AUTH_FAILURES_PER_MINUTE, every authentication from it gets 429 until the window ends, a right token
  too, so a guesser learns nothing more by rotating tokens or cookies.

A fixed window lets a client send up to twice its limit across a window's edge; in exchange a request costs one
statement and no clock is shared but the database rows. Rows of past windows are deleted by each process once
a window.
"""

import hashlib
import time

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from radar_shared.db import get_engine
from radar_shared.models import RateLimitWindow

WINDOW_SECONDS = 60
TABLE = RateLimitWindow.__table__  # type: ignore[attr-defined]


def bucket_id(name: str) -> str:
    """What is stored for a bucket: its name's SHA-256, so the table holds no address or token."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()


def retry_after(now: float) -> int:
    """Whole seconds until the current window ends (at least 1)."""
    return max(1, int(WINDOW_SECONDS - now % WINDOW_SECONDS + 0.999))


class RateLimiter:
    """Counts per bucket and window in the database at `db` (SQLite or PostgreSQL)."""

    def __init__(self, db: str) -> None:
        self.db = db
        self._insert = postgresql.insert if db.startswith("postgresql") else sqlite.insert
        self._swept = -1  # the last window whose predecessors this process deleted

    def hit(self, name: str, now: float | None = None) -> int:
        """Count one more in `name`'s current window; return the window's count, this one included."""
        now = time.time() if now is None else now
        minute = int(now // WINDOW_SECONDS)
        upsert = self._insert(TABLE).values(bucket=bucket_id(name), minute=minute, hits=1)
        statement = upsert.on_conflict_do_update(index_elements=["bucket", "minute"], set_={"hits": TABLE.c.hits + 1}).returning(TABLE.c.hits)
        with get_engine(self.db).begin() as conn:
            if minute != self._swept:
                conn.execute(sa.delete(TABLE).where(TABLE.c.minute < minute))
                self._swept = minute
            return int(conn.execute(statement).scalar_one())

    def count(self, name: str, now: float | None = None) -> int:
        """`name`'s count in the current window, not counting this look."""
        now = time.time() if now is None else now
        with get_engine(self.db).connect() as conn:
            found = conn.execute(sa.select(TABLE.c.hits).where(TABLE.c.bucket == bucket_id(name), TABLE.c.minute == int(now // WINDOW_SECONDS))).scalar()
        return int(found or 0)
