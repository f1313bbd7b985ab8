"""Notice recipients (issue 11): how a recipient's mail is delivered, ``encrypted`` (the
document, encrypted to their key) or ``notice`` (a signed notice without personal data).

Revision ID: 0019_recipient_delivery
Revises: 0018_retention
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_recipient_delivery"
down_revision = "0018_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as table:
        table.add_column(
            sa.Column("delivery", sa.String(10), nullable=False, server_default="encrypted")
        )


def downgrade() -> None:
    with op.batch_alter_table("recipients") as table:
        table.drop_column("delivery")
