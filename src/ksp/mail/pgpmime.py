"""PGP/MIME messages (RFC 3156) with protected headers, one recipient each.

The encrypted part holds the whole message: the entity of
:func:`ksp.mail.circulation_parts.circulation_entity` (real headers, the document as HTML,
its canonical JSON, its PDF and the invitation), serialised with CRLF line endings before
encryption. A header value that could break out of its header raises
:class:`~ksp.mail.circulation_parts.HeaderRefused` and no message is built.

Outside stand only what transport needs: From, To, Date, Message-ID, MIME-Version and a
neutral Subject, which must carry no personal data. Whatever ``encrypt`` returns must be
an ASCII-armoured OpenPGP message, or :class:`~ksp.mail.keyring.EncryptionFailed` is raised
and no message is built: plaintext can never end up outside the encryption.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import Message, MIMEPart
from email.parser import BytesParser
from email.utils import format_datetime
from typing import TypeGuard

from ksp.domain.circulation import CirculationContent
from ksp.mail.circulation_parts import MIME_POLICY, HeaderRefused, circulation_entity, set_header
from ksp.mail.keyring import EncryptionFailed

__all__ = ["HeaderRefused", "build_encrypted_message", "read_encrypted_message"]

_POLICY = MIME_POLICY
_READ_POLICY = policy.SMTP
_ARMOUR_BEGIN = "-----BEGIN PGP MESSAGE-----"
_ARMOUR_END = "-----END PGP MESSAGE-----"
_ENCRYPTED = "multipart/encrypted"
_PROTOCOL = "application/pgp-encrypted"


def build_encrypted_message(
    *,
    sender: str,
    recipient: str,
    outer_subject: str,
    message_id: str,
    date: datetime,
    content: CirculationContent,
    encrypt: Callable[[bytes], bytes],
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
    inner = circulation_entity(headers, content)
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


def _is_part(part: object, content_type: str) -> TypeGuard[Message]:
    return isinstance(part, Message) and part.get_content_type() == content_type


def _outer_message(headers: dict[str, str], outer_subject: str) -> MIMEPart:
    outer = MIMEPart(policy=_POLICY)
    for name, value in {**headers, "Subject": outer_subject, "MIME-Version": "1.0"}.items():
        set_header(outer, name, value)
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
