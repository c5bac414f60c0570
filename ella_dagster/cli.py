"""`ella`: the command line for staff and engineers."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ella_dagster.config import Settings, SettingsError
from ella_dagster.db.session import Database
from ella_dagster.domain.uploads import MAX_BATCH, MAX_IMAGE_BYTES, MAX_PDF_BYTES, UploadRejected

console = Console(width=None if sys.stdout.isatty() else 150)
errors = Console(stderr=True, soft_wrap=True, highlight=False)
MAX_INPUT_BYTES = max(MAX_IMAGE_BYTES, MAX_PDF_BYTES)  # the largest file any upload rule accepts


class InputRejected(Exception):
    """A file named on the command line that cannot be used; the message is the one-line reason."""


def error_line(message: str, command: str | None = None) -> None:
    """One line on stderr: `ella[ command]: message`, never interpreted as markup."""
    errors.print(escape(f"ella{f' {command}' if command else ''}: {message}"), style="red")


def read_input(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a file named on the command line, or InputRejected: missing, a directory, a device
    or pipe, unreadable, empty, or larger than `limit` (checked before reading, so a huge file or
    /dev/zero is never read into memory)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputRejected("no such file") from None
    except OSError as exc:
        raise InputRejected(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputRejected("is a directory; name the files in it")
    if not stat.S_ISREG(info.st_mode):
        raise InputRejected("not a regular file")
    if info.st_size > limit:
        raise InputRejected(f"larger than {limit // (1024 * 1024)} MB; not read")
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputRejected(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    if len(data) > limit:
        raise InputRejected(f"larger than {limit // (1024 * 1024)} MB; not read")
    if not data:
        raise InputRejected("empty file")
    return data


def _database(settings: Settings) -> Database:
    db = Database(settings.database_url)
    db.migrate()
    return db


def cmd_init(_: argparse.Namespace, settings: Settings) -> int:
    """Migrates the database, writes and migrates DAGSTER_HOME (see instance.py) and, on S3, makes
    sure the bucket exists (created when missing)."""
    from ella_dagster.instance import InstanceConfigError, InstanceSettings, dagster_home, written_by_ella

    _database(settings)
    if settings.store == "s3" and _ensure_bucket(settings) is None:
        return 1
    try:
        home = dagster_home(settings, notify=_notifier("init"))
    except InstanceConfigError as exc:
        error_line(str(exc), "init")
        return 1
    console.print(f"database migrated; DAGSTER_HOME={home}")
    if written_by_ella((home / "dagster.yaml").read_text()):  # a hand-made file says what the instance is
        console.print(escape(InstanceSettings.of(settings).describe()), soft_wrap=True)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """A Celery run worker on this machine: the instance set up as `ella init` would (same code, same
    dagster.yaml), then the instance's Celery app until SIGTERM/SIGINT."""
    from ella_dagster.celery_worker import NoCeleryLauncher, run_worker
    from ella_dagster.instance import InstanceConfigError, dagster_home

    if args.concurrency < 1:
        error_line("--concurrency must be at least 1", "worker")
        return 2
    try:
        dagster_home(settings, notify=_notifier("worker"))
        return run_worker(args.concurrency, name=args.name, loglevel=args.loglevel, settings=settings)
    except (NoCeleryLauncher, InstanceConfigError) as exc:
        error_line(str(exc), "worker")
        return 2


def _notifier(command: str):
    """What setting up the instance reports: notes on stdout, warnings as one line on stderr."""

    def notify(line: str) -> None:
        if line.startswith("warning: "):
            error_line(line, command)
        else:
            console.print(escape(line), soft_wrap=True)

    return notify


