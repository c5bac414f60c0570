"""Documents per minute: the real Dagster path (daemon, sensor, one queued run per document) against
the same engine and steps in a plain loop in one process, measured side by side in one run.

    python benchmarks/throughput.py [-n 40]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ella_dagster import samples
from ella_dagster.config import PROJECT_ROOT
from ella_dagster.daemon import start_daemon, stop, wait_until_processed
from ella_dagster.db.session import Database
from ella_dagster.engines import OfflineEngine
from ella_dagster.pipeline import steps
from ella_dagster.pipeline.intake import register_upload, seed_demo, upload_files
from ella_dagster.store import LocalDocumentStore

console = Console(width=120)
BIN = Path(sys.executable).parent
MAX_CONCURRENT_RUNS = 2  # dagster.yaml concurrency.runs.max_concurrent_runs


def make_documents(n: int) -> list[tuple[str, bytes]]:
    rng = random.Random(42)
    return [(f"doc{i:03d}.png", samples.GENERATORS[i % len(samples.GENERATORS)](rng, 2024).data) for i in range(n)]


def plain_loop(docs: list[tuple[str, bytes]], work: Path) -> dict[str, float]:
    db, store = Database(f"sqlite:///{work / 'plain.db'}"), LocalDocumentStore(work / "plain_store")
    db.migrate()
    case = seed_demo(db)
    ids = []
    for start in range(0, len(docs), 20):
        ids += [o.upload_id for o in upload_files(db, store, case, docs[start : start + 20])]
    engine = OfflineEngine()
    started = time.perf_counter()
    per_doc = []
    for marker in store.new_uploads(None, len(ids)):
        t = time.perf_counter()
        register_upload(db, store, marker)
        steps.process_document(db, store, engine, marker.upload_id)
        per_doc.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "docs_per_minute": len(ids) / elapsed * 60,
        "median_doc_seconds": statistics.median(per_doc),
    }


def dagster_path(docs: list[tuple[str, bytes]], work: Path) -> dict[str, float]:
    env = {
        **os.environ,
        "ELLA_DATA_DIR": str(work / "dagster_data"),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "ELLA_SENSOR_INTERVAL_SECONDS": "1",
    }
    subprocess.run([str(BIN / "ella"), "init"], env=env, check=True, cwd=PROJECT_ROOT, capture_output=True)
    db = Database(f"sqlite:///{work / 'dagster_data' / 'ella.db'}")
    store = LocalDocumentStore(work / "dagster_data" / "store")
    case = seed_demo(db)
    daemon = start_daemon(env)
    try:
        time.sleep(5)  # let the daemon load the code location before the clock starts
        started = time.perf_counter()
        ids = []
        for start in range(0, len(docs), 20):
            ids += [o.upload_id for o in upload_files(db, store, case, docs[start : start + 20])]
        from dagster import DagsterInstance
        from dagster._core.instance.ref import InstanceRef

        instance = DagsterInstance.from_ref(InstanceRef.from_dir(env["DAGSTER_HOME"]))
        # Done: every document processed and every run finished (its events recorded).
        if not wait_until_processed(db, instance, ids, timeout=1800, daemon=daemon):
            raise TimeoutError(f"the {len(ids)} documents did not finish")
        elapsed = time.perf_counter() - started
    finally:
        stop(daemon)
    return {"seconds": elapsed, "docs_per_minute": len(ids) / elapsed * 60, **run_overheads(work / "dagster_home")}


def run_overheads(home: Path) -> dict[str, float]:
    """Per run: wall time inside the run process minus the time its six steps spent in our code."""
    from dagster import AssetKey, DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    step_seconds: dict[str, float] = {}
    for key in ("document_hash", "classification", "routing", "renamed_key", "ocr_extract", "digital_doc"):
        for record in instance.fetch_materializations(AssetKey(key), limit=10_000).records:
            seconds = float(record.asset_materialization.metadata["step_seconds"].value)
            step_seconds[record.run_id] = step_seconds.get(record.run_id, 0.0) + seconds
    durations, overheads = [], []
    for record in instance.get_run_records():
        if record.start_time and record.end_time:
            durations.append(record.end_time - record.start_time)
            overheads.append(durations[-1] - step_seconds.get(record.dagster_run.run_id, 0.0))
    return {
        "median_run_seconds": statistics.median(durations),
        "median_in_run_overhead_seconds": statistics.median(overheads),
        "runs": len(durations),
    }


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=40, help="one-page documents (default 40)")
    args = parser.parse_args()
    docs = make_documents(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        console.print(f"{args.n} one-page documents, {os.cpu_count()} cores, max 2 concurrent runs (dagster.yaml)")
        plain = plain_loop(docs, work)
        dagster = dagster_path(docs, work)
    table = Table(title="throughput")
    for column in ("path", "seconds", "docs/min", "note"):
        table.add_column(column)
    table.add_row(
        "plain loop, one process",
        f"{plain['seconds']:.1f}",
        f"{plain['docs_per_minute']:.1f}",
        f"median {plain['median_doc_seconds']:.2f} s per document",
    )
    table.add_row(
        "Dagster: sensor + daemon + queued runs",
        f"{dagster['seconds']:.1f}",
        f"{dagster['docs_per_minute']:.1f}",
        f"median run {dagster['median_run_seconds']:.2f} s ({dagster['runs']} runs)",
    )
    console.print(table)
    ratio = dagster["docs_per_minute"] / plain["docs_per_minute"]
    # What one document costs a run slot end to end (launch, process start, imports, steps), minus the
    # plain loop's cost for the same document: the per-run overhead Dagster adds.
    slot_seconds = dagster["seconds"] * MAX_CONCURRENT_RUNS / args.n
    dagster["per_run_overhead_seconds"] = slot_seconds - plain["median_doc_seconds"]
    console.print(f"ratio Dagster / plain loop: {ratio:.2f}x")
    console.print(
        f"median per-run overhead: {dagster['per_run_overhead_seconds']:.2f} s per document per run slot "
        f"({dagster['median_in_run_overhead_seconds']:.2f} s of it inside the run process; the rest is launching "
        "it: process start, imports, code location load)"
    )
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "throughput.json").write_text(
        json.dumps({"n": args.n, "plain": plain, "dagster": dagster, "ratio": ratio}, indent=2)
    )


if __name__ == "__main__":
    main()
