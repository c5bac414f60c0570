"""The real-layout evaluation set: official IRS fillable PDFs, filled with generated values, scanned.

The blank (or re-blanked) fillable forms of the shared corpus (`corpus.real_corpus_dir()`, read in
place, never copied into the project) are filled with fictitious, internally consistent values
through their AcroForm fields (pypdf), drawn by pdfium's own form renderer (the values really are on
the page) and rendered to image-only scans at 150-300 DPI, or to a phone-photo look
(`samples.photo_like`). Each item carries box-level truth in the extraction schema's own field names
and formats (`domain.extraction.SCHEMAS`: money "1234.56", dates ISO, TINs with dashes): only the
schema fields the form has a box for, plus `tax_year` (the year printed in the form's title).

API
    real_layout_set(rng, per_type=20, photo=False, types=None, extras=False) -> list[RealSample]
        `per_type` filled forms of every available type (the layouts of a type in turn); scans, or
        their photo-like versions. Empty when the corpus is not on this machine. Only the schema's
        boxes, names and addresses (and the W-2's state line) are filled, unless `extras`.
    fill(layout, rng, extras=False) -> FilledForm    printed text per form field, and the truth
    render(layout, form_values, dpi=200, choice_values=None) -> PIL.Image   the page with the values drawn
    scan(layout, rng, dpi=None, index=0, extras=False) -> RealSample   a PNG (or image-only PDF) scan
    photograph(layout, rng, index=0, extras=False) -> RealSample       photo_like of the 200-DPI page
    filled_pdf(layout, form_values, choice_values=None) -> bytes       the filled PDF itself
    field_rects(layout) -> {field: (left, bottom, right, top)}         AcroForm fields' places (points)
    available_layouts(types=None) -> list[Layout]    the layouts whose PDF is on this machine
    LAYOUTS, TYPES, SKIPPED, describe()              the forms used (file, page, copy, year), the types
                                                     asked for, those without a usable form (none now)

The forms: W-2 2021 (official, Copy B, page 4 of 11) and 2013 (Free File Fillable Forms layout, Copy
B); 1099-INT 2019 (official, Copy B, page 3 of 8) and 2013 (FFFF); 1099-DIV, 1099-G, 1099-R 2013
(FFFF, Copy B); 1099-K and 1099-MISC 2021 (official Copy B with AcroForm sample values, all replaced);
1095-A 2019 (page 1); Schedule K-1 (Form 1065) 2017 (page 1). The corpus has no fillable 1099-NEC: its
flattened, filled 2020 Copy B is re-blanked (the one form XObject holding its sample values removed)
and the generated values are drawn as page text in the original's font and places (`Layout.drawn`).

A RealSample is a `samples.Sample` (filename, data, mime_type, doc_type, fields = truth) plus the
layout's name, the PDF page used (1-based, the copy named in `copy`) and the DPI.

Generated identifiers are fake by construction: SSNs come from the 773-899 areas (never issued under
the area-number system, before randomisation), names and companies from short fixed lists, amounts
from the seeded `random.Random` only.
"""

from __future__ import annotations

import io
import random
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ella_dagster.corpus import real_corpus_dir
from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.extraction import schema_for
from ella_dagster.samples import COMPANIES, FIRST, LAST, Sample, photo_like

CENT = Decimal("0.01")
PHOTO_DPI = 200  # photo_like expects a page drawn at samples.DPI
SS_WAGE_BASE = {2013: Decimal("113700"), 2017: Decimal("127200"), 2019: Decimal("132900"), 2021: Decimal("142800")}
SS_RATE, MEDICARE_RATE = Decimal("0.062"), Decimal("0.0145")

CITIES = [
    ("Sacramento", "CA", "958"),
    ("Houston", "TX", "770"),
    ("Seattle", "WA", "981"),
    ("Orlando", "FL", "328"),
    ("Richmond", "VA", "232"),
    ("Columbus", "OH", "432"),
    ("Denver", "CO", "802"),
    ("Albany", "NY", "122"),
]
STREETS = ["Oak St", "Maple Ave", "Main St", "Cedar Ln", "Lakeview Dr", "Pine Rd", "Elm Ct", "Harbor Blvd"]
MORE_COMPANIES = ["Riverside Dental Group", "Northwind Traders LLC", "Evergreen Savings Bank", "Summit Payroll Co"]
ISSUERS = ["Blue Meadow Health Plan", "Cascade Care Insurance", "Unity Health Partners"]


@dataclass(frozen=True)
class Layout:
    """One fillable form's client-facing page and what goes in its fields.

    `fields` maps a text field's partial name on that page (its /T, unique on the page) to a template
    of the printed text: `{name}` placeholders of the generated values (schema field names, or extra
    ones such as `payer_street` for realism), already formatted as the form prints them.
    """

    name: str
    doc_type: DocType
    path: str  # relative to the corpus root
    page: int  # 1-based page of the PDF: the copy named below
    copy: str
    year: int  # printed in the form's title area
    fields: Mapping[str, str]
    choices: Mapping[str, str] = field(default_factory=dict)  # combo boxes (state dropdowns)
    # A form without AcroForm fields: its own sample values (the page's top-level form XObjects) are
    # removed and each of `fields` is drawn as page text at (x, baseline y, "left"|"right"|"center")
    # in PDF points, a line below the other for multi-line templates.
    drawn: Mapping[str, tuple[float, float, str]] = field(default_factory=dict)

    def pdf_path(self) -> Path | None:
        root = real_corpus_dir()
        path = root / self.path if root else None
        return path if path and path.is_file() else None

    def placeholders(self) -> set[str]:
        names = set()
        for template in [*self.fields.values(), *self.choices.values()]:
            names |= {f for _, f, _, _ in string.Formatter().parse(template) if f}
        return names


