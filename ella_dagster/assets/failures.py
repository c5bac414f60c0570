"""How a step's failure reaches the database and the Dagster UI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import AssetExecutionContext, Backoff, Failure, Jitter, RetryPolicy

from ella_dagster.db.session import Database
from ella_dagster.domain.errors import PermanentDocumentError
from ella_dagster.domain.pii import mask_text
from ella_dagster.pipeline.actions import mark_failed

# Transient errors: 3 retries, 2 s -> 4 s -> 8 s, with jitter.
DOCUMENT_RETRY_POLICY = RetryPolicy(max_retries=3, delay=2, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)


@contextmanager
def document_failures(context: AssetExecutionContext, db: Database) -> Iterator[None]:
    """Permanent errors fail the partition at once; others retry, and the last retry marks FAILED."""
    doc_id = context.partition_key
    try:
        yield
    except PermanentDocumentError as exc:
        reason = mask_text(str(exc))
        with db.transaction() as s:
            mark_failed(s, doc_id, reason)
        raise Failure(description=reason, metadata={"document": doc_id, "error": reason}, allow_retries=False) from exc
    except Exception as exc:
        if context.retry_number >= DOCUMENT_RETRY_POLICY.max_retries:
            reason = mask_text(f"gave up after {context.retry_number + 1} attempts: {exc.__class__.__name__}: {exc}")[
                :500
            ]
            with db.transaction() as s:
                mark_failed(s, doc_id, reason, transient=True)
        raise
