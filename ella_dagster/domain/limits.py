"""How large a page may be: checked on the image header or the PDF page size, before anything is decoded.

A file over a limit is a permanent failure with a one-line reason; within the limits one page costs at
most a few hundred MB while it is prepared and read. PIL's own decompression-bomb guard
(`Image.MAX_IMAGE_PIXELS`) is set to MAX_IMAGE_PIXELS by ella_dagster.domain.pages.
"""

from __future__ import annotations

# The largest phone cameras take 50 MP photos (8160x6120); a 300-DPI letter scan is 8.4 MP (2550x3300).
MAX_IMAGE_PIXELS = 50_000_000
# Tesseract refuses an image over 32767 pixels a side; no document photo or scan comes near this.
MAX_IMAGE_SIDE = 20_000
# A PDF page side in inches. Tax documents are letter or legal (8.5x14 in), but image-to-PDF converters
# wrap a photo at 72 DPI (a 24 MP photo becomes a 83x56-inch page), so only absurd pages are refused
# (the PDF format itself stops at 200 inches).
MAX_PDF_PAGE_INCHES = 100
# One rendered PDF page: a tabloid page (11x17 in) at 300 DPI is 16.8 MP and renders at full resolution;
# a larger page renders at the resolution that fits (each page of a 10-page PDF is held in memory).
MAX_RENDER_PIXELS = 25_000_000
POINTS_PER_INCH = 72


def megapixels(pixels: int) -> str:
    """50_000_000 -> "50 megapixels", 4_294_836_225 -> "4294.8 megapixels": for a reason a person reads."""
    return f"{pixels / 1_000_000:.1f}".rstrip("0").rstrip(".") + " megapixels"
