"""A journal built in memory with its proofs, for the witness tests."""

from __future__ import annotations

from ksp.journal.merkle import Frontier
from ksp.journal.proofs import NodeId, consistency_plan
from unit.journal.journal_builder import Journal


def built(count: int) -> Journal:
    journal = Journal()
    for n in range(1, count + 1):
        journal.append(f'{{"version":{n}}}'.encode())
    return journal


def consistency(journal: Journal, old: int, new: int) -> list[bytes]:
    if old in (0, new):
        return []
    frontier, nodes = Frontier(), dict[NodeId, bytes]()
    for entry in journal.entries[:new]:
        nodes |= {(level, idx): value for level, idx, value in frontier.append(entry.entry_hash)}
    return consistency_plan(old, new).hashes(nodes)
