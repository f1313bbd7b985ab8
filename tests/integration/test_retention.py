"""Retention and erasure (issue 13, CONTRACT.md "The data-protection lifecycle") over HTTP
and the real stores, on SQLite and PostgreSQL, each in a database of its own (a retention
run erases whatever is due, so it must not meet other tests' data).

A policy run erases what is due (list versions from the meeting's date, exchanges and the
access log from creation), appends one ``erasure`` entry per batch with no personal data,
and is idempotent; an erased version reads 410 ``…/erased``; the journal still verifies.
A person's erasure is asked for by kif and carried out on an auditor's countersignature.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from conftest import POSTGRES_URL, make_settings, migrated_database, token_headers
from ksp.api.app import create_app
from ksp.bootstrap import journal_signer, unit_of_work
from ksp.db.tables import access_log, cases, data_keys, erased_entries, outbox
from ksp.domain.errors import Erased
from ksp.domain.retention import RecordKind, RetentionPolicy
from ksp.journal.checkpoint import CheckpointSigner
from ksp.journal.cli import verify_command
from ksp.journal.receipt import parse_receipt, verify_receipt
from ksp.journal.verify import Opened
from ksp.services.proofs import ProofService
from ksp.services.retention import RetentionService
from support.clock import DEFAULT_NOW, FixedClock
from support.data import Units, case_body, fresh_units
from support.flows import change_list, new_meeting
from support.keys import KeyMaker
from support.leaks import PersonalData, find_leaks
from support.participants import register

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
POLICY = RetentionPolicy(
    {
        RecordKind.LIST_VERSION: 365,
        RecordKind.MINUTES_VERSION: 365,
        RecordKind.EXCHANGE: 365,
        RecordKind.OUTCOME: 365,
        RecordKind.ACCESS_LOG: 365,
    }
)
LATER = DEFAULT_NOW + dt.timedelta(days=400)  # past the meeting (2026-12-10) + 365 days


@dataclass
class Deployment:
    client: httpx.AsyncClient
    auth: Callable[..., dict[str, str]]
    clock: FixedClock
    retention: RetentionService
    engine: Any
    proofs: ProofService
    signer: CheckpointSigner
    backend: str
    where: str  # the SQLite file, or the PostgreSQL schema


@pytest.fixture
async def deployment(
    backend: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> AsyncIterator[Deployment]:
    async with migrated_database(backend, tmp_path_factory, "ksp_retention") as (engine, where):
        settings = make_settings(tmp_path)
        uow = unit_of_work(settings, engine)
        clock = FixedClock()
        app = create_app(settings, engine=engine, clock=clock)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client:
            yield Deployment(
                client,
                token_headers(settings),
                clock,
                RetentionService(uow, clock, POLICY, batch=2),
                engine,
                ProofService(uow, journal_signer(settings)),
                journal_signer(settings),
                backend,
                where,
            )
        app.state.mail.close()


@dataclass
class Person:
    cpr: str
    name: str
    concern: str
    case_id: str
    meeting_id: str
    document_id: str
    exchange_id: str


async def person_on_a_list(d: Deployment, units: Units) -> Person:
    """A case of one person, triaged to a meeting, on version 1 of its list, with an
    exchange of information and an inquiry about the same person."""
    body = case_body(units.kif)
    created = await d.client.post(
        "/api/v1/cases", json=body, headers=d.auth("arrest", units.arrest)
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    kif = d.auth("kif", units.kif, sub="kif-caseworker")
    triaged = await d.client.post(
        f"/api/v1/cases/{case_id}/triage", json={"decision": "meeting"}, headers=kif
    )
    assert triaged.status_code == 200, triaged.text
    meeting_id = await new_meeting(d.client, d.auth, units)
    listed = await change_list(d.client, d.auth, units, meeting_id, add=[case_id])
    assert listed.status_code == 201, listed.text
    exchange = await d.client.post(
        f"/api/v1/cases/{case_id}/exchanges",
        headers=d.auth("arrest", units.arrest),
        json={"occurred_on": "2026-11-20", "agencies": ["police"], "summary": "Udveksling"},
    )
    assert exchange.status_code == 201, exchange.text
    inquiry = await d.client.post(
        "/api/v1/inquiries",
        headers=kif,
        json={"cpr": body["subject"]["cpr"], "from_agency": "police", "received_on": "2026-11-01"},
    )
    assert inquiry.status_code == 201, inquiry.text
    outcome = await d.client.post(
        f"/api/v1/meetings/{meeting_id}/outcomes",
        headers=kif,
        json={
            "case_id": case_id,
            "summary": f"Drøftet {body['subject']['name']}",
            "decision": "follow-up",
            "actions": [
                {"agency": "municipality", "description": "Kontakt", "due_on": "2026-12-20"}
                | {"unit": units.participant}
            ],
        },
    )
    assert outcome.status_code == 201, outcome.text
    return Person(
        cpr=body["subject"]["cpr"],
        name=body["subject"]["name"],
        concern=body["concern"],
        case_id=case_id,
        meeting_id=meeting_id,
        document_id=listed.json()["document_id"],
        exchange_id=exchange.json()["id"],
    )


async def erase_person(
    d: Deployment, person: Person, kif: dict[str, str], auditor: dict[str, str]
) -> dict[str, Any]:
    """KiF asks for the person's erasure, an auditor countersigns; the answer's body."""
    asked = await d.client.post(
        "/api/v1/audit/erasure", json={"cpr": person.cpr, "reason": "Afgørelse"}, headers=kif
    )
    assert asked.status_code == 202, asked.text
    sign = f"/api/v1/audit/erasure/{asked.json()['id']}/countersign"
    done = await d.client.post(sign, headers=auditor)
    assert done.status_code == 200, done.text
    carried: dict[str, Any] = done.json()
    return carried


async def verified(d: Deployment, auditor: dict[str, str]) -> dict[str, Any]:
    answer = await d.client.get("/api/v1/audit/verify", headers=auditor)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    assert result["ok"], result
    return result


async def erasure_entries(d: Deployment, auditor: dict[str, str]) -> list[dict[str, Any]]:
    page = await d.client.get("/api/v1/audit/journal", params={"limit": 1000}, headers=auditor)
    return [e for e in page.json()["items"] if e["kind"] == "erasure"]


async def erasure_record(d: Deployment, seq: int) -> dict[str, Any]:
    async with unit_of_work_of(d)() as uow:
        record: dict[str, Any] = json.loads(await uow.journal.plaintext(seq))
    return record


async def destroyed(connection: Any, owner: str) -> bool:
    """Whether ``owner``'s data key is gone: no wrapped key left, so nothing opens."""
    query = select(data_keys.c.wrapped, data_keys.c.destroyed_at).where(data_keys.c.owner == owner)
    row = (await connection.execute(query)).one()
    return row.wrapped is None and row.destroyed_at is not None


