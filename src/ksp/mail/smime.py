"""S/MIME messages (RFC 8551), one recipient each: signed, then enveloped; and the signed
notices (:func:`build_signed_notice`), clear-signed as ``multipart/signed``.

The inner message of :func:`ksp.mail.mime_parts.inner_bytes` (its real subject among its
protected headers) is signed by the service's certificate as opaque ``signed-data`` (SHA-256,
RSA PKCS#1 v1.5, the service's chain included), that entity is enveloped to the
recipient's certificate alone with AES-256-CBC (key transport RSA PKCS#1 v1.5, the one
``cryptography``'s builder makes; see the README), and the result is the body of an outer
message whose headers are only what transport needs and a neutral subject. Nothing
unencrypted goes outside: the outer body is the DER the envelope builder returned.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from email.message import MIMEPart

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from ksp.domain.circulation import Notice
from ksp.mail.mime_parts import POLICY, outer_part
from ksp.mail.smime_identity import SigningIdentity

__all__ = ["build_signed_notice", "build_smime_message", "sign_entity"]

_P7M = "smime.p7m"
NOTICE_FOOTER = (
    "Meddelelsen indeholder ingen personoplysninger. Den er underskrevet digitalt af "
    "KSP-sekretariatet (S/MIME)."
)
_LINE = 76


def build_smime_message(
    *,
    headers: Mapping[str, str],
    outer_subject: str,
    inner: bytes,
    identity: SigningIdentity,
    certificate: x509.Certificate,
) -> bytes:
    """The RFC 5322 bytes of the message to ``certificate``: ``headers``
    (:func:`~ksp.mail.mime_parts.headers_of`) and ``outer_subject`` outside, ``inner``
    (:func:`~ksp.mail.mime_parts.inner_bytes`) signed and enveloped."""
    outer = outer_part(headers, outer_subject)  # a bad header stops before anything is signed
    signed = _pkcs7_entity(sign_entity(inner, identity), "signed-data")
    enveloped = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(signed)
        .add_recipient(certificate)
        .set_content_encryption_algorithm(algorithms.AES256)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    head = outer.as_bytes(policy=POLICY)  # the transport headers and a blank line
    if not head.endswith(b"\r\n\r\n"):
        raise ValueError("the outer headers did not end as expected")
    return head[:-2] + _pkcs7_entity(enveloped, "enveloped-data")


def build_signed_notice(
    *, headers: Mapping[str, str], notice: Notice, identity: SigningIdentity
) -> bytes:
    """The RFC 5322 bytes of a notice: ``headers`` and the notice's neutral subject outside,
    its Danish text, the link and a footer as ``text/plain``, clear-signed by the service's
    certificate (RFC 8551 section 3.5: ``multipart/signed``, a detached SHA-256 signature),
    so that every mail client shows the text and those that know S/MIME the signature."""
    outer = outer_part(headers, notice.subject)
    text = MIMEPart(policy=POLICY)
    body = f"{notice.text}\n{notice.link}\n\n{NOTICE_FOOTER}\n"
    text.set_content(body, charset="utf-8", cte="quoted-printable")
    entity = text.as_bytes(policy=POLICY)  # CRLF, exactly the bytes that are signed
    signature = sign_entity(entity, identity, detached=True)
    boundary = f"ksp-signed-{secrets.token_hex(16)}"  # hex never occurs in its own QP text
    head = outer.as_bytes(policy=POLICY)
    if not head.endswith(b"\r\n\r\n"):
        raise ValueError("the outer headers did not end as expected")
    head = head[:-2] + (
        'Content-Type: multipart/signed; protocol="application/pkcs7-signature";\r\n'
        f' micalg=sha-256; boundary="{boundary}"\r\n\r\n'
    ).encode("ascii")
    dash = f"--{boundary}".encode("ascii")
    p7s = (
        b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n'
    ) + _base64_lines(signature)
    return head + dash + b"\r\n" + entity + b"\r\n" + dash + b"\r\n" + p7s + dash + b"--\r\n"


def sign_entity(entity: bytes, identity: SigningIdentity, *, detached: bool = False) -> bytes:
    """``entity`` wrapped in a CMS SignedData (DER) signed by the service; ``detached``:
    the signature alone, the entity travelling beside it."""
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(entity)
        .add_signer(identity.certificate, identity.key, hashes.SHA256())
    )
    for certificate in identity.chain:
        builder = builder.add_certificate(certificate)
    options = [pkcs7.PKCS7Options.Binary]
    if detached:
        options.append(pkcs7.PKCS7Options.DetachedSignature)
    return builder.sign(serialization.Encoding.DER, options)


def _pkcs7_entity(der: bytes, smime_type: str) -> bytes:
    """An ``application/pkcs7-mime`` entity (RFC 8551 section 3.2), CRLF, base64 in lines of
    76 characters; written here rather than by the email package, whose line-by-line
    base64 was most of the time a message took."""
    return (
        f'Content-Type: application/pkcs7-mime; smime-type={smime_type}; name="{_P7M}"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{_P7M}"\r\n\r\n'
    ).encode("ascii") + _base64_lines(der)


def _base64_lines(data: bytes) -> bytes:
    """Base64 in CRLF-ended lines of 76 characters (RFC 2045 section 6.8)."""
    encoded = base64.b64encode(data)
    lines = [encoded[at : at + _LINE] for at in range(0, len(encoded), _LINE)]
    return b"\r\n".join(lines) + b"\r\n"
