"""Turning an upload into page images (and a PDF's own text layer) for hashing and OCR.

Every page comes out as 8-bit RGB the way a person sees it on screen. Sizes are checked before any pixel
is decoded (domain/limits.py), and anything wrong with the file itself - too large, corrupt, truncated, a
page that cannot be loaded - is a PermanentDocumentError: retrying the same bytes cannot help.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageOps

from ella_dagster.domain.errors import PermanentDocumentError
from ella_dagster.domain.limits import (
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_PDF_PAGE_INCHES,
    MAX_RENDER_PIXELS,
    POINTS_PER_INCH,
    megapixels,
)

RENDER_DPI = 300
# Below this many characters a PDF page's text layer is treated as absent (scans carry none).
MIN_TEXT_LAYER_CHARS = 40

# PIL's own guard agrees with ours: it warns above the limit (our header check then refuses the image)
# and raises DecompressionBombError above twice the limit, wherever an image is opened in this process.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

# Only the decoders of the formats the portal accepts: never EPS (Ghostscript), PSD, TIFF... by content.
_PIL_FORMATS = {
    "image/jpeg": ("JPEG", "MPO"),
    "image/png": ("PNG",),
    "image/gif": ("GIF",),
    "image/webp": ("WEBP",),
}
# What PIL raises on a corrupt, truncated or hostile file ("image file is truncated" is an OSError).
_DECODE_ERRORS = (
    Image.DecompressionBombError,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    EOFError,
    IndexError,
    struct.error,
)
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
_ALPHA = ("RGBA", "LA", "La", "RGBa", "PA")


@dataclass
class Page:
    number: int  # 1-based
    image: Image.Image
    text_layer: str | None = None


def _render_scale(width: float, height: float, dpi: int) -> float:
    """Points to pixels at `dpi`, lowered for a large page so its bitmap stays within the render limits."""
    return min(
        dpi / POINTS_PER_INCH,
        (MAX_RENDER_PIXELS / (width * height)) ** 0.5,
        MAX_IMAGE_SIDE / max(width, height),
    )


def _check_page_size(number: int, width: float, height: float) -> None:
    if not (width >= 1 and height >= 1):  # also NaN
        raise PermanentDocumentError(f"PDF page {number} has no area")
    inches = (width / POINTS_PER_INCH, height / POINTS_PER_INCH)
    if max(inches) > MAX_PDF_PAGE_INCHES:
        raise PermanentDocumentError(
            f"PDF page too large: {inches[0]:.0f}x{inches[1]:.0f} inches (limit {MAX_PDF_PAGE_INCHES} inches a side)"
        )


def _render_page(pdf: pdfium.PdfDocument, index: int, dpi: int) -> Page:
    page = pdf[index]
    try:
        width, height = page.get_size()  # points, read from the page dictionary: nothing is rendered yet
        _check_page_size(index + 1, width, height)
        text = page.get_textpage().get_text_range().strip()
        image = page.render(scale=_render_scale(width, height, dpi)).to_pil().convert("RGB")
        return Page(index + 1, image, text if len(text) >= MIN_TEXT_LAYER_CHARS else None)
    finally:
        page.close()


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
            try:
                pages.append(_render_page(pdf, index, dpi))
            except pdfium.PdfiumError as exc:  # e.g. a page tree counting pages that are not there
                reason = str(exc).rstrip(".") or exc.__class__.__name__
                raise PermanentDocumentError(f"unreadable PDF page {index + 1} ({reason})") from exc
        return pages
    finally:
        pdf.close()


def _sixteen_to_eight(image: Image.Image) -> Image.Image:
    """Grayscale samples wider than 8 bits scaled to 0-255 (PIL's own convert clips them at 255)."""
    values = np.asarray(image)
    if image.mode in _SIXTEEN_BIT:
        full_scale = 65535.0
    else:  # "I" (32-bit) or "F": the smallest usual range that holds the samples, else their own range
        low, high = float(values.min()), float(values.max())
        ranges = (1.0, 255.0, 65535.0) if image.mode == "F" else (255.0, 65535.0)
        full_scale = next((r for r in ranges if low >= 0 and high <= r), 0.0)
        if not full_scale:
            values, full_scale = values - low, (high - low) or 1.0
    scaled = np.rint(values.astype(np.float32) * (255.0 / full_scale))
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8))


def as_seen(image: Image.Image) -> Image.Image:
    """8-bit RGB as a person sees the picture: transparency composited on white paper (a transparent
    background turns black otherwise), 16-bit samples scaled rather than clipped, palettes expanded."""
    if image.mode in _SIXTEEN_BIT or image.mode in ("I", "F"):
        image = _sixteen_to_eight(image)
    elif "transparency" in image.info and image.mode not in _ALPHA:  # a palette entry or a colour key
        image = image.convert("RGBA")
    if image.mode in _ALPHA:
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    return image if image.mode == "RGB" else image.convert("RGB")


def _upright(image: Image.Image) -> Image.Image:
    """Turned as the camera's EXIF orientation says; a malformed EXIF block leaves the picture as stored."""
    try:
        return ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        return image


def _check_image_size(width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        limit = megapixels(MAX_IMAGE_PIXELS)
        raise PermanentDocumentError(f"image too large: {width}x{height} pixels (limit {limit})")
    if max(width, height) > MAX_IMAGE_SIDE:
        raise PermanentDocumentError(f"image too large: {width}x{height} pixels (limit {MAX_IMAGE_SIDE} pixels a side)")


def _bomb_reason(exc: Image.DecompressionBombError) -> str:
    # PIL refuses over twice its limit while opening, before the size can be read: its message has the count.
    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = megapixels(int(found.group(1))) if found else "too many pixels"
    return f"image too large: {size} (limit {megapixels(MAX_IMAGE_PIXELS)})"


def _open_image(data: bytes, mime_type: str) -> Page:
    formats = _PIL_FORMATS.get(mime_type)
    if formats is None:
        raise PermanentDocumentError(f"unsupported content type {mime_type}")
    try:
        image = Image.open(io.BytesIO(data), formats=formats)  # lazy: reads the header only
        _check_image_size(*image.size)
        image.load()
        return Page(1, as_seen(_upright(image)))
    except Image.DecompressionBombError as exc:
        raise PermanentDocumentError(_bomb_reason(exc)) from exc
    except _DECODE_ERRORS as exc:
        if "truncated" in str(exc):
            raise PermanentDocumentError("corrupt image: the file is truncated") from exc
        raise PermanentDocumentError(f"corrupt or unsupported image ({exc.__class__.__name__})") from exc


def load_pages(data: bytes, mime_type: str, *, first_only: bool = False, dpi: int = RENDER_DPI) -> list[Page]:
    if mime_type == "application/pdf":
        return _render_pdf(data, first_only=first_only, dpi=dpi)
    if mime_type.startswith("image/"):
        return [_open_image(data, mime_type)]
    raise PermanentDocumentError(f"unsupported content type {mime_type}")
