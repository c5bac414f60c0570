"""Step results as Dagster metadata: typed where Dagster can plot it, masked everywhere."""

from __future__ import annotations

from typing import Any

from dagster import MetadataValue

from ella_dagster.domain.pii import mask_fields, mask_text

_UNMASKED = {"sha256", "phash"}  # hex digests, not identifiers


def to_metadata(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            out[name] = MetadataValue.null()
        elif isinstance(value, bool | int | float):
            out[name] = value
        elif isinstance(value, str):
            out[name] = value if name in _UNMASKED else mask_text(value)
        elif isinstance(value, dict):
            out[name] = MetadataValue.json(mask_fields(value))
        else:
            out[name] = MetadataValue.json([mask_text(v) if isinstance(v, str) else v for v in value])
    return out
