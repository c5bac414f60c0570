"""The six steps as plain functions, on SQLite and on PostgreSQL."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from ella_dagster import bundle_samples
from ella_dagster.db.models import (
    Action,
    ChecklistItem,
    ClassificationResult,
    DigitalDoc,
    RawImage,
)
from ella_dagster.engines import OfflineEngine
from ella_dagster.pipeline import steps
from tests.support.pipeline import ingest, snapshot

pytestmark = [pytest.mark.slow]

ENGINE = OfflineEngine()


def test_w2_goes_all_the_way_to_linked(database, local_store, case_id, generated) -> None:
    [doc] = ingest(database, local_store, case_id, [("w2.png", generated["w2"].data)])
    results = steps.process_document(database, local_store, ENGINE, doc)
    assert results["routing"].values["route"] == "auto-linked"
    with database.transaction() as s:
        raw = s.get(RawImage, doc)
        assert raw.status == "LINKED" and raw.classified_type == "W2" and raw.category == "INCOME"
        assert raw.storage_key.startswith("cases/case_demo/docs/2024_W2_") and raw.storage_key.endswith(
            "_NguyenVanAn.png"
        )
        assert local_store.exists(raw.storage_key) and not local_store.exists(raw.original_key)
        digital = s.get(DigitalDoc, f"dd_{doc}")
        assert digital.extracted_data["wages"] == generated["w2"].fields["wages"]
        # Every key field found; the schema's optional state boxes (W-2 1.1) are not on this sample.
        assert digital.status == "EXTRACTED" and 0.95 <= digital.ai_confidence < 1
        item = s.get(ChecklistItem, raw.checklist_item_id)
        assert (item.status, item.received_count) == ("HAS_DIGITAL", 1)
        assert s.scalar(select(func.count()).select_from(Action)) == 0


def test_rerunning_a_document_changes_nothing(database, local_store, case_id, generated) -> None:
    docs = ingest(
        database,
        local_store,
        case_id,
        [
            ("w2.png", generated["w2"].data),
            ("letter.png", generated["unknown"].data),
            ("dl.png", generated["driver_license"].data),
        ],
    )
    for doc in docs:
        steps.process_document(database, local_store, ENGINE, doc)
    first = snapshot(database)
    for doc in docs:
        steps.process_document(database, local_store, ENGINE, doc)
    assert snapshot(database) == first


def test_exact_duplicate_reuses_the_original_and_is_not_counted(database, local_store, case_id, generated) -> None:
    data = generated["1099nec"].data
    original, copy = ingest(database, local_store, case_id, [("a.png", data), ("b.png", data)])
    steps.process_document(database, local_store, ENGINE, original)
    results = steps.process_document(database, local_store, ENGINE, copy)
    assert results["classification"].values["reused_from"] == original
    with database.transaction() as s:
        a, b = s.get(RawImage, original), s.get(RawImage, copy)
        assert (a.status, b.status) == ("LINKED", "DUPLICATE")
        assert a.image_group_id == b.image_group_id is not None and b.duplicate_of_id == original
        assert s.get(DigitalDoc, f"dd_{copy}") is None
        assert s.get(ChecklistItem, a.checklist_item_id).received_count == 1
        reused = s.scalars(select(ClassificationResult).where(ClassificationResult.raw_image_id == copy)).one()
        assert reused.reused_from_id == original


def test_a_copy_processed_before_its_original_is_the_one_counted(database, local_store, case_id, generated) -> None:
    """The soak's race: the later upload is hashed first (a crash, a redrive). It keeps the claim on
    the bytes; the earlier upload, hashed after it, is its duplicate. One counted, never two."""
    data = generated["1099nec"].data
    original, copy = ingest(database, local_store, case_id, [("a.png", data), ("b.png", data)])
    steps.process_document(database, local_store, ENGINE, copy)
    steps.process_document(database, local_store, ENGINE, original)
    steps.process_document(database, local_store, ENGINE, copy)  # a re-run changes nothing
    with database.transaction() as s:
        a, b = s.get(RawImage, original), s.get(RawImage, copy)
        assert (a.status, b.status) == ("DUPLICATE", "LINKED")
        assert a.duplicate_of_id == copy and b.duplicate_of_id is None
        assert s.get(ChecklistItem, b.checklist_item_id).received_count == 1
        assert s.get(DigitalDoc, f"dd_{original}") is None


def test_copies_hashed_at_the_same_time_have_one_original(database, local_store, case_id, generated) -> None:
    """Many copies hashed concurrently (threads, one connection each): the unique claim lets exactly
    one be the original and every other points at it."""
    from concurrent.futures import ThreadPoolExecutor

    data = generated["1099nec"].data
    docs = ingest(database, local_store, case_id, [(f"{i}.png", data) for i in range(6)])
    with ThreadPoolExecutor(len(docs)) as pool:
        results = list(pool.map(lambda d: steps.hash_document(database, local_store, d), docs))
    with database.transaction() as s:
        rows = [s.get(RawImage, d) for d in docs]
    originals = [r.id for r in rows if r.duplicate_of_id is None]
    assert len(originals) == 1
    assert {r.duplicate_of_id for r in rows if r.id not in originals} == set(originals)
    assert sorted(r.values["exact_duplicate_of"] or "-" for r in results) == sorted(
        r.duplicate_of_id or "-" for r in rows
    )


def test_two_different_w2s_on_one_template_are_never_merged(database, local_store, case_id) -> None:
    import random

    from ella_dagster import samples

    a, b = samples.w2(random.Random(1), 2024), samples.w2(random.Random(2), 2024)
    docs = ingest(database, local_store, case_id, [("a.png", a.data), ("b.png", b.data)])
    for doc in docs:
        steps.process_document(database, local_store, ENGINE, doc)
    with database.transaction() as s:
        rows = [s.get(RawImage, d) for d in docs]
        assert [r.status for r in rows] == ["LINKED", "LINKED"]
        assert rows[0].image_group_id is None and rows[1].image_group_id is None
        assert len({r.storage_key for r in rows}) == 2  # names collide: the second gets a suffix
        item = s.get(ChecklistItem, rows[0].checklist_item_id)
        assert item.received_count == 2


def test_unclassified_gets_one_ai_failed_action_and_keeps_its_key(database, local_store, case_id, generated) -> None:
    [doc] = ingest(database, local_store, case_id, [("letter.png", generated["unknown"].data)])
    results = steps.process_document(database, local_store, ENGINE, doc)
    assert results["renamed_key"].applied is False and results["ocr_extract"].applied is False
    with database.transaction() as s:
        raw = s.get(RawImage, doc)
        assert (raw.status, raw.route, raw.storage_key) == ("UNCLASSIFIED", "unclassified", raw.original_key)
        [action] = s.scalars(select(Action)).all()
        assert (action.type, action.priority, action.is_completed) == ("AI_FAILED", "NORMAL", False)
        assert raw.processed_at is not None


def test_corrupt_file_fails_with_reason_and_action(database, local_store, case_id, generated) -> None:
    [doc] = ingest(database, local_store, case_id, [("scan.png", generated["corrupt"].data)])
    steps.process_document(database, local_store, ENGINE, doc)
    with database.transaction() as s:
        raw = s.get(RawImage, doc)
        assert raw.status == "FAILED" and "corrupt" in raw.error_message
        [action] = s.scalars(select(Action)).all()
        assert (action.type, action.priority) == ("AI_FAILED", "HIGH")


def test_missing_object_is_a_permanent_failure(database, local_store, case_id, generated) -> None:
    [doc] = ingest(database, local_store, case_id, [("w2.png", generated["w2"].data)])
    with database.transaction() as s:
        local_store.delete(s.get(RawImage, doc).storage_key)
    steps.process_document(database, local_store, ENGINE, doc)
    with database.transaction() as s:
        assert "missing from the store" in s.get(RawImage, doc).error_message


def test_multipage_pdf_keeps_page_confidences(database, local_store, case_id) -> None:
    # One 1099-INT and its CORRECTED copy (same payer, box 1 changed): one document, the later page wins.
    # (samples.multipage_1099_int_pdf prints two different payers' forms: a bundle, split into two.)
    corrected = bundle_samples.corrected_1099_int(random.Random(3), 2024)
    [doc] = ingest(database, local_store, case_id, [("corrected.pdf", bundle_samples.pdf_of(corrected.pages))])
    steps.process_document(database, local_store, ENGINE, doc)
    with database.transaction() as s:
        digital = s.get(DigitalDoc, f"dd_{doc}")
        assert digital.page_count == 2 and len(digital.page_confidences) == 2
        assert digital.extracted_data["box_1"] == corrected.fields["box_1"]
        # Each field carries its validators' confidence; a well-formed TIN and amount score high.
        assert set(digital.field_confidences) == set(digital.extracted_data)
        assert digital.field_confidences["box_1"] >= 0.85 and digital.field_confidences["payer_tin"] >= 0.85
