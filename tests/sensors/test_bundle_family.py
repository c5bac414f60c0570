"""A scanned bundle through Dagster: the parent's run splits it, the uploads sensor adds the children's
partitions and launches them as a batch, and the metadata and `ella show` show the family."""

from __future__ import annotations

import random

import pytest
from dagster import materialize
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from ella_dagster import bundle_samples
from ella_dagster.assets import build_document_assets
from ella_dagster.config import Settings
from ella_dagster.db.models import RawImage
from ella_dagster.pipeline.intake import seed_demo, upload_files
from ella_dagster.resources import DatabaseResource, EngineResource, LocalDocumentStoreResource
from ella_dagster.story import from_database
from tests.sensors.test_uploads_sensor import tick

DOCUMENT_ASSETS = build_document_assets(Settings.from_env({}))  # the default settings' assets

pytestmark = [pytest.mark.slow]


def _metadata(result, asset: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == asset]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_children_are_partitions_of_their_own_and_name_their_parent(instance, sqlite_db, local_store) -> None:
    case = seed_demo(sqlite_db)
    documents = bundle_samples.make_documents(["w2", "ssn_card_back"], random.Random(21))
    bundle = bundle_samples.bundle_of(documents, "scan.pdf")
    [outcome] = upload_files(sqlite_db, local_store, case, [("scan.pdf", bundle.data)])
    parent = outcome.upload_id
    resources = {
        "db": DatabaseResource(url=sqlite_db.url),
        "store": LocalDocumentStoreResource(root=str(local_store.root)),
        "engine": EngineResource(),
    }

    first = tick(instance, sqlite_db, local_store)
    assert [r.tags[ASSET_PARTITION_RANGE_START_TAG] for r in first.run_requests] == [parent]
    result = materialize(DOCUMENT_ASSETS, partition_key=parent, instance=instance, resources=resources)
    assert result.success
    classification = _metadata(result, "classification")
    assert classification["children_count"] == 2
    children = [c["document"] for c in classification["children"]]
    assert [c["pages"] for c in classification["children"]] == ["1", "2-3"]
    assert "children" in _metadata(result, "digital_doc")

    # The children's markers: the next tick registers nothing new, adds their partitions, one batch.
    second = tick(instance, sqlite_db, local_store, first.cursor)
    assert instance.get_dynamic_partitions("documents") == [parent, *children]
    [batch] = second.run_requests
    assert (batch.tags[ASSET_PARTITION_RANGE_START_TAG], batch.tags[ASSET_PARTITION_RANGE_END_TAG]) == tuple(children)
    assert batch.tags["ella/batch_size"] == "2"

    for child, pages in zip(children, ("1", "2-3"), strict=True):
        ran = materialize(DOCUMENT_ASSETS, partition_key=child, instance=instance, resources=resources)
        assert ran.success
        hashed = _metadata(ran, "document_hash")
        assert (hashed["parent"], hashed["pages"]) == (parent, pages)
    with sqlite_db.transaction() as s:
        assert [(s.get(RawImage, c).status, s.get(RawImage, c).classified_type) for c in children] == [
            ("LINKED", "W2"),
            ("LINKED", "SSN_CARD"),
        ]

    story = from_database(sqlite_db, parent)
    assert story.document["status"] == "SPLIT"
    assert [(c["document"], c["pages"], c["type"]) for c in story.children] == [
        (children[0], "1", "W2"),
        (children[1], "2-3", "SSN_CARD"),
    ]
    assert children[1] in story.document["children"]
    assert from_database(sqlite_db, children[1]).document["split from"] == f"{parent} (pages 2-3)"

    # A third tick: nothing new, nothing launched again.
    third = tick(instance, sqlite_db, local_store, second.cursor)
    assert third.run_requests == []
