"""S/MIME recipients: a recipient's key format, and fingerprints of 64 hex digits (the
SHA-256 of a certificate's DER) on recipients and in the outbox.

Revision ID: 0015_smime_recipients
Revises: 0014_cancellation_notices
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_smime_recipients"
down_revision = "0014_cancellation_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as table:
        table.add_column(
            sa.Column("key_format", sa.String(10), nullable=False, server_default="openpgp")
        )
        table.alter_column("fingerprint", type_=sa.String(64), existing_nullable=False)
    with op.batch_alter_table("outbox") as table:
        table.alter_column("fingerprint", type_=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as table:
        table.alter_column("fingerprint", type_=sa.String(40), existing_nullable=False)
    with op.batch_alter_table("recipients") as table:
        table.alter_column("fingerprint", type_=sa.String(40), existing_nullable=False)
        table.drop_column("key_format")