@dataclass
class RealSample(Sample):
    layout: str = ""
    page: int = 0
    copy: str = ""
    dpi: int = 0


@dataclass(frozen=True)
class FilledForm:
    layout: Layout
    form_values: dict[str, str]  # text field's partial name -> printed text
    choice_values: dict[str, str]
    truth: dict[str, str]  # schema field -> value in the schema's format


# -- the layouts (field names found by filling each field with its own name and looking at the page) --
_W2_OFFICIAL = Layout(
    "w2_2021_official_copy_b",
    DocType.W2,
    "W2/pdfco__2021_fw2_blank_fillable_11p.pdf",
    page=4,
    copy="Copy B",
    year=2021,
    fields={
        "f1_01[0]": "{employee_ssn}",
        "f1_02[0]": "{employer_ein}",
        "f1_03[0]": "{employer_name}\n{employer_street}\n{employer_city_line}",
        "f1_04[0]": "{control_number}",
        "f1_05[0]": "{employee_first}",
        "f1_06[0]": "{employee_last}",
        "f1_08[0]": "{employee_street}\n{employee_city_line}",
        "f1_09[0]": "{wages}",
        "f1_10[0]": "{federal_tax_withheld}",
        "f1_11[0]": "{social_security_wages}",
        "f1_12[0]": "{social_security_tax}",
        "f1_13[0]": "{medicare_wages}",
        "f1_14[0]": "{medicare_tax}",
        "f1_29[0]": "{state}",
        "f1_30[0]": "{employer_state_id}",
        "f1_31[0]": "{state_wages}",
        "f1_32[0]": "{state_tax}",
    },
)
_W2_FFFF = Layout(
    "w2_2013_ffff_copy_b",
    DocType.W2,
    "W2/pdflib__FW2_2013_FFFF_blank_fillable.pdf",
    page=1,
    copy="Copy B",
    year=2013,
    fields={
        "D": "{employee_ssn}",
        "EIN": "{employer_ein}",
        "CA": "{employer_name}",
        "CB": "{employer_street}",
        "CADDR": "{employer_city}",
        "A": "{control_number}",
        "EFIRST": "{employee_first}",
        "ELAST": "{employee_last}",
        "FA": "{employee_street}",
        "WAGES": "{wages}",
        "FEDTAX": "{federal_tax_withheld}",
        "SSWAGES": "{social_security_wages}",
        "SSTAX": "{social_security_tax}",
        "MEDWAGES": "{medicare_wages}",
        "MEDTAX": "{medicare_tax}",
        "STATE_STATEID[1]": "{employer_state_id}",
        "STATE_STATEWAG[1]": "{state_wages}",
        "STATE_STATETAX[1]": "{state_tax}",
    },
    choices={"CST": "{employer_state}", "FST": "{employee_state}", "STATE_STATEST[1]": "{state}"},
)
_INT_OFFICIAL = Layout(
    "1099int_2019_official_copy_b",
    DocType.FORM_1099_INT,
    "FORM_1099_INT/bytescout__f1099int_2019_blank_fillable.pdf",
    page=3,
    copy="Copy B",
    year=2019,
    fields={
        "f2_1[0]": "{payer_name}\n{payer_street}\n{payer_city_line}\n{payer_phone}",
        "f2_2[0]": "{payer_tin}",
        "f2_3[0]": "{recipient_tin}",
        "f2_4[0]": "{recipient_name}",
        "f2_5[0]": "{recipient_street}",
        "f2_6[0]": "{recipient_city_line}",
        "f2_7[0]": "{account}",
        "f2_9[0]": "{box_1}",
        "f2_10[0]": "{box_2}",
        "f2_11[0]": "{box_3}",
        "f2_12[0]": "{box_4}",
    },
)
_FFFF_1099_PARTIES = {
    "PNA1": "{payer_name}",
    "ADD1": "{payer_street}",
    "CITY": "{payer_city}",
    "ZIP": "{payer_zip}",
    "PPH": "{payer_phone}",
    "SSN": "{recipient_tin}",
    "NAME": "{recipient_name}",
    "RADD": "{recipient_street}",
    "RCITY": "{recipient_city}",
    "ZIP2": "{recipient_zip}",
    "ACCT": "{account}",
}
_INT_FFFF = Layout(
    "1099int_2013_ffff_copy_b",
    DocType.FORM_1099_INT,
    "FORM_1099_INT/pdflib__F1099I_2013_FFFF_blank_fillable.pdf",
    page=1,
    copy="Copy B",
    year=2013,
    fields={
        **_FFFF_1099_PARTIES,
        "RTN": "{payer_tin}",
        "L1": "{box_1}",
        "L2": "{box_2}",
        "L3": "{box_3}",
        "L4": "{box_4}",
    },
    choices={"STP": "{payer_state}", "STP2": "{recipient_state}"},
)
_DIV_FFFF = Layout(
    "1099div_2013_ffff_copy_b",
    DocType.FORM_1099_DIV,
    "FORM_1099_DIV/pdflib__F1099D_2013_FFFF_blank_fillable.pdf",
    page=1,
    copy="Copy B",
    year=2013,
    fields={
        **_FFFF_1099_PARTIES,
        "PYID": "{payer_tin}",
        "L1B": "{box_1a}",
        "QDIV": "{box_1b}",
        "L1C": "{box_2a}",
        "L2": "{box_4}",
    },
    choices={"STP": "{payer_state}", "STP2": "{recipient_state}"},
)
_G_FFFF = Layout(
    "1099g_2013_ffff_copy_b",
    DocType.FORM_1099_G,
    "FORM_1099_G/pdflib__F1099G_2013_FFFF_blank_fillable.pdf",
    page=1,
    copy="Copy B",
    year=2013,
    fields={
        "PNAME": "{payer_name}",
        "ADD1": "{payer_street}",
        "CITY": "{payer_city}",
        "ZIP": "{payer_zip}",
        "PPH": "{payer_phone}",
        "PYID": "{payer_tin}",
        "SSN": "{recipient_tin}",
        "RNAM": "{recipient_name}",
        "RADD": "{recipient_street}",
        "RCTY": "{recipient_city}",
        "ZIP2": "{recipient_zip}",
        "ACCT": "{account}",
        "L1": "{box_1}",
        "L2": "{box_2}",
        "TXYR": "{refund_year}",
        "L4": "{box_4}",
    },
    choices={"STP": "{payer_state}", "ST2": "{recipient_state}"},
)
_R_FFFF = Layout(
    "1099r_2013_ffff_copy_b",
    DocType.FORM_1099_R,
    "FORM_1099_R/pdflib__F1099R_2013_FFFF_blank_fillable.pdf",
    page=1,
    copy="Copy B",
    year=2013,
    fields={
        "PNAM1": "{payer_name}",
        "PADD": "{payer_street}",
        "PCTY": "{payer_city}",
        "PZIP": "{payer_zip}",
        "EIN": "{payer_tin}",
        "RID": "{recipient_tin}",
        "RNAM": "{recipient_name}",
        "RADD": "{recipient_street}",
        "RCTY": "{recipient_city}",
        "RZIP": "{recipient_zip}",
        "ACCT": "{account}",
        "L1": "{box_1}",
        "L2A": "{box_2a}",
        "L4": "{box_4}",
        "L7A": "{box_7}",
    },
    choices={"PST": "{payer_state}", "RST": "{recipient_state}"},
)
_K_OFFICIAL = Layout(
    "1099k_2021_official_copy_b",
    DocType.FORM_1099_K,
    "FORM_1099_K/pdfco__2021_1099K_filled_acroform.pdf",  # its sample values are all replaced
    page=1,
    copy="Copy B",
    year=2021,
    fields={
        "f2_1[0]": "{payer_name}\n{payer_street}\n{payer_city_line}\n{payer_phone}",
        "f2_2[0]": "{recipient_name}",
        "f2_3[0]": "{recipient_street}",
        "f2_4[0]": "{recipient_city_line}",
        "f2_6[0]": "{account}",
        "f2_7[0]": "{payer_tin}",
        "f2_8[0]": "{recipient_tin}",
        "f2_9[0]": "{box_1a}",
        "f2_10[0]": "{box_1b}",
        "f2_11[0]": "{merchant_code}",
        "f2_12[0]": "{transactions}",
        "f2_13[0]": "{box_4}",
        **{f"f2_{14 + m}[0]": f"{{month_{m + 1}}}" for m in range(12)},
    },
)
_MISC_OFFICIAL = Layout(
    "1099misc_2021_official_copy_b",
    DocType.FORM_1099_MISC,
    "FORM_1099_MISC/azure__f1099msc_recipient.pdf",  # its sample values are all replaced
    page=1,
    copy="Copy B",
    year=2021,
    fields={
        "f2_1[0]": "{payer_name}\n{payer_street}\n{payer_city_line}\n{payer_phone}",
        "f2_2[0]": "{payer_tin}",
        "f2_3[0]": "{recipient_tin}",
        "f2_4[0]": "{recipient_name}",
        "f2_5[0]": "{recipient_street}",
        "f2_6[0]": "{recipient_city_line}",
        "f2_7[0]": "{account}",
        "f2_8[0]": "{box_1}",
        "f2_9[0]": "{box_2}",
        "f2_10[0]": "{box_3}",
        "f2_11[0]": "{box_4}",
    },
)
_1095A = Layout(
    "1095a_2019_official",
    DocType.FORM_1095_A,
    "FORM_1095_A/dchbx__f1095a_2019_blank_fillable_2p.pdf",
    page=1,
    copy="Recipient",
    year=2019,
    fields={
        "f1_01[0]": "{marketplace_id}",
        "f1_02[0]": "{policy_number}",
        "f1_03[0]": "{issuer}",
        "f1_04[0]": "{recipient_name}",
        "f1_05[0]": "{recipient_ssn}",
        "f1_06[0]": "{recipient_dob}",
        "f1_10[0]": "{policy_start}",
        "f1_11[0]": "{policy_end}",
        "f1_12[0]": "{recipient_street}",
        "f1_13[0]": "{recipient_city}",
        "f1_14[0]": "{recipient_state}",
        "f1_15[0]": "US {recipient_zip}",
        "f1_016_0_[0]": "{recipient_name}",
        "f1_017_0_[0]": "{recipient_ssn}",
        "f1_018_0_[0]": "{recipient_dob}",
        "f1_019_0_[0]": "{policy_start}",
        "f1_020_0_[0]": "{policy_end}",
        # Part III: one row a month (A premium, B SLCSP, C advance credit), then the annual totals.
        **{
            f"f1_{46 + 3 * m + c:03d}_0_[0]": f"{{{col}_{m + 1}}}"
            for m in range(12)
            for c, col in enumerate(("premium", "slcsp", "aptc"))
        },
        "f1_082_0_[0]": "{annual_premium}",
        "f1_083_0_[0]": "{annual_slcsp}",
        "f1_084_0_[0]": "{annual_aptc}",
    },
)
_K1 = Layout(
    "k1_1065_2017_official",
    DocType.SCHEDULE_K1,
    "SCHEDULE_K1/sandeshan__f1065sk1_2017_blank_fillable.pdf",
    page=1,
    copy="Partner",
    year=2017,
    fields={
        "p1-t4[0]": "{partnership_ein}",
        "p1-t5[0]": "{partnership_name}\n{partnership_street}\n{partnership_city_line}",
        "p1-t6[0]": "{irs_center}",
        "p1-t7[0]": "{partner_tin}",
        "p1-t8[0]": "{partner_name}\n{partner_street}\n{partner_city_line}",
        "p1-t9[0]": "Individual",
        "p1-t25[0]": "{box_1}",
        "p1-t26[0]": "{box_2}",
        "p1-t29[0]": "{box_5}",
    },
)