def _ensure_bucket(settings: Settings) -> bool | None:
    """The S3 store's bucket, created when missing: True when created, False when it was there, None
    (with one line on stderr) when it is missing and cannot be created."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ella_dagster.resources import store_resource

    def code(exc: Exception) -> str:
        return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__

    store = store_resource(settings).get_store()
    try:
        if store.bucket_exists():
            return False
    except (ClientError, BotoCoreError) as exc:
        error_line(f"bucket {settings.s3_bucket} cannot be checked ({code(exc)}): check the AWS_* credentials", "init")
        return None
    try:
        store.create_bucket()
    except (ClientError, BotoCoreError) as exc:
        error_line(
            f"bucket {settings.s3_bucket} does not exist and could not be created ({code(exc)}): create it with "
            "the storage provider (or give these credentials s3:CreateBucket) and run `ella init` again",
            "init",
        )
        return None
    console.print(f"created bucket {settings.s3_bucket}")
    return True


def cmd_seed_demo(_: argparse.Namespace, settings: Settings) -> int:
    from ella_dagster.pipeline.intake import seed_demo

    console.print(f"demo case {seed_demo(_database(settings))} ready")
    return 0


def cmd_upload(args: argparse.Namespace, settings: Settings) -> int:
    """Every bad argument is one line; the good files of a batch are stored all the same. Exit code 0
    when every file was stored, 1 when some file was rejected, 2 when the whole batch was (bad or
    unknown case, too many files, no file to send)."""
    from ella_dagster.domain.uploads import check_batch_size
    from ella_dagster.pipeline.intake import upload_files
    from ella_dagster.resources import store_resource

    if not args.files:
        error_line("no files given: ella upload --case CASE FILE...", "upload")
        return 2
    store = store_resource(settings).get_store()
    db = _database(settings)
    try:
        check_batch_size(len(args.files))  # before reading anything: at most 20 files of at most 20 MB
        upload_files(db, store, args.case, [])  # the case id is valid and the case exists
    except UploadRejected as exc:
        error_line(f"rejected: {exc}", "upload")
        return 2
    files: list[tuple[str, bytes]] = []
    refused: dict[int, str] = {}  # argument position -> why it was not read
    for position, name in enumerate(args.files):
        try:
            files.append((Path(name).name, read_input(Path(name))))
        except InputRejected as exc:
            refused[position] = str(exc)
    try:
        outcomes = iter(upload_files(db, store, args.case, files) if files else [])
    except UploadRejected as exc:  # the store refused the batch (a missing bucket): nothing was stored
        error_line(f"rejected: {exc}", "upload")
        return 2
    rejected = bool(refused)
    for position, name in enumerate(args.files):  # one line per file, in the order given
        if position in refused:
            console.print(f"[red]rejected[/red] {escape(name)}: {escape(refused[position])}", soft_wrap=True)
            continue
        outcome = next(outcomes)
        if outcome.rejected:
            rejected = True
            console.print(f"[red]rejected[/red] {escape(name)}: {escape(outcome.rejected)}", soft_wrap=True)
        else:
            console.print(f"stored {escape(name)} as document {outcome.upload_id}", soft_wrap=True)
    if not files:
        error_line("rejected: no readable file, nothing uploaded", "upload")
        return 2
    return 1 if rejected else 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from ella_dagster.demo import run_demo

    return run_demo(settings, include_real=not args.no_real, timeout=args.timeout)


def _restore_archived(settings: Settings, ids: list[str]) -> None:
    """Documents of an archived season get their partition keys back before a backfill names them."""
    from dagster import DagsterInstance

    from ella_dagster.archive import restore_partitions
    from ella_dagster.instance import dagster_home

    dagster_home(settings)
    with DagsterInstance.get() as instance:
        restore_partitions(instance, ids)


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    """One document's story: row, classification history, actions, extraction, stages and runs."""
    import json

    from dagster import DagsterInstance
    from rich.table import Table

    from ella_dagster.instance import dagster_home
    from ella_dagster.story import add_dagster, from_database

    story = from_database(_database(settings), args.document)
    if story is None:
        error_line(f"no document {args.document!r}", "show")
        return 2
    dagster_home(settings)
    with DagsterInstance.get() as instance:
        add_dagster(story, instance, args.url)
    if args.json:
        print(json.dumps(story.__dict__, default=str, ensure_ascii=False))
        return 0

    def section(title: str, rows: list[dict]) -> None:
        if not rows:
            console.print(f"{title}: none")
            return
        table = Table(title=title, title_justify="left")
        for column in rows[0]:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(
                *(escape("-" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)) for v in row.values())
            )
        console.print(table)

    section("document", [{"field": k, "value": v} for k, v in story.document.items()])
    section("classification history", story.history)
    section("staff actions", story.actions)
    if story.extraction:
        fields = ", ".join(story.extraction["fields"])
        console.print(
            f"extraction: {story.extraction['type']} {story.extraction['status']} "
            f"{story.extraction['confidence']:.2f} (schema {story.extraction['schema']}); fields: {escape(fields)}"
        )
    console.print(f"digital doc: {story.digital_doc or 'none'}")
    section("stages (Dagster partition status)", [{"stage": k, "status": v} for k, v in story.stages.items()])
    section("runs", story.runs)
    return 0


