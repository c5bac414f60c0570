from ella_dagster.domain.pii import mask_fields, mask_text


def test_ssn_ein_and_account_numbers_are_masked() -> None:
    text = "SSN 123-45-6789, EIN 12-3456789, acct 9123456789, ssn 987654321"
    masked = mask_text(text)
    for secret in ("123-45", "12-345", "912345", "98765"):
        assert secret not in masked
    assert "***-**-6789" in masked and "**-***6789" in masked and "***6789" in masked and "***-**-4321" in masked


def test_money_and_years_survive() -> None:
    assert mask_text("wages 52,340.17 in 2024") == "wages 52,340.17 in 2024"


def test_sensitive_field_names_are_masked_whatever_their_shape() -> None:
    masked = mask_fields({"employee_ssn": "123-45-6789", "license_number": "D1234567", "wages": "100.00"})
    assert masked == {"employee_ssn": "***6789", "license_number": "***4567", "wages": "100.00"}
