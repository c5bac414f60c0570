"""`ella`: the command line for staff and engineers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from ella_dagster.config import Settings
from ella_dagster.db.session import Database
from ella_dagster.domain.uploads import UploadRejected

console = Console(width=None if sys.stdout.isatty() else 150)


def _database() -> Database:
    db = Database(Settings.from_env().database_url)
    db.migrate()
    return db


def cmd_init(_: argparse.Namespace) -> int:
    from ella_dagster.instance import dagster_home

    _database()
    console.print(f"database migrated; DAGSTER_HOME={dagster_home(Settings.from_env())}")
    return 0


def cmd_seed_demo(_: argparse.Namespace) -> int:
    from ella_dagster.pipeline.intake import seed_demo

    console.print(f"demo case {seed_demo(_database())} ready")
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    from ella_dagster.pipeline.intake import upload_files
    from ella_dagster.resources import resources_from_settings

    store = resources_from_settings(Settings.from_env())["store"].get_store()  # type: ignore[attr-defined]
    files = [(Path(p).name, Path(p).read_bytes()) for p in args.files]
    try:
        outcomes = upload_files(_database(), store, args.case, files)
    except UploadRejected as exc:
        console.print(f"[red]rejected: {exc}[/red]")
        return 2
    for outcome in outcomes:
        if outcome.rejected:
            console.print(f"[red]rejected[/red] {outcome.filename}: {outcome.rejected}")
        else:
            console.print(f"stored {outcome.filename} as document {outcome.upload_id}")
    return 1 if any(o.rejected for o in outcomes) else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ella_dagster.demo import run_demo

    return run_demo(include_real=not args.no_real, timeout=args.timeout)


def _launch(args: argparse.Namespace, ids: list[str], steps: list[str], title: str) -> int:
    """Launches one backfill for `ids`, prints its id and link, and follows it unless --no-wait."""
    import datetime as dt

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ella_dagster.backfills import BackfillError, DagsterWebserver, finished_since
    from ella_dagster.db.models import utcnow

    if not ids:
        console.print("no documents match")
        return 0
    console.print(f"{len(ids)} documents: {', '.join(ids[:10])}{' ...' if len(ids) > 10 else ''}")
    if args.dry_run:
        return 0
    server, db, launched_at = DagsterWebserver(args.url), _database(), utcnow() - dt.timedelta(seconds=1)
    try:
        backfill_id = server.launch_backfill(ids, steps, title)
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
    return 0 if status in ("COMPLETED", "COMPLETED_SUCCESS") else 1


def _backfill_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--case", help="only this case")
    parser.add_argument("--uploaded-from", type=_date, help="uploaded on or after (YYYY-MM-DD)")
    parser.add_argument("--uploaded-to", type=_date, help="uploaded on or before (YYYY-MM-DD)")
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="Dagster webserver (default %(default)s)")
    parser.add_argument("--no-wait", action="store_true", help="launch and return")
    parser.add_argument("--dry-run", action="store_true", help="list the documents, launch nothing")
    parser.add_argument("--timeout", type=float, default=3600.0)


def _date(text: str):  # noqa: ANN202 - argparse type
    import datetime as dt

    return dt.date.fromisoformat(text)


def cmd_rerun_failed(args: argparse.Namespace) -> int:
    from ella_dagster.backfills import ALL_STEPS, Criteria, select_documents

    criteria = Criteria(
        case_id=args.case, uploaded_from=args.uploaded_from, uploaded_to=args.uploaded_to, statuses=["FAILED"]
    )
    return _launch(args, select_documents(_database(), criteria), ALL_STEPS, "ella rerun-failed")


def cmd_reclassify(args: argparse.Namespace) -> int:
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
    return _launch(args, select_documents(_database(), criteria), FROM_CLASSIFICATION, "ella reclassify")


def print_metrics(db: Database, day) -> None:  # noqa: ANN001 - a date
    from rich.table import Table

    from ella_dagster import metrics

    rows = metrics.compute_day(db, day)
    summary = metrics.summarise(db, day)
    table = Table(title=f"confidence metrics {day}")
    for column in (
        "doc type",
        "engine",
        "documents",
        "mean",
        "p10",
        "p50",
        "p90",
        "auto-linked",
        "review",
        "unclassified",
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.doc_type,
            r.engine,
            str(r.documents),
            f"{r.mean_confidence:.2f}",
            f"{r.p10:.2f}",
            f"{r.p50:.2f}",
            f"{r.p90:.2f}",
            f"{r.auto_linked_share:.0%}",
            f"{r.needs_review_share:.0%}",
            f"{r.unclassified_share:.0%}",
        )
    console.print(table)
    console.print(
        f"{summary.documents} documents, mean confidence {summary.mean_confidence:.2f}, auto-link rate "
        f"{summary.auto_link_rate:.0%}, review rate {summary.review_rate:.0%}, unclassified "
        f"{summary.unclassified_rate:.0%}"
    )


def cmd_metrics(args: argparse.Namespace) -> int:
    import datetime as dt

    print_metrics(_database(), args.day or dt.date.today())
    return 0


def cmd_health(_: argparse.Namespace) -> int:
    """Engine configuration and reachability, database and store, as JSON."""
    import json

    from sqlalchemy import text

    from ella_dagster.engines.ocr import tesseract_version
    from ella_dagster.resources import resources_from_settings

    settings = Settings.from_env()
    report: dict[str, object] = {"engine": settings.engine, "tesseract": tesseract_version()}
    if settings.engine == "gemini":
        from ella_dagster.engines.gemini import GeminiSettings, health

        report["gemini"] = health(GeminiSettings.from_env())
    try:
        with _database().transaction() as s:
            s.execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported
        report["database"] = f"error: {type(exc).__name__}"
    try:
        store = resources_from_settings(settings)["store"].get_store()  # type: ignore[attr-defined]
        store.exists("_health")
        report["store"] = f"ok ({settings.store})"
    except Exception as exc:  # noqa: BLE001 - reported
        report["store"] = f"error: {type(exc).__name__}"
    engine_ok = report["tesseract"] != "missing" if settings.engine == "offline" else report["gemini"]["available"]
    report["healthy"] = bool(engine_ok) and report["database"] == "ok" and str(report["store"]).startswith("ok")
    console.print_json(json.dumps(report))
    return 0 if report["healthy"] else 1


def cmd_classify(args: argparse.Namespace) -> int:
    """Runs the configured engine on files, without the database or Dagster."""
    import json
    import time

    from ella_dagster.domain.doc_types import category_of
    from ella_dagster.domain.errors import DocumentError
    from ella_dagster.domain.extraction import merge_pages
    from ella_dagster.domain.field_confidence import field_confidences
    from ella_dagster.domain.pii import mask_fields
    from ella_dagster.domain.uploads import claimed_mime, sniff_mime
    from ella_dagster.engines import engine_for

    settings = Settings.from_env()
    engine = engine_for(settings.engine, settings.engine_revision)
    failures = 0
    for path in map(Path, args.paths):
        data = path.read_bytes()
        mime = sniff_mime(data) or claimed_mime(path.name) or "application/octet-stream"
        started = time.perf_counter()
        try:
            result = engine.classify(data, mime)
            classified = time.perf_counter()
            extraction = engine.extract(data, mime, result.doc_type) if engine.can_extract(result.doc_type) else None
        except DocumentError as exc:
            failures += 1
            if args.json:
                print(json.dumps({"path": str(path), "error": str(exc)}))
            else:
                console.print(f"[red]{path}: {exc}[/red]")
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
            "field_confidence": field_confidences(result.doc_type, fields),
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ella", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="migrate the database and initialise DAGSTER_HOME").set_defaults(func=cmd_init)
    sub.add_parser("seed-demo", help="create the demo client, case and checklist").set_defaults(func=cmd_seed_demo)
    upload = sub.add_parser("upload", help="upload documents to a case, as the client portal does")
    upload.add_argument("--case", required=True)
    upload.add_argument("files", nargs="+")
    upload.set_defaults(func=cmd_upload)
    demo = sub.add_parser("demo", help="seed, upload a mixed batch and process it with the Dagster daemon")
    demo.add_argument("--no-real", action="store_true", help="leave out ../shared/corpus/real")
    demo.add_argument("--timeout", type=float, default=900.0)
    demo.set_defaults(func=cmd_demo)
    rerun = sub.add_parser("rerun-failed", help="backfill every FAILED document (optionally by case/date)")
    _backfill_options(rerun)
    rerun.set_defaults(func=cmd_rerun_failed)
    reclassify = sub.add_parser("reclassify", help="backfill classification and everything downstream")
    reclassify.add_argument("--doc-type", action="append", help="current doc type (repeatable)")
    reclassify.add_argument("--min-confidence", type=float)
    reclassify.add_argument("--max-confidence", type=float, help="exclusive")
    reclassify.add_argument("--route", choices=["auto-linked", "needs-review", "unclassified"])
    reclassify.add_argument("--engine-version", help="classified by exactly this engine version")
    _backfill_options(reclassify)
    reclassify.set_defaults(func=cmd_reclassify)
    metrics = sub.add_parser("metrics", help="confidence metrics of a day (default today), as analysts see them")
    metrics.add_argument("--day", type=_date)
    metrics.set_defaults(func=cmd_metrics)
    classify = sub.add_parser("classify", help="run the configured engine on files (no database, no Dagster)")
    classify.add_argument("paths", nargs="+")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument("--show-pii", action="store_true", help="print identifiers unmasked")
    classify.set_defaults(func=cmd_classify)
    sub.add_parser("health", help="engine configuration and reachability, database, store").set_defaults(
        func=cmd_health
    )
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
