"""Tesseract on a prepared page: the text in reading order and every word with its box.

A PDF's own text layer is used as it is. Raster pages are prepared (domain/preprocess.py), read with
page segmentation, turned upright when they do not read as text and orientation detection is sure, and
the garbled form words repaired (lexicon.py). Word boxes give the page's geometry: the heading is the
lines printed at the top, wherever the reading order puts them.

A page image carries the client's SSN: Tesseract reads it from its stdin and writes its answer to its
stdout, so no page image or result is ever written to disk (pytesseract's own calls save both to files in
the shared temp directory, readable by everyone and left behind when the process is killed).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import re
import shlex
import subprocess
from dataclasses import dataclass

import pytesseract
from PIL import Image

from ella_dagster.domain.errors import PermanentDocumentError, TransientDocumentError
from ella_dagster.domain.hashing import sha256_hex
from ella_dagster.domain.pages import Page, load_pages
from ella_dagster.domain.preprocess import prepare_for_ocr
from ella_dagster.engines import lexicon, rules, tesseract_worker

# Tesseract's OpenMP threads spin against each other and against parallel runs: on this project's 2-core
# machines one thread per page is ~5x faster (benchmarks/ocr_threads.py). An explicit setting wins.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

OCR_TIMEOUT_SECONDS = 120
TESSERACT_CONFIG = "--psm 3"
WORD_LEVEL = 5  # image_to_data rows: 1 page, 2 block, 3 paragraph, 4 line, 5 word


# OSD picks wrong rotations at low resolution with low confidence: act on it only above this.
OSD_MIN_CONFIDENCE = 3.0
# Common words of any document: an upside-down or sideways page reads as garbage without them.
_COMMON = frozenset(
    [
        "the",
        "and",
        "of",
        "for",
        "to",
        "in",
        "on",
        "or",
        "form",
        "tax",
        "total",
        "name",
        "number",
        "date",
        "amount",
        "income",
        "no",
        "your",
        "this",
        "account",
        "statement",
        "state",
        "city",
        "address",
        "social",
        "security",
        "year",
    ]
)
MIN_COMMON_WORDS = 3


def reads_as_text(text: str, enough: int = MIN_COMMON_WORDS) -> bool:
    return sum(word in _COMMON for word in text.lower().split()) >= enough


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float  # Tesseract's, kept for the record: never a quality gate (it stays high on garbage)


@dataclass(frozen=True)
class PageText:
    text: str  # lines in reading order, paragraphs separated by a blank line, garbled words repaired
    words: tuple[Word, ...] = ()  # empty for a PDF text layer
    height: int = 0  # of the prepared image the boxes refer to
    # The title area under the OMB number read again on its own (title_words): a large, outlined year
    # that the page's segmentation misses ("20 19" as "D) 0 1 9", or no word at all).
    title_words: tuple[Word, ...] = ()

    def heading(self) -> str | None:
        """The first printed lines, by position; None without word boxes (a PDF text layer), where the
        reading order's first lines stand for them."""
        if not self.words:
            return None
        rows: list[list[Word]] = []
        for word in sorted(self.words, key=lambda w: (w.top, w.left)):
            if rows and abs(rows[-1][0].top - word.top) <= max(rows[-1][0].height, word.height) // 2:
                rows[-1].append(word)
            else:
                rows.append([word])
        lines = (" ".join(w.text for w in sorted(row, key=lambda w: w.left)) for row in rows[: rules.HEADER_LINES])
        return lexicon.repair("\n".join(lines))


