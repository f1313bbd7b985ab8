"""Meetings, KSP documents and their versions, the journal and its checkpoints.

The database itself refuses any change to a written version (guide 3.3.7: a journalised
document cannot be updated): UPDATE, DELETE and a REPLACE over an existing row abort on
SQLite; row and TRUNCATE triggers, enabled ALWAYS, abort on PostgreSQL. When the service's
PostgreSQL role is configured (KSP_DB_SERVICE_ROLE), it is granted only SELECT and INSERT
on these tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.guards import refuse_changes
from ksp.db.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# table -> how a new row names an existing one (for the REPLACE guard on SQLite)
IMMUTABLE = {
    "documents": "id = NEW.id",
    "journal_entries": "seq = NEW.seq",
    "journal_checkpoints": "tree_size = NEW.tree_size",
    "document_versions": "document_id = NEW.document_id AND version = NEW.version",
}


def _tables() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kif_unit", sa.String(100), nullable=False, index=True),
        sa.Column("municipality_code", sa.Integer(), nullable=False),
        sa.Column("police_district", sa.String(40), nullable=False),
        sa.Column("scheduled_for", UtcDateTime(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "meeting_id", sa.String(36), sa.ForeignKey("meetings.id"), nullable=False, unique=True
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "journal_entries",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("header", sa.LargeBinary(), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "journal_checkpoints",
        sa.Column("tree_size", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "document_versions",
        sa.Column("document_id", sa.String(36), sa.ForeignKey("documents.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column(
            "journal_seq",
            sa.Integer(),
            sa.ForeignKey("journal_entries.seq"),
            nullable=False,
            unique=True,
        ),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
        sa.Column("reason_ct", sa.LargeBinary(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
    )


def _refuse_function() -> None:
    op.execute(
        "CREATE FUNCTION ksp_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'ksp: % on % is refused: written rows are immutable', "
        "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
    )


def upgrade() -> None:
    # Access-log rows now also name document versions ("document/version").
    with op.batch_alter_table("access_log") as batch:
        batch.alter_column("resource_id", type_=sa.String(100), existing_type=sa.String(36))
    _tables()
    if op.get_bind().dialect.name != "sqlite":
        _refuse_function()
    for table, same_row in IMMUTABLE.items():
        refuse_changes(table, same_row)


def downgrade() -> None:
    for table in (
        "document_versions",
        "journal_checkpoints",
        "journal_entries",
        "documents",
        "meetings",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION ksp_refuse_change()")
