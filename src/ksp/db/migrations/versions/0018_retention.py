"""Retention and erasure (issue 13): which journal entries are erased, erasure requests
awaiting a countersignature, and when a case's, an exchange's or an inquiry's personal
fields were erased.

The rows beside journal entries (exchanges, outcomes, the access log, …) stay immutable,
with one narrow door: inside a transaction that holds a row of ``erasure_in_progress`` (the
erasure store writes it first and removes it before its commit, so no other transaction ever
sees it), their personal fields may be blanked and access-log lines deleted. The journal's
own tables (entries, checkpoints, tree nodes, documents) keep no door at all.
On PostgreSQL the service role is granted UPDATE and DELETE on the doored tables.

Revision ID: 0018_retention
Revises: 0017_data_keys
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from ksp.db.tables import UtcDateTime

revision = "0018_retention"
down_revision = "0017_data_keys"
branch_labels = None
depends_on = None

_ERASABLE = ("cases", "exchanges", "inquiries")

# Guarded tables (db/guards.py) whose personal fields an erasure may blank, or rows delete.
# A version's row keeps its place; its reason and its plain SHA-256 (which would confirm a
# guessed copy of the erased document) are blanked.
DOORED = (
    "document_versions",
    "exchanges",
    "exchange_records",
    "access_log",
    "access_log_subjects",
    "outcomes",
    "actions",
    "action_statuses",
    "case_revisions",
    "case_triages",
    "inquiry_decisions",
)

_ERASING = "EXISTS (SELECT 1 FROM erasure_in_progress)"


def _door_on_sqlite(table: str, *, door: bool) -> None:
    refuse = f"SELECT RAISE(ABORT, '{table} rows are immutable')"
    when = f" WHEN NOT {_ERASING}" if door else ""
    for guard, event in (("no_update", "UPDATE"), ("no_delete", "DELETE")):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_{guard}")
        op.execute(
            f"CREATE TRIGGER {table}_{guard} BEFORE {event} ON {table}{when} BEGIN {refuse}; END"
        )


def _door_on_postgresql(*, door: bool) -> None:
    function = "ksp_refuse_unless_erasing" if door else "ksp_refuse_change"
    if door:
        op.execute(
            f"CREATE FUNCTION ksp_refuse_unless_erasing() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {_ERASING} THEN RETURN COALESCE(NEW, OLD); END IF; "
            "RAISE EXCEPTION 'ksp: % on % is refused: written rows are immutable', "
            "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
        )
    role = context.config.attributes.get("service_role")
    for table in DOORED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_immutable")
        if role and door:
            op.execute(f'GRANT UPDATE, DELETE ON {table} TO "{role}"')
        elif role:
            op.execute(f'REVOKE UPDATE, DELETE ON {table} FROM "{role}"')
    if not door:
        op.execute("DROP FUNCTION ksp_refuse_unless_erasing()")


def _doors(*, door: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in DOORED:
            _door_on_sqlite(table, door=door)
    else:
        _door_on_postgresql(door=door)


def upgrade() -> None:
    for table in _ERASABLE:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("erased_at", UtcDateTime()))
    op.create_table(
        "erased_entries",
        sa.Column(
            "seq",
            sa.Integer(),
            sa.ForeignKey("journal_entries.seq"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column(
            "erasure_seq", sa.Integer(), sa.ForeignKey("journal_entries.seq"), nullable=False
        ),
        sa.Column("erased_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_erased_entries_erasure_seq", "erased_entries", ["erasure_seq"])
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kif_unit", sa.String(100), nullable=False),
        sa.Column("cpr_hash", sa.LargeBinary(32)),
        sa.Column("reason_ct", sa.LargeBinary(), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("requested_by_sub", sa.String(200), nullable=False),
        sa.Column("countersigned_at", UtcDateTime()),
        sa.Column("countersigned_by_sub", sa.String(200)),
        sa.Column("erasure_seq", sa.Integer(), sa.ForeignKey("journal_entries.seq")),
    )
    op.create_table("erasure_in_progress", sa.Column("id", sa.String(36), primary_key=True))
    _doors(door=True)


def downgrade() -> None:
    _doors(door=False)
    op.drop_table("erasure_in_progress")
    op.drop_table("erasure_requests")
    op.drop_index("ix_erased_entries_erasure_seq", "erased_entries")
    op.drop_table("erased_entries")
    for table in _ERASABLE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("erased_at")
