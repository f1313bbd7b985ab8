"""Proof generation over stored subtrees, against RFC 9162's recursive definitions."""

from __future__ import annotations

import math

import pytest

from ksp.journal.merkle import Frontier, leaf_hash, merkle_root
from ksp.journal.proofs import (
    InvalidProof,
    NodeId,
    consistency_plan,
    inclusion_plan,
    verify_consistency,
    verify_inclusion,
)


def leaves_of(count: int) -> list[bytes]:
    return [leaf_hash(index.to_bytes(4, "big")) for index in range(count)]


def stored_nodes(leaves: list[bytes]) -> dict[NodeId, bytes]:
    """Every perfect subtree, as a journal stores them while appending."""
    frontier = Frontier()
    nodes: dict[NodeId, bytes] = {}
    for leaf in leaves:
        for level, index, value in frontier.append(leaf):
            nodes[(level, index)] = value
    return nodes


def rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1, straight from the text."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*rfc_path(m, leaves[:k]), merkle_root(leaves[k:])]
    return [*rfc_path(m - k, leaves[k:]), merkle_root(leaves[:k])]


def rfc_subproof(m: int, leaves: list[bytes], *, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 2.1.4.1, straight from the text."""
    n = len(leaves)
    if m == n:
        return [] if whole else [merkle_root(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*rfc_subproof(m, leaves[:k], whole=whole), merkle_root(leaves[k:])]
    return [*rfc_subproof(m - k, leaves[k:], whole=False), merkle_root(leaves[:k])]


LEAVES = leaves_of(40)
NODES = stored_nodes(LEAVES)


def test_appending_stores_every_perfect_subtree_once() -> None:
    """n leaves make 2n - popcount(n) perfect subtrees; each is the root of its leaves."""
    assert len(NODES) == 2 * 40 - (40).bit_count()
    for (level, index), value in NODES.items():
        assert value == merkle_root(LEAVES[index << level : (index + 1) << level])


@pytest.mark.parametrize("size", range(1, 41))
def test_inclusion_proofs_are_rfc_9162_paths_and_verify(size: int) -> None:
    """Each leaf's proof from stored subtrees is PATH(m, D[n]) and verifies to the root."""
    root = merkle_root(LEAVES[:size])
    for index in range(size):
        proof = inclusion_plan(index, size).hashes(NODES)
        assert proof == rfc_path(index, LEAVES[:size])
        verify_inclusion(index=index, size=size, leaf=LEAVES[index], proof=proof, root=root)


@pytest.mark.parametrize("size2", range(1, 41))
def test_consistency_proofs_are_rfc_9162_proofs_and_verify(size2: int) -> None:
    """Each PROOF(m, D[n]) from stored subtrees matches the RFC and verifies both roots."""
    root2 = merkle_root(LEAVES[:size2])
    for size1 in range(1, size2 + 1):
        proof = consistency_plan(size1, size2).hashes(NODES)
        assert proof == rfc_subproof(size1, LEAVES[:size2], whole=True)
        root1 = merkle_root(LEAVES[:size1])
        verify_consistency(size1=size1, size2=size2, root1=root1, root2=root2, proof=proof)


def test_a_proof_reads_logarithmically_many_nodes() -> None:
    """On a million-entry tree no proof names more than 2·log2(n) stored nodes."""
    size = 1_000_000
    bound = 2 * math.ceil(math.log2(size))
    for index in (0, 1, 524_287, 524_288, 999_998, 999_999):
        assert len(inclusion_plan(index, size).node_ids()) <= bound
    for first in (1, 2, 3, 500_000, 524_288, 999_999):
        assert len(consistency_plan(first, size).node_ids()) <= bound


def test_a_proof_is_refused_for_another_leaf_or_an_older_root() -> None:
    """A valid proof for leaf 5 of 21 does not prove leaf 6, nor leaf 5 in the 20-leaf tree."""
    proof = inclusion_plan(5, 21).hashes(NODES)
    root = merkle_root(LEAVES[:21])
    with pytest.raises(InvalidProof):
        verify_inclusion(index=6, size=21, leaf=LEAVES[6], proof=proof, root=root)
    with pytest.raises(InvalidProof):
        verify_inclusion(
            index=5, size=21, leaf=LEAVES[5], proof=proof, root=merkle_root(LEAVES[:20])
        )


def test_a_consistency_proof_is_refused_for_a_rewritten_history() -> None:
    """A tree whose leaf 3 was changed is not consistent with the tree it claims to extend."""
    rewritten = [*LEAVES[:3], leaf_hash(b"other"), *LEAVES[4:30]]
    proof = consistency_plan(10, 30).hashes(stored_nodes(rewritten))
    with pytest.raises(InvalidProof):
        verify_consistency(
            size1=10,
            size2=30,
            root1=merkle_root(LEAVES[:10]),
            root2=merkle_root(rewritten),
            proof=proof,
        )


@pytest.mark.parametrize(("index", "size"), [(-1, 4), (4, 4), (0, 0)])
def test_an_inclusion_plan_needs_an_index_below_the_size(index: int, size: int) -> None:
    """Planning refuses a leaf outside the tree, as the verifier does."""
    with pytest.raises(ValueError, match="below the tree size"):
        inclusion_plan(index, size)


@pytest.mark.parametrize(("size1", "size2"), [(0, 4), (5, 4), (-1, 2)])
def test_a_consistency_plan_needs_ordered_sizes_of_at_least_one(size1: int, size2: int) -> None:
    """Planning refuses size1 < 1 and size1 > size2, as the verifier does."""
    with pytest.raises(ValueError, match="1 <= size1 <= size2"):
        consistency_plan(size1, size2)


def test_a_proof_hash_of_the_wrong_length_is_refused() -> None:
    """A 31-byte proof element is refused before any hashing."""
    with pytest.raises(InvalidProof):
        verify_inclusion(index=0, size=2, leaf=LEAVES[0], proof=[b"x" * 31], root=NODES[(1, 0)])
