"""A batch of documents through the six stages, one document at a time, each failure its own.

This is plain Python: the Dagster asset (`assets/documents.py`) turns what it yields into per-document
materialisations and check evaluations, and the benchmark's bare loop calls the same function.

Retry budget of one document (the only retries there are): a stage that raises anything but a
`PermanentDocumentError` is tried again, alone, up to `ATTEMPTS` times in all, 2 s -> 4 s -> 8 s apart
with jitter (tenacity), or longer when the error says how long to wait (a 429's Retry-After, at most
`MAX_RETRY_AFTER`); the engines do not retry on their own (GEMINI_MAX_RETRIES=0 by default). A
permanent error, the last failed try or a failed blocking check marks the document FAILED (with an
AI_FAILED action) and ends its chain; the other documents of the batch go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_not_exception_type, stop_after_attempt, wait_exponential_jitter

from ella_dagster import quality
from ella_dagster.db.models import Extraction, RawImage
from ella_dagster.db.session import Database
from ella_dagster.domain.errors import PermanentDocumentError, sanitize_error
from ella_dagster.domain.routing import decide_route
from ella_dagster.engines.base import Engine
from ella_dagster.pipeline import steps
from ella_dagster.pipeline.actions import mark_failed
from ella_dagster.store import DocumentStore

ATTEMPTS = 4
RETRY_WAIT = {"initial": 2.0, "max": 8.0, "jitter": 1.0}
MAX_RETRY_AFTER = 120.0  # a longer wait would hold the run (and look stuck); the stage fails instead
_backoff = wait_exponential_jitter(**RETRY_WAIT)


def _wait(state: RetryCallState) -> float:
    """The back-off, or the wait the service asked for when it is longer."""
    exc = state.outcome.exception() if state.outcome else None
    asked = getattr(exc, "retry_after", None) or 0.0
    return max(_backoff(state), min(asked, MAX_RETRY_AFTER))


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


@dataclass(frozen=True)
class DocumentContext:
    db: Database
    store: DocumentStore
    engine: Engine
    doc_id: str
    run_id: str | None = None


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    blocking: bool  # a failed blocking check ends the document's chain and fails it
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckRule:
    name: str
    description: str
    evaluate: Callable[[DocumentContext, steps.StepResult], tuple[bool, dict[str, Any]]]
    blocking: bool = True

    def __call__(self, ctx: DocumentContext, result: steps.StepResult) -> CheckOutcome:
        passed, metadata = self.evaluate(ctx, result)
        return CheckOutcome(self.name, bool(passed), self.blocking, metadata)


@dataclass(frozen=True)
class Stage:
    name: str  # also the asset's name
    description: str
    run: Callable[[DocumentContext], steps.StepResult]
    checks: tuple[CheckRule, ...] = ()
    uses_engine: bool = False


@dataclass(frozen=True)
class StageOutcome:
    doc_id: str
    stage: str
    result: steps.StepResult
    seconds: float
    attempts: int
    checks: list[CheckOutcome]


@dataclass(frozen=True)
class DocumentFailure:
    doc_id: str
    stage: str
    reason: str
    permanent: bool


# The checks: rules an engineer needs to trust the next stage --------------------------------------
def _raw(ctx: DocumentContext) -> RawImage:
    with ctx.db.transaction() as s:
        raw = s.get(RawImage, ctx.doc_id)
        assert raw is not None
        return raw


def _hash_checks() -> tuple[CheckRule, ...]:
    return (
        CheckRule(
            "not_a_duplicate",
            "warns when the bytes were uploaded before",
            lambda ctx, r: (r.values["exact_duplicate_of"] is None, {"duplicate_of": r.values["exact_duplicate_of"]}),
            blocking=False,
        ),
    )


def _problems(name: str, description: str, find: Callable[..., list[str]], *args: Any) -> CheckRule:
    """A blocking check that passes when `find(session, doc_id, *args)` finds no problem; an arg that
    is callable is applied to the stage's result first."""

    def evaluate(ctx: DocumentContext, r: steps.StepResult) -> tuple[bool, dict[str, Any]]:
        with ctx.db.transaction() as s:
            problems = find(s, ctx.doc_id, *(a(r) if callable(a) else a for a in args))
        return not problems, {"problems": problems}

    return CheckRule(name, description, evaluate)


