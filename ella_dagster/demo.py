"""`make demo`: a demo case, a mixed batch of uploads, and the real Dagster daemon (sensor + queued
runs) processing it until every document is done; then a table of what happened."""

from __future__ import annotations

import subprocess
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import or_, select

from ella_dagster import samples
from ella_dagster.config import Settings
from ella_dagster.corpus import real_documents
from ella_dagster.daemon import start_daemon, stop, wait_until_processed
from ella_dagster.db.models import Extraction, RawImage
from ella_dagster.db.session import Database
from ella_dagster.domain.uploads import UploadRejected, validate_upload
from ella_dagster.instance import dagster_home
from ella_dagster.pipeline.intake import DEMO_CASE_ID, seed_demo, upload_files
from ella_dagster.resources import resources_from_settings, store_resource

console = Console(width=None if sys.stdout.isatty() else 150)
REAL_FOLDERS = ["W2", "FORM_1099_INT", "FORM_1099_NEC", "SSN_CARD", "DRIVER_LICENSE", "OTHER"]


def demo_files(include_real: bool = True) -> list[tuple[str, bytes]]:
    files = [(s.filename, s.data) for s in samples.demo_batch()]
    if include_real:
        seen: set[str] = set()
        for folder, path in real_documents(REAL_FOLDERS):
            if folder in seen:
                continue
            try:
                validate_upload(path.name, path.read_bytes())
            except UploadRejected:
                continue
            seen.add(folder)
            files.append((f"real_{path.name}", path.read_bytes()))
    return files


def wait_for(db: Database, ids: list[str], timeout: float, daemon: subprocess.Popen[bytes]) -> bool:
    """Until every document is processed in the database and no run is still finishing."""
    from dagster import DagsterInstance

    with Progress(
        TextColumn("processing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("documents", total=len(ids))
        finished = wait_until_processed(
            db, DagsterInstance.get(), ids, timeout, daemon, lambda done: progress.update(task, completed=done)
        )
    if not finished and daemon.poll() is not None:
        console.print("[red]the Dagster daemon exited early; see its log[/red]")
    return finished


def print_table(db: Database, ids: list[str]) -> None:
    table = Table(title="ella_dagster demo: one row per upload and per document split out of one")
    for column in ("file", "status", "doc type", "confidence", "route", "new key", "fields", "error"):
        table.add_column(column, overflow="fold")
    with db.transaction() as s:
        family = or_(RawImage.id.in_(ids), RawImage.parent_id.in_(ids))  # a split upload's documents too
        for raw in s.scalars(select(RawImage).where(family).order_by(RawImage.id)):
            extraction = s.get(Extraction, raw.id)
            pages = f" (pages {raw.page_start}-{raw.page_end})" if raw.parent_id else ""
            table.add_row(
                raw.original_filename + pages,
                raw.status,
                raw.classified_type or "-",
                f"{raw.ai_confidence:.2f}" if raw.ai_confidence is not None else "-",
                raw.route or "-",
                raw.storage_key.split("/", 2)[-1] if raw.storage_key != raw.original_key else "(kept)",
                str(len(extraction.data)) if extraction else "-",
                raw.error_message or "",
            )
    console.print(table)


def refresh_metrics(settings: Settings) -> None:
    """Today's confidence_metrics partition, materialised on the demo's instance so the UI shows it too."""
    import datetime as dt

    from dagster import DagsterInstance, materialize

    from ella_dagster.assets import build_metrics_asset
    from ella_dagster.cli import print_metrics

    today = dt.date.today()
    with DagsterInstance.get() as instance:
        result = materialize(
            [build_metrics_asset(settings)],
            partition_key=today.isoformat(),
            instance=instance,
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
            # The asset's own resources as the code location builds them (db; engine for its version).
            resources={k: v for k, v in resources_from_settings(settings).items() if k in ("db", "engine")},
            raise_on_error=False,
        )
    checks = {c.check_name: "passed" if c.passed else "FAILED" for c in result.get_asset_check_evaluations()}
    print_metrics(Database(settings.database_url), today)
    console.print(f"confidence_metrics {today}: " + ", ".join(f"{k} {v}" for k, v in checks.items()))


def run_demo(settings: Settings, include_real: bool = True, timeout: float = 900.0) -> int:
    home = dagster_home(settings)
    db = Database(settings.database_url)
    db.migrate()
    store = store_resource(settings).get_store()
    case_id = seed_demo(db)
    files = demo_files(include_real)
    ids = []
    for start in range(0, len(files), 20):
        for outcome in upload_files(db, store, case_id, files[start : start + 20]):
            if outcome.rejected:
                console.print(f"rejected {outcome.filename}: {outcome.rejected}")
            else:
                ids.append(outcome.upload_id)
    console.print(
        f"uploaded {len(ids)} documents to case {DEMO_CASE_ID}; starting the Dagster daemon (DAGSTER_HOME={home})"
    )
    daemon = start_daemon(log_path=settings.data_dir / "logs" / "dagster-daemon.log")
    try:
        finished = wait_for(db, [i for i in ids if i], timeout, daemon)
    finally:
        stop(daemon)
    print_table(db, [i for i in ids if i])
    refresh_metrics(settings)
    console.print(f"Open the Dagster UI on these runs: DAGSTER_HOME={home} make ui  ->  http://127.0.0.1:3000")
    if not finished:
        console.print("[red]not every document finished in time[/red]")
        return 1
    return 0
