"""Inquiries about released people, and KiF's decisions on them (journalised, immutable).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.guards import refuse_changes
from ksp.db.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inquiries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kif_unit", sa.String(100), nullable=False, index=True),
        sa.Column("cpr_ct", sa.LargeBinary(), nullable=False),
        sa.Column("cpr_hash", sa.LargeBinary(32), nullable=False, index=True),
        sa.Column("from_agency", sa.String(20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("detained_since", sa.Date()),
        sa.Column("released_on", sa.Date()),
        sa.Column("suggestion", sa.String(10)),
        sa.Column("window_days", sa.Integer()),
        sa.Column("policy", sa.String(60), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
        sa.Column("created_by_unit", sa.String(100), nullable=False, index=True),
    )
    op.create_table(
        "inquiry_decisions",
        sa.Column("inquiry_id", sa.String(36), sa.ForeignKey("inquiries.id"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column(
            "journal_seq",
            sa.Integer(),
            sa.ForeignKey("journal_entries.seq"),
            nullable=False,
            unique=True,
        ),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("justification_ct", sa.LargeBinary()),
        sa.Column("decided_at", UtcDateTime(), nullable=False),
        sa.Column("decided_by_sub", sa.String(200), nullable=False),
    )
    refuse_changes("inquiry_decisions", "inquiry_id = NEW.inquiry_id AND number = NEW.number")


def downgrade() -> None:
    op.drop_table("inquiry_decisions")
    op.drop_table("inquiries")
