"""Nothing leaks: a whole scenario against a real `ksp serve` process (on SQLite and on
PostgreSQL), then a raw scan of everything the service wrote for the scenario's CPR
numbers, names and concern texts.

The scenario (CONTRACT.md, guide 3.3.7): a jail submits cases (one refused remand case;
malformed bodies with a CPR number, a name or a concern in wrong fields or as an unknown
field's name; a CPR number born in the future; one case replayed with an ``Idempotency-Key``
built from its CPR number; a CPR number in a path and in a query); KiF reads and triages
them; a meeting gets three participants, one with a real OpenPGP key, one with an S/MIME
certificate from the test CA and one notice recipient without a key; a participant proposes
a citizen; list versions 1 and 2 are circulated and delivered by the in-process worker
through a real SMTP server; an inquiry is decided and an exchange of information recorded;
the participant, the jail and an auditor read, so the access log is written; the auditor
reads, verifies and exports the journal. The server logs at DEBUG, so the most verbose logs
are the ones scanned.

Scanned afterwards: every file under the server's data directory (the SQLite file with its
-wal and -shm, the GnuPG home, the S/MIME key, the log, a maildir if one were made) while
the server runs and after it stopped; a PostgreSQL dump of the run's schema (COPY and
INSERT forms); every captured mail (raw, decoded headers, decoded parts; PGP/MIME, S/MIME
and the signed notice); the exported journal bundle; every error answer. Each source is
shown to hold what it should (tables, request lines, the encrypted list, the notice's link)
before its scan counts, so no scan passes by looking at nothing.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import random
import secrets
import subprocess
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from conftest import POSTGRES_URL
from ksp.db.engine import create_engine
from ksp.db.tables import access_log_subjects, cases, inquiries
from ksp.db.url import async_database_url
from support.data import fresh_units
from support.deployment import postgres_schema, smtp_env
from support.keys import KeyMaker
from support.leaks import (
    PersonalData,
    byte_needles,
    cpr_forms,
    files_under,
    find_leaks,
    find_needles,
    mail_views,
    needles,
    sql_lines,
)
from support.server import Server, running_server, server_env
from support.smime_ca import session_ca
from support.smime_open import open_smime, verify
from support.smtp import Captured, SmtpServer

T = TypeVar("T")
PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
TODAY = dt.datetime.now(dt.UTC).date()
GIVEN = ["Ærendse", "Øllegaard", "Åsmund", "Bjørnhild", "Sæbjørn", "Gøtrud", "Ejnær"]
SYLLABLES = ["kjær", "bøl", "gård", "ås", "møl", "stræ", "dæk", "ørn", "vå", "flø", "skæ"]


def days_ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def eventually(probe: Callable[[], T | None], what: str, seconds: float = 60) -> T:
    """Poll ``probe`` until it returns something, or fail at the deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass(frozen=True)
class Person:
    name: str
    cpr: str  # DDMMYY-SSSS
    concern: str

    @property
    def family_name(self) -> str:
        return self.name.split(" ", 1)[1]


class Cast:
    """The scenario's own people. Unusual Danish names with æ, ø and å and a random family
    name; CPR numbers whose 7th digit is 9 (born 1937-1999), which no other test data uses
    (``random_cpr`` draws 0-3), so a finding can only come from this scenario."""

    def __init__(self) -> None:
        self._rng = random.Random(secrets.randbits(64))
        self.people: list[Person] = []
        self.texts: set[str] = set()

    def word(self) -> str:
        return "".join(self._rng.choice(SYLLABLES) for _ in range(3))

    def person(self) -> Person:
        rng = self._rng
        while True:
            cpr = (
                f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(37, 99):02d}"
                f"-9{rng.randint(0, 999):03d}"
            )
            name = f"{rng.choice(GIVEN)} {self.word().capitalize()}-{self.word().capitalize()}"
            if all(cpr != p.cpr and name != p.name for p in self.people):
                break
        concern = f"Udtrykt sympati for {self.word()} og voldelig ekstremisme"
        self.people.append(Person(name, cpr, concern))
        return self.people[-1]

    def unborn(self) -> Person:
        """A person whose CPR number says they are born next New Year's Day."""
        person = self.person()
        cpr = f"0101{(TODAY.year + 1) % 100:02d}-9{self._rng.randint(0, 999):03d}"
        self.people[-1] = Person(person.name, cpr, person.concern)
        return self.people[-1]

    def text(self, prefix: str) -> str:
        """A free text that may carry personal data (a reason, a summary), made unique."""
        made = f"{prefix} {self.word()}"
        self.texts.add(made)
        return made

    def personal_data(self) -> PersonalData:
        names = {p.name for p in self.people} | {p.family_name for p in self.people}
        return PersonalData(
            cprs={p.cpr for p in self.people},
            names=names,
            texts={p.concern for p in self.people} | self.texts,
        )


