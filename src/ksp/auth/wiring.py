"""Builds the sign-in from the settings: one call from the application factory."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ksp.auth.claims import ClaimMapping
from ksp.auth.context import SignIn
from ksp.auth.oidc import OidcClient
from ksp.crypto import FieldCipher
from ksp.db.data_key_store import DataKeyRing
from ksp.db.session_store import SqlWebSessionStore
from ksp.domain.sessions import SessionLifetime
from ksp.services.ports import Clock
from ksp.services.sessions import SessionService
from ksp.settings import Settings

__all__ = ["claim_mapping", "sign_in"]


def claim_mapping(settings: Settings) -> ClaimMapping:
    """The mapping of ``KSP_OIDC_MAPPING_FILE``, else of the role and unit claims."""
    config = settings.sign_in
    if config.mapping_file is not None:
        return ClaimMapping.from_file(config.mapping_file)
    return ClaimMapping(role_claim=config.role_claim, unit_claim=config.unit_claim)


def sign_in(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    ring: DataKeyRing,
    cipher: FieldCipher,
    clock: Clock,
) -> SignIn:
    config = settings.sign_in
    lifetime = SessionLifetime(
        idle=dt.timedelta(minutes=config.session_idle_minutes),
        maximum=dt.timedelta(hours=config.session_max_hours),
    )
    return SignIn(
        settings=config,
        sessions=SessionService(SqlWebSessionStore(sessions, ring, cipher), clock, lifetime),
        clock=clock,
        oidc=OidcClient(config, clock) if config.issuer is not None else None,
        mapping=claim_mapping(settings),
        max_body_bytes=settings.max_body_bytes,
    )