_NEC_BOXES = {
    "payer": ("{payer_name}\n{payer_street}\n{payer_city_line}\n{payer_phone}", 54.9, 727.5, "left"),
    "payer_tin": ("{payer_tin}", 112.0, 627.0, "center"),
    "recipient_tin": ("{recipient_tin}", 234.5, 627.0, "center"),
    "recipient_name": ("{recipient_name}", 54.9, 585.0, "left"),
    "recipient_street": ("{recipient_street}", 54.9, 549.0, "left"),
    "recipient_city": ("{recipient_city_line}", 54.9, 513.0, "left"),
    "account": ("{account}", 54.9, 445.0, "left"),
    "box_1": ("{box_1}", 481.0, 663.0, "right"),
    "box_4": ("{box_4}", 481.0, 542.0, "right"),
    "box_5": ("{state_tax}", 387.0, 447.0, "right"),
    "box_6": ("{state} {payer_state_id}", 395.0, 447.0, "left"),
    "box_7": ("{state_income}", 573.0, 447.0, "right"),
}
_NEC_REBLANKED = Layout(
    "1099nec_2020_official_copy_b_reblanked",
    DocType.FORM_1099_NEC,
    # The only 1099-NEC of the corpus: a flattened Copy B whose sample values sit in one form XObject;
    # that is removed and the generated values are drawn in the same font (Helvetica Bold 8 pt).
    "FORM_1099_NEC/gdocai__2020_1099NEC_filled_synthetic.pdf",
    page=1,
    copy="Copy B",
    year=2020,
    fields={name: template for name, (template, *_) in _NEC_BOXES.items()},
    drawn={name: (x, y, align) for name, (_, x, y, align) in _NEC_BOXES.items()},
)

