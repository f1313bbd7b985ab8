"""Recipients' lifecycle: a key replaced (or revoked by its owner) and a recipient retired.

Revision ID: 0010_recipient_lifecycle
Revises: 0009_case_corrections
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.tables import UtcDateTime

revision = "0010_recipient_lifecycle"
down_revision = "0009_case_corrections"
branch_labels = None
depends_on = None

COLUMNS = ("key_revoked", "key_replaced_at", "key_replaced_by_sub", "retired_at", "retired_by_sub")


def upgrade() -> None:
    with op.batch_alter_table("recipients") as table:
        table.add_column(
            sa.Column("key_revoked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("key_replaced_at", UtcDateTime()))
        table.add_column(sa.Column("key_replaced_by_sub", sa.String(200)))
        table.add_column(sa.Column("retired_at", UtcDateTime()))
        table.add_column(sa.Column("retired_by_sub", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("recipients") as table:
        for column in reversed(COLUMNS):
            table.drop_column(column)
