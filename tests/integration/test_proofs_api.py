"""``/api/v1/audit/proofs``: proofs fetched from the real API and checked as an auditor would,
with the pure verifier against the root of a checkpoint whose signature the journal key
checks (CONTRACT.md, "Proofs, receipts and witnesses")."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ksp.journal.checkpoint import Checkpoint, verify_checkpoint
from ksp.journal.proofs import verify_consistency, verify_inclusion
from ksp.journal.signing import journal_signer
from ksp.settings import Settings
from support.data import Units
from support.flows import case_for_meeting, change_list, new_meeting

Auth = Callable[..., dict[str, str]]
PROOFS = "/api/v1/audit/proofs"


def signed(note: str, settings: Settings) -> Checkpoint:
    """The checkpoint in ``note``, its signature checked with the journal key."""
    signer = journal_signer(settings)
    return verify_checkpoint(note, public_key=signer.public_key_bytes, origin=signer.origin)


def hashes(values: list[str]) -> list[bytes]:
    return [base64.b64decode(value, validate=True) for value in values]


async def journalise(client: httpx.AsyncClient, auth: Auth, units: Units, versions: int) -> None:
    """``versions`` versions of one meeting's list, each a journal entry."""
    meeting = await new_meeting(client, auth, units)
    for version in range(1, versions + 1):
        case_id = await case_for_meeting(client, auth, units)
        base = {"base_version": version - 1} if version > 1 else {}
        made = await change_list(client, auth, units, meeting, add=[case_id], **base)
        assert made.status_code == 201, made.text


async def latest(client: httpx.AsyncClient, auditor: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/v1/audit/verify", headers=auditor)
    assert response.status_code == 200
    checkpoint: dict[str, Any] = response.json()["checkpoint"]
    return checkpoint


async def kept_then_more(
    client: httpx.AsyncClient, auth: Auth, units: Units, settings: Settings, *, more: int
) -> Checkpoint:
    """The checkpoint an auditor keeps after one version, then ``more`` versions on."""
    await journalise(client, auth, units, 1)
    kept = signed((await latest(client, auth("auditor", units.auditor)))["note"], settings)
    await journalise(client, auth, units, more)
    return kept


async def leaf_hashes(client: httpx.AsyncClient, auditor: dict[str, str]) -> list[bytes]:
    """Every entry hash, from the journal listing (the auditor's own copy of the leaves)."""
    leaves: list[bytes] = []
    after: int | None = 0
    while after is not None:
        page = await client.get(
            "/api/v1/audit/journal", params={"after_seq": after, "limit": 1000}, headers=auditor
        )
        leaves += [bytes.fromhex(item["entry_hash"]) for item in page.json()["items"]]
        after = page.json()["next_after_seq"]
    return leaves


async def test_inclusion_proofs_verify_against_the_signed_checkpoint(
    client: httpx.AsyncClient, auth: Auth, units: Units, settings: Settings
) -> None:
    """Every entry's proof leads from its own entry hash to the root the checkpoint signs."""
    auditor = auth("auditor", units.auditor)
    await journalise(client, auth, units, 3)
    size = (await latest(client, auditor))["tree_size"]
    leaves = await leaf_hashes(client, auditor)
    assert len(leaves) == size
    for index in sorted({0, 1, size // 2, size - 2, size - 1}):
        response = await client.get(
            f"{PROOFS}/inclusion", params={"index": index, "size": size}, headers=auditor
        )
        assert response.status_code == 200, response.text
        body = response.json()
        checkpoint = signed(body["checkpoint"], settings)
        assert (body["index"], body["size"], checkpoint.tree_size) == (index, size, size)
        assert base64.b64decode(body["leaf_hash"]) == leaves[index]
        verify_inclusion(
            index=index,
            size=checkpoint.tree_size,
            leaf=leaves[index],
            proof=hashes(body["proof"]),
            root=checkpoint.root,
        )


async def test_an_inclusion_proof_into_an_older_checkpoint_verifies_too(
    client: httpx.AsyncClient, auth: Auth, units: Units, settings: Settings
) -> None:
    """A proof at a kept checkpoint's size proves against that checkpoint, not the latest."""
    auditor = auth("auditor", units.auditor)
    kept = await kept_then_more(client, auth, units, settings, more=2)
    index = kept.tree_size - 1
    response = await client.get(
        f"{PROOFS}/inclusion", params={"index": index, "size": kept.tree_size}, headers=auditor
    )
    assert response.status_code == 200
    assert response.json()["checkpoint"] == kept.note
    leaf = (await leaf_hashes(client, auditor))[index]
    proof = hashes(response.json()["proof"])
    verify_inclusion(index=index, size=kept.tree_size, leaf=leaf, proof=proof, root=kept.root)


async def test_a_consistency_proof_shows_the_journal_extends_a_kept_checkpoint(
    client: httpx.AsyncClient, auth: Auth, units: Units, settings: Settings
) -> None:
    """From a checkpoint the auditor kept to the latest: the proof joins both signed roots."""
    auditor = auth("auditor", units.auditor)
    kept = await kept_then_more(client, auth, units, settings, more=3)
    newest = (await latest(client, auditor))["tree_size"]
    for first in sorted({1, kept.tree_size, newest}):
        response = await client.get(
            f"{PROOFS}/consistency", params={"from": first, "to": newest}, headers=auditor
        )
        assert response.status_code == 200, response.text
        body = response.json()
        later = signed(body["checkpoint"], settings)
        earlier = kept if first == kept.tree_size else signed(body["from_checkpoint"], settings)
        assert (body["from"], body["to"], later.tree_size) == (first, newest, newest)
        assert earlier.tree_size == first
        verify_consistency(
            size1=first,
            size2=newest,
            root1=earlier.root,
            root2=later.root,
            proof=hashes(body["proof"]),
        )


@pytest.mark.parametrize(
    ("route", "params", "field"),
    [
        ("inclusion", {"index": 1, "size": 1}, "index"),
        ("inclusion", {"index": -1, "size": 1}, "index"),
        ("inclusion", {"index": 0, "size": 0}, "size"),
        ("inclusion", {"index": 0, "size": 2**31 - 1}, "size"),
        ("consistency", {"from": 2, "to": 1}, "from"),
        ("consistency", {"from": 0, "to": 1}, "from"),
        ("consistency", {"from": 1, "to": 2**31 - 1}, "to"),
    ],
)
async def test_a_proof_outside_the_journal_is_400_naming_the_parameter(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    route: str,
    params: dict[str, int],
    field: str,
) -> None:
    """``index ≥ size``, ``from > to``, ``from < 1`` and sizes beyond the tree are 400."""
    await journalise(client, auth, units, 1)
    response = await client.get(
        f"{PROOFS}/{route}", params=params, headers=auth("auditor", units.auditor)
    )
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"].endswith("/validation")
    assert [error["field"] for error in problem["errors"]] == [field]


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("inclusion", {"index": 0}),
        ("inclusion", {"index": "x", "size": 1}),
        ("consistency", {"from": 1, "to": 2**40}),
    ],
)
async def test_a_missing_or_malformed_proof_parameter_is_400(
    client: httpx.AsyncClient, auth: Auth, units: Units, route: str, params: dict[str, Any]
) -> None:
    """Parameters that are not 32-bit integers never reach the service."""
    response = await client.get(
        f"{PROOFS}/{route}", params=params, headers=auth("auditor", units.auditor)
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/validation")