LAYOUTS: tuple[Layout, ...] = (
    _W2_OFFICIAL,
    _W2_FFFF,
    _INT_OFFICIAL,
    _INT_FFFF,
    _NEC_REBLANKED,
    _DIV_FFFF,
    _G_FFFF,
    _R_FFFF,
    _K_OFFICIAL,
    _MISC_OFFICIAL,
    _1095A,
    _K1,
)
TYPES: tuple[DocType, ...] = (
    DocType.W2,
    DocType.FORM_1099_INT,
    DocType.FORM_1099_NEC,
    DocType.FORM_1099_MISC,
    DocType.FORM_1099_DIV,
    DocType.FORM_1099_R,
    DocType.FORM_1099_G,
    DocType.FORM_1099_K,
    DocType.FORM_1095_A,
    DocType.SCHEDULE_K1,
)
# Asked-for types with no usable form in the corpus (none now: the 1099-NEC is a re-blanked flat copy).
SKIPPED: dict[DocType, str] = {}


def available_layouts(types: Iterable[DocType] | None = None) -> list[Layout]:
    wanted = set(types) if types is not None else set(TYPES)
    return [layout for layout in LAYOUTS if layout.doc_type in wanted and layout.pdf_path() is not None]


# -- values ------------------------------------------------------------------------------------------
def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _ssn(rng: random.Random) -> str:
    # Areas 773-899 were never issued under the area-number system: fake by construction, valid shape.
    return f"{rng.randint(773, 899)}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}"


def _ein(rng: random.Random) -> str:
    return f"{rng.randint(10, 98):02d}-{rng.randint(1000000, 9999999):07d}"


def _person(rng: random.Random) -> tuple[str, str]:
    first = rng.choice(FIRST)
    if rng.random() < 0.3:
        first += f" {rng.choice(string.ascii_uppercase)}"
    return first, rng.choice(LAST)


def _address(rng: random.Random, prefix: str, values: dict[str, str]) -> None:
    city, state, zip3 = rng.choice(CITIES)
    zip_code = f"{zip3}{rng.randint(10, 99)}"
    values[f"{prefix}_street"] = f"{rng.randint(10, 9899)} {rng.choice(STREETS)}"
    values[f"{prefix}_city"] = city
    values[f"{prefix}_state"] = state
    values[f"{prefix}_zip"] = zip_code
    values[f"{prefix}_city_line"] = f"{city}, {state} {zip_code}"


def _phone(rng: random.Random) -> str:
    return f"({rng.randint(201, 989)}) 555-{rng.randint(100, 199):04d}"


class _Values:
    """Generated values: `truth` in the schema's formats, `shown` as printed, `money` the amounts."""

    def __init__(self, rng: random.Random, year: int) -> None:
        self.rng = rng
        self.year = year
        self.commas = rng.random() < 0.5  # one document prints its amounts one way
        self.truth: dict[str, str] = {}
        self.shown: dict[str, str] = {}

    def money(self, name: str, value: Decimal | None) -> None:
        if value is None or value == 0:
            self.shown[name] = ""
            return
        value = _cents(value)
        self.truth[name] = f"{value:.2f}"
        self.shown[name] = f"{value:,.2f}" if self.commas else f"{value:.2f}"

    def text(self, name: str, value: str, *, truth: bool = True) -> None:
        self.shown[name] = value
        if truth:
            self.truth[name] = value

    def date(self, name: str, day: tuple[int, int, int], *, truth: bool = True) -> None:
        year, month, dom = day
        self.shown[name] = f"{month:02d}/{dom:02d}/{year}"
        if truth:
            self.truth[name] = f"{year:04d}-{month:02d}-{dom:02d}"


