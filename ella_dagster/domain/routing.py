"""Confidence routing: which status a classified upload gets and which staff action it needs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ella_dagster.domain.doc_types import DocType

REVIEW_THRESHOLD = 0.60
AUTO_LINK_THRESHOLD = 0.85


class Route(StrEnum):
    AUTO_LINKED = "auto-linked"
    NEEDS_REVIEW = "needs-review"
    UNCLASSIFIED = "unclassified"


class ActionType(StrEnum):
    AI_FAILED = "AI_FAILED"
    VERIFY_DOCS = "VERIFY_DOCS"
    REVIEW_SPLIT = "REVIEW_SPLIT"  # a scanned bundle whose document boundaries are in doubt


class ActionPriority(StrEnum):
    URGENT = "URGENT"
    HIGH = "HIGH"
    NORMAL = "NORMAL"
    LOW = "LOW"


@dataclass(frozen=True)
class ActionSpec:
    type: ActionType
    priority: ActionPriority
    title: str
    description: str


# Staff-facing titles, in the firm's working language (as the earlier system showed them).
AI_FAILED_TITLE = "Phân loại tự động thất bại"
VERIFY_DOCS_TITLE = "Xác minh phân loại"


def decide_route(confidence: float) -> Route:
    if confidence < REVIEW_THRESHOLD:
        return Route.UNCLASSIFIED
    if confidence < AUTO_LINK_THRESHOLD:
        return Route.NEEDS_REVIEW
    return Route.AUTO_LINKED


def percent(confidence: float) -> int:
    return round(confidence * 100)


def action_for_route(route: Route, doc_type: DocType | str, confidence: float, reasoning: str) -> ActionSpec | None:
    if route is Route.UNCLASSIFIED:
        return ActionSpec(
            ActionType.AI_FAILED,
            ActionPriority.NORMAL,
            AI_FAILED_TITLE,
            f"Độ tin cậy {percent(confidence)}%: {reasoning}"[:500],
        )
    if route is Route.NEEDS_REVIEW:
        return ActionSpec(
            ActionType.VERIFY_DOCS,
            ActionPriority.NORMAL,
            VERIFY_DOCS_TITLE,
            f"{DocType(doc_type).value}: Độ tin cậy {percent(confidence)}% - cần xác minh",
        )
    return None


def failure_action(reason: str, *, transient: bool = False) -> ActionSpec:
    """AI_FAILED for a document the pipeline could not process (corrupt file, exhausted retries)."""
    return ActionSpec(
        ActionType.AI_FAILED,
        ActionPriority.NORMAL if transient else ActionPriority.HIGH,
        AI_FAILED_TITLE,
        reason[:500],
    )
