"""Browser sessions and sign-in attempts (issue 9: people sign in).

Revision ID: 0008_sessions
Revises: 0007_meeting_management
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.tables import UtcDateTime

revision = "0008_sessions"
down_revision = "0007_meeting_management"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("key", sa.LargeBinary(32), primary_key=True),
        sa.Column("sub", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("email_ct", sa.LargeBinary()),
        sa.Column("acr", sa.String(200)),
        sa.Column("started_at", UtcDateTime(), nullable=False, index=True),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "sign_in_attempts",
        sa.Column("key", sa.LargeBinary(32), primary_key=True),
        sa.Column("nonce", sa.String(100), nullable=False),
        sa.Column("code_verifier", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("sign_in_attempts")
    op.drop_table("web_sessions")
