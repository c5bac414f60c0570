"""Page preparation before OCR: crop a photographed sheet flat, flatten uneven light, straighten skew,
bring small text up to a size Tesseract reads, erase the ruling lines of form boxes.

Tesseract fails silently on all of these (at 8 degrees it recovers almost nothing while its confidence
stays high), so a photographed page is normalised first. Clean renders pass through almost unchanged.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter, ImageOps
from scipy import ndimage

WORK_WIDTH = 1000  # the skew search runs on a reduced copy
MAX_SKEW = 10.0
# Tesseract loses accuracy fast below ~8 pt at 300 DPI (median glyph ~15 px); a phone photo at 100-150 DPI
# gives 6-10 px. Small text is enlarged towards this median glyph height.
TARGET_GLYPH_HEIGHT = 18
MIN_UPSCALE = 1.25  # a clean 300-DPI render is left as it is
# A picture of tiny print (a 4-up W-2 sheet at 1200 pixels: 5-px glyphs) needs 3.6x; pictures too small for
# any enlargement to help (a 200-pixel licence) stay unread. MAX_PIXELS caps the result.
MAX_UPSCALE = 4.0
MAX_PIXELS = 16_000_000
RULE_MIN_GLYPHS = 8
BLUR_REDUCTION = 4
# The reduced copies the crop and the skew are measured on are box-averaged by a whole factor first (PIL's
# reduce, cheaper than resampling the full page) and resampled from there.
REDUCING_GAP = 1.1


# (pixel + 1) / (background + 1), scaled to 8 bits: _QUOTIENT[background << 8 | pixel].
_LEVELS = np.arange(256, dtype=np.float32) + 1.0
_QUOTIENT = np.clip(_LEVELS[None, :] / _LEVELS[:, None] * 255.0, 0, 255).astype(np.uint8).ravel()


def flatten_illumination(gray: Image.Image) -> Image.Image:
    """Divides by a blurred copy (the estimated background): shadows and gradients become white paper."""
    radius = max(8, min(gray.size) // 30)
    # The background varies over tens of pixels: blurred on a copy reduced BLUR_REDUCTION times, alike
    # and several times faster.
    small = gray.reduce(BLUR_REDUCTION) if min(gray.size) >= 64 * BLUR_REDUCTION else gray
    blurred = small.filter(ImageFilter.GaussianBlur(radius * small.width / gray.width))
    blurred = blurred.resize(gray.size, Image.Resampling.BILINEAR) if small is not gray else blurred
    # Both sides are 8-bit: the quotient of every pair is looked up (one pass instead of four in float).
    index = (np.asarray(blurred).astype(np.uint16) << 8) | np.asarray(gray)
    return ImageOps.autocontrast(Image.fromarray(np.take(_QUOTIENT, index)), cutoff=1)


def _profile_score(ink: np.ndarray) -> float:
    """How sharply the rows' ink counts change (`ink`: 0 or 1): high when text lines are horizontal."""
    rows = ink.sum(axis=1, dtype=np.int64)  # whole counts: exact, and faster than in floating point
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(gray: Image.Image) -> float:
    """The rotation (degrees) that makes text lines horizontal: sharpest row-sum profile, coarse to fine.
    Both on the same working copy: the whole degrees' profile of a dense page is too flat on a copy half
    as wide (a K-1 photo's -7.8 degrees came out -6.8)."""
    scale = WORK_WIDTH / max(gray.width, 1)
    if scale < 1:
        gray = gray.resize((WORK_WIDTH, max(1, int(gray.height * scale))), reducing_gap=REDUCING_GAP)
    ink = Image.fromarray((np.asarray(gray) < 128).astype(np.uint8))  # 1 for ink: rows sum to counts

    def score(angle: float) -> float:
        return _profile_score(np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)))

    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0), key=score)
    best = max(np.arange(best - 1.0, best + 1.01, 0.2), key=score)
    return float(round(best, 1))


def _otsu(values: np.ndarray | Image.Image) -> float:
    """Otsu's threshold of 8-bit values (an array, or an "L" image: its histogram is PIL's, ~4x faster)."""
    counts = values.histogram() if isinstance(values, Image.Image) else np.bincount(values.ravel(), minlength=256)
    histogram = np.asarray(counts, dtype=np.float64)
    weights = np.cumsum(histogram)
    means = np.cumsum(histogram * np.arange(256))
    total, grand = weights[-1], means[-1]
    between = (grand * weights - total * means) ** 2 / np.maximum(weights * (total - weights), 1e-9)
    return float(np.argmax(between))


