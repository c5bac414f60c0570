"""`ella classify`: the engine on files without the database, one JSON object per file with --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ella_dagster.cli import main
from ella_dagster.config import PROJECT_ROOT

pytestmark = [pytest.mark.slow]

KEYS = {"path", "doc_type", "confidence", "tax_year", "source", "category", "pages", "fields"}


def _classify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict]]:
    code = main(["classify", "--json", *args])
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_classify_prints_one_json_object_per_file(tmp_path: Path, generated, capsys, monkeypatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)  # the offline engine
    w2 = tmp_path / "w2.png"
    w2.write_bytes(generated["w2"].data)
    letter = tmp_path / "letter.png"
    letter.write_bytes(generated["unknown"].data)
    code, records = _classify(capsys, str(w2), str(letter))
    assert code == 0 and len(records) == 2
    first, second = records
    assert set(first) >= KEYS
    truth = generated["w2"].fields
    assert (first["doc_type"], first["category"], first["tax_year"], first["pages"]) == ("W2", "INCOME", 2024, 1)
    assert first["source"] == truth["employer_name"] and first["fields"]["wages"] == truth["wages"]
    # SSNs are masked unless asked for; each field carries its validators' confidence.
    assert first["fields"]["employee_ssn"] != truth["employee_ssn"]
    assert first["fields"]["employee_ssn"].endswith(truth["employee_ssn"][-4:])
    assert first["field_confidence"]["wages"] >= 0.85
    assert second["doc_type"] in ("UNKNOWN", "OTHER") and second["confidence"] < 0.6 and second["fields"] == {}


def test_show_pii_prints_the_values_as_read(tmp_path: Path, generated, capsys, monkeypatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    card = tmp_path / "card.png"
    card.write_bytes(generated["ssn_card"].data)
    _, [record] = _classify(capsys, "--show-pii", str(card))
    assert record["doc_type"] == "SSN_CARD" and record["fields"]["ssn"] == generated["ssn_card"].fields["ssn"]


def test_a_bad_file_is_reported_and_the_rest_go_on(tmp_path: Path, generated, capsys, monkeypatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    bad = tmp_path / "broken.png"
    bad.write_bytes(generated["corrupt"].data)
    good = tmp_path / "nec.png"
    good.write_bytes(generated["1099nec"].data)
    code, records = _classify(capsys, str(bad), str(good))
    assert code == 1
    assert records[0]["path"] == str(bad) and records[0]["error"]
    assert records[1]["doc_type"] == "FORM_1099_NEC"


# --- `ella` as staff run it: the console script in a fresh process, one line per bad argument ---

BIN = Path(sys.executable).parent


def _ella(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ella"), *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def ella_env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "ELLA_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "home"),
        "COLUMNS": "80",  # narrow: a long line must still be one line
    }
    env.pop("ELLA_DEBUG", None)
    env.pop("GEMINI_API_KEY", None)
    assert _ella(env, "init").returncode == 0 and _ella(env, "seed-demo").returncode == 0
    return env


def _lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in done.stdout + done.stderr
    return [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]


def _stored(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "data" / "store" / "cases" / "case_demo" / "raw").glob("*"))


def test_upload_rejects_bad_paths_in_one_line_each_and_stores_the_good_files(
    tmp_path: Path, generated, ella_env: dict[str, str]
) -> None:
    good = tmp_path / "w2.png"
    good.write_bytes(generated["w2"].data)
    folder = tmp_path / "a folder"
    folder.mkdir()
    empty = tmp_path / "empty.png"
    empty.touch()
    locked = tmp_path / "locked.png"
    locked.write_bytes(generated["1099nec"].data)
    locked.chmod(0)
    missing = tmp_path / ("very-long-directory-name-" * 4) / "missing.png"
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # reading it would block forever; a device like /dev/zero would never end
    args = [str(p) for p in (missing, good, folder, empty, locked, fifo)]
    done = _ella(ella_env, "upload", "--case", "case_demo", *args)
    lines = _lines(done)
    assert done.returncode == 1
    assert lines[0] == f"rejected {missing}: no such file"
    assert lines[1].startswith(f"stored {good} as document ")
    assert lines[2] == f"rejected {folder}: is a directory; name the files in it"
    assert lines[3] == f"rejected {empty}: empty file"
    if os.geteuid() != 0:  # root reads any file
        assert lines[4] == f"rejected {locked}: cannot read: Permission denied"
    assert lines[-1] == f"rejected {fifo}: not a regular file"
    assert len(lines) == len(args)
    stored = _stored(tmp_path)
    assert stored[0].read_bytes() == good.read_bytes()
    assert len(stored) == (2 if os.geteuid() == 0 else 1)


def test_an_unreadable_file_is_rejected_and_the_rest_stored(tmp_path: Path, generated, monkeypatch, capsys) -> None:
    """Root reads every file: the permission error is made by the file system stand-in."""
    monkeypatch.setenv("ELLA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert main(["seed-demo"]) == 0
    good, locked = tmp_path / "w2.png", tmp_path / "locked.png"
    good.write_bytes(generated["w2"].data)
    locked.write_bytes(generated["w2"].data)
    real_open = Path.open

    def deny(self: Path, *args, **kwargs):
        if self.name == "locked.png":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    capsys.readouterr()
    assert main(["upload", "--case", "case_demo", str(locked), str(good)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"rejected {locked}: cannot read: Permission denied"
    assert out[1].startswith(f"stored {good} as document ") and len(_stored(tmp_path)) == 1


def test_a_bad_case_rejects_the_batch_in_one_line(tmp_path: Path, generated, ella_env: dict[str, str]) -> None:
    good = tmp_path / "w2.png"
    good.write_bytes(generated["w2"].data)
    for case, reason in [
        ("../etc", "invalid case id '../etc': use 1 to 64 letters, digits, '_' or '-'"),
        ("case demo", "invalid case id 'case demo': use 1 to 64 letters"),
        ("no_such_case", "unknown case 'no_such_case'"),
    ]:
        done = _ella(ella_env, "upload", "--case", case, str(good))
        [line] = _lines(done)
        assert done.returncode == 2 and line.startswith(f"ella upload: rejected: {reason}"), line
    assert _stored(tmp_path) == []


def test_bad_arguments_are_one_line_each(tmp_path: Path, ella_env: dict[str, str]) -> None:
    for args, expected in [
        (["upload", "--case", "case_demo"], "ella upload: no files given"),
        (["upload", "--case", "case_demo", *["x.png"] * 21], "ella upload: rejected: 21 files in one batch"),
        (["upload", str(tmp_path / "w2.png")], "ella upload: error: the following arguments are required: --case"),
        (["metrics", "--day", "2024-02-30"], "ella metrics: error: argument --day: expected a date as YYYY-MM-DD"),
        (["rerun-failed", "--uploaded-from", "last week", "--dry-run"], "ella rerun-failed: error: argument"),
        (["reclassify", "--min-confidence", "high", "--dry-run"], "ella reclassify: error: argument --min-confidence"),
        (
            ["reclassify", "--doc-type", "W-9", "--dry-run"],
            "ella reclassify: error: argument --doc-type: unknown document",
        ),
        (["classify", str(tmp_path / "missing.png")], f"{tmp_path / 'missing.png'}: no such file"),
    ]:
        done = _ella(ella_env, *args)
        [line] = _lines(done)
        assert done.returncode != 0 and line.startswith(expected), (args, line)


def test_an_unexpected_failure_is_one_sanitised_line_unless_debugging(tmp_path: Path) -> None:
    blocker = tmp_path / "client-123-45-6789.txt"
    blocker.write_text("a file where the data directory should be")
    env = {**os.environ, "ELLA_DATA_DIR": str(blocker / "data"), "DAGSTER_HOME": str(tmp_path / "home")}
    env.pop("ELLA_DEBUG", None)
    done = _ella(env, "init")
    [line] = _lines(done)
    assert done.returncode == 1 and line.startswith("ella init: failed: NotADirectoryError: ")
    assert "6789" not in line and "ELLA_DEBUG=1" in line
    debug = _ella({**env, "ELLA_DEBUG": "1"}, "init")
    assert debug.returncode == 1 and "Traceback" in debug.stderr


# --- staff corrections and the analysts' export ---


def _processed(tmp_path: Path, monkeypatch, files: list[tuple[str, bytes]]) -> list[str]:
    """Documents uploaded and processed by the six steps (no Dagster), in the CLI's own data dir."""
    from ella_dagster.config import Settings
    from ella_dagster.db.session import Database
    from ella_dagster.engines import OfflineEngine
    from ella_dagster.pipeline import steps
    from ella_dagster.store import LocalDocumentStore
    from tests.support.pipeline import ingest

    monkeypatch.setenv("ELLA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("ELLA_ENGINE", raising=False)
    assert main(["seed-demo"]) == 0
    settings = Settings.from_env()
    db, store = Database(settings.database_url), LocalDocumentStore(settings.store_root)
    ids = ingest(db, store, "case_demo", files)
    for doc in ids:
        steps.process_document(db, store, OfflineEngine(), doc)
    db.dispose()
    return ids


@pytest.mark.slow
def test_verify_then_metrics_show_the_correction_as_calibration(tmp_path: Path, generated, monkeypatch, capsys) -> None:
    import csv
    import datetime as dt
    import io

    w2, nec = _processed(
        tmp_path, monkeypatch, [("w2.png", generated["w2"].data), ("n.png", generated["1099nec"].data)]
    )
    from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

    from ella_dagster.config import Settings
    from ella_dagster.instance import dagster_home

    dagster_home(Settings.from_env())
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("documents", [w2])  # the other one has no partition (archived, say)
    capsys.readouterr()
    main(["metrics", "--format", "json"])
    before = json.loads(capsys.readouterr().out)
    assert before["calibration"]["answers"] == 0 and {r["doc_type"] for r in before["daily"]} == {"W2", "FORM_1099_NEC"}

    # Staff say the W-2 is a 1099-NEC (the engine was right: its answer now counts as wrong) and confirm the other.
    assert main(["verify", w2, "--doc-type", "1099-nec", "--by", "tester"]) == 0
    out = capsys.readouterr().out
    assert f"{w2}: verified as FORM_1099_NEC — recorded; the engine said W2 " in out
    assert "checklist chk_case_demo_form_1099_nec (counted now)" in out
    # The UI is told: the partition's stages show the staff type and the new route (runless materialisations).
    with DagsterInstance.get() as instance:
        [record] = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey("routing"), asset_partitions=[w2]), limit=1
        ).records
        materialization = record.asset_materialization
        assert materialization.metadata["route"].value == "auto-linked"
        assert (
            materialization.metadata["case"].value == "case_demo" and materialization.tags["ella/command"] == "verify"
        )
        [record] = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey("classification"), asset_partitions=[w2]), limit=1
        ).records
        assert record.asset_materialization.metadata["doc_type"].value == "FORM_1099_NEC"
    assert main(["verify", nec, "--doc-type", "1099-NEC", "--json"]) == 0
    confirmed = json.loads(capsys.readouterr().out)
    assert confirmed["history_row_added"] and confirmed["previous_type"] == "FORM_1099_NEC"
    assert confirmed["reported_to_dagster"] is False
    assert main(["verify", nec, "--doc-type", "1099-NEC", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert not again["history_row_added"] and not again["counted_now"]

    today = dt.date.today().isoformat()
    assert main(["metrics", "--since", "yesterday", "--until", "today", "--format", "json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["since"] < after["until"] == today
    calibration = after["calibration"]
    assert (calibration["verified_documents"], calibration["answers"], calibration["accuracy"]) == (2, 2, 0.5)
    # Staff rows are labels, not engine confidences: the daily rows still describe the engine only.
    assert {r["engine"] for r in after["daily"]} == {"offline-tesseract"}

    assert main(["metrics", "--format", "csv", "--calibration"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    overall = [r for r in rows if r["band"] == "all"]
    assert len(overall) == 1 and overall[0]["answers"] == "2" and float(overall[0]["accuracy"]) == 0.5
    assert main(["metrics", "--format", "csv"]) == 0
    daily = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sum(int(r["documents"]) for r in daily) == 2 and daily[0]["day"] == today
    assert main(["metrics"]) == 0
    table = capsys.readouterr().out
    assert "calibration over verified documents" in table and "expected calibration error" in table

    assert main(["verify", "upl_missing", "--doc-type", "W-2"]) == 2
    assert "ella verify: no document 'upl_missing'" in capsys.readouterr().err


@pytest.mark.slow
def test_reclassify_stale_selects_what_predates_the_current_versions(
    tmp_path: Path, generated, monkeypatch, capsys
) -> None:
    from sqlalchemy import update

    from ella_dagster.config import Settings
    from ella_dagster.db.models import Extraction
    from ella_dagster.db.session import Database

    w2, nec, interest = _processed(
        tmp_path,
        monkeypatch,
        [("w2.png", generated["w2"].data), ("n.png", generated["1099nec"].data), ("i.png", generated["1099int"].data)],
    )
    capsys.readouterr()
    assert main(["reclassify", "--stale", "--dry-run"]) == 0
    assert "0 stale documents of 3" in capsys.readouterr().out

    # An engine revision makes every engine answer out of date; a staff decision never is.
    monkeypatch.setenv("ELLA_ENGINE_REVISION", "r2")
    assert main(["verify", nec, "--doc-type", "1099-NEC"]) == 0
    capsys.readouterr()
    assert main(["reclassify", "--stale", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 stale documents of 3" in out and "FORM_1099_INT 1, W2 1; out of date: classification 2" in out
    assert w2 in out and interest in out and nec not in out.split("documents selected")[-1]

    # An extraction made with an older schema than its type's current one.
    monkeypatch.delenv("ELLA_ENGINE_REVISION")
    db = Database(Settings.from_env().database_url)
    with db.transaction() as s:
        s.execute(update(Extraction).where(Extraction.raw_image_id == interest).values(schema_version="0.1"))
    db.dispose()
    assert main(["reclassify", "--stale", "--dry-run", "--doc-type", "1099-INT"]) == 0
    out = capsys.readouterr().out
    assert "1 stale document of 1" in out and "FORM_1099_INT 1; out of date: ocr_extract 1" in out

    # A threshold change: the documents it would route differently are routing-stale, not
    # classification-stale (their engine answers are current).
    from ella_dagster.domain import routing

    monkeypatch.setattr(routing, "AUTO_LINK_THRESHOLD", 0.999)
    assert main(["reclassify", "--stale", "--dry-run", "--doc-type", "W-2"]) == 0
    out = capsys.readouterr().out
    assert "1 stale document of 1" in out and "W2 1; out of date: routing 1" in out and "classification" not in out
