"""Extraction schemas (from the document-type registry), validation and multi-page merging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema

from ella_dagster.domain.confidence import extraction_confidence
from ella_dagster.domain.doc_types import REGISTRY, DocType
from ella_dagster.domain.doc_types.spec import KIND_PATTERNS, SCHEMA_VERSION, DocumentSchema, FieldSpec

__all__ = ["KIND_PATTERNS", "SCHEMA_VERSION", "SCHEMAS", "DocumentSchema", "FieldError", "FieldSpec"]

SCHEMAS: dict[DocType, DocumentSchema] = {s.doc_type: s.schema for s in REGISTRY if s.schema is not None}
# Amounts that must agree, and limits amounts stay under, on a valid form (see DocTypeSpec.rates/bounds).
CONSISTENCY = {s.doc_type: s.rates for s in REGISTRY if s.rates}
BOUNDS = {s.doc_type: s.bounds for s in REGISTRY if s.bounds}
INCONSISTENCY_PENALTY = 0.1


@dataclass(frozen=True)
class FieldError:
    """A value that breaks its schema: the field (a JSON path, "(root)" for the object) and the rule
    (the JSON-schema keyword: pattern, additionalProperties...). Never the value: it may be an SSN."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule} failed"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule}


def stored_errors(rows: Sequence[Any]) -> list[dict[str, str]]:
    """Stored validation errors as {field, rule}: rows written before errors were structured hold
    "field: rule failed" strings."""
    errors = []
    for row in rows:
        if isinstance(row, str):
            name, _, rule = row.partition(": ")
            row = {"field": name, "rule": rule.removesuffix(" failed")}
        errors.append({"field": str(row["field"]), "rule": str(row["rule"])})
    return errors


def schema_for(doc_type: DocType | str) -> DocumentSchema | None:
    return SCHEMAS.get(DocType(doc_type))


def validation_errors(doc_type: DocType | str, fields: Mapping[str, Any]) -> list[FieldError]:
    schema = schema_for(doc_type)
    if schema is None:
        return [FieldError("(root)", f"schema of {DocType(doc_type).value}")]
    validator = jsonschema.Draft202012Validator(schema.json_schema())
    errors = {
        FieldError("/".join(map(str, e.path)) or "(root)", str(e.validator))
        for e in validator.iter_errors(dict(fields))
    }
    return sorted(errors, key=lambda e: (e.field, e.rule))


def merge_readings(pages: Sequence[Mapping[str, Any]], readings: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """How cleanly the engine read each merged field: the reading of the page its value came from."""
    _, origin = merge_pages(pages)
    return {name: readings[page - 1][name] for name, page in origin.items() if name in readings[page - 1]}


def merge_pages(pages: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, int]]:
    """Later pages override earlier ones (corrections come after); returns the merge and each field's page."""
    merged: dict[str, Any] = {}
    origin: dict[str, int] = {}
    for number, page in enumerate(pages, start=1):
        for name, value in page.items():
            if value not in (None, ""):
                merged[name] = value
                origin[name] = number
    return merged, origin


def consistency_checks(doc_type: DocType | str, fields: Mapping[str, Any]) -> list[tuple[str, str, float, bool]]:
    """Each rule whose two amounts are both read: (field, base field, rate, holds)."""
    results = []
    for name, base, rate in CONSISTENCY.get(DocType(doc_type), ()):
        try:
            value, expected = float(fields[name]), float(fields[base]) * rate
        except (KeyError, TypeError, ValueError):  # missing or not an amount: nothing to compare
            continue
        results.append((name, base, rate, abs(value - expected) <= max(1.0, abs(expected) * 0.01)))
    return results


def bound_checks(doc_type: DocType | str, fields: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """Each limit whose amounts are read: (field, what bounds it, holds)."""
    results = []
    for name, base, ratio in BOUNDS.get(DocType(doc_type), ()):
        try:
            value = float(fields[name])
            limit = (float(base) if isinstance(base, float) else float(fields[base])) * ratio
        except (KeyError, TypeError, ValueError):
            continue
        what = base if isinstance(base, str) else "its legal maximum"
        results.append((name, what, value <= limit + 0.01))
    return results


def inconsistencies(doc_type: DocType | str, fields: Mapping[str, Any]) -> list[str]:
    """Checksum-like rules that fail (e.g. W-2 box 4 is 6.2 % of box 3); a misread digit shows here."""
    return [
        f"{name} is not {rate:.2%} of {base}"
        for name, base, rate, holds in consistency_checks(doc_type, fields)
        if not holds
    ] + [f"{name} exceeds {what}" for name, what, holds in bound_checks(doc_type, fields) if not holds]


def confidence_for(doc_type: DocType | str, fields: Mapping[str, Any]) -> float:
    """The completeness formula, lowered for every consistency rule the values break."""
    schema = schema_for(doc_type)
    assert schema is not None
    score = extraction_confidence(fields, schema.key_fields, schema.field_names)
    return round(max(0.0, score - INCONSISTENCY_PENALTY * len(inconsistencies(doc_type, fields))), 4)


def same_paper(doc_type: DocType | str, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True only when every identity field is present in both and equal: zero false merges."""
    schema = schema_for(doc_type)
    if schema is None or not schema.identity:
        return False
    return all(a.get(n) not in (None, "") and a.get(n) == b.get(n) for n in schema.identity)