def cmd_archive(args: argparse.Namespace, settings: Settings) -> int:
    """Removes a closed season's finished documents from the `documents` partitions (records stay)."""
    from dagster import DagsterInstance

    from ella_dagster.archive import archivable, archive_season
    from ella_dagster.instance import dagster_home

    db = _database(settings)
    ids = archivable(db, args.season)
    noun = "document" if len(ids) == 1 else "documents"
    if args.dry_run or not ids:
        console.print(f"season {args.season}: {len(ids)} finished {noun} would leave the partitions")
        return 0
    dagster_home(settings)
    with DagsterInstance.get() as instance:
        removed = archive_season(db, instance, args.season)
    keys = "partition key" if removed == 1 else "partition keys"
    console.print(f"season {args.season}: {removed} {keys} removed; every record stays in the database")
    return 0


def _launch(args: argparse.Namespace, settings: Settings, ids: list[str], steps: list[str], title: str) -> int:
    """Launches one backfill for `ids`, prints its id and link, and follows it unless --no-wait."""
    import datetime as dt

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ella_dagster.backfills import BackfillError, DagsterWebserver, finished_since
    from ella_dagster.db.models import utcnow

    if not ids:
        console.print("no documents match")
        return 0
    console.print(f"{_count(len(ids), 'document')} selected")
    if args.dry_run:
        _print_documents(_database(settings), ids, limit=args.limit)
        return 0
    server, db, launched_at = DagsterWebserver(args.url), _database(settings), utcnow() - dt.timedelta(seconds=1)
    _restore_archived(settings, ids)
    try:
        backfill_id = server.launch_backfill(ids, steps, title, tags={"ella/command": args.command})
    except BackfillError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    console.print(f"backfill {backfill_id} launched: {server.backfill_link(backfill_id)}")
    if args.no_wait:
        return 0
    with Progress(
        TextColumn("backfill"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("documents", total=len(ids))
        status = server.wait(
            backfill_id,
            lambda: finished_since(db, ids, launched_at),
            lambda done: progress.update(task, completed=done),
            timeout=args.timeout,
        )
    console.print(f"backfill {backfill_id} {status}")
    _print_documents(db, ids, limit=args.limit, outcome=True)
    return 0 if status in ("COMPLETED", "COMPLETED_SUCCESS") else 1


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _print_documents(db: Database, ids: list[str], *, limit: int, outcome: bool = False) -> None:
    """A table of the documents (file masked), their state and, after a run, each one's reason."""
    from rich.table import Table

    from ella_dagster.backfills import describe

    rows = describe(db, ids)
    table = Table(title="documents" + ("" if len(rows) <= limit else f" (first {limit} of {len(rows)})"))
    columns = ["document", "file", "case", "type", "confidence", "route", "status", "uploaded"]
    for column in [*columns, *(["reason"] if outcome else [])]:
        table.add_column(column, overflow="fold")
    for row in rows[:limit]:
        cells = [
            row.doc_id,
            row.filename,
            row.case_id,
            row.doc_type or "-",
            f"{row.confidence:.2f}" if row.confidence is not None else "-",
            row.route or "-",
            row.status,
            f"{row.uploaded_at:%Y-%m-%d %H:%M}",
        ]
        table.add_row(*(escape(c) for c in cells), *([escape(row.error or "")] if outcome else []))
    console.print(table)


def _backfill_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--case", help="only this case")
    parser.add_argument("--uploaded-from", type=_date, help="uploaded on or after (YYYY-MM-DD, today, yesterday)")
    parser.add_argument("--uploaded-to", type=_date, help="uploaded on or before (YYYY-MM-DD, today, yesterday)")
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="Dagster webserver (default %(default)s)")
    parser.add_argument("--no-wait", action="store_true", help="launch and return")
    parser.add_argument("--dry-run", action="store_true", help="list the documents, launch nothing")
    parser.add_argument("--limit", type=int, default=20, help="documents shown in a listing (default %(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds to follow the backfill (default %(default)s)"
    )


def _date(text: str):
    import datetime as dt

    relative = {"today": 0, "yesterday": 1}
    if text.strip().lower() in relative:
        return dt.date.today() - dt.timedelta(days=relative[text.strip().lower()])
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date as YYYY-MM-DD, today or yesterday, got {text[:40]!r}"
        ) from None


def _doc_type(text: str) -> str:  # argparse type
    from ella_dagster.domain.doc_types import parse_doc_type

    try:
        return parse_doc_type(text).value
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_rerun_failed(args: argparse.Namespace, settings: Settings) -> int:
    from ella_dagster.backfills import ALL_STEPS, Criteria, select_documents

    criteria = Criteria(
        case_id=args.case, uploaded_from=args.uploaded_from, uploaded_to=args.uploaded_to, statuses=["FAILED"]
    )
    return _launch(args, settings, select_documents(_database(settings), criteria), ALL_STEPS, "ella rerun-failed")


