"""Documents per minute: the real Dagster path (daemon, uploads sensor, one queued run per batch) against
the bare loop with the same engine and stages on both cores (two processes), measured side by side in
one run; also one document per run (the earlier shape) and the latency of a lone upload on an idle system.

    python benchmarks/throughput.py [-n 200] [--single-n 40] [--latency-samples 12]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
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
from ella_dagster.pipeline.intake import register_upload, seed_demo, upload_files
from ella_dagster.store import LocalDocumentStore

console = Console(width=140)
BIN = Path(sys.executable).parent
CORES = 2  # this project's machines; dagster.yaml runs two at a time
STAGES = ("document_hash", "classification", "routing", "renamed_key", "ocr_extract", "digital_doc")


def make_documents(n: int, seed: int = 42) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    return [(f"doc{i:03d}.png", samples.GENERATORS[i % len(samples.GENERATORS)](rng, 2024).data) for i in range(n)]


def upload(db: Database, store: LocalDocumentStore, case: str, docs: list[tuple[str, bytes]]) -> list[str]:
    ids = []
    for start in range(0, len(docs), 20):
        ids += [o.upload_id for o in upload_files(db, store, case, docs[start : start + 20])]
    return ids


# The bare loop: pipeline.batch over half of the documents in each of two processes ---------------------
def _bare_worker(args: tuple[str, str, list[str]]) -> list[float]:
    from ella_dagster.engines import OfflineEngine
    from ella_dagster.pipeline.batch import StageOutcome, process_batch

    url, root, ids = args
    db, store, engine = Database(url), LocalDocumentStore(root), OfflineEngine()
    per_doc: dict[str, float] = {}
    for event in process_batch(db, store, engine, ids):
        if isinstance(event, StageOutcome):
            per_doc[event.doc_id] = per_doc.get(event.doc_id, 0.0) + event.seconds
    return list(per_doc.values())


def bare_loop(docs: list[tuple[str, bytes]], work: Path) -> dict[str, float]:
    url, root = f"sqlite:///{work / 'bare.db'}", work / "bare_store"
    db, store = Database(url), LocalDocumentStore(root)
    db.migrate()
    ids = upload(db, store, seed_demo(db), docs)
    for marker in store.new_uploads(None, len(ids)):
        register_upload(db, store, marker)
    halves = [(url, str(root), ids[i::CORES]) for i in range(CORES)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(CORES) as pool:
        per_doc = [s for part in pool.map(_bare_worker, halves) for s in part]
    elapsed = time.perf_counter() - started
    return {
        "documents": len(ids),
        "seconds": elapsed,
        "docs_per_minute": len(ids) / elapsed * 60,
        "median_doc_seconds": statistics.median(per_doc),
        "work_seconds": sum(per_doc),
    }


# The Dagster path ---------------------------------------------------------------------------------------
def _environment(work: Path, name: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "ELLA_DATA_DIR": str(work / name / "data"),
        "DAGSTER_HOME": str(work / name / "home"),
        "ELLA_SENSOR_INTERVAL_SECONDS": "2",
        **extra,
    }
    subprocess.run([str(BIN / "ella"), "init"], env=env, check=True, cwd=PROJECT_ROOT, capture_output=True)
    return env


def _instance(env: dict[str, str]):
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    return DagsterInstance.from_ref(InstanceRef.from_dir(env["DAGSTER_HOME"]))


def _app(env: dict[str, str]) -> tuple[Database, LocalDocumentStore, str]:
    data = Path(env["ELLA_DATA_DIR"])
    db = Database(f"sqlite:///{data / 'ella.db'}")
    return db, LocalDocumentStore(data / "store"), seed_demo(db)


def dagster_path(docs: list[tuple[str, bytes]], work: Path, name: str, **extra: str) -> dict[str, float]:
    env = _environment(work, name, **extra)
    db, store, case = _app(env)
    daemon = start_daemon(env)
    try:
        time.sleep(8)  # let the daemon load the code location before the clock starts
        started = time.perf_counter()
        ids = upload(db, store, case, docs)
        instance = _instance(env)
        # Done: every document processed and every run finished (its events recorded).
        if not wait_until_processed(db, instance, ids, timeout=3600, daemon=daemon):
            raise TimeoutError(f"the {len(ids)} documents did not finish")
        elapsed = time.perf_counter() - started
    finally:
        stop(daemon)
    return {"documents": len(ids), "seconds": elapsed, "docs_per_minute": len(ids) / elapsed * 60, **runs(env)}


def runs(env: dict[str, str]) -> dict[str, float]:
    """Where a run's time goes: our stages (step_seconds of each document and stage) against the rest
    of the run process (Dagster's events, resource set-up); and how many events a document costs."""
    from dagster import AssetKey, DagsterEventType

    instance = _instance(env)
    ours: dict[str, float] = {}
    for key in STAGES:
        for record in instance.fetch_materializations(AssetKey(key), limit=10_000).records:
            seconds = float(record.asset_materialization.metadata["step_seconds"].value)
            ours[record.run_id] = ours.get(record.run_id, 0.0) + seconds
    durations, dagster_in_run, events, kinds = [], [], 0, {}
    records = [r for r in instance.get_run_records() if r.dagster_run.job_name == "process_documents"]
    for record in records:
        if record.start_time and record.end_time:
            durations.append(record.end_time - record.start_time)
            dagster_in_run.append(durations[-1] - ours.get(record.dagster_run.run_id, 0.0))
        for entry in instance.all_logs(record.dagster_run.run_id):
            events += 1
            if entry.dagster_event is not None:
                kind = entry.dagster_event.event_type_value
                kinds[kind] = kinds.get(kind, 0) + 1
    documents = max(1, sum(int(r.dagster_run.tags.get("ella/batch_size", "1")) for r in records))
    return {
        "runs": len(records),
        "median_run_seconds": statistics.median(durations),
        "in_run_seconds_total": sum(durations),
        "our_stage_seconds_total": sum(ours.values()),
        "dagster_in_run_seconds_per_document": sum(dagster_in_run) / documents,
        "events_per_document": events / documents,
        "materialisations_per_document": kinds.get(DagsterEventType.ASSET_MATERIALIZATION.value, 0) / documents,
        "check_evaluations_per_document": kinds.get(DagsterEventType.ASSET_CHECK_EVALUATION.value, 0) / documents,
        "planned_events_per_document": (
            kinds.get(DagsterEventType.ASSET_MATERIALIZATION_PLANNED.value, 0)
            + kinds.get(DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED.value, 0)
        )
        / documents,
    }


def lone_upload_latency(work: Path, samples_n: int) -> dict[str, float]:
    """Seconds from `upload_files` returning to the document's terminal state, one upload at a time."""
    from sqlalchemy import select

    from ella_dagster.db.models import RawImage

    env = _environment(work, "latency")
    db, store, case = _app(env)
    docs = make_documents(samples_n, seed=7)
    latencies = []
    daemon = start_daemon(env)
    try:
        time.sleep(8)
        instance = _instance(env)
        for doc in docs:
            [doc_id] = upload(db, store, case, [doc])
            sent = time.perf_counter()
            while True:
                with db.transaction() as s:
                    if s.scalar(select(RawImage.processed_at).where(RawImage.id == doc_id)) is not None:
                        break
                if time.perf_counter() - sent > 120:
                    raise TimeoutError("a lone upload did not finish in 120 s")
                time.sleep(0.2)
            latencies.append(time.perf_counter() - sent)
            wait_until_processed(db, instance, [doc_id], timeout=120, daemon=daemon)  # idle again
            time.sleep(1)
    finally:
        stop(daemon)
    ordered = sorted(latencies)
    return {
        "samples": len(latencies),
        "p50_seconds": statistics.median(latencies),
        "p95_seconds": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max_seconds": ordered[-1],
    }


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200, help="one-page documents for the batch path (default 200)")
    parser.add_argument("--single-n", type=int, default=40, help="documents for one document per run (default 40)")
    parser.add_argument("--latency-samples", type=int, default=12)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        console.print(f"{args.n} one-page documents, {os.cpu_count()} cores, 2 concurrent runs (dagster.yaml)")
        docs = make_documents(args.n)
        results["bare"] = bare_loop(docs, work)
        results["batches"] = dagster_path(docs, work, "batches")
        if args.single_n:
            single = docs[: args.single_n]
            (work / "single_bare").mkdir()
            results["bare_single"] = bare_loop(single, work / "single_bare")
            results["one_per_run"] = dagster_path(single, work, "one", ELLA_BATCH_SIZE="1")
        if args.latency_samples:
            results["latency"] = lone_upload_latency(work, args.latency_samples)

    table = Table(title="throughput (same engine and stages; 2 cores)")
    for column in ("path", "docs", "seconds", "docs/min", "ratio to bare", "note"):
        table.add_column(column)
    bare = results["bare"]
    table.add_row(
        "bare loop, 2 processes",
        str(bare["documents"]),
        f"{bare['seconds']:.1f}",
        f"{bare['docs_per_minute']:.1f}",
        "1.00x",
        f"median {bare['median_doc_seconds']:.2f} s a document",
    )
    batches = results["batches"]
    table.add_row(
        "Dagster: sensor + daemon + batch runs",
        str(batches["documents"]),
        f"{batches['seconds']:.1f}",
        f"{batches['docs_per_minute']:.1f}",
        f"{batches['docs_per_minute'] / bare['docs_per_minute']:.2f}x",
        f"{batches['runs']} runs, median {batches['median_run_seconds']:.1f} s",
    )
    if "one_per_run" in results:
        one, bare_single = results["one_per_run"], results["bare_single"]
        table.add_row(
            "bare loop, 2 processes (small set)",
            str(bare_single["documents"]),
            f"{bare_single['seconds']:.1f}",
            f"{bare_single['docs_per_minute']:.1f}",
            "1.00x",
            "",
        )
        table.add_row(
            "Dagster: one document per run (before)",
            str(one["documents"]),
            f"{one['seconds']:.1f}",
            f"{one['docs_per_minute']:.1f}",
            f"{one['docs_per_minute'] / bare_single['docs_per_minute']:.2f}x",
            f"{one['runs']} runs, median {one['median_run_seconds']:.1f} s",
        )
    console.print(table)
    console.print(
        f"batch runs: {batches['events_per_document']:.1f} Dagster events per document "
        f"({batches['materialisations_per_document']:.0f} materialisations, "
        f"{batches['check_evaluations_per_document']:.0f} check evaluations, "
        f"{batches['planned_events_per_document']:.0f} planned events); Dagster's own time inside runs "
        f"{batches['dagster_in_run_seconds_per_document']:.2f} s per document; our stages "
        f"{batches['our_stage_seconds_total']:.0f} s of {batches['in_run_seconds_total']:.0f} s in runs"
    )
    if "latency" in results:
        lat = results["latency"]
        console.print(
            f"lone upload on an idle system: p50 {lat['p50_seconds']:.1f} s, p95 {lat['p95_seconds']:.1f} s, "
            f"max {lat['max_seconds']:.1f} s over {lat['samples']} uploads"
        )
    console.print(f"documents/hour on the batch path: {batches['docs_per_minute'] * 60:.0f}")
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "throughput.json").write_text(json.dumps({"n": args.n, **results}, indent=2))


if __name__ == "__main__":
    main()
