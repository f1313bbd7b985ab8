"""Case corrections: revisions, the triage history, and which list versions hold which
cases (all immutable).

Revision ID: 0009_case_corrections
Revises: 0008_sessions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.guards import refuse_changes
from ksp.db.tables import UtcDateTime

revision = "0009_case_corrections"
down_revision = "0008_sessions"
branch_labels = None
depends_on = None

SAME_ROW = {
    "case_revisions": "case_id = NEW.case_id AND revision = NEW.revision",
    "case_triages": "case_id = NEW.case_id AND number = NEW.number",
    "list_entries": (
        "document_id = NEW.document_id AND version = NEW.version AND case_id = NEW.case_id"
    ),
}


def _case_id() -> sa.Column[str]:
    return sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), primary_key=True)


def upgrade() -> None:
    # The decision, apart from the status: a listed or withdrawn case keeps its triage.
    op.add_column("cases", sa.Column("triage_decision", sa.String(20)))
    op.execute("UPDATE cases SET triage_decision = status WHERE triaged_at IS NOT NULL")
    op.create_table(
        "case_revisions",
        _case_id(),
        sa.Column("revision", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("fields", sa.String(400), nullable=False),
        sa.Column("reason_ct", sa.LargeBinary(), nullable=False),
        sa.Column("before_ct", sa.LargeBinary(), nullable=False),
        sa.Column("by_sub", sa.String(200), nullable=False),
        sa.Column("by_unit", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "case_triages",
        _case_id(),
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reason_ct", sa.LargeBinary()),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("by_sub", sa.String(200), nullable=False),
        sa.Column("corrects", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "list_entries",
        sa.Column("document_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.ForeignKeyConstraint(
            ["document_id", "version"],
            ["document_versions.document_id", "document_versions.version"],
        ),
    )
    op.create_index("ix_list_entries_case_id", "list_entries", ["case_id"])
    for table, same_row in SAME_ROW.items():
        refuse_changes(table, same_row)


def downgrade() -> None:
    for table in SAME_ROW:
        op.drop_table(table)
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("triage_decision")
