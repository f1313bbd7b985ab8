"""The SecureMail adapter: the recipient's envelope chosen by their key's format.

:class:`GpgSecureMail` wraps the helper modules ``gpg`` and ``pgpmime`` (PGP/MIME);
:class:`~ksp.mail.smime_mail.SmimeSecureMail` the S/MIME ones; :class:`EnvelopeMail` puts
both behind the one port. Every rejection of a key or certificate becomes
:class:`~ksp.domain.errors.RecipientKeyUnusable` with a fixed reason; encryption failing
raises, so a message is never built without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from typing import Any

from ksp.domain.circulation import KeyFormat
from ksp.domain.errors import FieldError, InvalidInput, RecipientKeyUnusable
from ksp.mail.key_policy import KeyRejected
from ksp.mail.keyring import Keyring
from ksp.mail.mime_parts import HeaderRefused
from ksp.mail.pgpmime import build_encrypted_message
from ksp.mail.recipient_key import inspect_key, is_revoked_copy
from ksp.mail.smime_mail import SmimeSecureMail

__all__ = ["OUTER_SUBJECT", "EnvelopeMail", "GpgSecureMail"]

OUTER_SUBJECT = "Sikker meddelelse fra KSP-sekretariatet"
# The field a refused header value came from (data stored before the text rules held).
_FIELD_OF_HEADER = {"Subject": "title", "To": "email"}


class GpgSecureMail:
    def __init__(self, keyring: Keyring, *, sender: str) -> None:
        self._keyring = keyring
        self._sender = sender
        self._pin_lock = threading.Lock()
        self._pinned: dict[bytes, str] = {}  # digest of an armoured key imported → fingerprint
        self._domain = sender.rpartition("@")[2] or "ksp.invalid"

    def check_key(
        self, armored: str, *, email: str, fingerprint: str | None, now: dt.datetime
    ) -> tuple[str, dt.datetime | None]:
        try:
            info = inspect_key(armored, email=email, expected_fingerprint=fingerprint, now=now)
        except KeyRejected as exc:
            raise RecipientKeyUnusable(str(exc.reason)) from None
        return info.fingerprint, info.expires_at

    def pin(self, armored: str) -> str:
        """Import into the service keyring, one import at a time (gpg's keyring files do not
        take two writers; a concurrent import failed with exit status 2). A key this
        process imported already is not imported again."""
        digest = hashlib.sha256(armored.encode()).digest()
        with self._pin_lock:
            known = self._pinned.get(digest)
            if known is not None:
                return known
            try:
                fingerprint = self._keyring.import_recipient(armored)
            except KeyRejected as exc:
                raise RecipientKeyUnusable(str(exc.reason)) from None
            self._pinned[digest] = fingerprint
            return fingerprint

    def revoked_copy(self, armored: str, pinned: str) -> bool:
        """Whether ``armored`` is the pinned key, revoked by its owner."""
        return is_revoked_copy(armored, pinned)

    def usable(self, fingerprint: str, now: dt.datetime) -> bool:
        return self._keyring.usable_now(fingerprint, now)

    def message_id(self, local_part: str) -> str:
        return f"<{local_part}@{self._domain}>"

    def seal(  # noqa: PLR0913 - keyword-only, one per part of the message
        self,
        *,
        to: str,
        fingerprint: str,
        subject: str,
        html: str,
        attachment_name: str,
        attachment_json: bytes,
        message_id: str,
        date: dt.datetime,
        calendar: bytes | None = None,
    ) -> bytes:
        """``calendar``: the meeting's RFC 5545 invitation, carried inside the encryption."""
        return build_encrypted_message(
            sender=self._sender,
            recipient=to,
            subject=subject,
            outer_subject=OUTER_SUBJECT,
            message_id=message_id,
            date=date,
            html=html,
            attachment_name=attachment_name,
            attachment_json=attachment_json,
            calendar=calendar,
            encrypt=lambda data: self._keyring.encrypt_and_sign(data, fingerprint),
        )

    def signing_fingerprint(self) -> str:
        """The service key's fingerprint; importing the configured key if not yet done."""
        return self._keyring.service_fingerprint()

    def public_key(self) -> str:
        """The service's OpenPGP public key, so recipients can verify its signatures."""
        return self._keyring.service_public_key()

    def close(self) -> None:
        self._keyring.close()


class EnvelopeMail:
    """The ``SecureMail`` port: PGP/MIME or S/MIME, as the recipient's key format says."""

    def __init__(self, gpg: GpgSecureMail, smime: SmimeSecureMail) -> None:
        self.gpg = gpg
        self.smime = smime

    def check_key(
        self,
        material: str,
        *,
        key_format: KeyFormat,
        email: str,
        fingerprint: str | None,
        now: dt.datetime,
    ) -> tuple[str, dt.datetime | None]:
        return self._of(key_format).check_key(
            material, email=email, fingerprint=fingerprint, now=now
        )

    def pin(self, material: str, key_format: KeyFormat) -> str:
        return self._of(key_format).pin(material)

    def revoked_copy(self, material: str, pinned: str, key_format: KeyFormat) -> bool:
        """Only an OpenPGP key carries its owner's revocation; certificates have CRLs."""
        return key_format is KeyFormat.OPENPGP and self.gpg.revoked_copy(material, pinned)

    def usable(self, fingerprint: str, now: dt.datetime, key_format: KeyFormat) -> bool:
        return self._of(key_format).usable(fingerprint, now)

    def message_id(self, local_part: str) -> str:
        return self.gpg.message_id(local_part)

    def seal(  # noqa: PLR0913 - keyword-only, one per part of the message
        self,
        *,
        key_format: KeyFormat,
        to: str,
        fingerprint: str,
        subject: str,
        html: str,
        attachment_name: str,
        attachment_json: bytes,
        message_id: str,
        date: dt.datetime,
        calendar: bytes | None = None,
    ) -> bytes:
        """One recipient's message in their envelope; a value that cannot be a header is
        the request's error (422 on the field it came from), and nothing is built."""
        parts: dict[str, Any] = {
            "to": to,
            "fingerprint": fingerprint,
            "subject": subject,
            "html": html,
            "attachment_name": attachment_name,
            "attachment_json": attachment_json,
            "message_id": message_id,
            "date": date,
            "calendar": calendar,
        }
        try:
            if key_format is KeyFormat.SMIME:
                return self.smime.seal(outer_subject=OUTER_SUBJECT, **parts)
            return self.gpg.seal(**parts)
        except HeaderRefused as exc:
            field = _FIELD_OF_HEADER.get(exc.header, "mail")
            raise InvalidInput([FieldError(field, "cannot be put in a mail header")]) from None

    def signing_fingerprint(self) -> str:
        return self.gpg.signing_fingerprint()

    def public_key(self) -> str:
        return self.gpg.public_key()

    def close(self) -> None:
        self.gpg.close()

    def _of(self, key_format: KeyFormat) -> GpgSecureMail | SmimeSecureMail:
        return self.smime if key_format is KeyFormat.SMIME else self.gpg
