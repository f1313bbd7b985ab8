"""The SecureMail adapter: the helper modules ``gpg`` and ``pgpmime`` behind one port.

Every rejection of a key becomes :class:`~ksp.domain.errors.RecipientKeyUnusable` with a
fixed reason; encryption failing raises, so a message is never built without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

from ksp.domain.circulation import CirculationContent
from ksp.domain.errors import FieldError, InvalidInput, RecipientKeyUnusable
from ksp.mail.key_policy import KeyRejected
from ksp.mail.keyring import Keyring
from ksp.mail.pgpmime import HeaderRefused, build_encrypted_message
from ksp.mail.recipient_key import inspect_key, is_revoked_copy

__all__ = ["OUTER_SUBJECT", "GpgSecureMail"]

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

    def seal(
        self,
        *,
        to: str,
        fingerprint: str,
        content: CirculationContent,
        message_id: str,
        date: dt.datetime,
    ) -> bytes:
        """``content`` (the document's parts and the invitation) inside the encryption."""
        try:
            return build_encrypted_message(
                sender=self._sender,
                recipient=to,
                outer_subject=OUTER_SUBJECT,
                message_id=message_id,
                date=date,
                content=content,
                encrypt=lambda data: self._keyring.encrypt_and_sign(data, fingerprint),
            )
        except HeaderRefused as exc:
            field = _FIELD_OF_HEADER.get(exc.header, "mail")
            raise InvalidInput([FieldError(field, "cannot be put in a mail header")]) from None

    def signing_fingerprint(self) -> str:
        """The service key's fingerprint; importing the configured key if not yet done."""
        return self._keyring.service_fingerprint()

    def public_key(self) -> str:
        """The service's OpenPGP public key, so recipients can verify its signatures."""
        return self._keyring.service_public_key()

    def close(self) -> None:
        self._keyring.close()