def cmd_reclassify(args: argparse.Namespace, settings: Settings) -> int:
    from ella_dagster.backfills import FROM_CLASSIFICATION, Criteria, select_documents

    criteria = Criteria(
        doc_types=args.doc_type or [],
        min_confidence=args.min_confidence,
        max_confidence=args.max_confidence,
        route=args.route,
        case_id=args.case,
        uploaded_from=args.uploaded_from,
        uploaded_to=args.uploaded_to,
        engine_version=args.engine_version,
    )
    db = _database(settings)
    ids = select_documents(db, criteria)
    if args.stale:
        ids = _stale_only(settings, db, ids)
    return _launch(args, settings, ids, FROM_CLASSIFICATION, "ella reclassify")


def _stale_only(settings: Settings, db: Database, ids: list[str]) -> list[str]:
    """The selected documents whose stored results predate the current engine or schema versions,
    with their counts per type and stage printed."""
    from collections import Counter

    from ella_dagster.backfills import stale_documents
    from ella_dagster.engines import settings_engine

    version = settings_engine(settings).version
    stale = stale_documents(db, version, ids)
    by_type = Counter(d.doc_type or "unclassified" for d in stale)
    by_stage = Counter(stage for d in stale for stage in d.stages)
    console.print(
        escape(
            f"{_count(len(stale), 'stale document')} of {len(ids)} (current engine {version}): "
            + (", ".join(f"{t} {n}" for t, n in sorted(by_type.items())) or "none")
            + (f"; out of date: {', '.join(f'{s} {n}' for s, n in sorted(by_stage.items()))}" if by_stage else "")
        )
    )
    return [d.doc_id for d in stale]


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """A staff decision on a document's type: recorded as ground truth, then routing, naming,
    extraction and the checklist follow it (pipeline/verify.py)."""
    from ella_dagster.domain.doc_types import DocType
    from ella_dagster.engines import settings_engine
    from ella_dagster.pipeline.verify import DocumentInFlight, SplitUpload, UnknownDocument, verify_document
    from ella_dagster.resources import store_resource

    db = _database(settings)
    store = store_resource(settings).get_store()
    engine = settings_engine(settings)
    try:
        outcome = verify_document(db, store, engine, args.document, DocType(args.doc_type), staff=args.by)
    except UnknownDocument:
        error_line(f"no document {args.document!r}", "verify")
        return 2
    except DocumentInFlight:
        error_line(f"document {args.document} is being processed; verify it when its run is done", "verify")
        return 2
    except SplitUpload:
        error_line(f"upload {args.document} was split into documents: verify those (ella show it)", "verify")
        return 2
    reported = _report_verification(settings, db, outcome)
    if args.json:
        import json

        print(json.dumps({**outcome.__dict__, "reported_to_dagster": reported}, default=str))
        return 0
    was = (
        f"{outcome.previous_type} {outcome.previous_confidence:.2f} ({outcome.previous_engine})"
        if outcome.previous_type
        else "no engine answer"
    )
    recorded = "recorded" if outcome.history_row_added else "already recorded (no new history row)"
    console.print(escape(f"{outcome.doc_id}: verified as {outcome.doc_type} — {recorded}; the engine said {was}"))
    console.print(
        escape(
            f"  {_count(outcome.actions_resolved, 'action')} resolved; route {outcome.route}, status {outcome.status}; "
            f"checklist {outcome.checklist_item_id or '-'}{' (counted now)' if outcome.counted_now else ''}"
        )
    )
    console.print(escape(f"  key {outcome.key}{' (renamed)' if outcome.renamed else ''}; {outcome.extraction}"))
    if outcome.review_action_id:
        console.print(escape(f"  the extracted fields still need review (action {outcome.review_action_id})"))
    for note in outcome.notes:
        console.print(escape(f"  note: {note}"))
    return 0


METRIC_COLUMNS = (
    "day",
    "doc_type",
    "engine",
    "engine_version",
    "documents",
    "mean_confidence",
    "p10",
    "p50",
    "p90",
    "auto_linked_share",
    "needs_review_share",
    "unclassified_share",
)


