"""PGP/MIME round trip: only the recipient reads it, the service signed it, nothing leaks."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

import pytest

from ksp.domain.circulation import CirculationContent
from ksp.mail.keyring import EncryptionFailed, Keyring
from ksp.mail.pgpmime import build_encrypted_message, read_encrypted_message
from support.keys import YESTERDAY, KeyMaker

SENDER = "KSP <ksp@x.dk>"
RECIPIENT = "Rita Ravn <rita@x.dk>"
SUBJECT = "KSP-liste for Søren Ærbøl, CPR 010190-1234"
OUTER_SUBJECT = "KSP: ny liste"
MESSAGE_ID = "<3f1c0a9e.list-17@ksp.example>"
DATE = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
HTML = "<html><body><h1>KSP-liste</h1><p>Søren Ærbøl, borgerservice</p></body></html>"
JSON = '{"concern":"Søren Ærbøl","cpr":"0101901234","items":[1,2.5,null]}'.encode()
ATTACHMENT = "ksp-liste-17.json"
PDF = b"%PDF-1.7\n\x00\xff binary bytes of the document\n%%EOF\n"
PDF_NAME = "ksp-liste-17.pdf"


@dataclass(frozen=True)
class Sent:
    raw: bytes
    service: Keyring
    rita: KeyMaker
    otto: KeyMaker
    rita_fingerprint: str


def build(encrypt: object, *, subject: str = SUBJECT, **overrides: object) -> bytes:
    content = CirculationContent(
        subject=subject,
        html=HTML,
        json_name=ATTACHMENT,
        json=JSON,
        pdf_name=PDF_NAME,
        pdf=PDF,
    )
    arguments: dict[str, object] = {
        "sender": SENDER,
        "recipient": RECIPIENT,
        "outer_subject": OUTER_SUBJECT,
        "message_id": MESSAGE_ID,
        "date": DATE,
        "content": content,
        "encrypt": encrypt,
    }
    return build_encrypted_message(**{**arguments, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sent]:
    """One message from the service to Rita; Otto has a key of his own, and the service's."""
    base = tmp_path_factory.mktemp("pgpmime")
    service = Keyring(base / "service", sender_email="ksp@x.dk")
    rita, otto = KeyMaker(base / "rita"), KeyMaker(base / "otto")
    rita_fingerprint = rita.make(RECIPIENT, at=YESTERDAY)
    otto.make("Otto <otto@x.dk>", at=YESTERDAY)
    service.import_recipient(rita.public(rita_fingerprint))
    for maker in (rita, otto):
        maker.gpg("--import", stdin=service.service_public_key().encode())
    raw = build(lambda inner: service.encrypt_and_sign(inner, rita_fingerprint))
    try:
        yield Sent(raw, service, rita, otto, rita_fingerprint)
    finally:
        for closing in (service, rita, otto):
            closing.close()


def inner_of(sent: Sent) -> EmailMessage:
    _outer, payload = read_encrypted_message(sent.raw)
    result = sent.rita.decrypt(payload)
    assert result.ok
    inner = BytesParser(policy=policy.default).parsebytes(result.data)
    assert isinstance(inner, EmailMessage)
    return inner


def test_the_recipient_decrypts_it_and_the_service_key_signed_it(sent: Sent) -> None:
    """Rita's own keyring decrypts; the signature is valid and by the service's key."""
    _outer, payload = read_encrypted_message(sent.raw)
    result = sent.rita.decrypt(payload)
    assert result.ok
    assert result.valid
    assert result.fingerprint == result.pubkey_fingerprint == sent.service.service_fingerprint()


def test_another_recipients_key_cannot_decrypt_it(sent: Sent) -> None:
    """Otto holds a key and the service's public key, but the message was not for him."""
    _outer, payload = read_encrypted_message(sent.raw)
    result = sent.otto.decrypt(payload)
    assert not result.ok
    assert not result.data


def test_the_real_headers_are_protected_headers_inside(sent: Sent) -> None:
    """multipart/mixed with protected-headers="v1", carrying the real subject and the rest."""
    inner = inner_of(sent)
    assert inner.get_content_type() == "multipart/mixed"
    assert inner.get_param("protected-headers") == "v1"
    assert str(inner["Subject"]) == SUBJECT
    assert str(inner["From"]) == SENDER
    assert str(inner["To"]) == RECIPIENT
    assert str(inner["Message-ID"]) == MESSAGE_ID
    assert inner["Date"].datetime == DATE


