"""Turning an upload into page images (and a PDF's own text layer) for hashing and OCR."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from ella_dagster.domain.errors import PermanentDocumentError

RENDER_DPI = 300
# Below this many characters a PDF page's text layer is treated as absent (scans carry none).
MIN_TEXT_LAYER_CHARS = 40


@dataclass
class Page:
    number: int  # 1-based
    image: Image.Image
    text_layer: str | None = None


def _render_pdf(data: bytes, *, first_only: bool, dpi: int) -> list[Page]:
    try:
        pdf = pdfium.PdfDocument(io.BytesIO(data))
    except pdfium.PdfiumError as exc:
        raise PermanentDocumentError(f"unreadable PDF ({exc.__class__.__name__})") from exc
    try:
        if len(pdf) == 0:
            raise PermanentDocumentError("PDF has no pages")
        pages = []
        for index in range(1 if first_only else len(pdf)):
            page = pdf[index]
            text = page.get_textpage().get_text_range().strip()
            image = page.render(scale=dpi / 72).to_pil().convert("RGB")
            pages.append(Page(index + 1, image, text if len(text) >= MIN_TEXT_LAYER_CHARS else None))
        return pages
    finally:
        pdf.close()


def _open_image(data: bytes) -> Page:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise PermanentDocumentError(f"corrupt or unsupported image ({exc.__class__.__name__})") from exc
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return Page(1, image)


def load_pages(data: bytes, mime_type: str, *, first_only: bool = False, dpi: int = RENDER_DPI) -> list[Page]:
    if mime_type == "application/pdf":
        return _render_pdf(data, first_only=first_only, dpi=dpi)
    if mime_type.startswith("image/"):
        return [_open_image(data)]
    raise PermanentDocumentError(f"unsupported content type {mime_type}")