def _company(rng: random.Random) -> str:
    return rng.choice([*COMPANIES, *MORE_COMPANIES])


def _payer_and_recipient(v: _Values) -> None:
    rng = v.rng
    v.text("payer_name", _company(rng))
    _address(rng, "payer", v.shown)
    v.text("payer_phone", _phone(rng), truth=False)
    v.text("payer_tin", _ein(rng))
    first, last = _person(rng)
    v.text("recipient_name", f"{first} {last}")
    _address(rng, "recipient", v.shown)
    v.text("recipient_tin", _ssn(rng))
    v.text("account", f"{rng.randint(1000, 9999)}-{rng.randint(100000, 999999)}", truth=False)


def _w2(v: _Values) -> None:
    rng = v.rng
    v.text("employer_name", _company(rng))
    _address(rng, "employer", v.shown)
    v.text("employer_ein", _ein(rng))
    first, last = _person(rng)
    v.text("employee_first", first, truth=False)
    v.text("employee_last", last, truth=False)
    v.truth["employee_name"] = f"{first} {last}"
    _address(rng, "employee", v.shown)
    v.text("employee_ssn", _ssn(rng))
    v.text("control_number", f"{rng.randint(100000, 999999)}", truth=False)
    # Gross pay; box 1 is lower by pre-tax 401(k) deferrals; box 3 stops at the wage base, box 5 does not.
    gross = _amount(rng, 18000, 190000)
    deferral = _cents(gross * Decimal(rng.choice([0, 0, 0.03, 0.05, 0.08]))) if rng.random() < 0.6 else Decimal(0)
    wages = gross - deferral
    base = SS_WAGE_BASE.get(v.year, Decimal("142800"))
    ss_wages = min(gross, base)
    v.money("wages", wages)
    v.money("federal_tax_withheld", wages * Decimal(rng.choice(["0.08", "0.10", "0.12", "0.15", "0.18", "0.22"])))
    v.money("social_security_wages", ss_wages)
    v.money("social_security_tax", _cents(ss_wages * SS_RATE))
    v.money("medicare_wages", gross)
    v.money("medicare_tax", _cents(gross * MEDICARE_RATE))
    state = v.shown["employer_state"] if v.shown["employer_state"] not in ("TX", "WA", "FL") else "CA"
    v.text("state", state)
    v.shown["employer_state_id"] = f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)}-{rng.randint(1, 9)}"
    v.money("state_wages", wages)
    v.money("state_tax", wages * Decimal(rng.choice(["0.03", "0.04", "0.05", "0.06"])))


def _maybe(rng: random.Random, chance: float, value: Decimal) -> Decimal | None:
    return value if rng.random() < chance else None


def _1099_int(v: _Values) -> None:
    rng = v.rng
    _payer_and_recipient(v)
    box_1 = _amount(rng, 5, 25000)
    v.money("box_1", box_1)
    v.money("box_2", _maybe(rng, 0.25, _cents(box_1 * Decimal("0.02"))))
    v.money("box_3", _maybe(rng, 0.25, _amount(rng, 10, 3000)))
    v.money("box_4", _maybe(rng, 0.3, _cents(box_1 * Decimal("0.24"))))  # backup withholding <= interest


def _1099_nec(v: _Values) -> None:
    rng = v.rng
    _payer_and_recipient(v)
    pay = _amount(rng, 600, 80000)
    v.money("box_1", pay)
    v.money("box_4", _maybe(rng, 0.25, _cents(pay * Decimal("0.24"))))  # backup withholding <= pay
    state = v.shown["recipient_state"]
    taxed = state not in ("TX", "WA", "FL") and rng.random() < 0.5
    v.text("state", state if taxed else "", truth=False)
    v.shown["payer_state_id"] = f"{rng.randint(100000, 999999)}" if taxed else ""
    v.money("state_income", pay if taxed else None)
    v.money("state_tax", _cents(pay * Decimal("0.05")) if taxed else None)


def _1099_misc(v: _Values) -> None:
    rng = v.rng
    _payer_and_recipient(v)
    rents = _maybe(rng, 0.6, _amount(rng, 1200, 60000))
    royalties = _maybe(rng, 0.35, _amount(rng, 50, 20000))
    other = (
        _amount(rng, 600, 30000) if rents is None and royalties is None else _maybe(rng, 0.4, _amount(rng, 600, 30000))
    )
    total = sum((x for x in (rents, royalties, other) if x), Decimal(0))
    v.money("box_1", rents)
    v.money("box_2", royalties)
    v.money("box_3", other)
    v.money("box_4", _maybe(rng, 0.3, _cents(total * Decimal("0.24"))))


def _1099_div(v: _Values) -> None:
    rng = v.rng
    _payer_and_recipient(v)
    ordinary = _amount(rng, 20, 40000)
    v.money("box_1a", ordinary)
    v.money("box_1b", _maybe(rng, 0.8, _cents(ordinary * Decimal(rng.uniform(0.3, 1.0)))))
    v.money("box_2a", _maybe(rng, 0.5, _amount(rng, 10, 15000)))
    v.money("box_4", _maybe(rng, 0.2, _cents(ordinary * Decimal("0.24"))))


