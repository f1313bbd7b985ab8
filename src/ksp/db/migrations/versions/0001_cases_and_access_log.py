"""Cases, idempotency keys and the access log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("submitted_at", UtcDateTime(), nullable=False),
        sa.Column("submitted_by_sub", sa.String(200), nullable=False),
        sa.Column("submitted_by_role", sa.String(20), nullable=False),
        sa.Column("submitted_by_unit", sa.String(100), nullable=False),
        sa.Column("kif_unit", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("custody", sa.String(20), nullable=False),
        sa.Column("radicalisation_concern", sa.Boolean(), nullable=False),
        sa.Column("security_notified_on", sa.Date()),
        sa.Column("municipality_code", sa.Integer(), nullable=False),
        sa.Column("police_district", sa.String(40), nullable=False),
        sa.Column("detained_since", sa.Date(), nullable=False),
        sa.Column("released_on", sa.Date()),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("meeting_id", sa.String(36)),
        sa.Column("name_ct", sa.LargeBinary(), nullable=False),
        sa.Column("cpr_ct", sa.LargeBinary(), nullable=False),
        sa.Column("concern_ct", sa.LargeBinary(), nullable=False),
        sa.Column("cpr_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("triaged_at", UtcDateTime()),
        sa.Column("triaged_by_sub", sa.String(200)),
        sa.Column("triage_reason_ct", sa.LargeBinary()),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_cpr_hash", "cases", ["cpr_hash"])
    op.create_index("ix_cases_kif_unit_submitted_at", "cases", ["kif_unit", "submitted_at"])
    op.create_index(
        "ix_cases_submitted_by_unit_submitted_at", "cases", ["submitted_by_unit", "submitted_at"]
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("sub", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("request_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sub", "unit", "key", name="pk_idempotency_keys"),
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("sub", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("resource", sa.String(40), nullable=False),
        sa.Column("resource_id", sa.String(36)),
        sa.Column("subject_count", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    op.create_table(
        "access_log_subjects",
        sa.Column("access_log_id", sa.Integer(), nullable=False),
        sa.Column("cpr_hash", sa.LargeBinary(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_log_id"],
            ["access_log.id"],
            name="fk_access_log_subjects_access_log_id_access_log",
        ),
        sa.PrimaryKeyConstraint("access_log_id", "cpr_hash", name="pk_access_log_subjects"),
    )
    op.create_index("ix_access_log_subjects_cpr_hash", "access_log_subjects", ["cpr_hash"])


def downgrade() -> None:
    op.drop_table("access_log_subjects")
    op.drop_table("access_log")
    op.drop_table("idempotency_keys")
    op.drop_table("cases")
