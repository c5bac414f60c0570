"""Boundaries of a scanned bundle from per-page readings (no OCR: the readings are made up)."""

from __future__ import annotations

from ella_dagster.domain.bundles import (
    SPLIT_CONFIDENCE,
    PageReading,
    PageSignals,
    page_signals,
    plan_bundle,
)
from ella_dagster.domain.doc_types import DocType

TITLED = PageSignals(title=True)


def page(
    number: int,
    doc_type: DocType,
    confidence: float = 0.95,
    *,
    year: int | None = 2024,
    source: str | None = None,
    signals: PageSignals = TITLED,
    identity: dict[str, str] | None = None,
) -> PageReading:
    return PageReading(number, doc_type, confidence, year, source, signals, identity or {})


def ranges(plan) -> list[tuple[int, int, DocType]]:
    return [(s.first_page, s.last_page, s.doc_type) for s in plan.segments]


def test_three_forms_of_three_types_are_three_documents() -> None:
    plan = plan_bundle(
        [
            page(1, DocType.W2, source="Acme Tools Inc"),
            page(2, DocType.FORM_1099_INT, source="Blue River Bank"),
            page(3, DocType.DRIVER_LICENSE, 0.8, year=None, signals=PageSignals(title=True)),
            page(4, DocType.UNKNOWN, 0.2, year=None, signals=PageSignals(card_back=True)),
        ]
    )
    assert ranges(plan) == [(1, 1, DocType.W2), (2, 2, DocType.FORM_1099_INT), (3, 4, DocType.DRIVER_LICENSE)]
    assert plan.should_split and not plan.needs_review
    assert plan.confidence >= SPLIT_CONFIDENCE


def test_a_one_document_multi_page_pdf_stays_one_segment() -> None:
    plan = plan_bundle(
        [
            page(1, DocType.FORM_1095_A, 0.8),
            page(2, DocType.FORM_1095_A, 0.55, signals=PageSignals(title=True, page_of=(2, 2))),
        ]
    )
    assert ranges(plan) == [(1, 2, DocType.FORM_1095_A)]
    assert not plan.should_split and not plan.needs_review


def test_statement_pages_continue_their_statement() -> None:
    plan = plan_bundle(
        [
            page(1, DocType.BANK_STATEMENT, 0.9, source="Harbor Credit Union"),
            page(2, DocType.UNKNOWN, 0.15, signals=PageSignals(continued=True, page_of=(2, 3))),
            page(3, DocType.UNKNOWN, 0.12, signals=PageSignals()),
        ]
    )
    assert ranges(plan) == [(1, 3, DocType.BANK_STATEMENT)]


def test_copies_of_one_w2_are_one_document_two_employees_are_two() -> None:
    same = {"employee_ssn": "123-45-6789", "employer_ein": "12-3456789"}
    copies = plan_bundle(
        [page(1, DocType.W2, source="Acme", identity=same), page(2, DocType.W2, source="Acme", identity=same)]
    )
    assert ranges(copies) == [(1, 2, DocType.W2)] and not copies.needs_review
    other = {"employee_ssn": "987-65-4321", "employer_ein": "12-3456789"}
    spouses = plan_bundle(
        [page(1, DocType.W2, source="Acme", identity=same), page(2, DocType.W2, source="Acme", identity=other)]
    )
    assert ranges(spouses) == [(1, 1, DocType.W2), (2, 2, DocType.W2)] and spouses.should_split


def test_two_cards_of_one_type_are_two_documents_a_copy_of_one_card_is_one() -> None:
    untitled = PageSignals()
    first, second = {"license_number": "C1234567"}, {"license_number": "T7654321"}
    two = plan_bundle(
        [
            page(1, DocType.DRIVER_LICENSE, 0.8, year=None, signals=untitled, identity=first),
            page(2, DocType.UNKNOWN, 0.17, year=None, signals=PageSignals(card_back=True)),
            page(3, DocType.DRIVER_LICENSE, 0.8, year=None, signals=untitled, identity=second),
        ]
    )
    assert ranges(two) == [(1, 2, DocType.DRIVER_LICENSE), (3, 3, DocType.DRIVER_LICENSE)] and two.should_split
    copy = plan_bundle(
        [
            page(1, DocType.DRIVER_LICENSE, 0.8, year=None, signals=untitled, identity=first),
            page(2, DocType.DRIVER_LICENSE, 0.8, year=None, signals=untitled, identity=first),
        ]
    )
    assert len(copy.segments) == 1 and not copy.needs_review
    unreadable = plan_bundle(
        [
            page(1, DocType.DRIVER_LICENSE, 0.8, year=None, signals=untitled, identity=first),
            page(2, DocType.DRIVER_LICENSE, 0.8, year=None, signals=untitled),
        ]
    )
    assert unreadable.needs_review and not unreadable.should_split


