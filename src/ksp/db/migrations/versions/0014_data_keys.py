"""Data keys (issue 13): one per journal entry and per case, wrapped under a KEK.

Revision ID: 0014_data_keys
Revises: 0013_document_kinds
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.tables import UtcDateTime

revision = "0014_data_keys"
down_revision = "0013_document_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("key_id", sa.String(40), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False, unique=True),
        sa.Column("kek_id", sa.String(200)),
        sa.Column("wrapped", sa.LargeBinary()),
        sa.Column("destroyed_at", UtcDateTime()),
    )
    op.create_index("ix_data_keys_kek_id", "data_keys", ["kek_id"])


def downgrade() -> None:
    op.drop_index("ix_data_keys_kek_id", "data_keys")
    op.drop_table("data_keys")
