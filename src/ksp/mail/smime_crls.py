"""The certificate revocation lists the service holds (``KSP_SMIME_CRLS``).

Each source is a file or an http(s) URL holding one CRL in DER or one or more in PEM. A
file is read again when it changed (checked at each use: before a registration or a
circulation). A URL is fetched by the service's worker, at start-up and then every
``KSP_SMIME_CRL_REFRESH_SECONDS`` (:meth:`CrlSources.refresh_every`), each fetch within
``KSP_SMIME_CRL_TIMEOUT_SECONDS`` and ``KSP_SMIME_CRL_MAX_BYTES``; a check uses the last
copy fetched, and only fetches one itself while it has none. A fetch that fails keeps the
last good copy and logs a warning naming the source by its position in ``KSP_SMIME_CRLS``
and the kind of failure, never the address; a CRL whose nextUpdate has passed is reported
(a warning) at each refresh until a newer one is fetched, and still used: it is the latest
word on what it lists. A source of which no copy can be read or parsed fails the check
(fail closed): without the CRLs it was told to hold, the service cannot say a certificate
is not revoked.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
import structlog
from cryptography import x509

__all__ = ["CrlLimits", "CrlSources", "CrlUnavailable", "parse_crls"]

log = structlog.get_logger("ksp.smime")

READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class CrlLimits:
    refresh_seconds: float = 3600.0  # KSP_SMIME_CRL_REFRESH_SECONDS
    timeout_seconds: float = 10.0  # KSP_SMIME_CRL_TIMEOUT_SECONDS: a whole fetch
    max_bytes: int = 8 * 1024 * 1024  # KSP_SMIME_CRL_MAX_BYTES: a file or a fetch


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


def _is_url(source: str) -> bool:
    return source.startswith(("https://", "http://"))


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CrlSources:
    def __init__(
        self,
        sources: Sequence[str],
        limits: CrlLimits | None = None,
        now: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self._sources = list(sources)
        self._limits = limits or CrlLimits()
        self._now = now
        self._lock = threading.Lock()
        self._files: dict[str, tuple[tuple[int, int], list[x509.CertificateRevocationList]]] = {}
        self._fetched: dict[str, list[x509.CertificateRevocationList]] = {}

    @property
    def has_urls(self) -> bool:
        """Whether there is anything for the worker to fetch."""
        return any(_is_url(source) for source in self._sources)

    def __call__(self) -> list[x509.CertificateRevocationList]:
        """Every CRL held now: files read again if they changed, the URLs' last copies."""
        crls: list[x509.CertificateRevocationList] = []
        for source in self._sources:
            crls += self._held_url(source) if _is_url(source) else self._held_file(source)
        return crls

    def refresh(self) -> None:
        """Fetch every URL again and read every file that changed (blocking), reporting
        CRLs past their nextUpdate. A URL that fails keeps its last good copy."""
        for position, source in enumerate(self._sources, start=1):
            if not _is_url(source):
                try:
                    self._report_expired(position, self._held_file(source))
                except CrlUnavailable as failed:
                    log.warning(
                        "crl_refresh_failed", source=position, error=str(failed), kept=False
                    )
                continue
            try:
                crls = parse_crls(self._fetch(source))
            except CrlUnavailable as failed:
                kept = source in self._fetched
                log.warning("crl_refresh_failed", source=position, error=str(failed), kept=kept)
                crls = self._fetched.get(source, [])
            else:
                with self._lock:
                    self._fetched[source] = crls
            self._report_expired(position, crls)

    async def refresh_every(self, seconds: float | None = None) -> None:
        """The worker's loop: a refresh now, then every ``seconds`` (the limits' interval)."""
        interval = self._limits.refresh_seconds if seconds is None else seconds
        while True:
            await anyio.to_thread.run_sync(self.refresh)
            await anyio.sleep(interval)

    def _report_expired(self, position: int, crls: list[x509.CertificateRevocationList]) -> None:
        now = self._now()
        for crl in crls:
            next_update = crl.next_update_utc
            if next_update is not None and next_update < now:
                log.warning("crl_expired", source=position, next_update=next_update.isoformat())

    def _held_url(self, source: str) -> list[x509.CertificateRevocationList]:
        with self._lock:
            held = self._fetched.get(source)
        if held is not None:
            return held
        crls = parse_crls(self._fetch(source))  # none yet: fetch it now, or fail closed
        with self._lock:
            self._fetched.setdefault(source, crls)
        return crls

    def _held_file(self, source: str) -> list[x509.CertificateRevocationList]:
        try:
            stat = Path(source).stat()
        except OSError:
            raise CrlUnavailable("a configured CRL file cannot be read") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._files.get(source)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        crls = parse_crls(self._read(source))
        with self._lock:
            self._files[source] = (stamp, crls)
        return crls

    def _read(self, path: str) -> bytes:
        try:
            with Path(path).open("rb") as source:
                data = source.read(self._limits.max_bytes + 1)
        except OSError:
            raise CrlUnavailable("a configured CRL file cannot be read") from None
        if len(data) > self._limits.max_bytes:
            raise CrlUnavailable("a configured CRL is too large")
        return data

    def _fetch(self, url: str) -> bytes:
        """The body, read within the time-out (as a whole: checked between reads, each of
        which waits at most as long) and the size limit."""
        limits = self._limits
        deadline = time.monotonic() + limits.timeout_seconds
        data = bytearray()
        try:
            with urllib.request.urlopen(url, timeout=limits.timeout_seconds) as response:  # noqa: S310 - http(s) only, checked in settings
                while chunk := response.read(READ_CHUNK):
                    data += chunk
                    if len(data) > limits.max_bytes:
                        raise CrlUnavailable("a configured CRL is too large")
                    if time.monotonic() > deadline:
                        raise CrlUnavailable("a configured CRL URL timed out")
        except urllib.error.URLError as failed:
            if isinstance(failed.reason, TimeoutError):
                raise CrlUnavailable("a configured CRL URL timed out") from None
            raise CrlUnavailable("a configured CRL URL cannot be fetched") from None
        except TimeoutError:
            raise CrlUnavailable("a configured CRL URL timed out") from None
        except OSError:
            raise CrlUnavailable("a configured CRL URL cannot be fetched") from None
        return bytes(data)
