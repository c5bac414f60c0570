"""A batch through the stages: a check that cannot run fails its document only, and is retried first."""

from __future__ import annotations

import pytest

from ella_dagster.pipeline import batch, steps
from ella_dagster.pipeline.batch import CheckRule, DocumentFailure, Stage, StageOutcome, process_batch
from ella_dagster.pipeline.intake import seed_demo
from tests.support.rows import raw_image


@pytest.fixture
def no_waits(monkeypatch) -> list[float]:
    """The retries' back-off is not slept (batch._backoff was built from RETRY_WAIT at import, so
    patching RETRY_WAIT alone left the test sleeping 2 + 4 + 8 s and jitter); the waits are recorded."""
    slept: list[float] = []
    monkeypatch.setattr(batch, "_sleep", slept.append)
    return slept


def test_a_check_that_raises_fails_its_document_not_the_batch(sqlite_db, local_store, no_waits) -> None:
    seed_demo(sqlite_db)
    with sqlite_db.transaction() as s:
        for doc in ("a", "b", "c"):
            s.add(raw_image(doc, status="PROCESSING"))
    calls: dict[str, int] = {}

    def flaky(ctx, result):
        calls[ctx.doc_id] = calls.get(ctx.doc_id, 0) + 1
        if ctx.doc_id == "b" or (ctx.doc_id == "c" and calls["c"] == 1):
            raise TimeoutError("HeadObject: 500")
        return True, {}

    stage = Stage("only", "a stage", lambda ctx: steps.StepResult(values={}), (CheckRule("store_answers", "", flaky),))
    events = list(process_batch(sqlite_db, local_store, None, ["a", "b", "c"], [stage]))
    outcomes = {e.doc_id: type(e) for e in events}
    assert outcomes == {"a": StageOutcome, "b": DocumentFailure, "c": StageOutcome}
    assert calls == {"a": 1, "b": batch.ATTEMPTS, "c": 2}  # retried like a stage, then given up
    failure = next(e for e in events if isinstance(e, DocumentFailure))
    assert "checks of only could not run" in failure.reason
    from ella_dagster.db.models import RawImage

    with sqlite_db.transaction() as s:
        assert s.get(RawImage, "b").status == "FAILED" and s.get(RawImage, "a").status == "PROCESSING"


@pytest.mark.slow
def test_a_copy_linked_before_its_original_stops_counting_when_re_run(sqlite_db, local_store, generated) -> None:
    """Before migration 0005 a crash could link a copy and its original both; the migration makes the
    later upload the duplicate but leaves it LINKED. Re-running it routes it DUPLICATE, and its digital
    doc no longer counts in the checklist."""
    from ella_dagster.db.models import ChecklistItem, DigitalDoc, RawImage
    from ella_dagster.engines import OfflineEngine
    from tests.support.pipeline import ingest

    seed_demo(sqlite_db)
    original, copy = ingest(
        sqlite_db, local_store, "case_demo", [("a.png", generated["w2"].data), ("b.png", generated["w2"].data)]
    )
    engine = OfflineEngine()
    steps.process_document(sqlite_db, local_store, engine, copy)  # the copy first (a crash, a redrive)
    with sqlite_db.transaction() as s:  # hide the copy's claim so the original links too (the old race)
        s.get(RawImage, copy).duplicate_of_id = "hidden"
    steps.process_document(sqlite_db, local_store, engine, original)
    with sqlite_db.transaction() as s:  # what migration 0005 does to such a pair: the later is the copy
        s.get(RawImage, copy).duplicate_of_id = original
    with sqlite_db.transaction() as s:
        item = s.get(ChecklistItem, s.get(RawImage, original).checklist_item_id)
        assert item.received_count == 2  # the legacy state: one paper counted twice
    steps.process_document(sqlite_db, local_store, engine, copy)  # re-run (a re-drive, a backfill)
    with sqlite_db.transaction() as s:
        assert s.get(RawImage, copy).status == "DUPLICATE"
        assert s.get(DigitalDoc, f"dd_{copy}").counted_in_item_id is None
        assert s.get(ChecklistItem, item.id).received_count == 1


def test_a_document_retry_waits_as_long_as_the_service_asked(monkeypatch) -> None:
    """A transient error with a Retry-After (a Gemini 429) waits that long, not the 2 s back-off; a
    wait longer than MAX_RETRY_AFTER is capped (the run would look stuck)."""
    from ella_dagster.domain.errors import TransientDocumentError
    from ella_dagster.pipeline import batch

    slept: list[float] = []
    monkeypatch.setattr(batch, "_sleep", slept.append)
    answers = iter([TransientDocumentError("429", retry_after=30.0), TransientDocumentError("429", retry_after=1e6)])

    def flaky(ctx):
        error = next(answers, None)
        if error:
            raise error
        return "done"

    stage = batch.Stage("classification", "", flaky)
    assert batch._attempt(stage, None, None) == ("done", 3)
    assert slept[0] == 30.0 and slept[1] == batch.MAX_RETRY_AFTER
