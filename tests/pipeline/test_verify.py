"""`ella verify`'s domain side: a staff decision is a history row of its own, resolves the document's
open actions, moves its checklist count exactly once, and becomes the label calibration is measured on."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from ella_dagster import metrics
from ella_dagster.db.models import Action, ChecklistItem, ClassificationResult, DigitalDoc, RawImage, utcnow
from ella_dagster.domain.doc_types import DocType
from ella_dagster.engines import OfflineEngine
from ella_dagster.pipeline import steps
from ella_dagster.pipeline.verify import DocumentInFlight, SplitUpload, UnknownDocument, verify_document
from tests.support.pipeline import ingest, snapshot

pytestmark = [pytest.mark.slow]


class MisreadingEngine:
    """The offline engine, except that classification answers what the test says (a wrong type at a
    review-band confidence, say); extraction is the real one."""

    def __init__(self, doc_type: DocType, confidence: float, version: str = "misread-1") -> None:
        self.inner = OfflineEngine()
        self.name, self.version = "misreading", version
        self.doc_type, self.confidence = doc_type, confidence

    def classify(self, data: bytes, mime_type: str):
        real = self.inner.classify(data, mime_type)
        return dataclasses.replace(
            real, doc_type=self.doc_type, confidence=self.confidence, engine=self.name, engine_version=self.version
        )

    def extract(self, data: bytes, mime_type: str, doc_type: DocType):
        return self.inner.extract(data, mime_type, doc_type)

    def can_extract(self, doc_type: DocType) -> bool:
        return self.inner.can_extract(doc_type)


def _items(db) -> dict[str, int]:
    with db.transaction() as s:
        return {i.id.split(f"{i.case_id}_", 1)[-1]: i.received_count for i in s.scalars(select(ChecklistItem))}


def test_a_correction_keeps_history_resolves_actions_and_moves_the_count_once(
    database, local_store, case_id, generated
) -> None:
    engine = MisreadingEngine(DocType.FORM_1099_NEC, 0.72)
    [doc] = ingest(database, local_store, case_id, [("w2.png", generated["w2"].data)])
    steps.process_document(database, local_store, engine, doc)
    with database.transaction() as s:
        raw = s.get(RawImage, doc)
        assert (raw.route, raw.classified_type) == ("needs-review", "FORM_1099_NEC")
        [review] = [a for a in s.scalars(select(Action).where(Action.raw_image_id == doc)) if not a.is_completed]
        assert review.type == "VERIFY_DOCS"
    before = _items(database)
    assert before["form_1099_nec"] == 1 and before["w2"] == 0

    outcome = verify_document(database, local_store, engine, doc, DocType.W2, staff="tester")
    assert outcome.history_row_added and outcome.actions_resolved == 1
    assert (outcome.previous_type, outcome.previous_confidence) == ("FORM_1099_NEC", 0.72)
    assert outcome.route == "auto-linked" and outcome.status == "LINKED" and outcome.renamed
    with database.transaction() as s:
        history = s.scalars(
            select(ClassificationResult)
            .where(ClassificationResult.raw_image_id == doc)
            .order_by(ClassificationResult.id)
        ).all()
        assert [(h.engine, h.doc_type) for h in history] == [("misreading", "FORM_1099_NEC"), ("staff", "W2")]
        raw = s.get(RawImage, doc)
        assert (raw.classified_type, raw.route, raw.status) == ("W2", "auto-linked", "LINKED")
        assert "_W2_" in raw.storage_key and local_store.exists(raw.storage_key)
        assert s.get(ClassificationResult, history[-1].id).confidence == 1.0
        resolved = s.get(Action, review.id)
        assert resolved.is_completed and resolved.resolution == "verified by staff"
        digital = s.get(DigitalDoc, f"dd_{doc}")
        assert digital.doc_type == "W2" and digital.extracted_data["wages"] == generated["w2"].fields["wages"]
    after = _items(database)
    assert after["form_1099_nec"] == 0 and after["w2"] == 1

    # Verifying again with the same type: no second row, no second count, nothing else changes.
    first = snapshot(database)
    again = verify_document(database, local_store, engine, doc, DocType.W2)
    assert not again.history_row_added and again.actions_resolved == 0 and not again.counted_now
    assert snapshot(database) == first
    assert _items(database) == after

    # A later reclassification by the engine appends its own row; the staff label stays in the history.
    steps.classify_document(database, local_store, engine, doc)
    labels = metrics.verified_predictions(database)
    assert labels[0] == 1 and [p.label for p in labels[1]] == ["W2"]


def test_calibration_is_measured_on_verified_documents(database, local_store, case_id, generated) -> None:
    wrong = MisreadingEngine(DocType.FORM_1099_NEC, 0.72, version="v-a")
    right = MisreadingEngine(DocType.FORM_1099_INT, 0.95, version="v-a")
    unverified = MisreadingEngine(DocType.SSN_CARD, 0.90, version="v-a")
    a, b, c = ingest(
        database,
        local_store,
        case_id,
        [
            ("w2.png", generated["w2"].data),
            ("int.png", generated["1099int"].data),
            ("ssn.png", generated["ssn_card"].data),
        ],
    )
    steps.process_document(database, local_store, wrong, a)
    steps.process_document(database, local_store, right, b)
    steps.process_document(database, local_store, unverified, c)
    assert metrics.calibration(database).predictions == 0

    verify_document(database, local_store, wrong, a, DocType.W2)
    one = metrics.calibration(database)
    assert (one.verified_documents, one.predictions, one.accuracy) == (1, 1, 0.0)
    assert one.ece == pytest.approx(0.72)

    verify_document(database, local_store, right, b, DocType.FORM_1099_INT)
    two = metrics.calibration(database)
    assert (two.verified_documents, two.predictions, two.accuracy) == (2, 2, 0.5)
    # Two answers in two bins: |0 - 0.72| and |1 - 0.95|, each half of the answers.
    assert two.ece == pytest.approx((0.72 + 0.05) / 2, abs=1e-4)
    [version] = two.versions
    bands = {band.band: (band.documents, band.accuracy) for band in version.bands}
    assert version.engine_version == "v-a" and bands == {"review": (1, 0.0), "auto": (1, 1.0)}
    assert "| v-a | review | 1 | 0.72 | 0% |" in metrics.reliability_markdown(two)


def test_a_failed_document_verified_by_staff(database, local_store, case_id, generated) -> None:
    [doc] = ingest(database, local_store, case_id, [("scan.png", generated["corrupt"].data)])
    steps.process_document(database, local_store, OfflineEngine(), doc)
    with database.transaction() as s:
        assert s.get(RawImage, doc).status == "FAILED"
    outcome = verify_document(database, local_store, OfflineEngine(), doc, DocType.W2)
    assert outcome.actions_resolved == 1 and outcome.extraction.startswith("not extracted")
    with database.transaction() as s:
        raw = s.get(RawImage, doc)
        assert (raw.status, raw.classified_type, raw.error_message) == ("CLASSIFIED", "W2", None)
        assert raw.processed_at is not None
        assert all(a.is_completed for a in s.scalars(select(Action).where(Action.raw_image_id == doc)))


def test_unknown_and_in_flight_documents_are_refused(database, local_store, case_id, generated) -> None:
    with pytest.raises(UnknownDocument):
        verify_document(database, local_store, OfflineEngine(), "upl_nope", DocType.W2)
    [doc] = ingest(database, local_store, case_id, [("w2.png", generated["w2"].data)])
    with pytest.raises(DocumentInFlight):
        verify_document(database, local_store, OfflineEngine(), doc, DocType.W2)
    with database.transaction() as s:  # classified but not yet through its run: still in flight
        s.get(RawImage, doc).status = "CLASSIFIED"
    with pytest.raises(DocumentInFlight):
        verify_document(database, local_store, OfflineEngine(), doc, DocType.W2)
    with database.transaction() as s:  # a split upload has no type of its own
        raw = s.get(RawImage, doc)
        raw.status, raw.processed_at = "SPLIT", utcnow()
    with pytest.raises(SplitUpload):
        verify_document(database, local_store, OfflineEngine(), doc, DocType.W2)
