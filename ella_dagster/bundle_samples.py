"""Scanned bundles made of generated samples: several documents in one PDF, with the truth of where each
one starts, for the bundle tests and `benchmarks/bundles.py`.

Documents may have more than one page: a 1095-A with its page 2, a bank statement with its
continuation page, a driver license or SSN card with its back, a W-2 with its Copy C. A bundle is a
clean scan (every page an image in one PDF, as a flatbed scanner makes it) or a photographed page set
(each page a phone photo, `samples.photo_like`, collected into one PDF as phone scanner apps do).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ella_dagster import samples
from ella_dagster.domain.doc_types import DocType


@dataclass
class BundleDocument:
    doc_type: DocType
    pages: list[Image.Image]
    fields: dict[str, Any] = field(default_factory=dict)
    name: str = ""


@dataclass
class Bundle:
    filename: str
    data: bytes
    documents: list[tuple[int, int, DocType]]  # (first page, last page, type), pages from 1
    mime_type: str = "application/pdf"

    @property
    def starts(self) -> set[int]:
        """Pages that start a document, the first page aside: the true boundaries."""
        return {first for first, _, _ in self.documents if first > 1}

    @property
    def pages(self) -> int:
        return self.documents[-1][1]


def _image(sample: samples.Sample) -> Image.Image:
    if sample.mime_type == "application/pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(sample.data)
        return pdf[0].render(scale=samples.DPI / 72).to_pil().convert("RGB")
    return Image.open(io.BytesIO(sample.data)).convert("RGB")


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _page(size: tuple[int, int], lines: list[tuple[int, int, str, int]]) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for x, y, text, font in lines:
        draw.text((x, y), text, fill="black", font=_font(font))
    return image


def _restamp(image: Image.Image, box: tuple[int, int, int, int], text: str, size: int = 22) -> Image.Image:
    """The page with one printed line replaced (white-out, then the new line)."""
    page = image.copy()
    draw = ImageDraw.Draw(page)
    draw.rectangle(box, fill="white")
    draw.text((box[0], box[1]), text, fill="black", font=_font(size))
    return page


# Continuation pages ------------------------------------------------------------------------------
def form_1095_a(rng: random.Random, year: int) -> BundleDocument:
    first = samples.box_form(DocType.FORM_1095_A, rng, year)
    second = _page(
        samples.PAGE,
        [
            (60, 30, f"Form 1095-A ({year})    Page 2 of 2", 34),
            (60, 100, "Instructions for Recipient", 30),
            (60, 170, "You received this form because you or a family member enrolled in health", 26),
            (60, 215, "insurance coverage through the Health Insurance Marketplace.", 26),
            (60, 285, "Part I. Recipient Information, lines 1-15: keep it with your records.", 26),
            (60, 330, "Part II. Covered individuals, lines 16-20.", 26),
            (60, 375, "Part III. Coverage information, lines 21-33: monthly enrollment premiums.", 26),
            (60, 445, "Use this information to reconcile advance credit payments on Form 8962.", 26),
        ],
    )
    return BundleDocument(DocType.FORM_1095_A, [_image(first), second], first.fields, "1095-A (2 pages)")


def bank_statement(rng: random.Random, year: int) -> BundleDocument:
    first = samples.box_form(DocType.BANK_STATEMENT, rng, year)
    lines = [(60, 30, "Checking Account Statement (continued)    Page 2 of 2", 34)]
    for i in range(9):
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        kind = rng.choice(["Deposit", "Card purchase", "ATM withdrawal", "Transfer", "Check"])
        lines.append(
            (80, 110 + i * 62, f"{month:02d}/{day:02d}  {kind}  {rng.randint(5, 3000)}.{rng.randint(0, 99):02d}", 28)
        )
    second = _page(samples.PAGE, lines)
    return BundleDocument(DocType.BANK_STATEMENT, [_image(first), second], first.fields, "bank statement (2 pages)")


def driver_license(rng: random.Random, year: int) -> BundleDocument:
    front = samples.driver_license(rng, year)
    back = _page(
        (1100, 700),
        [
            (40, 40, "RESTRICTIONS: NONE", 34),
            (40, 100, "ENDORSEMENTS: NONE", 34),
            (40, 160, "ORGAN DONOR", 30),
            (40, 220, "If found, return to any licensing office", 26),
            (40, 560, "||| |||| || ||||| | |||| ||| || |||||| ||| |", 40),
        ],
    )
    return BundleDocument(DocType.DRIVER_LICENSE, [_image(front), back], front.fields, "driver license + back")


def ssn_card(rng: random.Random, year: int) -> BundleDocument:
    front = samples.ssn_card(rng, year)
    back = _page(
        (1000, 640),
        [
            (60, 60, "This card is the property of the Social Security Administration.", 24),
            (60, 120, "Improper use of this card or number is a violation of law.", 24),
            (60, 180, "If found, return to any Social Security office.", 24),
        ],
    )
    return BundleDocument(DocType.SSN_CARD, [_image(front), back], front.fields, "SSN card + back")


def w2_with_copy_c(rng: random.Random, year: int) -> BundleDocument:
    """Two copies of one W-2 (Copy B, then Copy C): one document, not two."""
    w2 = samples.w2(rng, year)
    page = _image(w2)
    copy_c = _restamp(page, (60, 85, 1600, 120), "Copy C - For EMPLOYEE'S RECORDS")
    return BundleDocument(DocType.W2, [page, copy_c], w2.fields, "W-2 Copy B + Copy C")


def corrected_1099_int(rng: random.Random, year: int) -> BundleDocument:
    """One 1099-INT and its CORRECTED copy from the same payer, box 1 changed: one document whose
    later page wins (fields: the corrected values)."""
    original = samples.form_1099_int(rng, year)
    page = _image(original)
    box_1 = samples._money(rng, 5, 9000)
    corrected = _restamp(page, (862, 172, 1610, 236), samples._fmt_money(box_1), 30)
    draw = ImageDraw.Draw(corrected)
    draw.text((1250, 36), "CORRECTED", fill="black", font=_font(34))
    return BundleDocument(
        DocType.FORM_1099_INT, [page, corrected], {**original.fields, "box_1": box_1}, "1099-INT + CORRECTED"
    )


def from_sample(sample: samples.Sample, dpi: int | None = None) -> BundleDocument:
    """Any sample (a PNG, or the first page of a PDF) as a one-page document of a bundle; a scan made
    at another resolution is brought to the bundles' 200 DPI."""
    page = _image(sample)
    dpi = dpi or getattr(sample, "dpi", 0) or samples.DPI
    if dpi != samples.DPI and sample.mime_type != "application/pdf":
        page = page.resize((round(page.width * samples.DPI / dpi), round(page.height * samples.DPI / dpi)))
    return BundleDocument(sample.doc_type, [page], sample.fields, getattr(sample, "layout", "") or sample.filename)


