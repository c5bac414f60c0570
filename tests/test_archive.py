"""`ella archive --season YEAR`: a closed season leaves Dagster's partitions, never the database."""

from __future__ import annotations

import datetime as dt

import pytest

from ella_dagster.archive import archivable, archive_season, restore_partitions
from ella_dagster.db.models import RawImage, TaxCase, utcnow
from ella_dagster.pipeline.intake import seed_demo
from tests.support.rows import raw_image


def test_a_closed_season_is_archived_and_can_come_back(instance, sqlite_db) -> None:
    seed_demo(sqlite_db, tax_year=2024)
    seed_demo(sqlite_db, case_id="case_next", client_name="B", tax_year=2025)
    done = utcnow() - dt.timedelta(days=1)
    with sqlite_db.transaction() as s:
        s.add(raw_image("a_final", status="LINKED", processed_at=done))
        s.add(raw_image("b_failed", status="FAILED", processed_at=done))
        s.add(raw_image("c_in_flight", status="PROCESSING"))
        s.add(raw_image("d_next_season", case_id="case_next", status="LINKED", processed_at=done))
    instance.add_dynamic_partitions("documents", ["a_final", "b_failed", "c_in_flight", "d_next_season"])

    assert archivable(sqlite_db, 2024) == ["a_final", "b_failed"]
    assert archive_season(sqlite_db, instance, 2024) == 2
    assert instance.get_dynamic_partitions("documents") == ["c_in_flight", "d_next_season"]
    with sqlite_db.transaction() as s:  # every record stays
        assert {r.id for r in s.query(RawImage)} == {"a_final", "b_failed", "c_in_flight", "d_next_season"}
        assert s.get(TaxCase, "case_demo").tax_year == 2024
    assert archive_season(sqlite_db, instance, 2024) == 0  # again: nothing left to remove

    restore_partitions(instance, ["b_failed", "d_next_season"])  # a backfill names them
    assert instance.get_dynamic_partitions("documents") == ["c_in_flight", "d_next_season", "b_failed"]


@pytest.mark.slow
def test_ella_archive_removes_the_keys_and_says_so(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    from ella_dagster.config import PROJECT_ROOT
    from ella_dagster.db.session import Database

    env = {**os.environ, "ELLA_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(tmp_path / "home")}
    ella = [str(Path(sys.executable).parent / "ella")]
    assert subprocess.run([*ella, "init"], env=env, cwd=PROJECT_ROOT, capture_output=True).returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'ella.db'}")
    seed_demo(db)
    with db.transaction() as s:
        s.add(raw_image("a_final", status="LINKED", processed_at=utcnow()))
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path / "home")))
    instance.add_dynamic_partitions("documents", ["a_final"])
    dry = subprocess.run([*ella, "archive", "--season", "2024", "--dry-run"], env=env, capture_output=True, text=True)
    assert "1 finished document would leave" in dry.stdout and instance.has_dynamic_partition("documents", "a_final")
    done = subprocess.run([*ella, "archive", "--season", "2024"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "1 partition key removed" in done.stdout
    assert not instance.has_dynamic_partition("documents", "a_final")
