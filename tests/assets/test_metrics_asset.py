"""The confidence_metrics asset through Dagster: metadata for the UI, great_expectations as asset checks."""

from pathlib import Path

import pytest
from dagster import instance_for_test, materialize
from sqlalchemy import text

from ella_dagster.assets import confidence_metrics
from ella_dagster.resources import DatabaseResource
from tests.test_metrics import DAY, load_known

pytestmark = [pytest.mark.slow]


def run(db, tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    with instance_for_test(temp_dir=str(home)) as instance:
        return materialize(
            [confidence_metrics],
            partition_key=DAY.isoformat(),
            instance=instance,
            resources={"db": DatabaseResource(url=db.url)},
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
