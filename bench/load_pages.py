"""The page mix of ``bench/load.py``: signed-in browser sessions reading the web pages of
``ksp serve``, next to a bare Litestar + Jinja2 page of the same size (``bare_pages.py``).

Set-up, as people do it: one KiF meeting with ``persons + swapped`` remand cases submitted
(over the API) and triaged to it, version 1 of its list with ``persons`` of them, version 2
with ``swapped`` of them replaced; then ``sessions`` browser sessions, each through the
development sign-in (``GET /login`` for its CSRF cookie and token, ``POST /login/dev``, the
session cookie it sets). Nothing is written to the database behind the service's back, and
every request carries only what a browser would: its session cookie.

The mix (``PAGE_MIX``), each a ``GET`` by a random session, answered 200 or counted as an
unexpected error:

- ``case_list``: ``/sager/``, the unit's cases, newest first (a page of them);
- ``case_page``: ``/sager/{id}``, a random case of the meeting (its read access-logged);
- ``meeting``: ``/moeder/{id}``;
- ``meeting_list``: ``/moeder/{id}/liste/2``, the list version with its ``persons`` people;
- ``list_diff``: ``/moeder/{id}/forskel?fra=1&til=2``.

The bare mix has the same names: each ``GET /page/{rows}`` of ``bare_pages.py``, with
``rows`` chosen so its page is as large as that page of the service was at set-up.

Think time (``think_ms``): without it, each session asks for its next page the moment the
last one arrives, so ``sessions`` requests are always in flight and, by Little's law, a p95
of 150 ms at 50 sessions would take more than 330 pages a second. People read a page
before they open the next, so ``bench/load.py`` runs the mix twice: closed-loop (no think
time: the most pages a second, and the ratio to the bare page) and with each session
pausing ``think_ms`` after every page (``DEFAULT_THINK_MS``: the latencies of 50 people
browsing briskly), the bare pages with the same pause.

Targets (recorded with the figures, never an exit status: a busy machine is not a bug):
every page's p95 at most ``P95_TARGET_MS`` on SQLite, and the service's pages per second at
least ``RATIO_TARGET`` of the bare page's, measured one after the other in the same run.
The ratio is the closed-loop one: with think time both rates are the offered load.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness import REQUEST_TIMEOUT_S, BenchError
from list_version import cases_for_meeting, expect, new_meeting
from load_client import Caller
from load_service import Identities

PAGE_MIX: Mapping[str, float] = {
    "case_list": 25,
    "case_page": 30,
    "meeting": 15,
    "meeting_list": 15,
    "list_diff": 15,
}
P95_TARGET_MS = 150.0
DEFAULT_THINK_MS = 1000.0  # a page read in a second: brisker than people, who take longer
RATIO_TARGET = 0.3
SESSION_COOKIE = "ksp_session"  # over plain HTTP on loopback: no ``__Host-`` prefix
DEV_IDENTITY = "kif"  # the development sign-in's KiF of ``kif-hovedstaden``
CSRF_FIELD = re.compile(rb'name="csrf_token"\s+value="([^"]+)"')


@dataclass(frozen=True)
class PageShape:
    sessions: int
    persons: int  # on both versions of the list
    swapped: int  # replaced between version 1 and version 2

    def as_json(self) -> dict[str, int]:
        return {
            "sessions": self.sessions,
            "persons_on_list": self.persons,
            "swapped_in_version_2": self.swapped,
        }


@dataclass(frozen=True)
class PageStage:
    meeting_id: str
    case_ids: tuple[str, ...]
    cookies: tuple[str, ...]  # one session cookie per browser session

    def path(self, operation: str, rng: random.Random) -> str:
        meeting = f"/moeder/{self.meeting_id}"
        paths = {
            "case_list": lambda: "/sager/",
            "case_page": lambda: f"/sager/{rng.choice(self.case_ids)}",
            "meeting": lambda: meeting,
            "meeting_list": lambda: f"{meeting}/liste/2",
            "list_diff": lambda: f"{meeting}/forskel?fra=1&til=2",
        }
        return paths[operation]()


# Set-up -----------------------------------------------------------------------------------


async def signed_in_cookie(base_url: str) -> str:
    """One browser's development sign-in, CSRF token and all; its session cookie."""
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as browser:
        form = await browser.get("/login")
        found = CSRF_FIELD.search(form.content)
        if form.status_code != 200 or found is None:
            raise BenchError(f"sign-in form: {form.status_code}, CSRF token found: {bool(found)}")
        token = found.group(1).decode()
        done = await browser.post(
            "/login/dev", data={"identity": DEV_IDENTITY, "csrf_token": token}
        )
        cookie = done.cookies.get(SESSION_COOKIE)
        if done.status_code != 303 or not cookie:
            raise BenchError(f"development sign-in: {done.status_code}, cookie set: {bool(cookie)}")
        return cookie


