"""Minimal rows for tests that need a document in the database but not a real upload."""

from typing import Any

from ella_dagster.db.models import RawImage


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
