"""The six per-document assets. Each is a thin call into `ella_dagster.pipeline.steps`, plus the
checks an engineer needs to trust the next asset, evaluated in the same step."""

import time
from collections.abc import Callable
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    DynamicPartitionsDefinition,
    MaterializeResult,
    asset,
)

from ella_dagster import quality
from ella_dagster.assets.failures import DOCUMENT_RETRY_POLICY, document_failures
from ella_dagster.assets.metadata import to_metadata
from ella_dagster.config import Settings
from ella_dagster.db.models import Extraction, RawImage
from ella_dagster.domain.routing import decide_route
from ella_dagster.engines import code_version
from ella_dagster.pipeline import steps
from ella_dagster.pipeline.actions import mark_failed
from ella_dagster.resources import DatabaseResource, DocumentStoreResource, EngineResource

# Keep under ~100k partitions per definition: one per document of the active season (see README).
documents_partitions = DynamicPartitionsDefinition(name="documents")

GROUP = "documents"
# In-flight calls to a cloud engine are capped by a Dagster pool (limit in dagster.yaml); the
# requests-per-minute limit itself is shared through the database (ella_dagster.ratelimit).
ENGINE_POOL = "gemini" if Settings.from_env().engine == "gemini" else None
ERROR, WARN = AssetCheckSeverity.ERROR, AssetCheckSeverity.WARN


def _spec(asset_name: str, name: str, description: str, *, blocking: bool = True) -> AssetCheckSpec:
    return AssetCheckSpec(name, asset=asset_name, description=description, blocking=blocking)


def _check(name: str, passed: bool, severity: AssetCheckSeverity = ERROR, **metadata: object) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=name, passed=bool(passed), severity=severity, metadata=to_metadata(dict(metadata))
    )


def _run_step(
    context: AssetExecutionContext,
    db: DatabaseResource,
    step: Callable[[], steps.StepResult],
    checks: Callable[[steps.StepResult], list[AssetCheckResult]] | None = None,
) -> MaterializeResult:
    database = db.get_database()
    started = time.perf_counter()
    with document_failures(context, database):
        result = step()
    metadata = {
        **to_metadata(result.values),
        "applied": result.applied,
        "step_seconds": round(time.perf_counter() - started, 3),
    }
    if result.reason:
        metadata["reason"] = result.reason
        context.log.info(result.reason)
    check_results = checks(result) if checks else []
    failed = [c.check_name for c in check_results if not c.passed and c.severity == ERROR]
    if failed:  # a blocking check stops the chain: the document must still end in a terminal state
        with database.transaction() as s:
            mark_failed(s, context.partition_key, f"data-quality check failed: {', '.join(failed)}")
    return MaterializeResult(metadata=metadata, check_results=check_results)


def document_asset(**kwargs: Any) -> Callable[..., AssetsDefinition]:
    """`@asset` with what every per-document asset shares: the partitions, group, retries and kind."""
    return asset(
        partitions_def=documents_partitions,
        group_name=GROUP,
        retry_policy=DOCUMENT_RETRY_POLICY,
        kinds={"python"},
        **kwargs,
    )


def _raw(db: DatabaseResource, doc_id: str) -> RawImage:
    with db.get_database().transaction() as s:
        raw = s.get(RawImage, doc_id)
        assert raw is not None
        return raw


@document_asset(
    description="sha256 and 64-bit perceptual hash of the first page; exact duplicates join an image group.",
    check_specs=[
        _spec("document_hash", "hash_well_formed", "sha256 is 64 hex digits and the perceptual hash 16"),
        _spec("document_hash", "not_a_duplicate", "warns when the bytes were uploaded before", blocking=False),
    ],
)
def document_hash(
    context: AssetExecutionContext, db: DatabaseResource, store: DocumentStoreResource
) -> MaterializeResult:
    def checks(result: steps.StepResult) -> list[AssetCheckResult]:
        v = result.values
        return [
            _check("hash_well_formed", quality.hash_well_formed(v["sha256"], v["phash"])),
            _check("not_a_duplicate", v["exact_duplicate_of"] is None, WARN, duplicate_of=v["exact_duplicate_of"]),
        ]

    return _run_step(
        context,
        db,
        lambda: steps.hash_document(db.get_database(), store.get_store(), context.partition_key),
        checks,
    )


