"""Generated sample documents with known labels, for the demo, tests and benchmarks.

Renders forms laid out like the real ones (labelled boxes) with varied, fictitious values, so the
whole pipeline can be exercised without any real client data.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ella_dagster.domain.doc_types import DocType

DPI = 200
PAGE = (int(8.5 * DPI), int(5.5 * DPI))  # a half-letter slip, as most information returns print

FIRST = ["James", "Mary", "Linh", "Minh", "Robert", "Patricia", "Anh", "Jennifer", "Duc", "Thao"]
LAST = ["Nguyen", "Tran", "Smith", "Johnson", "Le", "Pham", "Williams", "Brown", "Hoang", "Garcia"]
COMPANIES = [
    "Google LLC",
    "Acme Tools Inc",
    "Sunrise Nails Studio",
    "Pho Saigon LLC",
    "Blue River Bank",
    "Harbor Credit Union",
    "Lotus Logistics Corp",
    "Golden Dragon Foods",
]
STATES = [("CALIFORNIA", "CA"), ("TEXAS", "TX"), ("WASHINGTON", "WA"), ("FLORIDA", "FL"), ("VIRGINIA", "VA")]


@dataclass
class Sample:
    filename: str
    data: bytes
    mime_type: str
    doc_type: DocType
    fields: dict[str, Any] = field(default_factory=dict)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _money(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low, high)}.{rng.randint(0, 99):02d}"


def _fmt_money(value: str) -> str:
    whole, cents = value.split(".")
    return f"{int(whole):,}.{cents}"


def _ssn(rng: random.Random) -> str:
    return f"{rng.randint(100, 665):03d}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}"


def _ein(rng: random.Random) -> str:
    return f"{rng.randint(10, 98):02d}-{rng.randint(1000000, 9999999):07d}"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


class _Canvas:
    def __init__(self, size: tuple[int, int] = PAGE) -> None:
        self.image = Image.new("RGB", size, "white")
        self.draw = ImageDraw.Draw(self.image)

    def text(self, x: int, y: int, text: str, size: int = 26) -> None:
        self.draw.text((x, y), text, fill="black", font=_font(size))

    def box(self, x: int, y: int, w: int, h: int, label: str, value: str = "") -> None:
        self.draw.rectangle((x, y, x + w, y + h), outline="black", width=2)
        self.text(x + 10, y + 8, label, 22)
        if value:
            self.text(x + 14, y + h - 56, value, 30)

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image.save(out, "PNG")
        return out.getvalue()


def w2(rng: random.Random, year: int) -> Sample:
    wages = _money(rng, 18000, 140000)
    ss_wages = wages
    values = {
        "employee_ssn": _ssn(rng),
        "employer_ein": _ein(rng),
        "employer_name": rng.choice(COMPANIES),
        "employee_name": _person(rng),
        "wages": wages,
        "federal_tax_withheld": f"{float(wages) * 0.12:.2f}",
        "social_security_wages": ss_wages,
        "social_security_tax": f"{float(ss_wages) * 0.062:.2f}",
        "medicare_wages": wages,
        "medicare_tax": f"{float(wages) * 0.0145:.2f}",
        "tax_year": str(year),
    }
    c = _Canvas()
    c.text(60, 30, f"Form W-2 Wage and Tax Statement {year}", 40)
    c.text(60, 85, "Copy B - To Be Filed With Employee's FEDERAL Tax Return", 22)
    c.box(60, 130, 760, 110, "a Employee's social security number", values["employee_ssn"])
    c.box(60, 240, 760, 110, "b Employer identification number (EIN)", values["employer_ein"])
    c.box(60, 350, 760, 110, "c Employer's name, address, and ZIP code", values["employer_name"])
    c.box(60, 460, 760, 110, "d Control number", str(rng.randint(10000, 99999)))
    c.box(60, 570, 760, 110, "e Employee's first name and initial, last name", values["employee_name"])
    right = [
        ("1 Wages, tips, other compensation", "wages"),
        ("2 Federal income tax withheld", "federal_tax_withheld"),
        ("3 Social security wages", "social_security_wages"),
        ("4 Social security tax withheld", "social_security_tax"),
        ("5 Medicare wages and tips", "medicare_wages"),
        ("6 Medicare tax withheld", "medicare_tax"),
    ]
    for i, (label, key) in enumerate(right):
        c.box(860, 130 + i * 110, 760, 110, label, _fmt_money(values[key]))
    c.text(60, 820, "Department of the Treasury - Internal Revenue Service", 22)
    return Sample(
        f"w2_{year}_{values['employer_name'].split()[0].lower()}.png",
        c.png(),
        "image/png",
        DocType.W2,
        values,
    )


def _form_1099(rng: random.Random, year: int, kind: str) -> tuple[_Canvas, dict[str, Any]]:
    values = {
        "payer_name": rng.choice(COMPANIES),
        "payer_tin": _ein(rng),
        "recipient_name": _person(rng),
        "recipient_tin": _ssn(rng),
        "tax_year": str(year),
    }
    c = _Canvas()
    title = "Interest Income" if kind == "INT" else "Nonemployee Compensation"
    c.text(60, 30, f"Form 1099-{kind} {title}", 40)
    c.text(60, 85, f"For calendar year {year}     Copy B For Recipient", 22)
    c.box(60, 130, 760, 140, "PAYER'S name, street address, city or town", values["payer_name"])
    c.box(60, 270, 380, 110, "PAYER'S TIN", values["payer_tin"])
    c.box(440, 270, 380, 110, "RECIPIENT'S TIN", values["recipient_tin"])
    c.box(60, 380, 760, 110, "RECIPIENT'S name", values["recipient_name"])
    c.box(60, 490, 760, 110, "Street address (including apt. no.)", f"{rng.randint(10, 9999)} Main St")
    return c, values


def form_1099_int(rng: random.Random, year: int) -> Sample:
    c, values = _form_1099(rng, year, "INT")
    values.update(box_1=_money(rng, 5, 9000), box_2=_money(rng, 0, 50), box_4=_money(rng, 0, 300))
    c.box(860, 130, 760, 110, "1 Interest income", _fmt_money(values["box_1"]))
    c.box(860, 240, 760, 110, "2 Early withdrawal penalty", _fmt_money(values["box_2"]))
    c.box(860, 350, 760, 110, "3 Interest on U.S. Savings Bonds and Treasury obligations")
    c.box(860, 460, 760, 110, "4 Federal income tax withheld", _fmt_money(values["box_4"]))
    c.box(860, 570, 760, 110, "5 Investment expenses")
    c.box(860, 680, 760, 110, "6 Foreign tax paid")
    c.box(60, 680, 760, 110, "8 Tax-exempt interest")
    return Sample(f"1099int_{year}.png", c.png(), "image/png", DocType.FORM_1099_INT, values)


def form_1099_nec(rng: random.Random, year: int) -> Sample:
    c, values = _form_1099(rng, year, "NEC")
    values.update(box_1=_money(rng, 600, 60000), box_4=_money(rng, 0, 900))
    c.box(860, 130, 760, 110, "1 Nonemployee compensation", _fmt_money(values["box_1"]))
    c.box(860, 240, 760, 110, "2 Payer made direct sales totaling $5,000 or more")
    c.box(860, 350, 760, 110, "4 Federal income tax withheld", _fmt_money(values["box_4"]))
    c.box(860, 460, 760, 110, "5 State tax withheld")
    c.box(860, 570, 760, 110, "7 State income")
    return Sample(f"1099nec_{year}.png", c.png(), "image/png", DocType.FORM_1099_NEC, values)


def ssn_card(rng: random.Random, year: int) -> Sample:
    del year
    values = {"ssn": _ssn(rng), "name": _person(rng).upper()}
    c = _Canvas((1000, 640))
    c.text(190, 40, "SOCIAL SECURITY", 56)
    c.text(300, 120, "UNITED STATES OF AMERICA", 26)
    c.text(360, 210, values["ssn"], 48)
    c.text(220, 300, "THIS NUMBER HAS BEEN ESTABLISHED FOR", 28)
    c.text(300, 370, values["name"], 42)
    c.draw.line((150, 520, 850, 520), fill="black", width=2)
    c.text(420, 535, "SIGNATURE", 24)
    return Sample("ssn_card.png", c.png(), "image/png", DocType.SSN_CARD, values)


def driver_license(rng: random.Random, year: int) -> Sample:
    state, code = rng.choice(STATES)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    dob = (rng.randint(1, 12), rng.randint(1, 28), rng.randint(1950, 2004))
    exp = (rng.randint(1, 12), rng.randint(1, 28), year + rng.randint(1, 6))
    number = f"{code[0]}{rng.randint(1000000, 9999999)}"
    values = {
        "license_number": number,
        "name": f"{first.upper()} {last.upper()}",
        "date_of_birth": f"{dob[2]:04d}-{dob[0]:02d}-{dob[1]:02d}",
        "expiration_date": f"{exp[2]:04d}-{exp[0]:02d}-{exp[1]:02d}",
        "state": code,
    }
    c = _Canvas((1100, 700))
    c.draw.rectangle((0, 0, 1100, 110), fill=(200, 220, 255))
    c.text(40, 25, f"{state} DRIVER LICENSE", 52)
    c.draw.rectangle((40, 150, 340, 530), outline="black", width=3)
    c.text(380, 150, f"DL {number}", 34)
    c.text(380, 210, f"EXP {exp[0]:02d}/{exp[1]:02d}/{exp[2]}", 30)
    c.text(380, 270, f"1 {last.upper()}", 34)
    c.text(380, 320, f"2 {first.upper()}", 34)
    c.text(380, 380, f"DOB {dob[0]:02d}/{dob[1]:02d}/{dob[2]}", 30)
    c.text(380, 440, f"CLASS C   SEX {rng.choice('MF')}   HGT 5-0{rng.randint(1, 9)}   EYES BRN", 26)
    c.text(380, 500, f"ISS {rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{year}", 26)
    return Sample(f"driver_license_{code.lower()}.png", c.png(), "image/png", DocType.DRIVER_LICENSE, values)


def unknown_letter(rng: random.Random, year: int) -> Sample:
    c = _Canvas((PAGE[0], PAGE[1]))
    c.text(60, 40, "Community Garden Newsletter", 44)
    lines = [
        f"Spring planting day is on April {rng.randint(1, 28)}, {year}.",
        "Please bring gloves, seeds and a friend.",
        "Volunteers will share tomato seedlings and compost.",
        "The tool shed code changes next month; ask the coordinator.",
        "Thank you for keeping our paths clean and tidy.",
    ]
    for i, line in enumerate(lines):
        c.text(60, 140 + i * 60, line, 30)
    return Sample("newsletter.png", c.png(), "image/png", DocType.UNKNOWN, {})


def multipage_1099_int_pdf(rng: random.Random, year: int) -> Sample:
    """Two pages: the original and a CORRECTED copy whose box 1 differs (later pages win)."""
    first = form_1099_int(rng, year)
    corrected_rng = random.Random(rng.random())
    second = form_1099_int(corrected_rng, year)
    pages = [Image.open(io.BytesIO(s.data)).convert("RGB") for s in (first, second)]
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=pages[1:])
    return Sample(
        f"1099int_{year}_corrected.pdf",
        out.getvalue(),
        "application/pdf",
        DocType.FORM_1099_INT,
        second.fields,
    )


def corrupt_png() -> Sample:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + bytes(range(40))
    return Sample("broken_scan.png", data, "image/png", DocType.UNKNOWN, {})


GENERATORS = (w2, form_1099_int, form_1099_nec, ssn_card, driver_license)


def demo_batch(seed: int = 7, year: int = 2024) -> list[Sample]:
    rng = random.Random(seed)
    batch = [make(rng, year) for make in GENERATORS]
    batch += [unknown_letter(rng, year), multipage_1099_int_pdf(rng, year), corrupt_png()]
    return batch


FRAME = 11 * DPI  # the long side of a letter page drawn at DPI


def page_picture(data: bytes, mime_type: str) -> bytes:
    """A document's first page as the PNG that photo_like photographs: a PDF drawn at DPI; a picture, whose
    printed size is unknown (its DPI tag is rarely true), scaled so that its long side is FRAME, as a
    letter page drawn at DPI is: a phone frames a card or a page alike, and a photo taken at 100-200
    DPI of a 1200-pixel picture taken to be a 200-DPI page would keep fewer pixels than the picture has.
    Loaded as the engine loads uploads (domain/pages.py: render limits, EXIF turn, transparency)."""
    from ella_dagster.domain.pages import load_pages

    image = load_pages(data, mime_type, first_only=True, dpi=DPI)[0].image
    if mime_type != "application/pdf":
        scale = FRAME / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def photo_like(sample: Sample, rng: random.Random) -> Sample:
    """A phone photo of the printed page: rotation up to +-10 degrees, perspective, uneven light and a
    shadow, blur, 100-200 DPI, JPEG quality 40-70."""
    from PIL import ImageFilter

    page = Image.open(io.BytesIO(sample.data)).convert("RGB")
    if sample.mime_type == "application/pdf":
        import pypdfium2 as pdfium

        page = pdfium.PdfDocument(sample.data)[0].render(scale=DPI / 72).to_pil().convert("RGB")
    dpi = rng.randint(100, 200)
    page = page.resize((int(page.width * dpi / DPI), int(page.height * dpi / DPI)))
    w, h = page.size
    # A table top around the paper, then perspective: each corner pulled in by up to 6 %.
    table = Image.new("RGB", (int(w * 1.2), int(h * 1.2)), (110, 90, 70))
    table.paste(page, (int(w * 0.1), int(h * 0.1)))
    tw, th = table.size
    d = [rng.uniform(0, 0.06) for _ in range(8)]
    quad = (
        tw * d[0],
        th * d[1],
        tw * d[2],
        th * (1 - d[3]),
        tw * (1 - d[4]),
        th * (1 - d[5]),
        tw * (1 - d[6]),
        th * d[7],
    )
    table = table.transform((tw, th), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC)
    table = table.rotate(rng.uniform(-10, 10), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(110, 90, 70))
    # Uneven light: a gradient from one side, and a soft shadow band.
    import numpy as np

    pixels = np.asarray(table, dtype=np.float32)
    ramp = np.linspace(rng.uniform(0.55, 0.8), 1.0, pixels.shape[1], dtype=np.float32)
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    light = np.tile(ramp, (pixels.shape[0], 1))
    start = rng.randint(0, pixels.shape[0] // 2)
    light[start : start + pixels.shape[0] // 5, :] *= rng.uniform(0.7, 0.85)
    table = Image.fromarray(np.clip(pixels * light[..., None], 0, 255).astype(np.uint8))
    table = table.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    out = io.BytesIO()
    table.save(out, "JPEG", quality=rng.randint(40, 70))
    name = sample.filename.rsplit(".", 1)[0] + "_photo.jpg"
    return Sample(name, out.getvalue(), "image/jpeg", sample.doc_type, sample.fields)


# -- every other type ---------------------------------------------------------------------------
_COMPANY_FIELDS = ("payer_name", "lender_name", "school_name", "partnership_name", "bank_name")
_FORM_TITLES = {
    DocType.FORM_1099_DIV: ("Form 1099-DIV Dividends and Distributions", "Copy B For Recipient"),
    DocType.FORM_1099_MISC: ("Form 1099-MISC Miscellaneous Information", "Copy B For Recipient"),
    DocType.FORM_1099_K: ("Form 1099-K Payment Card and Third Party Network Transactions", "Copy B For Payee"),
    DocType.FORM_1099_R: ("Form 1099-R Distributions From Pensions, Annuities, IRAs", "Copy B Report this income"),
    DocType.FORM_1099_G: ("Form 1099-G Certain Government Payments", "Copy B For Recipient"),
    DocType.FORM_1099_SSA: ("Form SSA-1099 Social Security Benefit Statement", "Description of Amount in Box 3"),
    DocType.SCHEDULE_K1: ("Schedule K-1 (Form 1065) Partner's Share of Income, Deductions", "Final K-1"),
    DocType.FORM_1098: ("Form 1098 Mortgage Interest Statement", "Copy B For Payer/Borrower"),
    DocType.FORM_1098_T: ("Form 1098-T Tuition Statement", "Copy B For Student"),
    DocType.FORM_1095_A: ("Form 1095-A Health Insurance Marketplace Statement", "Covered Individuals"),
    DocType.BANK_STATEMENT: ("Checking Account Statement", "Deposits, withdrawals and daily balance summary"),
}


def _value(rng: random.Random, name: str, kind: str, year: int) -> str:
    if kind == "money":
        return _money(rng, 50, 90000)
    if kind == "ssn":
        return _ssn(rng)
    if kind == "ein":
        return _ein(rng)
    if kind == "tin":
        return _ein(rng) if any(k in name for k in ("payer", "lender", "school", "partnership")) else _ssn(rng)
    if kind == "date":
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        return f"{year:04d}-{month:02d}-{day:02d}"
    if kind == "year":
        return str(year)
    if kind == "state":
        return rng.choice(STATES)[1]
    if name in _COMPANY_FIELDS:
        return rng.choice(COMPANIES)
    if name in ("policy_number", "marketplace_id", "account_number"):
        return f"{rng.randint(10000000, 99999999)}"
    if name == "box_7":
        return rng.choice(["1", "7", "G"])
    return _person(rng)


def _shown(kind: str, value: str) -> str:
    if kind == "money":
        return _fmt_money(value)
    if kind == "date":
        y, m, d = value.split("-")
        return f"{m}/{d}/{y}"
    return value


def box_form(doc_type: DocType, rng: random.Random, year: int) -> Sample:
    """A form drawn from its own extraction schema: each field in a box under its printed label."""
    from ella_dagster.domain.extraction import schema_for

    schema = schema_for(doc_type)
    assert schema is not None
    title, subtitle = _FORM_TITLES[doc_type]
    values = {f.name: _value(rng, f.name, f.kind, year) for f in schema.fields}
    c = _Canvas((PAGE[0], PAGE[1] + 200))
    c.text(60, 30, title, 36 if len(title) < 50 else 30)
    c.text(60, 85, f"{subtitle}     Tax year {year}", 22)
    boxes = [f for f in schema.fields if f.kind != "year"]
    left = [f for f in boxes if f.kind != "money"]
    right = [f for f in boxes if f.kind == "money"]
    for column, x in ((left, 60), (right, 860)):
        for i, f in enumerate(column):
            c.box(x, 130 + i * 110, 760, 110, f.label, _shown(f.kind, values[f.name]))
    return Sample(f"{doc_type.value.lower()}_{year}.png", c.png(), "image/png", doc_type, values)


_TEXT_DOCUMENTS: dict[DocType, tuple[str, list[str]]] = {
    DocType.PROFIT_LOSS_STATEMENT: (
        "{company} Profit and Loss Statement {year}",
        [
            "Revenue  Sales  {m1}",
            "Cost of goods sold  {m2}",
            "Gross profit  {m3}",
            "Operating expenses  {m2}",
            "Total expenses  {m3}",
            "Net income  {m1}",
        ],
    ),
    DocType.BUSINESS_LICENSE: (
        "City of San Jose Business License",
        [
            "License number BL-{n}",
            "Business name: {company}",
            "Owner: {person}",
            "Business location: 12 Main St",
            "Issue date 01/15/{year}   Expires 12/31/{year}",
        ],
    ),
    DocType.EIN_LETTER: (
        "Department of the Treasury  Internal Revenue Service",
        [
            "CP 575 Notice",
            "We assigned you an employer identification number",
            "Thank you for applying for an Employer Identification Number (EIN).",
            "Your EIN is {ein}.",
            "Keep this notice in your permanent records.",
        ],
    ),
    DocType.RECEIPT: (
        "{company} RECEIPT",
        [
            "Item  Qty  Price",
            "Office paper  2  {m1}",
            "Printer ink  1  {m2}",
            "Subtotal  {m3}",
            "Tax  {m2}",
            "TOTAL  {m1}",
            "VISA ****1234",
            "Thank you for shopping with us",
        ],
    ),
    DocType.BIRTH_CERTIFICATE: (
        "CERTIFICATE OF LIVE BIRTH",
        [
            "State Department of Health - Vital Records",
            "Name of child: {person}",
            "Sex: F",
            "Date of birth: 03/14/2015",
            "Place of birth: Orange County",
            "Mother: Thao Nguyen",
            "Father: Minh Tran",
            "Registrar signature",
        ],
    ),
    DocType.DAYCARE_RECEIPT: (
        "Little Lotus Child Care - Payment Receipt",
        [
            "Provider: Little Lotus Child Care LLC   Tax ID {ein}",
            "Child's name: {person}",
            "Dates of care: 01/01/{year} - 12/31/{year}",
            "Tuition  {m1}",
            "Amount paid  {m1}",
        ],
    ),
    DocType.PASSPORT: (
        "PASSPORT  UNITED STATES OF AMERICA",
        [
            "Surname: NGUYEN",
            "Given names: LINH",
            "Nationality: UNITED STATES OF AMERICA",
            "Date of birth: 02 JAN 1990",
            "Place of birth: CALIFORNIA, U.S.A.",
            "Date of issue: 05 MAR 2020",
            "Date of expiration: 04 MAR 2030",
            "P<USANGUYEN<<LINH<<<<<<<<<<<<<<<<<<<<<<<<<<",
        ],
    ),
}

# Hard negatives: tax-looking paper that is none of the client document types.
_HARD_NEGATIVES = {
    "paystub": (
        "{company} Earnings Statement (Pay Stub)",
        [
            "Pay period 03/01/{year} - 03/15/{year}",
            "Gross pay  {m1}",
            "Federal income tax  {m2}",
            "Social security  {m2}",
            "Net pay  {m3}",
            "Year to date  {m1}",
        ],
    ),
    "w9": (
        "Form W-9 Request for Taxpayer Identification Number and Certification",
        [
            "Name (as shown on your income tax return): {person}",
            "Business name: {company}",
            "Part I Taxpayer Identification Number (TIN)",
            "Part II Certification",
            "Signature of U.S. person",
        ],
    ),
    "credit_card": (
        "{company} Credit Card Statement",
        [
            "Statement closing date 03/28/{year}",
            "Previous balance  {m1}",
            "Minimum payment due  {m2}",
            "Payment due date 04/25/{year}",
            "Credit limit  {m3}",
        ],
    ),
    "mortgage_statement": (
        "{company} Mortgage Statement",
        ["Payment due date 05/01/{year}", "Amount due  {m1}", "Principal balance  {m3}", "Escrow balance  {m2}"],
    ),
}


def text_document(title: str, lines: list[str], rng: random.Random, year: int) -> bytes:
    values = {
        "company": rng.choice(COMPANIES),
        "person": _person(rng),
        "year": year,
        "ein": _ein(rng),
        "n": rng.randint(10000, 99999),
        "m1": _fmt_money(_money(rng, 100, 9000)),
        "m2": _fmt_money(_money(rng, 10, 900)),
        "m3": _fmt_money(_money(rng, 1000, 90000)),
    }
    c = _Canvas()
    c.text(60, 40, title.format(**values), 36)
    for i, line in enumerate(lines):
        c.text(80, 130 + i * 62, line.format(**values), 28)
    return c.png()


def text_sample(doc_type: DocType, rng: random.Random, year: int) -> Sample:
    title, lines = _TEXT_DOCUMENTS[doc_type]
    return Sample(f"{doc_type.value.lower()}.png", text_document(title, lines, rng, year), "image/png", doc_type, {})


def hard_negative(kind: str, rng: random.Random, year: int) -> Sample:
    title, lines = _HARD_NEGATIVES[kind]
    return Sample(f"{kind}.png", text_document(title, lines, rng, year), "image/png", DocType.OTHER, {})


def every_type(rng: random.Random, year: int) -> list[Sample]:
    """One generated document of every type, plus the hard negatives (labelled OTHER)."""
    batch = [make(rng, year) for make in GENERATORS]
    batch += [box_form(t, rng, year) for t in _FORM_TITLES]
    batch += [text_sample(t, rng, year) for t in _TEXT_DOCUMENTS]
    batch += [hard_negative(k, rng, year) for k in _HARD_NEGATIVES]
    return batch
