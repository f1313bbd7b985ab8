"""Exchanges of information, and the notification and note records around them
(journalised, immutable).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.guards import refuse_changes
from ksp.db.tables import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SAME_ROW = {
    "exchanges": "id = NEW.id",
    "exchange_records": "exchange_id = NEW.exchange_id AND kind = NEW.kind AND number = NEW.number",
}


def _tables() -> None:
    op.create_table(
        "exchanges",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("agencies", sa.String(60), nullable=False),
        sa.Column("meeting_id", sa.String(36)),
        sa.Column("summary_ct", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
        sa.Column(
            "journal_seq",
            sa.Integer(),
            sa.ForeignKey("journal_entries.seq"),
            nullable=False,
            unique=True,
        ),
    )
    op.create_table(
        "exchange_records",
        sa.Column("exchange_id", sa.String(36), sa.ForeignKey("exchanges.id"), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column(
            "journal_seq",
            sa.Integer(),
            sa.ForeignKey("journal_entries.seq"),
            nullable=False,
            unique=True,
        ),
        sa.Column("content_ct", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
    )


def upgrade() -> None:
    _tables()
    for table, same_row in SAME_ROW.items():
        refuse_changes(table, same_row)


def downgrade() -> None:
    op.drop_table("exchange_records")
    op.drop_table("exchanges")
