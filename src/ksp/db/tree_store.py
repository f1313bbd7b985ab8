"""The journal's stored Merkle tree: its perfect subtrees, and its checkpoints by size.

:func:`add_tree_nodes` is called by the journal's append, in its transaction, with the
subtrees the new entry completes; :class:`SqlTreeStore` reads what a proof needs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.db.tables import journal_checkpoints, journal_tree_nodes
from ksp.journal.proofs import NodeId

__all__ = ["SqlTreeStore", "add_tree_nodes"]


async def add_tree_nodes(session: AsyncSession, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    """Store ``(level, index, hash)`` rows (the leaf and each subtree it completes)."""
    await session.execute(
        insert(journal_tree_nodes),
        [{"level": level, "idx": idx, "hash": value} for level, idx, value in nodes],
    )


class SqlTreeStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        """The stored hashes of these subtrees (one query; a missing one is left out)."""
        if not ids:
            return {}
        key = tuple_(journal_tree_nodes.c.level, journal_tree_nodes.c.idx)
        query = select(journal_tree_nodes).where(key.in_(list(ids)))
        rows = await self._session.execute(query)
        return {(row.level, row.idx): bytes(row.hash) for row in rows}

    async def checkpoint_at(self, tree_size: int) -> str | None:
        """The signed checkpoint note of the tree at ``tree_size``, if one was stored."""
        query = select(journal_checkpoints.c.note).where(
            journal_checkpoints.c.tree_size == tree_size
        )
        note: str | None = (await self._session.execute(query)).scalar()
        return note
