"""Recipients with pinned OpenPGP keys, meeting participants, circulations and the outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recipients",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kif_unit", sa.String(100), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(40), nullable=False),
        sa.Column("expires_at", UtcDateTime()),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
    )
    op.create_table(
        "meeting_participants",
        sa.Column("meeting_id", sa.String(36), sa.ForeignKey("meetings.id"), primary_key=True),
        sa.Column("recipient_id", sa.String(36), sa.ForeignKey("recipients.id"), primary_key=True),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.Column("added_by_sub", sa.String(200), nullable=False),
    )
    op.create_table(
        "circulations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "document_id", sa.String(36), sa.ForeignKey("documents.id"), nullable=False, index=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.String(36), sa.ForeignKey("meetings.id"), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "circulation_id",
            sa.String(36),
            sa.ForeignKey("circulations.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("recipient_id", sa.String(36), sa.ForeignKey("recipients.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("fingerprint", sa.String(40), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False, unique=True),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("last_error", sa.String(200)),
        sa.Column("sent_at", UtcDateTime()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in ("outbox", "circulations", "meeting_participants", "recipients"):
        op.drop_table(table)
