"""`make run`'s default: the outbox worker runs inside the server process and writes the
encrypted messages to the maildir `var/mail/`; `ksp mail key` gives recipients the key that
signs them; `ksp keys check` warns of recipient keys about to expire."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ksp.mail.pgpmime import read_encrypted_message
from support.data import case_body
from support.keys import KeyMaker
from support.server import KSP, Server, running_server

IN_TWO_WEEKS = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=14)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("mail-e2e")) as running:
        yield running


def bearer(server: Server, role: str, unit: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token(role, unit)}"}


def circulate(server: Server, public_key: str, email: str) -> None:
    kif, arrest = bearer(server, "kif", "kif-e2e"), bearer(server, "arrest", "arrest-e2e")
    with httpx.Client(base_url=server.base_url + "/api/v1", timeout=30) as api:
        case = api.post("/cases", json=case_body("kif-e2e"), headers=arrest).json()["id"]
        api.post(f"/cases/{case}/triage", json={"decision": "meeting"}, headers=kif)
        meeting = api.post(
            "/meetings",
            headers=kif,
            json={
                "municipality_code": 101,
                "police_district": "koebenhavn",
                "scheduled_for": f"{IN_TWO_WEEKS}T10:00:00+01:00",  # the real clock
                "title": "E2E",
            },
        ).json()["id"]
        version = api.post(
            f"/meetings/{meeting}/list", headers=kif, json={"add": [case], "reason": "E2E"}
        ).json()
        recipient = api.post(
            "/recipients",
            headers=kif,
            json={
                "name": "Modtager",
                "email": email,
                "agency": "municipality",
                "unit": "kommune-101",
                "openpgp_key": public_key,
            },
        )
        assert recipient.status_code == 201, recipient.text
        api.post(
            f"/meetings/{meeting}/participants",
            headers=kif,
            json={"recipient_id": recipient.json()["id"]},
        )
        sent = api.post(f"/documents/{version['document_id']}/versions/1/circulate", headers=kif)
        assert sent.status_code == 202, sent.text


def test_the_server_delivers_encrypted_signed_mail_to_its_maildir(
    server: Server, tmp_path: Path
) -> None:
    """The in-process worker delivers; the message decrypts with the recipient's key and its
    signature checks against the key `ksp mail key` prints."""
    keys = KeyMaker(tmp_path / "recipient")
    try:
        email = "modtager@kommune.dk"
        circulate(server, keys.public(keys.make(f"Modtager <{email}>")), email)
        new = server.data_dir / "mail" / "new"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (new.is_dir() and any(new.iterdir())):
            time.sleep(0.2)
        files = list(new.iterdir())
        assert len(files) == 1
        _, armour = read_encrypted_message(files[0].read_bytes())
        service_key = subprocess.run(
            [KSP, "mail", "key"], env=server.env, check=True, capture_output=True, text=True
        ).stdout
        assert service_key.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        keys.gpg("--import", stdin=service_key.encode())
        decrypted = keys.decrypt(armour)
        assert decrypted.ok
        assert decrypted.valid
    finally:
        keys.close()


def test_ksp_keys_check_lists_keys_expiring_within_30_days(server: Server, tmp_path: Path) -> None:
    """`ksp keys check` names each recipient key that expires soon, and exits 1."""
    keys = KeyMaker(tmp_path / "soon")
    try:
        email = "snart@politi.dk"
        made = keys.make(
            f"Snart <{email}>",
            at=dt.datetime.now(dt.UTC) - dt.timedelta(days=5),
            lifetime=dt.timedelta(days=40),
        )
        with httpx.Client(base_url=server.base_url + "/api/v1", timeout=30) as api:
            registered = api.post(
                "/recipients",
                headers=bearer(server, "kif", "kif-e2e"),
                json={
                    "name": "Snart",
                    "email": email,
                    "agency": "police",
                    "unit": "politi-x",
                    "openpgp_key": keys.public(made),
                },
            )
        assert registered.status_code == 201, registered.text
        done = subprocess.run(
            [KSP, "keys", "check", "--days", "60"],
            env=server.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1
        assert made in done.stdout
        assert email in done.stdout
        quiet = subprocess.run(
            [KSP, "keys", "check", "--days", "1"],
            env=server.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert quiet.returncode == 0
    finally:
        keys.close()
