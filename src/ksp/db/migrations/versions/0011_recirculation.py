"""Circulating a version again is done on purpose: the circulation records why (encrypted).

Revision ID: 0011_recirculation
Revises: 0010_recipient_lifecycle
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_recirculation"
down_revision = "0010_recipient_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("circulations") as batch:
        batch.add_column(sa.Column("again_reason_ct", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("circulations") as batch:
        batch.drop_column("again_reason_ct")
