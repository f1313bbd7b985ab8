"""PGP/MIME messages (RFC 3156) with protected headers, one recipient each.

The encrypted part holds the whole message: a ``multipart/mixed; protected-headers="v1"``
entity whose own Subject, From, To, Message-ID and Date are the real ones (as mail
clients that support protected headers show them), with the rendered document as
``text/html`` and its canonical JSON as an ``application/json`` attachment in base64, so
its bytes arrive exactly. It is serialised with CRLF line endings before encryption.

Every header value is checked before it is set (:func:`ksp.domain.text.header_problem`:
no line break of any kind, no RFC 2047 encoded word, which the header parser would decode
into a raw CRLF, no control or hidden character) and again after the parser took it: it must
read back exactly as given. The policy raises on any defect. A value that fails raises
:class:`HeaderRefused` and no message is built.

Outside stand only what transport needs: From, To, Date, Message-ID, MIME-Version and a
neutral Subject, which must carry no personal data. Whatever ``encrypt`` returns must be
an ASCII-armoured OpenPGP message, or :class:`~ksp.mail.keyring.EncryptionFailed` is raised
and no message is built: plaintext can never end up outside the encryption.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email import policy
from email.errors import MessageError
from email.message import Message, MIMEPart
from email.parser import BytesParser
from email.utils import format_datetime
from typing import TypeGuard

from ksp.domain.text import header_problem
from ksp.mail.keyring import EncryptionFailed
from ksp.mail.receipt_part import receipt_part

__all__ = ["HeaderRefused", "build_encrypted_message", "read_encrypted_message"]

# CRLF line endings, headers folded at 78 characters, bodies never folded; building raises
# on any defect the header parser finds. Reading uses the plain policy.
_POLICY = policy.SMTP.clone(raise_on_defect=True)
_READ_POLICY = policy.SMTP
_ARMOUR_BEGIN = "-----BEGIN PGP MESSAGE-----"
_ARMOUR_END = "-----END PGP MESSAGE-----"
_ENCRYPTED = "multipart/encrypted"
_PROTOCOL = "application/pgp-encrypted"


def build_encrypted_message(  # noqa: PLR0913 - keyword-only, one per part of the message
    *,
    sender: str,
    recipient: str,
    subject: str,
    outer_subject: str,
    message_id: str,
    date: datetime,
    html: str,
    attachment_name: str,
    attachment_json: bytes,
    encrypt: Callable[[bytes], bytes],
    calendar: bytes | None = None,
    receipt: str | None = None,
) -> bytes:
    """The RFC 5322 bytes of the PGP/MIME message; ``encrypt`` gets the inner entity."""
    if date.tzinfo is None:
        raise ValueError("the date must be an aware datetime")
    headers = {
        "From": sender,
        "To": recipient,
        "Date": format_datetime(date),
        "Message-ID": message_id,
    }
    outer = _outer_message(headers, outer_subject)  # a bad header stops before encryption
    inner = _inner_entity({"Subject": subject, **headers}, html, attachment_name, attachment_json)
    if calendar is not None:
        _add_invitation(inner, calendar)
    if receipt is not None:
        receipt_part(inner, receipt, attachment_name)
    armour = _armour_of(encrypt(inner.as_bytes(policy=_POLICY)))
    for part in _encrypted_parts(armour):
        outer.attach(part)
    return outer.as_bytes(policy=_POLICY)


def read_encrypted_message(raw: bytes) -> tuple[Message, bytes]:
    """The outer message and its armoured OpenPGP payload; ValueError if not PGP/MIME."""
    message = BytesParser(policy=_READ_POLICY).parsebytes(raw)
    parts = message.get_payload()
    if (
        message.get_content_type() != _ENCRYPTED
        or message.get_param("protocol") != _PROTOCOL
        or not isinstance(parts, list)
        or len(parts) != 2
    ):
        raise ValueError("not a PGP/MIME encrypted message")
    version, body = parts
    if not (_is_part(version, _PROTOCOL) and _is_part(body, "application/octet-stream")):
        raise ValueError("not a PGP/MIME encrypted message")
    if b"Version: 1" not in (version.get_payload(decode=True) or b""):
        raise ValueError("not a PGP/MIME encrypted message")
    payload = body.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload.startswith(_ARMOUR_BEGIN.encode()):
        raise ValueError("the encrypted part is not an armoured OpenPGP message")
    return message, payload


class HeaderRefused(ValueError):
    """A header value that could break out of its header; ``header`` names which."""

    def __init__(self, header: str, problem: str) -> None:
        super().__init__(f"the {header} header {problem}")
        self.header = header


def _set_header(part: MIMEPart, name: str, value: str) -> None:
    """Set one header, refusing a value that is not exactly one header's worth of text."""
    if problem := header_problem(value):
        raise HeaderRefused(name, problem)
    try:
        part[name] = value
    except (ValueError, LookupError, MessageError):  # a defect, or the parser failing
        raise HeaderRefused(name, "is not well formed") from None
    parsed = str(part[name])
    if parsed != value or header_problem(parsed):
        raise HeaderRefused(name, "does not read back as it was given")


