"""confidence metrics table and the latest-classification view

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Portable SQL (SQLite and PostgreSQL): the newest history row of each document.
LATEST_CLASSIFICATIONS = """
CREATE VIEW latest_classifications AS
SELECT cr.id, cr.raw_image_id, ri.case_id, cr.engine, cr.engine_version, cr.doc_type, cr.confidence,
       cr.tax_year, cr.created_at, ri.status, ri.route
FROM classification_results cr
JOIN (SELECT raw_image_id, MAX(id) AS id FROM classification_results GROUP BY raw_image_id) newest
  ON newest.id = cr.id
JOIN raw_images ri ON ri.id = cr.raw_image_id
"""


def upgrade() -> None:
    op.create_table(
        "confidence_metrics",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("doc_type", sa.String(length=32), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=128), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("mean_confidence", sa.Float(), nullable=False),
        sa.Column("p10", sa.Float(), nullable=False),
        sa.Column("p50", sa.Float(), nullable=False),
        sa.Column("p90", sa.Float(), nullable=False),
        sa.Column("auto_linked_share", sa.Float(), nullable=False),
        sa.Column("needs_review_share", sa.Float(), nullable=False),
        sa.Column("unclassified_share", sa.Float(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", "doc_type", "engine"),
    )
    op.execute(LATEST_CLASSIFICATIONS)


def downgrade() -> None:
    op.execute("DROP VIEW latest_classifications")
    op.drop_table("confidence_metrics")