@dataclass(frozen=True)
class Units:
    arrest: str
    kif: str
    municipality: str
    police: str
    auditor: str

    @classmethod
    def fresh(cls) -> Units:
        tag = uuid.uuid4().hex[:10]
        return cls(
            f"arrest-leak-{tag}",
            fresh_units().kif,  # a KiF unit of the reference table (support.data)
            f"kommune-leak-{tag}",
            f"politi-leak-{tag}",
            f"revision-leak-{tag}",
        )


@dataclass
class Outcome:
    """What the scenario left behind, for the scans."""

    answers: dict[str, bytes] = field(default_factory=dict)  # every 4xx answer
    requests: int = 0
    cases: int = 0  # stored cases
    recipients: list[str] = field(default_factory=list)
    listed: dict[int, list[Person]] = field(default_factory=dict)  # version -> its people
    access_log: list[dict[str, Any]] = field(default_factory=list)
    export: Path | None = None
    smime_chain: str = ""  # the service's S/MIME chain, to verify its signatures against
    smime_dir: Path | None = None


class Scenario:
    """The whole scenario over HTTP, step by step, with tokens from `ksp token`."""

    def __init__(
        self,
        server: Server,
        api: httpx.Client,
        keys: KeyMaker,
        cast: Cast,
        smime_dir: Path,
    ) -> None:
        self.server, self.api, self.keys, self.cast = server, api, keys, cast
        self.units = Units.fresh()
        self.outcome = Outcome(smime_dir=smime_dir)  # each S/MIME recipient's files
        self.participant_email = f"{self.units.municipality}@kommune.dk"
        self._tokens: dict[str, dict[str, str]] = {}

    def headers(self, role: str) -> dict[str, str]:
        if role not in self._tokens:
            unit = {
                "arrest": self.units.arrest,
                "kif": self.units.kif,
                "participant": self.units.municipality,
                "auditor": self.units.auditor,
            }[role]
            email = self.participant_email if role == "participant" else None
            self._tokens[role] = self.sign(role, unit, sub=f"leak-{role}", email=email)
        return self._tokens[role]

    def sign(self, role: str, unit: str, *, sub: str, email: str | None) -> dict[str, str]:
        """The headers with a token from `ksp token`."""
        token = self.server.token(role, unit, sub=sub, email=email)
        return {"Authorization": f"Bearer {token}"}

    def call(self, role: str, method: str, url: str, expect: int, **kwargs: Any) -> httpx.Response:
        headers = self.headers(role) | kwargs.pop("headers", {})
        response = self.api.request(method, url, headers=headers, **kwargs)
        self.outcome.requests += 1
        assert response.status_code == expect, (method, url, response.status_code, response.text)
        if response.status_code >= 400:
            answer = f"answer {len(self.outcome.answers)}: {method} {url} → {response.status_code}"
            self.outcome.answers[answer] = response.content
        return response

    def case_body(self, person: Person, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "subject": {"name": person.name, "cpr": person.cpr},
            "custody": "remand",
            "radicalisation_concern": True,
            "security_notified_on": days_ago(7),
            "concern": person.concern,
            "municipality_code": 101,
            "police_district": "koebenhavn",
            "kif_unit": self.units.kif,
            "detained_since": days_ago(60),
            "released_on": None,
            "urgent": False,
        }
        return body | changes

    def run(self) -> Outcome:
        cases = self.intake()
        self.refusals()
        meeting = self.meeting()
        cases["proposed"] = self.proposal(meeting)
        self.triage(cases)
        self.outcome.cases = len(cases)
        self.lists_and_circulation(meeting, cases)
        self.decisions(cases)
        self.reads(cases)
        self.audit()
        identity = self.call("auditor", "GET", "/mail/identity", 200).json()
        self.outcome.smime_chain = identity["smime_certificates"]
        return self.outcome

    def intake(self) -> dict[str, str]:
        """A remand case (sent twice with a CPR-built Idempotency-Key), a convicted man since
        released, and an urgent youth case."""
        remand, convicted, youth = (self.cast.person() for _ in range(3))
        key = {"Idempotency-Key": f"intake-{remand.cpr}"}
        body = self.case_body(remand)
        first = self.call("arrest", "POST", "/cases", 201, json=body, headers=key)
        again = self.call("arrest", "POST", "/cases", 201, json=body, headers=key)
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        unconcerned = {"radicalisation_concern": False, "security_notified_on": None}
        later = self.case_body(
            convicted, custody="convicted", released_on=days_ago(20), **unconcerned
        )
        urgent = self.case_body(youth, custody="youth_section_78", urgent=True, **unconcerned)
        return {
            "remand": first.json()["id"],
            "convicted": self.call("arrest", "POST", "/cases", 201, json=later).json()["id"],
            "youth": self.call("arrest", "POST", "/cases", 201, json=urgent).json()["id"],
        }

    def refusals(self) -> None:
        """A refused remand case, bodies with a CPR number and a name in the wrong places,
        and a CPR number in a path and a query: each answered with an error, none stored."""
        refused, misplaced = self.cast.person(), self.cast.person()
        body = self.case_body(refused, radicalisation_concern=False, security_notified_on=None)
        answer = self.call("arrest", "POST", "/cases", 422, json=body)
        assert answer.json()["type"] == PROBLEMS + "remand-requires-radicalisation-concern"
        digits = cpr_forms(misplaced.cpr)[0]
        wrong = [
            {"municipality_code": misplaced.cpr, "police_district": misplaced.name},
            {"detained_since": misplaced.cpr, "kif_unit": misplaced.concern},
            {digits: misplaced.name},  # an unknown field named by the CPR number
        ]
        for changes in wrong:
            bad = self.case_body(misplaced, **changes)
            answer = self.call("arrest", "POST", "/cases", 400, json=bad)
            assert answer.json()["type"] == PROBLEMS + "validation", answer.text
        unborn = self.cast.unborn()
        self.call("arrest", "POST", "/cases", 422, json=self.case_body(unborn))
        self.call("kif", "GET", f"/cases/{digits}", 404)
        # A CPR put in a URL by mistake is refused by name (unknown parameter), never echoed.
        self.call("kif", "GET", "/cases", 400, params={"cpr": misplaced.cpr})

    def meeting(self) -> str:
        """A meeting with a municipal and a police participant, each with their own key."""
        meeting = self.call(
            "kif",
            "POST",
            "/meetings",
            201,
            json={
                "municipality_code": 101,
                "police_district": "koebenhavn",
                "scheduled_for": f"{TODAY + dt.timedelta(days=14)}T10:00:00+01:00",
                "title": "KSP-møde København",
            },
        ).json()["id"]
        police = f"{self.units.police}@politi.dk"
        notice = f"{self.units.municipality}-meddelelser@kommune.dk"
        for email, agency, unit in (
            (self.participant_email, "municipality", self.units.municipality),
            (police, "police", self.units.police),
            (notice, "municipality", self.units.municipality),
        ):
            smime_dir = self.outcome.smime_dir
            assert smime_dir is not None
            if email == notice:  # no key: a signed notice without personal data
                key: dict[str, str] = {"delivery": "notice"}
            elif agency == "police":  # the police by S/MIME, the municipality by OpenPGP
                issued = session_ca().issue(email)
                issued.write(smime_dir, email)
                key = {"certificate": issued.pem}
            else:
                fingerprint = self.keys.make(f"Deltager <{email}>")
                key = {"openpgp_key": self.keys.public(fingerprint), "fingerprint": fingerprint}
            recipient = self.call(
                "kif",
                "POST",
                "/recipients",
                201,
                json={"name": "Deltager", "email": email, "agency": agency, "unit": unit, **key},
            ).json()["id"]
            self.call(
                "kif",
                "POST",
                f"/meetings/{meeting}/participants",
                201,
                json={"recipient_id": recipient},
            )
            self.outcome.recipients.append(email)
        return str(meeting)

    def proposal(self, meeting: str) -> str:
        """Guide 3.3.7: a participant adds a citizen they want discussed."""
        proposed = self.cast.person()
        body = self.case_body(
            proposed,
            custody="convicted",
            radicalisation_concern=False,
            security_notified_on=None,
            released_on=days_ago(3),
            meeting_id=meeting,
        )
        return str(self.call("participant", "POST", "/cases", 201, json=body).json()["id"])

    def triage(self, cases: dict[str, str]) -> None:
        """KiF reads every case in full, then triages: three to the meeting, one direct."""
        listed = self.call("kif", "GET", "/cases", 200, params={"limit": 200}).json()["items"]
        assert {c["id"] for c in listed} == set(cases.values())
        for case_id in cases.values():
            read = self.call("kif", "GET", f"/cases/{case_id}", 200).json()
            person = next(p for p in self.cast.people if p.cpr == read["subject"]["cpr"])
            assert read["subject"]["name"] == person.name  # stored, and shown to KiF
            assert read["concern"] == person.concern
            decision = "direct" if case_id == cases["youth"] else "meeting"
            reason = self.cast.text("Vurderet af KiF:")
            self.call(
                "kif",
                "POST",
                f"/cases/{case_id}/triage",
                200,
                json={"decision": decision, "reason": reason},
            )

    def lists_and_circulation(self, meeting: str, cases: dict[str, str]) -> None:
        """Version 1 (two cases), circulated and delivered; version 2 (one change: the
        proposal in, the convicted man out), circulated and delivered."""
        people = {key: self.person_of(case_id) for key, case_id in cases.items()}
        first = self.call(
            "kif",
            "POST",
            f"/meetings/{meeting}/list",
            201,
            json={"add": [cases["remand"], cases["convicted"]], "reason": "Første udkast"},
        ).json()
        self.outcome.listed[1] = [people["remand"], people["convicted"]]
        self.circulate(first["document_id"], 1)
        second = self.call(
            "kif",
            "POST",
            f"/meetings/{meeting}/list",
            201,
            json={
                "add": [cases["proposed"]],
                "remove": [cases["convicted"]],
                "reason": "Forslag fra kommunen",
                "base_version": 1,
            },
        ).json()
        assert second["version"] == 2
        self.outcome.listed[2] = [people["remand"], people["proposed"]]
        self.circulate(second["document_id"], 2)
        self.document = str(first["document_id"])

    def person_of(self, case_id: str) -> Person:
        cpr = self.call("kif", "GET", f"/cases/{case_id}", 200).json()["subject"]["cpr"]
        return next(p for p in self.cast.people if p.cpr == cpr)

    def circulate(self, document: str, version: int) -> None:
        """Circulate a version and wait until the in-process worker sent every message."""
        url = f"/documents/{document}/versions/{version}/circulate"
        circulation = self.call("kif", "POST", url, 202).json()["circulation_id"]

        def delivered() -> bool | None:
            status = self.call("kif", "GET", f"/circulations/{circulation}", 200).json()
            return all(r["status"] == "sent" for r in status["recipients"]) or None

        eventually(delivered, f"version {version} to be delivered")

    def decisions(self, cases: dict[str, str]) -> None:
        """An inquiry about a released person, decided against the suggestion with a
        justification; an exchange, not told to the detainee (with the manager), not noted."""
        asked = self.cast.person()
        inquiry = self.call(
            "kif",
            "POST",
            "/inquiries",
            201,
            json={
                "cpr": asked.cpr,
                "from_agency": "municipality",
                "received_on": days_ago(1),
                "detained_since": days_ago(200),
                "released_on": days_ago(150),
            },
        ).json()
        assert inquiry["suggestion"] == "outside"
        self.call(
            "kif",
            "POST",
            f"/inquiries/{inquiry['id']}/decision",
            201,
            json={"eligible": True, "justification": self.cast.text("Særlige forhold:")},
        )
        convicted = self.person_of(cases["convicted"])
        self.call(
            "kif",
            "POST",
            "/inquiries",
            201,
            json={"cpr": convicted.cpr, "from_agency": "police", "received_on": days_ago(2)},
        )
        exchange = self.call(
            "arrest",
            "POST",
            f"/cases/{cases['remand']}/exchanges",
            201,
            json={
                "occurred_on": days_ago(2),
                "agencies": ["municipality", "police"],
                "summary": self.cast.text("Drøftet med kommunen:"),
            },
        ).json()["id"]
        notification = {
            "told": False,
            "reason": self.cast.text("Beskyttelseshensyn:"),
            "manager": self.cast.text("Leder"),
            "discussed_on": days_ago(1),
        }
        self.call("arrest", "POST", f"/exchanges/{exchange}/notification", 201, json=notification)
        note = {"where": "none", "reason": self.cast.text("Ikke relevant for handleplanen:")}
        self.call("arrest", "POST", f"/exchanges/{exchange}/note", 201, json=note)
        self.call("kif", "GET", "/exchanges", 200, params={"open": "true"})
        self.call("kif", "GET", "/inquiries", 200)

    def reads(self, cases: dict[str, str]) -> None:
        """The participant, the jail and the auditor read, so the access log gets rows."""
        mine = self.call("participant", "GET", f"/cases/{cases['proposed']}", 200).json()
        assert mine["subject"]["cpr"].endswith("-XXXX")
        assert mine["subject"]["name"] is None
        self.call("participant", "GET", "/cases", 200)
        self.call("participant", "GET", "/meetings", 200)
        self.call("arrest", "GET", f"/cases/{cases['remand']}", 200)
        versions = f"/documents/{self.document}/versions"
        entries = self.call("auditor", "GET", f"{versions}/1", 200).json()["entries"]
        assert {e["name"] for e in entries} == {p.name for p in self.outcome.listed[1]}
        html = self.call("auditor", "GET", f"{versions}/2", 200, headers={"Accept": "text/html"})
        assert self.outcome.listed[2][1].name in html.text
        diff = f"/documents/{self.document}/diff"
        self.call("auditor", "GET", diff, 200, params={"from": 1, "to": 2})
        self.call("kif", "GET", f"{versions}/2", 200)

    def audit(self) -> None:
        """The auditor searches the access log by CPR (in the body), pages the journal,
        verifies it and exports it."""
        remand = self.cast.people[0]
        search = {"cpr": cpr_forms(remand.cpr)[0]}
        found = self.call("auditor", "POST", "/audit/access-log/search", 200, json=search)
        assert found.json()["items"]
        offset: int | None = 0
        while offset is not None:
            params = {"limit": 500, "offset": offset}
            page = self.call("auditor", "GET", "/audit/access-log", 200, params=params).json()
            self.outcome.access_log += page["items"]
            offset = page["next_offset"]
        after: int | None = 0
        while after is not None:
            params = {"after_seq": after, "limit": 2}
            page = self.call("auditor", "GET", "/audit/journal", 200, params=params).json()
            after = page["next_after_seq"]
        verified = self.call("auditor", "GET", "/audit/verify", 200).json()
        assert verified["ok"], verified
        export = self.server.data_dir.parent / "export" / "ksp-journal.jsonl"
        export.parent.mkdir()
        export.write_bytes(self.call("auditor", "GET", "/audit/export", 200).content)
        self.outcome.export = export