def _is_part(part: object, content_type: str) -> TypeGuard[Message]:
    return isinstance(part, Message) and part.get_content_type() == content_type


def _outer_message(headers: dict[str, str], outer_subject: str) -> MIMEPart:
    outer = MIMEPart(policy=_POLICY)
    for name, value in {**headers, "Subject": outer_subject, "MIME-Version": "1.0"}.items():
        _set_header(outer, name, value)
    outer["Content-Type"] = f'{_ENCRYPTED}; protocol="{_PROTOCOL}"'
    return outer


def _encrypted_parts(armour: bytes) -> tuple[MIMEPart, MIMEPart]:
    """RFC 3156's two parts: the version identification and the armoured message."""
    version = MIMEPart(policy=_POLICY)
    version.set_content(b"Version: 1\r\n", "application", "pgp-encrypted", cte="7bit")
    version["Content-Description"] = "PGP/MIME version identification"
    body = MIMEPart(policy=_POLICY)
    body.set_content(
        armour,
        "application",
        "octet-stream",
        cte="7bit",
        disposition="inline",
        filename="encrypted.asc",
    )
    body["Content-Description"] = "OpenPGP encrypted message"
    return version, body


def _add_invitation(inner: MIMEPart, calendar: bytes) -> None:
    """The invitation as ``text/calendar; method=…`` (REQUEST, or CANCEL once cancelled),
    the part mail clients show as a meeting invitation."""
    method = "CANCEL" if b"METHOD:CANCEL" in calendar else "REQUEST"
    inner.add_attachment(
        calendar.decode("utf-8"),
        subtype="calendar",
        charset="utf-8",
        cte="quoted-printable",
        filename="invitation.ics",
        params={"method": method},
    )


def _inner_entity(
    headers: dict[str, str], html: str, attachment_name: str, attachment_json: bytes
) -> MIMEPart:
    inner = MIMEPart(policy=_POLICY)
    for name, value in headers.items():
        _set_header(inner, name, value)
    inner.set_content(html, subtype="html", charset="utf-8", cte="quoted-printable")
    inner.add_attachment(
        attachment_json, "application", "json", cte="base64", filename=attachment_name
    )
    inner.set_param("protected-headers", "v1")
    return inner


def _armour_of(encrypted: bytes) -> bytes:
    """``encrypted`` if it is one ASCII-armoured OpenPGP message and nothing else."""
    try:
        text = encrypted.decode("ascii").strip()
    except UnicodeDecodeError:
        raise EncryptionFailed("the encrypted part is not ASCII armour") from None
    if not (text.startswith(_ARMOUR_BEGIN) and text.endswith(_ARMOUR_END)):
        raise EncryptionFailed("the encrypted part is not an armoured OpenPGP message")
    if text.count(_ARMOUR_BEGIN) != 1:
        raise EncryptionFailed("the encrypted part is not one OpenPGP message")
    return (text + "\n").encode("ascii")
