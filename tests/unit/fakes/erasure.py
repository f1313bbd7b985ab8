"""Fakes of the erasure store and of the DataKeyEraser port (a set of destroyed owners)."""

# ruff: noqa: ARG002  (a fake keeps only what the tests read; the port's signature stays)

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from ksp.domain.cpr import Cpr
from ksp.services.ports import DataKeyEraser, ErasureRequest, ErasureStore, Footprint
from unit.fakes.state import State

__all__ = ["FakeErasureStore", "FakeKeyEraser"]


class FakeErasureStore(ErasureStore):
    def __init__(self, state: State) -> None:
        self._state = state

    async def due_versions(self, kind: str, before: dt.datetime, limit: int) -> Footprint:
        due = [
            (seq, name)
            for k, seq, name, meeting_at in self._state.dated_versions
            if k == kind and meeting_at < before and seq not in self._state.erased_entries
        ][:limit]
        return Footprint(
            tuple(seq for seq, _ in due), tuple(("document_versions", n) for _, n in due)
        )

    async def due_rows(self, table: str, before: dt.datetime, limit: int) -> Footprint:
        due = [
            (row_id, seqs)
            for t, row_id, at, seqs in self._state.dated_rows
            if t == table and at < before and (t, row_id) not in self._state.erased_rows
        ][:limit]
        return Footprint(
            tuple(sorted(s for _, seqs in due for s in seqs)),
            tuple((table, row_id) for row_id, _ in due),
        )

    async def of_person(self, cpr_hash: bytes, kif_unit: str) -> Footprint:
        raise NotImplementedError

    async def mark_erased(self, seqs: Collection[int], erasure_seq: int, at: dt.datetime) -> None:
        for seq in seqs:
            self._state.erased_entries.setdefault(seq, erasure_seq)

    async def erase_rows(self, rows: Collection[tuple[str, str]], at: dt.datetime) -> None:
        self._state.erased_rows.update(rows)

    async def forget_subject(self, cpr_hash: bytes) -> int:
        raise NotImplementedError

    async def delete_access_log(self, before: dt.datetime, limit: int) -> int:
        old = [r for r in self._state.access_log if r.at < before][:limit]
        self._state.access_log = [r for r in self._state.access_log if r not in old]
        return len(old)

    async def add_request(self, request: ErasureRequest, cpr: Cpr) -> bytes:
        raise NotImplementedError

    async def request(self, request_id: str) -> tuple[ErasureRequest, bytes | None] | None:
        raise NotImplementedError

    async def countersign(self, request: ErasureRequest) -> bool:
        raise NotImplementedError


class FakeKeyEraser(DataKeyEraser):
    def __init__(self, state: State) -> None:
        self._state = state

    async def destroy_for_entry(self, seq: int, at: dt.datetime) -> None:
        self._state.destroyed_keys.add(f"journal:{seq}")

    async def destroy_for_row(self, table: str, row_id: str, at: dt.datetime) -> None:
        self._state.destroyed_keys.add(f"{table}:{row_id}")
