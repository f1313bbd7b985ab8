"""Erasure end to end (issue 13): real `ksp serve` and `ksp retention run` processes, on
SQLite and on PostgreSQL, then a raw scan of everything they left.

Three people, drawn by the leak scenario's cast (test_no_leaks: unusual Danish names and
CPR numbers no other test uses), called here by their parts. Erna is erased on a decision
(kif asks, an auditor countersigns); Rasmus's records expire under a retention file of
short rules (his meeting and his case dated back 400 days in the database, as if held and
submitted long ago, then `ksp retention run`); Karen is kept. Each is submitted by the
jail, triaged to a meeting and put on a list version; the versions are circulated to a
participant by the in-process worker through a real SMTP server, and read by the
participant, KiF and an auditor (the access log). Erna and Karen share version 1 of their
meeting's list; version 2 no longer names Erna, so it survives her erasure.

Afterwards: Karen's case and version 2 still read; Erna's and Rasmus's versions read
``410 …/erased`` and their cases are gone; `GET /audit/verify` and `ksp journal verify` of
the export both say intact. No form of Erna's or Rasmus's name, CPR number (with and
without the dash) or concern is in the SQLite file, its -wal and -shm (while the server
runs, and after it stopped; or a pg_dump), the server's log, the retention run's output or
the export; and no journal entry opens, with the service's own keys, to any of it, while
Karen's entries still do (so that scan looks at real content).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from conftest import token_headers
from e2e.test_no_leaks import Cast, Person, Scenario, database
from ksp.bootstrap import database_engine, journal_signer, unit_of_work
from ksp.db.tables import cases, meetings
from ksp.journal.verify import Opened
from ksp.settings import load_settings
from support.deployment import smtp_env
from support.keys import KeyMaker
from support.leaks import PersonalData, files_under, find_leaks
from support.server import KSP, Server, running_server, server_env
from support.smtp import SmtpServer

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
TODAY = dt.datetime.now(dt.UTC).date()
POLICY = {"list_version": "365d", "case": "365d"}
LONG_AGO = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)


def ksp(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KSP, *args], env=env, capture_output=True, text=True, check=False)


@dataclass
class Left:
    """What the run left behind, for the checks and the scans."""

    backend: str
    erased: PersonalData  # Erna's and Rasmus's data
    kept: Person
    answers: dict[str, httpx.Response] = field(default_factory=dict)
    retention_output: str = ""
    verify_output: str = ""
    stored: dict[str, bytes] = field(default_factory=dict)  # files, dumps
    log: bytes = b""
    export: bytes = b""
    opened: bytes = b""  # every journal entry that still opens, with the service's keys


class ErasureScenario(Scenario):
    """The leak scenario's steps (test_no_leaks), with tokens signed in-process by the
    server's token secret (`ksp token` costs a process each)."""

    def __init__(
        self, server: Server, api: httpx.Client, keys: KeyMaker, cast: Cast, smime_dir: Path
    ) -> None:
        super().__init__(server, api, keys, cast, smime_dir)
        self._signed = token_headers(load_settings(server.env, create_secrets=False))

    def sign(self, role: str, unit: str, *, sub: str, email: str | None) -> dict[str, str]:
        return self._signed(role, unit, sub=sub, email=email)

    def submit(self, person: Person) -> str:
        """A remand case, triaged by KiF to a meeting."""
        made = self.call("arrest", "POST", "/cases", 201, json=self.case_body(person))
        case_id = str(made.json()["id"])
        self.call("kif", "POST", f"/cases/{case_id}/triage", 200, json={"decision": "meeting"})
        return case_id

    def recipient(self) -> str:
        fingerprint = self.keys.make(f"Deltager <{self.participant_email}>")
        body = {
            "name": "Deltager",
            "email": self.participant_email,
            "agency": "municipality",
            "unit": self.units.municipality,
            "openpgp_key": self.keys.public(fingerprint),
            "fingerprint": fingerprint,
        }
        return str(self.call("kif", "POST", "/recipients", 201, json=body).json()["id"])

    def meeting_with(self, recipient: str) -> str:
        body = {
            "municipality_code": 101,
            "police_district": "koebenhavn",
            "scheduled_for": f"{TODAY + dt.timedelta(days=14)}T10:00:00+01:00",
            "title": "KSP-møde København",
        }
        meeting = str(self.call("kif", "POST", "/meetings", 201, json=body).json()["id"])
        participant = {"recipient_id": recipient}
        self.call("kif", "POST", f"/meetings/{meeting}/participants", 201, json=participant)
        return meeting

    def list_version(self, meeting: str, **change: Any) -> str:
        """A new version of the meeting's list, circulated and delivered; its document."""
        body = {"reason": "Dagsorden", **change}
        made = self.call("kif", "POST", f"/meetings/{meeting}/list", 201, json=body).json()
        self.circulate(str(made["document_id"]), int(made["version"]))
        return str(made["document_id"])

    def read(self, document: str, version: int, names: set[str]) -> None:
        """The auditor and the participant read the version (logged, about its people)."""
        url = f"/documents/{document}/versions/{version}"
        entries = self.call("auditor", "GET", url, 200).json()["entries"]
        assert {e["name"] for e in entries} == names
        self.call("participant", "GET", url, 200)

    def answer(self, role: str, url: str) -> httpx.Response:
        """A GET whatever its status, for the checks afterwards."""
        return self.api.get(url, headers=self.headers(role))


