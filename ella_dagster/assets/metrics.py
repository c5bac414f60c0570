"""The analysts' daily confidence metrics, with great_expectations suites as asset checks."""

import datetime as dt

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ella_dagster import expectations, metrics
from ella_dagster.assets.metadata import documents_directory
from ella_dagster.backfills import stale_documents
from ella_dagster.config import Settings
from ella_dagster.resources import DatabaseResource, EngineResource

# end_offset=1: today's partition exists, so the schedule can refresh the day in progress.
daily_partitions = DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1)
METRICS_KEY = "confidence_metrics"


def _suite_result(name: str, outcome: expectations.SuiteOutcome) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=name,
        passed=outcome.success,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "rows": outcome.rows,
            "failed_expectations": MetadataValue.json(outcome.failed),
            "details": MetadataValue.json(outcome.details),
        },
    )


def build_metrics_asset(settings: Settings) -> AssetsDefinition:
    """The confidence_metrics asset for these settings: its chart under their data directory, its
    history expectation with their ELLA_MAX_UNKNOWN_SHARE."""

    @asset(
        partitions_def=daily_partitions,
        group_name="analytics",
        kinds={"sql"},
        description="Counts and confidence distribution (mean, p10/p50/p90, share per route) by day, document type "
        "and engine, in the `confidence_metrics` table; the engines' calibration over staff-verified documents "
        "(`ella verify`: observed accuracy per confidence band and engine version, expected calibration error) and "
        "a chart of both under $ELLA_DATA_DIR/metrics/, and the day's uploads (case, masked file name, type, status) "
        "with a link to each document's partition; see README for queries.",
        check_specs=[
            AssetCheckSpec(
                "history_expectations",
                asset="confidence_metrics",
                description="great_expectations on the day's classification history: types in the enum, "
                f"confidence in [0, 1], no orphan rows, UNKNOWN share at most {settings.max_unknown_share:g} "
                "(ELLA_MAX_UNKNOWN_SHARE)",
            ),
            AssetCheckSpec(
                "metrics_expectations",
                asset="confidence_metrics",
                description="great_expectations on the day's metrics rows: ranges, shares summing to 1, p10 <= p90",
            ),
        ],
    )
    def confidence_metrics(
        context: AssetExecutionContext, db: DatabaseResource, engine: EngineResource
    ) -> MaterializeResult:
        database = db.get_database()
        day = dt.date.fromisoformat(context.partition_key)
        rows = metrics.compute_day(database, day)
        summary = metrics.summarise(database, day)
        # Calibration over every document staff verified, answered by an engine up to this day.
        calibration = metrics.calibration(database, until=day)
        chart = metrics.write_chart(database, day, metrics.chart_path(settings.data_dir, day), calibration)
        uploads, directory = documents_directory(database, day)
        # What `ella reclassify --stale` would select: answers of another engine version, older schemas.
        stale = stale_documents(database, engine.get_engine().version)
        stale_by_stage = {stage: sum(stage in d.stages for d in stale) for stage in ("classification", "ocr_extract")}
        return MaterializeResult(
            metadata={
                "uploads": uploads,
                "stale_documents": len(stale),
                "stale_by_stage": MetadataValue.json(stale_by_stage),
                "uploads_directory": MetadataValue.md(directory),
                "verified_documents": calibration.verified_documents,
                "verified_accuracy": calibration.accuracy if calibration.accuracy is not None else MetadataValue.null(),
                "expected_calibration_error": calibration.ece if calibration.ece is not None else MetadataValue.null(),
                "calibration": MetadataValue.md(metrics.reliability_markdown(calibration)),
                "calibration_by_engine_version": MetadataValue.json(metrics.calibration_rows(calibration)),
                "chart": MetadataValue.path(str(chart)),
                "documents": summary.documents,
                "mean_confidence": summary.mean_confidence,
                "auto_link_rate": summary.auto_link_rate,
                "review_rate": summary.review_rate,
                "unclassified_rate": summary.unclassified_rate,
                "summary": MetadataValue.md(metrics.markdown_table(rows)),
                "confidence_distribution": MetadataValue.md(metrics.histogram_markdown(summary.confidences)),
            },
            check_results=[
                _suite_result(
                    "history_expectations", expectations.check_history(database, day, settings.max_unknown_share)
                ),
                _suite_result("metrics_expectations", expectations.check_metrics(database, day)),
            ],
        )

    return confidence_metrics
