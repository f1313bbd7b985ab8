"""The journal's stored Merkle tree: its perfect subtrees, and its checkpoints by size.

:func:`add_tree_nodes` is called by the journal's append, in its transaction, with the
subtrees the new entry completes; :class:`SqlTreeStore` reads what a proof needs.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    LargeBinary,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)
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
_checkpoints, _cosignatures = journal_checkpoints.c, journal_cosignatures.c
_CHECKPOINTS_AT = (
    select(_checkpoints.tree_size, _checkpoints.note, _cosignatures.witness, _cosignatures.line)
    .select_from(
        journal_checkpoints.outerjoin(
            journal_cosignatures, _cosignatures.tree_size == _checkpoints.tree_size
        )
    )
    .where(_checkpoints.tree_size.in_(bindparam("sizes", expanding=True)))
)
_CHECKPOINT_LEVEL = -1  # a checkpoint's row in a proof's read: idx is its size


@functools.lru_cache(maxsize=MAX_TREE_LEVELS)
def _proof_query(levels: int) -> CompoundSelect[Any]:
    """What a proof reads, in one statement: the nodes' rows (no note, witness or line),
    then the checkpoints' rows (level -1, their size as idx, no hash)."""
    no_text = cast(null(), String)
    checkpoints = _CHECKPOINTS_AT.with_only_columns(
        literal(_CHECKPOINT_LEVEL, Integer).label("level"),
        _checkpoints.tree_size.label("idx"),
        cast(null(), LargeBinary).label("hash"),
        _checkpoints.note,
        _cosignatures.witness,
        _cosignatures.line,
    )
    nodes = _nodes_query(levels).add_columns(
        no_text.label("note"), no_text.label("witness"), no_text.label("line")
    )
    return union_all(nodes, checkpoints)


async def add_tree_nodes(session: AsyncSession, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    """Store ``(level, index, hash)`` rows (the leaf and each subtree it completes)."""
    await session.execute(
        insert(journal_tree_nodes),
        [{"level": level, "idx": idx, "hash": value} for level, idx, value in nodes],
    )


def _node_values(ids: Collection[NodeId]) -> tuple[int, dict[str, object]]:
    """How many levels ``ids`` are on, and the parameters of :func:`_nodes_query`."""
    by_level: dict[int, list[int]] = {}
    for level, idx in ids:
        by_level.setdefault(level, []).append(idx)
    if len(by_level) > MAX_TREE_LEVELS:
        raise ValueError(f"a proof names nodes on at most {MAX_TREE_LEVELS} levels")
    values: dict[str, object] = {}
    for n, (level, idxs) in enumerate(by_level.items()):
        values[f"level_{n}"], values[f"idxs_{n}"] = level, idxs
    return len(by_level), values


class SqlTreeStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        """The stored hashes of these subtrees (one query; a missing one is left out)."""
        if not ids:
            return {}
        levels, values = _node_values(ids)
        rows = await self._session.execute(_nodes_query(levels), values)
        return {(row.level, row.idx): bytes(row.hash) for row in rows}

    async def proof_reads(
        self, sizes: Collection[int], ids: Collection[NodeId]
    ) -> tuple[dict[int, StoredCheckpoint], dict[NodeId, bytes]]:
        """:meth:`checkpoints_at` ``sizes`` and :meth:`nodes` ``ids``, in one query."""
        if not ids:
            return await self.checkpoints_at(sizes), {}
        if not sizes:
            return {}, await self.nodes(ids)
        levels, values = _node_values(ids)
        values["sizes"] = list(sizes)
        checkpoints: dict[int, StoredCheckpoint] = {}
        nodes: dict[NodeId, bytes] = {}
        for row in await self._session.execute(_proof_query(levels), values):
            if row.level != _CHECKPOINT_LEVEL:
                nodes[row.level, row.idx] = bytes(row.hash)
                continue
            stored = checkpoints.setdefault(int(row.idx), StoredCheckpoint(row.note, {}))
            if row.witness is not None:
                stored.cosignatures[row.witness] = row.line
        return checkpoints, nodes

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
