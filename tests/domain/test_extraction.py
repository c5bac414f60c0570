from ella_dagster.domain.doc_types import OCR_ELIGIBLE, DocType
from ella_dagster.domain.extraction import merge_pages, same_paper, schema_for, validation_errors


def test_later_pages_override_earlier_ones() -> None:
    merged, origin = merge_pages([{"box_1": "10.00", "payer_name": "Bank"}, {"box_1": "12.50", "box_4": ""}])
    assert merged == {"box_1": "12.50", "payer_name": "Bank"}
    assert origin == {"box_1": 2, "payer_name": 1}


def test_schema_rejects_bad_formats_without_echoing_values() -> None:
    errors = validation_errors(DocType.W2, {"employee_ssn": "123456789", "wages": "1,000.00", "bogus": "x"})
    assert [(e.field, e.rule) for e in errors] == [
        ("(root)", "additionalProperties"),
        ("employee_ssn", "pattern"),
        ("wages", "pattern"),
    ]
    assert all(e.as_dict() == {"field": e.field, "rule": e.rule} for e in errors)
    assert str(errors[1]) == "employee_ssn: pattern failed"
    assert not any("123456789" in str(e) or "1,000" in str(e) for e in errors)


def test_valid_w2_has_no_errors_and_schema_is_versioned() -> None:
    fields = {
        "employee_ssn": "123-45-6789",
        "employer_ein": "12-3456789",
        "wages": "1000.00",
        "tax_year": "2024",
    }
    assert validation_errors(DocType.W2, fields) == []
    assert schema_for(DocType.W2).json_schema()["$id"].endswith(":1.1")  # 1.1: state boxes 15-17
    assert schema_for(DocType.FORM_1099_INT).json_schema()["$id"].endswith(":1.0")


def test_same_paper_needs_every_identity_field() -> None:
    a = {"employer_ein": "12-3456789", "employee_ssn": "123-45-6789", "wages": "1000.00"}
    assert same_paper(DocType.W2, a, dict(a))
    assert not same_paper(DocType.W2, a, {**a, "wages": "1000.01"})
    assert not same_paper(DocType.W2, {**a, "wages": None}, {**a, "wages": None})


def test_sixteen_types_are_ocr_eligible() -> None:
    assert len(OCR_ELIGIBLE) == 16
    assert DocType.RECEIPT not in OCR_ELIGIBLE and DocType.W2 in OCR_ELIGIBLE


def test_w2_amounts_that_disagree_lower_the_confidence() -> None:
    from ella_dagster.domain.extraction import confidence_for, inconsistencies

    good = {
        "employer_ein": "12-3456789",
        "employee_ssn": "123-45-6789",
        "wages": "1000.00",
        "federal_tax_withheld": "100.00",
        "social_security_wages": "1000.00",
        "social_security_tax": "62.00",
    }
    misread = {**good, "social_security_tax": "82.00"}
    assert inconsistencies(DocType.W2, good) == []
    assert inconsistencies(DocType.W2, misread) == ["social_security_tax is not 6.20% of social_security_wages"]
    assert confidence_for(DocType.W2, misread) == round(confidence_for(DocType.W2, good) - 0.1, 4)


def test_every_ocr_eligible_type_has_a_versioned_schema() -> None:
    for doc_type in OCR_ELIGIBLE:
        schema = schema_for(doc_type)
        assert schema is not None and schema.key_fields, doc_type
        assert all(name.islower() and " " not in name for name in schema.field_names)


def test_form_limits_name_the_field_that_breaks_them() -> None:
    from ella_dagster.domain.extraction import inconsistencies

    w2 = {"wages": "50000.00", "federal_tax_withheld": "50000.00", "medicare_wages": "50000.00"}
    assert inconsistencies(DocType.W2, w2) == ["federal_tax_withheld exceeds wages"]
    glued = {"wages": "603120504.61", "medicare_wages": "50000.00", "social_security_wages": "250000.00"}
    assert inconsistencies(DocType.W2, glued) == [
        "social_security_wages exceeds its legal maximum",
        "social_security_wages exceeds medicare_wages",
        "wages exceeds medicare_wages",
    ]
    assert inconsistencies(DocType.FORM_1099_INT, {"box_1": "100.00", "box_4": "100.00"}) == ["box_4 exceeds box_1"]
    assert inconsistencies(DocType.FORM_1099_INT, {"box_1": "100.00", "box_4": "24.00"}) == []


def test_readings_follow_the_page_each_value_came_from() -> None:
    from ella_dagster.domain.extraction import merge_readings

    pages = [{"wages": "1.00", "tax_year": "2024"}, {"wages": "2.00"}]
    assert merge_readings(pages, [{"wages": 1.0, "tax_year": 0.6}, {"wages": 0.3}]) == {"wages": 0.3, "tax_year": 0.6}


def test_errors_stored_before_they_were_structured_read_as_field_and_rule() -> None:
    from ella_dagster.domain.extraction import stored_errors

    old_and_new = ["employee_ssn: pattern failed", {"field": "wages", "rule": "pattern"}]
    assert stored_errors(old_and_new) == [
        {"field": "employee_ssn", "rule": "pattern"},
        {"field": "wages", "rule": "pattern"},
    ]


def test_a_1099_k_card_not_present_amount_above_the_gross_is_doubted() -> None:
    from ella_dagster.domain.extraction import inconsistencies

    assert inconsistencies(DocType.FORM_1099_K, {"box_1a": "1000.00", "box_1b": "400.00"}) == []
    assert inconsistencies(DocType.FORM_1099_K, {"box_1a": "1000.00", "box_1b": "4000.00"}) == ["box_1b exceeds box_1a"]
