"""The portal's upload rules: allowed types by magic bytes, size and page limits, batch size."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium

MAX_BATCH = 20
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 10

MIME_BY_EXTENSION = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
}
EXTENSION_BY_MIME = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
}


class UploadRejected(ValueError):
    """A file the portal refuses; the message is the one-line reason shown to the uploader."""


@dataclass(frozen=True)
class AcceptedUpload:
    filename: str
    mime_type: str
    size: int
    page_count: int


def sniff_mime(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def claimed_mime(filename: str) -> str | None:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return MIME_BY_EXTENSION.get(ext)


def pdf_page_count(data: bytes) -> int:
    """Pages of a PDF; raises UploadRejected for an encrypted or unreadable one."""
    try:
        pdf = pdfium.PdfDocument(io.BytesIO(data))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UploadRejected("encrypted PDF: remove the password and upload again") from exc
        raise UploadRejected("unreadable PDF") from exc
    try:
        return len(pdf)
    finally:
        pdf.close()


def validate_upload(filename: str, data: bytes) -> AcceptedUpload:
    claimed = claimed_mime(filename)
    if claimed is None:
        raise UploadRejected("unsupported file type: only JPEG, PNG, GIF, WebP and PDF are accepted")
    actual = sniff_mime(data)
    if actual != claimed:
        raise UploadRejected(f"content does not match its {claimed.split('/')[1].upper()} extension")
    if actual == "application/pdf":
        if len(data) > MAX_PDF_BYTES:
            raise UploadRejected("PDF larger than 20 MB")
        pages = pdf_page_count(data)
        if pages > MAX_PDF_PAGES:
            raise UploadRejected(f"PDF has {pages} pages; at most {MAX_PDF_PAGES} are accepted")
        return AcceptedUpload(filename, actual, len(data), pages)
    if len(data) > MAX_IMAGE_BYTES:
        raise UploadRejected("image larger than 10 MB")
    return AcceptedUpload(filename, actual, len(data), 1)


def check_batch_size(count: int) -> None:
    if count > MAX_BATCH:
        raise UploadRejected(f"{count} files in one batch; at most {MAX_BATCH} are accepted")
