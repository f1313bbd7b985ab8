"""S/MIME messages (RFC 8551), one recipient each: signed, then enveloped.

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
from collections.abc import Mapping

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from ksp.mail.mime_parts import POLICY, outer_part
from ksp.mail.smime_identity import SigningIdentity

__all__ = ["build_smime_message", "sign_entity"]

_P7M = "smime.p7m"
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


def sign_entity(entity: bytes, identity: SigningIdentity) -> bytes:
    """``entity`` wrapped in a CMS SignedData (DER) signed by the service."""
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(entity)
        .add_signer(identity.certificate, identity.key, hashes.SHA256())
    )
    for certificate in identity.chain:
        builder = builder.add_certificate(certificate)
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


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
