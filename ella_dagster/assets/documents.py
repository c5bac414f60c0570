"""The six per-document assets, computed together for a batch of documents in one step.

One `@multi_asset` over the six stages (`pipeline/batch.py`), partitioned by document, `can_subset=True`
so a backfill can start from classification. A run covers a range of `documents` partitions (a batch
from the uploads sensor, or a stretch of a backfill); for each document and stage that succeeded the
step emits that partition's materialisation and one evaluation per check, and at the end it fails,
naming the failed documents, if any document failed: Dagster then marks exactly the partitions that
were planned and not materialised as failed, and the rest stay materialised.
"""

import hashlib
import json
from collections.abc import Iterator, Mapping

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    DynamicPartitionsDefinition,
    Failure,
    MetadataValue,
    multi_asset,
)
from dagster._core.definitions.data_version import (
    CODE_VERSION_TAG,
    DATA_VERSION_TAG,
    get_input_data_version_tag,
)

from ella_dagster.assets.metadata import document_identity, to_metadata
from ella_dagster.config import Settings
from ella_dagster.domain.hashing import NEAR_DUPLICATE_BITS
from ella_dagster.engines import code_version
from ella_dagster.pipeline.batch import STAGES, DocumentFailure, StageOutcome, process_batch
from ella_dagster.resources import DatabaseResource, DocumentStoreResource, EngineResource

# Keep under ~100k partitions per definition: one per document of the active season (see README).
documents_partitions = DynamicPartitionsDefinition(name="documents")

GROUP = "documents"
DOCUMENT_KEYS = [AssetKey(stage.name) for stage in STAGES]  # the six assets, whatever the settings
MAX_FAILED_LISTED = 20


def engine_pool(settings: Settings) -> str | None:
    """In-flight calls to a cloud engine are capped by a Dagster pool (limit in dagster.yaml); the
    requests-per-minute limit itself is shared through the database (ella_dagster.ratelimit)."""
    return "gemini" if settings.engine == "gemini" else None


def stage_code_versions(settings: Settings) -> dict[str, str]:
    """Each stage's code version: what its result depends on, so a change marks exactly the stages it
    affects as unsynced in the UI (and their documents for `ella reclassify`): the engine and its
    rules or prompt for classification and extraction, the thresholds for routing, the naming
    convention for renamed_key, the extraction schemas for extraction and the digital doc."""
    from ella_dagster.domain import naming, routing
    from ella_dagster.domain.extraction import SCHEMAS

    versions = json.dumps(sorted((t.value, s.version) for t, s in SCHEMAS.items()))
    schemas = hashlib.sha256(versions.encode()).hexdigest()[:8]
    engine = code_version(settings)
    return {
        "document_hash": f"sha256+phash-{NEAR_DUPLICATE_BITS}",
        "classification": engine,
        "routing": f"review-{routing.REVIEW_THRESHOLD}+auto-{routing.AUTO_LINK_THRESHOLD}",
        "renamed_key": f"naming-{naming.NAMING_VERSION}",
        "ocr_extract": f"{engine}+schemas-{schemas}",
        "digital_doc": f"schemas-{schemas}",
    }


def document_specs(code_versions: Mapping[str, str]) -> list[AssetSpec]:
    return [
        AssetSpec(
            stage.name,
            deps=[previous.name] if previous else [],
            description=stage.description,
            group_name=GROUP,
            kinds={"python"},
            partitions_def=documents_partitions,
            code_version=code_versions.get(stage.name),
            skippable=True,  # materialised per document, only where that document got through the stage
        )
        for previous, stage in zip([None, *STAGES[:-1]], STAGES, strict=True)
    ]


CHECK_SPECS = [
    AssetCheckSpec(rule.name, asset=stage.name, description=rule.description, blocking=rule.blocking)
    for stage in STAGES
    for rule in stage.checks
]


