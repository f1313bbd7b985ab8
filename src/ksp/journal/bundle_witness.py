"""``ksp journal verify --policy``: the witness quorum over an export bundle's checkpoints.

Every checkpoint line carries the journal's signature and the cosignatures stored with it.
Each is checked against the auditor's own policy (not the one the bundle carries): a
cosignature under a policy witness's name and key that does not verify means the
checkpoint it was made on has been re-signed since (a rewritten journal); otherwise the
answer is the newest checkpoint whose cosignatures meet the quorum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from ksp.witness.policy import NotCosigned, Policy, check_cosigned

__all__ = ["Witnessed", "witnessed_in_bundle"]


class _Line(msgspec.Struct):
    type: str
    note: str | None = None


_DECODER = msgspec.json.Decoder(_Line)


@dataclass(frozen=True, slots=True)
class Witnessed:
    quorum_size: int | None  # the newest checkpoint meeting the quorum
    cosigners: tuple[str, ...]
    reason: str | None  # why the bundle fails the policy, if it does


def witnessed_in_bundle(lines: Iterable[str], policy: Policy) -> Witnessed:
    best: tuple[int, tuple[str, ...]] | None = None
    for line in lines:
        try:
            parsed = _DECODER.decode(line)
        except msgspec.DecodeError:
            return Witnessed(None, (), "a bundle line is not JSON")
        if parsed.type != "checkpoint" or parsed.note is None:
            continue
        try:
            checked = check_cosigned(parsed.note, policy)
        except NotCosigned as refused:
            return Witnessed(None, (), f"checkpoint refused by the policy: {refused}")
        size = checked.checkpoint.tree_size
        if checked.quorum and (best is None or size > best[0]):
            best = (size, tuple(sorted(checked.cosigners)))
    if best is None:
        return Witnessed(None, (), "no checkpoint is cosigned by a quorum of the witnesses")
    return Witnessed(best[0], best[1], None)
