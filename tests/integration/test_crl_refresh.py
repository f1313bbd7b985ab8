"""CRLs from URLs (issue 11: "files or URLs refreshed by the worker"), against a real HTTP
server on loopback serving CRLs built with ``cryptography``: fetched once, used from memory
by every check, fetched again by the worker's refresh at its interval; a failed fetch (a
broken answer, an error status, a time-out, too large) keeps the last good CRL and logs a
warning without the address; an expired CRL is reported; the limits are settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
import structlog
from cryptography import x509
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.api.app import create_app
from ksp.mail.smime_crls import CrlLimits, CrlSources
from ksp.mail.smime_policy import CertificateProblem, CertificateRejected, TrustPolicy
from ksp.settings import ConfigError, Settings, load_settings
from support.clock import DEFAULT_NOW
from support.crl_server import CrlServer, serving_crl
from support.smime_ca import Issued, SmimeCa, session_ca

EMAIL = "r@politi.dk"


@pytest.fixture
def crl() -> Iterator[CrlServer]:
    with serving_crl() as server:
        yield server


def refused(policy: TrustPolicy, issued: Issued) -> CertificateProblem | None:
    try:
        policy.check(issued.certificate, email=EMAIL, now=DEFAULT_NOW)
    except CertificateRejected as rejected:
        return rejected.reason
    return None


def trusting(ca: SmimeCa, sources: CrlSources) -> TrustPolicy:
    return TrustPolicy([ca.root, ca.issuing], sources)


def test_a_url_crl_is_used_from_memory_until_the_worker_fetches_it_again(
    crl: CrlServer,
) -> None:
    ca = session_ca()
    revoked, later = ca.issue(EMAIL), ca.issue(EMAIL)
    crl.body = ca.crl(revoked.certificate.serial_number)
    sources = CrlSources([crl.url])
    policy = trusting(ca, sources)
    assert refused(policy, revoked) is CertificateProblem.REVOKED
    assert refused(policy, later) is None
    crl.body = ca.crl(revoked.certificate.serial_number, later.certificate.serial_number)
    assert refused(policy, later) is None  # the copy in memory: no fetch on use
    assert crl.hits == 1
    sources.refresh()
    assert crl.hits == 2
    assert refused(policy, later) is CertificateProblem.REVOKED


def failing(crl: CrlServer, ca: SmimeCa, how: str) -> None:
    if how == "not a CRL":
        crl.body = b"<html>maintenance</html>"
    elif how == "error status":
        crl.status = 503
    elif how == "time-out":
        crl.delay = 1.5
    elif how == "too large":
        crl.body = ca.crl(*range(1000, 1100))


FAILURES = {
    "not a CRL": "a configured CRL is not a CRL",
    "error status": "a configured CRL URL cannot be fetched",
    "time-out": "a configured CRL URL timed out",
    "too large": "a configured CRL is too large",
}


@pytest.mark.parametrize("how", list(FAILURES))
def test_a_failed_fetch_keeps_the_last_good_crl_and_warns_without_the_address(
    crl: CrlServer, how: str
) -> None:
    ca = session_ca()
    revoked = ca.issue(EMAIL)
    crl.body = ca.crl(revoked.certificate.serial_number)
    assert len(crl.body) < 2048
    sources = CrlSources([crl.url], CrlLimits(timeout_seconds=1.0, max_bytes=2048))
    policy = trusting(ca, sources)
    sources.refresh()
    failing(crl, ca, how)
    with structlog.testing.capture_logs() as events:
        sources.refresh()
    assert events == [
        {
            "event": "crl_refresh_failed",
            "log_level": "warning",
            "source": 1,
            "error": FAILURES[how],
            "kept": True,
        }
    ]
    assert refused(policy, revoked) is CertificateProblem.REVOKED  # the last good copy


def test_a_url_never_fetched_fails_closed(crl: CrlServer) -> None:
    """No copy yet and none to be had: no certificate it would cover is taken."""
    ca = session_ca()
    crl.status = 500
    sources = CrlSources([crl.url])
    with structlog.testing.capture_logs() as events:
        sources.refresh()
    assert [(e["event"], e["kept"]) for e in events] == [("crl_refresh_failed", False)]
    assert refused(trusting(ca, sources), ca.issue(EMAIL)) is CertificateProblem.NO_CRL


def test_an_expired_crl_is_reported_at_each_refresh_and_still_used(
    crl: CrlServer, tmp_path: Path
) -> None:
    """nextUpdate passed: a warning naming the source (its position) and the date, at each
    refresh until a current CRL comes; what it lists stays revoked meanwhile. A file source
    is reported too."""
    ca = session_ca()
    revoked = ca.issue(EMAIL)
    past = DEFAULT_NOW - dt.timedelta(days=1)
    crl.body = ca.crl(revoked.certificate.serial_number, next_update=past)
    current = tmp_path / "current.crl"
    current.write_bytes(ca.crl())
    sources = CrlSources([str(current), crl.url], now=lambda: DEFAULT_NOW)
    expired = {
        "event": "crl_expired",
        "log_level": "warning",
        "source": 2,
        "next_update": past.isoformat(),
    }
    for _ in range(2):
        with structlog.testing.capture_logs() as events:
            sources.refresh()
        assert events == [expired]
    assert refused(trusting(ca, sources), revoked) is CertificateProblem.REVOKED
    current.write_bytes(ca.crl(next_update=past))  # a file is read again when it changed
    with structlog.testing.capture_logs() as events:
        sources.refresh()
    assert events == [{**expired, "source": 1}, expired]
    crl.body = ca.crl(revoked.certificate.serial_number)
    current.write_bytes(ca.crl())
    with structlog.testing.capture_logs() as events:
        sources.refresh()
    assert events == []


async def test_the_worker_fetches_at_start_and_then_every_interval(crl: CrlServer) -> None:
    ca = session_ca()
    crl.body = ca.crl()
    sources = CrlSources([crl.url], CrlLimits(refresh_seconds=0.3))
    async with anyio.create_task_group() as group:
        group.start_soon(sources.refresh_every)
        await anyio.sleep(0.1)
        assert crl.hits == 1  # at start
        await anyio.sleep(0.75)
        group.cancel_scope.cancel()
    assert crl.hits == 3  # at 0, 0.3 and 0.6 s
    assert [c.issuer for c in sources()] == [x509.load_der_x509_crl(crl.body).issuer]


def test_the_crl_limits_are_settings_with_bounds(tmp_path: Path) -> None:
    base: dict[str, Any] = {"KSP_DATA_DIR": str(tmp_path / "var")}
    defaults = load_settings(base)
    assert (
        defaults.smime_crl_refresh_seconds,
        defaults.smime_crl_timeout_seconds,
        defaults.smime_crl_max_bytes,
    ) == (3600, 10, 8 * 1024 * 1024)
    outside = {
        "KSP_SMIME_CRL_REFRESH_SECONDS": ("59", "86401"),
        "KSP_SMIME_CRL_TIMEOUT_SECONDS": ("0", "121"),
        "KSP_SMIME_CRL_MAX_BYTES": ("1023", str(64 * 1024 * 1024 + 1)),
    }
    for variable, values in outside.items():
        for value in values:
            with pytest.raises(ConfigError, match=variable):
                load_settings({**base, variable: value})
    chosen = load_settings(
        {
            **base,
            "KSP_SMIME_CRL_REFRESH_SECONDS": "60",
            "KSP_SMIME_CRL_TIMEOUT_SECONDS": "120",
            "KSP_SMIME_CRL_MAX_BYTES": "1024",
        }
    )
    assert (
        chosen.smime_crl_refresh_seconds,
        chosen.smime_crl_timeout_seconds,
        chosen.smime_crl_max_bytes,
    ) == (60, 120, 1024)


async def test_the_service_fetches_its_crl_urls_while_it_serves(
    crl: CrlServer, settings: Settings, engine: AsyncEngine
) -> None:
    """``ksp serve``'s lifespan runs the refresh: the URL is fetched at start-up."""
    crl.body = session_ca().crl()
    configured = dataclasses.replace(settings, smime_crls=(crl.url,), outbox_in_process=False)
    async with AsyncTestClient(create_app(configured, engine=engine)):
        assert await anyio.to_thread.run_sync(crl.fetched.wait, 10.0)
    assert crl.hits == 1
