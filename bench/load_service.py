"""The service's side of ``bench/load.py``: the set-up, the mix of operations, and the
outbox at the end.

Set-up, over HTTP as users do it: ``meetings`` meetings of one KiF unit, each with
``persons + spare`` remand cases submitted by a jail and triaged to ``meeting``, a first list
version of ``persons`` of them, and ``recipients`` participants registered with real OpenPGP
public keys (``tests/support/keys.py``), so a circulation encrypts and signs a message to
each of them.

The mix (``MIX``), each operation one request, by a random client, on a random meeting:

- ``case_submission``: ``POST /cases`` by the jail, a fresh remand case;
- ``list_read``: ``GET /documents/{id}/versions/{latest}`` by KiF, the latest version any
  client has been told of;
- ``list_update``: ``POST /meetings/{id}/list`` by KiF, swapping one person for another, with
  ``base_version`` the version this client last saw. Another client may have changed the
  list since: ``409 …/not-latest-version`` is by design, and the client re-reads (a
  ``list_read``) and carries on;
- ``circulation``: ``POST /documents/{id}/versions/{latest}/circulate`` by KiF, with
  ``{"again": true, "reason": ...}`` (the latest version may have gone out already). A
  version superseded in the meantime gets the same 409, also by design;
- ``audit_journal``: ``GET /audit/journal``, the newest page, by an auditor;
- ``audit_verify``: ``GET /audit/verify`` by an auditor; an answer that is not ``ok`` is an
  unexpected error.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from circulation import Recipient, register
from harness import REQUEST_TIMEOUT_S, BenchError
from list_version import cases_for_meeting, expect, new_meeting
from load_client import Caller

MIX: Mapping[str, float] = {
    "case_submission": 30,
    "list_read": 30,
    "list_update": 15,
    "circulation": 5,
    "audit_journal": 15,
    "audit_verify": 5,
}
WRITES = frozenset({"case_submission", "list_update", "circulation"})
JOURNAL_PAGE = 100
DRAIN_POLL_S = 0.5

CIRCULATE_AGAIN = msgspec.json.encode({"again": True, "reason": "Belastningsprøve"})


@dataclass(frozen=True)
class Shape:
    """How much the set-up makes."""

    meetings: int
    persons: int  # on every version of every list
    spare: int  # triaged cases per meeting beyond ``persons``, to swap in
    recipients: int  # participants of every meeting

    def as_json(self) -> dict[str, int]:
        return {
            "meetings": self.meetings,
            "persons_per_list": self.persons,
            "spare_cases_per_meeting": self.spare,
            "recipients_per_meeting": self.recipients,
        }


@dataclass(frozen=True)
class Identities:
    """The request headers of each role (tokens from ``ksp token``)."""

    kif: dict[str, str]
    arrest: dict[str, str]
    auditor: dict[str, str]


@dataclass
class Board:
    """One meeting's list, as the clients together know it: the newest version any of them
    was told of (by a 201 or a read), and who is on it."""

    meeting_id: str
    document_id: str
    pool: tuple[str, ...]  # every case triaged for the meeting
    latest: int
    on_list: tuple[str, ...]

    def saw(self, version: int, on_list: Sequence[str]) -> None:
        if version > self.latest:
            self.latest, self.on_list = version, tuple(on_list)


@dataclass
class Stage:
    """What the set-up made, and what the load adds that is checked afterwards."""

    boards: list[Board]
    who: Identities
    case_body: Callable[[random.Random], bytes]
    circulations: dict[str, int] = field(default_factory=dict)  # id -> messages queued

    def journal_size(self) -> int:
        """About how many journal entries there are: one per list version."""
        return sum(board.latest for board in self.boards)


# Set-up -----------------------------------------------------------------------------------


async def new_board(
    client: httpx.AsyncClient,
    who: Identities,
    shape: Shape,
    recipient_ids: Sequence[str],
) -> Board:
    """A meeting, its triaged cases, version 1 of its list, and its participants."""
    meeting_id = await new_meeting(client, who.kif)
    pool = await cases_for_meeting(
        client, who.arrest, who.kif, shape.persons + shape.spare, concurrency=4
    )
    on_list = pool[: shape.persons]
    first = {"add": on_list, "reason": "Load: the first list"}
    made = await client.post(f"/api/v1/meetings/{meeting_id}/list", json=first, headers=who.kif)
    document_id = str(expect(made, 201, "version 1")["document_id"])
    for recipient_id in recipient_ids:
        added = await client.post(
            f"/api/v1/meetings/{meeting_id}/participants",
            json={"recipient_id": recipient_id},
            headers=who.kif,
        )
        expect(added, 201, "participant")
    return Board(meeting_id, document_id, tuple(pool), 1, tuple(on_list))


async def set_up(
    base_url: str,
    who: Identities,
    shape: Shape,
    recipients: Sequence[Recipient],
    case_body: Callable[[random.Random], bytes],
) -> Stage:
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as client:
        recipient_ids = await register(client, who.kif, recipients)
        boards = [await new_board(client, who, shape, recipient_ids) for _ in range(shape.meetings)]
    return Stage(boards, who, case_body)


# The mix ----------------------------------------------------------------------------------


@dataclass
class View:
    """One meeting's list as one client last saw it."""

    version: int
    on_list: list[str]


