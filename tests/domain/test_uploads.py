import io

import pytest
from reportlab.pdfgen import canvas

from ella_dagster.domain.uploads import MAX_IMAGE_BYTES, UploadRejected, check_batch_size, validate_upload


def _pdf(pages: int, encrypt: str | None = None) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, encrypt=encrypt)
    for n in range(pages):
        c.drawString(72, 720, f"page {n + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def test_accepts_matching_png(generated) -> None:
    accepted = validate_upload("w2.png", generated["w2"].data)
    assert (accepted.mime_type, accepted.page_count) == ("image/png", 1)


def test_content_must_match_the_extension(generated) -> None:
    with pytest.raises(UploadRejected, match="does not match"):
        validate_upload("w2.jpg", generated["w2"].data)


def test_unsupported_type() -> None:
    with pytest.raises(UploadRejected, match="unsupported file type"):
        validate_upload("notes.txt", b"hello")


def test_pdf_page_limit_and_encryption() -> None:
    assert validate_upload("ok.pdf", _pdf(10)).page_count == 10
    with pytest.raises(UploadRejected, match="11 pages"):
        validate_upload("long.pdf", _pdf(11))
    with pytest.raises(UploadRejected, match="encrypted"):
        validate_upload("locked.pdf", _pdf(1, encrypt="secret"))


def test_image_size_limit() -> None:
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_IMAGE_BYTES
    with pytest.raises(UploadRejected, match="10 MB"):
        validate_upload("big.png", big)


def test_batch_limit() -> None:
    check_batch_size(20)
    with pytest.raises(UploadRejected, match="at most 20"):
        check_batch_size(21)
