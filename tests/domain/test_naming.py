import datetime as dt

import pytest

from ella_dagster.domain.naming import (
    MAX_NAME_LENGTH,
    InvalidCaseId,
    NamingComponents,
    checked_case_id,
    document_name,
    remove_diacritics,
    renamed_key,
    sanitize_component,
    to_pascal_case,
)

TODAY = dt.date(2026, 3, 1)


def test_vietnamese_diacritics_are_removed() -> None:
    assert remove_diacritics("Nguyễn Văn Đức Hưởng") == "Nguyen Van Duc Huong"
    assert to_pascal_case("trần thị ánh") == "TranThiAnh"


def test_special_characters_and_pascal_case() -> None:
    assert sanitize_component("Google, LLC. (US)/#1", 30) == "GoogleLlcUs1"
    assert to_pascal_case("1099 int") == "1099Int"


def test_convention_example() -> None:
    parts = NamingComponents("W2", 2025, "google llc", "John Smith")
    assert document_name(parts, "pdf", today=TODAY) == "2025_W2_GoogleLlc_JohnSmith.pdf"


def test_long_names_are_capped_and_keep_the_extension() -> None:
    parts = NamingComponents(
        "FORM_1099_INT",
        2024,
        "The Extraordinarily Long Credit Union Of Everywhere",
        "Nguyễn Thị Phương Thảo Bảo Ngọc Hoàng",
    )
    name = document_name(parts, "jpeg", today=TODAY)
    assert len(name) <= MAX_NAME_LENGTH
    assert name.endswith(".jpeg") and name.startswith("2024_1099Int_")
    assert name.isascii() and " " not in name


def test_empty_source_is_left_out() -> None:
    parts = NamingComponents("SSN_CARD", 2024, "", "An Le")
    assert document_name(parts, "png", today=TODAY) == "2024_SsnCard_AnLe.png"


def test_missing_tax_year_uses_the_current_year() -> None:
    parts = NamingComponents("DRIVER_LICENSE", None, None, "An Le")
    assert document_name(parts, "jpg", today=TODAY) == "2026_DriverLicense_AnLe.jpg"


def test_renamed_key_moves_to_docs_and_keeps_extension() -> None:
    key = renamed_key("case_1", "cases/case_1/raw/abc.PNG", NamingComponents("W2", 2024, "Acme", "Bo"), today=TODAY)
    assert key == "cases/case_1/docs/2024_W2_Acme_Bo.png"


def test_unsafe_case_ids_are_refused() -> None:
    with pytest.raises(ValueError):
        renamed_key("../etc", "cases/x/raw/a.pdf", NamingComponents("W2", 2024, None, None))


@pytest.mark.parametrize("case_id", ["../etc", "case 1", "case.2024", "", "x" * 65, "case_1\n", "case/1"])
def test_an_invalid_case_id_is_one_clear_line(case_id: str) -> None:
    with pytest.raises(InvalidCaseId) as refused:
        checked_case_id(case_id)
    message = str(refused.value)
    assert isinstance(refused.value, ValueError) and "\n" not in message
    assert message.startswith("invalid case id") and "letters, digits, '_' or '-'" in message
    assert len(message) < 200


def test_valid_case_ids_pass_unchanged() -> None:
    assert checked_case_id("case_demo") == "case_demo" and checked_case_id("C-2024_1") == "C-2024_1"