def unit_of_work_of(d: Deployment) -> Any:
    return d.retention._uow


async def test_a_retention_run_erases_what_is_due_and_the_journal_still_verifies(
    deployment: Deployment,
) -> None:
    """Issue 13: list versions 12 months after the meeting, exchanges and the access log by
    creation; the erased version reads 410 …/erased, its entry stays in the chain (the
    journal verifies online), one erasure entry per batch names what was erased and under
    which rule, without personal data; a second run erases nothing."""
    d = deployment
    units = fresh_units()
    person = await person_on_a_list(d, units)
    auditor = d.auth("auditor", units.auditor)
    version = f"/api/v1/documents/{person.document_id}/versions/1"
    assert (await d.client.get(version, headers=auditor)).status_code == 200
    kif = d.auth("kif", units.kif)
    for _ in range(3):  # access-log lines, to be erased in more than one batch
        assert (await d.client.get(f"/api/v1/cases/{person.case_id}", headers=kif)).is_success

    nothing_yet = await d.retention.run()
    assert nothing_yet.erasure_entries == []  # nothing is due before its time

    d.clock.set(LATER)
    report = await d.retention.run()
    assert report.erased["list_version"] == 1
    assert report.erased["exchange"] == 2  # the one recorded, the one the outcome made
    assert report.erased["outcome"] == 1
    assert report.erased["access_log"] > 2  # batches of 2: several transactions
    assert len(report.erasure_entries) >= 3

    gone = await d.client.get(version, headers=auditor)
    assert gone.status_code == 410, gone.text
    assert gone.json()["type"] == PROBLEMS + "erased"
    assert person.cpr not in gone.text
    exchange = await d.client.get(f"/api/v1/exchanges/{person.exchange_id}", headers=kif)
    assert exchange.status_code == 404

    result = await verified(d, auditor)
    assert result["entries"] >= 5
    entries = await erasure_entries(d, auditor)
    assert {e["ref"] for e in entries} >= {"retention:list_version:365d", "retention:exchange:365d"}
    for entry in entries:
        record = await erasure_record(d, entry["seq"])
        assert record["format"] == "ksp-erasure/1"
        text = json.dumps(record, ensure_ascii=False)
        for secret in (person.cpr, person.cpr.replace("-", ""), person.name, person.concern):
            assert secret not in text
    listed = [e for e in entries if e["ref"] == "retention:list_version:365d"]
    record = await erasure_record(d, listed[0]["seq"])
    assert record["rule"] == "retention:list_version:365d"
    assert record["records"] == [{"table": "document_versions", "id": f"{person.document_id}/1"}]
    async with d.engine.connect() as connection:
        erased = (await connection.execute(select(erased_entries.c.seq))).scalars().all()
        assert record["entries"][0] in erased
        assert await destroyed(connection, f"journal:{record['entries'][0]}")
        old_lines = select(func.count()).where(access_log.c.at < LATER - dt.timedelta(days=365))
        assert (await connection.execute(old_lines)).scalar_one() == 0

    theirs = PersonalData(cprs={person.cpr}, names={person.name}, texts=set())
    assert find_leaks({"journal, opened": b"\n".join(await reachable_plaintexts(d))}, theirs) == []

    again = await d.retention.run()
    assert again.erasure_entries == []
    assert sum(again.erased.values()) == 0


