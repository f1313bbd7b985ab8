"""The journal's stored Merkle tree: its perfect subtrees, and its checkpoints by size.

:func:`add_tree_nodes` is called by the journal's append, in its transaction, with the
subtrees the new entry completes; :class:`SqlTreeStore` reads what a proof needs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.db.tables import journal_checkpoints, journal_cosignatures, journal_tree_nodes
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
        by_level: dict[int, list[int]] = {}
        for level, idx in ids:
            by_level.setdefault(level, []).append(idx)
        # one index range per level: SQLite scans the whole table for a row-value IN
        query = select(journal_tree_nodes).where(
            or_(
                *(
                    and_(journal_tree_nodes.c.level == level, journal_tree_nodes.c.idx.in_(idxs))
                    for level, idxs in by_level.items()
                )
            )
        )
        rows = await self._session.execute(query)
        return {(row.level, row.idx): bytes(row.hash) for row in rows}

    async def checkpoint_at(self, tree_size: int) -> str | None:
        """The signed checkpoint note of the tree at ``tree_size``, if one was stored."""
        query = select(journal_checkpoints.c.note).where(
            journal_checkpoints.c.tree_size == tree_size
        )
        note: str | None = (await self._session.execute(query)).scalar()
        return note

    async def cosignatures(self, tree_size: int) -> dict[str, str]:
        """Witness name → its cosignature line on the checkpoint at ``tree_size``."""
        query = select(journal_cosignatures.c.witness, journal_cosignatures.c.line).where(
            journal_cosignatures.c.tree_size == tree_size
        )
        return {row.witness: row.line for row in await self._session.execute(query)}

    async def cosignatures_of(self, sizes: Collection[int]) -> dict[int, dict[str, str]]:
        """For each of ``sizes`` that has any: witness name → cosignature line (one query)."""
        found: dict[int, dict[str, str]] = {}
        if not sizes:
            return found
        query = select(journal_cosignatures).where(
            journal_cosignatures.c.tree_size.in_(list(sizes))
        )
        for row in await self._session.execute(query):
            found.setdefault(int(row.tree_size), {})[row.witness] = row.line
        return found

    async def add_cosignatures(self, tree_size: int, lines: dict[str, str]) -> None:
        """Store the witnesses' lines not stored yet (rows are never changed)."""
        known = await self.cosignatures(tree_size)
        new = [
            {"tree_size": tree_size, "witness": name, "line": line}
            for name, line in lines.items()
            if name not in known
        ]
        if new:
            await self._session.execute(insert(journal_cosignatures), new)

    async def cosigned_sizes(self, *, limit: int) -> list[int]:
        """The sizes of the newest checkpoints with at least one cosignature, newest first."""
        query = (
            select(journal_cosignatures.c.tree_size)
            .group_by(journal_cosignatures.c.tree_size)
            .order_by(func.max(journal_cosignatures.c.tree_size).desc())
            .limit(limit)
        )
        return [int(size) for (size,) in await self._session.execute(query)]
