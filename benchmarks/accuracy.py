"""Accuracy of the offline engine: generated clean documents, their photo-like versions, and the
real public corpus (../shared/corpus/real, reported separately). Prints and saves the confusion
matrix, per-class precision/recall, top-1, macro-F1, accuracy per confidence band, precision of
auto-linked documents, expected calibration error, key-field exact match (and how often the fields that
validators trust or doubt are right) and OCR seconds per page (one Tesseract thread, the engine's default:
the figure is per core).

    python benchmarks/accuracy.py [--per-type 8] [--no-real]

OTHER and UNKNOWN count as one negative class: a hard negative is right when it lands in either.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ella_dagster import samples  # noqa: E402
from ella_dagster.corpus import AS_OTHER, real_documents  # noqa: E402
from ella_dagster.domain.doc_types import DocType  # noqa: E402
from ella_dagster.domain.extraction import merge_pages, schema_for  # noqa: E402
from ella_dagster.domain.field_confidence import LOW, field_confidences  # noqa: E402
from ella_dagster.domain.routing import AUTO_LINK_THRESHOLD, REVIEW_THRESHOLD  # noqa: E402
from ella_dagster.domain.uploads import sniff_mime  # noqa: E402
from ella_dagster.engines import OfflineEngine  # noqa: E402

console = Console(width=160)
NEGATIVE = "OTHER/UNKNOWN"


def label(doc_type: DocType | str) -> str:
    value = DocType(doc_type).value
    return NEGATIVE if value in ("OTHER", "UNKNOWN") else value


@dataclass
class Outcome:
    truth: str
    predicted: str
    confidence: float
    seconds_per_page: float
    key_fields: tuple[int, int] | None  # (exact, total) when ground-truth fields exist
    # (field confidence >= LOW, exact) for each key field read, when ground-truth fields exist
    field_checks: list[tuple[bool, bool]]


def evaluate(engine: OfflineEngine, data: bytes, mime: str, truth: str, fields: dict | None) -> Outcome:
    started = time.perf_counter()
    result = engine.classify(data, mime)
    extraction = engine.extract(data, mime, result.doc_type) if engine.can_extract(result.doc_type) else None
    pages = len(extraction.pages) if extraction else 1
    seconds = (time.perf_counter() - started) / pages
    key, checks = None, []
    schema = schema_for(truth) if truth != NEGATIVE else None
    if fields is not None and schema is not None:
        right_type = extraction is not None and label(result.doc_type) == truth
        found = merge_pages([p.fields for p in extraction.pages])[0] if right_type else {}
        key = (sum(found.get(n) == fields.get(n) for n in schema.key_fields), len(schema.key_fields))
        scores = field_confidences(truth, found)
        checks = [(scores[n] >= LOW, found[n] == fields.get(n)) for n in schema.key_fields if n in scores]
    return Outcome(truth, label(result.doc_type), result.confidence, seconds, key, checks)


def report(name: str, outcomes: list[Outcome]) -> dict:
    classes = sorted({o.truth for o in outcomes} | {o.predicted for o in outcomes})
    matrix = Counter((o.truth, o.predicted) for o in outcomes)
    per_class = {}
    for c in classes:
        tp = matrix[(c, c)]
        predicted = sum(matrix[(t, c)] for t in classes)
        actual = sum(matrix[(c, p)] for p in classes)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[c] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "support": actual,
        }
    supported = [c for c in classes if per_class[c]["support"]]
    top1 = sum(o.truth == o.predicted for o in outcomes) / len(outcomes)
    bands = {
        "auto (>=0.85)": (AUTO_LINK_THRESHOLD, 1.01),
        "review (0.60-0.85)": (REVIEW_THRESHOLD, AUTO_LINK_THRESHOLD),
        "low (<0.60)": (0.0, REVIEW_THRESHOLD),
    }
    band_acc = {}
    for band, (low, high) in bands.items():
        inside = [o for o in outcomes if low <= o.confidence < high]
        band_acc[band] = {
            "n": len(inside),
            "accuracy": round(sum(o.truth == o.predicted for o in inside) / len(inside), 3) if inside else None,
        }
    # Calibration: confidence against correctness of the predicted (non-negative) type, 10 bins.
    bins: dict[int, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        bins[min(9, int(o.confidence * 10))].append(o)
    ece = sum(
        len(b)
        / len(outcomes)
        * abs(statistics.fmean(o.confidence for o in b) - statistics.fmean(o.truth == o.predicted for o in b))
        for b in bins.values()
    )
    fields: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        if o.key_fields:
            fields[o.truth][0] += o.key_fields[0]
            fields[o.truth][1] += o.key_fields[1]
    seconds = sorted(o.seconds_per_page for o in outcomes)
    checks = [c for o in outcomes for c in o.field_checks]
    trusted = [exact for confident, exact in checks if confident]
    doubted = [exact for confident, exact in checks if not confident]
    result = {
        "documents": len(outcomes),
        "top1": round(top1, 3),
        "macro_f1": round(statistics.fmean(per_class[c]["f1"] for c in supported), 3),
        "auto_linked_precision": band_acc["auto (>=0.85)"]["accuracy"],
        "bands": band_acc,
        "ece": round(ece, 3),
        "key_field_exact_match": {t: round(a / b, 3) for t, (a, b) in fields.items() if b},
        "key_field_exact_match_all": round(
            sum(a for a, _ in fields.values()) / max(1, sum(b for _, b in fields.values())), 3
        ),
        # Key fields read: exact-match rate of those the validators trust and of those they doubt.
        "field_confidence": {
            f">= {LOW}": {"n": len(trusted), "exact": round(statistics.fmean(trusted), 3) if trusted else None},
            f"< {LOW}": {"n": len(doubted), "exact": round(statistics.fmean(doubted), 3) if doubted else None},
        },
        "seconds_per_page_p50": round(seconds[len(seconds) // 2], 2),
        "seconds_per_page_p95": round(seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))], 2),
        "per_class": per_class,
        "confusion": {f"{t} -> {p}": n for (t, p), n in sorted(matrix.items())},
    }
    print_report(name, result, classes, matrix)
    return result


def print_report(name: str, result: dict, classes: list[str], matrix: Counter) -> None:
    console.rule(f"{name}: {result['documents']} documents")
    table = Table(title="confusion matrix (rows: truth, columns: predicted)")
    table.add_column("truth")
    short = [c.replace("FORM_", "")[:10] for c in classes]
    for s in short:
        table.add_column(s, justify="right")
    table.add_column("recall", justify="right")
    for c in classes:
        if result["per_class"][c]["support"]:
            table.add_row(c, *[str(matrix[(c, p)] or "") for p in classes], f"{result['per_class'][c]['recall']:.2f}")
    console.print(table)
    console.print(
        f"top-1 {result['top1']:.1%}   macro-F1 {result['macro_f1']:.3f}   auto-linked precision "
        f"{result['auto_linked_precision']}   ECE {result['ece']:.3f}   OCR s/page p50 "
        f"{result['seconds_per_page_p50']} p95 {result['seconds_per_page_p95']}"
    )
    console.print("bands: " + ", ".join(f"{b}: n={v['n']} acc={v['accuracy']}" for b, v in result["bands"].items()))
    console.print(f"key-field exact match: {result['key_field_exact_match_all']:.1%} {result['key_field_exact_match']}")
    console.print(
        "key fields read, exact by field confidence: "
        + ", ".join(f"{band}: n={v['n']} exact={v['exact']}" for band, v in result["field_confidence"].items())
    )


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-type", type=int, default=4, help="generated documents per type (default 4)")
    parser.add_argument("--no-real", action="store_true")
    args = parser.parse_args()
    engine = OfflineEngine()
    rng = random.Random(2026)
    clean = [s for _ in range(args.per_type) for s in samples.every_type(rng, 2024)]
    clean += [samples.unknown_letter(rng, 2024) for _ in range(max(1, args.per_type // 2))]
    photos = [samples.photo_like(s, rng) for s in clean]
    results = {"engine": engine.version}
    for name, batch in (("generated clean", clean), ("generated photo-like", photos)):
        results[name] = report(
            name, [evaluate(engine, s.data, s.mime_type, label(s.doc_type), s.fields) for s in batch]
        )
    real = [] if args.no_real else real_documents()
    if real:
        outcomes = []
        for folder, path in real:
            data = path.read_bytes()
            truth = NEGATIVE if folder in AS_OTHER else label(folder)
            outcomes.append(evaluate(engine, data, sniff_mime(data) or "application/pdf", truth, None))
        results["real public corpus"] = report("real public corpus (not tuned on)", outcomes)
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "accuracy.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