def paper_mask(image: Image.Image) -> np.ndarray:
    """Pixels of the sheet: bright and colourless. Paper is neutral while desks, floors and hands are
    not, so chroma separates a sheet in a shadow from a surface of the same brightness."""
    r, g, b = (np.asarray(band, dtype=np.int16) for band in image.convert("RGB").split())
    chroma = np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)
    score = np.clip((r + g + b) / 3 - 2 * chroma, 0, 255).astype(np.uint8)
    paper = score > _otsu(score)
    labels, count = ndimage.label(paper)
    if count > 1:  # the sheet is the largest region; specks of light elsewhere are not
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        paper = labels == int(np.argmax(sizes))
    # The print on the sheet is part of it: holes are the regions of non-paper that do not reach the
    # border (binary_fill_holes, by one labelling instead of its repeated dilations).
    holes, _ = ndimage.label(~paper)
    outside = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
    return paper | ~np.isin(holes, outside)


def crop_page(image: Image.Image) -> Image.Image:
    """A photographed sheet on a surface, warped flat (grayscale) from its four extreme corners.
    Returned as grayscale, unchanged when no such sheet stands out (a scan or a render is all paper)."""
    gray = image if image.mode == "L" else ImageOps.grayscale(image)
    scale = min(1.0, WORK_WIDTH / max(image.width, 1))
    small = image.resize(
        (max(1, int(image.width * scale)), max(1, int(image.height * scale))), reducing_gap=REDUCING_GAP
    )
    paper = paper_mask(small)
    share = paper.mean()
    if not 0.25 <= share <= 0.92:
        return gray
    ys, xs = np.nonzero(paper)
    corners = [(xs[i], ys[i]) for i in (np.argmin(xs + ys), np.argmin(ys - xs), np.argmax(xs + ys), np.argmax(ys - xs))]
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = [(x / scale, y / scale) for x, y in corners]
    width = int(max(np.hypot(x1 - x0, y1 - y0), np.hypot(x2 - x3, y2 - y3)))
    height = int(max(np.hypot(x3 - x0, y3 - y0), np.hypot(x2 - x1, y2 - y1)))
    if width < gray.width * 0.4 or height < gray.height * 0.4:
        return gray
    # QUAD takes upper-left, lower-left, lower-right, upper-right.
    quad = (x0, y0, x3, y3, x2, y2, x1, y1)
    return gray.transform((width, height), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC, fillcolor=255)


def _ink(gray: Image.Image) -> np.ndarray:
    return np.asarray(gray) < _otsu(gray)


def glyph_height(gray: Image.Image, ink: np.ndarray | None = None) -> float:
    """Median height of the letter-sized ink blobs (0 when the page has none); `ink`: _ink(gray), when
    already computed."""
    ink = _ink(gray) if ink is None else ink
    labels, _ = ndimage.label(ink)
    boxes = ndimage.find_objects(labels)
    if not boxes:
        return 0.0
    heights = np.array([b[0].stop - b[0].start for b in boxes])
    widths = np.array([b[1].stop - b[1].start for b in boxes])
    letters = (heights >= 4) & (heights <= ink.shape[0] * 0.05) & (widths <= heights * 3)
    return float(np.median(heights[letters])) if letters.any() else 0.0


def upscale_small_text(gray: Image.Image, height: float | None = None) -> Image.Image:
    """The page with small text enlarged (`height`: its glyph height, when already measured)."""
    height = glyph_height(gray) if height is None else height
    if not height:
        return gray
    factor = min(MAX_UPSCALE, TARGET_GLYPH_HEIGHT / height, (MAX_PIXELS / (gray.width * gray.height)) ** 0.5)
    if factor < MIN_UPSCALE:
        return gray
    return gray.resize((int(gray.width * factor), int(gray.height * factor)), Image.Resampling.LANCZOS)


