"""Recipients with an S/MIME certificate (issue 11): what is refused, each kind with its
reason and nothing stored, what is taken (format ``smime``, the SHA-256 fingerprint), and
the same checks made again before every circulation. Real certificates from the test CA
built like OCES3 (tests/support/smime_ca.py), both databases."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from test_recipient_keys import circulate, meeting_with

from ksp.db.tables import recipients
from ksp.mail.smime_policy import (
    MAX_CERTIFICATE_BYTES,
    CertificateProblem,
    CertificateRejected,
    TrustPolicy,
)
from ksp.settings import Settings
from support.clock import DEFAULT_NOW, FixedClock
from support.data import Units
from support.flows import Auth
from support.keys import KeyMaker
from support.smime_ca import SmimeCa, pem, session_ca

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
DAY = dt.timedelta(days=1)


def address() -> str:
    return f"s-{uuid.uuid4().hex[:8]}@kommune.dk"


async def register(
    client: httpx.AsyncClient, auth: Auth, units: Units, email: str, certificate: str, **extra: Any
) -> httpx.Response:
    body = {
        "name": "Deltager",
        "email": email,
        "agency": "municipality",
        "unit": units.participant,
        "certificate": certificate,
        **extra,
    }
    return await client.post("/api/v1/recipients", json=body, headers=auth("kif", units.kif))


async def stored_with(engine: AsyncEngine, email: str) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(recipients).where(recipients.c.email == email)
        )
    return int(count or 0)


def refused_as_unusable(response: httpx.Response, reason: CertificateProblem) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == PROBLEMS + "recipient-key-unusable"
    assert reason.value in problem["detail"]


HoldCrl = Callable[[bytes], None]


@pytest.fixture
def hold_crl(settings: Settings) -> Iterator[HoldCrl]:
    """Replace the CRL file the service holds; put back as it was after the test."""
    path = Path(settings.smime_crls[0])
    before = path.read_bytes()
    yield path.write_bytes  # type: ignore[misc]
    path.write_bytes(before)


def garbage_pem() -> str:
    return "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"


def spoiled(ca: SmimeCa, email: str) -> dict[str, tuple[str, CertificateProblem]]:
    """One certificate (or paste) per kind of refusal, each with the reason it gets."""
    good = ca.issue(email)
    private = good.key_pem()
    return {
        "expired": (
            ca.issue(email, not_after=DEFAULT_NOW - DAY).pem,
            CertificateProblem.EXPIRED,
        ),
        "expires within 30 days": (
            ca.issue(email, not_after=DEFAULT_NOW + 10 * DAY).pem,
            CertificateProblem.EXPIRES_SOON,
        ),
        "not yet valid": (
            ca.issue(email, not_before=DEFAULT_NOW + DAY).pem,
            CertificateProblem.NOT_YET_VALID,
        ),
        "self-signed": (ca.issue(email, self_signed=True).pem, CertificateProblem.UNTRUSTED),
        "other CA": (
            session_ca("Another Root CA").issue(email).pem,
            CertificateProblem.UNTRUSTED,
        ),
        "broken chain": (
            ca.sibling("KSP Test Issuing 2").issue(email).pem,
            CertificateProblem.UNTRUSTED,
        ),
        "too small key": (ca.issue(email, bits=1024).pem, CertificateProblem.KEY_TOO_SMALL),
        "wrong e-mail": (ca.issue(address()).pem, CertificateProblem.NO_EMAIL),
        "only digitalSignature": (
            ca.issue(email, encipher=False).pem,
            CertificateProblem.NO_KEY_ENCIPHERMENT,
        ),
        "several certificates": (good.pem + pem(ca.issuing), CertificateProblem.NOT_ONE),
        "a private key pasted": (private, CertificateProblem.PRIVATE_KEY),
        "a private key with it": (good.pem + private, CertificateProblem.PRIVATE_KEY),
        "garbage PEM": (garbage_pem(), CertificateProblem.NOT_PEM),
        "an OpenPGP key": (
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ==\n-----END PGP PUBLIC KEY BLOCK-----\n",
            CertificateProblem.NOT_PEM,
        ),
    }


async def test_each_kind_of_unusable_certificate_is_refused_with_its_reason_and_nothing_stored(
    client: httpx.AsyncClient, auth: Auth, units: Units, engine: AsyncEngine
) -> None:
    """Guide 3.3.7 ("via sikker mail"): a certificate that cannot carry the list safely to
    that recipient is refused at registration, 422 with the reason, naming no one."""
    email = address()
    for kind, (text, reason) in spoiled(session_ca(), email).items():
        refused = await register(client, auth, units, email, text)
        assert refused.status_code == 422, (kind, refused.text)
        refused_as_unusable(refused, reason)
        assert email not in refused.text, kind
        assert "Deltager" not in refused.text, kind
    assert await stored_with(engine, email) == 0


async def test_a_revoked_certificate_is_refused_by_the_crl_the_service_holds(
    client: httpx.AsyncClient, auth: Auth, units: Units, engine: AsyncEngine, hold_crl: HoldCrl
) -> None:
    email = address()
    ca = session_ca()
    revoked = ca.issue(email)
    hold_crl(ca.crl(revoked.certificate.serial_number))
    refused_as_unusable(
        await register(client, auth, units, email, revoked.pem), CertificateProblem.REVOKED
    )
    assert await stored_with(engine, email) == 0
    hold_crl(b"not a CRL")  # a CRL that cannot be read: fail closed
    refused_as_unusable(
        await register(client, auth, units, email, ca.issue(email).pem), CertificateProblem.NO_CRL
    )


async def test_a_certificate_over_the_size_limit_is_refused_and_a_megabyte_never_reaches_it(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """The explicit limit: a certificate of more than MAX_CERTIFICATE_BYTES (DER) is refused
    as too large; a 1 MB DER pasted as PEM is refused by the body limit (413) first, and the
    policy refuses it too when called directly."""
    email = address()
    big = "A" * (MAX_CERTIFICATE_BYTES * 2)
    oversized = f"-----BEGIN CERTIFICATE-----\n{big}\n-----END CERTIFICATE-----\n"
    refused_as_unusable(
        await register(client, auth, units, email, oversized), CertificateProblem.TOO_LARGE
    )
    megabyte = base64.encodebytes(b"\x30" * 1_000_000).decode()
    huge = f"-----BEGIN CERTIFICATE-----\n{megabyte}-----END CERTIFICATE-----\n"
    too_big = await register(client, auth, units, email, huge)
    assert too_big.status_code == 413, too_big.text
    policy = TrustPolicy([session_ca().root])
    with pytest.raises(CertificateRejected) as refused:
        policy.inspect(huge, email=email, expected_fingerprint=None, now=DEFAULT_NOW)
    assert refused.value.reason is CertificateProblem.TOO_LARGE


async def test_a_good_certificate_is_registered_as_smime_with_its_sha256_fingerprint(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """`format` smime; `fingerprint` the SHA-256 of the DER; the address compared as the
    OpenPGP user IDs are (case does not matter)."""
    email = address()
    issued = session_ca().issue(email)
    der = issued.certificate.public_bytes(serialization.Encoding.DER)
    expected = hashlib.sha256(der).hexdigest().upper()
    made = await register(client, auth, units, email.upper(), issued.pem)
    assert made.status_code == 201, made.text
    shown = made.json()
    assert (shown["format"], shown["fingerprint"]) == ("smime", expected)
    assert shown["expires_at"] is not None


async def test_a_fingerprint_confirmed_out_of_band_must_be_the_certificates(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    email = address()
    issued = session_ca().issue(email)
    wrong = await register(client, auth, units, email, issued.pem, fingerprint="AB" * 32)
    refused_as_unusable(wrong, CertificateProblem.FINGERPRINT_MISMATCH)
    short = await register(client, auth, units, email, issued.pem, fingerprint="AB" * 20)
    assert short.status_code == 422, short.text
    assert short.json()["errors"][0]["field"] == "fingerprint"


async def test_both_or_neither_of_openpgp_key_and_certificate_is_refused(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    email = address()
    issued = session_ca().issue(email)
    both = await register(client, auth, units, email, issued.pem, openpgp_key="x")
    neither = await client.post(
        "/api/v1/recipients",
        json={"name": "D", "email": email, "agency": "police", "unit": units.participant},
        headers=auth("kif", units.kif),
    )
    for response in (both, neither):
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "certificate"


async def test_a_certificate_replaces_a_certificate_with_the_same_checks(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    email = address()
    ca = session_ca()
    made = (await register(client, auth, units, email, ca.issue(email).pem)).json()

    async def put(certificate: str) -> httpx.Response:
        return await client.put(
            f"/api/v1/recipients/{made['id']}/key",
            json={"certificate": certificate},
            headers=auth("kif", units.kif),
        )

    refused_as_unusable(await put(ca.issue(address()).pem), CertificateProblem.NO_EMAIL)
    fresh = ca.issue(email, fresh_key=True)
    replaced = await put(fresh.pem)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["format"] == "smime"
    assert replaced.json()["fingerprint"] != made["fingerprint"]


async def test_the_certificate_is_checked_again_before_every_circulation(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    clock: FixedClock,
    hold_crl: HoldCrl,
) -> None:
    """As the OpenPGP keys are: a certificate revoked since, or running out within 30 days
    by the time of the circulation, stops it (422) before anything is queued."""
    ca = session_ca()
    email = address()
    issued = ca.issue(email, not_after=DEFAULT_NOW + 60 * DAY)
    made = (await register(client, auth, units, email, issued.pem)).json()
    document_id = await meeting_with(client, auth, units, made["id"])
    clock.set(DEFAULT_NOW + 40 * DAY)
    late = await circulate(client, auth, units, document_id)
    assert late.status_code == 422, late.text
    assert late.json()["type"] == PROBLEMS + "recipient-key-unusable"
    clock.reset()
    hold_crl(ca.crl(issued.certificate.serial_number))
    revoked = await circulate(client, auth, units, document_id)
    assert revoked.status_code == 422, revoked.text
    assert revoked.json()["type"] == PROBLEMS + "recipient-key-unusable"


async def test_an_openpgp_recipient_may_move_to_smime_and_back_with_the_same_checks(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """The envelope follows the key on record: a certificate replacing an OpenPGP key makes
    the recipient `smime`, a key replacing the certificate `openpgp` again; a bad one of
    either kind is refused and changes nothing."""
    email = address()
    fingerprint = keys.make(f"Deltager <{email}>", at=DEFAULT_NOW - 30 * DAY)
    body = {
        "name": "Deltager",
        "email": email,
        "agency": "police",
        "unit": units.participant,
        "openpgp_key": keys.public(fingerprint),
    }
    made = await client.post("/api/v1/recipients", json=body, headers=auth("kif", units.kif))
    assert made.status_code == 201, made.text
    assert made.json()["format"] == "openpgp"
    target = f"/api/v1/recipients/{made.json()['id']}/key"
    headers = auth("kif", units.kif)
    spoiled_one = session_ca().issue(email, encipher=False).pem
    refused = await client.put(target, json={"certificate": spoiled_one}, headers=headers)
    refused_as_unusable(refused, CertificateProblem.NO_KEY_ENCIPHERMENT)
    moved = await client.put(
        target, json={"certificate": session_ca().issue(email).pem}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["format"], len(moved.json()["fingerprint"])) == ("smime", 64)
    back = await client.put(target, json={"openpgp_key": keys.public(fingerprint)}, headers=headers)
    assert back.status_code == 200, back.text
    assert (back.json()["format"], back.json()["fingerprint"]) == ("openpgp", fingerprint)
