"""The confidence_metrics asset through Dagster: metadata for the UI, great_expectations as asset checks."""

from pathlib import Path

import pytest
from dagster import instance_for_test, materialize
from sqlalchemy import text

from ella_dagster.assets import build_document_assets, build_metrics_asset
from ella_dagster.config import Settings
from ella_dagster.resources import DatabaseResource, EngineResource
from tests.test_metrics import DAY, load_known

pytestmark = [pytest.mark.slow]


def metrics_asset(tmp_path: Path):
    return build_metrics_asset(Settings.from_env({"ELLA_DATA_DIR": str(tmp_path / "data")}))


def run(db, tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    with instance_for_test(temp_dir=str(home)) as instance:
        return materialize(
            [metrics_asset(tmp_path)],
            partition_key=DAY.isoformat(),
            instance=instance,
            resources={"db": DatabaseResource(url=db.url), "engine": EngineResource()},
            raise_on_error=False,
        )


def test_materialisation_shows_summary_chart_and_plottable_numbers(sqlite_db, tmp_path: Path) -> None:
    load_known(sqlite_db)
    result = run(sqlite_db, tmp_path)
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["auto_link_rate"].value == 0.5 and metadata["documents"].value == 6
    assert metadata["review_rate"].value == round(1 / 6, 4)
    assert "| W2 | offline-tesseract | 4 |" in metadata["summary"].value
    assert "0.9-1.0" in metadata["confidence_distribution"].value
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"history_expectations": True, "metrics_expectations": True}


def test_a_corrupted_history_shows_as_a_failed_check(sqlite_db, tmp_path: Path) -> None:
    load_known(sqlite_db)
    with sqlite_db.engine.connect() as conn:
        conn.execute(text("UPDATE classification_results SET confidence = 3.0 WHERE raw_image_id = 'doc1'"))
        conn.commit()
    result = run(sqlite_db, tmp_path)
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["history_expectations"] is False


def test_staff_verifications_show_as_calibration_and_a_chart(sqlite_db, tmp_path: Path, monkeypatch) -> None:
    import datetime as dt

    from tests.support.rows import history

    monkeypatch.setenv("ELLA_DATA_DIR", str(tmp_path / "data"))
    load_known(sqlite_db)
    first = run(sqlite_db, tmp_path).get_asset_materialization_events()[0].materialization.metadata
    assert first["verified_documents"].value == 0 and "No verified documents" in first["calibration"].value
    assert first["stale_documents"].value == 7  # every answer came from engine version v1, not today's
    # Staff confirm doc0 (W2 0.95) and correct doc2 (W2 0.70) and doc5 (UNKNOWN 0.10).
    with sqlite_db.transaction() as s:
        for doc, label in [("doc0", "W2"), ("doc2", "FORM_1099_INT"), ("doc5", "OTHER")]:
            row = history(doc, label, 1.0, dt.datetime.combine(DAY, dt.time(12)))
            row.engine = row.engine_version = "staff"
            s.add(row)
    metadata = run(sqlite_db, tmp_path).get_asset_materialization_events()[0].materialization.metadata
    assert metadata["verified_documents"].value == 3
    assert metadata["verified_accuracy"].value == pytest.approx(1 / 3, abs=1e-4)
    # One answer in each of three bins: |1 - 0.95|, |0 - 0.70|, |0 - 0.10|.
    assert metadata["expected_calibration_error"].value == pytest.approx((0.05 + 0.70 + 0.10) / 3, abs=1e-4)
    assert "| v1 | review | 1 | 0.70 | 0% |" in metadata["calibration"].value
    assert metadata["documents"].value == 6  # staff rows are labels, not a seventh document
    assert metadata["stale_documents"].value == 4  # a staff decision is never out of date
    chart = Path(metadata["chart"].value)
    assert chart == tmp_path / "data" / "metrics" / f"confidence_{DAY.isoformat()}.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000


def test_a_document_is_found_by_case_and_file_name(tmp_path: Path, generated, monkeypatch) -> None:
    """Every stage's materialisation and check evaluation of a partition carries its case, masked file
    name and upload time; the metrics asset lists the day's uploads with a link to each partition."""
    import datetime as dt

    from ella_dagster.db.session import Database
    from ella_dagster.pipeline.intake import seed_demo
    from ella_dagster.resources import LocalDocumentStoreResource
    from ella_dagster.store import LocalDocumentStore
    from tests.support.pipeline import ingest

    monkeypatch.setenv("ELLA_DATA_DIR", str(tmp_path / "data"))
    db = Database(f"sqlite:///{tmp_path / 'ella.db'}")
    db.migrate()
    case = seed_demo(db)
    [doc] = ingest(db, LocalDocumentStore(tmp_path / "store"), case, [("w2 123-45-6789.png", generated["w2"].data)])
    resources = {
        "db": DatabaseResource(url=db.url),
        "store": LocalDocumentStoreResource(root=str(tmp_path / "store")),
        "engine": EngineResource(),
    }
    home = tmp_path / "home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as instance:
        instance.add_dynamic_partitions("documents", [doc])
        assets = build_document_assets(Settings.from_env())
        result = materialize(assets, partition_key=doc, instance=instance, resources=resources)
        events = [e.materialization for e in result.get_asset_materialization_events()]
        assert len(events) == 6
        for metadata in [e.metadata for e in events] + [c.metadata for c in result.get_asset_check_evaluations()]:
            assert metadata["case"].value == case
            assert metadata["file"].value == "w2 ***-**-6789.png"
            assert metadata["uploaded"].value.startswith(dt.date.today().isoformat())
        metrics_result = materialize(
            [metrics_asset(tmp_path)],
            partition_key=dt.date.today().isoformat(),
            instance=instance,
            resources={"db": DatabaseResource(url=db.url), "engine": EngineResource()},
        )
    [event] = metrics_result.get_asset_materialization_events()
    directory = event.materialization.metadata["uploads_directory"].value
    assert event.materialization.metadata["uploads"].value == 1
    assert event.materialization.metadata["stale_documents"].value == 0  # just processed by this engine
    assert f"| {case} | w2 ***-**-6789.png | W2 | LINKED |" in directory
    assert f"[{doc}](/assets/document_hash?view=partitions&partition={doc})" in directory
    assert "6789" not in directory.replace("***-**-6789", "")
