"""Confidence metrics and their great_expectations suites on a known set of classifications."""

import datetime as dt

import pytest
from sqlalchemy import text

from ella_dagster import expectations, metrics
from ella_dagster.db.session import Database
from ella_dagster.domain.routing import decide_route
from ella_dagster.pipeline.intake import seed_demo
from tests.support.rows import history, raw_image

DAY = dt.date(2026, 2, 3)
KNOWN = [("W2", 0.95), ("W2", 0.90), ("W2", 0.70), ("W2", 0.50), ("SSN_CARD", 0.97), ("UNKNOWN", 0.10)]


def load_known(db: Database) -> None:
    seed_demo(db)
    at = dt.datetime.combine(DAY, dt.time(10))
    with db.transaction() as s:
        for i, (doc_type, confidence) in enumerate(KNOWN):
            s.add(raw_image(f"doc{i}", route=decide_route(confidence).value, classified_type=doc_type))
            s.flush()
            # An earlier attempt the same day that a later one supersedes: counted once, as the later one.
            s.add(history(f"doc{i}", "OTHER", 0.2, at))
            s.add(history(f"doc{i}", doc_type, confidence, at + dt.timedelta(minutes=5)))
        s.add(raw_image("other_day", route="auto-linked", classified_type="W2"))
        s.flush()
        s.add(history("other_day", "W2", 0.99, at + dt.timedelta(days=1)))


def test_metrics_on_a_known_set(database: Database) -> None:
    load_known(database)
    rows = {r.doc_type: r for r in metrics.compute_day(database, DAY)}
    assert set(rows) == {"W2", "SSN_CARD", "UNKNOWN"}
    w2 = rows["W2"]
    assert w2.documents == 4 and w2.mean_confidence == pytest.approx(0.7625)
    assert (w2.auto_linked_share, w2.needs_review_share, w2.unclassified_share) == (0.5, 0.25, 0.25)
    assert w2.p50 == pytest.approx(0.8) and w2.p10 < w2.p50 < w2.p90
    summary = metrics.summarise(database, DAY)
    assert summary.documents == 6 and summary.auto_link_rate == 0.5
    assert metrics.compute_day(database, DAY)[0].doc_type == "SSN_CARD"  # recomputing rewrites, never appends
    with database.transaction() as s:
        assert s.execute(text("SELECT COUNT(*) FROM confidence_metrics")).scalar() == 3
        latest = dict(s.execute(text("SELECT raw_image_id, doc_type FROM latest_classifications")).all())
        assert latest["doc0"] == "W2" and len(latest) == 7


def test_expectation_suites_pass_on_clean_tables(sqlite_db: Database) -> None:
    load_known(sqlite_db)
    metrics.compute_day(sqlite_db, DAY)
    assert expectations.check_history(sqlite_db, DAY).success
    assert expectations.check_metrics(sqlite_db, DAY).success


def test_expectation_suites_fail_on_corrupted_tables(sqlite_db: Database) -> None:
    load_known(sqlite_db)
    metrics.compute_day(sqlite_db, DAY)
    with sqlite_db.engine.connect() as conn:
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        conn.execute(
            text(
                "INSERT INTO classification_results (raw_image_id, engine, engine_version, doc_type, confidence,"
                " reasoning, alternatives, created_at)"
                " VALUES ('ghost', 'x', 'v', 'BOGUS', 1.7, '', '[]', '2026-02-03 12:00:00')"
            )
        )
        conn.execute(text("UPDATE confidence_metrics SET p90 = 1.4, auto_linked_share = 0.9 WHERE doc_type = 'W2'"))
        conn.commit()
    history = expectations.check_history(sqlite_db, DAY)
    assert not history.success
    assert {f.split("(")[1].rstrip(")") for f in history.failed} == {"doc_type", "confidence", "has_document"}
    metrics_outcome = expectations.check_metrics(sqlite_db, DAY)
    assert not metrics_outcome.success
    assert any("p90" in f for f in metrics_outcome.failed) and any("share_total" in f for f in metrics_outcome.failed)


def test_too_many_unknowns_fail_the_history_suite(sqlite_db: Database) -> None:
    load_known(sqlite_db)
    outcome = expectations.check_history(sqlite_db, DAY, max_unknown_share=0.1)
    assert not outcome.success and any("is_unknown" in f for f in outcome.failed)
