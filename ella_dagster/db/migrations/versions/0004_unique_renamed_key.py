"""a renamed storage key belongs to one document

Revision ID: 0004
Revises: 0003

Two renames to the same name at the same time both wrote `cases/{case}/docs/...` into their rows.
A partial unique index now makes the rename claim its key (`pipeline/steps.py rename_document`);
raw keys (storage_key = original_key) are unique per upload and stay out of it.

Rows that already share a renamed key (left by that race) would stop the index from being built:
all but the first upload go back to their raw key, so their runs report the object they really have
(or, if the race deleted it, fail visibly as a missing upload) instead of showing another's bytes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RENAMED = "storage_key <> original_key"


def upgrade() -> None:
    bind = op.get_bind()
    shared = bind.execute(
        sa.text(f"SELECT storage_key FROM raw_images WHERE {RENAMED} GROUP BY storage_key HAVING COUNT(*) > 1")
    ).scalars()
    for key in list(shared):
        later = bind.execute(
            sa.text(f"SELECT id FROM raw_images WHERE storage_key = :key AND {RENAMED} ORDER BY id"), {"key": key}
        ).scalars()
        for doc_id in list(later)[1:]:
            bind.execute(
                sa.text("UPDATE raw_images SET storage_key = original_key, display_name = NULL WHERE id = :id"),
                {"id": doc_id},
            )
    op.create_index(
        "uq_raw_images_renamed_key",
        "raw_images",
        ["storage_key"],
        unique=True,
        sqlite_where=sa.text(RENAMED),
        postgresql_where=sa.text(RENAMED),
    )


def downgrade() -> None:
    op.drop_index("uq_raw_images_renamed_key", table_name="raw_images")