async def date_back(settings: dict[str, str], meeting: str, case_id: str) -> None:
    """Rasmus's meeting was held, and his case submitted, 400 days ago."""
    engine = database_engine(load_settings(settings, create_secrets=False))
    try:
        async with engine.begin() as connection:
            when = meetings.c.id == meeting
            await connection.execute(update(meetings).where(when).values(scheduled_for=LONG_AGO))
            when = cases.c.id == case_id
            await connection.execute(update(cases).where(when).values(submitted_at=LONG_AGO))
    finally:
        await engine.dispose()


async def opened_journal(env: dict[str, str]) -> bytes:
    """Every journal entry's content that still opens with the service's own keys."""
    settings = load_settings(env, create_secrets=False)
    engine = database_engine(settings, pool_size=1, max_overflow=0)
    try:
        async with unit_of_work(settings, engine)() as uow:
            entries = await uow.journal.stored(0, 100_000)
            opened = [
                uow.journal.open_content(e.seq, e.content) for e in entries if e.content is not None
            ]
    finally:
        await engine.dispose()
    texts = [o.plaintext if isinstance(o, Opened) else o for o in opened if o is not None]
    return b"\n".join(texts)


def personal(people: list[Person]) -> PersonalData:
    return PersonalData(
        cprs={p.cpr for p in people},
        names={p.name for p in people} | {p.family_name for p in people},
        texts={p.concern for p in people},
    )


@pytest.fixture(scope="module")
def left(
    backend: str, smtp: SmtpServer, keys: KeyMaker, tmp_path_factory: pytest.TempPathFactory
) -> Left:
    data_dir = tmp_path_factory.mktemp(f"erasure-{backend}") / "var"
    data_dir.mkdir()
    cast = Cast()
    erna, rasmus, karen = cast.person(), cast.person(), cast.person()
    outcome = Left(backend, personal([erna, rasmus]), karen)
    policy = data_dir.parent / "retention.json"
    policy.write_text(json.dumps(POLICY))
    with database(backend, data_dir) as (settings, dump):
        env = server_env(data_dir) | settings | smtp_env(smtp) | {"KSP_LOG_LEVEL": "DEBUG"}
        with running_server(data_dir, env) as server:
            with httpx.Client(base_url=server.base_url + "/api/v1", timeout=60) as api:
                scenario = ErasureScenario(server, api, keys, cast, data_dir.parent / "smime")
                run_scenario(scenario, outcome, erna, rasmus, karen, policy)
            export = outcome.answers["export"]
            outcome.stored = files_under(data_dir, label="running: ")
        outcome.stored |= files_under(data_dir, label="stopped: ")
        outcome.stored |= {name: text.encode() for name, text in dump().items()}
        outcome.log = server.log.read_bytes()
        outcome.export = export.content
        bundle = data_dir.parent / "ksp-journal.jsonl"
        bundle.write_bytes(export.content)
        vkey = journal_signer(load_settings(env, create_secrets=False)).vkey
        verified = ksp(env, "journal", "verify", str(bundle), "--journal-key", vkey)
        outcome.verify_output = f"{verified.returncode} {verified.stdout}{verified.stderr}"
        outcome.opened = asyncio.run(opened_journal(env))
    return outcome


