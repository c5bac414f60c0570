"""per-field confidence of an extraction

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


TABLES = ("extractions", "digital_docs")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:  # batch: SQLite cannot ALTER freely
            batch.add_column(sa.Column("field_confidences", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("field_confidences")
