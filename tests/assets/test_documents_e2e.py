"""Every partition materialised through Dagster: embedded default (SQLite + folder) and production
shape (PostgreSQL + S3 bucket on a loopback S3 server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dagster import AssetCheckSeverity, DagsterInstance, materialize
from dagster_aws.s3 import S3Resource
from sqlalchemy import select

from ella_dagster.assets import build_document_assets
from ella_dagster.config import Settings
from ella_dagster.db.models import Action, ChecklistItem, DigitalDoc, RawImage
from ella_dagster.db.session import Database
from ella_dagster.domain.routing import decide_route
from ella_dagster.pipeline.intake import register_upload, seed_demo, upload_files
from ella_dagster.resources import (
    DatabaseResource,
    EngineResource,
    LocalDocumentStoreResource,
    S3DocumentStoreResource,
)
from tests.support.pipeline import snapshot

DOCUMENT_ASSETS = build_document_assets(Settings.from_env({}))  # the default settings' assets

pytestmark = [pytest.mark.slow]

KINDS = ["w2", "1099int", "1099nec", "ssn_card", "driver_license", "unknown", "corrupt"]


@pytest.fixture(params=["sqlite+folder", "postgresql+s3"])
def setup(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite+folder":
        db = Database(f"sqlite:///{tmp_path / 'ella.db'}")
        store_resource = LocalDocumentStoreResource(root=str(tmp_path / "store"))
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        endpoint, bucket = request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket")
        store_resource = S3DocumentStoreResource(
            s3=S3Resource(endpoint_url=endpoint, region_name="us-east-1"), bucket=bucket
        )
    db.migrate()
    resources = {"db": DatabaseResource(url=db.url), "store": store_resource, "engine": EngineResource()}
    yield db, store_resource.get_store(), resources
    db.dispose()


def run_partition(instance: DagsterInstance, resources: dict, doc_id: str):
    return materialize(
        DOCUMENT_ASSETS, partition_key=doc_id, instance=instance, resources=resources, raise_on_error=False
    )


def metadata_text(result) -> str:
    events = result.get_asset_materialization_events()
    payload = [{k: str(v.value) for k, v in e.materialization.metadata.items()} for e in events]
    checks = [{k: str(v.value) for k, v in c.metadata.items()} for c in result.get_asset_check_evaluations()]
    return json.dumps(payload + checks)


def test_every_kind_of_upload_ends_in_one_terminal_state(instance, setup, generated) -> None:
    db, store, resources = setup
    case = seed_demo(db)
    outcomes = upload_files(
        db, store, case, [(f"{k}.{generated[k].mime_type.split('/')[1]}", generated[k].data) for k in KINDS]
    )
    ids = dict(zip(KINDS, [o.upload_id for o in outcomes], strict=True))
    for marker in store.new_uploads(None, 50):
        register_upload(db, store, marker)
    instance.add_dynamic_partitions("documents", list(ids.values()))

    results = {kind: run_partition(instance, resources, doc) for kind, doc in ids.items()}

    assert {k: r.success for k, r in results.items()} == {k: k != "corrupt" for k in KINDS}
    with db.transaction() as s:
        raws = {k: s.get(RawImage, ids[k]) for k in KINDS}
        actions = {
            k: [(a.type, a.priority) for a in s.scalars(select(Action).where(Action.raw_image_id == ids[k]))]
            for k in KINDS
        }
        for kind in ("w2", "1099int", "1099nec", "ssn_card"):
            raw = raws[kind]
            assert (raw.status, raw.route, raw.classified_type) == (
                "LINKED",
                "auto-linked",
                generated[kind].doc_type,
            )
            assert actions[kind] == []
            assert raw.storage_key.startswith(f"cases/{case}/docs/") and store.exists(raw.storage_key)
            assert s.get(DigitalDoc, f"dd_{raw.id}").status in ("EXTRACTED", "PARTIAL")
            assert s.get(ChecklistItem, raw.checklist_item_id).status == "HAS_DIGITAL"
        dl = raws["driver_license"]
        assert dl.status == "LINKED" and dl.route == decide_route(dl.ai_confidence).value
        assert (dl.route == "needs-review") == (("VERIFY_DOCS", "NORMAL") in actions["driver_license"])
        assert (raws["unknown"].status, raws["unknown"].storage_key) == (
            "UNCLASSIFIED",
            raws["unknown"].original_key,
        )
        assert actions["unknown"] == [("AI_FAILED", "NORMAL")]
        assert raws["corrupt"].status == "FAILED" and "corrupt" in raws["corrupt"].error_message
        assert actions["corrupt"] == [("AI_FAILED", "HIGH")]
        assert all(r.processed_at is not None for r in raws.values())

    # The UI shows the same: the corrupt partition's run failed with the reason, the others passed every check.
    failure = next(e for e in results["corrupt"].all_events if e.event_type_value == "STEP_FAILURE")
    assert "corrupt or unsupported image" in str(failure.event_specific_data.error.message)
    for kind in ("w2", "1099int", "1099nec", "ssn_card"):
        evaluations = results[kind].get_asset_check_evaluations()
        assert len(evaluations) == 10
        assert all(e.passed for e in evaluations if e.severity == AssetCheckSeverity.ERROR)
        # Clean renders: every key field read is one its validators trust.
        assert next(e for e in evaluations if e.check_name == "key_fields_confident").passed

    # No PII in Dagster metadata.
    for kind in ("w2", "ssn_card", "1099nec"):
        text = metadata_text(results[kind])
        for secret in (generated[kind].fields.get(f) for f in ("employee_ssn", "ssn", "recipient_tin", "payer_tin")):
            if secret:
                assert secret not in text


def test_materialising_a_partition_twice_leaves_identical_rows(instance, setup, generated) -> None:
    db, store, resources = setup
    case = seed_demo(db)
    outcomes = upload_files(
        db,
        store,
        case,
        [("dl.png", generated["driver_license"].data), ("letter.png", generated["unknown"].data)],
    )
    for marker in store.new_uploads(None, 50):
        register_upload(db, store, marker)
    ids = [o.upload_id for o in outcomes]
    instance.add_dynamic_partitions("documents", ids)
    for doc in ids:
        assert run_partition(instance, resources, doc).success
    first = snapshot(db)
    for doc in ids:
        assert run_partition(instance, resources, doc).success
    assert snapshot(db) == first
