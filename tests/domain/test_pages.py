"""Uploads turned into page images: hostile sizes refused before decoding, broken files failed permanently,
pictures seen as a person sees them (transparency on white, 16-bit scaled, EXIF orientation)."""

from __future__ import annotations

import functools
import io
import struct
import time
import zlib

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageOps

from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.errors import PermanentDocumentError
from ella_dagster.domain.hashing import compute_hashes
from ella_dagster.domain.limits import MAX_IMAGE_SIDE, MAX_RENDER_PIXELS
from ella_dagster.domain.pages import as_seen, load_pages
from ella_dagster.engines import OfflineEngine


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _blank_png(width: int, height: int) -> bytes:
    """A valid all-white 1-bit PNG of any size in a few KB (what a hostile tester uploads)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _gif_with_screen(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    data = bytearray(out.getvalue())
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen size
    return bytes(data)


def _pdf_page(width_pt: float, height_pt: float) -> bytes:
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(width_pt, height_pt)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _pdf_counting_missing_pages() -> bytes:
    """A page tree that says 5 pages and holds none: opens fine, every page fails to load."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 5 >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref


HOSTILE = {
    "12000x12000 PNG": (lambda: _blank_png(12000, 12000), "image/png", "image too large: 144 megapixels"),
    "8000x8000 PNG": (lambda: _blank_png(8000, 8000), "image/png", "image too large: 8000x8000 pixels"),
    "30000x30000 PNG": (lambda: _blank_png(30000, 30000), "image/png", "image too large: 900 megapixels"),
    "25000x400 PNG": (lambda: _blank_png(25000, 400), "image/png", f"limit {MAX_IMAGE_SIDE} pixels a side"),
    "65535x65535 GIF screen": (lambda: _gif_with_screen(65535, 65535), "image/gif", "image too large"),
    "200x200-inch PDF page": (lambda: _pdf_page(14400, 14400), "application/pdf", "PDF page too large: 200x200"),
    "PDF counting missing pages": (_pdf_counting_missing_pages, "application/pdf", "unreadable PDF page 1"),
}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # PIL's, then our refusal
@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_fails_permanently_at_once_without_being_decoded(name: str) -> None:
    make, mime_type, reason = HOSTILE[name]
    data = make()
    started = time.monotonic()
    with pytest.raises(PermanentDocumentError, match=reason) as failure:
        load_pages(data, mime_type)
    assert time.monotonic() - started < 1.0, "refused from the header, nothing decoded"
    assert len(str(failure.value)) < 80
    with pytest.raises(PermanentDocumentError, match=reason):  # the pipeline's first step: hashing
        compute_hashes(data, mime_type)


def test_an_image_within_the_limits_is_read() -> None:
    [page] = load_pages(_blank_png(4000, 3000), "image/png")  # a 12 MP photo
    assert page.image.size == (4000, 3000) and page.image.mode == "RGB"


def test_a_large_but_legal_pdf_page_renders_within_the_pixel_limit() -> None:
    poster = _pdf_page(20 * 72, 20 * 72)  # 20x20 inches: 6000x6000 at 300 DPI
    [page] = load_pages(poster, "application/pdf")
    assert page.image.width * page.image.height <= MAX_RENDER_PIXELS * 1.01
    assert page.image.width == pytest.approx(page.image.height, abs=1)
    strip = _pdf_page(99 * 72, 72)  # 99 inches long: 29700 pixels at 300 DPI
    [page] = load_pages(strip, "application/pdf")
    assert max(page.image.size) <= MAX_IMAGE_SIDE + 1
    [letter] = load_pages(_pdf_page(612, 792), "application/pdf")
    assert letter.image.width == 2550 and abs(letter.image.height - 3300) <= 1  # ordinary pages: full 300 DPI


def test_a_truncated_image_fails_permanently() -> None:
    photo = io.BytesIO()
    Image.effect_noise((600, 400), 60).convert("RGB").save(photo, "JPEG")
    with pytest.raises(PermanentDocumentError, match="truncated"):
        load_pages(photo.getvalue()[: len(photo.getvalue()) // 2], "image/jpeg")


def test_only_the_accepted_image_formats_are_decoded() -> None:
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, "BMP")
    with pytest.raises(PermanentDocumentError, match="corrupt or unsupported image"):
        load_pages(bmp.getvalue(), "image/png")  # content that is not what it claims
    with pytest.raises(PermanentDocumentError, match="unsupported content type"):
        load_pages(bmp.getvalue(), "image/bmp")


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    return [tuple(int(v) for v in p) for p in np.asarray(image).reshape(-1, 3)]


def test_transparency_is_composited_on_white_paper() -> None:
    ink = Image.new("RGBA", (3, 1), (0, 0, 0, 0))  # transparent pixels are black underneath
    ink.putpixel((1, 0), (0, 0, 0, 255))
    ink.putpixel((2, 0), (0, 0, 0, 128))
    white, black, half = (255, 255, 255), (0, 0, 0), (127, 127, 127)
    assert _pixels(as_seen(ink)) == [white, black, half]
    assert _pixels(as_seen(ink.convert("LA"))) == [white, black, half]
    palette = Image.new("P", (2, 1))
    palette.putpalette([0, 0, 0, 200, 0, 0])
    palette.putpixel((1, 0), 1)
    out = io.BytesIO()
    palette.save(out, "GIF", transparency=0)
    [page] = load_pages(out.getvalue(), "image/gif")
    assert _pixels(page.image) == [white, (200, 0, 0)]


def test_sixteen_bit_samples_are_scaled_not_clipped() -> None:
    sixteen = Image.fromarray(np.array([[0, 257 * 64, 257 * 128, 65535]], dtype=np.uint16))
    assert sixteen.mode == "I;16"
    [page] = load_pages(_png(sixteen), "image/png")
    assert [p[0] for p in _pixels(page.image)] == [0, 64, 128, 255]


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90 degrees clockwise to view
    photo = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(photo, "JPEG", exif=exif)
    [page] = load_pages(photo.getvalue(), "image/jpeg")
    assert page.image.size == (20, 40)


ENGINE = OfflineEngine()


def _transparent(gray: Image.Image) -> Image.Image:
    """Ink opaque, paper clear, and black under the clear paper (as drawing programs save it)."""
    black = Image.new("L", gray.size, 0)
    return Image.merge("RGBA", (black, black, black, ImageOps.invert(gray)))


def _sixteen_bit(gray: Image.Image) -> Image.Image:
    image = Image.fromarray(np.asarray(gray, dtype=np.uint16) * 257)
    assert image.mode == "I;16"
    return image


@functools.cache
def _opaque_confidence(data: bytes, mime_type: str) -> float:
    result = ENGINE.classify(data, mime_type)
    assert result.doc_type is DocType.W2
    return result.confidence


@pytest.mark.parametrize("variant", [_transparent, _sixteen_bit], ids=["transparent", "16-bit"])
def test_a_w2_reads_like_its_opaque_8_bit_copy(generated, variant) -> None:
    sample = generated["w2"]
    copy = variant(ImageOps.grayscale(Image.open(io.BytesIO(sample.data))))
    result = ENGINE.classify(_png(copy), "image/png")
    assert result.doc_type is DocType.W2
    assert result.confidence >= _opaque_confidence(sample.data, sample.mime_type) - 0.05