def _classification_checks() -> tuple[CheckRule, ...]:
    return (
        _problems(
            "recorded_in_history",
            "the answer is the document's latest classification history row",
            quality.history_problems,
            lambda r: r.values,
        ),
        CheckRule(
            "confidence_not_low",
            "warns below the review threshold",
            lambda ctx, r: (
                decide_route(r.values["confidence"]).value != "unclassified",
                {"confidence": r.values["confidence"]},
            ),
            blocking=False,
        ),
    )


def _key_checks() -> tuple[CheckRule, ...]:
    def convention(ctx: DocumentContext, r: steps.StepResult) -> tuple[bool, dict[str, Any]]:
        key = _raw(ctx).storage_key
        return quality.key_follows_convention(key), {"renamed": "/docs/" in key}

    return (
        CheckRule("key_follows_convention", "a renamed key follows the convention", convention),
        CheckRule(
            "object_exists",
            "the document's current key exists in the store",
            lambda ctx, r: (ctx.store.exists(_raw(ctx).storage_key), {}),
        ),
    )


def _extraction_checks() -> tuple[CheckRule, ...]:
    def extraction(ctx: DocumentContext, r: steps.StepResult) -> Extraction | None:
        with ctx.db.transaction() as s:
            return s.get(Extraction, ctx.doc_id) if r.applied else None

    def schema(ctx: DocumentContext, r: steps.StepResult) -> tuple[bool, dict[str, Any]]:
        row = extraction(ctx, r)
        errors = quality.extraction_errors(row.doc_type, row.data) if row else []
        return not errors, {"errors": errors}

    def confident(ctx: DocumentContext, r: steps.StepResult) -> tuple[bool, dict[str, Any]]:
        row = extraction(ctx, r)
        doubtful = quality.doubtful_key_fields(row.doc_type, row.field_confidences) if row else []
        return not doubtful, {"doubtful": doubtful}

    return (
        CheckRule("valid_against_schema", "stored fields validate against their schema version", schema),
        CheckRule(
            "key_fields_present",
            "warns when key fields are missing",
            lambda ctx, r: (
                not r.values.get("missing_key_fields"),
                {"missing": r.values.get("missing_key_fields", [])},
            ),
            blocking=False,
        ),
        CheckRule("key_fields_confident", "warns when a key field's validators doubt it", confident, blocking=False),
    )


STAGES: tuple[Stage, ...] = (
    Stage(
        "document_hash",
        "sha256 and 64-bit perceptual hash of the first page; exact duplicates join an image group.",
        lambda c: steps.hash_document(c.db, c.store, c.doc_id),
        _hash_checks(),
    ),
    Stage(
        "classification",
        "Document type, confidence, tax year and source from the configured engine; "
        "appends a classification history row.",
        lambda c: steps.classify_document(c.db, c.store, c.engine, c.doc_id, c.run_id),
        _classification_checks(),
        uses_engine=True,
    ),
    Stage(
        "routing",
        "Confidence routing: auto-link (>= 0.85), needs review (0.60-0.85, VERIFY_DOCS) or unclassified (AI_FAILED).",
        lambda c: steps.route_document(c.db, c.doc_id),
        (
            _problems(
                "row_matches_classification",
                "the stored route, type and checklist link follow from the latest classification",
                quality.routing_problems,
            ),
        ),
    ),
    Stage(
        "renamed_key",
        "Renames classified documents to cases/{case}/docs/{TaxYear}_{DocType}_{Source}_{Client}.{ext}.",
        lambda c: steps.rename_document(c.db, c.store, c.doc_id),
        _key_checks(),
    ),
    Stage(
        "ocr_extract",
        "Structured fields for OCR-eligible types, validated against a versioned JSON schema.",
        lambda c: steps.extract_document(c.db, c.store, c.engine, c.doc_id),
        _extraction_checks(),
        uses_engine=True,
    ),
    Stage(
        "digital_doc",
        "One transaction: digital doc upserted, checklist item counted once, raw image LINKED.",
        lambda c: steps.link_document(c.db, c.doc_id),
        (
            _problems(
                "agrees_with_raw_image",
                "digital doc, extraction, raw image and checklist item agree",
                quality.digital_doc_problems,
                lambda r: r.applied,
            ),
        ),
    ),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


# Running them -----------------------------------------------------------------------------------
def _attempt(stage: Stage, ctx: DocumentContext, on_retry: Callable[[str], None] | None) -> tuple[Any, int]:
    def before_sleep(state: RetryCallState) -> None:
        if on_retry and state.outcome is not None:
            exc = state.outcome.exception()
            on_retry(
                sanitize_error(
                    f"document {ctx.doc_id} {stage.name}: attempt {state.attempt_number} failed "
                    f"({exc.__class__.__name__}: {exc}); retrying"
                )[:500]
            )

    retrying = Retrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=_wait,
        sleep=lambda seconds: _sleep(seconds),  # a name tests can replace
        retry=retry_if_not_exception_type(PermanentDocumentError),
        before_sleep=before_sleep,
        reraise=True,
    )
    result = retrying(stage.run, ctx)
    return result, retrying.statistics.get("attempt_number", 1)


