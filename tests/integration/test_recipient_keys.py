"""Recipients' keys over their lifetime (finding 5, issue 7): weak keys refused, the owner's
revocation reaching the service, keys replaced, recipients retired, one registration per
address and unit. Real gpg, real SMTP on loopback, both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.api.app import create_app
from ksp.db.keys_report import expiring_keys
from ksp.db.tables import outbox
from ksp.mail.pgpmime import read_encrypted_message
from ksp.mail.transport import SmtpConfig, SmtpTransport
from ksp.mail.worker import OutboxWorker
from ksp.settings import Settings
from support.clock import FixedClock
from support.data import Units
from support.flows import Auth, case_for_meeting, change_list, new_meeting
from support.keys import KeyMaker
from support.smtp import PASSWORD, USER, SmtpServer

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
MADE_AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # before the app's clock (2026-11-27)


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[KeyMaker]:
    """A fresh home per test: revocations made here must not leak into other tests."""
    maker = KeyMaker(tmp_path / "keys")
    yield maker
    maker.close()


def address() -> str:
    return f"p-{uuid.uuid4().hex[:8]}@kommune.dk"


def good_key(keys: KeyMaker, email: str) -> str:
    return keys.make(f"Deltager <{email}>", at=MADE_AT)


async def register(
    client: httpx.AsyncClient, auth: Auth, units: Units, email: str, armour: str
) -> httpx.Response:
    body = {
        "name": "Deltager",
        "email": email,
        "agency": "municipality",
        "unit": units.participant,
        "openpgp_key": armour,
    }
    return await client.post("/api/v1/recipients", json=body, headers=auth("kif", units.kif))


async def put_key(
    client: httpx.AsyncClient, auth: Auth, units: Units, recipient_id: str, armour: str
) -> httpx.Response:
    return await client.put(
        f"/api/v1/recipients/{recipient_id}/key",
        json={"openpgp_key": armour},
        headers=auth("kif", units.kif),
    )


async def listed(client: httpx.AsyncClient, auth: Auth, units: Units) -> dict[str, Any]:
    found = await client.get("/api/v1/recipients", headers=auth("kif", units.kif))
    assert found.status_code == 200, found.text
    return {item["id"]: item for item in found.json()["items"]}


async def meeting_with(
    client: httpx.AsyncClient, auth: Auth, units: Units, *recipient_ids: str
) -> str:
    """A meeting with one case on its list and the participants; its document id."""
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units)
    made = (await change_list(client, auth, units, meeting, add=[case_id])).json()
    for recipient_id in recipient_ids:
        added = await client.post(
            f"/api/v1/meetings/{meeting}/participants",
            json={"recipient_id": recipient_id},
            headers=auth("kif", units.kif),
        )
        assert added.status_code == 201, added.text
    return str(made["document_id"])


async def circulate(
    client: httpx.AsyncClient, auth: Auth, units: Units, document_id: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/documents/{document_id}/versions/1/circulate", headers=auth("kif", units.kif)
    )


async def queued_to(engine: AsyncEngine, email: str) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.email == email)
        )
    return int(count or 0)


async def registered(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> tuple[str, str]:
    """A recipient registered with a good key: the key and the recipient's id."""
    email = address()
    armour = keys.public(good_key(keys, email))
    made = await register(client, auth, units, email, armour)
    assert made.status_code == 201, made.text
    return armour, str(made.json()["id"])