def _tesseract(image: Image.Image, *args: str) -> str:
    """Tesseract's output for `image`, through pipes only: nothing is written to disk.

    Raises TransientDocumentError on a timeout, PermanentDocumentError when Tesseract is missing and
    pytesseract.TesseractError when it refuses the page."""
    png = io.BytesIO()
    image.save(png, "PNG")
    command = [pytesseract.pytesseract.tesseract_cmd, "stdin", "stdout", *args]
    try:
        done = subprocess.run(command, input=png.getvalue(), capture_output=True, timeout=OCR_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:  # run() has killed Tesseract
        raise TransientDocumentError("OCR timed out") from exc
    except FileNotFoundError as exc:
        raise PermanentDocumentError("tesseract is not installed (apt-get install tesseract-ocr)") from exc
    if done.returncode:
        raise pytesseract.TesseractError(done.returncode, pytesseract.pytesseract.get_errors(done.stderr))
    return done.stdout.decode("utf-8")


@functools.cache
def _warm() -> tesseract_worker.WarmTesseract | None:
    """The warm worker when tesserocr is installed and Tesseract's English model is found; else None
    (every read then starts the `tesseract` command)."""
    if not tesseract_worker.available():
        return None
    tessdata = tesseract_worker.tessdata_dir(pytesseract.pytesseract.tesseract_cmd)
    return tesseract_worker.WarmTesseract(tessdata) if tessdata else None


def _tsv(image: Image.Image, config: str) -> str:
    """Tesseract's words with their boxes (the TSV image_to_data parses) for a `--psm N` config."""
    warm, psm = _warm(), re.fullmatch(r"--psm (\d+)", config)
    if warm is None or psm is None:
        # The tsv config file makes Tesseract print words with their boxes, as image_to_data does.
        return _tesseract(image, *shlex.split(config), "tsv")
    grey = image if image.mode == "L" else image.convert("L")
    try:
        return warm.tsv(grey.tobytes(), grey.width, grey.height, int(psm.group(1)), OCR_TIMEOUT_SECONDS)
    except TimeoutError as exc:  # the worker has been killed
        raise TransientDocumentError("OCR timed out") from exc
    except tesseract_worker.WorkerError as exc:
        raise pytesseract.TesseractError(exc.status, str(exc)) from exc


def _read(image: Image.Image, config: str = TESSERACT_CONFIG) -> PageText:
    data = pytesseract.pytesseract.file_to_dict(_tsv(image, config), "\t", -1)
    words, lines, previous = [], {}, None
    for i, raw in enumerate(data["text"]):
        if data["level"][i] != WORD_LEVEL or not raw.strip():
            continue
        words.append(
            Word(raw, data["left"][i], data["top"][i], data["width"][i], data["height"][i], float(data["conf"][i]))
        )
        lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(raw)
    text = []
    for key, line in lines.items():  # dicts keep Tesseract's reading order
        if previous is not None and key[:2] != previous[:2]:
            text.append("")
        text.append(" ".join(line))
        previous = key
    return PageText(lexicon.repair("\n".join(text) + "\n"), tuple(words), image.height)


TITLE_CONFIG = "--psm 6"  # a block: the year, maybe a line of the form around it
SECOND_TITLE_CONFIG = "--psm 11"  # sparse text: the same crop segmented another way
UNSURE_TITLE = 50.0  # the OCR confidence a year gets when the two readings of its crop disagree
_YEAR = re.compile(r"(?<!\d)(20[0-4]\d)(?!\d)")
_OMB = re.compile(r"^OMB$", re.IGNORECASE)


def _title_regions(words: tuple[Word, ...]) -> list[tuple[int, int, int, int]]:
    """Where a form prints its year large: under its "OMB No. 1545-xxxx" line (the 1099s, 1098s), as
    (left, top, right, bottom) boxes of the prepared image."""
    regions = []
    for omb in (w for w in words if _OMB.match(w.text.strip(".:"))):
        h = max(omb.height, 8)
        line = [w for w in words if abs(w.top - omb.top) <= h / 2 and omb.left <= w.left <= omb.left + 12 * h]
        right = max(w.left + w.width for w in line)
        width = right - omb.left
        regions.append((omb.left - width // 5, omb.top + h, right + width // 5, omb.top + 10 * h))
    return regions[:2]


def title_words(image: Image.Image, words: tuple[Word, ...]) -> tuple[Word, ...]:
    """The year printed large in the title area, read from a crop of that area alone, as words whose box
    is the crop's; () when the page's own words already hold a large year or there is no such area."""
    if not words:
        return ()
    typical = sorted(w.height for w in words)[len(words) // 2]
    if any(_YEAR.fullmatch(w.text.strip("()")) and w.height >= 1.5 * typical for w in words):
        return ()
    found = []
    for left, top, right, bottom in _title_regions(words):
        box = (max(0, left), max(0, top), min(image.width, right), min(image.height, bottom))
        if box[2] - box[0] < 8 or box[3] - box[1] < 8:
            continue
        try:
            read = _read(image.crop(box), TITLE_CONFIG)
        except pytesseract.TesseractError:
            continue
        years = [(w, m.group(1)) for w in read.words if (m := _YEAR.fullmatch(w.text.strip("().,")))]
        if not years:
            continue
        try:  # a second opinion: outlined digits misread one way ("2015" for "2019") are rarely misread twice alike
            again = {w.text.strip("().,") for w in _read(image.crop(box), SECOND_TITLE_CONFIG).words}
        except pytesseract.TesseractError:
            again = set()
        for w, year in years:
            sure = w.confidence if year in again else min(w.confidence, UNSURE_TITLE)
            found.append(Word(year, box[0] + w.left, box[1] + w.top, w.width, w.height, sure))
    return tuple(found)


def _upright(image: Image.Image) -> Image.Image | None:
    """The page turned upright when Tesseract's orientation detection is confident, else None."""
    try:
        osd = pytesseract.pytesseract.osd_to_dict(_tesseract(image, "-l", "osd", "--psm", "0"))
    except pytesseract.TesseractError:  # too little text to tell
        return None
    if osd.get("rotate", 0) and float(osd.get("orientation_conf", 0)) >= OSD_MIN_CONFIDENCE:
        return image.rotate(-int(osd["rotate"]), expand=True, fillcolor=255)
    return None


@dataclass(frozen=True)
class _Sheet:
    """A page as read: its text, and the prepared (upright) image a second reading starts from."""

    text: PageText
    image: Image.Image | None = None  # None for a PDF text layer


def _refused(exc: pytesseract.TesseractError) -> PermanentDocumentError:
    # Tesseract refuses the same page the same way every time (e.g. over 32767 pixels a side).
    return PermanentDocumentError(f"tesseract could not read the page (exit status {exc.status})")


def _read_sheet(page: Page) -> _Sheet:
    # A text layer without one ordinary word is only what was typed into a form whose own print is
    # pictures or outlines (a filled 1099 whose labels are paths): the rendered page says more.
    if page.text_layer and reads_as_text(page.text_layer, 1):
        return _Sheet(PageText(page.text_layer))
    try:
        image = prepare_for_ocr(page.image)
        read = _read(image)
        if not reads_as_text(read.text):  # maybe the page is sideways or upside down
            upright = _upright(image)
            if upright is not None:
                image, read = upright, _read(upright)
        title = title_words(image, read.words)
        if title:
            read = dataclasses.replace(read, title_words=title)
        return _Sheet(read, image)
    except pytesseract.TesseractError as exc:
        raise _refused(exc) from exc


@functools.lru_cache(maxsize=2)
def _sheets(digest: str, data: bytes, mime_type: str) -> tuple[_Sheet, ...]:
    # Keyed by content hash: classification, extraction and a second reading of one document share
    # one rendering, preparation and OCR pass when they run in the same process (the in-process
    # executor runs a document's steps together). Two documents: prepared images are large.
    del digest
    return tuple(_read_sheet(page) for page in load_pages(data, mime_type))


def page_texts(data: bytes, mime_type: str) -> tuple[PageText, ...]:
    return tuple(sheet.text for sheet in _sheets(sha256_hex(data), data, mime_type))


SECOND_PASS_CONFIG = "--psm 6"


def second_reading(data: bytes, mime_type: str, number: int) -> PageText | None:
    """Page `number` (1-based) read again as one block of text, from the image already prepared;
    None for a text layer (it is complete)."""
    sheet = _sheets(sha256_hex(data), data, mime_type)[number - 1]
    if sheet.image is None:
        return None
    try:
        return _read(sheet.image, SECOND_PASS_CONFIG)
    except pytesseract.TesseractError as exc:
        raise _refused(exc) from exc


REGION_CONFIG = "--psm 7"  # one text line: a single cell's value


def read_region(
    data: bytes, mime_type: str, number: int, box: tuple[int, int, int, int], config: str = REGION_CONFIG
) -> tuple[Word, ...]:
    """The words of one region (left, top, right, bottom, in the coordinates of PageText.words) of page
    `number` (1-based), read on their own from the image already prepared: a cell whose value did not
    parse in the page's reading (digits merged with a border) is often read right alone. () for a text
    layer, an empty region or a region Tesseract refuses."""
    sheet = _sheets(sha256_hex(data), data, mime_type)[number - 1]
    if sheet.image is None:
        return ()
    left, top = max(0, box[0]), max(0, box[1])
    right, bottom = min(sheet.image.width, box[2]), min(sheet.image.height, box[3])
    if right - left < 4 or bottom - top < 4:
        return ()
    try:
        read = _read(sheet.image.crop((left, top, right, bottom)), config)
    except pytesseract.TesseractError:
        return ()
    return tuple(dataclasses.replace(w, left=w.left + left, top=w.top + top) for w in read.words)


def tesseract_version() -> str:
    """The Tesseract that reads pages: the warm worker's library when it is used, else the command's."""
    if _warm() is not None:
        import tesserocr  # only for its version: pages are read in the worker

        return tesserocr.tesseract_version().split()[1]
    try:
        return str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError:
        return "missing"