def _1099_r(v: _Values) -> None:
    rng = v.rng
    _payer_and_recipient(v)
    gross = _amount(rng, 1000, 120000)
    taxable = gross if rng.random() < 0.7 else _cents(gross * Decimal(rng.uniform(0.2, 0.95)))
    v.money("box_1", gross)
    v.money("box_2a", taxable)
    v.money("box_4", _maybe(rng, 0.8, _cents(taxable * Decimal(rng.choice(["0.10", "0.20"])))))
    v.text("box_7", rng.choice(["7", "7", "1", "2", "4", "G"]))


def _1099_g(v: _Values) -> None:
    rng = v.rng
    _payer_and_recipient(v)
    v.text("payer_name", rng.choice(["State of Ohio ODJFS", "Employment Security Dept", "Dept of Revenue"]))
    unemployment = _maybe(rng, 0.75, _amount(rng, 800, 24000))
    refund = _amount(rng, 20, 3000) if unemployment is None else _maybe(rng, 0.4, _amount(rng, 20, 3000))
    v.money("box_1", unemployment)
    v.money("box_2", refund)
    v.text("refund_year", str(v.year - 1) if refund else "", truth=False)
    v.money("box_4", _maybe(rng, 0.5, _cents(unemployment * Decimal("0.10"))) if unemployment else None)


def _1099_k(v: _Values) -> None:
    rng = v.rng
    _payer_and_recipient(v)
    v.text("payer_name", rng.choice(["Lotus Payments Inc", "Northwind Merchant Services", "Acme Pay LLC"]))
    months = [_amount(rng, 200, 9000) if rng.random() < 0.85 else Decimal(0) for _ in range(12)]
    months[rng.randrange(12)] += _amount(rng, 100, 900)  # never all zero
    gross = sum(months, Decimal(0))
    v.money("box_1a", gross)
    v.money("box_1b", _maybe(rng, 0.5, _cents(gross * Decimal(rng.uniform(0.05, 0.6)))))
    v.money("box_4", _maybe(rng, 0.15, _cents(gross * Decimal("0.24"))))
    v.text("merchant_code", rng.choice(["5812", "5411", "7230", "5999"]), truth=False)
    v.text("transactions", str(rng.randint(40, 4000)), truth=False)
    for m, amount in enumerate(months, start=1):
        v.shown[f"month_{m}"] = "" if amount == 0 else (f"{amount:,.2f}" if v.commas else f"{amount:.2f}")


def _1095_a(v: _Values) -> None:
    rng = v.rng
    state = rng.choice(CITIES)[1]
    v.text("marketplace_id", f"{state}{rng.randint(100000, 999999)}")
    v.text("policy_number", f"{rng.choice('HQRT')}{rng.randint(10000000, 99999999)}")
    v.text("issuer", rng.choice(ISSUERS), truth=False)
    first, last = _person(rng)
    v.text("recipient_name", f"{first} {last}")
    v.text("recipient_ssn", _ssn(rng))
    v.date("recipient_dob", (rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28)), truth=False)
    _address(rng, "recipient", v.shown)
    start = rng.randint(1, 4)
    v.date("policy_start", (v.year, start, 1), truth=False)
    v.date("policy_end", (v.year, 12, 31), truth=False)
    premium = _amount(rng, 250, 1400)
    slcsp = _cents(premium * Decimal(rng.uniform(0.9, 1.2)))
    aptc = _cents(slcsp * Decimal(rng.uniform(0.0, 0.9)))
    totals = {"premium": Decimal(0), "slcsp": Decimal(0), "aptc": Decimal(0)}
    for m in range(1, 13):
        for col, amount in (("premium", premium), ("slcsp", slcsp), ("aptc", aptc)):
            covered = m >= start
            v.shown[f"{col}_{m}"] = (f"{amount:,.2f}" if v.commas else f"{amount:.2f}") if covered else ""
            totals[col] += amount if covered else 0
    v.money("annual_premium", totals["premium"])
    for col in ("slcsp", "aptc"):
        v.shown[f"annual_{col}"] = f"{totals[col]:,.2f}" if v.commas else f"{totals[col]:.2f}"


def _k1(v: _Values) -> None:
    rng = v.rng
    v.text(
        "partnership_name",
        rng.choice(["Harbor View Partners LP", "Golden Dragon Holdings LLC", "Cedar Lane Rentals LP"]),
    )
    _address(rng, "partnership", v.shown)
    v.text("partnership_ein", _ein(rng))
    v.text("irs_center", rng.choice(["Ogden, UT", "Kansas City, MO", "e-file"]), truth=False)
    first, last = _person(rng)
    v.text("partner_name", f"{first} {last}")
    _address(rng, "partner", v.shown)
    v.text("partner_tin", _ssn(rng))
    v.money("box_1", _amount(rng, 500, 150000) * (1 if rng.random() < 0.85 else -1))
    v.money("box_2", _maybe(rng, 0.5, _amount(rng, 100, 40000) * (1 if rng.random() < 0.7 else -1)))
    v.money("box_5", _maybe(rng, 0.6, _amount(rng, 5, 5000)))


_GENERATE = {
    DocType.W2: _w2,
    DocType.FORM_1099_INT: _1099_int,
    DocType.FORM_1099_NEC: _1099_nec,
    DocType.FORM_1099_MISC: _1099_misc,
    DocType.FORM_1099_DIV: _1099_div,
    DocType.FORM_1099_R: _1099_r,
    DocType.FORM_1099_G: _1099_g,
    DocType.FORM_1099_K: _1099_k,
    DocType.FORM_1095_A: _1095_a,
    DocType.SCHEDULE_K1: _k1,
}


