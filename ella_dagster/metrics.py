"""Daily confidence metrics by document type and engine, for analysts (SQL) and the Dagster UI, and the
engines' calibration against staff decisions (`ella verify`): observed accuracy per confidence band
and per engine version, and the expected calibration error, over verified documents."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from ella_dagster.db.models import ClassificationResult, ConfidenceMetric
from ella_dagster.db.session import Database
from ella_dagster.domain.routing import AUTO_LINK_THRESHOLD, REVIEW_THRESHOLD, Route, decide_route

STAFF_ENGINE = "staff"  # pipeline.verify's rows: the ground truth, never an engine's answer
# The routing bands: what a confidence does to a document.
BANDS = (
    ("low", 0.0, REVIEW_THRESHOLD),
    ("review", REVIEW_THRESHOLD, AUTO_LINK_THRESHOLD),
    ("auto", AUTO_LINK_THRESHOLD, float("inf")),
)
ECE_BINS = 10


@dataclass(frozen=True)
class DaySummary:
    day: dt.date
    documents: int
    mean_confidence: float
    auto_link_rate: float
    review_rate: float
    unclassified_rate: float
    confidences: tuple[float, ...]


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    cuts = statistics.quantiles(values, n=10, method="inclusive")
    return cuts[0], cuts[4], cuts[8]


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time())
    return start, start + dt.timedelta(days=1)


def latest_of_day(db: Database, day: dt.date) -> list[ClassificationResult]:
    """Each document's last engine classification of that day (re-runs and reclassifications count
    once; staff decisions are labels, not confidences, and stay out)."""
    start, end = _day_bounds(day)
    with db.transaction() as s:
        rows = s.scalars(
            select(ClassificationResult)
            .where(
                ClassificationResult.created_at >= start,
                ClassificationResult.created_at < end,
                ClassificationResult.engine != STAFF_ENGINE,
            )
            .order_by(ClassificationResult.id)
        ).all()
    return list({row.raw_image_id: row for row in rows}.values())


def compute_day(db: Database, day: dt.date) -> list[ConfidenceMetric]:
    """Rewrites the day's rows of `confidence_metrics` (idempotent) and returns them."""
    groups: dict[tuple[str, str], list[ClassificationResult]] = defaultdict(list)
    for row in latest_of_day(db, day):
        groups[(row.doc_type, row.engine)].append(row)
    metrics = []
    for (doc_type, engine), rows in sorted(groups.items()):
        confidences = sorted(r.confidence for r in rows)
        routes = [decide_route(c) for c in confidences]
        p10, p50, p90 = _quantiles(confidences)
        metrics.append(
            ConfidenceMetric(
                day=day,
                doc_type=doc_type,
                engine=engine,
                engine_version=rows[-1].engine_version,
                documents=len(rows),
                mean_confidence=round(statistics.fmean(confidences), 4),
                p10=round(p10, 4),
                p50=round(p50, 4),
                p90=round(p90, 4),
                auto_linked_share=round(routes.count(Route.AUTO_LINKED) / len(rows), 4),
                needs_review_share=round(routes.count(Route.NEEDS_REVIEW) / len(rows), 4),
                unclassified_share=round(routes.count(Route.UNCLASSIFIED) / len(rows), 4),
            )
        )
    with db.transaction() as s:
        s.execute(delete(ConfidenceMetric).where(ConfidenceMetric.day == day))
        s.add_all(metrics)
    return metrics


def summarise(db: Database, day: dt.date) -> DaySummary:
    confidences = tuple(sorted(r.confidence for r in latest_of_day(db, day)))
    routes = [decide_route(c) for c in confidences]
    n = len(confidences)
    return DaySummary(
        day=day,
        documents=n,
        mean_confidence=round(statistics.fmean(confidences), 4) if n else 0.0,
        auto_link_rate=round(routes.count(Route.AUTO_LINKED) / n, 4) if n else 0.0,
        review_rate=round(routes.count(Route.NEEDS_REVIEW) / n, 4) if n else 0.0,
        unclassified_rate=round(routes.count(Route.UNCLASSIFIED) / n, 4) if n else 0.0,
        confidences=confidences,
    )


def markdown_table(rows: list[ConfidenceMetric]) -> str:
    lines = [
        "| doc type | engine | documents | mean | p10 | p50 | p90 | auto-linked | review | unclassified |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.doc_type} | {r.engine} | {r.documents} | {r.mean_confidence:.2f} | {r.p10:.2f} | {r.p50:.2f} | "
        f"{r.p90:.2f} | {r.auto_linked_share:.0%} | {r.needs_review_share:.0%} | {r.unclassified_share:.0%} |"
        for r in rows
    ]
    return "\n".join(lines)