def _metric_rows(db: Database, since, until) -> list[dict]:
    """The daily rows of every day from `since` to `until` (each day recomputed, as the asset does)."""
    import datetime as dt

    from ella_dagster import metrics

    rows, day = [], since
    while day <= until:
        rows += [{c: getattr(r, c) for c in METRIC_COLUMNS} for r in metrics.compute_day(db, day)]
        day += dt.timedelta(days=1)
    for row in rows:
        row["day"] = row["day"].isoformat()
    return rows


def _report_verification(settings: Settings, db: Database, outcome) -> bool:
    """The partition's stages from classification on get a materialisation reported (runless, tagged
    ella/command=verify) with what verification left, so the UI's partition page shows the staff type
    and the new route, key and status, not the last run's. False when the document has no partition
    (archived) or no Dagster instance answers."""
    from dagster import AssetMaterialization, DagsterInstance
    from dagster._core.definitions.data_version import CODE_VERSION_TAG

    from ella_dagster.assets.documents import stage_code_versions
    from ella_dagster.assets.metadata import document_identity, to_metadata
    from ella_dagster.instance import dagster_home

    code_versions = stage_code_versions(settings)

    def code_version_tags(stage: str) -> dict[str, str]:
        return {CODE_VERSION_TAG: code_versions[stage]} if code_versions.get(stage) else {}

    stages = {
        "classification": {
            "doc_type": outcome.doc_type,
            "confidence": 1.0,
            "engine": "staff",
            "verified_by_staff": True,
            "previous_type": outcome.previous_type,
            "previous_confidence": outcome.previous_confidence,
        },
        "routing": {"route": outcome.route, "status": outcome.status, "checklist_item_id": outcome.checklist_item_id},
        "renamed_key": {"key": outcome.key, "renamed": outcome.renamed},
        "ocr_extract": {"extraction": outcome.extraction},
        "digital_doc": {
            "status": outcome.status,
            "checklist_item_id": outcome.checklist_item_id,
            "review_action_id": outcome.review_action_id,
        },
    }
    identity = document_identity(db, [outcome.doc_id]).get(outcome.doc_id, {})
    try:
        dagster_home(settings)
        with DagsterInstance.get() as instance:
            if not instance.has_dynamic_partition("documents", outcome.doc_id):
                return False
            for stage, values in stages.items():
                instance.report_runless_asset_event(
                    AssetMaterialization(
                        asset_key=stage,
                        partition=outcome.doc_id,
                        metadata={**identity, **to_metadata(values)},
                        # The stage's current code version: a staff answer is not out of date.
                        tags={"ella/command": "verify", **code_version_tags(stage)},
                    )
                )
    except Exception as exc:  # noqa: BLE001 - the database holds the decision; the UI can lag
        error_line(f"warning: the UI was not told ({type(exc).__name__}); the decision is recorded", "verify")
        return False
    return True


def print_metrics(db: Database, day, until=None, output: str = "table", calibration_csv: bool = False) -> None:
    """Confidence metrics from `day` to `until` (default the same day) and the engines' calibration over
    verified documents, as a table (rich), CSV (one row per day, type and engine, or with
    `calibration_csv` one row per engine version and band) or one JSON object."""
    import csv
    import json

    from rich.table import Table

    from ella_dagster import metrics

    until = until or day
    rows = _metric_rows(db, day, until)
    result = metrics.calibration(db, day, until)
    reliability = metrics.calibration_rows(result)
    if output == "json":
        print(
            json.dumps(
                {
                    "since": day.isoformat(),
                    "until": until.isoformat(),
                    "daily": rows,
                    "calibration": {
                        "verified_documents": result.verified_documents,
                        "answers": result.predictions,
                        "accuracy": result.accuracy,
                        "ece": result.ece,
                        "reliability": reliability,
                    },
                }
            )
        )
        return
    if output == "csv":
        columns = list(reliability[0]) if calibration_csv and reliability else list(METRIC_COLUMNS)
        if calibration_csv and not reliability:
            columns = ["engine_version", "band", "answers", "mean_confidence", "accuracy", "ece"]
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(reliability if calibration_csv else rows)
        return
    span = str(day) if until == day else f"{day} to {until}"
    table = Table(title=f"confidence metrics {span}")
    headers = ["day", "doc type", "engine", "documents", "mean", "p10", "p50", "p90", "auto-linked", "review"]
    for column in [*headers, "unclassified"]:
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["day"],
            r["doc_type"],
            r["engine"],
            str(r["documents"]),
            *(f"{r[k]:.2f}" for k in ("mean_confidence", "p10", "p50", "p90")),
            *(f"{r[k]:.0%}" for k in ("auto_linked_share", "needs_review_share", "unclassified_share")),
        )
    console.print(table)
    day_summary = metrics.summarise(db, day) if until == day else None
    if day_summary is not None:
        console.print(
            f"{_count(day_summary.documents, 'document')}, mean confidence {day_summary.mean_confidence:.2f}, "
            f"auto-link rate {day_summary.auto_link_rate:.0%}, review rate {day_summary.review_rate:.0%}, "
            f"unclassified {day_summary.unclassified_rate:.0%}"
        )
    else:
        console.print(f"{_count(sum(r['documents'] for r in rows), 'document-day')} in {_count(len(rows), 'row')}")
    if not result.predictions:
        console.print(
            f"calibration: no verified documents answered in this span ({result.verified_documents} verified)"
        )
        return
    cal = Table(title="calibration over verified documents (reliability)")
    for column in ("engine version", "band", "answers", "mean confidence", "observed accuracy", "ECE"):
        cal.add_column(column)
    for r in reliability:
        cal.add_row(
            escape(str(r["engine_version"])),
            str(r["band"]),
            str(r["answers"]),
            f"{r['mean_confidence']:.2f}",
            f"{r['accuracy']:.0%}",
            "-" if r["ece"] is None else f"{r['ece']:.3f}",
        )
    console.print(cal)
    console.print(
        f"{_count(result.verified_documents, 'verified document')}, {_count(result.predictions, 'engine answer')}: "
        f"accuracy {result.accuracy:.0%}, expected calibration error {result.ece:.3f}"
    )


