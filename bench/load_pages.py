"""The page mix of ``bench/load.py`` (issue 10): signed-in browser sessions on the pages,
next to a bare Litestar + Jinja2 page of the same size in the same run.

- Set-up: ``--clients`` sessions signed in through the development sign-in as the jail
  officer (``arrest-koebenhavn``), and ``PAGE_CASES`` cases submitted through the case form
  (``POST /sager/ny``, with the session's CSRF token).
- The service: ``page_case_list`` (``GET /sager``, the unit's newest 50 cases) and
  ``page_case`` (``GET /sager/{id}``: the case and its corrections, each read access-logged),
  every client with a session cookie of its own.
- The bare baseline: ``bare_page`` (``GET /page?size=N`` of ``bench/bare_app.py``), a Jinja2
  table rendered to the size of the service's case list.

Not yet in the mix: the meeting page with a 200-person list and the diff (the KiF pages).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from harness import BenchError
from load_client import Caller

__all__ = ["BARE_PAGE_MIX", "PAGE_MIX", "BarePageMix", "PageMix", "PageStage", "set_up_pages"]

PAGE_MIX = {"page_case_list": 1.0, "page_case": 2.0}
BARE_PAGE_MIX = {"bare_page": 1.0}
PAGE_CASES = 40
SESSION_COOKIE = "ksp_session"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CASE = re.compile(r"^/sager/([0-9a-f-]{36})\?")


@dataclass(frozen=True)
class PageStage:
    cookies: list[str]
    case_ids: list[str]
    list_bytes: int


async def _signed_in(client: httpx.AsyncClient) -> str:
    client.cookies.clear()
    login = await client.get("/login")
    token = _CSRF.search(login.text)
    if token is None:
        raise BenchError("no development sign-in (KSP_HOST must be loopback)")
    done = await client.post("/login/dev", data={"identity": "arrest", "csrf_token": token[1]})
    _expect(done, 303)
    return done.cookies[SESSION_COOKIE]


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise BenchError(f"{response.request.url.path}: {response.status_code}, not {status}")


def _case_form(rng: random.Random, today: dt.date, csrf: str) -> dict[str, str]:
    cpr = f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(0, 99):02d}"
    cpr += f"-{rng.randint(0, 3)}{rng.randint(0, 999):03d}"
    return {
        "csrf_token": csrf,
        "name": f"Bench Person {rng.randint(0, 10**9)}",
        "cpr": cpr,
        "custody": "remand",
        "radicalisation_concern": "ja",
        "security_notified_on": (today - dt.timedelta(days=7)).isoformat(),
        "concern": "Bekymring for radikalisering (belastningstest)",
        "municipality_code": "101",
        "police_district": "koebenhavn",
        "kif_unit": "kif-hovedstaden",
        "detained_since": (today - dt.timedelta(days=57)).isoformat(),
    }


async def set_up_pages(base_url: str, sessions: int) -> PageStage:
    """The signed-in sessions, and the cases they browse, submitted through the form."""
    rng = random.Random(10)
    today = dt.datetime.now(dt.UTC).date()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        cookies = [await _signed_in(client) for _ in range(sessions)]
        client.cookies.set(SESSION_COOKIE, cookies[0])
        form = await client.get("/sager/ny")
        _expect(form, 200)
        csrf = _CSRF.search(form.text)
        if csrf is None:
            raise BenchError("the case form has no CSRF token")
        case_ids = []
        for _ in range(PAGE_CASES):
            made = await client.post("/sager/ny", data=_case_form(rng, today, csrf[1]))
            _expect(made, 303)
            found = _CASE.match(made.headers.get("location", ""))
            if found is None:
                raise BenchError("a submitted case did not lead to its page")
            case_ids.append(found[1])
        listing = await client.get("/sager")
        _expect(listing, 200)
    return PageStage(cookies, case_ids, len(listing.content))


class PageClient:
    def __init__(self, stage: PageStage, cookie: str, caller: Caller, rng: random.Random) -> None:
        self._stage, self._caller, self._rng = stage, caller, rng
        self._headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}

    async def do(self, operation: str) -> None:
        if operation == "page_case_list":
            await self._caller.call(operation, "GET", "/sager", self._headers)
            return
        case_id = self._rng.choice(self._stage.case_ids)
        await self._caller.call(operation, "GET", f"/sager/{case_id}", self._headers)


@dataclass(frozen=True)
class PageMix:
    stage: PageStage
    weights: Mapping[str, float] = field(default_factory=lambda: dict(PAGE_MIX))
    _next: itertools.count[int] = field(default_factory=itertools.count)

    def client(self, caller: Caller, rng: random.Random) -> PageClient:
        cookie = self.stage.cookies[next(self._next) % len(self.stage.cookies)]
        return PageClient(self.stage, cookie, caller, rng)


class BarePageClient:
    def __init__(self, size: int, caller: Caller) -> None:
        self._path, self._caller = f"/page?size={size}", caller

    async def do(self, operation: str) -> None:
        await self._caller.call(operation, "GET", self._path, {})


@dataclass(frozen=True)
class BarePageMix:
    size: int
    weights: Mapping[str, float] = field(default_factory=lambda: dict(BARE_PAGE_MIX))

    def client(self, caller: Caller, rng: random.Random) -> BarePageClient:
        del rng
        return BarePageClient(self.size, caller)
