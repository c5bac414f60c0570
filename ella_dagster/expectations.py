"""Batch-level expectations (great_expectations) on the classification history and metrics tables.

great_expectations takes seconds to import: it is imported inside the functions, never at
definitions load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ella_dagster.db.models import ClassificationResult, ConfidenceMetric, RawImage
from ella_dagster.db.session import Database
from ella_dagster.domain.doc_types import DocType


@dataclass
class SuiteOutcome:
    success: bool
    rows: int
    failed: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def _validate(name: str, records: list[dict[str, Any]], expectations: list[Any]) -> SuiteOutcome:
    if not records:
        return SuiteOutcome(True, 0, details={"note": "no rows for this day"})
    import great_expectations as gx
    import pandas as pd

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe(name)
        .get_batch(batch_parameters={"dataframe": pd.DataFrame.from_records(records)})
    )
    suite = gx.ExpectationSuite(name=name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    result = batch.validate(suite)
    failed, details = [], {}
    for item in result.results:
        label = f"{item.expectation_config.type}({item.expectation_config.kwargs.get('column', '')})"
        details[label] = {
            "success": item.success,
            "unexpected": item.result.get("unexpected_count"),
            "observed": item.result.get("observed_value"),
        }
        if not item.success:
            failed.append(label)
    return SuiteOutcome(result.success, len(records), failed, details)


def _day(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time())
    return start, start + dt.timedelta(days=1)


def check_history(db: Database, day: dt.date, max_unknown_share: float = 0.5) -> SuiteOutcome:
    """`max_unknown_share`: the settings' ELLA_MAX_UNKNOWN_SHARE (the metrics asset passes it)."""
    import great_expectations as gx

    start, end = _day(day)
    with db.transaction() as s:
        rows = s.execute(
            select(
                ClassificationResult.id,
                ClassificationResult.raw_image_id,
                ClassificationResult.doc_type,
                ClassificationResult.confidence,
                RawImage.id.label("raw_id"),
            )
            .outerjoin(RawImage, RawImage.id == ClassificationResult.raw_image_id)
            .where(ClassificationResult.created_at >= start, ClassificationResult.created_at < end)
        ).all()
    latest = {r.raw_image_id: r.id for r in sorted(rows, key=lambda r: r.id)}
    records = [
        {
            "doc_type": r.doc_type,
            "confidence": r.confidence,
            "has_document": r.raw_id is not None,
            # the UNKNOWN share counts each document once, by its latest answer of the day
            "is_unknown": int(r.doc_type == DocType.UNKNOWN.value) if latest[r.raw_image_id] == r.id else None,
        }
        for r in rows
    ]
    return _validate(
        "classification_history",
        records,
        [
            gx.expectations.ExpectColumnValuesToBeInSet(column="doc_type", value_set=[t.value for t in DocType]),
            gx.expectations.ExpectColumnValuesToBeBetween(column="confidence", min_value=0, max_value=1),
            gx.expectations.ExpectColumnValuesToBeInSet(column="has_document", value_set=[True]),  # no orphan rows
            gx.expectations.ExpectColumnMeanToBeBetween(column="is_unknown", min_value=0, max_value=max_unknown_share),
        ]
        if records
        else [],
    )


def check_metrics(db: Database, day: dt.date) -> SuiteOutcome:
    import great_expectations as gx

    with db.transaction() as s:
        rows = s.scalars(select(ConfidenceMetric).where(ConfidenceMetric.day == day)).all()
    shares = ("auto_linked_share", "needs_review_share", "unclassified_share")
    in_unit_range = ("mean_confidence", "p10", "p50", "p90", *shares)
    records = [
        {c: getattr(r, c) for c in ("doc_type", "documents", *in_unit_range)}
        | {"share_total": round(sum(getattr(r, c) for c in shares), 3)}
        for r in rows
    ]
    between = [gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1) for c in in_unit_range]
    return _validate(
        "confidence_metrics",
        records,
        [
            gx.expectations.ExpectColumnValuesToBeInSet(column="doc_type", value_set=[t.value for t in DocType]),
            gx.expectations.ExpectColumnValuesToBeBetween(column="documents", min_value=1),
            *between,
            gx.expectations.ExpectColumnValuesToBeBetween(column="share_total", min_value=0.99, max_value=1.01),
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="p90", column_B="p10", or_equal=True),
        ],
    )