@dataclass
class Run:
    backend: str
    personal: PersonalData
    outcome: Outcome
    stored: dict[str, bytes]  # files under the data dir (running and stopped), dumps
    dumps: dict[str, str]  # the PostgreSQL dumps (none for SQLite)
    database_files: list[str]
    log: bytes
    mails: list[Captured]
    export: bytes
    cpr_hashes: set[bytes]  # every keyed CPR hash the database holds after the scenario


@contextmanager
def database(
    backend: str, data_dir: Path
) -> Iterator[tuple[dict[str, str], Callable[[], dict[str, str]]]]:
    """The server's database settings and a function that dumps it afterwards: a SQLite file
    in the data dir, or a fresh PostgreSQL schema dropped at the end."""
    if backend == "sqlite":
        yield {"KSP_DATABASE_URL": f"sqlite:///{data_dir / 'ksp.sqlite3'}"}, dict  # no dumps
        return
    assert POSTGRES_URL is not None
    with postgres_schema(POSTGRES_URL, prefix="ksp_leak") as schema:

        def dumps() -> dict[str, str]:
            dump = ["/usr/bin/pg_dump", f"--dbname={POSTGRES_URL}", f"--schema={schema}"]
            return {
                f"pg_dump --schema={schema} ({kind})": subprocess.run(
                    dump + options, check=True, capture_output=True, text=True, encoding="utf-8"
                ).stdout
                for kind, options in (
                    ("full, COPY", []),
                    ("data only, INSERT", ["--data-only", "--inserts"]),
                )
            }

        yield {"KSP_DATABASE_URL": POSTGRES_URL, "KSP_DATABASE_SCHEMA": schema}, dumps


