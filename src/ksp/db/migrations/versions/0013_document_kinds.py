"""A meeting's documents by kind: its list and its minutes (referat), one of each (issue 8).

``documents.kind`` (``list``, the default, or ``minutes``); ``meeting_id`` is unique per kind
instead of alone. SQLite cannot drop an inline UNIQUE, so the table is rebuilt (a rename
would rewrite the foreign keys that name it, since they are enforced): copied aside,
dropped, made anew and filled again. The immutability guards
(db/guards.py) go with the old table and are made again on the new one.

Revision ID: 0013_document_kinds
Revises: 0012_journal_tree_nodes
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.guards import refuse_changes
from ksp.db.tables import UtcDateTime

revision = "0013_document_kinds"
down_revision = "0012_journal_tree_nodes"
branch_labels = None
depends_on = None

_SAME_ROW = "id = NEW.id"


def _rebuild_on_sqlite() -> None:
    """Copy aside, drop, make anew, copy back. The drop orphans the versions' and
    circulations' rows for a moment; ``defer_foreign_keys`` holds the check to the commit,
    by which the copied-back rows have matched every one of them again."""
    op.execute("PRAGMA defer_foreign_keys = ON")
    for trigger in ("no_update", "no_delete", "no_replace"):
        op.execute(f"DROP TRIGGER IF EXISTS documents_{trigger}")
    op.execute("CREATE TABLE documents_before_kinds AS SELECT * FROM documents")
    op.execute("DROP TABLE documents")
    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("meeting_id", sa.String(36), sa.ForeignKey("meetings.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False, server_default="list"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("meeting_id", "kind", name="uq_documents_meeting_id_kind"),
    )
    op.execute(
        "INSERT INTO documents (id, meeting_id, kind, created_at) "
        "SELECT id, meeting_id, 'list', created_at FROM documents_before_kinds"
    )
    op.execute("DROP TABLE documents_before_kinds")
    refuse_changes("documents", _SAME_ROW)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite()
        return
    # Adding a column or a constraint fires no row trigger: the guards stay as they are.
    op.add_column(
        "documents", sa.Column("kind", sa.String(20), nullable=False, server_default="list")
    )
    for unique in sa.inspect(op.get_bind()).get_unique_constraints("documents"):
        if unique["column_names"] == ["meeting_id"] and unique["name"]:
            op.drop_constraint(unique["name"], "documents", type_="unique")
    op.create_unique_constraint("uq_documents_meeting_id_kind", "documents", ["meeting_id", "kind"])


def downgrade() -> None:
    raise NotImplementedError("documents of two kinds cannot become one per meeting again")
