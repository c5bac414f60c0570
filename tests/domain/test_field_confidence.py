"""Per-field confidence: validators raise a well-formed value and lower a malformed or contradicted one."""

from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.field_confidence import LOW, field_confidences, value_is_valid

W2 = {
    "employer_ein": "12-3456789",
    "employee_ssn": "123-45-6789",
    "wages": "50000.00",
    "social_security_wages": "50000.00",
    "social_security_tax": "3100.00",
    "medicare_wages": "50000.00",
    "medicare_tax": "725.00",
}


def test_kind_validators_know_what_the_values_mean() -> None:
    assert value_is_valid("ssn", "123-45-6789")
    assert not value_is_valid("ssn", "000-12-3456")  # no SSN starts with 000, 666 or has group 00
    assert not value_is_valid("ssn", "666-12-3456") and not value_is_valid("ssn", "123-00-4567")
    assert not value_is_valid("ssn", "912-70-1234")  # an ITIN: a TIN, not an SSN
    assert value_is_valid("tin", "912-70-1234") and value_is_valid("tin", "12-3456789")
    assert value_is_valid("date", "2024-02-29") and not value_is_valid("date", "2023-02-29")
    assert value_is_valid("money", "1234.50") and not value_is_valid("money", "12,34")
    assert not value_is_valid("year", "1850")


def test_a_consistent_w2_scores_every_field_high() -> None:
    scores = field_confidences(DocType.W2, W2)
    assert set(scores) == set(W2)
    assert all(v >= 0.9 for v in scores.values()), scores
    # Box 4 agrees with 6.2 % of box 3: both sides are raised above a lone valid field.
    assert scores["social_security_tax"] > scores["wages"]


def test_a_misread_digit_lowers_the_dependent_field_only() -> None:
    scores = field_confidences(DocType.W2, {**W2, "social_security_tax": "8100.00"})
    assert scores["social_security_tax"] < LOW <= scores["social_security_wages"]


def test_malformed_values_fall_under_the_review_line() -> None:
    scores = field_confidences(DocType.W2, {**W2, "employee_ssn": "000-45-6789", "wages": "lots"})
    assert scores["employee_ssn"] < LOW and scores["wages"] < LOW
    assert scores["employer_ein"] >= 0.9


def test_one_number_read_as_both_parties_tins_lowers_both() -> None:
    fields = {"payer_tin": "12-3456789", "recipient_tin": "12-3456789", "box_1": "10.00"}
    scores = field_confidences(DocType.FORM_1099_NEC, fields)
    assert scores["payer_tin"] < 0.7 and scores["recipient_tin"] < 0.7 and scores["box_1"] >= 0.9


def test_fields_outside_the_schema_and_types_without_one_are_ignored() -> None:
    assert field_confidences(DocType.W2, {"favourite_colour": "blue"}) == {}
    assert field_confidences(DocType.PASSPORT, {"name": "x"}) == {}


def test_a_poor_reading_keeps_a_valid_value_under_the_trusted_line() -> None:
    clean = field_confidences(DocType.W2, W2, {name: 1.0 for name in W2})
    assert clean == field_confidences(DocType.W2, W2)  # a clean reading changes nothing
    # Read from the text lines (0.6), across a cell border (0.2): valid values, not trusted.
    scores = field_confidences(DocType.W2, W2, {"employer_ein": 0.6, "employee_ssn": 0.2})
    assert scores["employer_ein"] < 0.9 and scores["employee_ssn"] < LOW
    assert scores["wages"] >= 0.9


def test_a_value_over_a_form_limit_scores_low() -> None:
    # Box 2 repeating box 1 (a neighbour's amount), wages with another box's digits glued on.
    scores = field_confidences(DocType.W2, {**W2, "federal_tax_withheld": "50000.00"})
    assert scores["federal_tax_withheld"] < LOW <= scores["wages"]
    scores = field_confidences(DocType.W2, {**W2, "wages": "603150000.00"})
    assert scores["wages"] < LOW <= scores["medicare_wages"]
    scores = field_confidences(DocType.FORM_1099_INT, {"box_1": "120.00", "box_4": "120.00"})
    assert scores["box_4"] < LOW <= scores["box_1"]