@pytest.fixture(scope="module")
def run(
    backend: str, smtp: SmtpServer, keys: KeyMaker, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    """The whole scenario on ``backend``, and everything it left behind."""
    data_dir = tmp_path_factory.mktemp(f"leaks-{backend}") / "var"
    data_dir.mkdir()
    smime_dir = data_dir.parent / "smime-recipients"
    anchors = data_dir.parent / "smime-anchors.pem"
    anchors.write_text(session_ca().anchors_pem)
    cast = Cast()
    with database(backend, data_dir) as (settings, dump):
        env = server_env(data_dir) | settings | smtp_env(smtp) | {"KSP_LOG_LEVEL": "DEBUG"}
        env |= {"KSP_SMIME_TRUST_ANCHORS": str(anchors)}
        with running_server(data_dir, env) as server:
            with httpx.Client(base_url=server.base_url + "/api/v1", timeout=60) as api:
                outcome = Scenario(server, api, keys, cast, smime_dir).run()
            stored = files_under(data_dir, label="running: ")
        stored |= files_under(data_dir, label="stopped: ")
        dumps = dump()
        hashes = stored_cpr_hashes(settings)
    ours = set(outcome.recipients)
    assert outcome.export is not None
    return Run(
        backend=backend,
        personal=cast.personal_data(),
        outcome=outcome,
        stored=stored | {name: text.encode() for name, text in dumps.items()},
        dumps=dumps,
        database_files=[p.name for p in data_dir.glob("ksp.sqlite3*")],
        log=server.log.read_bytes(),
        mails=[m for m in smtp.messages if set(m.recipients) & ours],
        export=outcome.export.read_bytes(),
        cpr_hashes=hashes,
    )


def stored_cpr_hashes(settings: dict[str, str]) -> set[bytes]:
    """The ``cpr_hash`` values of cases, inquiries and access-log subjects, read from the
    run's database itself."""

    async def read() -> set[bytes]:
        engine = create_engine(
            async_database_url(settings["KSP_DATABASE_URL"]),
            pool_size=1,
            max_overflow=0,
            schema=settings.get("KSP_DATABASE_SCHEMA"),
        )
        try:
            async with engine.connect() as connection:
                found: set[bytes] = set()
                for table in (cases, inquiries, access_log_subjects):
                    rows = await connection.execute(select(table.c.cpr_hash))
                    found |= {bytes(value) for (value,) in rows}
                return found
        finally:
            await engine.dispose()

    return asyncio.run(read())


def leaks_in(sources: dict[str, bytes], run: Run) -> str:
    """'' when nothing leaks, else one finding per line."""
    return "\n".join(str(f) for f in find_leaks(sources, run.personal))


def test_the_database_holds_no_personal_data_in_plaintext(run: Run) -> None:
    """The SQLite file with its -wal and -shm, or a PostgreSQL dump of the run's schema in
    COPY and INSERT form, and every other file the server wrote: no CPR number (either
    form), name or concern text, in any encoding, while the server runs or after."""
    if run.backend == "sqlite":
        database = {k: v for k, v in run.stored.items() if "ksp.sqlite3" in k}
        assert "ksp.sqlite3" in run.database_files
        assert any(k.startswith("running: ") and k.endswith("-wal") for k in database)
        assert any(b"CREATE TABLE cases" in blob for blob in database.values())
        assert any(b"CREATE TABLE journal_entries" in blob for blob in database.values())
    else:
        full, inserts = run.dumps.values()
        for table in ("cases", "journal_entries", "outbox", "access_log", "exchange_records"):
            assert f"COPY {_schema(full)}.{table} " in full, table
        assert inserts.count(f"INSERT INTO {_schema(full)}.cases ") == run.outcome.cases
    leaked = leaks_in(run.stored, run)
    assert not leaked, f"personal data found in plaintext:\n{leaked}"


def _schema(dump: str) -> str:
    return dump.split("CREATE SCHEMA ", 1)[1].split(";", 1)[0]


def test_the_debug_log_holds_no_personal_data(run: Run) -> None:
    """Every log line is JSON; every request was logged; and at DEBUG not one line holds a
    CPR number, a name or a concern text, escaped or not."""
    lines = [json.loads(line) for line in run.log.decode().splitlines()]
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) >= run.outcome.requests
    deliveries = [line for line in lines if line.get("event") == "delivery"]
    assert len(deliveries) >= len(run.mails)
    leaked = leaks_in({"server log": run.log}, run)
    assert not leaked, f"personal data found in the log:\n{leaked}"


