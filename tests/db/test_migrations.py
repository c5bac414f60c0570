"""The Alembic migrations build the same schema on SQLite and PostgreSQL."""

import pytest
from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from ella_dagster.db.models import Action, Base, RawImage
from ella_dagster.db.session import Database, alembic_config
from ella_dagster.pipeline.intake import seed_demo
from tests.support.rows import raw_image


def _add_at_old_revision(database: Database, rows: list[RawImage]) -> None:
    """Rows inserted into a database downgraded to an older revision: only the columns it has (the
    model has the newest ones), column defaults as the ORM would set them."""
    present = {c["name"] for c in inspect(database.engine).get_columns("raw_images")}
    table = RawImage.__table__
    with database.transaction() as s:
        for row in rows:
            values = {c.name: getattr(row, c.key) for c in table.columns if c.name in present}
            s.execute(table.insert().values({k: v for k, v in values.items() if v is not None}))


def test_every_model_table_exists(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_a_bundle_child_names_its_parent_and_pages(database: Database) -> None:
    seed_demo(database)
    with database.transaction() as s:
        s.add(raw_image("parent", status="SPLIT"))
        s.add(raw_image("parentp0102", parent_id="parent", page_start=1, page_end=2))
    with database.transaction() as s:
        child = s.scalars(select(RawImage).where(RawImage.parent_id == "parent")).one()
        assert (child.id, child.page_start, child.page_end) == ("parentp0102", 1, 2)
    command.downgrade(alembic_config(database.url), "0005")
    assert "parent_id" not in {c["name"] for c in inspect(database.engine).get_columns("raw_images")}
    database.migrate()
    assert "ix_raw_images_parent_id" in {i["name"] for i in inspect(database.engine).get_indexes("raw_images")}


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


def test_a_renamed_key_belongs_to_one_document(database: Database) -> None:
    seed_demo(database)
    renamed = {"storage_key": "cases/case_demo/docs/2024_W2_Acme.png"}
    with database.transaction() as s:
        s.add_all([raw_image("doc1", original_key="raw/1.png", **renamed), raw_image("doc2", original_key="raw/2.png")])
    with pytest.raises(IntegrityError), database.transaction() as s:
        s.get(RawImage, "doc2").storage_key = renamed["storage_key"]
    with database.transaction() as s:  # raw keys (storage_key = original_key) are not in the index
        s.add_all([raw_image("doc3"), raw_image("doc4")])


def test_upgrading_a_database_whose_documents_share_a_renamed_key(database: Database) -> None:
    """Rows left sharing a key by the rename race: the first upload keeps it, the others go back to
    their raw key, and the index is built."""
    command.downgrade(alembic_config(database.url), "0003")
    seed_demo(database)
    shared = "cases/case_demo/docs/2024_W2_Acme.png"
    _add_at_old_revision(
        database,
        [
            *(
                raw_image(f"doc{n}", storage_key=shared, original_key=f"raw/{n}.png", display_name="2024_W2_Acme.png")
                for n in (3, 1, 2)
            ),
            raw_image("doc4", storage_key="cases/case_demo/docs/other.png", original_key="raw/4.png"),
        ],
    )
    database.migrate()
    with database.transaction() as s:
        keys = {r.id: (r.storage_key, r.display_name) for r in s.scalars(select(RawImage))}
    assert keys == {
        "doc1": (shared, "2024_W2_Acme.png"),
        "doc2": ("raw/2.png", None),
        "doc3": ("raw/3.png", None),
        "doc4": ("cases/case_demo/docs/other.png", None),
    }
    with pytest.raises(IntegrityError), database.transaction() as s:
        s.get(RawImage, "doc2").storage_key = shared


def test_one_original_per_case_and_content(database: Database) -> None:
    seed_demo(database)
    with database.transaction() as s:
        s.add_all([raw_image("doc1", sha256="a" * 64), raw_image("doc2")])
        s.add(raw_image("doc3", sha256="a" * 64, duplicate_of_id="doc1"))
    with pytest.raises(IntegrityError), database.transaction() as s:
        s.get(RawImage, "doc2").sha256 = "a" * 64
    with database.transaction() as s:  # not yet hashed rows and duplicates are not in the index
        s.add_all([raw_image("doc4"), raw_image("doc5", sha256="a" * 64, duplicate_of_id="doc1")])


def test_upgrading_a_database_with_two_originals_of_the_same_bytes(database: Database) -> None:
    """Copies left as originals by the duplicate race: the earliest upload stays the original, the
    later ones become its duplicates, and the index is built."""
    command.downgrade(alembic_config(database.url), "0004")
    seed_demo(database)
    _add_at_old_revision(
        database,
        [
            *(
                raw_image(f"doc{n}", sha256="a" * 64, storage_key=f"raw/{n}.png", original_key=f"raw/{n}.png")
                for n in (3, 1, 2)
            ),
            raw_image("doc4", sha256="b" * 64, storage_key="raw/4.png", original_key="raw/4.png"),
        ],
    )
    database.migrate()
    with database.transaction() as s:
        originals = {r.id: r.duplicate_of_id for r in s.scalars(select(RawImage))}
    assert originals == {"doc1": None, "doc2": "doc1", "doc3": "doc1", "doc4": None}
