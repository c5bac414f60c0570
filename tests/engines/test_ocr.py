"""Tesseract's reading of a page: text in reading order, every word with its box, the heading by position."""

import io
import random

from reportlab.pdfgen import canvas

from ella_dagster import samples
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