def _version_tags(
    outcome: StageOutcome,
    upstream: str | None,
    versions: dict[tuple[str, str], str],
    code_versions: Mapping[str, str],
) -> dict[str, str]:
    """Code and data version tags, as Dagster writes them for an output, so staleness works per document."""
    code = code_versions.get(outcome.stage)
    parent = versions.get((outcome.doc_id, upstream)) if upstream else None
    digest = hashlib.sha256(
        json.dumps([code, parent, outcome.result.values], sort_keys=True, default=str).encode()
    ).hexdigest()[:24]
    versions[(outcome.doc_id, outcome.stage)] = digest
    tags = {DATA_VERSION_TAG: digest}
    if code:
        tags[CODE_VERSION_TAG] = code
    if upstream and parent:
        tags[get_input_data_version_tag(AssetKey(upstream))] = parent
    return tags


def _materialisation_metadata(outcome: StageOutcome) -> dict[str, object]:
    metadata = {
        **to_metadata(outcome.result.values),
        "applied": outcome.result.applied,
        "step_seconds": round(outcome.seconds, 3),
        "attempts": outcome.attempts,
    }
    if outcome.result.reason:
        metadata["reason"] = outcome.result.reason
    return metadata


def build_document_assets(settings: Settings) -> list[AssetsDefinition]:
    """The document multi-asset for these settings: its code versions (engine, model, revision), its
    engine pool and its backfill batch size, as the UI shows them."""
    code_versions = stage_code_versions(settings)

    @multi_asset(
        name="document_pipeline",
        specs=document_specs(code_versions),
        check_specs=CHECK_SPECS,
        can_subset=True,
        partitions_def=documents_partitions,
        # A backfill (ella rerun-failed, ella reclassify) runs its documents in ranged runs of a batch each.
        backfill_policy=BackfillPolicy.multi_run(settings.batch_size),
        pool=engine_pool(settings),
    )
    def document_pipeline(
        context: AssetExecutionContext, db: DatabaseResource, store: DocumentStoreResource, engine: EngineResource
    ) -> Iterator[AssetMaterialization | AssetCheckEvaluation]:
        selected = context.selected_asset_keys
        stages = [stage for stage in STAGES if AssetKey(stage.name) in selected]
        upstream = {stage.name: previous.name for previous, stage in zip(STAGES, STAGES[1:], strict=False)}
        doc_ids = list(context.partition_keys)
        context.log.info(f"{len(doc_ids)} documents, stages {', '.join(s.name for s in stages)}")
        failures: list[DocumentFailure] = []
        versions: dict[tuple[str, str], str] = {}
        identity = document_identity(db.get_database(), doc_ids)  # case, masked file name, upload time
        for event in process_batch(
            db.get_database(),
            store.get_store(),
            engine.get_engine(),
            doc_ids,
            stages,
            run_id=context.run.run_id,
            on_retry=context.log.warning,
        ):
            if isinstance(event, DocumentFailure):
                failures.append(event)
                context.log.error(f"document {event.doc_id} failed at {event.stage}: {event.reason}")
                continue
            yield AssetMaterialization(
                asset_key=event.stage,
                partition=event.doc_id,
                metadata={**identity.get(event.doc_id, {}), **_materialisation_metadata(event)},
                tags=_version_tags(event, upstream.get(event.stage), versions, code_versions),
            )
            for check in event.checks:
                yield AssetCheckEvaluation(
                    asset_key=AssetKey(event.stage),
                    check_name=check.name,
                    passed=check.passed,
                    metadata={**identity.get(event.doc_id, {}), **to_metadata(check.metadata)},
                    severity=AssetCheckSeverity.ERROR if check.blocking else AssetCheckSeverity.WARN,
                    blocking=check.blocking,
                    partition=event.doc_id,
                )
        if failures:
            listed = "; ".join(f"{f.doc_id} at {f.stage}: {f.reason}" for f in failures[:MAX_FAILED_LISTED])
            more = f" (and {len(failures) - MAX_FAILED_LISTED} more)" if len(failures) > MAX_FAILED_LISTED else ""
            raise Failure(
                description=f"{len(failures)} of {len(doc_ids)} documents failed: {listed}{more}",
                metadata={
                    "failed_documents": MetadataValue.json(
                        [{"document": f.doc_id, "stage": f.stage, "reason": f.reason} for f in failures]
                    ),
                    "documents": len(doc_ids),
                },
                allow_retries=False,
            )

    return [document_pipeline]
