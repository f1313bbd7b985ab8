"""RFC 6962 Merkle tree hashing, and the compact frontier a journal keeps.

A leaf hash is SHA-256(0x00 || data), an interior node SHA-256(0x01 || left || right),
and the root of n leaves splits them at the largest power of two below n (RFC 6962,
section 2.1). The empty tree's root is SHA-256 of no bytes.

:class:`Frontier` holds only the roots of the perfect subtrees that make up the tree so
far, largest (leftmost) first: one per set bit of the size, so at most 64 hashes. An
append merges at most log2(n) of them, one on average; the root folds them from the
right. Stored next to a checkpoint, it lets the next append start without reading the
whole journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "Frontier", "leaf_hash", "merkle_root", "node_hash"]

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one leaf."""
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over ``leaves`` (leaf hashes), by RFC 6962's recursive definition.

    The reference the frontier is tested against; it holds every leaf in memory.
    """
    count = len(leaves)
    if count == 0:
        return EMPTY_ROOT
    if count == 1:
        return leaves[0]
    split = 1 << ((count - 1).bit_length() - 1)
    return node_hash(merkle_root(leaves[:split]), merkle_root(leaves[split:]))


class Frontier:
    """The roots of the perfect subtrees of a tree of ``size`` leaves, largest first."""

    __slots__ = ("_nodes", "size")

    def __init__(self) -> None:
        self.size = 0
        self._nodes: list[bytes] = []

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; merges equal-sized subtrees (one hash on average).

        Returns the perfect subtrees this leaf completes, as ``(level, index, hash)``: the
        leaf itself at level 0, then each merge (the nodes a proof is built from).
        """
        nodes = self._nodes
        node = leaf
        index = carry = self.size
        completed = [(0, index, leaf)]
        level = 0
        while carry & 1:
            node = sha256(b"\x01" + nodes.pop() + node).digest()
            carry >>= 1
            level += 1
            completed.append((level, index >> level, node))
        nodes.append(node)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The Merkle root of the leaves so far."""
        nodes = self._nodes
        if not nodes:
            return EMPTY_ROOT
        node = nodes[-1]
        for left in reversed(nodes[:-1]):
            node = sha256(b"\x01" + left + node).digest()
        return node

    def to_bytes(self) -> bytes:
        """The subtree roots concatenated, largest first (32 bytes per set bit of size)."""
        return b"".join(self._nodes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> Frontier:
        """Rebuild what :meth:`to_bytes` gave at ``size``; :class:`ValueError` if it cannot be."""
        if size < 0 or len(data) != HASH_SIZE * size.bit_count():
            raise ValueError("a frontier holds 32 bytes per set bit of its size")
        frontier = cls()
        frontier.size = size
        frontier._nodes = [data[at : at + HASH_SIZE] for at in range(0, len(data), HASH_SIZE)]
        return frontier
