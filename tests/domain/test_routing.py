import pytest

from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.routing import (
    AI_FAILED_TITLE,
    VERIFY_DOCS_TITLE,
    ActionType,
    Route,
    action_for_route,
    decide_route,
)


@pytest.mark.parametrize(
    ("confidence", "route"),
    [
        (0.0, Route.UNCLASSIFIED),
        (0.5999, Route.UNCLASSIFIED),
        (0.60, Route.NEEDS_REVIEW),
        (0.8499, Route.NEEDS_REVIEW),
        (0.85, Route.AUTO_LINKED),
        (0.99, Route.AUTO_LINKED),
    ],
)
def test_route_at_the_boundaries(confidence: float, route: Route) -> None:
    assert decide_route(confidence) is route


def test_unclassified_gets_ai_failed_with_confidence_and_reasoning() -> None:
    spec = action_for_route(Route.UNCLASSIFIED, DocType.UNKNOWN, 0.42, "no anchors")
    assert spec is not None
    assert (spec.type, spec.title) == (ActionType.AI_FAILED, AI_FAILED_TITLE)
    assert "42%" in spec.description and "no anchors" in spec.description


def test_review_gets_verify_docs_naming_type_and_percent() -> None:
    spec = action_for_route(Route.NEEDS_REVIEW, DocType.W2, 0.72, "")
    assert spec is not None
    assert (spec.type, spec.title) == (ActionType.VERIFY_DOCS, VERIFY_DOCS_TITLE)
    assert spec.description.startswith("W2:") and "72%" in spec.description


def test_auto_link_needs_no_action() -> None:
    assert action_for_route(Route.AUTO_LINKED, DocType.W2, 0.9, "") is None