@document_asset(
    deps=[document_hash],
    code_version=code_version(Settings.from_env()),
    pool=ENGINE_POOL,
    description="Document type, confidence, tax year and source from the configured engine; "
    "appends a classification history row.",
    check_specs=[
        _spec("classification", "doc_type_known", "doc type is one of the supported types or UNKNOWN"),
        _spec("classification", "confidence_in_range", "confidence lies in [0, 1]"),
        _spec("classification", "confidence_not_low", "warns below the review threshold", blocking=False),
    ],
)
def classification(
    context: AssetExecutionContext, db: DatabaseResource, store: DocumentStoreResource, engine: EngineResource
) -> MaterializeResult:
    def checks(result: steps.StepResult) -> list[AssetCheckResult]:
        v = result.values
        return [
            _check("doc_type_known", quality.doc_type_known(v["doc_type"]), doc_type=v["doc_type"]),
            _check("confidence_in_range", quality.confidence_in_range(v["confidence"]), confidence=v["confidence"]),
            _check(
                "confidence_not_low",
                decide_route(v["confidence"]).value != "unclassified",
                WARN,
                confidence=v["confidence"],
            ),
        ]

    return _run_step(
        context,
        db,
        lambda: steps.classify_document(
            db.get_database(), store.get_store(), engine.get_engine(), context.partition_key, context.run_id
        ),
        checks,
    )


@document_asset(
    deps=[classification],
    description="Confidence routing: auto-link (>= 0.85), needs review (0.60-0.85, VERIFY_DOCS) "
    "or unclassified (AI_FAILED).",
    check_specs=[_spec("routing", "route_matches_thresholds", "the stored route is the one the thresholds give")],
)
def routing(context: AssetExecutionContext, db: DatabaseResource) -> MaterializeResult:
    def checks(result: steps.StepResult) -> list[AssetCheckResult]:
        v = result.values
        expected = quality.expected_route(v["route"], v["confidence"])
        return [_check("route_matches_thresholds", v["route"] == expected, route=v["route"], expected=expected)]

    return _run_step(context, db, lambda: steps.route_document(db.get_database(), context.partition_key), checks)


@document_asset(
    deps=[routing],
    description="Renames classified documents to cases/{case}/docs/{TaxYear}_{DocType}_{Source}_{Client}.{ext}.",
    check_specs=[
        _spec("renamed_key", "key_follows_convention", "a renamed key follows the convention"),
        _spec("renamed_key", "object_exists", "the document's current key exists in the store"),
    ],
)
def renamed_key(
    context: AssetExecutionContext, db: DatabaseResource, store: DocumentStoreResource
) -> MaterializeResult:
    def checks(result: steps.StepResult) -> list[AssetCheckResult]:
        key = _raw(db, context.partition_key).storage_key
        renamed = "/docs/" in key
        return [
            _check("key_follows_convention", quality.key_follows_convention(key), renamed=renamed),
            _check("object_exists", store.get_store().exists(key)),
        ]

    return _run_step(
        context,
        db,
        lambda: steps.rename_document(db.get_database(), store.get_store(), context.partition_key),
        checks,
    )


@document_asset(
    deps=[renamed_key],
    pool=ENGINE_POOL,
    description="Structured fields for OCR-eligible types, validated against a versioned JSON schema.",
    check_specs=[
        _spec("ocr_extract", "valid_against_schema", "stored fields validate against their schema version"),
        _spec("ocr_extract", "key_fields_present", "warns when key fields are missing", blocking=False),
        _spec("ocr_extract", "key_fields_confident", "warns when a key field's validators doubt it", blocking=False),
    ],
)
def ocr_extract(
    context: AssetExecutionContext, db: DatabaseResource, store: DocumentStoreResource, engine: EngineResource
) -> MaterializeResult:
    def checks(result: steps.StepResult) -> list[AssetCheckResult]:
        with db.get_database().transaction() as s:
            row = s.get(Extraction, context.partition_key)
            errors = quality.extraction_errors(row.doc_type, row.data) if row and result.applied else []
        missing = result.values.get("missing_key_fields", [])
        doubtful = quality.doubtful_key_fields(row.doc_type, row.field_confidences) if row and result.applied else []
        return [
            _check("valid_against_schema", not errors, errors=errors),
            _check("key_fields_present", not missing, WARN, missing=missing),
            _check("key_fields_confident", not doubtful, WARN, doubtful=doubtful),
        ]

    return _run_step(
        context,
        db,
        lambda: steps.extract_document(
            db.get_database(), store.get_store(), engine.get_engine(), context.partition_key
        ),
        checks,
    )


@document_asset(
    deps=[ocr_extract],
    description="One transaction: digital doc upserted, checklist item counted once, raw image LINKED.",
    check_specs=[_spec("digital_doc", "agrees_with_raw_image", "digital doc, raw image and checklist item agree")],
)
def digital_doc(context: AssetExecutionContext, db: DatabaseResource) -> MaterializeResult:
    def checks(result: steps.StepResult) -> list[AssetCheckResult]:
        with db.get_database().transaction() as s:
            problems = quality.digital_doc_problems(s, context.partition_key, result.applied)
        return [_check("agrees_with_raw_image", not problems, problems=problems)]

    return _run_step(context, db, lambda: steps.link_document(db.get_database(), context.partition_key), checks)


DOCUMENT_ASSETS = [document_hash, classification, routing, renamed_key, ocr_extract, digital_doc]