def histogram_markdown(confidences: tuple[float, ...], bins: int = 10) -> str:
    """The confidence distribution as a text bar chart Dagster renders in markdown."""
    counts = [0] * bins
    for c in confidences:
        counts[min(bins - 1, int(c * bins))] += 1
    peak = max(counts) or 1
    lines = ["```", "confidence  documents"]
    for i, count in enumerate(counts):
        lines.append(f"{i / bins:.1f}-{(i + 1) / bins:.1f}  {'█' * round(30 * count / peak):<30} {count}")
    lines.append("```")
    return "\n".join(lines)


# Calibration -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prediction:
    """One engine answer for a verified document, and whether staff agreed."""

    doc_id: str
    engine_version: str
    predicted: str
    label: str
    confidence: float

    @property
    def correct(self) -> bool:
        return self.predicted == self.label


@dataclass(frozen=True)
class BandRow:
    engine_version: str
    band: str
    documents: int
    mean_confidence: float
    accuracy: float


@dataclass(frozen=True)
class VersionCalibration:
    engine_version: str
    documents: int
    mean_confidence: float
    accuracy: float
    ece: float
    bands: tuple[BandRow, ...]


@dataclass(frozen=True)
class Calibration:
    verified_documents: int
    predictions: int
    accuracy: float | None
    ece: float | None
    versions: tuple[VersionCalibration, ...]


def band_of(confidence: float) -> str:
    return next(name for name, low, high in BANDS if low <= confidence < high)


def expected_calibration_error(pairs: list[tuple[float, bool]], bins: int = ECE_BINS) -> float:
    """Sum over equal-width confidence bins of (share of answers) x |accuracy - mean confidence|."""
    if not pairs:
        return 0.0
    grouped: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for confidence, correct in pairs:
        grouped[min(bins - 1, int(confidence * bins))].append((confidence, correct))
    return sum(
        len(members)
        / len(pairs)
        * abs(statistics.fmean(c for _, c in members) - statistics.fmean(conf for conf, _ in members))
        for members in grouped.values()
    )


def verified_predictions(
    db: Database, since: dt.date | None = None, until: dt.date | None = None
) -> tuple[int, list[Prediction]]:
    """Every verified document's label (its latest staff decision) against each engine version's latest
    own answer for it (answers reused from a duplicate's original are left out: the original counts).
    `since`/`until` bound the day the engine answered. Returns (verified documents, predictions)."""
    with db.transaction() as s:
        rows = s.scalars(select(ClassificationResult).order_by(ClassificationResult.id)).all()
    labels = {r.raw_image_id: r.doc_type for r in rows if r.engine == STAFF_ENGINE}
    latest: dict[tuple[str, str], ClassificationResult] = {}
    for r in rows:
        if r.engine == STAFF_ENGINE or r.reused_from_id or r.raw_image_id not in labels:
            continue
        day = r.created_at.date()
        if (since and day < since) or (until and day > until):
            continue
        latest[(r.raw_image_id, r.engine_version)] = r
    predictions = [
        Prediction(doc, version, r.doc_type, labels[doc], r.confidence) for (doc, version), r in sorted(latest.items())
    ]
    return len(labels), predictions


def calibration(db: Database, since: dt.date | None = None, until: dt.date | None = None) -> Calibration:
    verified, predictions = verified_predictions(db, since, until)
    by_version: dict[str, list[Prediction]] = defaultdict(list)
    for p in predictions:
        by_version[p.engine_version].append(p)
    versions = []
    for version, members in sorted(by_version.items()):
        bands = []
        for name, _, _ in BANDS:
            in_band = [p for p in members if band_of(p.confidence) == name]
            if in_band:
                bands.append(
                    BandRow(
                        version,
                        name,
                        len(in_band),
                        round(statistics.fmean(p.confidence for p in in_band), 4),
                        round(sum(p.correct for p in in_band) / len(in_band), 4),
                    )
                )
        versions.append(
            VersionCalibration(
                version,
                len(members),
                round(statistics.fmean(p.confidence for p in members), 4),
                round(sum(p.correct for p in members) / len(members), 4),
                round(expected_calibration_error([(p.confidence, p.correct) for p in members]), 4),
                tuple(bands),
            )
        )
    pairs = [(p.confidence, p.correct) for p in predictions]
    return Calibration(
        verified_documents=verified,
        predictions=len(predictions),
        accuracy=round(sum(c for _, c in pairs) / len(pairs), 4) if pairs else None,
        ece=round(expected_calibration_error(pairs), 4) if pairs else None,
        versions=tuple(versions),
    )


