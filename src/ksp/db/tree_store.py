"""The journal's stored Merkle tree: its perfect subtrees, and its checkpoints by size.

:func:`add_tree_nodes` is called by the journal's append, in its transaction, with the
subtrees the new entry completes; :class:`SqlTreeStore` reads what a proof needs.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.db.tables import journal_checkpoints, journal_cosignatures, journal_tree_nodes
from ksp.journal.proofs import NodeId
from ksp.services.ports import StoredCheckpoint

__all__ = ["MAX_TREE_LEVELS", "SqlTreeStore", "add_tree_nodes"]

# Tree sizes are 32-bit integers in the database, so a proof names nodes on at most 32
# levels (0 to 31): one prepared nodes query per number of levels.
MAX_TREE_LEVELS = 32


@functools.lru_cache(maxsize=MAX_TREE_LEVELS)
def _nodes_query(levels: int) -> Select[Any]:
    """The nodes of ``levels`` levels, their values bound as ``level_<n>`` and ``idxs_<n>``:
    one index range per level (SQLite scans the whole table for a row-value IN). Built once
    per shape, so SQLAlchemy's compiled cache is hit and no expression is built per call."""
    nodes = journal_tree_nodes.c
    return select(nodes.level, nodes.idx, nodes.hash).where(
        or_(
            *(
                and_(
                    nodes.level == bindparam(f"level_{n}"),
                    nodes.idx.in_(bindparam(f"idxs_{n}", expanding=True)),
                )
                for n in range(levels)
            )
        )
    )


# Checkpoints by size with their cosignature lines, if any (one row a line, or one row of
# NULLs for a checkpoint no witness has cosigned).
_CHECKPOINTS_AT = (
    select(
        journal_checkpoints.c.tree_size,
        journal_checkpoints.c.note,
        journal_cosignatures.c.witness,
        journal_cosignatures.c.line,
    )
    .select_from(
        journal_checkpoints.outerjoin(
            journal_cosignatures,
            journal_cosignatures.c.tree_size == journal_checkpoints.c.tree_size,
        )
    )
    .where(journal_checkpoints.c.tree_size.in_(bindparam("sizes", expanding=True)))
)


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
        if len(by_level) > MAX_TREE_LEVELS:
            raise ValueError(f"a proof names nodes on at most {MAX_TREE_LEVELS} levels")
        values: dict[str, object] = {}
        for n, (level, idxs) in enumerate(by_level.items()):
            values[f"level_{n}"], values[f"idxs_{n}"] = level, idxs
        rows = await self._session.execute(_nodes_query(len(by_level)), values)
        return {(row.level, row.idx): bytes(row.hash) for row in rows}

    async def checkpoint_at(self, tree_size: int) -> str | None:
        """The signed checkpoint note of the tree at ``tree_size``, if one was stored."""
        query = select(journal_checkpoints.c.note).where(
            journal_checkpoints.c.tree_size == tree_size
        )
        note: str | None = (await self._session.execute(query)).scalar()
        return note

    async def checkpoints_at(self, sizes: Collection[int]) -> dict[int, StoredCheckpoint]:
        """The stored checkpoints of these sizes with their cosignature lines (one query; a
        size without a checkpoint is left out)."""
        found: dict[int, StoredCheckpoint] = {}
        if not sizes:
            return found
        rows = await self._session.execute(_CHECKPOINTS_AT, {"sizes": list(sizes)})
        for row in rows:
            stored = found.setdefault(int(row.tree_size), StoredCheckpoint(row.note, {}))
            if row.witness is not None:
                stored.cosignatures[row.witness] = row.line
        return found

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
