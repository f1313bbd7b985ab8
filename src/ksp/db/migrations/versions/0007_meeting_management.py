"""Meeting management (issue 8): a meeting's status, place and reschedules; attendance,
outcomes, actions and action statuses as journalised, immutable rows.

Revision ID: 0007_meeting_management
Revises: 0006_access_log_purpose
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.guards import refuse_changes
from ksp.db.tables import UtcDateTime

revision = "0007_meeting_management"
down_revision = "0006_access_log_purpose"
branch_labels = None
depends_on = None

SAME_ROW = {
    "attendance_records": "meeting_id = NEW.meeting_id AND number = NEW.number",
    "outcomes": "id = NEW.id",
    "actions": "id = NEW.id",
    "action_statuses": "action_id = NEW.action_id AND number = NEW.number",
}


def _journal_seq() -> sa.Column[int]:
    return sa.Column(
        "journal_seq",
        sa.Integer(),
        sa.ForeignKey("journal_entries.seq"),
        nullable=False,
        unique=True,
    )


def _meetings() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(
            sa.Column("status", sa.String(20), nullable=False, server_default="planned")
        )
        batch.add_column(sa.Column("location", sa.String(200)))
        batch.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("held_on", sa.Date()))


def _tables() -> None:
    op.create_table(
        "attendance_records",
        sa.Column("meeting_id", sa.String(36), sa.ForeignKey("meetings.id"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        _journal_seq(),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "meeting_id", sa.String(36), sa.ForeignKey("meetings.id"), nullable=False, index=True
        ),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("decision", sa.String(40), nullable=False),
        sa.Column("summary_ct", sa.LargeBinary(), nullable=False),
        sa.Column("corrects", sa.String(36), sa.ForeignKey("outcomes.id"), unique=True),
        sa.Column("exchange_id", sa.String(36), sa.ForeignKey("exchanges.id"), nullable=False),
        _journal_seq(),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("outcome_id", sa.String(36), sa.ForeignKey("outcomes.id"), nullable=False),
        sa.Column(
            "meeting_id", sa.String(36), sa.ForeignKey("meetings.id"), nullable=False, index=True
        ),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False, index=True),
        sa.Column("description_ct", sa.LargeBinary(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "action_statuses",
        sa.Column("action_id", sa.String(36), sa.ForeignKey("actions.id"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("note_ct", sa.LargeBinary()),
        _journal_seq(),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
    )


def upgrade() -> None:
    _meetings()
    _tables()
    for table, same_row in SAME_ROW.items():
        refuse_changes(table, same_row)


def downgrade() -> None:
    for table in ("action_statuses", "actions", "outcomes", "attendance_records"):
        op.drop_table(table)
    with op.batch_alter_table("meetings") as batch:
        for column in ("held_on", "sequence", "location", "status"):
            batch.drop_column(column)
