"""The warm Tesseract worker (engines/tesseract_worker.py) against the `tesseract` command, side by side on
the same prepared pages of the real-layout set (ella_dagster/real_forms.py, scans and photos).

    python benchmarks/ocr_worker.py [--pages 10] [--rounds 2]

Each round reads every page once each way (whole page, --psm 3) and a value cell of it (--psm 7, the
cell re-read), alternating which goes first so both see the same machine load. Prints seconds per call
(p50, mean) for each and the ratio command / worker, and how much of the words the two agree on (the
worker's library may be a newer Tesseract than the command). One Tesseract thread, as the engine runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from ella_dagster import real_forms  # noqa: E402
from ella_dagster.domain.pages import load_pages  # noqa: E402
from ella_dagster.domain.preprocess import prepare_for_ocr  # noqa: E402
from ella_dagster.engines import ocr  # noqa: E402


def words(tsv: str) -> list[str]:
    return [row.split("\t")[-1] for row in tsv.splitlines()[1:] if row.startswith("5\t") and row.split("\t")[-1]]


def command(image: Image.Image, psm: int) -> str:
    return ocr._tesseract(image, "--psm", str(psm), "tsv")


def warm(image: Image.Image, psm: int) -> str:
    worker = ocr._warm()
    assert worker is not None, "tesserocr is not installed or Tesseract's English model is missing"
    return worker.tsv(image.tobytes(), image.width, image.height, psm, ocr.OCR_TIMEOUT_SECONDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    per_type = -(-args.pages // 20)  # ten types: enough of each to draw the pages from
    scans = real_forms.real_layout_set(random.Random(5), per_type, False)
    photos = real_forms.real_layout_set(random.Random(6), per_type, True)
    pick = random.Random(7)
    samples = pick.sample(scans, min(len(scans), (args.pages + 1) // 2))
    samples += pick.sample(photos, min(len(photos), args.pages // 2))
    if not samples:
        sys.exit("no real layouts: ../shared/corpus/real is missing")
    prepared, prep_seconds = [], []
    for sample in samples:
        started = time.perf_counter()
        prepared.append(prepare_for_ocr(load_pages(sample.data, sample.mime_type)[0].image))
        prep_seconds.append(time.perf_counter() - started)
    # A cell: a strip a line high across the middle of the page's upper third, as a re-read crops.
    cells = [p.crop((p.width // 2, p.height // 4, p.width * 3 // 4, p.height // 4 + p.height // 60)) for p in prepared]
    warm(cells[0], 7)  # the worker's start (once per process) is not a read
    ways = {"command": command, "worker": warm}
    times: dict[tuple[str, str], list[float]] = {(w, k): [] for w in ways for k in ("page", "cell")}
    agree, total = 0, 0
    for round_number in range(args.rounds):
        order = list(ways.items())[:: -1 if round_number % 2 else 1]
        for page, cell in zip(prepared, cells, strict=True):
            read = {}
            for name, way in order:
                for kind, image, psm in (("page", page, 3), ("cell", cell, 7)):
                    started = time.perf_counter()
                    out = way(image, psm)
                    times[name, kind].append(time.perf_counter() - started)
                    if kind == "page":
                        read[name] = words(out)
            if round_number == 0:
                mine, theirs = read["worker"], list(read["command"])
                for word in mine:
                    if word in theirs:
                        theirs.remove(word)
                        agree += 1
                total += max(len(mine), len(read["command"]))
    print(f"{len(prepared)} prepared pages ({len(prepared) - args.pages // 2} scans, {args.pages // 2} photos)")
    print(f"x {args.rounds} rounds; Tesseract {ocr.tesseract_version()} in the worker")
    print(f"  page preparation: p50 {statistics.median(prep_seconds):.2f} s/page")
    for kind in ("page", "cell"):
        for name in ways:
            seconds = times[name, kind]
            print(f"  {kind} {name:8} p50 {statistics.median(seconds):.3f} s, mean {statistics.fmean(seconds):.3f} s")
        ratio = statistics.fmean(times["command", kind]) / statistics.fmean(times["worker", kind])
        print(f"  {kind}: command / worker = {ratio:.2f}x")
    print(f"  words the two readings share: {agree / max(total, 1):.1%}")


if __name__ == "__main__":
    main()
