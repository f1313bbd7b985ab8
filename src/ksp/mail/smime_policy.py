"""Whether a recipient's X.509 certificate may carry S/MIME mail to them (RFC 8550).

A certificate is taken only if it is exactly one PEM certificate of at most
:data:`MAX_CERTIFICATE_BYTES` (DER), chains to one of the trust anchors now and 30 days on
(``cryptography``'s X.509 path validation, with the web PKI's rules for the CAs), holds an
RSA key of at least 2048 bits whose key usage allows key encipherment, names the
recipient's address among its e-mail SANs (compared as the OpenPGP user IDs are), and is
listed by none of the CRLs held for its issuers. Each refusal is a
:class:`CertificateRejected` with a fixed reason; no part of the certificate goes into it.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.verification import (
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from ksp.domain.circulation import comparable_address
from ksp.mail.smime_crls import CrlUnavailable

__all__ = [
    "MAX_CERTIFICATE_BYTES",
    "CertificateInfo",
    "CertificateProblem",
    "CertificateRejected",
    "TrustPolicy",
    "certificate_fingerprint",
    "parse_certificate",
]

MAX_CERTIFICATE_BYTES = 16_384  # DER; real S/MIME certificates are 1-3 KB
MIN_RSA_BITS = 2048
MIN_VALIDITY = timedelta(days=30)
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")


class CertificateProblem(StrEnum):
    TOO_LARGE = "certificate too large"
    NOT_PEM = "not a PEM X.509 certificate"
    PRIVATE_KEY = "a private key, not a certificate"
    NOT_ONE = "not exactly one certificate"
    NOT_YET_VALID = "certificate not yet valid"
    EXPIRED = "certificate expired"
    EXPIRES_SOON = "certificate expires within 30 days"
    UNTRUSTED = "certificate does not chain to a trusted CA"
    NOT_RSA = "certificate key is not RSA"
    KEY_TOO_SMALL = "RSA key under 2048 bits"
    NO_KEY_ENCIPHERMENT = "certificate does not allow key encipherment"
    NO_EMAIL = "certificate does not name the recipient's address"
    REVOKED = "certificate revoked"
    NO_CRL = "revocation cannot be checked: a CRL is unavailable"
    FINGERPRINT_MISMATCH = "fingerprint mismatch"


class CertificateRejected(ValueError):
    def __init__(self, reason: CertificateProblem) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class CertificateInfo:
    fingerprint: str  # SHA-256 of the DER, upper-case hex
    expires_at: datetime
    certificate: x509.Certificate


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def parse_certificate(text: str) -> x509.Certificate:
    """The one PEM certificate in ``text``; refuses anything else, by kind."""
    kinds = _PEM_BLOCK.findall(text)
    if any("PRIVATE KEY" in kind for kind in kinds):
        raise CertificateRejected(CertificateProblem.PRIVATE_KEY)
    if len(text) > MAX_CERTIFICATE_BYTES * 4 // 3 + 1024:
        raise CertificateRejected(CertificateProblem.TOO_LARGE)
    if not kinds or any(kind != "CERTIFICATE" for kind in kinds):
        raise CertificateRejected(CertificateProblem.NOT_PEM)
    if len(kinds) != 1:
        raise CertificateRejected(CertificateProblem.NOT_ONE)
    try:
        certificates = x509.load_pem_x509_certificates(text.encode("ascii"))
    except (ValueError, UnicodeError):
        raise CertificateRejected(CertificateProblem.NOT_PEM) from None
    if len(certificates) != 1:
        raise CertificateRejected(CertificateProblem.NOT_ONE)
    certificate = certificates[0]
    if len(certificate.public_bytes(serialization.Encoding.DER)) > MAX_CERTIFICATE_BYTES:
        raise CertificateRejected(CertificateProblem.TOO_LARGE)
    return certificate


class TrustPolicy:
    """The trust anchors and a source of the CRLs currently held."""

    def __init__(
        self,
        anchors: Sequence[x509.Certificate],
        crls: Callable[[], Sequence[x509.CertificateRevocationList]] = lambda: (),
    ) -> None:
        self._anchors = list(anchors)
        self._crls = crls

    @property
    def anchors(self) -> list[x509.Certificate]:
        return list(self._anchors)

    def inspect(
        self,
        text: str,
        *,
        email: str | None,
        expected_fingerprint: str | None,
        now: datetime,
    ) -> CertificateInfo:
        """The certificate's :class:`CertificateInfo` if it may be used for ``email`` (None:
        the address was checked when it was pinned); :class:`CertificateRejected` if not."""
        certificate = parse_certificate(text)
        fingerprint = certificate_fingerprint(certificate)
        if expected_fingerprint is not None and (
            "".join(expected_fingerprint.split()).upper() != fingerprint
        ):
            raise CertificateRejected(CertificateProblem.FINGERPRINT_MISMATCH)
        self.check(certificate, email=email, now=now)
        return CertificateInfo(fingerprint, certificate.not_valid_after_utc, certificate)

    def check(self, certificate: x509.Certificate, *, email: str | None, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        if certificate.not_valid_before_utc > now:
            raise CertificateRejected(CertificateProblem.NOT_YET_VALID)
        if certificate.not_valid_after_utc < now:
            raise CertificateRejected(CertificateProblem.EXPIRED)
        if certificate.not_valid_after_utc < now + MIN_VALIDITY:
            raise CertificateRejected(CertificateProblem.EXPIRES_SOON)
        chain = self._chain(certificate, now)
        _check_key(certificate)
        if email is not None and not _names(certificate, email):
            raise CertificateRejected(CertificateProblem.NO_EMAIL)
        if self._revoked(chain):
            raise CertificateRejected(CertificateProblem.REVOKED)

    def _chain(self, certificate: x509.Certificate, now: datetime) -> list[x509.Certificate]:
        """The validated path from ``certificate`` to an anchor, now and 30 days on."""
        if not self._anchors:
            raise CertificateRejected(CertificateProblem.UNTRUSTED)
        chain: list[x509.Certificate] = []
        for when in (now, now + MIN_VALIDITY):
            verifier = (
                PolicyBuilder()
                .store(Store(self._anchors))
                .time(when)
                .max_chain_depth(4)
                .extension_policies(
                    ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                    ee_policy=ExtensionPolicy.permit_all(),  # the end entity is checked below
                )
                .build_client_verifier()
            )
            try:
                chain = list(verifier.verify(certificate, []).chain)
            except VerificationError:
                raise CertificateRejected(CertificateProblem.UNTRUSTED) from None
        return chain

    def _revoked(self, chain: list[x509.Certificate]) -> bool:
        """Whether a CRL signed by the issuer of a certificate in ``chain`` lists it."""
        try:
            crls = list(self._crls())
        except CrlUnavailable:
            raise CertificateRejected(CertificateProblem.NO_CRL) from None
        for subject, issuer in itertools.pairwise(chain):
            for crl in crls:
                if crl.issuer != issuer.subject or not crl.is_signature_valid(
                    issuer.public_key()  # type: ignore[arg-type]
                ):
                    continue
                if crl.get_revoked_certificate_by_serial_number(subject.serial_number):
                    return True
        return False


def _check_key(certificate: x509.Certificate) -> None:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise CertificateRejected(CertificateProblem.NOT_RSA)
    if key.key_size < MIN_RSA_BITS:
        raise CertificateRejected(CertificateProblem.KEY_TOO_SMALL)
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # RFC 5280: no key usage extension, no restriction
    if not usage.key_encipherment:
        raise CertificateRejected(CertificateProblem.NO_KEY_ENCIPHERMENT)


def _names(certificate: x509.Certificate, email: str) -> bool:
    wanted = comparable_address(email.strip())
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return False
    addresses = names.value.get_values_for_type(x509.RFC822Name)
    return wanted is not None and any(comparable_address(a) == wanted for a in addresses)
