"""Tesseract's reading of a page: text in reading order, every word with its box, the heading by position."""

import io
import random

import pytest
from PIL import Image
from reportlab.pdfgen import canvas

from ella_dagster import samples
from ella_dagster.domain.errors import PermanentDocumentError, TransientDocumentError
from ella_dagster.domain.pages import Page
from ella_dagster.engines import ocr
from ella_dagster.engines.ocr import page_texts


def test_a_raster_page_comes_with_word_boxes_and_its_printed_heading() -> None:
    sample = samples.w2(random.Random(4), 2024)
    [page] = page_texts(sample.data, sample.mime_type)
    assert len(page.words) > 40 and page.height > 0
    assert all(w.width > 0 and w.height > 0 and 0 <= w.top < page.height for w in page.words)
    assert all(w.text in page.text for w in page.words if w.text.isdigit())
    wages = next(w for w in page.words if w.text.replace(",", "").startswith(sample.fields["wages"][:2]))
    title = next(w for w in page.words if w.text == "Form")
    assert title.top < wages.top  # the title is printed above the boxes
    assert page.heading().splitlines()[0].startswith("Form W-2 Wage and Tax Statement")


def test_a_pdf_text_layer_is_used_as_it_is_without_boxes() -> None:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Form 1099-INT Interest Income")
    pdf.drawString(72, 700, "PAYER'S TIN 12-3456789")
    pdf.save()
    [page] = page_texts(buffer.getvalue(), "application/pdf")
    assert "PAYER'S TIN 12-3456789" in page.text
    assert page.words == () and page.heading() is None  # the rules fall back to the first lines


def test_a_page_tesseract_refuses_fails_permanently(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tesseract refuses a prepared page over 32767 pixels a side, every time: retrying cannot help (it
    # used to be reported as "OCR timed out" and retried).
    monkeypatch.setattr(ocr, "prepare_for_ocr", lambda image: image.convert("L"))
    with pytest.raises(PermanentDocumentError, match="tesseract could not read the page"):
        ocr._read_sheet(Page(1, Image.new("RGB", (40000, 30), "white")))


def test_an_ocr_timeout_stays_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "OCR_TIMEOUT_SECONDS", 0.01)
    sample = samples.w2(random.Random(5), 2024)
    ocr._sheets.cache_clear()
    with pytest.raises(TransientDocumentError, match="OCR timed out"):
        page_texts(sample.data, sample.mime_type)


def test_a_region_is_read_alone_in_the_page_coordinates() -> None:
    sample = samples.w2(random.Random(4), 2024)
    [page] = page_texts(sample.data, sample.mime_type)
    wages = next(w for w in page.words if w.text.replace(",", "").startswith(sample.fields["wages"][:2]))
    pad = wages.height
    box = (wages.left - pad, wages.top - pad // 2, wages.left + wages.width + pad, wages.top + wages.height + pad // 2)
    [again] = [w for w in ocr.read_region(sample.data, sample.mime_type, 1, box) if w.text == wages.text]
    assert abs(again.left - wages.left) <= 3 and abs(again.top - wages.top) <= 3  # the page's coordinates
    assert ocr.read_region(sample.data, sample.mime_type, 1, (10, 10, 12, 12)) == ()  # too small to hold text


def test_a_text_layer_of_typed_values_only_is_read_from_the_rendered_page() -> None:
    # A filled form whose printed labels are outlines: its text layer holds only the typed values.
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont("Helvetica", 14)
    pdf.drawString(72, 720, "Joel Smith 1724 Norma Lane 6736834")  # the layer's only text
    pdf.rect(60, 700, 400, 40)  # a box border drawn as a path, as the labels are
    pdf.save()
    [page] = page_texts(buffer.getvalue(), "application/pdf")
    assert page.words  # read by Tesseract from the rendered page
    assert "Norma" in page.text
