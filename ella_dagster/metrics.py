"""Daily confidence metrics by document type and engine, for analysts (SQL) and the Dagster UI."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select

from ella_dagster.db.models import ClassificationResult, ConfidenceMetric
from ella_dagster.db.session import Database
from ella_dagster.domain.routing import Route, decide_route


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
    """Each document's last classification of that day (re-runs and reclassifications count once)."""
    start, end = _day_bounds(day)
    with db.transaction() as s:
        rows = s.scalars(
            select(ClassificationResult)
            .where(ClassificationResult.created_at >= start, ClassificationResult.created_at < end)
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
