"""Choosing documents and launching Dagster backfills for them through the webserver's GraphQL API."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from sqlalchemy import func, select
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from ella_dagster.db.models import ClassificationResult, RawImage
from ella_dagster.db.session import Database
from ella_dagster.domain.routing import AUTO_LINK_THRESHOLD, REVIEW_THRESHOLD, Route, decide_route

ALL_STEPS = ["document_hash", "classification", "routing", "renamed_key", "ocr_extract", "digital_doc"]
FROM_CLASSIFICATION = ALL_STEPS[1:]
FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
ROUTE_RANGES = {
    "auto-linked": (AUTO_LINK_THRESHOLD, 1.0),
    "needs-review": (REVIEW_THRESHOLD, AUTO_LINK_THRESHOLD),
    "unclassified": (0.0, REVIEW_THRESHOLD),
}


@dataclass
class Criteria:
    doc_types: list[str] = field(default_factory=list)
    min_confidence: float | None = None
    max_confidence: float | None = None  # exclusive
    route: str | None = None
    case_id: str | None = None
    uploaded_from: dt.date | None = None
    uploaded_to: dt.date | None = None  # inclusive
    engine_version: str | None = None
    statuses: list[str] = field(default_factory=list)


def select_documents(db: Database, criteria: Criteria) -> list[str]:
    """Document ids (partition keys) whose latest classification and row match every criterion."""
    newest = (
        select(ClassificationResult.raw_image_id, func.max(ClassificationResult.id).label("id"))
        .group_by(ClassificationResult.raw_image_id)
        .subquery()
    )
    query = select(RawImage.id).order_by(RawImage.id)
    needs_history = any(
        [
            criteria.doc_types,
            criteria.min_confidence is not None,
            criteria.max_confidence is not None,
            criteria.route,
            criteria.engine_version,
        ]
    )
    if needs_history:
        query = query.join(newest, newest.c.raw_image_id == RawImage.id).join(
            ClassificationResult, ClassificationResult.id == newest.c.id
        )
        if criteria.doc_types:
            query = query.where(ClassificationResult.doc_type.in_(criteria.doc_types))
        route_low, route_high = ROUTE_RANGES[criteria.route] if criteria.route else (None, None)
        lows = [x for x in (route_low, criteria.min_confidence) if x is not None]
        highs = [x for x in (route_high, criteria.max_confidence) if x is not None]
        if lows:
            query = query.where(ClassificationResult.confidence >= max(lows))
        if highs and min(highs) < 1.0:
            query = query.where(ClassificationResult.confidence < min(highs))
        if criteria.engine_version:
            query = query.where(ClassificationResult.engine_version == criteria.engine_version)
    if criteria.case_id:
        query = query.where(RawImage.case_id == criteria.case_id)
    if criteria.statuses:
        query = query.where(RawImage.status.in_(criteria.statuses))
    if criteria.uploaded_from:
        query = query.where(RawImage.uploaded_at >= dt.datetime.combine(criteria.uploaded_from, dt.time()))
    if criteria.uploaded_to:
        query = query.where(
            RawImage.uploaded_at < dt.datetime.combine(criteria.uploaded_to, dt.time()) + dt.timedelta(days=1)
        )
    with db.transaction() as s:
        return list(s.scalars(query))


@dataclass(frozen=True)
class StaleDocument:
    """A document whose stored result predates the current versions, and which results do."""

    doc_id: str
    doc_type: str | None
    stages: tuple[str, ...]  # "classification" (engine), "routing" (thresholds), "ocr_extract" (schema)


def stale_documents(db: Database, engine_version: str, ids: list[str] | None = None) -> list[StaleDocument]:
    """Documents whose latest classification came from another engine version than `engine_version`
    (a staff decision is never out of date), whose route is not what the current thresholds give for
    its confidence (the thresholds changed since it was routed), or whose extraction used an older
    schema version than its type's current one. The naming convention's version is the renamed_key
    stage's code version in Dagster (`assets/documents.py`); it leaves nothing in the database."""
    from ella_dagster.db.models import Extraction
    from ella_dagster.domain.extraction import schema_for

    newest = (
        select(ClassificationResult.raw_image_id, func.max(ClassificationResult.id).label("id"))
        .group_by(ClassificationResult.raw_image_id)
        .subquery()
    )
    query = (
        select(
            RawImage.id,
            RawImage.classified_type,
            ClassificationResult.engine,
            ClassificationResult.engine_version,
            RawImage.route,
            ClassificationResult.confidence,
        )
        .join(newest, newest.c.raw_image_id == RawImage.id)
        .join(ClassificationResult, ClassificationResult.id == newest.c.id)
        .order_by(RawImage.id)
    )
    if ids is not None:
        query = query.where(RawImage.id.in_(ids))
    with db.transaction() as s:
        rows = s.execute(query).all()
        schemas = dict(s.execute(select(Extraction.raw_image_id, Extraction.schema_version)).all())
        types = dict(s.execute(select(Extraction.raw_image_id, Extraction.doc_type)).all())
    stale = []
    routes = {r.value for r in Route}
    for doc_id, doc_type, engine, version, route, confidence in rows:
        stages = []
        if engine != "staff" and version != engine_version:
            stages.append("classification")
        if engine != "staff" and route in routes and decide_route(confidence).value != route:
            stages.append("routing")
        if doc_id in schemas:
            schema = schema_for(types[doc_id])
            if schema is not None and schema.version != schemas[doc_id]:
                stages.append("ocr_extract")
        if stages:
            stale.append(StaleDocument(doc_id, doc_type, tuple(stages)))
    return stale


LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on UnauthorizedError { message }
    ... on InvalidSubsetError { message }
    ... on PartitionSetNotFoundError { message }
  }
}
"""

# The named job whose runs a CLI backfill becomes (jobs.py): its partition set carries the assets'
# BackfillPolicy, so a job backfill with an asset selection still launches ranged runs of a batch each.
JOB_NAME = "process_documents"
LOCATION_NAME = "ella_dagster"  # workspace.yaml's location_name (the test locations use it too)

STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id status numPartitions }
    ... on PythonError { message }
  }
}
"""


def job_selector(job_name: str = JOB_NAME, location_name: str = LOCATION_NAME) -> dict:
    """GraphQL's selector of the job's partition set (Dagster names it after the job; a Definitions
    object is the location's one repository)."""
    from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
    from dagster._core.remote_representation.external_data import partition_set_snap_name_for_job_name

    return {
        "partitionSetName": partition_set_snap_name_for_job_name(job_name),
        "repositorySelector": {"repositoryName": SINGLETON_REPOSITORY_NAME, "repositoryLocationName": location_name},
    }


class BackfillError(RuntimeError):
    pass


def _transient_http(exc: BaseException) -> bool:
    if isinstance(exc, requests.HTTPError):
        return exc.response is not None and exc.response.status_code >= 500
    return isinstance(exc, BackfillError) and exc.__cause__ is not None  # the connection dropped


@dataclass
class DagsterWebserver:
    url: str = "http://127.0.0.1:3000"

    def _graphql(self, query: str, variables: dict, *, idempotent: bool = False) -> dict:
        """One GraphQL call. A read (`idempotent`) is tried again on a 5xx or a dropped connection: a
        webserver busy reloading must not abort a staff command that is following a backfill."""
        if idempotent:
            retrying = Retrying(
                stop=stop_after_attempt(5),
                wait=wait_exponential(multiplier=1, max=8),
                retry=retry_if_exception(_transient_http),
                reraise=True,
            )
            return retrying(self._post, query, variables)
        return self._post(query, variables)

    def _post(self, query: str, variables: dict) -> dict:
        try:
            response = requests.post(
                f"{self.url.rstrip('/')}/graphql", json={"query": query, "variables": variables}, timeout=60
            )
        except requests.ConnectionError as exc:
            raise BackfillError(f"no Dagster webserver at {self.url} (start it with `make ui`)") from exc
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise BackfillError("; ".join(e.get("message", "") for e in body["errors"]))
        return body["data"]

    def launch_backfill(
        self, partition_keys: list[str], asset_names: list[str], title: str, tags: dict[str, str] | None = None
    ) -> str:
        params = {
            "partitionNames": partition_keys,
            "assetSelection": [{"path": [n]} for n in asset_names],
            "title": title,
            # Every run of the backfill carries them: the run list says which command launched it.
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        }
        # Runs of the named job, not the anonymous __ASSET_JOB; a location without it (PartitionSetNotFound,
        # nothing launched) gets the plain asset backfill the UI's Materialize button launches.
        result = self._graphql(LAUNCH, {"params": {**params, "selector": job_selector()}})["launchPartitionBackfill"]
        if result["__typename"] == "PartitionSetNotFoundError":
            result = self._graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise BackfillError(f"{result['__typename']}: {result.get('message', '')}")
        return result["backfillId"]

    def backfill_status(self, backfill_id: str) -> str:
        result = self._graphql(STATUS, {"id": backfill_id}, idempotent=True)["partitionBackfillOrError"]
        if result["__typename"] != "PartitionBackfill":
            raise BackfillError(result.get("message", result["__typename"]))
        return result["status"]

    def backfill_link(self, backfill_id: str) -> str:
        return f"{self.url.rstrip('/')}/runs/b/{backfill_id}"  # the page opens on its partitions table

    def wait(
        self,
        backfill_id: str,
        done_count: Callable[[], int],
        on_progress: Callable[[int], None],
        timeout: float = 3600,
        poll: float = 2.0,
    ) -> str:
        deadline = time.monotonic() + timeout
        while True:
            status = self.backfill_status(backfill_id)
            on_progress(done_count())
            if status in FINISHED:
                return status
            if time.monotonic() > deadline:
                raise BackfillError(f"backfill {backfill_id} still {status} after {timeout:.0f} s")
            time.sleep(poll)


def finished_since(db: Database, ids: list[str], since: dt.datetime) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).where(RawImage.id.in_(ids), RawImage.processed_at >= since)) or 0


@dataclass(frozen=True)
class DocumentRow:
    """One document as staff see it in a listing (no PII: the file name is masked)."""

    doc_id: str
    filename: str
    case_id: str
    doc_type: str | None
    confidence: float | None
    route: str | None
    status: str
    uploaded_at: dt.datetime
    error: str | None


def describe(db: Database, ids: list[str]) -> list[DocumentRow]:
    from ella_dagster.domain.pii import mask_text

    with db.transaction() as s:
        rows = s.scalars(select(RawImage).where(RawImage.id.in_(ids)).order_by(RawImage.id))
        return [
            DocumentRow(
                r.id,
                mask_text(r.original_filename),
                r.case_id,
                r.classified_type,
                r.ai_confidence,
                r.route,
                r.status,
                r.uploaded_at,
                r.error_message,
            )
            for r in rows
        ]
