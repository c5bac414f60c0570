"""`ella`: the command line for staff and engineers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from ella_dagster.config import Settings
from ella_dagster.db.session import Database
from ella_dagster.domain.uploads import UploadRejected

console = Console()


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
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
