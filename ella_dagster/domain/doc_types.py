"""Document types, their categories and which ones get structured extraction."""

from __future__ import annotations

from enum import StrEnum


class DocType(StrEnum):
    SSN_CARD = "SSN_CARD"
    DRIVER_LICENSE = "DRIVER_LICENSE"
    PASSPORT = "PASSPORT"
    W2 = "W2"
    FORM_1099_INT = "FORM_1099_INT"
    FORM_1099_DIV = "FORM_1099_DIV"
    FORM_1099_NEC = "FORM_1099_NEC"
    FORM_1099_MISC = "FORM_1099_MISC"
    FORM_1099_K = "FORM_1099_K"
    FORM_1099_R = "FORM_1099_R"
    FORM_1099_G = "FORM_1099_G"
    FORM_1099_SSA = "FORM_1099_SSA"
    SCHEDULE_K1 = "SCHEDULE_K1"
    FORM_1098 = "FORM_1098"
    FORM_1098_T = "FORM_1098_T"
    FORM_1095_A = "FORM_1095_A"
    BANK_STATEMENT = "BANK_STATEMENT"
    PROFIT_LOSS_STATEMENT = "PROFIT_LOSS_STATEMENT"
    BUSINESS_LICENSE = "BUSINESS_LICENSE"
    EIN_LETTER = "EIN_LETTER"
    RECEIPT = "RECEIPT"
    BIRTH_CERTIFICATE = "BIRTH_CERTIFICATE"
    DAYCARE_RECEIPT = "DAYCARE_RECEIPT"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class Category(StrEnum):
    IDENTITY = "IDENTITY"
    INCOME = "INCOME"
    EXPENSE = "EXPENSE"
    ASSET = "ASSET"
    EDUCATION = "EDUCATION"
    HEALTHCARE = "HEALTHCARE"
    OTHER = "OTHER"


_CATEGORY: dict[DocType, Category] = {
    DocType.SSN_CARD: Category.IDENTITY,
    DocType.DRIVER_LICENSE: Category.IDENTITY,
    DocType.PASSPORT: Category.IDENTITY,
    DocType.BIRTH_CERTIFICATE: Category.IDENTITY,
    DocType.W2: Category.INCOME,
    DocType.FORM_1099_INT: Category.INCOME,
    DocType.FORM_1099_DIV: Category.INCOME,
    DocType.FORM_1099_NEC: Category.INCOME,
    DocType.FORM_1099_MISC: Category.INCOME,
    DocType.FORM_1099_K: Category.INCOME,
    DocType.FORM_1099_R: Category.INCOME,
    DocType.FORM_1099_G: Category.INCOME,
    DocType.FORM_1099_SSA: Category.INCOME,
    DocType.SCHEDULE_K1: Category.INCOME,
    DocType.BANK_STATEMENT: Category.INCOME,
    DocType.PROFIT_LOSS_STATEMENT: Category.INCOME,
    DocType.FORM_1098: Category.ASSET,
    DocType.BUSINESS_LICENSE: Category.OTHER,
    DocType.EIN_LETTER: Category.OTHER,
    DocType.FORM_1098_T: Category.EDUCATION,
    DocType.FORM_1095_A: Category.HEALTHCARE,
    DocType.RECEIPT: Category.EXPENSE,
    DocType.DAYCARE_RECEIPT: Category.EXPENSE,
    DocType.OTHER: Category.OTHER,
    DocType.UNKNOWN: Category.OTHER,
}

# Exclusion-based, as in the earlier system: these nine never get structured extraction.
_NOT_EXTRACTED = frozenset(
    {
        DocType.PASSPORT,
        DocType.PROFIT_LOSS_STATEMENT,
        DocType.BUSINESS_LICENSE,
        DocType.EIN_LETTER,
        DocType.RECEIPT,
        DocType.BIRTH_CERTIFICATE,
        DocType.DAYCARE_RECEIPT,
        DocType.OTHER,
        DocType.UNKNOWN,
    }
)
OCR_ELIGIBLE: frozenset[DocType] = frozenset(DocType) - _NOT_EXTRACTED
# Papers with no tax year of their own (identity documents, unknown paper): none is read or named.
NO_TAX_YEAR = frozenset(
    {
        DocType.SSN_CARD,
        DocType.DRIVER_LICENSE,
        DocType.PASSPORT,
        DocType.BIRTH_CERTIFICATE,
        DocType.UNKNOWN,
        DocType.OTHER,
    }
)
# The information returns that share the payer/recipient block (payer's name, TINs, recipient's name).
PAYER_FORMS = (
    DocType.FORM_1099_INT,
    DocType.FORM_1099_NEC,
    DocType.FORM_1099_DIV,
    DocType.FORM_1099_MISC,
    DocType.FORM_1099_K,
    DocType.FORM_1099_R,
    DocType.FORM_1099_G,
)


def category_of(doc_type: DocType | str) -> Category:
    return _CATEGORY[DocType(doc_type)]


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
    **{_squash(t.value.removeprefix("FORM_")): t for t in DocType if t.value.startswith("FORM_")},
    _squash("K-1"): DocType.SCHEDULE_K1,
    _squash("SSN"): DocType.SSN_CARD,
    _squash("DL"): DocType.DRIVER_LICENSE,
}


def parse_doc_type(text: str) -> DocType:
    """A document type as staff type it (W-2, w2, W2, 1099-INT, form_1099_int); ValueError otherwise."""
    found = _SPELLINGS.get(_squash(text))
    if found is None:
        raise ValueError(f"unknown document type {text[:40]!r} (for example W-2, 1099-INT, SSN_CARD)")
    return found