# Printed besides the schema's fields: names and addresses (realism), and the W-2's state line (box 15-17,
# asked for by issue #11). Everything else (account, control and state ID numbers, phone numbers, the
# 1099-K and 1095-A monthly amounts...) only with extras=True.
_NAMES_AND_ADDRESSES = re.compile(r"(_street|_city|_city_line|_state|_zip|_first|_last)$|^issuer$")
_W2_STATE_LINE = {"state", "state_wages", "state_tax"}


# Schema fields printed as several boxes: the W-2's employee name is its first-name and last-name columns.
_PRINTED_AS = {"employee_name": frozenset({"employee_first", "employee_last"})}


def fill(layout: Layout, rng: random.Random, extras: bool = False) -> FilledForm:
    """Generated values for one copy of the layout: what each field prints, and the schema truth.

    Only the schema's fields, names and addresses are printed, unless `extras` (every box the layout
    maps: account numbers, phone numbers, monthly amounts... — distractors a real form has)."""
    v = _Values(rng, layout.year)
    _GENERATE[layout.doc_type](v)
    schema = schema_for(layout.doc_type)
    assert schema is not None
    printed = layout.placeholders()
    printed |= {name for name, parts in _PRINTED_AS.items() if parts <= printed}
    truth = {name: value for name, value in v.truth.items() if name in schema.field_names and name in printed}
    if "tax_year" in schema.field_names:
        truth["tax_year"] = str(layout.year)
    shown = {
        name: value
        if extras
        or name in schema.field_names
        or _NAMES_AND_ADDRESSES.search(name)
        or (layout.doc_type is DocType.W2 and name in _W2_STATE_LINE)
        else ""
        for name, value in v.shown.items()
    }

    def text(template: str) -> str:
        if not extras and not any(f for _, f, _, _ in string.Formatter().parse(template)):
            return ""  # a constant (e.g. the K-1's entity type) is an extra too
        lines = template.format_map(shown).split("\n")
        return "\n".join(line.strip() for line in lines if line.strip())

    form_values = {name: text(template) for name, template in layout.fields.items()}
    choice_values = {name: text(template) for name, template in layout.choices.items()}
    return FilledForm(layout, form_values, choice_values, dict(sorted(truth.items())))


# -- rendering ---------------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _pdf_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _filled_pdf(layout: Layout, form_values: Mapping[str, str], choice_values: Mapping[str, str]) -> bytes:
    import pypdf
    from pypdf.generic import BooleanObject, NameObject, TextStringObject

    path = layout.pdf_path()
    if path is None:
        raise FileNotFoundError(layout.path)
    writer = pypdf.PdfWriter()  # the layout's page alone (with its fields): 5x faster than the whole file
    writer.append(pypdf.PdfReader(io.BytesIO(_pdf_bytes(path))), pages=[layout.page - 1])
    acroform = writer._root_object["/AcroForm"]
    if "/XFA" in acroform:  # the AcroForm fields are the ones filled; pdfium here draws no XFA
        del acroform[NameObject("/XFA")]
    acroform[NameObject("/NeedAppearances")] = BooleanObject(True)
    wanted = {**form_values, **choice_values}
    seen: set[str] = set()
    for annotation in writer.pages[0].get("/Annots") or []:
        widget = annotation.get_object()
        if widget.get("/Subtype") != "/Widget":
            continue
        node = widget if "/T" in widget else widget["/Parent"].get_object()
        kind = node.get("/FT") or (node["/Parent"].get_object().get("/FT") if "/Parent" in node else None)
        name = str(node["/T"]).rsplit(".", 1)[-1]  # some files keep the qualified name in /T
        if kind == "/Btn":  # every box unchecked (a pre-filled sample's ticks included)
            node[NameObject("/V")] = NameObject("/Off")
            widget[NameObject("/AS")] = NameObject("/Off")
            continue
        value = wanted.get(name, "")
        limit = widget.get("/MaxLen") or node.get("/MaxLen")
        if limit is not None and len(value) > int(limit):
            raise ValueError(f"{layout.name}: {len(value)} characters for {name}, which holds {limit}")
        node[NameObject("/V")] = TextStringObject(value)
        if "/AP" in widget:  # pdfium draws the value itself (NeedAppearances)
            del widget[NameObject("/AP")]
        if name in wanted:
            seen.add(name)
    missing = set(wanted) - seen
    if missing:
        raise KeyError(f"{layout.name}: no field {sorted(missing)} on page {layout.page}")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


LINE = 9.7  # points between the lines of a drawn multi-line box (8-point text)
DRAWN_FONT, DRAWN_SIZE = b"Helvetica-Bold", 8.0


