"""RFC 9162 Merkle proofs: verifying them (pure), and planning them over stored subtrees.

Verification follows RFC 9162 section 2.1.3.2 (inclusion) and 2.1.4.2 (consistency) to the
letter, with the guards the RFC leaves to the caller: a leaf index below the tree size, tree
sizes of at least 1, a leaf and proof hashes of 32 bytes. Sizes and roots are the caller's
(in the service and in ``ksp journal``, from a signed checkpoint, never from the proof);
roots are compared, not parsed, so two equal roots of one size are consistent whatever
they hold. Every fault is one :class:`InvalidProof`.

Generation follows RFC 9162 section 2.1.3.1 (``PATH``) and 2.1.4.1 (``PROOF``). Every
subtree those definitions name starts at a multiple of a power of two at least as large
as the subtree, so its hash folds at most log2(n) *perfect* subtrees (one per set bit of
its size, largest first), the nodes a journal stores as it appends. A :class:`ProofPlan`
names those nodes as ``(level, index)``: the root of leaves ``[index * 2**level,
(index + 1) * 2**level)``. Fetch them (O(log n) reads), then :meth:`ProofPlan.hashes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ksp.journal.merkle import HASH_SIZE, node_hash

__all__ = [
    "InvalidProof",
    "NodeId",
    "ProofPlan",
    "consistency_plan",
    "fold",
    "inclusion_plan",
    "perfect_subtrees",
    "verify_consistency",
    "verify_inclusion",
]

NodeId = tuple[int, int]  # (level, index): the perfect subtree over 2**level leaves


class InvalidProof(Exception):
    """A proof that does not show what it was asked to show."""


def _check_hashes(*hashes: bytes) -> None:
    if any(len(value) != HASH_SIZE for value in hashes):
        raise InvalidProof("a hash has 32 bytes")


def verify_inclusion(
    *, index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """That leaf hash ``leaf`` is leaf ``index`` (0-based) of the tree of ``size`` leaves
    with root ``root`` (RFC 9162 2.1.3.2); :class:`InvalidProof` if not."""
    if not 0 <= index < size:
        raise InvalidProof("the leaf index must be below the tree size")
    _check_hashes(leaf, *proof)
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise InvalidProof("the proof is longer than the path")
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or node != root:
        raise InvalidProof("the proof does not lead to the root")


def verify_consistency(
    *, size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """That the tree of ``size2`` leaves with root ``root2`` extends the tree of ``size1``
    leaves with root ``root1`` (RFC 9162 2.1.4.2); :class:`InvalidProof` if not."""
    if not 1 <= size1 <= size2:
        raise InvalidProof("the sizes must satisfy 1 <= size1 <= size2")
    _check_hashes(*proof)
    if size1 == size2:
        if proof or root1 != root2:
            raise InvalidProof("a tree is consistent only with itself, by an empty proof")
        return
    if not proof:
        raise InvalidProof("a proof between different sizes is not empty")
    first, second = _consistency_roots(size1, size2, root1, proof)
    if first != root1 or second != root2:
        raise InvalidProof("the proof does not lead to both roots")


def _consistency_roots(
    size1: int, size2: int, root1: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Steps 2-7 of RFC 9162 2.1.4.2: the two roots the proof leads to."""
    path = [*proof] if size1 & (size1 - 1) else [root1, *proof]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            raise InvalidProof("the proof is longer than the path")
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof("the proof is shorter than the path")
    return first, second


def perfect_subtrees(start: int, size: int) -> tuple[NodeId, ...]:
    """The perfect subtrees covering leaves ``[start, start + size)``, largest first;
    ``start`` must be a multiple of a power of two not smaller than ``size``."""
    nodes = []
    at = start
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            nodes.append((level, at >> level))
            at += 1 << level
    return tuple(nodes)


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root over perfect subtree roots, largest (leftmost) first."""
    node = hashes[-1]
    for left in reversed(hashes[:-1]):
        node = node_hash(left, node)
    return node


@dataclass(frozen=True, slots=True)
class ProofPlan:
    """A proof as subtrees: element i of the proof folds the nodes ``parts[i]``."""

    parts: tuple[tuple[NodeId, ...], ...]

    def node_ids(self) -> frozenset[NodeId]:
        return frozenset(node for part in self.parts for node in part)

    def hashes(self, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
        """The proof's hashes from the fetched nodes (:class:`KeyError` if one is missing)."""
        return [fold([nodes[node] for node in part]) for part in self.parts]


def _split(size: int) -> int:
    """The largest power of two below ``size`` (``size`` ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """``PATH(index, D[0:size])`` of RFC 9162 2.1.3.1, leaf to root."""
    if not 0 <= index < size:
        raise ValueError("the leaf index must be below the tree size")
    parts: list[tuple[NodeId, ...]] = []
    start = 0
    while size > 1:  # descend from the root; the proof lists siblings bottom-up
        k = _split(size)
        if index < k:
            parts.append(perfect_subtrees(start + k, size - k))
            size = k
        else:
            parts.append(perfect_subtrees(start, k))
            start, index, size = start + k, index - k, size - k
    return ProofPlan(tuple(reversed(parts)))


def consistency_plan(size1: int, size2: int) -> ProofPlan:
    """``PROOF(size1, D[0:size2])`` of RFC 9162 2.1.4.1, in the RFC's order."""
    if not 1 <= size1 <= size2:
        raise ValueError("the sizes must satisfy 1 <= size1 <= size2")
    parts: list[tuple[NodeId, ...]] = []
    start, m, n, whole = 0, size1, size2, True
    while m != n:
        k = _split(n)
        if m <= k:
            parts.append(perfect_subtrees(start + k, n - k))
            n = k
        else:
            parts.append(perfect_subtrees(start, k))
            start, m, n, whole = start + k, m - k, n - k, False
    if not whole:
        parts.append(perfect_subtrees(start, m))
    return ProofPlan(tuple(reversed(parts)))