def test_the_debug_log_holds_no_sql_statement_or_parameter(run: Run) -> None:
    """Issue 7 finding 2 (CONTRACT.md: logs never carry SQL statements or their parameters
    below DEBUG): even with KSP_LOG_LEVEL=DEBUG not one line comes from the database
    libraries or reads as SQL."""
    assert run.log.count(b"\n") >= run.outcome.requests  # the log is there to scan
    found = sql_lines(run.log)
    assert not found, "SQL in the log:\n" + "\n".join(found[:5])


def test_the_debug_log_holds_no_keyed_cpr_hash(run: Run) -> None:
    """Issue 7 finding 2: the keyed CPR hashes the database holds (read from it) are not in
    the log in any form: raw, hex, Python's repr, base64."""
    assert len(run.cpr_hashes) >= run.outcome.cases  # one per case at least
    values = {value.hex(): byte_needles(value) for value in run.cpr_hashes}
    found = find_needles({"server log": run.log}, values)
    assert not found, "CPR hashes in the log:\n" + "\n".join(str(f) for f in found[:5])


def test_the_debug_log_holds_no_recipient_address(run: Run) -> None:
    """Issue 7 finding 2: no recipient's e-mail address (as given, case-folded, upper-cased;
    in any encoding) is in the log, though every one of them got mail."""
    assert run.outcome.recipients
    assert {r for m in run.mails for r in m.recipients} >= set(run.outcome.recipients)
    values = {
        address: {
            n: f"{form}: {label}"
            for form in {address, address.upper()}
            for n, label in needles(form).items()
        }
        for address in run.outcome.recipients
    }
    found = find_needles({"server log": run.log}, values)
    assert not found, "addresses in the log:\n" + "\n".join(str(f) for f in found[:5])