async def set_up_pages(base_url: str, who: Identities, shape: PageShape) -> PageStage:
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as client:
        meeting_id = await new_meeting(client, who.kif)
        pool = await cases_for_meeting(
            client, who.arrest, who.kif, shape.persons + shape.swapped, concurrency=4
        )
        path = f"/api/v1/meetings/{meeting_id}/list"
        first = {"add": pool[: shape.persons], "reason": "Load: the first list"}
        expect(await client.post(path, json=first, headers=who.kif), 201, "version 1")
        second = {
            "add": pool[shape.persons :],
            "remove": pool[: shape.swapped],
            "reason": "Load: some people replaced",
            "base_version": 1,
        }
        expect(await client.post(path, json=second, headers=who.kif), 201, "version 2")
    cookies = [await signed_in_cookie(base_url) for _ in range(shape.sessions)]
    return PageStage(meeting_id, tuple(pool), tuple(cookies))


async def page_sizes(base_url: str, stage: PageStage) -> dict[str, int]:
    """The bytes of each page of the mix, as one session sees it (200 or the run stops)."""
    sizes: dict[str, int] = {}
    rng = random.Random(0)
    async with httpx.AsyncClient(
        base_url=base_url,
        timeout=REQUEST_TIMEOUT_S,
        trust_env=False,
        cookies={SESSION_COOKIE: stage.cookies[0]},
    ) as browser:
        for operation in PAGE_MIX:
            found = await browser.get(stage.path(operation, rng))
            if found.status_code != 200:
                raise BenchError(f"page {operation}: {found.status_code}")
            sizes[operation] = len(found.content)
    return sizes


async def bare_rows(base_url: str, sizes: Mapping[str, int]) -> dict[str, int]:
    """For each page, the rows of the bare page that make it as large (within a row)."""
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as c:
        empty = len((await c.get("/page/0")).content)
        per_row = (len((await c.get("/page/100")).content) - empty) / 100
    return {name: max(0, round((size - empty) / per_row)) for name, size in sizes.items()}


# The mixes --------------------------------------------------------------------------------


class PageClient:
    """One browser session: its own cookie, one page after another."""

    def __init__(
        self,
        stage: PageStage,
        cookie: str,
        caller: Caller,
        rng: random.Random,
        think_ms: float = 0.0,
    ) -> None:
        self._stage = stage
        self._caller = caller
        self._rng = rng
        self._think_s = think_ms / 1000
        self._headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}

    async def do(self, operation: str) -> None:
        path = self._stage.path(operation, self._rng)
        answer = await self._caller.call(operation, "GET", path, self._headers)
        if answer is not None and answer.status != 200:  # a 303 to /login: not signed in
            self._caller.flag(operation, f"status {answer.status}")
        await think(self._think_s, self._rng)


async def think(seconds: float, rng: random.Random) -> None:
    """A person reading the page: ``seconds`` on average, uniform between half and one and a
    half times it, so sessions do not ask in step."""
    if seconds > 0:
        await asyncio.sleep(seconds * rng.uniform(0.5, 1.5))


@dataclass
class PageMix:
    stage: PageStage
    think_ms: float = 0.0
    weights: Mapping[str, float] = field(default_factory=lambda: dict(PAGE_MIX))
    _dealt: int = 0

    def client(self, caller: Caller, rng: random.Random) -> PageClient:
        """Each client one session of its own while there are enough (then shared)."""
        cookie = self.stage.cookies[self._dealt % len(self.stage.cookies)]
        self._dealt += 1
        return PageClient(self.stage, cookie, caller, rng, self.think_ms)


class BarePageClient:
    def __init__(
        self, rows: Mapping[str, int], caller: Caller, rng: random.Random, think_ms: float
    ) -> None:
        self._rows = rows
        self._caller = caller
        self._rng = rng
        self._think_s = think_ms / 1000

    async def do(self, operation: str) -> None:
        await self._caller.call(operation, "GET", f"/page/{self._rows[operation]}", {})
        await think(self._think_s, self._rng)


@dataclass(frozen=True)
class BarePageMix:
    rows: Mapping[str, int]
    think_ms: float = 0.0
    weights: Mapping[str, float] = field(default_factory=lambda: dict(PAGE_MIX))

    def client(self, caller: Caller, rng: random.Random) -> BarePageClient:
        return BarePageClient(self.rows, caller, rng, self.think_ms)


# Targets ----------------------------------------------------------------------------------


def targets(service: dict[str, Any], ratio: float | None) -> dict[str, Any]:
    """Whether each page's p95 and the throughput ratio hold (``None``: nothing measured)."""
    p95 = {name: figures["latency_ms"]["p95"] for name, figures in service["operations"].items()}
    p95_holds = {name: None if ms is None else ms <= P95_TARGET_MS for name, ms in p95.items()}
    ratio_holds = None if ratio is None else ratio >= RATIO_TARGET
    every = [*p95_holds.values(), ratio_holds]
    return {
        "p95_ms_at_most": P95_TARGET_MS,
        "p95_holds": p95_holds,
        "ratio_at_least": RATIO_TARGET,
        "ratio_holds": ratio_holds,
        "all_hold": all(held is True for held in every),
    }


def think_targets(service: dict[str, Any]) -> dict[str, Any]:
    """With think time, only the latencies: both rates are then the load offered."""
    held = targets(service, None)
    return {
        "p95_ms_at_most": P95_TARGET_MS,
        "p95_holds": held["p95_holds"],
        "all_hold": all(ok is True for ok in held["p95_holds"].values()),
    }


def sized(sizes: Mapping[str, int], rows: Mapping[str, int]) -> dict[str, Any]:
    return {name: {"service_bytes": sizes[name], "bare_rows": rows[name]} for name in sizes}
