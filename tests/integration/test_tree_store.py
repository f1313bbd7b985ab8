"""The stored tree's reads for proofs: nodes by one prepared query per number of levels,
checkpoints with their cosignature lines, and both in one query, on both databases."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import insert

from conftest import migrated_database
from ksp.db.engine import create_sessionmaker
from ksp.db.tables import journal_checkpoints, journal_cosignatures
from ksp.db.tree_store import MAX_TREE_LEVELS, SqlTreeStore, add_tree_nodes
from ksp.services.ports import StoredCheckpoint


def digest(*parts: int) -> bytes:
    return hashlib.sha256(repr(parts).encode()).digest()


async def test_nodes_and_checkpoints_are_read_as_stored(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with migrated_database(backend, tmp_path_factory, "ksp_tree") as (engine, _):
        sessions = create_sessionmaker(engine)
        rows = [(level, idx, digest(level, idx)) for level in range(4) for idx in range(8)]
        async with sessions() as session, session.begin():
            await add_tree_nodes(session, rows)
            await session.execute(
                insert(journal_checkpoints),
                [
                    {
                        "tree_size": size,
                        "root": digest(size),
                        "note": f"note {size}\n",
                        "frontier": b"",
                    }
                    for size in (3, 5)
                ],
            )
            await session.execute(
                insert(journal_cosignatures),
                [
                    {"tree_size": 5, "witness": name, "line": f"— {name} sig"}
                    for name in ("w2", "w1")
                ],
            )
        async with sessions() as session:
            tree = SqlTreeStore(session)
            asked = {(0, 1), (0, 6), (2, 3), (3, 0), (3, 99)}  # (3, 99) is not stored
            found = await tree.nodes(asked)
            assert found == {node: digest(*node) for node in asked - {(3, 99)}}
            assert await tree.nodes(set()) == {}
            assert await tree.checkpoints_at((3, 5, 7)) == {
                3: StoredCheckpoint("note 3\n", {}),
                5: StoredCheckpoint("note 5\n", {"w1": "— w1 sig", "w2": "— w2 sig"}),
            }
            assert await tree.checkpoints_at(()) == {}
            both = await tree.proof_reads((3, 5, 7), asked)  # in one query
            assert both == (await tree.checkpoints_at((3, 5, 7)), found)
            assert await tree.proof_reads((5,), ()) == (await tree.checkpoints_at((5,)), {})
            assert await tree.proof_reads((), asked) == ({}, found)


async def test_nodes_on_more_levels_than_a_tree_has_are_refused(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        migrated_database(backend, tmp_path_factory, "ksp_tree") as (engine, _),
        create_sessionmaker(engine)() as session,
    ):
        tree = SqlTreeStore(session)
        assert await tree.nodes({(level, 0) for level in range(MAX_TREE_LEVELS)}) == {}
        with pytest.raises(ValueError, match=f"at most {MAX_TREE_LEVELS} levels"):
            await tree.nodes({(level, 0) for level in range(MAX_TREE_LEVELS + 1)})