async def test_a_persons_erasure_needs_kifs_request_and_an_auditors_countersignature(
    deployment: Deployment,
) -> None:
    """README, "Data protection": kif asks (with the reason), an auditor, another person,
    countersigns; only then are the person's case, exchange, inquiry and the list versions
    naming them erased, recorded by one erasure entry naming the decision."""
    d = deployment
    units = fresh_units()
    person = await person_on_a_list(d, units)
    bystander = await person_on_a_list(d, units)
    kif = d.auth("kif", units.kif, sub="kif-caseworker")
    auditor = d.auth("auditor", units.auditor, sub="the-auditor")

    asked = await d.client.post(
        "/api/v1/audit/erasure",
        json={"cpr": person.cpr, "reason": "Afgørelse om sletning j.nr. 1"},
        headers=kif,
    )
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "awaiting-countersignature"
    request_id = asked.json()["id"]
    case = f"/api/v1/cases/{person.case_id}"
    assert (await d.client.get(case, headers=kif)).status_code == 200  # not yet erased

    done = await d.client.post(f"/api/v1/audit/erasure/{request_id}/countersign", headers=auditor)
    assert done.status_code == 200, done.text
    carried = done.json()
    assert carried["status"] == "erased"
    # the list version naming them, the two exchanges (one the outcome's), the outcome
    assert carried["entries_erased"] == 4
    # the case, the inquiry, the two exchanges, the version, the outcome
    assert carried["rows_erased"] == 6
    assert (await d.client.get(case, headers=kif)).status_code == 404
    version = f"/api/v1/documents/{person.document_id}/versions/1"
    gone = await d.client.get(version, headers=auditor)
    assert gone.status_code == 410
    assert gone.json()["type"] == PROBLEMS + "erased"
    other = f"/api/v1/documents/{bystander.document_id}/versions/1"
    assert (await d.client.get(other, headers=auditor)).status_code == 200
    listed = await d.client.get(f"/api/v1/meetings/{person.meeting_id}/documents", headers=kif)
    assert listed.status_code == 200, listed.text
    kept = next(v for v in listed.json()["versions"] if v["version"] == 1)
    assert (kept["sha256"], kept["reason"]) == ("", "")  # nothing left to confirm a copy by
    decided = await d.client.get(f"/api/v1/meetings/{person.meeting_id}/outcomes", headers=kif)
    assert decided.status_code == 200, decided.text  # the outcome stays, its texts blank
    assert person.name not in decided.text

    record = await erasure_record(d, carried["erasure_seq"])
    assert record["rule"] == "decision"
    assert record["decision_id"] == request_id
    assert {"table": "cases", "id": person.case_id} in record["records"]
    assert person.cpr not in json.dumps(record)
    assert person.name not in json.dumps(record)
    async with d.engine.connect() as connection:
        assert await destroyed(connection, f"case:{person.case_id}")
        for seq in record["entries"]:
            assert await destroyed(connection, f"journal:{seq}")
        assert not await destroyed(connection, f"case:{bystander.case_id}")
    await verified(d, auditor)

    held = await d.client.post(
        "/api/v1/audit/subject-access", json={"cpr": person.cpr}, headers=auditor
    )
    assert held.status_code == 200
    assert held.json()["cases"] == []
    assert held.json()["inquiries"] == []
    assert held.json()["consultations"] == []  # the access log no longer links to them


