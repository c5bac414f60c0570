"""Accuracy of the offline engine on five sets, each reported on its own:

- generated: the project's own drawn forms (samples.every_type), clean and photo-like;
- real layouts: the official IRS fillable PDFs of ../shared/corpus/real filled with consistent
  fictitious values (ella_dagster/real_forms.py), as image-only scans and as photo-like versions;
- the real public corpus (../shared/corpus/real, not tuned on), clean and photo-like (samples.photo_like
  of each document's first page, samples.page_picture: a picture framed as a page), for classification
  only (no box-level labels);
- bundles: scanned bundles split into documents (benchmarks/bundles.py: boundary precision/recall,
  bundles split exactly and typed).

For each: the confusion matrix, per-class precision/recall, top-1, macro-F1, accuracy per confidence
band, precision of auto-linked documents, expected calibration error, key-field and all-field exact
match (overall and per type), the field-level reliability curve (each field the engine read: its field
confidence bucket -> how often the value is exactly right), how many wrong values carry a confidence
>= 0.9, which fields are missed or wrong (field_errors: type/field: how, counts only), and OCR
seconds per page (one Tesseract thread, the engine's default: the figure is per core).
Field confidences: domain.field_confidence's scores of the merged fields, weighed with the engine's
readings of each field when its Extraction gives them.

    python benchmarks/accuracy.py [--per-type 4] [--layout-per-type 20] [--layout-types W2,FORM_1099_INT]
                                  [--layout-extras]
                                  [--only generated,generated-photo,layouts,layouts-photo,corpus,corpus-photo,bundles]
                                  [--no-real] [--corpus-draws 1] [--seed 2026]
                                  [--out benchmarks/results/accuracy.json]

Results go to benchmarks/results/accuracy.json (git-ignored) unless --out. OTHER and UNKNOWN count as one negative
class: a hard negative is right when it lands in either.
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ella_dagster import real_forms, samples  # noqa: E402
from ella_dagster.corpus import AS_OTHER, real_documents  # noqa: E402
from ella_dagster.domain.doc_types import DocType  # noqa: E402
from ella_dagster.domain.extraction import merge_pages, schema_for  # noqa: E402
from ella_dagster.domain.field_confidence import LOW, field_confidences  # noqa: E402
from ella_dagster.domain.routing import AUTO_LINK_THRESHOLD, REVIEW_THRESHOLD  # noqa: E402
from ella_dagster.domain.uploads import sniff_mime  # noqa: E402
from ella_dagster.engines import OfflineEngine  # noqa: E402

console = Console(width=160)
NEGATIVE = "OTHER/UNKNOWN"
SETS = ("generated", "generated-photo", "layouts", "layouts-photo", "corpus", "corpus-photo", "bundles")
# Field-confidence buckets of the reliability curve: [low, high).
BUCKETS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01))
TRUSTED = 0.9  # a value at or above this must be right (issue #11: >= 99 %, none wrong on scans)


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
    all_fields: tuple[int, int] | None = None  # (exact, total) over every schema field (blank boxes: None)
    # (field, field confidence, exact) for every field the engine read, when ground-truth fields exist
    field_scores: list[tuple[str, float, bool]] = field(default_factory=list)
    name: str = ""
    # (field, "missing" | "wrong" | "extra") for every schema field not read exactly (names only, never values)
    field_errors: list[tuple[str, str]] = field(default_factory=list)


def engine_field_confidences(extraction, doc_type: str, found: dict) -> dict[str, float]:
    """Each merged field's confidence: domain.field_confidence's score, weighed with the engine's own
    reading of each field when its Extraction gives readings (Extraction.readings()), or a confidence
    the engine states itself (an Extraction's or page's field_confidences)."""
    own = dict(getattr(extraction, "field_confidences", None) or {})
    for page in extraction.pages:
        scores = getattr(page, "field_confidences", None) or {}
        own.update({n: v for n, v in scores.items() if page.fields.get(n) not in (None, "")})
    readings = extraction.readings() if callable(getattr(extraction, "readings", None)) else None
    computed = field_confidences(doc_type, found, readings) if readings else field_confidences(doc_type, found)
    return {n: float(own.get(n, computed.get(n, 0.0))) for n in found if n in own or n in computed}


def evaluate(engine: OfflineEngine, data: bytes, mime: str, truth: str, fields: dict | None, name: str = "") -> Outcome:
    started = time.perf_counter()
    result = engine.classify(data, mime)
    extraction = engine.extract(data, mime, result.doc_type) if engine.can_extract(result.doc_type) else None
    pages = len(extraction.pages) if extraction else 1
    seconds = (time.perf_counter() - started) / pages
    key, checks, every, scored, errors = None, [], None, [], []
    schema = schema_for(truth) if truth != NEGATIVE else None
    if fields is not None and schema is not None:
        right_type = extraction is not None and label(result.doc_type) == truth
        found = merge_pages([p.fields for p in extraction.pages])[0] if right_type else {}
        found = {n: v for n, v in found.items() if v not in (None, "")}
        key = (sum(found.get(n) == fields.get(n) for n in schema.key_fields), len(schema.key_fields))
        every = (sum(found.get(n) == fields.get(n) for n in schema.field_names), len(schema.field_names))
        scores = engine_field_confidences(extraction, truth, found) if right_type else {}
        checks = [(scores[n] >= LOW, found[n] == fields.get(n)) for n in schema.key_fields if n in scores]
        scored = [(n, scores[n], found[n] == fields.get(n)) for n in schema.field_names if n in found and n in scores]
        errors = [
            (n, "missing" if n not in found else "extra" if fields.get(n) is None else "wrong")
            for n in schema.field_names
            if found.get(n) != fields.get(n)
        ]
    return Outcome(truth, label(result.doc_type), result.confidence, seconds, key, checks, every, scored, name, errors)


def reliability(outcomes: list[Outcome]) -> dict:
    """Field confidence bucket -> observed exact match of the values read, and the confident mistakes."""
    scored = [(confidence, exact) for o in outcomes for _, confidence, exact in o.field_scores]
    curve = {}
    for low, high in BUCKETS:
        inside = [exact for confidence, exact in scored if low <= confidence < high]
        curve[f"{low:.2f}-{min(high, 1.0):.2f}"] = {
            "n": len(inside),
            "exact": round(statistics.fmean(inside), 3) if inside else None,
        }
    trusted = [exact for confidence, exact in scored if confidence >= TRUSTED]
    return {
        "curve": curve,
        f"exact_at_or_above_{TRUSTED}": round(statistics.fmean(trusted), 4) if trusted else None,
        f"wrong_at_or_above_{TRUSTED}": sum(not exact for exact in trusted),
        # Which fields (type/field: count; names only, never values) were wrong at or above TRUSTED.
        "confident_mistakes": dict(
            Counter(
                f"{o.truth}/{name}"
                for o in outcomes
                for name, confidence, exact in o.field_scores
                if confidence >= TRUSTED and not exact
            ).most_common()
        ),
        "fields_read": len(scored),
    }


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
    every: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        if o.all_fields:
            every[o.truth][0] += o.all_fields[0]
            every[o.truth][1] += o.all_fields[1]
    top1_per_class = {c: per_class[c]["recall"] for c in supported}
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
        "all_field_exact_match": {t: round(a / b, 3) for t, (a, b) in every.items() if b},
        "all_field_exact_match_all": round(
            sum(a for a, _ in every.values()) / max(1, sum(b for _, b in every.values())), 3
        ),
        "top1_per_type": top1_per_class,
        # Which fields are not read exactly, by type and how (missing, wrong, read where the form has none).
        "field_errors": dict(
            Counter(f"{o.truth}/{n}: {how}" for o in outcomes for n, how in o.field_errors).most_common()
        ),
        "field_reliability": reliability(outcomes),
        # Key fields read: exact-match rate of those the validators trust and of those they doubt.
        "field_confidence": {
            f">= {LOW}": {"n": len(trusted), "exact": round(statistics.fmean(trusted), 3) if trusted else None},
            f"< {LOW}": {"n": len(doubted), "exact": round(statistics.fmean(doubted), 3) if doubted else None},
        },
        "seconds_per_page_p50": round(seconds[len(seconds) // 2], 2),
        "seconds_per_page_p95": round(seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))], 2),
        "per_class": per_class,
        "confusion": {f"{t} -> {p}": n for (t, p), n in sorted(matrix.items())},
        # Which documents were typed wrong (file names of the sets, never their contents): a miss to look at.
        "misclassified": sorted(f"{o.name}: {o.truth} -> {o.predicted}" for o in outcomes if o.truth != o.predicted),
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
    if any(o for o in result["key_field_exact_match"]):
        types = Table(title="per type")
        for column in ("type", "top-1", "key-field exact", "all-field exact"):
            types.add_column(column, justify="left" if column == "type" else "right")
        for t, key in sorted(result["key_field_exact_match"].items()):
            every = result["all_field_exact_match"].get(t)
            types.add_row(t, f"{result['top1_per_type'].get(t, 0):.1%}", f"{key:.1%}", f"{every:.1%}" if every else "")
        types.add_row(
            "all",
            f"{result['top1']:.1%}",
            f"{result['key_field_exact_match_all']:.1%}",
            f"{result['all_field_exact_match_all']:.1%}",
        )
        console.print(types)
        curve = Table(title="field confidence -> exact")
        for column in ("confidence", "fields", "exact"):
            curve.add_column(column, justify="right")
        reliable = result["field_reliability"]
        for bucket, v in reliable["curve"].items():
            curve.add_row(bucket, str(v["n"]), f"{v['exact']:.1%}" if v["exact"] is not None else "")
        console.print(curve)
        console.print(
            f"wrong values with field confidence >= {TRUSTED}: {reliable[f'wrong_at_or_above_{TRUSTED}']} "
            f"(exact at >= {TRUSTED}: {reliable[f'exact_at_or_above_{TRUSTED}']}) {reliable['confident_mistakes']}"
        )
    console.print(
        "key fields read, exact by field confidence: "
        + ", ".join(f"{band}: n={v['n']} exact={v['exact']}" for band, v in result["field_confidence"].items())
    )


def corpus_outcomes(engine: OfflineEngine, rng: random.Random, photo: bool, draws: int = 1) -> list[Outcome]:
    """Each real document, or (photo) `draws` photographs of it: one draw of blur, light and angle can
    make or break a page, so more draws give a steadier figure."""
    outcomes = []
    for folder, path in real_documents():
        data = path.read_bytes()
        mime = sniff_mime(data) or "application/pdf"
        truth = NEGATIVE if folder in AS_OTHER else label(folder)
        if not photo:
            outcomes.append(evaluate(engine, data, mime, truth, None, path.name))
            continue
        page = samples.Sample(path.name, samples.page_picture(data, mime), "image/png", DocType.OTHER)
        for draw in range(draws):
            shot = samples.photo_like(page, rng)
            name = path.name if draws == 1 else f"{path.name} (draw {draw + 1})"
            outcomes.append(evaluate(engine, shot.data, shot.mime_type, truth, None, name))
    return outcomes


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-type", type=int, default=4, help="generated documents per type (default 4)")
    parser.add_argument(
        "--layout-per-type", type=int, default=20, help="real-layout forms per type, scans and photos (default 20)"
    )
    parser.add_argument("--layout-types", default="", help="real-layout types, comma-separated (default: all)")
    parser.add_argument(
        "--layout-extras",
        action="store_true",
        help="real layouts: fill every box (account, phone, monthly amounts...), not only schema fields and names",
    )
    parser.add_argument("--only", default=",".join(SETS), help=f"sets to run, comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--no-real", action="store_true", help="skip the real public corpus (both versions)")
    parser.add_argument(
        "--corpus-draws", type=int, default=1, help="photo-like versions of each real document (default 1)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "accuracy.json")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SETS))
    if unknown:
        parser.error(f"unknown set(s) {unknown}; choose among {', '.join(SETS)}")
    if args.no_real:
        chosen = [name for name in chosen if not name.startswith("corpus")]
    engine = OfflineEngine()
    results: dict = {"engine": engine.version, "seed": args.seed}

    def run(name: str, batch) -> None:
        results[name] = report(
            name,
            [evaluate(engine, s.data, s.mime_type, label(s.doc_type), s.fields, s.filename) for s in batch],
        )

    if {"generated", "generated-photo"} & set(chosen):
        rng = random.Random(args.seed)
        clean = [s for _ in range(args.per_type) for s in samples.every_type(rng, 2024)]
        clean += [samples.unknown_letter(rng, 2024) for _ in range(max(1, args.per_type // 2))]
        photos = [samples.photo_like(s, rng) for s in clean]
        if "generated" in chosen:
            run("generated clean", clean)
        if "generated-photo" in chosen:
            run("generated photo-like", photos)
    types = [DocType(t.strip()) for t in args.layout_types.split(",") if t.strip()] or None
    for key, photo in (("layouts", False), ("layouts-photo", True)):
        if key not in chosen:
            continue
        batch = real_forms.real_layout_set(
            random.Random(args.seed + photo), args.layout_per_type, photo, types, args.layout_extras
        )
        if not batch:
            console.print(f"{key}: the real corpus is not on this machine; skipped")
            continue
        results["real-layout set"] = {
            "layouts": real_forms.describe(),
            "skipped types": {t.value: why for t, why in real_forms.SKIPPED.items()},
            "extras": args.layout_extras,
        }
        run("real layouts, photo-like" if photo else "real layouts, scans", batch)
    for key, photo in (("corpus", False), ("corpus-photo", True)):
        if key in chosen and real_documents():
            name = "real public corpus, photo-like (not tuned on)" if photo else "real public corpus (not tuned on)"
            if photo and args.corpus_draws > 1:
                name += f", {args.corpus_draws} draws each"
            outcomes = corpus_outcomes(engine, random.Random(args.seed + 7), photo, args.corpus_draws)
            results[name] = report(name, outcomes)
    if "bundles" in chosen:  # scanned bundles split into documents (issue 14): benchmarks/bundles.py
        sys.path.insert(0, str(Path(__file__).parent))
        import bundles

        results["bundles"] = figures = bundles.report()
        console.print(bundles._table(figures))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    summary = Table(title="summary")
    for column in ("set", "documents", "top-1", "key-field exact", "all-field exact", "wrong at >= 0.9"):
        summary.add_column(column, justify="left" if column == "set" else "right")
    for name, r in results.items():
        if isinstance(r, dict) and "top1" in r:
            has_truth = bool(r["key_field_exact_match"])
            summary.add_row(
                name,
                str(r["documents"]),
                f"{r['top1']:.1%}",
                f"{r['key_field_exact_match_all']:.1%}" if has_truth else "(no labels)",
                f"{r['all_field_exact_match_all']:.1%}" if has_truth else "",
                str(r["field_reliability"][f"wrong_at_or_above_{TRUSTED}"]) if has_truth else "",
            )
    console.print(summary)


if __name__ == "__main__":
    main()
