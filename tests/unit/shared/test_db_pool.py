"""The PostgreSQL pool keeps a connection for each thread that writes at once (the notifier's delivery log)."""

import threading

from sqlalchemy import event, text

from radar_notifier.deliver import DELIVERY_LOG_THREADS
from radar_shared.db import POSTGRESQL_POOL_SIZE, get_engine, session_scope


def test_concurrent_writers_reuse_pooled_connections(postgresql_url: str) -> None:
    """Eight threads writing at once, three times over: after the first round no thread opens a connection.
    With SQLAlchemy's default pool (5) the sixth to eighth were closed on return and opened again each round."""
    assert POSTGRESQL_POOL_SIZE >= DELIVERY_LOG_THREADS
    engine = get_engine(postgresql_url)
    opened: list[object] = []
    event.listen(engine, "connect", lambda conn, record: opened.append(conn))
    for _round in range(3):
        barrier = threading.Barrier(DELIVERY_LOG_THREADS)

        def write(barrier: threading.Barrier = barrier) -> None:
            with session_scope(postgresql_url) as session:
                barrier.wait(timeout=30)  # all eight hold a connection at the same time
                session.execute(text("SELECT 1"))

        threads = [threading.Thread(target=write) for _ in range(DELIVERY_LOG_THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert len(opened) <= DELIVERY_LOG_THREADS
