"""The Alembic migrations build the same schema on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from ella_dagster.db.models import Action, Base
from ella_dagster.db.session import Database
from ella_dagster.pipeline.intake import seed_demo
from tests.support.rows import raw_image


def test_every_model_table_exists(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_every_model_column_exists(database: Database) -> None:
    inspector = inspect(database.engine)
    for name, table in Base.metadata.tables.items():
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert set(table.columns.keys()) <= columns, name


def test_migrating_twice_is_a_no_op(database: Database) -> None:
    database.migrate()
    assert set(Base.metadata.tables) <= set(inspect(database.engine).get_table_names())


def _action(action_id: str, done: bool = False) -> Action:
    return Action(
        id=action_id,
        case_id="case_demo",
        raw_image_id=None,
        type="AI_FAILED",
        priority="NORMAL",
        title="t",
        description="d",
        metadata_json={},
        is_completed=done,
    )


def test_one_open_action_per_document_and_type(database: Database) -> None:

    seed_demo(database)
    with database.transaction() as s:
        s.add(raw_image("doc1"))
    with database.transaction() as s:
        first = _action("a1")
        first.raw_image_id = "doc1"
        closed = _action("a0", done=True)
        closed.raw_image_id = "doc1"
        s.add_all([first, closed])
    with pytest.raises(IntegrityError), database.transaction() as s:
        second = _action("a2")
        second.raw_image_id = "doc1"
        s.add(second)
