"""A requests-per-window limit shared by every process of the deployment (each Dagster run is its
own process), kept in the deployment's database: pyrate-limiter's PostgreSQL bucket, or its SQLite
bucket with a file lock for the embedded default."""

from __future__ import annotations

import functools
from pathlib import Path

from pyrate_limiter import Duration, Limiter, Rate
from pyrate_limiter.buckets import SQLiteBucket

BUCKET = "gemini_requests"


def safety_margin(window_seconds: float) -> float:
    """Slots are taken before the request travels; a slightly longer window keeps the rate the server
    sees under the limit despite network jitter (costs about 1 % of throughput on a 60 s window)."""
    return max(0.5, window_seconds * 0.01)


@functools.cache
def shared_limiter(database_url: str, data_dir: str, per_window: int, window_seconds: float) -> Limiter:
    """One limiter per process; the bucket it counts in is shared through the database."""
    rate = Rate(per_window, int((window_seconds + safety_margin(window_seconds)) * Duration.SECOND))
    if database_url.startswith("postgresql"):
        from psycopg_pool import ConnectionPool
        from pyrate_limiter.buckets import PostgresBucket

        conninfo = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        pool = ConnectionPool(conninfo, min_size=1, max_size=2, open=True)
        bucket = PostgresBucket(pool, BUCKET, [rate])
    else:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        bucket = SQLiteBucket.init_from_file(
            [rate], table=BUCKET, db_path=str(Path(data_dir) / "ratelimit.sqlite"), use_file_lock=True
        )
    return Limiter(bucket)


def acquire(limiter: Limiter, timeout_seconds: float = 600) -> None:
    """Blocks until this process may send one more request. pyrate-limiter can answer "no" long before
    the timeout (seen when several processes first use a fresh PostgreSQL bucket at once), so a "no"
    is asked again until the deadline."""
    import time

    deadline = time.monotonic() + timeout_seconds
    while (left := deadline - time.monotonic()) > 0:
        if limiter.try_acquire(BUCKET, blocking=True, timeout=max(1, int(left))):
            return
        time.sleep(0.05)
    raise TimeoutError(f"rate limit: no request slot within {timeout_seconds:.0f} s")
