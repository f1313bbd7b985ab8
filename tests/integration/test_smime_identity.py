"""The service's S/MIME identity and its configuration (issue 11): `ksp mail new-cert`,
a configured certificate issued by a CA (its chain travels in every signature), the
settings that are refused, and a forged CRL (CRLs fetched from a URL: test_crl_refresh)."""

from __future__ import annotations

import datetime as dt
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ksp.domain.circulation import CirculationContent
from ksp.mail.mime_parts import headers_of, inner_bytes
from ksp.mail.smime import build_smime_message
from ksp.mail.smime_crls import CrlSources
from ksp.mail.smime_identity import load_identity
from ksp.mail.smime_policy import TrustPolicy
from ksp.settings import ConfigError, load_settings
from support.clock import DEFAULT_NOW
from support.smime_ca import Issued, session_ca
from support.smime_open import open_smime

KSP = str(Path(sys.executable).with_name("ksp"))
SENDER = "ksp@kriminalforsorgen.dk"


def sealed_to(recipient: Issued, identity_dir: Path, **files: str | None) -> bytes:
    identity = load_identity(
        cert_pem=files.get("cert"), key_pem=files.get("key"), data_dir=identity_dir, sender=SENDER
    )
    headers = headers_of(
        sender=SENDER,
        recipient="r@politi.dk",
        message_id="<m@kriminalforsorgen.dk>",
        date=DEFAULT_NOW,
    )
    content = CirculationContent(
        subject="KSP-liste: Møde, version 1",
        html="<p>Liste</p>",
        json_name="ksp-liste-v1.json",
        json=b"{}",
    )
    return build_smime_message(
        headers=headers,
        outer_subject="Sikker meddelelse fra KSP-sekretariatet",
        inner=inner_bytes(headers, content),
        identity=identity,
        certificate=recipient.certificate,
    )


def test_ksp_mail_new_cert_writes_a_certificate_and_key_the_service_signs_with(
    tmp_path: Path,
) -> None:
    """Two new files, mode 0600, needing no data dir; configured, they sign, and the
    signature verifies against that certificate; a second run never overwrites them."""
    cert, key = tmp_path / "smime.crt", tmp_path / "smime.key"
    env = {"KSP_DATA_DIR": str(tmp_path / "var"), "KSP_MAIL_FROM": SENDER}
    done = subprocess.run(
        [KSP, "mail", "new-cert", "--cert", str(cert), "--key", str(key)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not (tmp_path / "var").exists()
    again = subprocess.run(
        [KSP, "mail", "new-cert", "--cert", str(cert), "--key", str(key)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1
    settings = load_settings(
        {**env, "KSP_SMIME_CERT_FILE": str(cert), "KSP_SMIME_KEY_FILE": str(key)}
    )
    recipient = session_ca().issue("r@politi.dk")
    files = recipient.write(tmp_path, "r")
    message = sealed_to(
        recipient, tmp_path / "unused", cert=settings.smime_cert, key=settings.smime_key
    )
    inner = open_smime(message, *files, cert.read_text())
    assert b"protected-headers" in inner
    assert not (tmp_path / "unused").exists()  # the configured pair, not one of its own


def test_a_ca_issued_signing_certificate_sends_its_chain_and_verifies_against_the_root(
    tmp_path: Path,
) -> None:
    """KSP_SMIME_CERT_FILE holding the certificate and its issuing CA: a recipient who
    trusts only the root verifies the signature."""
    ca = session_ca()
    signer = ca.issue(SENDER)
    recipient = ca.issue("r@politi.dk")
    message = sealed_to(
        recipient, tmp_path, cert=signer.pem + x509_pem(ca.issuing), key=signer.key_pem()
    )
    inner = open_smime(message, *recipient.write(tmp_path, "r"), x509_pem(ca.root))
    assert b"KSP-liste:" in inner


def x509_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_a_key_that_is_not_the_certificates_is_refused(tmp_path: Path) -> None:
    ca = session_ca()
    signer, other = ca.issue(SENDER), ca.issue(SENDER, fresh_key=True)
    with pytest.raises(ValueError, match="not the certificate's key"):
        load_identity(
            cert_pem=signer.pem, key_pem=other.key_pem(), data_dir=tmp_path, sender=SENDER
        )


def test_the_smime_settings_refuse_what_cannot_work(tmp_path: Path) -> None:
    """One of the pair alone, a key open to others, anchors that are no certificates, a
    CRL file that does not exist: each stops start-up naming the variable."""
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    issued = session_ca().issue(SENDER)
    cert.write_text(issued.pem)
    key.write_text(issued.key_pem())
    key.chmod(0o644)
    base = {"KSP_DATA_DIR": str(tmp_path / "var")}
    cases = {
        "KSP_SMIME_CERT_FILE": {"KSP_SMIME_CERT_FILE": str(cert)},
        "KSP_SMIME_KEY_FILE": {"KSP_SMIME_CERT_FILE": str(cert), "KSP_SMIME_KEY_FILE": str(key)},
        "KSP_SMIME_TRUST_ANCHORS": {"KSP_SMIME_TRUST_ANCHORS": str(key)},
        "KSP_SMIME_CRLS": {"KSP_SMIME_CRLS": str(tmp_path / "missing.crl")},
    }
    for variable, env in cases.items():
        with pytest.raises(ConfigError, match=variable):
            load_settings({**base, **env})
    key.chmod(0o600)
    anchors = tmp_path / "anchors.pem"
    anchors.write_text(session_ca().anchors_pem)
    good = load_settings(
        {
            **base,
            "KSP_SMIME_CERT_FILE": str(cert),
            "KSP_SMIME_KEY_FILE": str(key),
            "KSP_SMIME_TRUST_ANCHORS": str(anchors),
            "KSP_SMIME_CRLS": f"{anchors},https://crl.example/ca.crl",
        }
    )
    assert good.smime_crls == (str(anchors), "https://crl.example/ca.crl")
    assert "PRIVATE" not in repr(good)


def test_a_crl_signed_by_someone_else_revokes_nothing(tmp_path: Path) -> None:
    """A CRL naming the issuing CA but not signed by it is ignored."""
    ca, other = session_ca(), session_ca("Another Root CA")
    issued = ca.issue("r@politi.dk")
    serial = issued.certificate.serial_number
    forged = x509.load_der_x509_crl(ca.crl(serial, signed_by=other.issuing_key))
    assert forged.issuer == ca.issuing.subject
    crl = tmp_path / "forged.crl"
    crl.write_bytes(forged.public_bytes(serialization.Encoding.PEM))
    policy = TrustPolicy([ca.root, ca.issuing], CrlSources([str(crl)]))
    policy.check(issued.certificate, email="r@politi.dk", now=DEFAULT_NOW)
    assert policy.inspect(
        issued.pem, email="R@politi.dk", expected_fingerprint=None, now=DEFAULT_NOW
    ).expires_at > DEFAULT_NOW + dt.timedelta(days=30)