def refused_as_unusable(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == PROBLEMS + "recipient-key-unusable"
    assert reason in problem["detail"]


async def test_a_weak_key_is_refused_at_registration_without_naming_anyone(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Finding 5: RSA-2048 registered and circulated before; now 422 with the reason."""
    email = address()
    out = keys.gpg(
        "--quick-gen-key", f"Deltager <{email}>", "rsa2048", "cert,sign,encr", at=MADE_AT
    )
    fingerprint = next(line.split()[3] for line in out.splitlines() if "KEY_CREATED" in line)
    refused = await register(client, auth, units, email, keys.public(fingerprint))
    refused_as_unusable(refused, "key too weak")
    assert email not in refused.text
    assert "Deltager" not in refused.text


async def test_a_key_whose_encryption_subkey_starts_in_the_future_is_refused_at_registration(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker, clock: FixedClock
) -> None:
    """422 at registration, where it used to register and then fail circulation with 500."""
    email = address()
    fingerprint = keys.make(f"Deltager <{email}>", at=MADE_AT, encryption=False)
    keys.add_encryption_subkey(fingerprint, at=clock.now() + dt.timedelta(days=10))
    refused = await register(client, auth, units, email, keys.public(fingerprint))
    refused_as_unusable(refused, "not valid yet")


async def test_an_address_registered_in_the_unit_already_is_refused_with_recipient_exists(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Duplicates made people get every mail twice; another unit may register the address."""
    email = address()
    armour = keys.public(good_key(keys, email))
    assert (await register(client, auth, units, email, armour)).status_code == 201
    again = await register(client, auth, units, email.upper(), armour)
    assert again.status_code == 409, again.text
    assert again.json()["type"] == PROBLEMS + "recipient-exists"
    other_unit = dataclasses.replace(units, kif=units.other_kif)
    assert (await register(client, auth, other_unit, email, armour)).status_code == 201


async def test_a_retired_recipient_is_kept_shown_as_retired_and_never_circulated_to_again(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker, engine: AsyncEngine
) -> None:
    """DELETE answers 204; the recipient stays listed as retired; circulation skips it."""
    kept, retired = address(), address()
    ids = []
    for email in (kept, retired):
        made = await register(client, auth, units, email, keys.public(good_key(keys, email)))
        ids.append(made.json()["id"])
    document_id = await meeting_with(client, auth, units, *ids)
    gone = await client.delete(f"/api/v1/recipients/{ids[1]}", headers=auth("kif", units.kif))
    assert gone.status_code == 204, gone.text
    shown = (await listed(client, auth, units))[ids[1]]
    assert shown["status"] == "retired"
    assert shown["retired_at"] is not None
    sent = await circulate(client, auth, units, document_id)
    assert sent.status_code == 202, sent.text
    assert [r["email"] for r in sent.json()["recipients"]] == [kept]
    assert await queued_to(engine, retired) == 0
    readded = await client.post(
        f"/api/v1/meetings/{await new_meeting(client, auth, units)}/participants",
        json={"recipient_id": ids[1]},
        headers=auth("kif", units.kif),
    )
    assert readded.status_code == 422, readded.text
    assert readded.json()["errors"][0]["field"] == "recipient_id"
    anew = await register(client, auth, units, retired, keys.public(good_key(keys, retired)))
    assert anew.status_code == 201, anew.text


async def test_retiring_or_replacing_the_key_of_another_units_recipient_is_not_found(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Another KiF unit's recipient is answered exactly as one that does not exist."""
    armour, recipient_id = await registered(client, auth, units, keys)
    other = dataclasses.replace(units, kif=units.other_kif)
    for target in (recipient_id, str(uuid.uuid4())):
        gone = await client.delete(f"/api/v1/recipients/{target}", headers=auth("kif", other.kif))
        replaced = await put_key(client, auth, other, target, armour)
        for response in (gone, replaced):
            assert response.status_code == 404, response.text
            assert response.json()["type"] == PROBLEMS + "not-found"


async def test_a_retired_recipients_key_cannot_be_replaced(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """409: a retired recipient is history; register a new one instead."""
    armour, recipient_id = await registered(client, auth, units, keys)
    await client.delete(f"/api/v1/recipients/{recipient_id}", headers=auth("kif", units.kif))
    replaced = await put_key(client, auth, units, recipient_id, armour)
    assert replaced.status_code == 409, replaced.text
    assert replaced.json()["type"] == PROBLEMS + "conflict"


async def test_a_replacement_key_passes_the_registration_checks(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """Another address, a weak key, another key revoked: 422; a good key: 200 and pinned."""
    email = address()
    first = good_key(keys, email)
    recipient_id = (await register(client, auth, units, email, keys.public(first))).json()["id"]
    someone_else = keys.make(f"X <{address()}>", at=MADE_AT)
    refused_as_unusable(
        await put_key(client, auth, units, recipient_id, keys.public(someone_else)),
        "no user ID carries the address",
    )
    another = good_key(keys, email)
    keys.revoke(another)
    refused_as_unusable(
        await put_key(client, auth, units, recipient_id, keys.public(another)), "revoked"
    )
    bad_fingerprint = await client.put(
        f"/api/v1/recipients/{recipient_id}/key",
        json={"openpgp_key": keys.public(first), "fingerprint": "12"},
        headers=auth("kif", units.kif),
    )
    assert bad_fingerprint.status_code == 422
    assert bad_fingerprint.json()["errors"][0]["field"] == "fingerprint"
    new = good_key(keys, email)
    replaced = await put_key(client, auth, units, recipient_id, keys.public(new))
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["fingerprint"], replaced.json()["status"]) == (new, "active")
    assert (await listed(client, auth, units))[recipient_id]["fingerprint"] == new


async def deliver_all(app: Litestar, smtp: SmtpServer, clock: FixedClock) -> None:
    config = SmtpConfig("127.0.0.1", smtp.port, "starttls", USER, PASSWORD, str(smtp.ca_file))
    sender = "ksp@kriminalforsorgen.dk"
    worker = OutboxWorker(app.state.uow, SmtpTransport(config), clock, sender=sender)
    while await worker.run_once():
        pass


def only_key_home(keys: KeyMaker, fingerprint: str, home: Path) -> KeyMaker:
    alone = KeyMaker(home)
    alone.gpg("--import", stdin=keys.secret(fingerprint).encode())
    return alone


async def test_the_owners_revocation_blocks_the_recipient_until_a_fresh_key_replaces_it(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
    engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    """Finding 5: the revoked copy is taken and blocks; the next mail is for the new key only."""
    email = address()
    old = good_key(keys, email)
    recipient_id = (await register(client, auth, units, email, keys.public(old))).json()["id"]
    document_id = await meeting_with(client, auth, units, recipient_id)
    unrevoked_copy = keys.public(old)
    keys.revoke(old)  # the owner imports the revocation certificate gpg made with the key
    blocked = await put_key(client, auth, units, recipient_id, keys.public(old))
    assert blocked.status_code == 200, blocked.text
    assert (blocked.json()["fingerprint"], blocked.json()["status"]) == (old, "blocked")
    refused_as_unusable(  # a copy from before the revocation never lifts it
        await put_key(client, auth, units, recipient_id, unrevoked_copy), "revoked"
    )
    refused_as_unusable(await circulate(client, auth, units, document_id), "revoked")
    assert await queued_to(engine, email) == 0
    new = good_key(keys, email)
    replaced = await put_key(client, auth, units, recipient_id, keys.public(new))
    assert (replaced.json()["fingerprint"], replaced.json()["status"]) == (new, "active")
    sent = await circulate(client, auth, units, document_id)
    assert sent.status_code == 202, sent.text
    assert [r["fingerprint"] for r in sent.json()["recipients"]] == [new]
    await deliver_all(app, smtp, clock)
    [message] = [m for m in smtp.messages if m.recipients == [email]]
    _, armour = read_encrypted_message(message.data)
    with_new = only_key_home(keys, new, tmp_path / "new")
    with_old = only_key_home(keys, old, tmp_path / "old")
    try:
        assert with_new.decrypt(armour).ok
        assert not with_old.decrypt(armour).ok
    finally:
        with_new.close()
        with_old.close()


@pytest.fixture
async def second_instance(
    settings: Settings, engine: AsyncEngine, clock: FixedClock, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """Another instance on the same database, with a keyring of its own."""
    other = create_app(
        dataclasses.replace(settings, data_dir=tmp_path / "b"), engine=engine, clock=clock
    )
    transport = httpx.ASGITransport(app=other, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client:
            yield client
    finally:
        other.state.mail.close()


def encrypted_to(keys: KeyMaker, armour: bytes) -> set[str]:
    """The key IDs a message is encrypted to (gpg --list-packets, nothing decrypted)."""
    listing = keys.gpg("--list-packets", "--pinentry-mode", "cancel", stdin=armour)
    return {
        line.split("keyid")[1].split()[0].strip(",").upper()
        for line in listing.splitlines()
        if line.startswith(":pubkey enc packet:")
    }


async def test_a_subkey_revoked_and_replaced_through_another_instance_is_not_used_here(
    client: httpx.AsyncClient,
    second_instance: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """Each instance pins the key on record before circulating, so a revocation sent to
    one instance reaches the keyring of every other (before, this one kept encrypting to the
    revoked subkey it had)."""
    email = address()
    fingerprint = good_key(keys, email)
    [revoked_subkey] = keys.encryption_subkeys(fingerprint)
    recipient_id = (await register(client, auth, units, email, keys.public(fingerprint))).json()[
        "id"
    ]
    document_id = await meeting_with(client, auth, units, recipient_id)
    keys.revoke_subkey(fingerprint)
    keys.add_encryption_subkey(fingerprint, at=MADE_AT + dt.timedelta(days=1))
    [fresh_subkey] = set(keys.encryption_subkeys(fingerprint)) - {revoked_subkey}
    replaced = await put_key(second_instance, auth, units, recipient_id, keys.public(fingerprint))
    assert replaced.status_code == 200, replaced.text
    sent = await circulate(client, auth, units, document_id)
    assert sent.status_code == 202, sent.text
    await deliver_all(app, smtp, clock)
    [message] = [m for m in smtp.messages if m.recipients == [email]]
    _, armour = read_encrypted_message(message.data)
    assert encrypted_to(keys, armour) == {fresh_subkey}


async def test_ksp_keys_check_leaves_retired_recipients_out(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker, engine: AsyncEngine
) -> None:
    """A retired recipient's key needs no renewal: it is never used again."""
    email = address()
    lifetime = dt.timedelta(days=60)
    armour = keys.public(keys.make(f"D <{email}>", at=MADE_AT, lifetime=lifetime))
    recipient_id = (await register(client, auth, units, email, armour)).json()["id"]
    soon = MADE_AT + 2 * lifetime
    assert email in [row[0] for row in await expiring_keys(engine, soon)]
    await client.delete(f"/api/v1/recipients/{recipient_id}", headers=auth("kif", units.kif))
    assert email not in [row[0] for row in await expiring_keys(engine, soon)]


async def test_the_owners_revocation_of_the_encryption_subkey_alone_also_blocks(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """A copy whose only encryption subkey is revoked is taken, and blocks circulation."""
    email = address()
    fingerprint = good_key(keys, email)
    recipient_id = (await register(client, auth, units, email, keys.public(fingerprint))).json()[
        "id"
    ]
    document_id = await meeting_with(client, auth, units, recipient_id)
    keys.revoke_subkey(fingerprint)
    blocked = await put_key(client, auth, units, recipient_id, keys.public(fingerprint))
    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["status"] == "blocked"
    refused_as_unusable(await circulate(client, auth, units, document_id), "revoked")
