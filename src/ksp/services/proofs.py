"""RFC 9162 proofs for auditors, each with the signed checkpoint it proves against.

A proof is built from the stored perfect subtrees in one read (O(log n) rows) and checked
by the service itself against the root of the stored checkpoint before it is handed out:
a damaged node table is a :class:`JournalIntegrityError`, never a proof that fails only
at the auditor's. Proofs hold hashes only, no personal data, so reading one is not logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ksp.domain.errors import FieldError, InvalidParameter, JournalIntegrityError, NotFound
from ksp.journal.checkpoint import (
    Checkpoint,
    CheckpointSigner,
    InvalidCheckpoint,
    VerifiedCheckpoints,
)
from ksp.journal.entry import entry_hash
from ksp.journal.proofs import (
    InvalidProof,
    NodeId,
    ProofPlan,
    consistency_plan,
    inclusion_plan,
    verify_consistency,
    verify_inclusion,
)
from ksp.journal.receipt import Receipt, encode_receipt
from ksp.services.ports import StoredCheckpoint, UnitOfWork, UnitOfWorkFactory

__all__ = [
    "VERIFIED_CHECKPOINTS",
    "ConsistencyProof",
    "InclusionProof",
    "ProofService",
    "cosigned_note",
    "with_cosignatures",
]


@dataclass(frozen=True, slots=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    proof: list[bytes]
    checkpoint: str


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    first: int
    second: int
    proof: list[bytes]
    checkpoint: str
    first_checkpoint: str


def _refuse(field: str, message: str) -> InvalidParameter:
    return InvalidParameter([FieldError(field, message)])


# Verified checkpoint notes kept per process: the ones auditors ask for again (the latest,
# and the sizes they kept) without checking their signature again.
VERIFIED_CHECKPOINTS = 256


class ProofService:
    def __init__(self, uow: UnitOfWorkFactory, signer: CheckpointSigner) -> None:
        self._uow = uow
        self._signer = signer
        self._checkpoints = VerifiedCheckpoints(
            public_key=signer.public_key_bytes, origin=signer.origin, capacity=VERIFIED_CHECKPOINTS
        )

    async def inclusion(self, index: int, tree_size: int) -> InclusionProof:
        """Leaf ``index`` (0-based; journal entry ``index + 1``) in the tree of ``tree_size``."""
        if tree_size < 1:
            raise _refuse("size", "must be at least 1")
        if not 0 <= index < tree_size:
            raise _refuse("index", "must be at least 0 and below size")
        plan = inclusion_plan(index, tree_size)
        async with self._uow() as uow:
            stored, nodes = await uow.tree.proof_reads((tree_size,), plan.node_ids() | {(0, index)})
            checkpoint = await self._verified_at(uow, stored, tree_size, "size")
        leaf = nodes.get((0, index))
        proof = _hashes(plan, nodes)
        if leaf is None:
            raise JournalIntegrityError
        try:
            verify_inclusion(
                index=index, size=tree_size, leaf=leaf, proof=proof, root=checkpoint.root
            )
        except InvalidProof:
            raise JournalIntegrityError from None
        return InclusionProof(index, tree_size, leaf, proof, checkpoint.note)

    async def consistency(self, first: int, second: int) -> ConsistencyProof:
        """That the tree of ``second`` entries extends the tree of ``first`` entries."""
        if first < 1:
            raise _refuse("from", "must be at least 1")
        if first > second:
            raise _refuse("from", "must not exceed to")
        plan = consistency_plan(first, second)
        async with self._uow() as uow:
            stored, nodes = await uow.tree.proof_reads((first, second), plan.node_ids())
            later = await self._verified_at(uow, stored, second, "to")
            earlier = await self._verified_at(uow, stored, first, "from")
        proof = _hashes(plan, nodes)
        try:
            verify_consistency(
                size1=first, size2=second, root1=earlier.root, root2=later.root, proof=proof
            )
        except InvalidProof:
            raise JournalIntegrityError from None
        return ConsistencyProof(
            first,
            second,
            proof,
            with_cosignatures(later.note, stored[second].cosignatures),
            with_cosignatures(earlier.note, stored[first].cosignatures),
        )

    async def receipt(self, document_id: str, version: int) -> str:
        """A C2SP ``tlog-proof@v1`` receipt that this document version is in the journal:
        its entry header, index and inclusion proof in the latest signed checkpoint."""
        async with self._uow() as uow:
            record = await uow.documents.version(document_id, version)
            latest = await uow.journal.latest_checkpoint()
            if record is None or latest is None:
                raise NotFound
            index, tree_size = record.journal_seq - 1, latest[0]
            checkpoint = await self._checkpoint(uow, tree_size, "size")
            plan = inclusion_plan(index, tree_size)
            nodes = await uow.tree.nodes(plan.node_ids())
            entries = await uow.journal.stored(index, 1)
            key = await uow.journal.commitment_key(record.journal_seq)  # a version-2 header's
            note = await cosigned_note(uow, tree_size, checkpoint.note)
        if not entries or entries[0].seq != record.journal_seq:
            raise JournalIntegrityError
        proof = _hashes(plan, nodes)
        try:
            verify_inclusion(
                index=index,
                size=tree_size,
                leaf=entry_hash(entries[0].header),
                proof=proof,
                root=checkpoint.root,
            )
        except InvalidProof:
            raise JournalIntegrityError from None
        return encode_receipt(Receipt(entries[0].header, index, proof, note, key))

    async def _checkpoint(self, uow: UnitOfWork, tree_size: int, field: str) -> Checkpoint:
        """The stored signed checkpoint at ``tree_size``, its signature checked."""
        note = await uow.tree.checkpoint_at(tree_size)
        return await self._verified(uow, note, tree_size, field)

    async def _verified_at(
        self, uow: UnitOfWork, stored: Mapping[int, StoredCheckpoint], tree_size: int, field: str
    ) -> Checkpoint:
        """The checkpoint at ``tree_size`` among those read, its signature checked."""
        found = stored.get(tree_size)
        return await self._verified(uow, None if found is None else found.note, tree_size, field)

    async def _verified(
        self, uow: UnitOfWork, note: str | None, tree_size: int, field: str
    ) -> Checkpoint:
        """``note``, read as the checkpoint at ``tree_size``, its signature checked (once per
        process for one note text: see :class:`VerifiedCheckpoints`)."""
        if note is None:  # one read when it is there; the latest only to say why not
            latest = await uow.journal.latest_checkpoint()
            if latest is None or tree_size > latest[0]:
                raise _refuse(field, "is beyond the journal's latest checkpoint")
            raise _refuse(field, "is not the size of a signed checkpoint")
        try:
            checkpoint = self._checkpoints.verify(note)
        except InvalidCheckpoint:
            raise JournalIntegrityError from None
        if checkpoint.tree_size != tree_size:
            raise JournalIntegrityError
        return checkpoint


def _hashes(plan: ProofPlan, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """The proof from the fetched nodes; a missing node is a damaged tree."""
    try:
        return plan.hashes(nodes)
    except KeyError:
        raise JournalIntegrityError from None


async def cosigned_note(uow: UnitOfWork, tree_size: int, note: str) -> str:
    """The checkpoint note at ``tree_size`` followed by its stored cosignature lines."""
    return with_cosignatures(note, await uow.tree.cosignatures(tree_size))


def with_cosignatures(note: str, lines: Mapping[str, str]) -> str:
    """A checkpoint note followed by cosignature lines, by witness name."""
    return note + "".join(line + "\n" for _, line in sorted(lines.items()))