async def test_erasure_error_paths(deployment: Deployment) -> None:
    """Every error of the erasure routes, by status and problem type."""
    d = deployment
    units = fresh_units()
    person = await person_on_a_list(d, units)
    kif = d.auth("kif", units.kif, sub="shared-sub")
    auditor = d.auth("auditor", units.auditor, sub="the-auditor")
    ask = "/api/v1/audit/erasure"

    async def problem(response: httpx.Response, status: int, slug: str) -> None:
        assert response.status_code == status, response.text
        assert response.json()["type"] == PROBLEMS + slug
        assert person.cpr not in response.text

    body = {"cpr": person.cpr, "reason": "Afgørelse"}
    await problem(await d.client.post(ask, json=body, headers=auditor), 403, "forbidden")
    participant = d.auth("participant", units.participant)
    await problem(await d.client.post(ask, json=body, headers=participant), 403, "forbidden")
    other_kif = d.auth("kif", units.other_kif)
    await problem(await d.client.post(ask, json=body, headers=other_kif), 404, "not-found")
    await problem(
        await d.client.post(ask, json={"cpr": person.cpr, "reason": " "}, headers=kif),
        422,
        "validation",
    )
    await problem(
        await d.client.post(ask, json={"cpr": "320190-1234", "reason": "x"}, headers=kif),
        422,
        "validation",
    )
    await problem(
        await d.client.post(ask, json={"cpr": person.cpr}, headers=kif), 400, "validation"
    )
    await problem(
        await d.client.post(ask, json={"cpr": person.cpr, "reason": "x" * 2001}, headers=kif),
        400,  # over 2,000 characters: refused by the body's schema
        "validation",
    )
    await problem(
        await d.client.post(ask, json={**body, "name": "x"}, headers=kif), 400, "validation"
    )

    asked = await d.client.post(ask, json=body, headers=kif)
    assert asked.status_code == 202
    sign = f"/api/v1/audit/erasure/{asked.json()['id']}/countersign"
    await problem(await d.client.post(sign, headers=kif), 403, "forbidden")
    same_person = d.auth("auditor", units.auditor, sub="shared-sub")
    await problem(await d.client.post(sign, headers=same_person), 403, "second-person-required")
    unknown = "/api/v1/audit/erasure/00000000-0000-4000-8000-000000000000/countersign"
    await problem(await d.client.post(unknown, headers=auditor), 404, "not-found")
    assert (await d.client.post(sign, headers=auditor)).status_code == 200
    await problem(await d.client.post(sign, headers=auditor), 409, "erasure-already-decided")


