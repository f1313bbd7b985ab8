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
from alembic import context, op

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


def _sqlite_guards() -> None:
    for table, same_row in IMMUTABLE.items():
        refuse = f"SELECT RAISE(ABORT, '{table} rows are immutable')"
        op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN {refuse}; END")
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN {refuse}; END")
        # INSERT OR REPLACE deletes the old row without firing delete triggers.
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_row}) BEGIN {refuse}; END"
        )


def _postgres_guards() -> None:
    op.execute(
        "CREATE FUNCTION ksp_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'ksp: % on % is refused: written rows are immutable', "
        "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    for table in IMMUTABLE:
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ksp_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ksp_refuse_change()"
        )
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_immutable")
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
    role = context.config.attributes.get("service_role")
    if role:
        for table in IMMUTABLE:
            op.execute(f'REVOKE ALL ON {table} FROM "{role}"')
            op.execute(f'GRANT SELECT, INSERT ON {table} TO "{role}"')


def upgrade() -> None:
    # Access-log rows now also name document versions ("document/version").
    with op.batch_alter_table("access_log") as batch:
        batch.alter_column("resource_id", type_=sa.String(100), existing_type=sa.String(36))
    _tables()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_guards()
    else:
        _postgres_guards()


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
