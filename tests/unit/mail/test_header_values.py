"""Finding 3: no header value can break out of its header in a PGP/MIME message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ksp.domain.circulation import CirculationContent
from ksp.mail.pgpmime import HeaderRefused, build_encrypted_message

ARMOUR = b"-----BEGIN PGP MESSAGE-----\n\nwcBMA0\n-----END PGP MESSAGE-----\n"
INJECTIONS = [
    "KSP-liste: =?utf-8?q?x=0D=0AReply-To:_evil@example.org?=, version 1",
    "KSP-liste: =?utf-8?b?DQpGcm9tOiBldmlsQGV4YW1wbGUub3Jn?=",
    "KSP-liste: x\r\nReply-To: evil@example.org",
    "KSP-liste: x\nFrom: evil@example.org",
    "KSP-liste: x\u2028Reply-To: evil@example.org",
    "KSP-liste: x\x85Reply-To: evil@example.org",
    "KSP-liste: x\x0bReply-To: evil@example.org",
    "KSP-liste: x\u202eReply-To",
]


class Encryptions:
    """Counts what would have been encrypted: nothing, when a header is refused."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, _data: bytes) -> bytes:
        self.calls += 1
        return ARMOUR


def build(encrypt: Encryptions, **overrides: str) -> bytes:
    values = {
        "sender": "ksp@kriminalforsorgen.dk",
        "recipient": "rita@kommune.dk",
        "outer_subject": "Sikker meddelelse fra KSP-sekretariatet",
        "message_id": "<c1.r1@kriminalforsorgen.dk>",
        **overrides,
    }
    subject = values.pop("subject", "KSP-liste: Møde, version 1")
    content = CirculationContent(
        subject=subject, html="<p>KSP</p>", json_name="ksp-liste-v1.json", json=b"{}"
    )
    return build_encrypted_message(
        **values,
        date=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        content=content,
        encrypt=encrypt,
    )


@pytest.mark.parametrize("subject", INJECTIONS)
def test_a_subject_that_would_add_a_header_is_refused_before_anything_is_encrypted(
    subject: str,
) -> None:
    """An encoded word holding =0D=0A, or any line break, never reaches the header block."""
    encrypt = Encryptions()
    with pytest.raises(HeaderRefused) as refused:
        build(encrypt, subject=subject)
    assert refused.value.header == "Subject"
    assert encrypt.calls == 0


@pytest.mark.parametrize(
    "recipient",
    [
        "=?utf-8?q?a=0D=0ABcc:_x@example.org?=@kommune.dk",
        "rita@kommune.dk\r\nBcc: evil@example.org",
        "rita@kommune.dk\u2029",
    ],
)
def test_a_recipient_that_would_add_a_header_is_refused(recipient: str) -> None:
    """The To header (outer and inner) takes an address and nothing more."""
    encrypt = Encryptions()
    with pytest.raises(HeaderRefused) as refused:
        build(encrypt, recipient=recipient)
    assert refused.value.header == "To"
    assert encrypt.calls == 0


def test_a_header_the_parser_would_change_is_refused() -> None:
    """A value must read back exactly as given (here a To that is not one address)."""
    with pytest.raises(HeaderRefused):
        build(Encryptions(), recipient="rita@kommune.dk, otto@kommune.dk (x")


def test_a_plain_subject_with_danish_letters_is_kept_as_it_is() -> None:
    """The check refuses tricks, not text: æøå reach the inner header intact."""
    encrypt = Encryptions()
    raw = build(encrypt, subject="KSP-liste: Møde i Århus, version 2")
    assert encrypt.calls == 1
    assert b"Reply-To" not in raw