def test_the_sql_scan_reports_a_statement_a_parameter_line_and_a_hash() -> None:
    """The scans can fail: SQLAlchemy's statement and parameter lines (as JSON through our
    formatter, and as echo's plain text) are found, and so is a hash in its repr form."""
    statement = {"event": "SELECT cases.id FROM cases WHERE cases.cpr_hash = ?", "logger": "x"}
    parameters = {
        "event": "[generated in 0.0001s] (b'\\x01',)",
        "logger": "sqlalchemy.engine.Engine",
    }
    ours = {"event": "request", "logger": "ksp.api", "path": "/api/v1/cases"}
    echoed = "2026-12-01 INFO sqlalchemy.engine.Engine COMMIT"
    log = "\n".join([*(json.dumps(r) for r in (statement, parameters, ours)), echoed]).encode()
    assert len(sql_lines(log)) == 3
    digest = bytes(range(200, 232))
    logged = json.dumps({"event": repr((digest,))}).encode()
    assert find_needles({"log": logged}, {"h": byte_needles(digest)})


def test_every_mail_is_encrypted_and_holds_no_personal_data(run: Run, keys: KeyMaker) -> None:
    """Each participant got each version in their envelope only, PGP/MIME (RFC 3156) or
    S/MIME (RFC 8551); nothing in the raw message, its decoded headers or its decoded parts
    names anyone; opened with the recipient's key (gpg, or `openssl cms` with the signature
    verified against the service's chain), it does hold the listed people, so the scan
    looked at the right thing."""
    assert len(run.mails) == 2 * len(run.outcome.recipients)
    sources: dict[str, bytes] = {}
    decrypted: dict[str, bytes] = {}
    envelopes = set()
    for number, mail in enumerate(run.mails):
        name = f"mail {number} to {mail.recipients[0]}"
        sources |= mail_views(name, mail.data)
        envelope = message_from_bytes(mail.data).get_content_type()
        envelopes.add(envelope)
        if envelope == "multipart/signed":  # the notice: signed, its text scanned as sent
            text = verify(mail.data, run.outcome.smime_chain)
            assert b"/udsendt/" in text, text  # the link to the circulated version
            sources |= mail_views(f"verified {name}", text)
            continue
        decrypted |= mail_views(f"decrypted {name}", opened(mail, run, keys))
    assert envelopes == {"multipart/encrypted", "application/pkcs7-mime", "multipart/signed"}
    leaked = leaks_in(sources, run)
    assert not leaked, f"personal data found in a mail:\n{leaked}"
    seen = {f.value for f in find_leaks(decrypted, run.personal)}
    listed = {p for people in run.outcome.listed.values() for p in people}
    assert {p.name for p in listed} | {p.cpr for p in listed} <= seen  # the list carries them