async def test_subject_access_gives_the_persons_data_and_every_consultation_without_staff(
    deployment: Deployment,
) -> None:
    """CONTRACT.md: the person's data and each consultation with date and purpose, without
    staff identities unless ``with_staff``; the extract itself is logged with purpose
    ``subject-access``; the CPR number goes in the body, and a bad one is 422."""
    d = deployment
    units = fresh_units()
    person = await person_on_a_list(d, units)
    auditor = d.auth("auditor", units.auditor, sub="the-auditor")
    kif = d.auth("kif", units.kif, sub="kif-caseworker")
    assert (await d.client.get(f"/api/v1/cases/{person.case_id}", headers=kif)).is_success
    url = "/api/v1/audit/subject-access"

    plain = await d.client.post(url, json={"cpr": person.cpr}, headers=auditor)
    assert plain.status_code == 200, plain.text
    held = plain.json()
    assert held["with_staff"] is False
    assert [(c["id"], c["name"], c["cpr"], c["concern"]) for c in held["cases"]] == [
        (person.case_id, person.name, person.cpr, person.concern)
    ]
    assert person.exchange_id in [e["id"] for e in held["exchanges"]]
    assert len(held["exchanges"]) == 2  # the one recorded, the one the outcome made
    assert [(x["document_id"], x["version"], x["erased"]) for x in held["listings"]] == [
        (person.document_id, 1, False)
    ]
    assert len(held["inquiries"]) == 1
    reads = held["consultations"]
    assert ("case-handling", "case", units.kif) in {
        (r["purpose"], r["resource"], r["unit"]) for r in reads
    }
    assert "kif-caseworker" not in plain.text
    assert {r["by"] for r in reads} == {"(medarbejder)"}

    staff = await d.client.post(url, json={"cpr": person.cpr, "with_staff": True}, headers=auditor)
    assert staff.json()["with_staff"] is True
    assert "kif-caseworker" in {r["by"] for r in staff.json()["consultations"]}

    logged = await d.client.post(
        "/api/v1/audit/access-log/search", json={"cpr": person.cpr}, headers=auditor
    )
    purposes = [(r["resource"], r["purpose"]) for r in logged.json()["items"]]
    assert purposes.count(("subject-access", "subject-access")) == 2

    bad = await d.client.post(url, json={"cpr": "320190-1234"}, headers=auditor)
    assert bad.status_code == 422
    assert bad.json()["type"] == PROBLEMS + "validation"
    refused = await d.client.post(url, json={"cpr": person.cpr}, headers=kif)
    assert refused.status_code == 403
    assert refused.json()["type"] == PROBLEMS + "forbidden"


async def reachable_plaintexts(d: Deployment) -> list[bytes]:
    """Every journal entry's content that still opens, with every key the service has."""
    async with unit_of_work_of(d)() as uow:
        entries = await uow.journal.stored(0, 100_000)
        opened = [uow.journal.open_content(e.seq, e.content) for e in entries]
        return [o.plaintext if isinstance(o, Opened) else o for o in opened if o is not None]


def stored_bytes(d: Deployment) -> dict[str, bytes]:
    """The database as stored: the SQLite file with its -wal and -shm, or a pg_dump."""
    if d.backend == "sqlite":
        base = Path(d.where)
        return {p.name: p.read_bytes() for p in base.parent.glob(base.name + "*")}
    assert POSTGRES_URL is not None
    dump = ["/usr/bin/pg_dump", f"--dbname={POSTGRES_URL}", f"--schema={d.where}"]
    return {
        f"pg_dump {kind}": subprocess.run(dump + options, check=True, capture_output=True).stdout
        for kind, options in (("COPY", []), ("INSERT", ["--data-only", "--inserts"]))
    }


