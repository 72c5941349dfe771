"""The first schema: work items and their resolutions (the audit trail)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.db import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create both tables and their indexes."""
    op.create_table(
        "work_items",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("queued_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("top_department", sa.String(32), nullable=False),
        sa.Column("routed", sa.JSON(), nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("returned_by", sa.String(128), nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.Column("source_topic", sa.String(255), nullable=True),
        sa.Column("source_partition", sa.Integer(), nullable=True),
        sa.Column("source_offset", sa.Integer(), nullable=True),
    )
    op.create_index("work_items_queue", "work_items", ["status", "priority", "created_at"])
    op.create_table(
        "resolutions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(128), sa.ForeignKey("work_items.event_id"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(128), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("model_department", sa.String(32), nullable=False),
        sa.Column("model_label", sa.String(200), nullable=False),
        sa.Column("model_confidence", sa.Float(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("event_id", "round", name="resolutions_once_per_round"),
    )
    op.create_index("resolutions_time", "resolutions", ["resolved_at"])
    op.create_index("resolutions_unpublished", "resolutions", ["published_at"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("resolutions")
    op.drop_table("work_items")
