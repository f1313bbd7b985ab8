"""The stored tree nodes under attack (direct SQL, guards off): the service never hands out
a proof that fails, and never appends over nodes of a truncated journal. Each test gets a
database of its own (the ``fresh`` fixture of the journal attacks)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from test_journal_attacks import VERSIONS, Fresh, fresh  # noqa: F401 - the fixture

PROOFS = "/api/v1/audit/proofs"


async def test_a_rewritten_tree_node_is_refused_not_served(fresh: Fresh) -> None:  # noqa: F811
    """A changed stored subtree would give a proof that fails at the auditor's; the service
    checks each proof against the signed root first and answers 503 journal-integrity."""
    await fresh.sql(
        "UPDATE journal_tree_nodes SET hash = :h WHERE level = 0 AND idx = 1", {"h": b"\x00" * 32}
    )
    response = await fresh.client.get(
        f"{PROOFS}/inclusion", params={"index": 0, "size": VERSIONS}, headers=fresh.auditor
    )
    assert response.status_code == 503
    assert response.json()["type"].endswith("/journal-integrity")
    response = await fresh.client.get(
        f"{PROOFS}/consistency", params={"from": 1, "to": VERSIONS}, headers=fresh.auditor
    )
    assert response.status_code == 503
    assert response.json()["type"].endswith("/journal-integrity")


async def test_a_deleted_tree_node_is_refused_not_served(fresh: Fresh) -> None:  # noqa: F811
    """A missing subtree is a damaged tree too: 503, never a short proof."""
    await fresh.sql("DELETE FROM journal_tree_nodes WHERE level = 2 AND idx = 0")
    response = await fresh.client.get(
        f"{PROOFS}/inclusion", params={"index": 4, "size": VERSIONS}, headers=fresh.auditor
    )
    assert response.status_code == 503
    assert response.json()["type"].endswith("/journal-integrity")


async def test_a_truncated_journal_is_not_appended_over_its_old_nodes(
    fresh: Fresh,  # noqa: F811
) -> None:
    """Entries, versions and checkpoints removed down to 3, the nodes left: the next append
    meets a node of the old tree and is refused as journal-integrity, not a 500."""
    await fresh.sql("DELETE FROM document_versions WHERE version > 3")
    await fresh.sql("DELETE FROM journal_entries WHERE seq > 3")
    await fresh.sql("DELETE FROM journal_checkpoints WHERE tree_size > 3")
    refused = await fresh.next_change(base_version=3)
    assert refused.status_code == 503, refused.text
    assert refused.json()["type"].endswith("/journal-integrity")


async def test_a_size_without_a_signed_checkpoint_is_400_naming_it(
    fresh: Fresh,  # noqa: F811
) -> None:
    """Proofs are only against signed checkpoints: a size with none stored is refused."""
    await fresh.sql("DELETE FROM journal_checkpoints WHERE tree_size = 3")
    for route, params, field in (
        ("inclusion", {"index": 0, "size": 3}, "size"),
        ("consistency", {"from": 3, "to": VERSIONS}, "from"),
        ("consistency", {"from": 1, "to": 3}, "to"),
    ):
        response = await fresh.client.get(f"{PROOFS}/{route}", params=params, headers=fresh.auditor)
        assert response.status_code == 400, response.text
        assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_the_database_refuses_to_change_a_tree_node(fresh: Fresh) -> None:  # noqa: F811
    """Tree nodes are as immutable as the journal they summarise (guide 3.3.7)."""
    for statement in (
        "UPDATE journal_tree_nodes SET hash = hash",
        "DELETE FROM journal_tree_nodes",
    ):
        with pytest.raises(Exception, match="immutable"):
            async with fresh.engine.begin() as connection:
                await connection.execute(text(statement))


async def test_a_checkpoint_rewritten_after_it_was_served_is_refused(
    fresh: Fresh,  # noqa: F811
) -> None:
    """The service remembers the notes whose signature it checked, by their exact text: a
    note rewritten afterwards is checked anew (a forged root), and a genuine note of another
    size, remembered too, is not taken for this size's."""
    notes = dict(await fresh.sql("SELECT tree_size, note FROM journal_checkpoints"))
    asks = (
        ("inclusion", {"index": 0, "size": VERSIONS}),
        ("consistency", {"from": 3, "to": VERSIONS}),
    )
    for route, params in asks:  # served, so both notes are remembered
        response = await fresh.client.get(f"{PROOFS}/{route}", params=params, headers=fresh.auditor)
        assert response.status_code == 200, response.text
    genuine_root = notes[VERSIONS].split("\n")[2]
    forged = notes[VERSIONS].replace(genuine_root, notes[3].split("\n")[2])
    for rewritten in (forged, notes[3]):
        await fresh.sql(
            "UPDATE journal_checkpoints SET note = :n WHERE tree_size = :s",
            {"n": rewritten, "s": VERSIONS},
        )
        for route, params in asks:
            response = await fresh.client.get(
                f"{PROOFS}/{route}", params=params, headers=fresh.auditor
            )
            assert response.status_code == 503, response.text
            assert response.json()["type"].endswith("/journal-integrity")