def cmd_metrics(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    if args.day and (args.since or args.until):
        error_line("give --day or --since/--until, not both", "metrics")
        return 2
    today = dt.date.today()
    since = args.day or args.since or args.until or today
    until = args.day or args.until or (today if args.since else since)
    if since > until:
        error_line(f"--since {since} is after --until {until}", "metrics")
        return 2
    print_metrics(_database(settings), since, until, output=args.format, calibration_csv=args.calibration)
    return 0


def cmd_health(_: argparse.Namespace, settings: Settings) -> int:
    """Engine configuration and reachability, database and store, as JSON."""
    import json

    from sqlalchemy import text

    from ella_dagster.engines.ocr import tesseract_version

    report: dict[str, object] = {"engine": settings.engine, "tesseract": tesseract_version()}
    if settings.engine == "gemini":
        from ella_dagster.engines.gemini import health

        report["gemini"] = health(settings.gemini)
    try:
        with _database(settings).transaction() as s:
            s.execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported
        report["database"] = f"error: {type(exc).__name__}"
    report["store"] = _store_health(settings)
    if settings.dagster.celery_broker_url:
        report["workers"] = _workers_health(settings)
    engine_ok = report["tesseract"] != "missing" if settings.engine == "offline" else report["gemini"]["available"]
    report["healthy"] = (
        bool(engine_ok)
        and report["database"] == "ok"
        and str(report["store"]).startswith("ok")
        and not str(report.get("workers", "")).startswith("error")
    )
    console.print_json(json.dumps(report))
    for part in ("database", "store", "workers"):  # each problem also as one line on stderr
        if str(report.get(part, "")).startswith("error: "):
            error_line(f"{part}: {str(report[part]).removeprefix('error: ')}", "health")
    return 0 if report["healthy"] else 1


def _store_health(settings: Settings) -> str:
    """ "ok (kind)" when the store is there and takes a write (a probe object under `_health/`, written
    and deleted), else "error: <one line>"."""
    import uuid

    from botocore.exceptions import BotoCoreError, ClientError

    from ella_dagster.resources import store_resource

    try:
        store = store_resource(settings).get_store()
        if settings.store == "s3" and not store.bucket_exists():
            return f"error: bucket {settings.s3_bucket} does not exist (run `ella init` to create it)"
        probe = f"_health/{uuid.uuid4().hex}"
        store.put(probe, b"ella health probe", {"purpose": "health"})
        store.delete(probe)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        where = f"bucket {settings.s3_bucket}" if settings.store == "s3" else "the store"
        return f"error: {where} cannot be written ({code}: {exc.operation_name})"
    except BotoCoreError as exc:
        return f"error: {type(exc).__name__} (endpoint {settings.s3_endpoint_url or 'AWS'})"
    except Exception as exc:  # noqa: BLE001 - reported
        return f"error: {type(exc).__name__}"
    return f"ok ({settings.store})"


def _workers_health(settings: Settings) -> str:
    """Celery workers answering on the instance's broker: "ok (N)", or an error line."""
    try:
        from ella_dagster.celery_worker import celery_app

        answers = celery_app(settings=settings).control.ping(timeout=2.0) or []
    except Exception as exc:  # noqa: BLE001 - reported
        return f"error: broker not reachable ({type(exc).__name__})"
    if not answers:
        return "error: no Celery worker answers (start one with `ella worker`)"
    return f"ok ({len(answers)})"


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    """Runs the configured engine on files, without the database or Dagster."""
    import json
    import time

    from ella_dagster.domain.doc_types import category_of
    from ella_dagster.domain.errors import DocumentError
    from ella_dagster.domain.extraction import merge_pages
    from ella_dagster.domain.field_confidence import field_confidences
    from ella_dagster.domain.pii import mask_fields
    from ella_dagster.domain.uploads import claimed_mime, sniff_mime
    from ella_dagster.engines import settings_engine

    engine = settings_engine(settings)
    failures = 0

    def report_failure(path: Path, exc: Exception) -> None:
        if args.json:
            print(json.dumps({"path": str(path), "error": str(exc)}))
        else:
            console.print(f"[red]{escape(f'{path}: {exc}')}[/red]", soft_wrap=True)

    for path in map(Path, args.paths):
        try:
            data = read_input(path)
        except InputRejected as exc:
            failures += 1
            report_failure(path, exc)
            continue
        mime = sniff_mime(data) or claimed_mime(path.name) or "application/octet-stream"
        started = time.perf_counter()
        try:
            result = engine.classify(data, mime)
            classified = time.perf_counter()
            extraction = engine.extract(data, mime, result.doc_type) if engine.can_extract(result.doc_type) else None
        except DocumentError as exc:
            failures += 1
            report_failure(path, exc)
            continue
        fields, _ = merge_pages([p.fields for p in extraction.pages]) if extraction else ({}, {})
        shown = fields if args.show_pii else mask_fields(fields)
        pages = len(extraction.pages) if extraction else _page_count(data, mime)
        record = {
            "path": str(path),
            "doc_type": result.doc_type.value,
            "confidence": result.confidence,
            "tax_year": result.tax_year,
            "source": result.source,
            "category": category_of(result.doc_type).value,
            "pages": pages,
            "fields": shown,
            "field_confidence": field_confidences(
                result.doc_type, fields, extraction.readings() if extraction else None
            ),
        }
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
            continue
        done = time.perf_counter()
        console.print(
            f"[bold]{path}[/bold]: {record['doc_type']} {result.confidence:.2f} ({record['category']}), "
            f"tax year {result.tax_year or '-'}, source {result.source or '-'}, {pages} page(s); "
            f"classify {classified - started:.2f} s, extract {done - classified:.2f} s"
        )
        for name, value in shown.items():
            console.print(f"    {name}: {value}  [dim]({record['field_confidence'].get(name, 0):.2f})[/dim]")
    return 1 if failures else 0


def _page_count(data: bytes, mime: str) -> int:
    from ella_dagster.domain.uploads import UploadRejected, pdf_page_count

    if mime != "application/pdf":
        return 1
    try:
        return pdf_page_count(data)
    except UploadRejected:
        return 0


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line (`ella upload: error: ...`), not the usage text and a second line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _debug() -> bool:
    return os.environ.get("ELLA_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def main(argv: list[str] | None = None) -> int:
    """Runs one command. An unexpected failure prints one sanitised line and exits 1; ELLA_DEBUG=1
    lets the traceback through instead."""
    from ella_dagster.domain.errors import sanitize_error

    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()  # once per command, passed down
        return args.func(args, settings)
    except SettingsError as exc:  # a setting that cannot be used: one line naming the variable
        error_line(str(exc), args.command)
        return 2
    except KeyboardInterrupt:
        error_line("interrupted", args.command)
        return 130
    except Exception as exc:
        if _debug():
            raise
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        error_line(f"failed: {sanitize_error(detail, max_length=300)} (ELLA_DEBUG=1 shows the traceback)", args.command)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ella", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="migrate the database and initialise DAGSTER_HOME").set_defaults(func=cmd_init)
    sub.add_parser("seed-demo", help="create the demo client, case and checklist").set_defaults(func=cmd_seed_demo)
    upload = sub.add_parser("upload", help="upload documents to a case, as the client portal does")
    upload.add_argument("--case", required=True, help="the case id (letters, digits, '_' or '-')")
    upload.add_argument("files", nargs="*", help=f"at most {MAX_BATCH} JPEG, PNG, GIF, WebP or PDF files")
    upload.set_defaults(func=cmd_upload)
    demo = sub.add_parser("demo", help="seed, upload a mixed batch and process it with the Dagster daemon")
    demo.add_argument("--no-real", action="store_true", help="leave out ../shared/corpus/real")
    demo.add_argument("--timeout", type=float, default=900.0)
    demo.set_defaults(func=cmd_demo)
    rerun = sub.add_parser("rerun-failed", help="backfill every FAILED document (optionally by case/date)")
    _backfill_options(rerun)
    rerun.set_defaults(func=cmd_rerun_failed)
    reclassify = sub.add_parser("reclassify", help="backfill classification and everything downstream")
    reclassify.add_argument(
        "--doc-type", action="append", type=_doc_type, help="current doc type, e.g. W-2 or 1099-INT (repeatable)"
    )
    reclassify.add_argument("--min-confidence", type=float, help="latest confidence at least this")
    reclassify.add_argument("--max-confidence", type=float, help="latest confidence below this (exclusive)")
    reclassify.add_argument(
        "--route", choices=["auto-linked", "needs-review", "unclassified"], help="documents routed this way"
    )
    reclassify.add_argument("--engine-version", help="classified by exactly this engine version")
    reclassify.add_argument(
        "--stale",
        action="store_true",
        help="only documents classified by another engine version or extracted with an older schema",
    )
    _backfill_options(reclassify)
    reclassify.set_defaults(func=cmd_reclassify)
    show = sub.add_parser("show", help="one document's whole story: states, history, actions, stages, runs")
    show.add_argument("document", help="the document id (its partition key)")
    show.add_argument("--url", default="http://127.0.0.1:3000", help="Dagster UI for run links (default %(default)s)")
    show.add_argument("--json", action="store_true", help="one JSON object")
    show.set_defaults(func=cmd_show)
    archive = sub.add_parser(
        "archive", help="remove a closed season's finished documents from Dagster's partitions (records stay)"
    )
    archive.add_argument("--season", type=int, required=True, help="the cases' tax year, e.g. 2024")
    archive.add_argument("--dry-run", action="store_true", help="count the documents, remove nothing")
    archive.set_defaults(func=cmd_archive)
    verify = sub.add_parser(
        "verify", help="staff decision on a document's type: ground truth, re-route, rename, re-extract, re-count"
    )
    verify.add_argument("document", help="the document id (its partition key)")
    verify.add_argument(
        "--doc-type", required=True, type=_doc_type, help="the type staff see on the paper, e.g. W-2 or 1099-INT"
    )
    verify.add_argument("--by", help="who verified (a staff login, kept in the history row's reasoning)")
    verify.add_argument("--json", action="store_true", help="one JSON object")
    verify.set_defaults(func=cmd_verify)
    metrics = sub.add_parser(
        "metrics", help="confidence metrics of a day or span and the engines' calibration over verified documents"
    )
    metrics.add_argument("--day", type=_date, help="one day: YYYY-MM-DD, today or yesterday (default today)")
    metrics.add_argument("--since", type=_date, help="first day of a span (YYYY-MM-DD, today, yesterday)")
    metrics.add_argument("--until", type=_date, help="last day of a span, inclusive (default today)")
    metrics.add_argument(
        "--format", choices=["table", "csv", "json"], default="table", help="output format (default %(default)s)"
    )
    metrics.add_argument(
        "--calibration", action="store_true", help="with --format csv: the reliability rows instead of the daily rows"
    )
    metrics.set_defaults(func=cmd_metrics)
    classify = sub.add_parser("classify", help="run the configured engine on files (no database, no Dagster)")
    classify.add_argument("paths", nargs="+")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument("--show-pii", action="store_true", help="print identifiers unmasked")
    classify.set_defaults(func=cmd_classify)
    sub.add_parser(
        "health", help="engine configuration and reachability, database, store (bucket, write), Celery workers"
    ).set_defaults(func=cmd_health)
    worker = sub.add_parser("worker", help="a Celery run worker (needs ELLA_CELERY_BROKER_URL and `ella init`)")
    worker.add_argument("--concurrency", "-c", type=int, default=os.cpu_count() or 1, help="runs at a time")
    worker.add_argument("--name", help="worker name (default ella-<random>), @host is added")
    worker.add_argument("--loglevel", default="INFO")
    worker.set_defaults(func=cmd_worker)
    return parser


if __name__ == "__main__":
    sys.exit(main())