def _single(make: Callable[[random.Random, int], samples.Sample]) -> Callable[[random.Random, int], BundleDocument]:
    def build(rng: random.Random, year: int) -> BundleDocument:
        sample = make(rng, year)
        return BundleDocument(sample.doc_type, [_image(sample)], sample.fields, sample.doc_type.value)

    return build


def _box(doc_type: DocType) -> Callable[[random.Random, int], BundleDocument]:
    return _single(lambda rng, year: samples.box_form(doc_type, rng, year))


SINGLE_PAGE: dict[str, Callable[[random.Random, int], BundleDocument]] = {
    "w2": _single(samples.w2),
    "1099int": _single(samples.form_1099_int),
    "1099nec": _single(samples.form_1099_nec),
    "ssn_card": _single(samples.ssn_card),
    "driver_license": _single(samples.driver_license),
    **{
        t.value.lower(): _box(t)
        for t in (
            DocType.FORM_1099_DIV,
            DocType.FORM_1099_MISC,
            DocType.FORM_1099_K,
            DocType.FORM_1099_R,
            DocType.FORM_1099_G,
            DocType.FORM_1099_SSA,
            DocType.SCHEDULE_K1,
            DocType.FORM_1098,
            DocType.FORM_1098_T,
        )
    },
}
MULTI_PAGE: dict[str, Callable[[random.Random, int], BundleDocument]] = {
    "1095a_2p": form_1095_a,
    "bank_statement_2p": bank_statement,
    "driver_license_back": driver_license,
    "ssn_card_back": ssn_card,
    "w2_copy_c": w2_with_copy_c,
    "1099int_corrected": corrected_1099_int,
}
KINDS = {**SINGLE_PAGE, **MULTI_PAGE}


def pdf_of(pages: list[Image.Image], dpi: int = samples.DPI) -> bytes:
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue()


def _photo(page: Image.Image, rng: random.Random) -> Image.Image:
    out = io.BytesIO()
    page.save(out, "PNG")
    photo = samples.photo_like(samples.Sample("page.png", out.getvalue(), "image/png", DocType.UNKNOWN), rng)
    return Image.open(io.BytesIO(photo.data)).convert("RGB")


def bundle_of(
    documents: list[BundleDocument], name: str, *, photographed: bool = False, rng: random.Random | None = None
) -> Bundle:
    pages: list[Image.Image] = []
    truth: list[tuple[int, int, DocType]] = []
    rng = rng or random.Random(0)
    for doc in documents:
        first = len(pages) + 1
        pages += [_photo(p, rng) if photographed else p for p in doc.pages]
        truth.append((first, len(pages), doc.doc_type))
    return Bundle(name, pdf_of(pages), truth)


def make_documents(kinds: list[str], rng: random.Random, year: int = 2024) -> list[BundleDocument]:
    return [KINDS[k](rng, year) for k in kinds]


def random_bundle(rng: random.Random, index: int, *, photographed: bool = False, year: int = 2024) -> Bundle:
    """2-8 documents, about one in three of several pages; two documents of one type happen."""
    count = rng.randint(2, 8)
    kinds = [
        rng.choice(list(MULTI_PAGE)) if rng.random() < 0.3 else rng.choice(list(SINGLE_PAGE)) for _ in range(count)
    ]
    documents = make_documents(kinds, rng, year)
    suffix = "photo" if photographed else "scan"
    return bundle_of(documents, f"bundle_{index:03d}_{suffix}.pdf", photographed=photographed, rng=rng)
