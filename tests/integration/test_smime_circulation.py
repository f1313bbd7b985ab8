"""S/MIME circulation (RFC 8551, issue 11): through a real SMTP server on loopback, opened
with the real ``openssl cms`` as the recipient would (decrypted with their key, the
signature verified against the service's chain from ``GET /api/v1/mail/identity``); a
meeting whose participants mix OpenPGP and S/MIME gets each its own envelope."""

from __future__ import annotations

import hashlib
import stat
import uuid
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from litestar import Litestar

from ksp.mail.pgpmime import read_encrypted_message
from ksp.settings import Settings
from support.clock import FixedClock
from support.data import Units, case_body
from support.flows import Auth, case_for_meeting, change_list, new_meeting
from support.keys import KeyMaker
from support.participants import deliver_all, worker_for
from support.participants import register as register_openpgp
from support.smime_ca import Issued, session_ca
from support.smime_open import OpenFailed, attachment_of, decrypt, open_smime, verify
from support.smtp import SmtpServer

OUTER_SUBJECT = "Sikker meddelelse fra KSP-sekretariatet"
ROLES = ("kif", "arrest", "participant", "auditor")


async def register_smime(
    client: httpx.AsyncClient, auth: Auth, units: Units, issued: Issued, email: str
) -> httpx.Response:
    body = {
        "name": "Deltager",
        "email": email,
        "agency": "police",
        "unit": units.participant,
        "certificate": issued.pem,
    }
    return await client.post("/api/v1/recipients", json=body, headers=auth("kif", units.kif))


async def identity(client: httpx.AsyncClient, auth: Auth, units: Units) -> dict[str, str]:
    found = await client.get("/api/v1/mail/identity", headers=auth("kif", units.kif))
    assert found.status_code == 200, found.text
    shown: dict[str, str] = found.json()
    return shown