def _evaluate_checks(
    stage: Stage, ctx: DocumentContext, result: Any, on_retry: Callable[[str], None] | None
) -> list[CheckOutcome]:
    checks_stage = Stage(stage.name, stage.description, lambda c: [rule(c, result) for rule in stage.checks])
    outcomes, _ = _attempt(checks_stage, ctx, on_retry)
    return outcomes


def _fail(ctx: DocumentContext, stage: str, reason: str, *, permanent: bool) -> DocumentFailure:
    try:
        with ctx.db.transaction() as s:
            mark_failed(s, ctx.doc_id, reason, transient=not permanent)
    except Exception as exc:  # noqa: BLE001 - the stuck-documents sensor finishes what cannot be recorded now
        reason = f"{reason}; the failure itself could not be recorded ({exc.__class__.__name__})"
    return DocumentFailure(ctx.doc_id, stage, reason, permanent)


def process_one(
    ctx: DocumentContext, stages: Iterable[Stage], on_retry=None
) -> Iterator[StageOutcome | DocumentFailure]:
    for stage in stages:
        started = time.perf_counter()
        try:
            result, attempts = _attempt(stage, ctx, on_retry)
        except PermanentDocumentError as exc:
            yield _fail(ctx, stage.name, sanitize_error(str(exc))[:500], permanent=True)
            return
        except Exception as exc:  # noqa: BLE001 - the last of ATTEMPTS tries; the others go on
            reason = sanitize_error(f"gave up after {ATTEMPTS} attempts: {exc.__class__.__name__}: {exc}")[:500]
            yield _fail(ctx, stage.name, reason, permanent=False)
            return
        seconds = time.perf_counter() - started
        try:  # a check reads the database and the store too: the same retry budget, the same failure
            checks = _evaluate_checks(stage, ctx, result, on_retry)
        except Exception as exc:  # noqa: BLE001 - this document fails, the batch goes on
            reason = sanitize_error(f"checks of {stage.name} could not run: {exc.__class__.__name__}: {exc}")[:500]
            yield _fail(ctx, stage.name, reason, permanent=False)
            return
        yield StageOutcome(ctx.doc_id, stage.name, result, seconds, attempts, checks)
        failed = [c.name for c in checks if c.blocking and not c.passed]
        if failed:  # a blocking check stops the chain: the document must still end in a terminal state
            yield _fail(ctx, stage.name, f"data-quality check failed: {', '.join(failed)}", permanent=True)
            return


def process_batch(
    db: Database,
    store: DocumentStore,
    engine: Engine,
    doc_ids: Iterable[str],
    stages: Iterable[Stage] = STAGES,
    *,
    run_id: str | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> Iterator[StageOutcome | DocumentFailure]:
    """Every document of the batch through `stages`, in order; one document's failure never stops the rest."""
    stages = tuple(stages)
    for doc_id in doc_ids:
        yield from process_one(DocumentContext(db, store, engine, doc_id, run_id), stages, on_retry)