def opened(mail: Captured, run: Run, keys: KeyMaker) -> bytes:
    """The inner message, as its recipient opens it."""
    message = message_from_bytes(mail.data)
    if message.get_content_type() == "application/pkcs7-mime":
        assert message.get_param("smime-type") == "enveloped-data"
        assert run.outcome.smime_dir is not None
        files = run.outcome.smime_dir / f"{mail.recipients[0]}.crt"
        return open_smime(mail.data, files, files.with_suffix(".key"), run.outcome.smime_chain)
    assert message.get_content_type() == "multipart/encrypted"
    assert message.get_param("protocol") == "application/pgp-encrypted"
    control, body = message.get_payload()
    assert control.get_content_type() == "application/pgp-encrypted"
    armour = body.get_payload(decode=True)
    assert armour.startswith(b"-----BEGIN PGP MESSAGE-----")
    plain = keys.decrypt(armour)
    assert plain.ok, plain.status
    return bytes(plain.data)


def test_error_answers_and_the_export_hold_no_personal_data(run: Run) -> None:
    """The refused and malformed submissions' problem answers (CONTRACT.md: an error never
    contains a name, CPR number or concern) and the auditor's journal export."""
    assert len(run.outcome.answers) >= 6
    assert run.export.count(b"\n") > len(run.outcome.listed)
    sources = run.outcome.answers | {"journal export": run.export}
    leaked = leaks_in(sources, run)
    assert not leaked, f"personal data found:\n{leaked}"


