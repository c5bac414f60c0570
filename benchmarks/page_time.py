"""The offline engine's seconds per page (classify + extract, as benchmarks/accuracy.py counts them) on the
real-layout set, with the share of page preparation; with --against REV, side by side with the page
preparation (domain/preprocess.py) of an earlier commit, on the same documents.

    python benchmarks/page_time.py [--per-type 2] [--rounds 2] [--against REV]

Each round runs every document once with each preparation, alternating which goes first, with the OCR
cache cleared before each run, so both see the same machine load. Prints p50 and mean seconds per page
for each, their ratio, the preparation's own share, and whether the two preparations gave identical
pages. One Tesseract thread (the engine's default): the figures are per core.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ella_dagster import real_forms  # noqa: E402
from ella_dagster.domain import preprocess  # noqa: E402
from ella_dagster.engines import OfflineEngine, ocr  # noqa: E402


def module_at(revision: str) -> ModuleType:
    """domain/preprocess.py as it was at `revision`, loaded on its own."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:ella_dagster/domain/preprocess.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as file:
        file.write(source)
    spec = importlib.util.spec_from_file_location(f"preprocess_{revision}", file.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    Path(file.name).unlink()
    return module


def timed(engine: OfflineEngine, prepare, sample) -> tuple[float, float]:
    """(seconds per page of classify + extract, seconds of preparation per page) with `prepare`."""
    spent = [0.0]

    def measured(image):
        started = time.perf_counter()
        try:
            return prepare(image)
        finally:
            spent[0] += time.perf_counter() - started

    ocr._sheets.cache_clear()
    ocr.prepare_for_ocr = measured
    try:
        started = time.perf_counter()
        result = engine.classify(sample.data, sample.mime_type)
        pages = 1
        if engine.can_extract(result.doc_type):
            pages = len(engine.extract(sample.data, sample.mime_type, result.doc_type).pages)
        return (time.perf_counter() - started) / pages, spent[0] / pages
    finally:
        ocr.prepare_for_ocr = preprocess.prepare_for_ocr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-type", type=int, default=2, help="real-layout documents per type, scans and photos")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", default="", help="a commit whose page preparation to compare with")
    args = parser.parse_args()
    batch = real_forms.real_layout_set(random.Random(11), args.per_type, False)
    batch += real_forms.real_layout_set(random.Random(12), args.per_type, True)
    if not batch:
        sys.exit("no real layouts: ../shared/corpus/real is missing")
    ways = {"now": preprocess.prepare_for_ocr}
    if args.against:
        ways[args.against] = module_at(args.against).prepare_for_ocr
    engine = OfflineEngine()
    engine.classify(batch[0].data, batch[0].mime_type)  # the warm Tesseract worker started
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    preparing: dict[str, list[float]] = {name: [] for name in ways}
    for round_ in range(args.rounds):
        for i, sample in enumerate(batch):
            order = list(ways) if (i + round_) % 2 == 0 else list(reversed(ways))
            for name in order:
                total, prep = timed(engine, ways[name], sample)
                seconds[name].append(total)
                preparing[name].append(prep)
    print(f"{len(batch)} documents (scans and photos), {args.rounds} rounds, one Tesseract thread")
    for name in ways:
        s, p = seconds[name], preparing[name]
        print(
            f"{name:>12}: page p50 {statistics.median(s):.3f} s, mean {statistics.fmean(s):.3f} s;"
            f" preparation p50 {statistics.median(p):.3f} s, mean {statistics.fmean(p):.3f} s"
        )
    if args.against:
        now, then = seconds["now"], seconds[args.against]
        print(
            f"ratio now / {args.against}: page p50 {statistics.median(now) / statistics.median(then):.2f},"
            f" mean {statistics.fmean(now) / statistics.fmean(then):.2f}; preparation mean"
            f" {statistics.fmean(preparing['now']) / statistics.fmean(preparing[args.against]):.2f}"
        )
        same = 0
        for sample in batch:
            image = ocr.load_pages(sample.data, sample.mime_type)[0].image
            a, b = ways["now"](image), ways[args.against](image)
            same += a.size == b.size and np.array_equal(np.asarray(a), np.asarray(b))
        print(f"identical prepared first pages: {same} of {len(batch)}")


if __name__ == "__main__":
    main()
