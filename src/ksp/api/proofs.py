"""``/api/v1/audit/proofs``: RFC 9162 inclusion and consistency proofs for auditors."""

from __future__ import annotations

import base64
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from ksp.api.auth import action, authorised
from ksp.api.docs import problems
from ksp.domain.access import Action
from ksp.services.proofs import ProofService

__all__ = ["InclusionProofOut", "ProofController"]

# Bounds only so that a number fits the database; the real limits (the journal's size)
# are the service's, answered as 400 with the parameter named.
_Size = Annotated[int, QueryParameter(ge=-(2**31), le=2**31 - 1)]


class InclusionProofOut(msgspec.Struct, kw_only=True):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]
    checkpoint: str


class ConsistencyProofOut(msgspec.Struct, kw_only=True, rename={"first": "from", "second": "to"}):
    first: int
    second: int
    proof: list[str]
    checkpoint: str
    from_checkpoint: str


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(value).decode("ascii") for value in hashes]


class ProofController(Controller):
    path = "/audit/proofs"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["audit"]  # noqa: RUF012

    @get(
        "/inclusion",
        opt=action(Action.READ_INCLUSION_PROOF),
        responses=problems(503),
        summary="An RFC 9162 inclusion proof of a journal entry",
    )
    async def inclusion(
        self, proofs: NamedDependency[ProofService], index: _Size, size: _Size
    ) -> InclusionProofOut:
        """Entry ``index + 1`` (``index`` is 0-based) in the tree of ``size`` entries, with the
        signed checkpoint at ``size`` whose root the proof leads to."""
        found = await proofs.inclusion(index, size)
        return InclusionProofOut(
            index=found.index,
            size=found.tree_size,
            leaf_hash=base64.b64encode(found.leaf_hash).decode("ascii"),
            proof=_b64(found.proof),
            checkpoint=found.checkpoint,
        )

    @get(
        "/consistency",
        opt=action(Action.READ_CONSISTENCY_PROOF),
        responses=problems(503),
        summary="An RFC 9162 consistency proof between two checkpoints",
    )
    async def consistency(
        self,
        proofs: NamedDependency[ProofService],
        first: Annotated[int, QueryParameter(name="from", ge=-(2**31), le=2**31 - 1)],
        second: Annotated[int, QueryParameter(name="to", ge=-(2**31), le=2**31 - 1)],
    ) -> ConsistencyProofOut:
        """That the tree at ``to`` extends the tree at ``from``: check it against the root of
        a checkpoint at ``from`` you kept, and the signed checkpoint at ``to`` given here."""
        found = await proofs.consistency(first, second)
        return ConsistencyProofOut(
            first=found.first,
            second=found.second,
            proof=_b64(found.proof),
            checkpoint=found.checkpoint,
            from_checkpoint=found.first_checkpoint,
        )
