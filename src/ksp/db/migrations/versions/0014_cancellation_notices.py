"""A meeting's cancellation notices go through the outbox (issue 8): an outbox message
belongs to a circulation or to the cancellation of a meeting (``cancelled_meeting_id``).

SQLite cannot make a column nullable in place: batch mode copies the outbox (nothing refers
to it) into a table made anew.

Revision ID: 0014_cancellation_notices
Revises: 0013_document_kinds
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_cancellation_notices"
down_revision = "0013_document_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("circulation_id", existing_type=sa.String(36), nullable=True)
        batch.add_column(sa.Column("cancelled_meeting_id", sa.String(36), nullable=True))
        batch.create_foreign_key(
            "fk_outbox_cancelled_meeting_id_meetings", "meetings", ["cancelled_meeting_id"], ["id"]
        )
        batch.create_index("ix_outbox_cancelled_meeting_id", ["cancelled_meeting_id"])


def downgrade() -> None:
    raise NotImplementedError("cancellation notices cannot be put back into circulations")
