"""A test certificate authority built like OCES3 (the Danish public PKI behind MitID
Erhverv's S/MIME certificates): an RSA 4096 root, an RSA 3072 issuing CA, RSASSA-PSS
signatures with SHA-256, and RSA 3072 end-entity certificates naming one e-mail address
with key encipherment. Made with ``cryptography`` once per test session
(:func:`session_ca`); each :meth:`SmimeCa.issue` makes a new end entity, good or spoiled as
asked, so every refusal is a real certificate.

The certificates are valid from a year before the tests' clock until two years after the
real time, so ``openssl cms -verify`` (which checks at the real time) accepts them too.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from support.clock import DEFAULT_NOW

__all__ = ["Issued", "SmimeCa", "pem", "session_ca"]

NOT_BEFORE = DEFAULT_NOW - dt.timedelta(days=365)
NOT_AFTER = max(DEFAULT_NOW, dt.datetime.now(dt.UTC)) + dt.timedelta(days=730)
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
_KEYS: dict[int, list[rsa.RSAPrivateKey]] = {}


def pem(*certificates: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)


def _key(bits: int, fresh: bool = False) -> rsa.RSAPrivateKey:
    """An RSA key; end entities share a small pool per size (making keys is slow)."""
    pool = _KEYS.setdefault(bits, [])
    if fresh or not pool:
        pool.append(rsa.generate_private_key(public_exponent=65537, key_size=bits))
        return pool[-1]
    return pool[0]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DK"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "KSP test-PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _ee_usage(*, encipher: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=encipher,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class Issued:
    """An end entity's certificate and its private key (to decrypt in the tests)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def pem(self) -> str:
        return pem(self.certificate)

    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """The certificate and key as PEM files, for openssl."""
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = directory / f"{stem}.crt", directory / f"{stem}.key"
        cert.write_text(self.pem)
        key.write_text(self.key_pem())
        key.chmod(0o600)
        return cert, key


@dataclass
class SmimeCa:
    """A root and an issuing CA; ``revoked`` are the serials the CRL lists."""

    name: str
    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    issuing_key: rsa.RSAPrivateKey
    issuing: x509.Certificate
    revoked: list[int] = field(default_factory=list)

    @classmethod
    def make(cls, name: str = "KSP Test Root CA") -> SmimeCa:
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
        root = _ca_certificate(_name(name), root_key, _name(name), root_key, path_length=1)
        issuing_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        issuing = _ca_certificate(
            _name(f"{name} - Issuing"), issuing_key, _name(name), root_key, path_length=0
        )
        return cls(name, root_key, root, issuing_key, issuing)

    def sibling(self, name: str) -> SmimeCa:
        """Another issuing CA under the same root, not among the trust anchors: what it
        issues chains only through a CA certificate the service does not hold."""
        issuing_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        issuing = _ca_certificate(
            _name(name), issuing_key, self.root.subject, self.root_key, path_length=0
        )
        return SmimeCa(name, self.root_key, self.root, issuing_key, issuing)

    @property
    def anchors_pem(self) -> str:
        """The bundle for ``KSP_SMIME_TRUST_ANCHORS``: the root and the issuing CA."""
        return pem(self.root, self.issuing)

    def issue(
        self,
        email: str,
        *,
        bits: int = 3072,
        not_before: dt.datetime = NOT_BEFORE,
        not_after: dt.datetime = NOT_AFTER,
        encipher: bool = True,
        fresh_key: bool = False,
        self_signed: bool = False,
    ) -> Issued:
        key = _key(bits, fresh_key)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Modtager i test")])
        issuer, signer = (subject, key) if self_signed else (self.issuing.subject, self.issuing_key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_ee_usage(encipher=encipher), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            )
            .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
        )
        if not self_signed:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issuing_key.public_key()),
                critical=False,
            )
        certificate = builder.sign(signer, hashes.SHA256(), rsa_padding=PSS)
        return Issued(certificate, key)

    def crl(
        self,
        *serials: int,
        signed_by: rsa.RSAPrivateKey | None = None,
        next_update: dt.datetime = NOT_AFTER,
    ) -> bytes:
        """A CRL of the issuing CA, DER, listing ``serials`` (and :attr:`revoked`);
        ``signed_by`` another key makes a forged one, ``next_update`` past an expired one."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.issuing.subject)
            .last_update(NOT_BEFORE)
            .next_update(next_update)
        )
        for serial in [*self.revoked, *serials]:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(NOT_BEFORE)
                .build()
            )
        crl = builder.sign(signed_by or self.issuing_key, hashes.SHA256(), rsa_padding=PSS)
        return crl.public_bytes(serialization.Encoding.DER)


def _ca_certificate(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    signer: rsa.RSAPrivateKey,
    *,
    path_length: int,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if signer is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
    return builder.sign(signer, hashes.SHA256(), rsa_padding=PSS)


@functools.cache
def session_ca(name: str = "KSP Test Root CA") -> SmimeCa:
    """One CA per name for the whole session (a 4096-bit root takes a while to make)."""
    return SmimeCa.make(name)
