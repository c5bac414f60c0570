"""Document types: one spec per type (category, evidence, extraction schema, prompt description,
tax-year rule, form invariants) in one registry, checked at import.

Adding a type: a `DocType` member (names.py), a `DocTypeSpec` in the module of its family, its place in
`_ALL` below, and a sample generator (samples.py). Everything else (prompts, rules, schemas, sources,
spellings) is derived from the registry."""

from __future__ import annotations

from ella_dagster.domain.doc_types import identity, information_returns, papers, tax_forms, wages
from ella_dagster.domain.doc_types.names import Category, DocType
from ella_dagster.domain.doc_types.registry import Registry, RegistryError
from ella_dagster.domain.doc_types.spec import DocTypeSpec, DocumentSchema, FieldSpec, Signature

__all__ = [
    "OCR_ELIGIBLE",
    "NO_TAX_YEAR",
    "PAYER_FORMS",
    "REGISTRY",
    "Category",
    "DocType",
    "DocTypeSpec",
    "DocumentSchema",
    "FieldSpec",
    "RegistryError",
    "Signature",
    "category_of",
    "is_ocr_eligible",
    "parse_doc_type",
    "short_code",
    "spec_for",
]

# The order evidence is weighed in when two types score the same (the rules engine keeps the first).
_ALL = (
    wages.W2,
    information_returns.FORM_1099_INT,
    information_returns.FORM_1099_DIV,
    information_returns.FORM_1099_NEC,
    information_returns.FORM_1099_MISC,
    information_returns.FORM_1099_K,
    information_returns.FORM_1099_R,
    information_returns.FORM_1099_G,
    information_returns.FORM_1099_SSA,
    tax_forms.SCHEDULE_K1,
    tax_forms.FORM_1098,
    tax_forms.FORM_1098_T,
    tax_forms.FORM_1095_A,
    papers.BANK_STATEMENT,
    papers.PROFIT_LOSS_STATEMENT,
    papers.BUSINESS_LICENSE,
    papers.EIN_LETTER,
    papers.RECEIPT,
    identity.BIRTH_CERTIFICATE,
    papers.DAYCARE_RECEIPT,
    identity.PASSPORT,
    identity.SSN_CARD,
    identity.DRIVER_LICENSE,
    papers.OTHER,
    papers.UNKNOWN,
)
REGISTRY = Registry(_ALL)
REGISTRY.require_complete()


def spec_for(doc_type: DocType | str) -> DocTypeSpec:
    return REGISTRY[doc_type]


# Exclusion-based, as in the earlier system: the types without a schema never get structured extraction.
OCR_ELIGIBLE: frozenset[DocType] = frozenset(s.doc_type for s in REGISTRY if s.extracted)
# Papers with no tax year of their own (identity documents, unknown paper): none is read or named.
NO_TAX_YEAR: frozenset[DocType] = frozenset(s.doc_type for s in REGISTRY if not s.has_tax_year)
# The information returns that share the payer/recipient block (payer's name, TINs, recipient's name).
PAYER_FORMS: tuple[DocType, ...] = tuple(
    s.doc_type for s in REGISTRY if s.schema is not None and "payer_name" in s.schema.field_names
)


def category_of(doc_type: DocType | str) -> Category:
    return REGISTRY[doc_type].category


def is_ocr_eligible(doc_type: DocType | str) -> bool:
    return DocType(doc_type) in OCR_ELIGIBLE


def short_code(doc_type: DocType | str) -> str:
    """`FORM_1099_INT` -> `1099_INT`: the form's own name, used in file names and tables."""
    value = DocType(doc_type).value
    return value.removeprefix("FORM_")


def _squash(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


# How staff write a type: W-2, w2, 1099-INT, 1099int, K-1, SSN card... -> the DocType, by its letters.
_SPELLINGS = {
    **{_squash(t.value): t for t in DocType},
    **{_squash(short_code(t)): t for t in DocType},
    **{_squash(spelling): s.doc_type for s in REGISTRY for spelling in s.spellings},
}


def parse_doc_type(text: str) -> DocType:
    """A document type as staff type it (W-2, w2, W2, 1099-INT, form_1099_int); ValueError otherwise."""
    found = _SPELLINGS.get(_squash(text))
    if found is None:
        raise ValueError(f"unknown document type {text[:40]!r} (for example W-2, 1099-INT, SSN_CARD)")
    return found
