"""RFC 6962 Merkle hashing and the frontier, against Certificate Transparency's vectors."""

from __future__ import annotations

import hashlib

import pytest

from ksp.journal.merkle import EMPTY_ROOT, Frontier, leaf_hash, merkle_root, node_hash

# The leaves, node hashes and roots of transparency-dev/merkle's testonly/constants.go
# (from Certificate Transparency): eight leaves and the tree over each prefix.
LEAF_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]
LEAF_INPUTS.append("606162636465666768696a6b6c6d6e6f")
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# The frontier (compact range) after each prefix, largest subtree first.
NODE = {
    (0, 0): "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    (0, 2): "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    (0, 4): "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    (0, 6): "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    (1, 0): "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    (1, 2): "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    (2, 0): "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    (3, 0): "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
COMPACT = [
    [],
    [(0, 0)],
    [(1, 0)],
    [(1, 0), (0, 2)],
    [(2, 0)],
    [(2, 0), (0, 4)],
    [(2, 0), (1, 2)],
    [(2, 0), (1, 2), (0, 6)],
    [(3, 0)],
]


def vector_leaves() -> list[bytes]:
    return [leaf_hash(bytes.fromhex(data)) for data in LEAF_INPUTS]


def many_leaves(count: int) -> list[bytes]:
    return [leaf_hash(index.to_bytes(4, "big")) for index in range(count)]


def test_leaf_and_node_hashes_are_domain_separated_sha256() -> None:
    """RFC 6962 2.1: 0x00 before a leaf, 0x01 before two children; SHA-256 of nothing if empty."""
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )
    assert EMPTY_ROOT.hex() == ROOTS[0]


@pytest.mark.parametrize("size", range(9))
def test_the_reference_root_matches_certificate_transparency(size: int) -> None:
    """The recursive definition gives CT's published root for every prefix of the vectors."""
    assert merkle_root(vector_leaves()[:size]).hex() == ROOTS[size]


def test_the_frontier_matches_certificate_transparency_roots_and_compact_ranges() -> None:
    """After each append the frontier is CT's compact range and folds to CT's root."""
    frontier = Frontier()
    for size, leaf in enumerate([None, *vector_leaves()]):
        if leaf is not None:
            frontier.append(leaf)
        assert frontier.size == size
        assert frontier.root().hex() == ROOTS[size]
        assert frontier.to_bytes().hex() == "".join(NODE[node] for node in COMPACT[size])


def test_the_frontier_agrees_with_the_reference_root_for_sizes_0_to_70() -> None:
    """Incremental appends give the same root as hashing the whole tree, at every size."""
    leaves = many_leaves(70)
    frontier = Frontier()
    assert frontier.root() == merkle_root([])
    for size in range(1, 71):
        frontier.append(leaves[size - 1])
        assert frontier.root() == merkle_root(leaves[:size]), size


def test_a_stored_frontier_resumes_where_it_stopped() -> None:
    """from_bytes(to_bytes()) at any size continues to the same roots as never stopping."""
    leaves = many_leaves(40)
    for stop in range(41):
        original = Frontier()
        for leaf in leaves[:stop]:
            original.append(leaf)
        data = original.to_bytes()
        assert len(data) == 32 * stop.bit_count()
        resumed = Frontier.from_bytes(stop, data)
        assert resumed.size == stop
        assert resumed.root() == original.root()
        for leaf in leaves[stop:]:
            resumed.append(leaf)
        assert resumed.root() == merkle_root(leaves)


@pytest.mark.parametrize(("size", "length"), [(1, 0), (1, 64), (3, 32), (4, 64), (-1, 0)])
def test_a_frontier_of_the_wrong_length_is_refused(size: int, length: int) -> None:
    """A frontier holds exactly one 32-byte root per set bit of its size."""
    with pytest.raises(ValueError, match="set bit"):
        Frontier.from_bytes(size, bytes(length))
