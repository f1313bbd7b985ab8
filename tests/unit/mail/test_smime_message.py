"""The S/MIME message as built (RFC 8551): only transport headers and a neutral subject
outside, nothing of the inner message in clear, and a header value that could break out of
its header refused before anything is signed."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from pathlib import Path

import pytest

from ksp.domain.circulation import CirculationContent
from ksp.mail.mime_parts import HeaderRefused, headers_of, inner_bytes
from ksp.mail.smime import build_smime_message
from ksp.mail.smime_identity import SigningIdentity, load_identity
from support.smime_ca import session_ca

SECRET = "Søren Særligfortrolig"


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    home: Path = tmp_path_factory.mktemp("smime-identity")
    return load_identity(cert_pem=None, key_pem=None, data_dir=home, sender="ksp@kf.dk")


def build(identity: SigningIdentity, subject: str) -> bytes:
    headers = headers_of(
        sender="ksp@kf.dk",
        recipient="r@politi.dk",
        message_id="<c.r@kf.dk>",
        date=dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC),
    )
    content = CirculationContent(
        subject=subject,
        html=f"<p>{SECRET}</p>",
        json_name="ksp-liste-v1.json",
        json=f'{{"name": "{SECRET}"}}'.encode(),
    )
    return build_smime_message(
        headers=headers,
        outer_subject="Sikker meddelelse fra KSP-sekretariatet",
        inner=inner_bytes(headers, content),
        identity=identity,
        certificate=session_ca().issue("r@politi.dk").certificate,
    )


def test_only_transport_headers_and_a_neutral_subject_stand_outside(
    identity: SigningIdentity,
) -> None:
    raw = build(identity, "KSP-liste: Møde om Søren, version 1")
    outer = message_from_bytes(raw)
    assert sorted(outer.keys()) == sorted(
        [
            "From",
            "To",
            "Date",
            "Message-ID",
            "Subject",
            "MIME-Version",
            "Content-Type",
            "Content-Transfer-Encoding",
            "Content-Disposition",
        ]
    )
    assert outer["Subject"] == "Sikker meddelelse fra KSP-sekretariatet"
    assert outer.get_param("smime-type") == "enveloped-data"
    for clear in (SECRET.encode(), "Søren".encode(), b"KSP-liste", b"protected-headers"):
        assert clear not in raw
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_a_subject_that_could_break_out_of_its_header_is_refused(
    identity: SigningIdentity,
) -> None:
    with pytest.raises(HeaderRefused) as refused:
        build(identity, "KSP-liste\r\nBcc: x@evil.dk")
    assert refused.value.header == "Subject"
