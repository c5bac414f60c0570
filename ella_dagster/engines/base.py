"""What every engine returns, independent of how it reads the document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.extraction import merge_readings


@dataclass(frozen=True)
class Classification:
    doc_type: DocType
    confidence: float
    reasoning: str
    tax_year: int | None = None
    source: str | None = None
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    engine: str = ""
    engine_version: str = ""
    seconds: float = 0.0
    usage: dict[str, Any] = field(default_factory=dict)  # model, tokens, latency, attempts (no PII)


@dataclass(frozen=True)
class PageFields:
    page: int
    fields: dict[str, Any]
    confidence: float
    # How cleanly each field was read, in [0, 1] (1: a clean token in its own cell, next to its label);
    # empty when the engine does not say. domain.field_confidence weighs it with the validators.
    readings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Extraction:
    doc_type: DocType
    pages: list[PageFields]
    seconds: float = 0.0
    usage: dict[str, Any] = field(default_factory=dict)

    def readings(self) -> dict[str, float]:
        """Each merged field's reading (from the page its value came from, later pages winning)."""
        return merge_readings([p.fields for p in self.pages], [p.readings for p in self.pages])


class Engine(Protocol):
    name: str
    version: str

    def classify(self, data: bytes, mime_type: str) -> Classification: ...

    def extract(self, data: bytes, mime_type: str, doc_type: DocType) -> Extraction: ...

    def can_extract(self, doc_type: DocType) -> bool: ...
