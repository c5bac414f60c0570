"""The states a document, its extraction and a checklist item go through. StrEnums: each equals the
string stored in the database, so rows, SQL and the README's queries read the same."""

from __future__ import annotations

from enum import StrEnum


class DocumentStatus(StrEnum):
    """raw_images.status: UPLOADED -> PROCESSING -> one terminal state (see TERMINAL)."""

    UPLOADED = "UPLOADED"
    PROCESSING = "PROCESSING"
    CLASSIFIED = "CLASSIFIED"  # terminal for a type that gets no extraction; in flight otherwise
    UNCLASSIFIED = "UNCLASSIFIED"
    DUPLICATE = "DUPLICATE"
    LINKED = "LINKED"
    FAILED = "FAILED"
    SPLIT = "SPLIT"  # an upload that became several documents (pipeline/bundles.py)


# Where the pipeline leaves a document (raw_images.processed_at is set with them).
TERMINAL = frozenset(
    {
        DocumentStatus.CLASSIFIED,
        DocumentStatus.UNCLASSIFIED,
        DocumentStatus.DUPLICATE,
        DocumentStatus.LINKED,
        DocumentStatus.FAILED,
        DocumentStatus.SPLIT,
    }
)


class ExtractionStatus(StrEnum):
    """extractions.status: every key field found and valid, some missing or invalid, nothing read."""

    EXTRACTED = "EXTRACTED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


class ChecklistStatus(StrEnum):
    """checklist_items.status."""

    MISSING = "MISSING"
    HAS_DIGITAL = "HAS_DIGITAL"
    VERIFIED = "VERIFIED"
