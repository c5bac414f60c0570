"""Evidence rules on text, without OCR."""

from ella_dagster.domain.doc_types import DocType
from ella_dagster.engines import rules


def test_tax_year_prefers_the_labelled_year_then_recent_years() -> None:
    assert rules.tax_year("Form 1099-INT  For calendar year 2021  OMB 1545-0112") == 2021
    assert rules.tax_year("Martin, 1984 Lena Lane  $ 2000  2018 2018") == 2018
    assert rules.tax_year("wages 2000.00 and $ 2021") is None
    assert rules.tax_year("born 1985, 1984 Lena Lane") is None


def test_hard_negatives_are_other_and_never_auto_link() -> None:
    doc_type, confidence, _, _ = rules.classify_text(
        "Form W-9 Request for Taxpayer Identification Number and Certification  Part I Taxpayer Identification"
    )
    assert doc_type is DocType.OTHER and confidence < 0.6


def test_a_1099_variant_is_told_apart_by_its_title() -> None:
    text = (
        "Form 1099-DIV Dividends and Distributions  PAYER'S TIN  RECIPIENT'S TIN  1a Total ordinary dividends"
        "  1b Qualified dividends  4 Federal income tax withheld"
    )
    assert rules.classify_text(text)[0] is DocType.FORM_1099_DIV


def test_dashes_as_ocr_reads_them() -> None:
    assert rules.ssn("SSN 123\u201445\u20146789") == "123-45-6789"
    assert rules.ein("EIN 12~3456789") == "12-3456789"