async def test_a_meeting_mixing_openpgp_and_smime_participants_gets_each_its_own_envelope(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    """Guide 3.3.7 ("via sikker mail"): two S/MIME participants and one OpenPGP participant;
    each S/MIME message opens with its recipient's key only, its signature verifies against
    the service's chain, the real subject and the parts are inside, a neutral one outside."""
    tag = uuid.uuid4().hex[:8]
    meeting = await new_meeting(client, auth, units)
    body = case_body(units.kif)
    case_id = await case_for_meeting(
        client, auth, units, subject=body["subject"], concern=body["concern"]
    )
    made = (await change_list(client, auth, units, meeting, add=[case_id])).json()
    smime = {f"s{i}-{tag}@politi.dk": session_ca().issue(f"s{i}-{tag}@politi.dk") for i in (0, 1)}
    files = {email: issued.write(tmp_path, email) for email, issued in smime.items()}
    ids = [(await register_smime(client, auth, units, i, e)).json()["id"] for e, i in smime.items()]
    openpgp_email = f"p-{tag}@kommune.dk"
    registered = await register_openpgp(client, auth, units, keys, openpgp_email)
    assert registered.status_code == 201, registered.text
    for recipient_id in [*ids, registered.json()["id"]]:
        added = await client.post(
            f"/api/v1/meetings/{meeting}/participants",
            json={"recipient_id": recipient_id},
            headers=auth("kif", units.kif),
        )
        assert added.status_code == 201, added.text
    sent = await client.post(
        f"/api/v1/documents/{made['document_id']}/versions/1/circulate",
        headers=auth("kif", units.kif),
    )
    assert sent.status_code == 202, sent.text
    await deliver_all(worker_for(app, smtp, clock))
    version = await client.get(
        f"/api/v1/documents/{made['document_id']}/versions/1", headers=auth("kif", units.kif)
    )
    chain = (await identity(client, auth, units))["smime_certificates"]
    secrets = [body["subject"]["name"], body["subject"]["cpr"], body["concern"]]  # type: ignore[index]
    emails = sorted([*smime, openpgp_email])
    mine = {m.recipients[0]: m for m in smtp.messages if set(m.recipients) & set(emails)}
    assert sorted(mine) == emails
    for email, message in mine.items():
        outer = message_from_bytes(message.data)
        assert outer["Subject"] == OUTER_SUBJECT
        for secret in secrets:
            assert str(secret).encode() not in message.data
        if email == openpgp_email:
            assert read_encrypted_message(message.data)[0]["Subject"] == OUTER_SUBJECT
            assert keys.decrypt(read_encrypted_message(message.data)[1]).ok
            continue
        assert outer.get_content_type() == "application/pkcs7-mime"
        assert outer.get_param("smime-type") == "enveloped-data"
        inner = open_smime(message.data, *files[email], chain)
        parsed = message_from_bytes(inner)
        assert parsed["Subject"].startswith("KSP-liste:")
        assert parsed.get_param("protected-headers") == "v1"
        assert parsed["To"] == email
        json_part = attachment_of(inner)
        assert hashlib.sha256(json_part).hexdigest() == version.json()["sha256"]
        assert attachment_of(inner, "text/html")
        other = next(e for e in smime if e != email)
        with pytest.raises(OpenFailed):  # another recipient's key cannot open it
            decrypt(message.data, *files[other])
    status = await client.get(
        f"/api/v1/circulations/{sent.json()['circulation_id']}", headers=auth("kif", units.kif)
    )
    assert {r["status"] for r in status.json()["recipients"]} == {"sent"}
    by_email = {r["email"]: r["fingerprint"] for r in status.json()["recipients"]}
    assert all(len(by_email[e]) == 64 for e in smime)


async def test_the_signature_does_not_verify_against_another_chain(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    smtp: SmtpServer,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    """Pinning matters: the test CA's root is not the service's signer."""
    email = f"v-{uuid.uuid4().hex[:8]}@politi.dk"
    issued = session_ca().issue(email)
    certificate, key = issued.write(tmp_path, "v")
    recipient = (await register_smime(client, auth, units, issued, email)).json()
    meeting = await new_meeting(client, auth, units)
    made = (
        await change_list(
            client, auth, units, meeting, add=[await case_for_meeting(client, auth, units)]
        )
    ).json()
    await client.post(
        f"/api/v1/meetings/{meeting}/participants",
        json={"recipient_id": recipient["id"]},
        headers=auth("kif", units.kif),
    )
    sent = await client.post(
        f"/api/v1/documents/{made['document_id']}/versions/1/circulate",
        headers=auth("kif", units.kif),
    )
    assert sent.status_code == 202, sent.text
    await deliver_all(worker_for(app, smtp, clock))
    message = next(m for m in smtp.messages if m.recipients == [email])
    signed = decrypt(message.data, certificate, key)
    with pytest.raises(OpenFailed):
        verify(signed, session_ca().anchors_pem)
    assert verify(signed, (await identity(client, auth, units))["smime_certificates"])


async def test_every_role_reads_the_services_mail_identity(
    client: httpx.AsyncClient, auth: Auth, units: Units, settings: Settings
) -> None:
    """CONTRACT: `GET /api/v1/mail/identity` (any role): the OpenPGP key and the S/MIME
    chain; the certificate made on first use is kept in the data dir, mode 0600."""
    shown = []
    for role in ROLES:
        unit = {"kif": units.kif, "arrest": units.arrest, "participant": units.participant}
        found = await client.get(
            "/api/v1/mail/identity", headers=auth(role, unit.get(role, units.auditor))
        )
        assert found.status_code == 200, (role, found.text)
        shown.append(found.json())
    assert all(s == shown[0] for s in shown)
    first = shown[0]
    assert first["openpgp_key"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert len(first["openpgp_fingerprint"]) == 40
    leaf = x509.load_pem_x509_certificates(first["smime_certificates"].encode())[0]
    assert hashlib.sha256(leaf.tbs_certificate_bytes).hexdigest()  # parses as X.509
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert settings.mail_from in sans.get_values_for_type(x509.RFC822Name)
    for name in ("service.crt", "service.key"):
        mode = (settings.data_dir / "smime" / name).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
    unauthenticated = await client.get("/api/v1/mail/identity")
    assert unauthenticated.status_code == 401
