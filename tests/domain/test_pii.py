from ella_dagster.domain.errors import MAX_ERROR_LENGTH, sanitize_error
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


def test_error_text_keeps_ids_counts_sizes_and_timestamps() -> None:
    # What the hostile tester saw garbled: an upload id and a pixel count.
    for text in (
        "upload 01a2b3c47079deadbeef failed",
        "Image size (144000000 pixels) exceeds limit of 89478485 pixels, could be decompression bomb DOS attack.",
        "file of 10485760 bytes, 12 pages, at 1712345678 (ms 1712345678901), marker _uploads/20240115/0193acc12345678",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, phash 8f373714acfcf4d0",
        "uuid 123e4567-e89b-12d3-a456-426614174000 at 2024-01-15T10:30:45.123456Z",
        "wages 1234567890.00 and 52,340.17, phone 555-123-4567, zip 12345-6789, version 1.123-45-6789",
        "[parameters: ('01a2b3c47079deadbeef', 'case_demo', 123456789, 987654321012)]",
    ):
        assert mask_text(text) == text


def test_bare_numbers_are_masked_only_when_a_label_says_what_they_are() -> None:
    masked = mask_text(
        "Social Security Number (SSN): 123456789; employer identification number 987654321; "
        'TIN 12-3456789; {"employee_ssn": "234567890", "account_number": "000123456789"}; '
        "SSNs 345678901, 456789012 and 567890123; acct#12345678; routing no. 021000021; "
        "driver's license D1234567; card 4111 1111 1111 1111 paid"
    )
    for secret in ("12345", "98765", "3456789", "23456", "0001234", "34567", "45678", "56789", "D123", "2100"):
        assert secret not in masked, secret
    assert "(SSN): ***-**-6789" in masked and "number **-***4321" in masked and "TIN **-***6789" in masked
    assert '"employee_ssn": "***-**-7890"' in masked and '"account_number": "***6789"' in masked
    assert "acct#***5678" in masked and "license ***4567" in masked
    assert "4111 1111 1111 1111" in masked  # no label: a number, not an identifier
    assert mask_text("ids 123456789 and 987654321") == "ids 123456789 and 987654321"


def test_unlabelled_dashed_identifiers_are_masked_when_their_numbers_are_valid() -> None:
    masked = mask_text("seen 123-45-6789, 123 45 6789, ITIN 912-70-1234 and 912-55-1234, EIN 10-1234567")
    assert masked == "seen ***-**-6789, ***-**-6789, ITIN ***-**-1234 and ***-**-1234, EIN **-***4567"
    # not SSNs (area 000 / 666, group 00, serial 0000, 9xx outside the ITIN groups) and not an EIN prefix
    for text in ("000-12-3456", "666-12-3456", "123-00-4567", "123-45-0000", "912-01-2345", "07-1234567"):
        assert mask_text(f"value {text}") == f"value {text}"
    # glued to letters or digits: part of another token
    assert mask_text("abc123-45-6789 123-45-6789abc 1-123-45-6789") == "abc123-45-6789 123-45-6789abc 1-123-45-6789"
    assert mask_text("scan_123-45-6789.png") == "scan_***-**-6789.png"


def test_masking_is_idempotent() -> None:
    text = "SSN 123456789, EIN 12-3456789, acct 9123456789, upload 01a2b3c47079deadbeef (144000000 pixels)"
    once = mask_text(text)
    assert mask_text(once) == once


def test_field_names_mask_as_whole_words() -> None:
    masked = mask_fields({"payerTIN": "12-3456789", "account_holder": "Jo", "reinvested": "1234", "box_1": "12.00"})
    assert masked == {"payerTIN": "***6789", "account_holder": "***", "reinvested": "1234", "box_1": "12.00"}


def test_sanitize_error_is_one_readable_line_without_secrets() -> None:
    text = (
        "PermanentDocumentError: upload 01a2b3c47079deadbeef: Image size (144000000 pixels) too large\n"
        "  reading /home/staff/clients/Nguyen/123-45-6789.png for jo@example.com"
        " with key=AIzaSyA12345678901234567890123\x1b[31m; SSN 123456789"
    )
    clean = sanitize_error(text)
    assert clean == (
        "PermanentDocumentError: upload 01a2b3c47079deadbeef: Image size (144000000 pixels) too large "
        "reading [path] for [email] with [key] [31m; SSN ***-**-6789"
    )
    long = sanitize_error("x" * 5000 + " SSN 123-45-6789")
    assert len(long) == MAX_ERROR_LENGTH and long.endswith("\u2026")
    assert sanitize_error("SSN 123-45-6789 " * 100, max_length=50).count("6789") >= 1
    assert "123-45" not in sanitize_error("a" * 44 + " SSN 123-45-6789", max_length=50)
    assert len(sanitize_error("y" * 5000, max_length=None)) == 5000


def test_sanitize_error_drops_the_statement_and_bound_values_of_a_database_error() -> None:
    from sqlalchemy.exc import IntegrityError

    exc = IntegrityError(
        "INSERT INTO raw_images (id, original_filename) VALUES (?, ?)",
        ("01abc", "Nguyen Van An W-2.png"),
        Exception("UNIQUE constraint failed: raw_images.storage_key"),
    )
    text = sanitize_error(f"{exc.__class__.__name__}: {exc}")
    assert text == "IntegrityError: (builtins.Exception) UNIQUE constraint failed: raw_images.storage_key"


def test_a_database_error_shows_no_bound_value(sqlite_db) -> None:
    """hide_parameters on the engine: the values of a failed statement are not even in the exception."""
    from sqlalchemy import text

    with sqlite_db.transaction() as s:
        s.execute(text("CREATE TABLE people (name TEXT UNIQUE)"))
        s.execute(text("INSERT INTO people VALUES (:n)"), {"n": "Nguyen Van An"})
    try:
        with sqlite_db.transaction() as s:
            s.execute(text("INSERT INTO people VALUES (:n)"), {"n": "Nguyen Van An"})
    except Exception as exc:  # noqa: BLE001
        raw, shown = str(exc), sanitize_error(str(exc))
    assert "Nguyen" not in raw and "UNIQUE constraint failed" in shown and "[" not in shown
