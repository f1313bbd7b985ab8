"""The access log records the purpose of each read, and refuses UPDATE and DELETE like the
journal's tables (Directive 2016/680 art. 25: consultations and disclosures are logged with
their justification, and the logs serve to verify lawfulness, so they must not be edited).

Rows written before this revision had no X-KSP-Purpose to refine them, so their purpose is
the default the action had: it is derived here from the role and resource they record.

Revision ID: 0006_access_log_purpose
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.guards import refuse_changes

revision = "0006_access_log_purpose"
down_revision = "0005"
branch_labels = None
depends_on = None

SAME_ROW = {
    "access_log": "id = NEW.id",
    "access_log_subjects": "access_log_id = NEW.access_log_id AND cpr_hash = NEW.cpr_hash",
}

_BACKFILL = (
    "UPDATE access_log SET purpose = CASE"
    " WHEN role = 'auditor' THEN 'audit'"
    " WHEN resource IN ('document-versions', 'document-version', 'document-diff')"
    " THEN 'meeting-preparation'"
    " WHEN resource = 'circulation' THEN 'circulation'"
    " WHEN resource = 'inquiries' THEN 'inquiry'"
    " ELSE 'case-handling' END"
)


def upgrade() -> None:
    op.add_column(
        "access_log",
        sa.Column("purpose", sa.String(40), nullable=False, server_default="case-handling"),
    )
    op.execute(_BACKFILL)
    if op.get_bind().dialect.name != "sqlite":  # from now on every writer names it
        op.alter_column("access_log", "purpose", server_default=None)
    for table, same_row in SAME_ROW.items():
        refuse_changes(table, same_row)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in SAME_ROW:
        if dialect == "sqlite":
            for guard in ("no_update", "no_delete", "no_replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{guard}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    with op.batch_alter_table("access_log") as batch:
        batch.drop_column("purpose")
