"""The journal's Merkle tree nodes, so that RFC 9162 proofs take O(log n) reads (issue 12).

One row per complete perfect subtree (``level``, ``idx``: the root of leaves
``[idx * 2**level, (idx + 1) * 2**level)``; level 0 holds the entry hashes), immutable like
the journal. The rows of a journal written before this migration are computed here from its
stored entry hashes; from now on, each append writes the nodes its entry completes in the
same transaction.

Revision ID: 0012_journal_tree_nodes
Revises: 0011_recirculation
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ksp.db.guards import refuse_changes
from ksp.journal.merkle import Frontier

revision = "0012_journal_tree_nodes"
down_revision = "0011_recirculation"
branch_labels = None
depends_on = None

_BATCH = 5000


def _backfill(nodes: sa.Table) -> None:
    """Every perfect subtree of the stored entries, by replaying their hashes in order."""
    bind = op.get_bind()
    frontier = Frontier()
    batch: list[dict[str, object]] = []
    query = sa.text("SELECT entry_hash FROM journal_entries ORDER BY seq")
    for (entry_hash,) in bind.execute(query):
        for level, idx, value in frontier.append(bytes(entry_hash)):
            batch.append({"level": level, "idx": idx, "hash": value})
        if len(batch) >= _BATCH:
            bind.execute(nodes.insert(), batch)
            batch = []
    if batch:
        bind.execute(nodes.insert(), batch)


def upgrade() -> None:
    nodes = op.create_table(
        "journal_tree_nodes",
        sa.Column("level", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    _backfill(nodes)
    refuse_changes("journal_tree_nodes", "level = NEW.level AND idx = NEW.idx")


def downgrade() -> None:
    op.drop_table("journal_tree_nodes")
