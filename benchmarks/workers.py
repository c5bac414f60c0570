"""Throughput by run launcher, side by side in one run: the daemon's default launcher (a new process per
run) against Dagster's CeleryRunLauncher with 1 and with 2 warm Celery workers on Redis. Same documents,
same batches, the app database and the Dagster instance on PostgreSQL (the production shape).

    python benchmarks/workers.py [-n 60] [--batch-size 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

from ella_dagster.config import PROJECT_ROOT
from ella_dagster.daemon import start_daemon, stop, wait_until_processed

console = Console(width=140)
BIN = Path(sys.executable).parent
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _documents(n: int) -> list[tuple[str, bytes]]:
    sys.path.insert(0, str(Path(__file__).parent))
    from throughput import make_documents

    return make_documents(n)


def _ella(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([str(BIN / "ella"), *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ella {' '.join(args)}: {result.stderr[-2000:]}")


def one_path(docs: list[tuple[str, bytes]], work: Path, workers: int, batch_size: int) -> dict[str, float]:
    """`workers` = 0: the default launcher; otherwise that many Celery workers of concurrency 1."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    from ella_dagster.db.session import Database
    from ella_dagster.pipeline.intake import seed_demo, upload_files
    from ella_dagster.store import LocalDocumentStore

    name = f"ella_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    home = work / f"home-{workers}"
    env = {
        **os.environ,
        "ELLA_DATA_DIR": str(work / f"data-{workers}"),
        "DAGSTER_HOME": str(home),
        "ELLA_DATABASE_URL": url,
        "ELLA_SENSOR_INTERVAL_SECONDS": "2",
        "ELLA_BATCH_SIZE": str(batch_size),
    }
    redis_db = 14
    if workers:
        env["ELLA_CELERY_BROKER_URL"] = f"redis://127.0.0.1:6379/{redis_db}"
    processes: list[subprocess.Popen[bytes]] = []
    daemon = None
    try:
        _ella(env, "init")
        for i in range(workers):
            log = (work / f"worker-{workers}-{i}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [str(BIN / "ella"), "worker", "--concurrency", "1", "--name", f"w{i}"],
                    env=env,
                    cwd=PROJECT_ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 120
        while workers and not all(
            " ready." in (work / f"worker-{workers}-{i}.log").read_text() for i in range(workers)
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("Celery workers did not start")
            time.sleep(0.5)
        db = Database(url)
        store = LocalDocumentStore(work / f"data-{workers}" / "store")
        case = seed_demo(db)
        daemon = start_daemon(env, log_path=work / f"daemon-{workers}.log")
        time.sleep(8)  # the daemon loads the code location before the clock starts
        started = time.perf_counter()
        ids = []
        for first in range(0, len(docs), 20):
            ids += [o.upload_id for o in upload_files(db, store, case, docs[first : first + 20])]
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        if not wait_until_processed(db, instance, ids, timeout=3600, daemon=daemon):
            raise TimeoutError("documents did not finish")
        elapsed = time.perf_counter() - started
        runs = instance.get_runs()
        durations = [r.end_time - r.start_time for r in instance.get_run_records() if r.start_time and r.end_time]
        instance.dispose()
        db.dispose()
        return {
            "workers": workers,
            "documents": len(ids),
            "seconds": elapsed,
            "docs_per_minute": len(ids) / elapsed * 60,
            "runs": len(runs),
            "mean_run_seconds": sum(durations) / max(1, len(durations)),
        }
    finally:
        if daemon is not None:
            stop(daemon)
        for process in processes:
            stop(process)
        if workers:
            import redis

            redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for db_name in (name, f"{name}_dagster"):
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=60, help="one-page documents per path (default 60)")
    parser.add_argument("--batch-size", type=int, default=5, help="documents per run (default 5: many runs)")
    args = parser.parse_args()
    docs = _documents(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [one_path(docs, Path(tmp), workers, args.batch_size) for workers in (0, 1, 2)]
    table = Table(title=f"{args.n} documents in batches of {args.batch_size}, PostgreSQL app database and instance")
    for column in ("run launcher", "seconds", "docs/min", "ratio to default", "runs", "mean run s"):
        table.add_column(column)
    base = rows[0]["docs_per_minute"]
    for row in rows:
        label = "daemon's default (a process per run)" if not row["workers"] else f"Celery, {row['workers']} worker(s)"
        table.add_row(
            label,
            f"{row['seconds']:.1f}",
            f"{row['docs_per_minute']:.1f}",
            f"{row['docs_per_minute'] / base:.2f}x",
            str(row["runs"]),
            f"{row['mean_run_seconds']:.1f}",
        )
    console.print(table)
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "workers.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
