"""Document types as staff type them."""

import pytest

from ella_dagster.domain.doc_types import DocType, parse_doc_type


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("W-2", DocType.W2),
        ("w2", DocType.W2),
        ("W2", DocType.W2),
        ("1099-INT", DocType.FORM_1099_INT),
        ("form_1099_int", DocType.FORM_1099_INT),
        ("1099int", DocType.FORM_1099_INT),
        ("K-1", DocType.SCHEDULE_K1),
        ("ssn card", DocType.SSN_CARD),
        ("1095-A", DocType.FORM_1095_A),
    ],
)
def test_spellings_staff_use(text: str, expected: DocType) -> None:
    assert parse_doc_type(text) is expected


@pytest.mark.parametrize("text", ["W-9", "", "1099", "statement"])
def test_an_unknown_type_is_an_error_not_an_empty_match(text: str) -> None:
    with pytest.raises(ValueError, match="unknown document type"):
        parse_doc_type(text)