def test_inside_are_the_html_document_and_the_exact_json_and_pdf_bytes(sent: Sent) -> None:
    """The HTML as UTF-8 text; the attachments, in base64, are byte for byte the input."""
    html, attachment, pdf = inner_of(sent).iter_parts()
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == PDF_NAME
    assert pdf["Content-Transfer-Encoding"] == "base64"
    assert pdf.get_payload(decode=True) == PDF
    assert html.get_content_type() == "text/html"
    assert html.get_content_charset() == "utf-8"
    assert html.get_content() == HTML + "\r\n"  # text in canonical form: CRLF
    assert attachment.get_content_type() == "application/json"
    assert attachment.get_filename() == ATTACHMENT
    assert attachment["Content-Transfer-Encoding"] == "base64"
    assert attachment.get_payload(decode=True) == JSON


def test_outside_are_only_transport_headers_and_the_neutral_subject(sent: Sent) -> None:
    """From, To, Date, Message-ID, MIME-Version, the outer subject and the RFC 3156 type."""
    outer, _payload = read_encrypted_message(sent.raw)
    assert sorted(outer.keys()) == sorted(
        ["From", "To", "Date", "Message-ID", "MIME-Version", "Subject", "Content-Type"]
    )
    assert str(outer["Subject"]) == OUTER_SUBJECT
    assert (str(outer["From"]), str(outer["To"])) == (SENDER, RECIPIENT)
    assert str(outer["Message-ID"]) == MESSAGE_ID
    assert outer.get_content_type() == "multipart/encrypted"
    assert outer.get_param("protocol") == "application/pgp-encrypted"
    version, body = outer.get_payload()  # type: ignore[misc]
    assert version.get_payload() == "Version: 1\r\n"
    assert body.get_content_type() == "application/octet-stream"


def test_the_raw_message_holds_no_subject_document_or_json(sent: Sent) -> None:
    """Not in plain text, not in base64, not in MIME's encoded words."""
    raw = sent.raw
    secrets = [SUBJECT, "Ærbøl", "010190", HTML, "borgerservice", JSON.decode()]
    for secret in secrets:
        data = secret.encode()
        assert data not in raw
        assert base64.b64encode(data)[:12] not in raw
    assert b"Ravn <rita@x.dk>" in raw  # the transport headers are there


def test_the_message_has_crlf_line_endings_and_short_lines(sent: Sent) -> None:
    """SMTP-ready: every line ends in CRLF and none is longer than 78 characters."""
    assert sent.raw.endswith(b"\r\n")
    assert not re.search(rb"[^\r]\n|\r[^\n]", sent.raw)
    assert max(len(line) for line in sent.raw.split(b"\r\n")) <= 78


@pytest.mark.parametrize(
    "encrypt",
    [
        lambda inner: inner,
        lambda inner: b"-----BEGIN PGP MESSAGE-----\n" + inner,
        lambda _inner: b"",
        lambda _inner: "-----BEGIN PGP MESSAGE-----\nø\n-----END PGP MESSAGE-----\n".encode(),
    ],
    ids=["identity", "header-only", "empty", "not-ascii"],
)
def test_what_is_not_an_openpgp_message_is_never_sent(encrypt: object) -> None:
    """An encrypt function that returns anything else builds no message at all."""
    with pytest.raises(EncryptionFailed):
        build(encrypt)


def test_an_encryption_failure_builds_no_message(sent: Sent) -> None:
    """A recipient who cannot be encrypted to: the error comes through, no bytes."""
    with pytest.raises(EncryptionFailed):
        build(lambda inner: sent.service.encrypt_and_sign(inner, "0" * 40))


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "KSP\r\nBcc: eve@x.dk"},
        {"outer_subject": "KSP\nBcc: eve@x.dk"},
        {"recipient": "rita@x.dk\r\nBcc: eve@x.dk"},
        {"date": datetime(2026, 11, 27, 9, 30)},  # noqa: DTZ001 - the naive date is the point
    ],
    ids=["subject", "outer-subject", "recipient", "naive-date"],
)
def test_header_injection_and_naive_dates_are_refused(overrides: dict[str, object]) -> None:
    """Line breaks cannot add headers; a date without a time zone is refused."""
    with pytest.raises(ValueError, match=r"."):
        build(lambda _inner: pytest.fail("nothing may be encrypted"), **overrides)


def test_only_pgp_mime_encrypted_messages_are_read() -> None:
    """A plain message is not mistaken for an encrypted one."""
    plain = EmailMessage()
    plain["Subject"] = "hi"
    plain.set_content("hello")
    with pytest.raises(ValueError, match="PGP/MIME"):
        read_encrypted_message(plain.as_bytes())
    assert isinstance(plain, Message)