def test_the_access_log_has_the_participant_and_auditor_reads(run: Run) -> None:
    """The reads the scenario made are logged (so the scanned database holds those rows)."""
    readers = {(row["role"], row["resource"]) for row in run.outcome.access_log}
    assert {role for role, _ in readers} >= {"kif", "participant", "arrest", "auditor"}


def test_the_scan_reports_a_planted_name_in_any_form(tmp_path: Path) -> None:
    """The scan can fail: a name planted in a file as UTF-8, UTF-16-LE, JSON-escaped or NFD,
    a name in a base64 mail part and a CPR number in an RFC 2047 subject are each reported;
    a clean file is not."""
    name, cpr = "Åsmund Kjærgård-Bølstræ", "010137-9123"
    personal = PersonalData(cprs={cpr}, names={name}, texts=set())
    planted = {
        "utf-8": name.encode(),
        "utf-16-le": name.encode("utf-16-le"),
        "json-escaped": json.dumps({"name": name}).encode(),
        "NFD, utf-8": unicodedata.normalize("NFD", name).encode(),
    }
    for form, content in planted.items():
        (tmp_path / form).write_bytes(b"before " + content + b" after")
    (tmp_path / "clean").write_bytes(b"nothing to see here")
    findings = find_leaks(files_under(tmp_path), personal)
    assert {(Path(f.source).name, f.form) for f in findings} == {(f, f) for f in planted}

    subject = base64.b64encode(f"Sag {cpr}".encode()).decode()
    part = base64.b64encode(f"Navn: {name}".encode()).decode()
    raw = (
        f"Subject: =?utf-8?b?{subject}?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{part}\r\n"
    ).encode()
    assert name.encode() not in raw
    assert cpr.encode() not in raw
    found = {(f.value, f.source) for f in find_leaks(mail_views("m", raw), personal)}
    assert (name, "m (part 0, text/plain)") in found
    assert (cpr, "m (headers)") in found
