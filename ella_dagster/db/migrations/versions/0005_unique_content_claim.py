"""one original per case and content

Revision ID: 0005
Revises: 0004

Two copies of the same bytes in one case, hashed while neither had its hash recorded (a copy processed
before its original after a crash or a redrive), both became originals and were both counted. A
partial unique index now lets one row per (case, sha256) be no duplicate (`pipeline/steps.py
hash_document`): the first to be hashed is the original, the others point at it.

Rows that already break the rule would stop the index from being built: for each such content the
earliest upload stays the original and the later ones become its duplicates (their status is left as
it is; the `not_a_duplicate` check shows them and their next run routes them DUPLICATE and un-counts).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CLAIM = "duplicate_of_id IS NULL AND sha256 IS NOT NULL"


def upgrade() -> None:
    bind = op.get_bind()
    shared = bind.execute(
        sa.text(f"SELECT case_id, sha256 FROM raw_images WHERE {CLAIM} GROUP BY case_id, sha256 HAVING COUNT(*) > 1")
    ).all()
    for case_id, sha256 in shared:
        ids = bind.execute(
            sa.text(f"SELECT id FROM raw_images WHERE case_id = :case AND sha256 = :sha AND {CLAIM} ORDER BY id"),
            {"case": case_id, "sha": sha256},
        ).scalars()
        original, *copies = list(ids)
        for doc_id in copies:
            bind.execute(
                sa.text("UPDATE raw_images SET duplicate_of_id = :original WHERE id = :id"),
                {"original": original, "id": doc_id},
            )
    op.create_index(
        "uq_raw_images_content",
        "raw_images",
        ["case_id", "sha256"],
        unique=True,
        sqlite_where=sa.text(CLAIM),
        postgresql_where=sa.text(CLAIM),
    )


def downgrade() -> None:
    op.drop_index("uq_raw_images_content", table_name="raw_images")
