"""Witness cosignatures of the journal's checkpoints (issue 12).

One row per (checkpoint, witness): the witness's ``tlog-cosignature/v1`` signature line on
the checkpoint at ``tree_size``, as it answered ``add-checkpoint``. Immutable like the
journal (a later answer of the same witness on the same checkpoint is not stored again).

Revision ID: 0016_witness_cosignatures
Revises: 0015_smime_recipients
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.guards import refuse_changes

revision = "0016_witness_cosignatures"
down_revision = "0015_smime_recipients"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal_cosignatures",
        sa.Column(
            "tree_size",
            sa.Integer(),
            sa.ForeignKey("journal_checkpoints.tree_size"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("line", sa.String(1000), nullable=False),
    )
    refuse_changes("journal_cosignatures", "tree_size = NEW.tree_size AND witness = NEW.witness")


def downgrade() -> None:
    op.drop_table("journal_cosignatures")
