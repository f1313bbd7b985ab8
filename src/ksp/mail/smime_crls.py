"""The certificate revocation lists the service holds (``KSP_SMIME_CRLS``).

Each source is a file or an http(s) URL holding one CRL in DER or one or more in PEM. A
file is read again when it changed; a URL is fetched again once its copy is an hour old
(on the next check that needs it: before a registration or a circulation). A source that
cannot be read or parsed fails the check (fail closed): without the CRLs it was told to
hold, the service cannot say a certificate is not revoked.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography import x509

__all__ = ["CrlSources", "CrlUnavailable", "parse_crls"]

MAX_CRL_BYTES = 8 * 1024 * 1024
URL_MAX_AGE_SECONDS = 3600.0
URL_TIMEOUT_SECONDS = 10.0


class CrlUnavailable(RuntimeError):
    """A configured CRL source could not be read or is not a CRL."""


def parse_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    try:
        if b"-----BEGIN X509 CRL-----" in data:
            blocks = data.split(b"-----END X509 CRL-----")[:-1]
            return [x509.load_pem_x509_crl(block + b"-----END X509 CRL-----\n") for block in blocks]
        return [x509.load_der_x509_crl(data)]
    except ValueError:
        raise CrlUnavailable("a configured CRL is not a CRL") from None


class CrlSources:
    def __init__(self, sources: Sequence[str], clock: Callable[[], float] = time.monotonic) -> None:
        self._sources = list(sources)
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[object, list[x509.CertificateRevocationList]]] = {}

    def __call__(self) -> list[x509.CertificateRevocationList]:
        """Every CRL held now, refreshing what is stale."""
        with self._lock:
            crls: list[x509.CertificateRevocationList] = []
            for source in self._sources:
                crls += self._current(source)
            return crls

    def _current(self, source: str) -> list[x509.CertificateRevocationList]:
        cached = self._cache.get(source)
        if source.startswith(("https://", "http://")):
            now = self._clock()
            if cached is not None and now - float(cached[0]) < URL_MAX_AGE_SECONDS:  # type: ignore[arg-type]
                return cached[1]
            crls = parse_crls(_fetch(source))
            self._cache[source] = (now, crls)
            return crls
        try:
            stat = Path(source).stat()
        except OSError:
            raise CrlUnavailable("a configured CRL file cannot be read") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        crls = parse_crls(_read(source))
        self._cache[source] = (stamp, crls)
        return crls


def _read(path: str) -> bytes:
    try:
        with Path(path).open("rb") as source:
            data = source.read(MAX_CRL_BYTES + 1)
    except OSError:
        raise CrlUnavailable("a configured CRL file cannot be read") from None
    if len(data) > MAX_CRL_BYTES:
        raise CrlUnavailable("a configured CRL is too large")
    return data


def _fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=URL_TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) only, checked in settings
            data: bytes = response.read(MAX_CRL_BYTES + 1)
    except OSError:
        raise CrlUnavailable("a configured CRL URL cannot be fetched") from None
    if len(data) > MAX_CRL_BYTES:
        raise CrlUnavailable("a configured CRL is too large")
    return data
