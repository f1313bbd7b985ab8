"""The S/MIME envelope behind the application's ``SecureMail`` port.

A certificate is checked by :class:`~ksp.mail.smime_policy.TrustPolicy` when it is
registered and again before every circulation (:meth:`SmimeSecureMail.usable`, at that
moment, against the CRLs held then); pinned certificates are kept in memory by fingerprint
(each circulation pins the certificate on record first, as the OpenPGP keys are). The
service's signing identity is loaded, or made, on first use.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography import x509

from ksp.domain.circulation import Notice
from ksp.domain.errors import RecipientKeyUnusable
from ksp.mail.smime import build_signed_notice, build_smime_message
from ksp.mail.smime_identity import SigningIdentity, load_identity
from ksp.mail.smime_policy import (
    CertificateRejected,
    TrustPolicy,
    certificate_fingerprint,
    parse_certificate,
)

__all__ = ["SmimeSecureMail"]


class SmimeSecureMail:
    def __init__(
        self,
        trust: TrustPolicy,
        *,
        sender: str,
        identity: Callable[[], SigningIdentity],
    ) -> None:
        self._trust = trust
        self._sender = sender
        self._load_identity = identity
        self._identity: SigningIdentity | None = None
        self._lock = threading.Lock()
        self._pinned: dict[str, x509.Certificate] = {}

    @classmethod
    def from_files(
        cls,
        trust: TrustPolicy,
        *,
        sender: str,
        data_dir: Path,
        cert_pem: str | None,
        key_pem: str | None,
    ) -> SmimeSecureMail:
        return cls(
            trust,
            sender=sender,
            identity=lambda: load_identity(
                cert_pem=cert_pem, key_pem=key_pem, data_dir=data_dir, sender=sender
            ),
        )

    def check_key(
        self, pem: str, *, email: str, fingerprint: str | None, now: dt.datetime
    ) -> tuple[str, dt.datetime | None]:
        try:
            info = self._trust.inspect(pem, email=email, expected_fingerprint=fingerprint, now=now)
        except CertificateRejected as exc:
            raise RecipientKeyUnusable(exc.reason.value) from None
        return info.fingerprint, info.expires_at

    def pin(self, pem: str) -> str:
        try:
            certificate = parse_certificate(pem)
        except CertificateRejected as exc:
            raise RecipientKeyUnusable(exc.reason.value) from None
        fingerprint = certificate_fingerprint(certificate)
        with self._lock:
            self._pinned[fingerprint] = certificate
        return fingerprint

    def usable(self, fingerprint: str, now: dt.datetime) -> bool:
        """The pinned certificate still chains, is valid 30 more days and is not revoked."""
        certificate = self._pinned.get(fingerprint)
        if certificate is None:
            return False
        try:
            self._trust.check(certificate, email=None, now=now)
        except CertificateRejected:
            return False
        return True

    def envelope(
        self, *, fingerprint: str, headers: Mapping[str, str], outer_subject: str, inner: bytes
    ) -> bytes:
        """``inner`` signed and enveloped to the pinned certificate, ``headers`` outside."""
        certificate = self._pinned.get(fingerprint)
        if certificate is None:
            raise RecipientKeyUnusable("not the key on record")
        return build_smime_message(
            headers=headers,
            outer_subject=outer_subject,
            inner=inner,
            identity=self.identity(),
            certificate=certificate,
        )

    def signed_notice(self, *, headers: Mapping[str, str], notice: Notice) -> bytes:
        """A notice recipient's message: the notice, signed by the service, not encrypted."""
        return build_signed_notice(headers=headers, notice=notice, identity=self.identity())

    def identity(self) -> SigningIdentity:
        with self._lock:
            if self._identity is None:
                self._identity = self._load_identity()
            return self._identity
