"""Staff actions: created once per (document, type), resolved (never deleted) when they stop applying."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ella_dagster.db.models import Action, RawImage, utcnow
from ella_dagster.domain.routing import ActionSpec, ActionType, failure_action
from ella_dagster.domain.status import DocumentStatus


def open_actions(session: Session, raw_image_id: str) -> list[Action]:
    return list(
        session.scalars(select(Action).where(Action.raw_image_id == raw_image_id, Action.is_completed.is_(False)))
    )


def ensure_action(session: Session, raw: RawImage, spec: ActionSpec, metadata: dict[str, Any]) -> Action:
    """The open action of this type for the document, created if missing, refreshed if present."""
    for action in open_actions(session, raw.id):
        if action.type == spec.type.value:
            action.priority, action.title, action.description = (
                spec.priority.value,
                spec.title,
                spec.description,
            )
            action.metadata_json = metadata
            return action
    action = Action(
        id=f"act_{uuid.uuid4().hex[:16]}",
        case_id=raw.case_id,
        raw_image_id=raw.id,
        type=spec.type.value,
        priority=spec.priority.value,
        title=spec.title,
        description=spec.description,
        metadata_json=metadata,
    )
    session.add(action)
    session.flush()
    return action


def resolve_actions(session: Session, raw_image_id: str, keep: set[ActionType], resolution: str) -> int:
    """Marks open actions of other types done: a new result made them moot."""
    resolved = 0
    for action in open_actions(session, raw_image_id):
        if ActionType(action.type) not in keep:
            action.is_completed, action.completed_at, action.resolution = True, utcnow(), resolution
            resolved += 1
    return resolved


def action_metadata(raw: RawImage, **extra: Any) -> dict[str, Any]:
    return {
        "raw_image_id": raw.id,
        "storage_key": raw.storage_key,
        "attempted_at": utcnow().isoformat(),
        **extra,
    }


def mark_failed(session: Session, raw_image_id: str, reason: str, *, transient: bool = False) -> None:
    """FAILED with a reason staff can read, and one open AI_FAILED action."""
    raw = session.get(RawImage, raw_image_id)
    if raw is None:
        return
    raw.status, raw.error_message, raw.processed_at = DocumentStatus.FAILED, reason, utcnow()
    ensure_action(session, raw, failure_action(reason, transient=transient), action_metadata(raw, error=reason))
    resolve_actions(session, raw.id, {ActionType.AI_FAILED}, "superseded by failure")
