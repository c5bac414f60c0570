"""The parts of `make demo` that run after the daemon: waiting for every document, the metrics."""

from __future__ import annotations

import pytest

from ella_dagster.config import Settings
from ella_dagster.daemon import wait_until_processed
from ella_dagster.db.models import RawImage, utcnow
from ella_dagster.pipeline.intake import seed_demo
from tests.support.rows import raw_image


def test_waiting_counts_uploads_not_yet_registered_and_the_documents_split_out_of_them(sqlite_db, instance) -> None:
    """Uploads get their rows only when the sensor registers them: no row yet is not done (the demo
    used to return at once); a split upload is done when its documents are too."""
    seed_demo(sqlite_db)
    assert not wait_until_processed(sqlite_db, instance, ["upl_a", "upl_b"], timeout=1.5)
    with sqlite_db.transaction() as s:
        s.add(raw_image("upl_a", status="LINKED", processed_at=utcnow()))
        s.add(raw_image("upl_b", status="SPLIT", processed_at=utcnow(), storage_key="b", original_key="b"))
        s.add(raw_image("upl_bp0101", parent_id="upl_b", storage_key="c", original_key="c"))
    assert not wait_until_processed(sqlite_db, instance, ["upl_a", "upl_b"], timeout=1.5)
    with sqlite_db.transaction() as s:
        child = s.get(RawImage, "upl_bp0101")
        child.status, child.processed_at = "LINKED", utcnow()
    assert wait_until_processed(sqlite_db, instance, ["upl_a", "upl_b"], timeout=5)


def test_waiting_for_a_number_of_uploads_waits_for_their_split_out_documents_too(sqlite_db, instance) -> None:
    """The production test waits for "this many uploads": a split upload's documents, registered by
    a later tick, were still UPLOADED when it returned."""
    seed_demo(sqlite_db)
    with sqlite_db.transaction() as s:
        s.add(raw_image("upl_a", status="LINKED", processed_at=utcnow()))
        s.add(raw_image("upl_b", status="SPLIT", processed_at=utcnow(), storage_key="b", original_key="b"))
        s.add(raw_image("upl_bp0101", parent_id="upl_b", storage_key="c", original_key="c"))
    assert not wait_until_processed(sqlite_db, instance, 2, timeout=1.5)
    with sqlite_db.transaction() as s:
        child = s.get(RawImage, "upl_bp0101")
        child.status, child.processed_at = "LINKED", utcnow()
    assert wait_until_processed(sqlite_db, instance, 2, timeout=5)


@pytest.mark.slow
def test_the_demo_refreshes_the_metrics_with_the_location_resources(tmp_path, monkeypatch) -> None:
    from ella_dagster import demo
    from ella_dagster.db.session import Database

    monkeypatch.setenv("ELLA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    settings = Settings.from_env()
    db = Database(settings.database_url)
    db.migrate()
    seed_demo(db)
    demo.refresh_metrics(settings)  # raised: resource 'engine' required by confidence_metrics
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.get() as instance:
        assert instance.get_latest_materialization_event(AssetKey("confidence_metrics")) is not None
