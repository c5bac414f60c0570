"""Minimal rows for tests that need a document in the database but not a real upload."""

import datetime as dt
from typing import Any

from ella_dagster.db.models import ClassificationResult, RawImage


def raw_image(doc_id: str, **fields: Any) -> RawImage:
    defaults = {
        "case_id": "case_demo",
        "storage_key": "k",
        "original_key": "k",
        "original_filename": "f",
        "mime_type": "image/png",
        "file_size": 1,
    }
    return RawImage(id=doc_id, **{**defaults, **fields})


def history(doc_id: str, doc_type: str, confidence: float, at: dt.datetime) -> ClassificationResult:
    """One classification history row by the offline engine."""
    return ClassificationResult(
        raw_image_id=doc_id,
        engine="offline-tesseract",
        engine_version="v1",
        doc_type=doc_type,
        confidence=confidence,
        reasoning="",
        alternatives=[],
        created_at=at,
    )
