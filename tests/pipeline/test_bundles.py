"""A scanned bundle through the stages: split into child uploads that the sensor picks up like any upload."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from ella_dagster import bundle_samples
from ella_dagster.db.models import Action, ChecklistItem, ClassificationResult, RawImage
from ella_dagster.domain.bundles import PageReading, PageSignals
from ella_dagster.domain.doc_types import DocType
from ella_dagster.engines import OfflineEngine
from ella_dagster.pipeline import bundles, steps
from ella_dagster.pipeline.batch import STAGES, DocumentFailure, StageOutcome, process_batch
from ella_dagster.pipeline.intake import register_upload, seed_demo
from tests.support.pipeline import ingest, snapshot

ENGINE = OfflineEngine()


@pytest.fixture(scope="module")
def three_documents() -> bundle_samples.Bundle:
    """A W-2, a 1099-INT and a driver license with its back: 4 pages, 3 documents."""
    documents = bundle_samples.make_documents(["w2", "1099int", "driver_license_back"], random.Random(11))
    return bundle_samples.bundle_of(documents, "scan_everything.pdf")


def _run(db, store, doc_ids: list[str]) -> list:
    events = list(process_batch(db, store, ENGINE, doc_ids))
    failures = [e for e in events if isinstance(e, DocumentFailure)]
    assert not failures, failures
    failed_checks = [
        (e.doc_id, c.name)
        for e in events
        if isinstance(e, StageOutcome)
        for c in e.checks
        if c.blocking and not c.passed
    ]
    assert not failed_checks
    return events


def _sensor_tick(db, store) -> list[str]:
    """What the uploads sensor registers from the journal: ids of the markers it would launch."""
    seen = []
    for marker in store.new_uploads(None, 1000):
        register_upload(db, store, marker)
        seen.append(marker.upload_id)
    return seen


def _children(db, parent: str) -> list[RawImage]:
    with db.transaction() as s:
        return list(s.scalars(select(RawImage).where(RawImage.parent_id == parent).order_by(RawImage.page_start)))


@pytest.mark.slow
def test_a_three_document_bundle_becomes_three_linked_children(database, local_store, case_id, three_documents) -> None:
    [parent] = ingest(database, local_store, case_id, [("scan_everything.pdf", three_documents.data)])
    events = _run(database, local_store, [parent])
    stages = {e.stage: e for e in events if isinstance(e, StageOutcome)}
    assert stages["classification"].result.values["children_count"] == 3
    assert [c["pages"] for c in stages["classification"].result.values["children"]] == ["1", "2", "3-4"]
    assert not stages["ocr_extract"].result.applied and not stages["digital_doc"].result.applied

    children = _children(database, parent)
    assert [(c.page_start, c.page_end) for c in children] == [(1, 1), (2, 2), (3, 4)]
    with database.transaction() as s:
        raw = s.get(RawImage, parent)
        assert (raw.status, raw.route, raw.classified_type, raw.checklist_item_id) == ("SPLIT", None, None, None)
        assert raw.processed_at is not None
        assert s.scalars(select(ClassificationResult).where(ClassificationResult.raw_image_id == parent)).all() == []
    # Each child was journalled after its row: the sensor picks it up like any upload.
    journalled = _sensor_tick(database, local_store)
    assert set(journalled) >= {c.id for c in children}

    _run(database, local_store, [c.id for c in children])
    children = _children(database, parent)
    assert [c.classified_type for c in children] == ["W2", "FORM_1099_INT", "DRIVER_LICENSE"]
    assert [c.status for c in children] == ["LINKED"] * 3
    for child, code in zip(children, ("_W2_", "_1099Int_", "_DriverLicense_"), strict=True):
        assert "/docs/" in child.storage_key and code in child.storage_key, child.storage_key
        assert local_store.get(child.storage_key).data[:5] == b"%PDF-"
    with database.transaction() as s:
        counts = {
            i.id: i.received_count for i in s.scalars(select(ChecklistItem).where(ChecklistItem.case_id == case_id))
        }
        assert counts[f"chk_{case_id}_w2"] == 1
        assert counts[f"chk_{case_id}_form_1099_int"] == 1
        assert counts[f"chk_{case_id}_driver_license"] == 1
        assert counts[f"chk_{case_id}_form_1099_nec"] == 0
        # the driver license child holds both of its pages
        assert bundles.page_count(local_store.get(children[2].storage_key).data, "application/pdf") == 2

    # Re-running the parent, then every child, changes nothing and journals nothing new.
    before = snapshot(database)
    _run(database, local_store, [parent])
    assert snapshot(database) == before
    assert len(_children(database, parent)) == 3
    assert local_store.new_uploads(None, 1000) == local_store.new_uploads(None, 1000)
    assert len(local_store.new_uploads(None, 1000)) == len(journalled)
    _run(database, local_store, [c.id for c in children])
    assert snapshot(database) == before


@pytest.mark.slow
def test_reclassifying_one_child_leaves_its_siblings_alone(sqlite_db, local_store, three_documents) -> None:
    case_id = seed_demo(sqlite_db)
    [parent] = ingest(sqlite_db, local_store, case_id, [("scan.pdf", three_documents.data)])
    _run(sqlite_db, local_store, [parent])
    children = [c.id for c in _children(sqlite_db, parent)]
    _sensor_tick(sqlite_db, local_store)
    _run(sqlite_db, local_store, children)
    before = snapshot(sqlite_db)
    # A new engine version for the W-2 child only: its history grows, nothing else moves.
    bumped = OfflineEngine(revision="bump")
    reclassify = [st for st in STAGES if st.name != "document_hash"]  # as `ella reclassify` selects
    list(process_batch(sqlite_db, local_store, bumped, [children[0]], reclassify))
    after = snapshot(sqlite_db)
    assert after["history"] == before["history"] + 1
    assert [r for r in after["raw"] if r[0] != children[0]] == [r for r in before["raw"] if r[0] != children[0]]
    assert after["items"] == before["items"] and after["docs"] == before["docs"]


@pytest.mark.slow
def test_a_one_document_multi_page_pdf_is_not_split(database, local_store, case_id) -> None:
    form = bundle_samples.form_1095_a(random.Random(4), 2024)
    [doc] = ingest(database, local_store, case_id, [("1095a.pdf", bundle_samples.pdf_of(form.pages))])
    events = _run(database, local_store, [doc])
    classification = next(e for e in events if isinstance(e, StageOutcome) and e.stage == "classification")
    assert classification.result.values["bundle_proposed"] == [
        {
            "pages": "1-2",
            "doc_type": "FORM_1095_A",
            "confidence": classification.result.values["bundle_proposed"][0]["confidence"],
        }
    ]
    assert _children(database, doc) == []
    with database.transaction() as s:
        raw = s.get(RawImage, doc)
        assert (raw.status, raw.classified_type) == ("LINKED", "FORM_1095_A")
        assert not [a for a in s.scalars(select(Action).where(Action.raw_image_id == doc)) if a.type == "REVIEW_SPLIT"]


def test_a_doubtful_boundary_gives_staff_a_review_and_no_children(sqlite_db, local_store, monkeypatch) -> None:
    case_id = seed_demo(sqlite_db)
    documents = bundle_samples.make_documents(["1099nec", "1099nec"], random.Random(5))
    bundle = bundle_samples.bundle_of(documents, "two_necs.pdf")
    [doc] = ingest(sqlite_db, local_store, case_id, [("two_necs.pdf", bundle.data)])
    # Two 1099-NEC headings, but neither the payer nor any number could be read on the second page.
    readings = [PageReading(n, DocType.FORM_1099_NEC, 0.9, None, None, PageSignals(title=True)) for n in (1, 2)]
    monkeypatch.setattr(bundles, "read_pages", lambda data, mime: readings)
    markers = len(local_store.new_uploads(None, 100))
    _run(sqlite_db, local_store, [doc])
    _run(sqlite_db, local_store, [doc])  # once, however often it runs
    assert _children(sqlite_db, doc) == []
    assert len(local_store.new_uploads(None, 100)) == markers
    with sqlite_db.transaction() as s:
        raw = s.get(RawImage, doc)
        assert raw.status == "LINKED" and raw.classified_type == "FORM_1099_NEC"
        [review] = [a for a in s.scalars(select(Action).where(Action.raw_image_id == doc)) if a.type == "REVIEW_SPLIT"]
        assert not review.is_completed
        assert review.metadata_json["proposed"] == [
            {"pages": "1", "doc_type": "FORM_1099_NEC", "confidence": 0.9},
            {"pages": "2", "doc_type": "FORM_1099_NEC", "confidence": 0.9},
        ]
        assert review.metadata_json["boundary_confidence"] == 0.5


@pytest.mark.slow
def test_a_child_with_the_bytes_of_an_earlier_child_is_a_duplicate(sqlite_db, local_store) -> None:
    case_id = seed_demo(sqlite_db)
    w2, interest, card = bundle_samples.make_documents(["w2", "1099int", "ssn_card"], random.Random(8))
    first = bundle_samples.bundle_of([w2, interest], "first.pdf")
    second = bundle_samples.bundle_of([w2, card], "second.pdf")  # the same W-2 page scanned again
    parents = ingest(sqlite_db, local_store, case_id, [("first.pdf", first.data), ("second.pdf", second.data)])
    _run(sqlite_db, local_store, parents)
    _sensor_tick(sqlite_db, local_store)
    kids = [c for p in parents for c in _children(sqlite_db, p)]
    assert len(kids) == 4
    _run(sqlite_db, local_store, [c.id for c in kids])
    with sqlite_db.transaction() as s:
        w2_first, _, w2_second, _ = (s.get(RawImage, c.id) for c in kids)
        assert w2_second.status == "DUPLICATE" and w2_second.duplicate_of_id == w2_first.id
        assert s.get(ChecklistItem, f"chk_{case_id}_w2").received_count == 1


def test_a_duplicate_of_a_split_bundle_is_a_duplicate_not_a_second_split(sqlite_db, local_store, monkeypatch) -> None:
    case_id = seed_demo(sqlite_db)
    documents = bundle_samples.make_documents(["w2", "ssn_card"], random.Random(9))
    bundle = bundle_samples.bundle_of(documents, "b.pdf")
    first, again = ingest(sqlite_db, local_store, case_id, [("b.pdf", bundle.data), ("b_again.pdf", bundle.data)])
    readings = [
        PageReading(1, DocType.W2, 0.95, 2024, "Acme", PageSignals(title=True)),
        PageReading(2, DocType.SSN_CARD, 0.9, None, None, PageSignals(title=True)),
    ]
    monkeypatch.setattr(bundles, "read_pages", lambda data, mime: readings)
    steps.hash_document(sqlite_db, local_store, first)
    steps.classify_document(sqlite_db, local_store, ENGINE, first)
    assert len(_children(sqlite_db, first)) == 2
    steps.hash_document(sqlite_db, local_store, again)
    steps.classify_document(sqlite_db, local_store, ENGINE, again)
    steps.route_document(sqlite_db, again)
    assert _children(sqlite_db, again) == []
    with sqlite_db.transaction() as s:
        copy = s.get(RawImage, again)
        assert (copy.status, copy.duplicate_of_id) == ("DUPLICATE", first)


@pytest.mark.slow
def test_staff_accept_a_proposed_split_and_the_children_replace_the_parent(sqlite_db, local_store, monkeypatch) -> None:
    case_id = seed_demo(sqlite_db)
    documents = bundle_samples.make_documents(["1099nec", "1099nec"], random.Random(5))
    [doc] = ingest(
        sqlite_db, local_store, case_id, [("two_necs.pdf", bundle_samples.bundle_of(documents, "b.pdf").data)]
    )
    readings = [PageReading(n, DocType.FORM_1099_NEC, 0.9, None, None, PageSignals(title=True)) for n in (1, 2)]
    with monkeypatch.context() as patched:
        patched.setattr(bundles, "read_pages", lambda data, mime: readings)
        _run(sqlite_db, local_store, [doc])
    with sqlite_db.transaction() as s:
        assert s.get(ChecklistItem, f"chk_{case_id}_form_1099_nec").received_count == 1  # the whole PDF, once
    with pytest.raises(ValueError, match="covering every page"):
        bundles.split_by_staff(sqlite_db, local_store, doc, [(1, 1)])

    outcome = bundles.split_by_staff(sqlite_db, local_store, doc, [(1, 1), (2, 2)])
    assert outcome.split and outcome.values["children_count"] == 2
    assert (
        bundles.split_by_staff(sqlite_db, local_store, doc, [(1, 1), (2, 2)]).values["children"]
        == outcome.values["children"]
    )
    with sqlite_db.transaction() as s:
        raw = s.get(RawImage, doc)
        assert raw.status == "SPLIT" and s.get(ChecklistItem, f"chk_{case_id}_form_1099_nec").received_count == 0
        assert all(a.is_completed for a in s.scalars(select(Action).where(Action.raw_image_id == doc)))
    _sensor_tick(sqlite_db, local_store)
    children = [c.id for c in _children(sqlite_db, doc)]
    _run(sqlite_db, local_store, children)
    _run(sqlite_db, local_store, [doc])  # the parent again: still split, nothing counted twice
    with sqlite_db.transaction() as s:
        assert [s.get(RawImage, c).classified_type for c in children] == ["FORM_1099_NEC", "FORM_1099_NEC"]
        assert s.get(ChecklistItem, f"chk_{case_id}_form_1099_nec").received_count == 2