def run_scenario(
    s: ErasureScenario, outcome: Left, erna: Person, rasmus: Person, karen: Person, policy: Path
) -> None:
    recipient = s.recipient()
    ids = {p.cpr: s.submit(p) for p in (erna, rasmus, karen)}
    shared, past = s.meeting_with(recipient), s.meeting_with(recipient)
    document = s.list_version(shared, add=[ids[erna.cpr], ids[karen.cpr]])
    s.list_version(shared, remove=[ids[erna.cpr]], base_version=1)
    old = s.list_version(past, add=[ids[rasmus.cpr]])
    s.read(document, 1, {erna.name, karen.name})
    s.read(document, 2, {karen.name})
    s.read(old, 1, {rasmus.name})
    for person in (erna, rasmus, karen):
        s.call("kif", "GET", f"/cases/{ids[person.cpr]}", 200)

    reason = {"cpr": erna.cpr, "reason": "Afgørelse om sletning"}
    asked = s.call("kif", "POST", "/audit/erasure", 202, json=reason).json()["id"]
    done = s.call("auditor", "POST", f"/audit/erasure/{asked}/countersign", 200).json()
    assert done["status"] == "erased"

    asyncio.run(date_back(s.server.env, past, ids[rasmus.cpr]))
    ran = ksp(s.server.env | {"KSP_RETENTION_FILE": str(policy)}, "retention", "run")
    assert ran.returncode == 0, ran.stderr
    outcome.retention_output = ran.stdout + ran.stderr

    answers = outcome.answers
    for name, person in (("erna", erna), ("rasmus", rasmus), ("karen", karen)):
        answers[f"{name}'s case"] = s.answer("kif", f"/cases/{ids[person.cpr]}")
    versions = f"/documents/{document}/versions"
    answers["version 1, erna and karen"] = s.answer("auditor", f"{versions}/1")
    answers["version 2, karen"] = s.answer("auditor", f"{versions}/2")
    answers["rasmus's version"] = s.answer("auditor", f"/documents/{old}/versions/1")
    held = {"cpr": erna.cpr}
    answers["subject access, erna"] = s.call(
        "auditor", "POST", "/audit/subject-access", 200, json=held
    )
    answers["verify"] = s.call("auditor", "GET", "/audit/verify", 200)
    answers["export"] = s.call("auditor", "GET", "/audit/export", 200)


def leaks(sources: dict[str, bytes], data: PersonalData) -> str:
    return "\n".join(str(f) for f in find_leaks(sources, data))


def test_the_kept_person_still_reads_and_the_erased_versions_are_410(left: Left) -> None:
    a = left.answers
    assert a["karen's case"].status_code == 200, a["karen's case"].text
    assert a["karen's case"].json()["subject"]["name"] == left.kept.name
    assert a["version 2, karen"].status_code == 200
    assert [e["name"] for e in a["version 2, karen"].json()["entries"]] == [left.kept.name]
    for erased in ("version 1, erna and karen", "rasmus's version"):
        assert a[erased].status_code == 410, (erased, a[erased].text)
        assert a[erased].json()["type"] == PROBLEMS + "erased"
    assert a["erna's case"].status_code == 404
    assert a["rasmus's case"].status_code == 404
    assert a["subject access, erna"].json()["cases"] == []
    assert "list_version: 1 erased" in left.retention_output
    assert "case: 1 erased" in left.retention_output


def test_the_journal_still_verifies_online_and_offline(left: Left) -> None:
    verified = left.answers["verify"].json()
    assert verified["ok"], verified
    assert left.verify_output.startswith("0 intact: "), left.verify_output


def test_nothing_stored_logged_or_exported_holds_the_erased_peoples_data(left: Left) -> None:
    """The SQLite file with its -wal and -shm (or a pg_dump), the server's log, the retention
    run's output and the export: shown to hold what they should, then scanned."""
    if left.backend == "sqlite":
        names = {Path(name).name for name in left.stored}
        assert {"ksp.sqlite3", "ksp.sqlite3-wal", "ksp.sqlite3-shm"} <= names, names
        assert any(b"CREATE TABLE journal_entries" in blob for blob in left.stored.values())
    else:
        assert any("COPY " in name or "pg_dump" in name for name in left.stored)
    assert b'"event": "request"' in left.log or b'"event":"request"' in left.log
    assert left.export.count(b'"type":"entry"') >= 5
    sources = left.stored | {
        "server log": left.log,
        "ksp retention run": left.retention_output.encode(),
        "journal export": left.export,
    }
    leaked = leaks(sources, left.erased)
    assert not leaked, f"erased personal data found:\n{leaked}"


def test_no_journal_entry_opens_to_the_erased_people_with_the_services_keys(left: Left) -> None:
    kept = personal([left.kept])
    assert {f.value for f in find_leaks({"opened": left.opened}, kept)} >= {
        left.kept.name,
        left.kept.cpr,
    }
    leaked = leaks({"journal, opened with the service's keys": left.opened}, left.erased)
    assert not leaked, f"erased personal data still opens:\n{leaked}"
