"""The SecureMail adapter: the recipient's envelope chosen by their key's format, or, for a
notice recipient, the content's notice, S/MIME-signed and not encrypted.

:class:`GpgSecureMail` wraps the helper modules ``gpg`` and ``pgpmime`` (PGP/MIME);
:class:`~ksp.mail.smime_mail.SmimeSecureMail` the S/MIME ones; :class:`EnvelopeMail` puts
both behind the one port, building the inner message once per recipient
(:mod:`ksp.mail.mime_parts`) and handing its bytes to the envelope. Every rejection of a
key or certificate becomes :class:`~ksp.domain.errors.RecipientKeyUnusable` with a fixed
reason; encryption failing raises, so a message is never built without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Mapping, Sequence

from ksp.domain.circulation import CirculationContent, DeliveryMode, KeyFormat
from ksp.domain.errors import FieldError, InvalidInput, RecipientKeyUnusable
from ksp.mail.key_policy import KeyRejected
from ksp.mail.keyring import Keyring
from ksp.mail.mime_parts import HeaderRefused, headers_of, inner_bytes
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
        self.sender = sender
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

    def usable_all(self, fingerprints: Sequence[str], now: dt.datetime) -> set[str]:
        """Which of the fingerprints' keys are usable now, in one gpg call."""
        return self._keyring.usable_all(fingerprints, now)

    def message_id(self, local_part: str) -> str:
        return f"<{local_part}@{self._domain}>"

    def envelope(
        self, *, fingerprint: str, headers: Mapping[str, str], outer_subject: str, inner: bytes
    ) -> bytes:
        """``inner`` encrypted to the pinned key and signed (PGP/MIME), ``headers`` outside."""
        return build_encrypted_message(
            headers=headers,
            outer_subject=outer_subject,
            inner=inner,
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

    def usable_all(
        self, fingerprints: Sequence[str], now: dt.datetime, key_format: KeyFormat
    ) -> set[str]:
        """Which of the keys (all of ``key_format``) are usable now: the OpenPGP ones in one
        gpg listing, the certificates each against the trust policy."""
        if key_format is KeyFormat.OPENPGP:
            return self.gpg.usable_all(fingerprints, now)
        return {f for f in fingerprints if self.smime.usable(f, now)}

    def seal(
        self,
        *,
        key_format: KeyFormat,
        to: str,
        fingerprint: str,
        content: CirculationContent,
        message_id: str,
        date: dt.datetime,
        delivery: DeliveryMode = DeliveryMode.ENCRYPTED,
    ) -> bytes:
        """One recipient's message, the one place that chooses it: for a notice recipient
        the content's notice, S/MIME-signed and not encrypted (no key needed); otherwise the
        inner message built once (:func:`inner_bytes`), in the envelope of their key's
        format. A value that cannot be a header is the request's error (422 on the field it
        came from), and nothing is built."""
        try:
            headers = headers_of(
                sender=self.gpg.sender, recipient=to, message_id=message_id, date=date
            )
            if delivery is DeliveryMode.NOTICE:
                if content.notice is None:
                    raise ValueError("a notice recipient's mail needs the content's notice")
                return self.smime.signed_notice(headers=headers, notice=content.notice)
            inner = inner_bytes(headers, content)
            envelope = self.smime.envelope if key_format is KeyFormat.SMIME else self.gpg.envelope
            return envelope(
                fingerprint=fingerprint, headers=headers, outer_subject=OUTER_SUBJECT, inner=inner
            )
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