def test_one_ocr_misread_digit_is_still_the_same_form() -> None:
    a, b = {"payer_tin": "12-3456789"}, {"payer_tin": "12-3456780"}
    plan = plan_bundle([page(1, DocType.FORM_1099_INT, identity=a), page(2, DocType.FORM_1099_INT, identity=b)])
    assert len(plan.segments) == 1


def test_a_new_payer_or_tax_year_starts_a_new_form_of_the_same_type() -> None:
    payers = plan_bundle(
        [page(1, DocType.FORM_1099_INT, source="Google LLC"), page(2, DocType.FORM_1099_INT, source="Blue River Bank")]
    )
    assert len(payers.segments) == 2 and payers.should_split
    years = plan_bundle([page(1, DocType.W2, year=2023, source="Acme"), page(2, DocType.W2, year=2024, source="Acme")])
    assert len(years.segments) == 2 and years.should_split


def test_page_one_of_n_starts_and_page_k_of_n_continues() -> None:
    plan = plan_bundle(
        [
            page(1, DocType.SCHEDULE_K1, signals=PageSignals(title=True, page_of=(1, 2))),
            page(2, DocType.UNKNOWN, 0.2, signals=PageSignals(page_of=(2, 2))),
            page(3, DocType.SCHEDULE_K1, signals=PageSignals(title=True, page_of=(1, 2))),
            page(4, DocType.SCHEDULE_K1, 0.7, signals=PageSignals(title=True, page_of=(2, 2))),
        ]
    )
    assert ranges(plan) == [(1, 2, DocType.SCHEDULE_K1), (3, 4, DocType.SCHEDULE_K1)]


def test_an_untyped_cover_page_before_a_form_is_a_segment_of_its_own() -> None:
    plan = plan_bundle([page(1, DocType.UNKNOWN, 0.2, signals=PageSignals()), page(2, DocType.W2)])
    assert ranges(plan) == [(1, 1, DocType.UNKNOWN), (2, 2, DocType.W2)]


def test_a_doubtful_boundary_goes_to_staff_instead_of_splitting() -> None:
    # The same form heading again, but neither the payer nor any number could be read on the second page.
    plan = plan_bundle([page(1, DocType.FORM_1099_NEC, year=None), page(2, DocType.FORM_1099_NEC, year=None)])
    assert plan.confidence < SPLIT_CONFIDENCE
    assert not plan.should_split and plan.needs_review
    assert plan.describe() == [
        {"pages": "1", "doc_type": "FORM_1099_NEC", "confidence": 0.95},
        {"pages": "2", "doc_type": "FORM_1099_NEC", "confidence": 0.95},
    ]


def test_a_page_that_may_be_another_form_is_doubtful_even_in_one_segment() -> None:
    plan = plan_bundle([page(1, DocType.W2), page(2, DocType.FORM_1099_INT, 0.5)])
    assert len(plan.segments) == 2 and plan.confidence == 0.5
    assert not plan.should_split and plan.needs_review


def test_one_page_is_one_segment_with_full_confidence() -> None:
    plan = plan_bundle([page(1, DocType.W2)])
    assert ranges(plan) == [(1, 1, DocType.W2)] and plan.confidence == 1.0
    assert not plan.should_split and not plan.needs_review
    assert plan_bundle([]).segments == ()


def test_page_signals_read_from_text() -> None:
    first = page_signals(
        "Form W-2 Wage and Tax Statement 2024\nCopy B - To Be Filed With Employee's FEDERAL Tax Return"
    )
    assert first.title and first.page_of is None and not first.continued
    second = page_signals("Form 1095-A (2024)    Page 2 of 2\nInstructions for Recipient")
    assert second.page_of == (2, 2)
    assert page_signals("Checking Account Statement (continued)\n03/04 Deposit 120.00").continued
    assert page_signals("Account activity\nPage 3\n03/04 Deposit 120.00").continued
    back = page_signals("RESTRICTIONS: NONE\nENDORSEMENTS: NONE\nORGAN DONOR")
    assert back.card_back and not back.title
    assert not page_signals("Spring planting day is on April 4.\nPlease bring gloves.").title
