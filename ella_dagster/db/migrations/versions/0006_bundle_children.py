"""a scanned bundle's children: parent upload and page range

Revision ID: 0006
Revises: 0005

A multi-page upload holding several documents is split (`pipeline/bundles.py`): each child is an
upload of its own whose row names its parent and the pages it came from; the parent ends SPLIT.
Plain nullable columns (SQLite adds them without rebuilding the table and its partial indexes).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("raw_images", sa.Column("parent_id", sa.String(64), nullable=True))
    op.add_column("raw_images", sa.Column("page_start", sa.Integer(), nullable=True))
    op.add_column("raw_images", sa.Column("page_end", sa.Integer(), nullable=True))
    op.create_index("ix_raw_images_parent_id", "raw_images", ["parent_id"])


def downgrade() -> None:
    # DROP COLUMN itself (SQLite >= 3.35): a batch rebuild would trip over the latest_classifications view.
    op.drop_index("ix_raw_images_parent_id", table_name="raw_images")
    for column in ("page_end", "page_start", "parent_id"):
        op.drop_column("raw_images", column)