async def test_after_an_erasure_nothing_of_the_person_is_reachable_and_receipts_still_verify(
    deployment: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13, "Tested": after a person's erasure the scan of the stored database (SQLite
    file and WAL, or a pg_dump) and of the export finds none of their data, no journal entry
    opens to it with the service's own keys, the journal verifies online and offline, and a
    receipt handed out before still verifies against the document its holder has."""
    d = deployment
    units = fresh_units()
    person = await person_on_a_list(d, units)
    bystander = await person_on_a_list(d, units)
    auditor = d.auth("auditor", units.auditor, sub="the-auditor")
    kif = d.auth("kif", units.kif, sub="kif-caseworker")
    receipt = await d.proofs.receipt(person.document_id, 1)
    async with unit_of_work_of(d)() as uow:
        record = await uow.documents.version(person.document_id, 1)
        assert record is not None
        document = await uow.journal.plaintext(record.journal_seq)  # what the holder has
    theirs = PersonalData(cprs={person.cpr}, names={person.name}, texts={person.concern})
    assert any(person.name.encode() in p for p in await reachable_plaintexts(d))

    await erase_person(d, person, kif, auditor)

    opened = b"\n".join(await reachable_plaintexts(d))
    assert bystander.name.encode() in opened  # the scan looks at real content
    assert find_leaks({"journal, opened": opened}, theirs) == []
    stored = stored_bytes(d)
    assert sum(len(b) for b in stored.values()) > 10_000
    assert find_leaks(stored, theirs) == []
    async with d.engine.connect() as connection:
        row = (await connection.execute(select(cases).where(cases.c.id == person.case_id))).one()
        assert (row.name_ct, row.cpr_ct, row.concern_ct) == (b"", b"", b"")

    export = await d.client.get("/api/v1/audit/export", headers=auditor)
    assert export.status_code == 200
    assert find_leaks({"export": export.content}, theirs) == []
    bundle = tmp_path / "bundle.jsonl"
    bundle.write_bytes(export.content)
    out = io.StringIO()
    assert verify_command(bundle, None, out, expected_vkey=d.signer.vkey) == 0, out.getvalue()
    await verified(d, auditor)

    key, origin = d.signer.public_key_bytes, d.signer.origin
    verify_receipt(parse_receipt(receipt), document, public_key=key, origin=origin)
    assert b"commitment-key " in receipt.encode()  # a version-2 header: the key goes along
    with pytest.raises(Erased):  # no new receipt: the commitment key went with the data key
        await d.proofs.receipt(person.document_id, 1)

    logged = capsys.readouterr()
    log = (logged.out + logged.err).encode()
    assert b"/countersign" in log  # the log holds the requests, so its scan counts
    assert find_leaks({"log": log}, theirs) == []


async def test_subject_access_as_a_danish_pdf(deployment: Deployment) -> None:
    """CONTRACT.md: ``Accept: application/pdf`` gives the extract as a Danish PDF, printed
    by the PDF renderer's worker processes; without staff identities unless asked for."""
    d = deployment
    units = fresh_units()
    person = await person_on_a_list(d, units)
    auditor = d.auth("auditor", units.auditor, sub="the-auditor")
    kif = d.auth("kif", units.kif, sub="kif-caseworker")
    assert (await d.client.get(f"/api/v1/cases/{person.case_id}", headers=kif)).is_success
    answer = await d.client.post(
        "/api/v1/audit/subject-access",
        json={"cpr": person.cpr},
        headers=auditor | {"Accept": "application/pdf"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/pdf")
    assert answer.content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    flat = " ".join(text.split())
    assert "Indsigt i personoplysninger i KSP" in flat
    assert person.name in flat
    assert person.cpr in flat
    assert "Sagsbehandling" in flat  # a consultation's purpose, in Danish
    assert "Medarbejdernes identitet er udeladt" in flat
    assert "kif-caseworker" not in flat


async def test_a_circulated_version_is_a_disclosure_and_its_mail_goes_with_the_erasure(
    deployment: Deployment, keys: KeyMaker
) -> None:
    """Subject access lists each disclosure: when, the receiving agency and unit, without
    the recipient's name and address unless asked. Erasing the person drops the messages
    of that version from the outbox, and one not yet sent is never sent."""
    d = deployment
    units = fresh_units()
    person = await person_on_a_list(d, units)
    kif = d.auth("kif", units.kif, sub="kif-caseworker")
    auditor = d.auth("auditor", units.auditor, sub="the-auditor")
    email = f"deltager-{uuid.uuid4().hex[:8]}@kommune.dk"
    registered = await register(d.client, d.auth, units, keys, email)
    assert registered.status_code == 201, registered.text
    added = await d.client.post(
        f"/api/v1/meetings/{person.meeting_id}/participants",
        json={"recipient_id": registered.json()["id"]},
        headers=kif,
    )
    assert added.status_code == 201, added.text
    sent = await d.client.post(
        f"/api/v1/documents/{person.document_id}/versions/1/circulate", headers=kif
    )
    assert sent.status_code == 202, sent.text

    held = await d.client.post(
        "/api/v1/audit/subject-access", json={"cpr": person.cpr}, headers=auditor
    )
    [disclosure] = held.json()["disclosures"]
    assert disclosure["purpose"] == "circulation"
    assert (disclosure["receiving_agency"], disclosure["receiving_unit"]) == (
        "municipality",
        units.participant,
    )
    assert (disclosure["version"], disclosure["status"]) == (1, "queued")
    assert email not in held.text
    assert disclosure["recipient"] == "(medarbejder)"
    staff = await d.client.post(
        "/api/v1/audit/subject-access",
        json={"cpr": person.cpr, "with_staff": True},
        headers=auditor,
    )
    assert staff.json()["disclosures"][0]["recipient_email"] == email

    await erase_person(d, person, kif, auditor)
    async with d.engine.connect() as connection:
        query = select(outbox.c.status, outbox.c.message).where(
            outbox.c.circulation_id == sent.json()["circulation_id"]
        )
        assert [(r.status, bytes(r.message)) for r in await connection.execute(query)] == [
            ("failed", b"")
        ]
