"""What the project knows of one document type, as plain data: `DocTypeSpec` and its parts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ella_dagster.domain.doc_types.names import Category, DocType

SCHEMA_VERSION = "1.0"

# Value kinds and their JSON-schema patterns. Money is a decimal string, dates are ISO 8601.
KIND_PATTERNS = {
    "money": r"^-?\d+(\.\d{2})?$",
    "ssn": r"^\d{3}-\d{2}-\d{4}$",
    "tin": r"^(\d{3}-\d{2}-\d{4}|\d{2}-\d{7})$",
    "ein": r"^\d{2}-\d{7}$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "year": r"^(19|20)\d{2}$",
    "state": r"^[A-Z]{2}$",
    "code": r"^[A-Za-z0-9][A-Za-z0-9*-]*$",  # identifiers: license, policy and account numbers
    "text": r"\S",
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # a key of KIND_PATTERNS
    label: str  # the box's own name on the form
    key: bool = False


def f(name: str, kind: str, label: str, key: bool = False) -> FieldSpec:
    """A schema field, short enough to read a form's boxes as a list."""
    return FieldSpec(name, kind, label, key)


@dataclass(frozen=True)
class DocumentSchema:
    doc_type: DocType
    fields: tuple[FieldSpec, ...]
    # Fields that must agree before two near-identical uploads are treated as one paper.
    identity: tuple[str, ...] = ()
    version: str = SCHEMA_VERSION
    aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def key_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.key]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def json_schema(self) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"ella:{self.doc_type.value.lower()}:{self.version}",
            "type": "object",
            "additionalProperties": False,
            # The box's own name, for readers who know the form ("interest_income" is box_1).
            "x-aliases": dict(self.aliases),
            "properties": {
                f.name: {"type": ["string", "null"], "pattern": KIND_PATTERNS[f.kind], "description": f.label}
                for f in self.fields
            },
        }


@dataclass(frozen=True)
class Signature:
    """What is printed on the paper, as case-insensitive patterns the rules engine weighs."""

    doc_type: DocType
    titles: tuple[str, ...]
    labels: tuple[str, ...]
    negatives: tuple[str, ...] = ()
    # How many labels count as all of them. An ID card prints only some of its many possible labels,
    # and OCR of a small card loses some more: any `enough` of them is full label evidence.
    enough: int | None = None

    @property
    def patterns(self) -> tuple[str, ...]:
        return (*self.titles, *self.labels, *self.negatives)


# Amounts that must agree on a valid form: (field, base field, rate), field = base * rate within 1 %.
Rate = tuple[str, str, float]
# Amounts a valid form keeps under a limit: (field, base field or a constant, ratio), field <= base * ratio.
Bound = tuple[str, "str | float", float]


@dataclass(frozen=True)
class DocTypeSpec:
    """One document type, whole: adding a type is adding one of these (and a sample generator)."""

    doc_type: DocType
    category: Category
    description: str  # what a vision model is told the type is (engines/prompts.py)
    evidence: Signature | None  # None: a type no evidence leads to (UNKNOWN)
    schema: DocumentSchema | None = None  # None: never extracted (receipts, letters, passports)
    source_field: str | None = None  # the schema field naming the employer, payer, lender or bank
    has_tax_year: bool = True  # False: identity papers and unknown paper have no tax year of their own
    rates: tuple[Rate, ...] = ()
    bounds: tuple[Bound, ...] = ()
    spellings: tuple[str, ...] = ()  # how staff write it besides its own name ("K-1", "DL")

    @property
    def extracted(self) -> bool:
        return self.schema is not None
