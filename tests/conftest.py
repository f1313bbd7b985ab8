"""Shared fixtures: a real database per backend, the app, tokens, case bodies.

Each backend gets a clean database for the whole run (a fresh SQLite file; a fresh
PostgreSQL schema, dropped afterwards). Tests never depend on each other's data: each
makes its own units (``units`` fixture), so they can run in any order.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.api.app import create_app
from ksp.db.engine import create_engine
from ksp.db.migrate import upgrade
from ksp.db.url import async_database_url
from ksp.domain.access import Role
from ksp.settings import Settings
from ksp.tokens import issue_token
from support.clock import FixedClock
from support.data import (
    SUBMITTED_PERSONAL_DATA,
    Units,
    case_body,
    fresh_units,
    test_unit_table,
)
from support.keys import KeyMaker
from support.smime_ca import session_ca
from support.smtp import SmtpServer

pytest_plugins = [
    "support.participants",  # mail_rig: a meeting's participants and the outbox worker
    "support.require_oidc",  # KSP_REQUIRE_OIDC: the sign-in tests must run
    "support.softhsm",  # the SoftHSM2 token (KSP_REQUIRE_PKCS11: its tests must run)
]

POSTGRES_URL = os.environ.get("KSP_TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("KSP_REQUIRE_POSTGRES") == "1"
REQUIRE_BROWSER = os.environ.get("KSP_REQUIRE_BROWSER") == "1"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

_postgres_passed = 0
_browser_passed = 0
SCHEMAS: dict[str, str] = {}  # backend -> the PostgreSQL schema of this run


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _postgres_passed, _browser_passed  # noqa: PLW0603 - counters for the session's end
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _postgres_passed += 1
    if report.when == "call" and report.passed and "browser" in report.keywords:
        _browser_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_POSTGRES and exitstatus == 0 and _postgres_passed == 0:
        print("\nKSP_REQUIRE_POSTGRES=1 but no PostgreSQL test ran")  # noqa: T201
        session.exitstatus = 1
    if REQUIRE_BROWSER and exitstatus == 0 and _browser_passed == 0:
        print("\nKSP_REQUIRE_BROWSER=1 but no browser test passed")  # noqa: T201
        session.exitstatus = 1


def assert_no_plaintext(database: Path) -> None:
    """A raw scan of the SQLite file (and its WAL) for every submitted name, CPR and concern."""
    blobs = [p.read_bytes() for p in database.parent.glob(database.name + "*")]
    leaked = sorted(
        s for s in SUBMITTED_PERSONAL_DATA if s and any(s.encode() in blob for blob in blobs)
    )
    assert not leaked, f"{len(leaked)} personal data values found in plaintext in the database"


def make_settings(tmp: Path, database_url: str = "sqlite:///unused.sqlite3") -> Settings:
    """Settings with fresh random secrets, as a deployment would configure them; S/MIME
    certificates are trusted when the session's test CA issued them, and its CRL is held
    in ``smime-crl.der`` (tests that revoke write it again)."""
    tmp.mkdir(parents=True, exist_ok=True)
    crl = tmp / "smime-crl.der"
    crl.write_bytes(session_ca().crl())
    return Settings(
        database_url=async_database_url(database_url),
        data_dir=tmp,
        token_secret=secrets.token_bytes(32),
        data_keys={"t1": secrets.token_bytes(32)},
        data_key_id="t1",
        cpr_hash_key=secrets.token_bytes(32),
        journal_signing_key=secrets.token_bytes(32),
        max_body_bytes=65_536,
        units=test_unit_table(),
        smime_trust_anchors=session_ca().anchors_pem,
        smime_crls=(str(crl),),
    )


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgres" and not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("KSP_TEST_DATABASE_URL is not set")
        pytest.skip("KSP_TEST_DATABASE_URL is not set")
    return name


@asynccontextmanager
async def migrated_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory, prefix: str
) -> AsyncIterator[tuple[AsyncEngine, str]]:
    """A migrated, empty database of the backend, and where it is: a fresh SQLite file,
    or a fresh PostgreSQL schema (``prefix`` and a random tag), dropped afterwards."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "ksp.sqlite3"
        engine = create_engine(async_database_url(f"sqlite:///{path}"))
        await upgrade(engine)
        yield engine, str(path)
        await engine.dispose()
        return
    assert POSTGRES_URL is not None
    url = async_database_url(POSTGRES_URL)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, pool_size=1, max_overflow=0)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, schema=schema)
    await upgrade(engine)
    yield engine, schema
    await engine.dispose()
    async with admin.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def engine(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database of the backend, for the whole run."""
    async with migrated_database(backend, tmp_path_factory, "ksp_test") as (engine, where):
        if backend != "sqlite":
            SCHEMAS[backend] = where
        yield engine
    if backend == "sqlite":
        assert_no_plaintext(Path(where))


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
def session_clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def clock(session_clock: FixedClock) -> Iterator[FixedClock]:
    """The app's clock, back at the default instant for every test."""
    session_clock.reset()
    yield session_clock
    session_clock.reset()


@pytest.fixture(scope="session")
def app(settings: Settings, engine: AsyncEngine, session_clock: FixedClock) -> Iterator[Litestar]:
    application = create_app(settings, engine=engine, clock=session_clock)
    yield application
    application.state.mail.close()  # the lifespan does this in a server: stop gpg-agent


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through the ASGI app in the test's own event loop (the engine's loop)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as test_client:
        yield test_client


@pytest.fixture
def units() -> Units:
    return fresh_units()


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def auth(settings: Settings) -> TokenFactory:
    """``auth(role, unit)`` → headers with a valid bearer token."""
    return token_headers(settings)


def token_headers(settings: Settings) -> TokenFactory:
    """A factory of bearer-token headers signed with ``settings``' secret."""

    def headers(role: str, unit: str, *, sub: str | None = None, **extra: Any) -> dict[str, str]:
        email = extra.get("email") or (f"{unit}@example.dk" if role == "participant" else None)
        token = issue_token(
            settings.token_secret,
            sub=sub or f"user-{uuid.uuid4().hex[:8]}",
            role=Role(role),
            unit=unit,
            email=email,
            ttl=extra.get("ttl", dt.timedelta(hours=1)),
            now=extra.get("now", dt.datetime.now(dt.UTC)),
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    return case_body


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback (STARTTLS and AUTH required) for a test module."""
    server = SmtpServer(tmp_path_factory.mktemp("smtp"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyMaker]:
    """A GnuPG home that makes recipients' keys (and keeps their secret parts)."""
    maker = KeyMaker(tmp_path_factory.mktemp("keys"))
    yield maker
    maker.close()