class ServiceClient:
    """One user of each role at once, with their own view of every list."""

    def __init__(self, stage: Stage, caller: Caller, rng: random.Random) -> None:
        self._stage = stage
        self._caller = caller
        self._rng = rng
        self._views = {b.meeting_id: View(b.latest, list(b.on_list)) for b in stage.boards}
        self._operations = {
            "case_submission": self.case_submission,
            "list_read": self.list_read,
            "list_update": self.list_update,
            "circulation": self.circulation,
            "audit_journal": self.audit_journal,
            "audit_verify": self.audit_verify,
        }

    async def do(self, operation: str) -> None:
        await self._operations[operation]()

    def _board(self) -> Board:
        return self._rng.choice(self._stage.boards)

    async def case_submission(self) -> None:
        body = self._stage.case_body(self._rng)
        path = "/api/v1/cases"
        await self._caller.call("case_submission", "POST", path, self._stage.who.arrest, body)

    async def list_read(self, board: Board | None = None) -> None:
        board = board or self._board()
        path = f"/api/v1/documents/{board.document_id}/versions/{board.latest}"
        answer = await self._caller.call("list_read", "GET", path, self._stage.who.kif)
        if answer is None:
            return
        document = answer.json()
        on_list = [entry["case_id"] for entry in document["entries"]]
        self._views[board.meeting_id] = View(document["version"], on_list)
        board.saw(document["version"], on_list)

    async def list_update(self) -> None:
        """Swap one person on the list as this client saw it for one who is not on it."""
        board = self._board()
        view = self._views[board.meeting_id]
        listed = set(view.on_list)
        removed = self._rng.choice(view.on_list)
        added = self._rng.choice([case for case in board.pool if case not in listed])
        body = {
            "add": [added],
            "remove": [removed],
            "reason": "Load: one person replaced",
            "base_version": view.version,
        }
        path = f"/api/v1/meetings/{board.meeting_id}/list"
        encoded = msgspec.json.encode(body)
        answer = await self._caller.call("list_update", "POST", path, self._stage.who.kif, encoded)
        if answer is None:  # stale (by design) or an error: see the list as it is now
            await self.list_read(board)
            return
        version = answer.json()["version"]
        on_list = [case for case in view.on_list if case != removed] + [added]
        self._views[board.meeting_id] = View(version, on_list)
        board.saw(version, on_list)

    async def circulation(self) -> None:
        board = self._board()
        path = f"/api/v1/documents/{board.document_id}/versions/{board.latest}/circulate"
        # Clients circulate the latest version whether or not another one did already:
        # on purpose, as the service asks of a repeat (409 already-circulated otherwise).
        answer = await self._caller.call(
            "circulation", "POST", path, self._stage.who.kif, CIRCULATE_AGAIN
        )
        if answer is not None:
            made = answer.json()
            self._stage.circulations[made["circulation_id"]] = len(made["recipients"])

    async def audit_journal(self) -> None:
        after = max(0, self._stage.journal_size() - JOURNAL_PAGE)
        path = f"/api/v1/audit/journal?after_seq={after}&limit={JOURNAL_PAGE}"
        await self._caller.call("audit_journal", "GET", path, self._stage.who.auditor)

    async def audit_verify(self) -> None:
        path = "/api/v1/audit/verify"
        answer = await self._caller.call("audit_verify", "GET", path, self._stage.who.auditor)
        if answer is not None and answer.json().get("ok") is not True:
            self._caller.flag("audit_verify", "journal not intact")


@dataclass(frozen=True)
class ServiceMix:
    stage: Stage
    weights: Mapping[str, float] = field(default_factory=lambda: dict(MIX))

    def client(self, caller: Caller, rng: random.Random) -> ServiceClient:
        return ServiceClient(self.stage, caller, rng)


# The outbox afterwards --------------------------------------------------------------------


async def outbox(base_url: str, stage: Stage, wait_s: float) -> dict[str, Any]:
    """How many messages the circulations queued, and how many the service had sent when all
    were, or when ``wait_s`` was up (``GET /circulations/{id}``, as KiF sees them)."""
    queued = sum(stage.circulations.values())
    pending = set(stage.circulations)
    statuses: dict[str, Counter[str]] = {}
    started = time.monotonic()
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as client:
        gate = asyncio.Semaphore(4)

        async def look(circulation_id: str) -> None:
            async with gate:
                found = await client.get(
                    f"/api/v1/circulations/{circulation_id}", headers=stage.who.kif
                )
            rows = expect(found, 200, "circulation")["recipients"]
            statuses[circulation_id] = Counter(row["status"] for row in rows)
            if statuses[circulation_id]["sent"] == len(rows):
                pending.discard(circulation_id)

        while True:
            await asyncio.gather(*(look(circulation_id) for circulation_id in sorted(pending)))
            if not pending or time.monotonic() - started > wait_s:
                break
            await asyncio.sleep(DRAIN_POLL_S)
    by_status: Counter[str] = Counter()
    for counted in statuses.values():
        by_status.update(counted)
    if by_status.total() != queued:
        raise BenchError(f"the circulations list {by_status.total()} messages, not {queued}")
    return {
        "circulations": len(stage.circulations),
        "queued": queued,
        "sent": by_status["sent"],
        "by_status": dict(sorted(by_status.items())),
        "drained": not pending,
        "waited_s": round(time.monotonic() - started, 1),
    }
