"""Each data-quality rule passes on good input and fails on purpose-made bad input."""

from sqlalchemy import select

from ella_dagster import quality
from ella_dagster.db.models import ChecklistItem, ClassificationResult, DigitalDoc, RawImage
from ella_dagster.engines import OfflineEngine
from ella_dagster.pipeline import steps
from tests.support.pipeline import ingest


def test_key_convention_rule() -> None:
    assert quality.key_follows_convention("cases/c1/raw/0193abc.png")
    assert quality.key_follows_convention("cases/c1/docs/2024_W2_AcmeLlc_AnLe.pdf")
    assert not quality.key_follows_convention("cases/c1/docs/W2 Acme.pdf")
    assert not quality.key_follows_convention("cases/c1/docs/2024_W2_Nguyễn.pdf")


def test_extraction_rule() -> None:
    assert quality.extraction_errors("W2", {"wages": "10.00"}) == []
    assert quality.extraction_errors("W2", {"wages": "$10"}) != []


def test_doubtful_key_field_rule() -> None:
    confidences = {"employee_ssn": 0.25, "wages": 0.9, "control_number": 0.2}
    # Only key fields count (control_number is not one), and only names are reported.
    assert quality.doubtful_key_fields("W2", confidences) == ["employee_ssn"]
    assert quality.doubtful_key_fields("W2", {"wages": 0.9}) == []
    assert quality.doubtful_key_fields("W2", None) == []


def test_digital_doc_rule_catches_a_broken_count(sqlite_db, local_store, generated) -> None:
    from ella_dagster.pipeline.intake import seed_demo

    seed_demo(sqlite_db)
    [doc] = ingest(sqlite_db, local_store, "case_demo", [("w2.png", generated["w2"].data)])
    steps.process_document(sqlite_db, local_store, OfflineEngine(), doc)
    with sqlite_db.transaction() as s:
        assert quality.digital_doc_problems(s, doc, linked=True) == []
        item = s.scalars(select(ChecklistItem).where(ChecklistItem.id == s.get(RawImage, doc).checklist_item_id)).one()
        item.received_count, item.status = 0, "MISSING"
    with sqlite_db.transaction() as s:
        assert quality.digital_doc_problems(s, doc, linked=True) == ["checklist item not marked received"]
        s.delete(s.get(DigitalDoc, f"dd_{doc}"))
    with sqlite_db.transaction() as s:
        assert quality.digital_doc_problems(s, doc, linked=True) == ["linked document without digital doc"]


def test_history_and_routing_rules_catch_a_row_that_disagrees(sqlite_db, local_store, generated) -> None:
    from ella_dagster.pipeline.intake import seed_demo

    seed_demo(sqlite_db)
    [doc] = ingest(sqlite_db, local_store, "case_demo", [("w2.png", generated["w2"].data)])
    steps.process_document(sqlite_db, local_store, OfflineEngine(), doc)
    with sqlite_db.transaction() as s:
        latest = s.scalars(select(ClassificationResult).where(ClassificationResult.raw_image_id == doc)).one()
        answer = {"doc_type": latest.doc_type, "confidence": latest.confidence, "engine_version": latest.engine_version}
        assert quality.history_problems(s, doc, answer) == []
        assert quality.routing_problems(s, doc) == []
        assert quality.history_problems(s, doc, {**answer, "confidence": 0.1}) != []  # overtaken by another answer
        s.get(RawImage, doc).route = "unclassified"  # a route the confidence does not give
    with sqlite_db.transaction() as s:
        assert any("route unclassified" in p for p in quality.routing_problems(s, doc))
        s.get(RawImage, doc).route = "auto-linked"
        s.get(DigitalDoc, f"dd_{doc}").extracted_data = {"wages": "1.00"}
    with sqlite_db.transaction() as s:
        assert quality.digital_doc_problems(s, doc, linked=True) == ["digital doc fields differ from the extraction"]
