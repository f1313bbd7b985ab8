"""Witnessing the journal: every new checkpoint goes to the policy's witnesses, their
cosignatures are stored with it, and a witness that knows a larger or another journal
stops every append.

:meth:`WitnessingService.witness_latest` runs outside any request's transaction: it reads
the latest checkpoint, asks every witness of the policy at once (each request bounded by
the client's time-out), and stores the cosignatures that verify under the policy's key of
that witness. A witness that is down is simply asked again at the next round (the
background loop retries every ``retry`` seconds until each has cosigned the latest), so
circulation never waits for one. What each witness last cosigned is learnt from its
answers (a 409 says its size); the round at start-up asks all of them.

The :class:`RollbackGuard` is what the journal store consults before each append: once a
witness has shown the journal went backwards (its size beyond ours, a proof from its size
that does not verify, another root at its size), every append is refused with
:class:`JournalRolledBack`, and an alarm is logged (sizes only), until the process is
restarted after an operator has acted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from ksp.domain.errors import JournalRolledBack, KspError
from ksp.services.ports import UnitOfWork, UnitOfWorkFactory
from ksp.services.proofs import ProofService, cosigned_note
from ksp.witness.client import Outcome, WitnessAnswer
from ksp.witness.cosignature import note_body, verify_cosignature
from ksp.witness.policy import NotCosigned, Policy, Witness, check_cosigned

__all__ = [
    "QuorumReport",
    "RollbackGuard",
    "WitnessAsker",
    "WitnessingService",
]

log = structlog.get_logger("ksp.witness")


class WitnessAsker(Protocol):
    async def add_checkpoint(
        self, url: str, *, old: int, proof: Sequence[bytes], note: str
    ) -> WitnessAnswer: ...


class RollbackGuard:
    """In memory, per process: the largest size a witness is known to have cosigned, and
    whether a witness showed the journal went backwards."""

    def __init__(self) -> None:
        self._witnessed = 0
        self._halted: str | None = None

    @property
    def halted(self) -> str | None:
        return self._halted

    def check(self, tree_size: int) -> None:
        """Before appending to a journal of ``tree_size`` entries."""
        if self._halted is None and self._witnessed > tree_size:
            self.halt("a witness cosigned a larger journal", witnessed=self._witnessed)
        if self._halted is not None:
            raise JournalRolledBack

    def saw(self, size: int) -> None:
        self._witnessed = max(self._witnessed, size)

    def halt(self, reason: str, **sizes: int) -> None:
        if self._halted is None:
            self._halted = reason
        log.critical("journal.rolled_back", alarm=True, reason=reason, **sizes)


@dataclass(frozen=True, slots=True)
class QuorumReport:
    tree_size: int | None  # the newest checkpoint that meets the quorum
    cosigners: Sequence[str]
    note: str | None  # that checkpoint with its cosignatures
    latest_size: int | None
    latest_cosigners: Sequence[str]
    rolled_back: bool


class WitnessingService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        proofs: ProofService,
        policy: Policy,
        asker: WitnessAsker,
        guard: RollbackGuard,
        *,
        wake: asyncio.Event,
        retry: float = 5.0,
    ) -> None:
        self._uow = uow
        self._proofs = proofs
        self._policy = policy
        self._asker = asker
        self._guard = guard
        self._retry = retry
        self._known: dict[str, int] = {}
        self._round = asyncio.Lock()
        self._wake = wake  # set after each commit that appended (SqlUnitOfWork)

    @property
    def policy(self) -> Policy:
        return self._policy

    async def run(self) -> None:
        """The background loop: a round after each append, and every ``retry`` seconds
        while some witness has not cosigned the latest checkpoint."""
        while True:
            complete = await self.try_round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), None if complete else self._retry)
            self._wake.clear()

    async def try_round(self) -> bool:
        """:meth:`witness_latest`, a fault of the database logged (by its kind) and the
        round retried later rather than ending the loop or the start-up."""
        try:
            return await self.witness_latest()
        except KspError as exc:
            log.warning("witness.round_failed", error=type(exc).__name__)
            return False

    async def witness_latest(self) -> bool:
        """One round; whether every witness with a URL has cosigned the latest checkpoint."""
        async with self._round:
            async with self._uow() as uow:
                latest = await uow.journal.latest_checkpoint()
                stored = {} if latest is None else await uow.tree.cosignatures(latest[0])
            if latest is None:
                return True
            size, note = latest
            # a witness not heard from since start-up is asked even if its cosignature is
            # stored: a restored copy holds the cosignatures of its own (older) checkpoint
            asked = [
                w
                for w in self._policy.witnesses.values()
                if w.url and (w.name not in stored or w.name not in self._known)
            ]
            lines = await asyncio.gather(*(self._submit(w, size, note) for w in asked))
            got = {w.name: line for w, line in zip(asked, lines, strict=True) if line}
            new = {name: line for name, line in got.items() if name not in stored}
            if new:
                async with self._uow() as uow:
                    await uow.tree.add_cosignatures(size, new)
                    await uow.commit()
            return all(w.name in got or w.name in stored for w in asked)

    async def _submit(self, witness: Witness, size: int, note: str) -> str | None:
        """The witness's verified cosignature line on ``note``, or None."""
        assert witness.url is not None
        old = self._known.get(witness.name, 0)
        for _ in range(2):  # once more after a 409 told us its size
            if old > size:
                self._guard.halt("a witness cosigned a larger journal", witnessed=old, size=size)
                return None
            proof = await self._consistency(old, size)
            answer = await self._asker.add_checkpoint(witness.url, old=old, proof=proof, note=note)
            if answer.outcome is Outcome.COSIGNED:
                return self._cosignature(witness, answer, size, note)
            if answer.outcome is Outcome.INCONSISTENT:
                self._guard.halt("a witness refused our consistency proof", old=old, size=size)
                return None
            if answer.outcome is not Outcome.CONFLICT or answer.size is None:
                log.warning("witness.unavailable", witness=witness.name, outcome=answer.outcome)
                return None
            if answer.size == old:  # same size as we said, yet a conflict: another root
                self._guard.halt("a witness cosigned another root", witnessed=old, size=size)
                return None
            self._known[witness.name] = old = answer.size
            self._guard.saw(answer.size)
        return None

    def _cosignature(
        self, witness: Witness, answer: WitnessAnswer, size: int, note: str
    ) -> str | None:
        body = note_body(note)
        for line in answer.lines:
            try:
                if verify_cosignature(line, body, witness.vkey) is not None:
                    self._known[witness.name] = size
                    self._guard.saw(size)
                    return line
            except ValueError:
                break
        log.warning("witness.bad_cosignature", witness=witness.name, size=size)
        return None

    async def _consistency(self, old: int, size: int) -> list[bytes]:
        if old in (0, size):
            return []
        return (await self._proofs.consistency(old, size)).proof

    async def report(self) -> QuorumReport:
        """The newest checkpoint meeting the quorum (among the last 100 cosigned ones)."""
        async with self._uow() as uow:
            latest = await uow.journal.latest_checkpoint()
            latest_cosigners: list[str] = []
            if latest is not None:
                latest_cosigners = sorted(await self._cosigners(uow, latest[0], latest[1]))
            for size in await uow.tree.cosigned_sizes(limit=100):
                note = await uow.tree.checkpoint_at(size)
                if note is None:
                    continue
                cosigners = await self._cosigners(uow, size, note)
                if self._policy.satisfied_by(cosigners):
                    cosigned = await cosigned_note(uow, size, note)
                    return QuorumReport(
                        size,
                        sorted(cosigners),
                        cosigned,
                        latest and latest[0],
                        latest_cosigners,
                        self._guard.halted is not None,
                    )
        halted = self._guard.halted is not None
        return QuorumReport(None, [], None, latest and latest[0], latest_cosigners, halted)

    async def _cosigners(self, uow: UnitOfWork, size: int, note: str) -> set[str]:
        try:
            checked = check_cosigned(await cosigned_note(uow, size, note), self._policy)
        except NotCosigned:  # a stored cosignature that does not verify counts for none
            return set()
        return set(checked.cosigners)