def reliability_markdown(result: Calibration) -> str:
    """The reliability table: per engine version and band, answers, mean confidence, observed accuracy."""
    if not result.predictions:
        return f"No verified documents with an engine answer yet ({result.verified_documents} verified)."
    lines = [
        f"{result.verified_documents} verified documents, {result.predictions} engine answers; "
        f"accuracy {result.accuracy:.0%}, expected calibration error {result.ece:.3f}",
        "",
        "| engine version | band | answers | mean confidence | observed accuracy | gap |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for v in result.versions:
        for b in v.bands:
            lines.append(
                f"| {v.engine_version} | {b.band} | {b.documents} | {b.mean_confidence:.2f} | {b.accuracy:.0%} | "
                f"{b.accuracy - b.mean_confidence:+.2f} |"
            )
        lines.append(
            f"| {v.engine_version} | **all** (ECE {v.ece:.3f}) | {v.documents} | {v.mean_confidence:.2f} | "
            f"{v.accuracy:.0%} | {v.accuracy - v.mean_confidence:+.2f} |"
        )
    return "\n".join(lines)


def calibration_rows(result: Calibration) -> list[dict[str, object]]:
    """Flat rows (one per engine version and band, and one 'all' per version) for CSV/JSON/pandas."""
    rows: list[dict[str, object]] = []
    for v in result.versions:
        for b in v.bands:
            rows.append(
                {
                    "engine_version": v.engine_version,
                    "band": b.band,
                    "answers": b.documents,
                    "mean_confidence": b.mean_confidence,
                    "accuracy": b.accuracy,
                    "ece": None,
                }
            )
        rows.append(
            {
                "engine_version": v.engine_version,
                "band": "all",
                "answers": v.documents,
                "mean_confidence": v.mean_confidence,
                "accuracy": v.accuracy,
                "ece": v.ece,
            }
        )
    return rows


# Chart -----------------------------------------------------------------------------------------
def chart_path(data_dir: Path, day: dt.date) -> Path:
    """Where the day's chart is written: beside the database, under `metrics/`."""
    return data_dir / "metrics" / f"confidence_{day.isoformat()}.png"


def write_chart(db: Database, day: dt.date, path: Path, result: Calibration | None = None) -> Path:
    """A PNG of the day's confidence distribution per engine version (left) and the reliability
    diagram of each engine version over verified documents (right: observed accuracy against mean
    confidence per confidence bin; the diagonal is perfect calibration)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt

    result = result or calibration(db, until=day)
    by_version: dict[str, list[float]] = defaultdict(list)
    for row in latest_of_day(db, day):
        by_version[row.engine_version].append(row.confidence)
    _, predictions = verified_predictions(db, until=day)
    answers: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for p in predictions:
        answers[p.engine_version].append((p.confidence, p.correct))

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=90)
    edges = [i / ECE_BINS for i in range(ECE_BINS + 1)]
    if by_version:
        left.hist(list(by_version.values()), bins=edges, label=list(by_version), stacked=False)
        left.legend(fontsize=7, title="engine version", title_fontsize=7)
    else:
        left.text(0.5, 0.5, "no classifications this day", ha="center", va="center")
    for threshold in (REVIEW_THRESHOLD, AUTO_LINK_THRESHOLD):
        left.axvline(threshold, color="grey", linestyle=":", linewidth=1)
    left.set(title=f"confidence, {day.isoformat()}", xlabel="confidence", ylabel="documents", xlim=(0, 1))

    right.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    for version, pairs in sorted(answers.items()):
        grouped: dict[int, list[tuple[float, bool]]] = defaultdict(list)
        for confidence, correct in pairs:
            grouped[min(ECE_BINS - 1, int(confidence * ECE_BINS))].append((confidence, correct))
        points = sorted(
            (statistics.fmean(c for c, _ in g), sum(ok for _, ok in g) / len(g), len(g)) for g in grouped.values()
        )
        ece = next((v.ece for v in result.versions if v.engine_version == version), 0.0)
        right.plot([x for x, _, _ in points], [y for _, y, _ in points], marker="o", label=f"{version} (ECE {ece:.3f})")
    if not answers:
        right.text(0.5, 0.5, "no verified documents yet", ha="center", va="center")
    right.set(
        title=f"calibration over {result.verified_documents} verified documents",
        xlabel="mean confidence",
        ylabel="observed accuracy",
        xlim=(0, 1),
        ylim=(0, 1.05),
    )
    right.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
