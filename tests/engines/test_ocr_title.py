"""The title area read again on its own: the year a form prints large under its OMB number (issue #11)."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from ella_dagster.engines import ocr
from ella_dagster.engines.ocr import Word

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _sheet() -> Image.Image:
    image = Image.new("L", (1200, 600), 255)
    draw = ImageDraw.Draw(image)
    draw.text((600, 60), "OMB No. 1545-0112", font=ImageFont.truetype(FONT, 22), fill=0)
    draw.text((640, 120), "2019", font=ImageFont.truetype(FONT, 70), fill=0)
    draw.text((60, 60), "PAYER'S name, street address", font=ImageFont.truetype(FONT, 22), fill=0)
    return image


# The page's own reading as it comes out on the real 1099s: the OMB line, the year lost.
OMB = (
    Word("OMB", 600, 62, 60, 22, 95.0),
    Word("No.", 668, 62, 40, 22, 95.0),
    Word("1545-0112", 716, 62, 130, 22, 95.0),
)
NAME = (Word("PAYER'S", 60, 62, 100, 22, 95.0), Word("name,", 168, 62, 70, 22, 95.0))


def test_the_year_under_the_omb_number_is_read_from_its_own_crop() -> None:
    found = ocr.title_words(_sheet(), OMB + NAME)
    assert [w.text for w in found] == ["2019"]
    assert found[0].top > 100 and found[0].height > 40  # where it is printed, as large as it is


def test_no_second_reading_when_the_page_has_its_year_or_no_omb_line() -> None:
    year = Word("2019", 640, 120, 160, 60, 90.0)
    assert ocr.title_words(_sheet(), (*OMB, *NAME, year)) == ()
    assert ocr.title_words(_sheet(), NAME) == ()