def _runs(ink: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Pixels on a straight run of ink at least `length` long along `axis` (a 1-D opening, in O(n))."""
    length |= 1  # odd: the window is centred, so the dilation covers exactly what the erosion kept
    eroded = ndimage.minimum_filter1d(ink, length, axis=axis)
    return ndimage.maximum_filter1d(eroded, length, axis=axis)


def _thin_runs_along_rows(ink: np.ndarray, length: int, thick: int) -> tuple[np.ndarray, np.ndarray]:
    """The pixels of runs of ink along each row at least `length` long and thinner across than `thick`
    (`runs & ~_runs(runs, thick, axis=0)` with `runs = _runs(ink, length, axis=1)`), as (rows, lines):
    `lines[i]` is row `rows[i]`; no other row holds such a pixel. A run that survives the opening holds
    `length // 2` aligned pixels of ink (or, at the right edge, its last ones), so other rows are left out;
    the thinness of a run is measured on the rows that hold runs, bands of rows stacked one on another:
    identical results on a fraction of the pixels (box rules are a few rows of a page), and a 3x3
    neighbourhood of `lines` is the page's too."""
    height, width = ink.shape
    nothing = (np.arange(0), np.zeros((0, width), dtype=bool))
    block = (length | 1) // 2
    if width < block:  # a sliver: the whole computation
        runs = _runs(ink, length, axis=1)
        return np.arange(height), (runs & ~_runs(runs, thick, axis=0)).astype(bool)
    aligned = ink[:, : width // block * block].reshape(height, -1, block).min(axis=2).any(axis=1)
    rows = np.flatnonzero(aligned | ink[:, width - block :].all(axis=1))
    if not rows.size:
        return nothing
    runs = np.zeros(ink.shape, dtype=np.uint8)
    runs[rows] = _runs(ink[rows], length, axis=1)
    held = rows[runs[rows].any(axis=1)]
    if not held.size:
        return nothing
    # Each held row with one row of margin: a band's edge row holds no run, so neither the thinness opening
    # nor the 3x3 neighbourhood of a line reaches across the seam between two stacked bands.
    edges = np.zeros(height + 1, dtype=np.int32)
    np.add.at(edges, np.maximum(held - 1, 0), 1)
    np.add.at(edges, np.minimum(held + 2, height), -1)
    near = np.flatnonzero(np.cumsum(edges[:height]) > 0)
    band = runs[near]
    return near, (band & ~_runs(band, thick, axis=0)).astype(bool)


def erase_rules(gray: Image.Image, glyph: float | None = None, ink: np.ndarray | None = None) -> Image.Image:
    """Long thin straight lines (box borders) become paper, with their 3x3 neighbourhood: Tesseract's
    layout analysis otherwise reads a box grid as one block and loses the values inside it. Thin means
    well under a glyph's height, so a blurred word that binarises into one long blob is kept. `glyph` and
    `ink`: when already measured."""
    ink = (_ink(gray) if ink is None else ink).view(np.uint8)
    glyph = (glyph_height(gray, ink.view(bool)) if glyph is None else glyph) or 10.0
    shortest = max(25, ink.shape[1] // 25)
    # A horizontal rule is also longer than a blurred word (eight glyphs), and thinner than a glyph.
    lengths = {1: max(shortest, int(RULE_MIN_GLYPHS * glyph)), 0: shortest}
    thick = max(3, int(glyph * 0.5))
    pixels = None
    for transposed in (False, True):  # rows, then columns
        rows, lines = _thin_runs_along_rows(ink.T if transposed else ink, lengths[0 if transposed else 1], thick)
        if not lines.any():
            continue
        pixels = np.asarray(gray).copy() if pixels is None else pixels
        view = pixels.T if transposed else pixels
        band = view[rows]
        band[ndimage.maximum_filter(lines, size=3)] = 255
        view[rows] = band
    return gray if pixels is None else Image.fromarray(pixels)


def prepare_for_ocr(image: Image.Image) -> Image.Image:
    gray = flatten_illumination(crop_page(image))
    angle = estimate_skew(gray)
    if abs(angle) >= 0.5:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    # Rules are erased before small text is enlarged: the same lines, found on up to 6x fewer pixels.
    ink = _ink(gray)
    glyph = glyph_height(gray, ink)
    return upscale_small_text(erase_rules(gray, glyph, ink), glyph)