def _drawn_pdf(layout: Layout, form_values: Mapping[str, str]) -> bytes:
    """A flat form's page without its own values (its top-level form XObjects) and with these drawn."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    path = layout.pdf_path()
    if path is None:
        raise FileNotFoundError(layout.path)
    unknown = set(form_values) - set(layout.drawn)
    if unknown:
        raise KeyError(f"{layout.name}: no box {sorted(unknown)}")
    document = pdfium.PdfDocument(_pdf_bytes(path))
    try:
        page = document[layout.page - 1]
        for obj in list(page.get_objects(max_depth=1)):
            if obj.type == raw.FPDF_PAGEOBJ_FORM:
                page.remove_obj(obj)
        for name, value in form_values.items():
            x, y, align = layout.drawn[name]
            for number, line in enumerate(value.split("\n")):
                if not line:
                    continue
                text = raw.FPDFPageObj_NewTextObj(document.raw, DRAWN_FONT, ctypes.c_float(DRAWN_SIZE))
                buffer = ctypes.create_string_buffer((line + "\x00").encode("utf-16-le"))
                if not raw.FPDFText_SetText(text, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR))):
                    raise RuntimeError(f"{layout.name}: pdfium refused the text of {name}")
                left, bottom, right, top = (ctypes.c_float() for _ in range(4))
                raw.FPDFPageObj_GetBounds(text, left, bottom, right, top)
                width = right.value - left.value
                start = {"left": x, "right": x - width, "center": x - width / 2}[align]
                raw.FPDFPageObj_Transform(text, 1, 0, 0, 1, start, y - number * LINE)
                raw.FPDFPage_InsertObject(page.raw, text)
        page.gen_content()
        alone = pdfium.PdfDocument.new()
        alone.import_pages(document, [layout.page - 1])
        out = io.BytesIO()
        alone.save(out)
        return out.getvalue()
    finally:
        document.close()


def filled_pdf(layout: Layout, form_values: Mapping[str, str], choice_values: Mapping[str, str] | None = None) -> bytes:
    """The layout's page alone as a PDF with these values: AcroForm fields set (drawn by a form
    renderer), or, for a flat form, the values drawn as page text (then also in its text layer)."""
    if layout.drawn:
        return _drawn_pdf(layout, form_values)
    return _filled_pdf(layout, form_values, choice_values or {})


def render(
    layout: Layout, form_values: Mapping[str, str], dpi: int = 200, choice_values: Mapping[str, str] | None = None
):
    """The layout's page with these values drawn by pdfium's form renderer, as a PIL RGB image."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(filled_pdf(layout, form_values, choice_values))
    try:
        document.init_forms()
        page = document[0]
        return page.render(scale=dpi / 72, may_draw_forms=True).to_pil().convert("RGB")
    finally:
        document.close()


def _png(image, gray: bool, dpi: int) -> bytes:
    out = io.BytesIO()
    (image.convert("L") if gray else image).save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _image_pdf(image, dpi: int) -> bytes:
    out = io.BytesIO()
    image.convert("L").save(out, "PDF", resolution=dpi)
    return out.getvalue()


def scan(
    layout: Layout, rng: random.Random, dpi: int | None = None, index: int = 0, extras: bool = False
) -> RealSample:
    """One filled form as a clean image-only scan: PNG (colour or grey) or, one in four, an image PDF."""
    filled = fill(layout, rng, extras)
    dpi = dpi or rng.choice([150, 200, 200, 240, 300])
    image = render(layout, filled.form_values, dpi, filled.choice_values)
    as_pdf = rng.random() < 0.25
    data = _image_pdf(image, dpi) if as_pdf else _png(image, gray=rng.random() < 0.5, dpi=dpi)
    return RealSample(
        f"real_{layout.name}_{index:02d}.{'pdf' if as_pdf else 'png'}",
        data,
        "application/pdf" if as_pdf else "image/png",
        layout.doc_type,
        filled.truth,
        layout=layout.name,
        page=layout.page,
        copy=layout.copy,
        dpi=dpi,
    )


def photograph(layout: Layout, rng: random.Random, index: int = 0, extras: bool = False) -> RealSample:
    """One filled form printed and photographed (samples.photo_like of the page drawn at 200 DPI)."""
    filled = fill(layout, rng, extras)
    image = render(layout, filled.form_values, PHOTO_DPI, filled.choice_values)
    page = Sample(
        f"real_{layout.name}_{index:02d}.png",
        _png(image, gray=False, dpi=PHOTO_DPI),
        "image/png",
        layout.doc_type,
        filled.truth,
    )
    shot = photo_like(page, rng)
    return RealSample(
        shot.filename,
        shot.data,
        shot.mime_type,
        layout.doc_type,
        filled.truth,
        layout=layout.name,
        page=layout.page,
        copy=layout.copy,
        dpi=PHOTO_DPI,
    )


def real_layout_set(
    rng: random.Random,
    per_type: int = 20,
    photo: bool = False,
    types: Iterable[DocType] | None = None,
    extras: bool = False,
) -> list[RealSample]:
    """`per_type` filled forms of each available type (its layouts in turn); [] without the corpus."""
    make = photograph if photo else scan
    items: list[RealSample] = []
    layouts = available_layouts(types)
    for doc_type in TYPES:
        mine = [layout for layout in layouts if layout.doc_type == doc_type]
        for i in range(per_type if mine else 0):
            items.append(make(mine[i % len(mine)], rng, index=i, extras=extras))
    return items


def field_rects(layout: Layout) -> dict[str, tuple[float, float, float, float]]:
    """Each text or choice field of the layout's page: its widget rectangle in PDF points from the
    bottom-left corner of the page as drawn (its crop box): (left, bottom, right, top); the first
    widget when a field has several."""
    import pypdf

    path = layout.pdf_path()
    if path is None:
        raise FileNotFoundError(layout.path)
    page = pypdf.PdfReader(io.BytesIO(_pdf_bytes(path))).pages[layout.page - 1]
    rects: dict[str, tuple[float, float, float, float]] = {}
    for annotation in page.get("/Annots") or []:
        widget = annotation.get_object()
        if widget.get("/Subtype") != "/Widget":
            continue
        node = widget if "/T" in widget else widget["/Parent"].get_object()
        x0, y0 = float(page.cropbox.left), float(page.cropbox.bottom)
        left, bottom, right, top = (float(x) for x in widget["/Rect"])
        rects.setdefault(str(node["/T"]).rsplit(".", 1)[-1], (left - x0, bottom - y0, right - x0, top - y0))
    return rects


def describe() -> list[dict[str, Any]]:
    """What the set is made of (for reports): each layout's type, file, page, copy and printed year."""
    return [
        {"layout": x.name, "type": x.doc_type.value, "file": x.path, "page": x.page, "copy": x.copy, "year": x.year}
        for x in LAYOUTS
    ]
