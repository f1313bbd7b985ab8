"""Browser sessions and sign-in attempts in the database, each call its own transaction.

A session's e-mail address is sealed under the session's own data key
(``session:<key>``), deleted with the session (signing out, or the purge of old ones)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ksp.crypto import FieldCipher
from ksp.db.data_key_store import DataKeyRing, SqlDataKeyStore, session_owner
from ksp.db.tables import sign_in_attempts, web_sessions
from ksp.domain.access import Principal, Role
from ksp.domain.sessions import SignInAttempt, WebSession

__all__ = ["SqlWebSessionStore"]


class SqlWebSessionStore:
    """``key`` is the SHA-256 of the secret; the participant's e-mail is sealed."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], ring: DataKeyRing, legacy: FieldCipher
    ) -> None:
        self._sessions = sessions
        self._ring = ring
        self._legacy = legacy  # sessions written before their own data keys

    def _keys(self, db: AsyncSession) -> SqlDataKeyStore:
        return SqlDataKeyStore(db, self._ring, self._legacy)

    def _context(self, key: bytes) -> str:
        return f"web_sessions.email:{key.hex()}"

    async def add_session(self, key: bytes, session: WebSession) -> None:
        principal = session.principal
        email = principal.email
        async with self._sessions.begin() as db:
            email_ct = None
            if email is not None:
                email_ct = await self._keys(db).encrypt_new(
                    session_owner(key), email, context=self._context(key)
                )
            await db.execute(
                insert(web_sessions).values(
                    key=key,
                    sub=principal.sub,
                    role=principal.role.value,
                    unit=principal.unit,
                    email_ct=email_ct,
                    acr=session.acr,
                    started_at=session.started_at,
                    last_seen_at=session.last_seen_at,
                )
            )

    async def get_session(self, key: bytes) -> WebSession | None:
        async with self._sessions.begin() as db:
            row = (
                (await db.execute(select(web_sessions).where(web_sessions.c.key == key)))
                .mappings()
                .one_or_none()
            )
            if row is None:
                return None
            email_ct, email = row["email_ct"], None
            if email_ct is not None:
                keys = self._keys(db)
                await keys.load([email_ct])
                email = keys.decrypt(email_ct, context=self._context(key))
        principal = Principal(sub=row["sub"], role=Role(row["role"]), unit=row["unit"], email=email)
        return WebSession(principal, row["acr"], row["started_at"], row["last_seen_at"])

    async def touch_session(self, key: bytes, at: dt.datetime) -> None:
        async with self._sessions.begin() as db:
            await db.execute(
                update(web_sessions).where(web_sessions.c.key == key).values(last_seen_at=at)
            )

    async def remove_session(self, key: bytes) -> None:
        async with self._sessions.begin() as db:
            await db.execute(delete(web_sessions).where(web_sessions.c.key == key))
            await self._keys(db).drop_owners([session_owner(key)])

    async def add_attempt(self, key: bytes, attempt: SignInAttempt) -> None:
        async with self._sessions.begin() as db:
            await db.execute(
                insert(sign_in_attempts).values(
                    key=key,
                    nonce=attempt.nonce,
                    code_verifier=attempt.code_verifier,
                    created_at=attempt.created_at,
                )
            )

    async def take_attempt(self, key: bytes) -> SignInAttempt | None:
        async with self._sessions.begin() as db:
            taken = await db.execute(
                delete(sign_in_attempts)
                .where(sign_in_attempts.c.key == key)
                .returning(
                    sign_in_attempts.c.nonce,
                    sign_in_attempts.c.code_verifier,
                    sign_in_attempts.c.created_at,
                )
            )
            row = taken.mappings().one_or_none()
        if row is None:
            return None
        return SignInAttempt(row["nonce"], row["code_verifier"], row["created_at"])

    async def purge(self, sessions_before: dt.datetime, attempts_before: dt.datetime) -> None:
        async with self._sessions.begin() as db:
            old = web_sessions.c.started_at < sessions_before
            keys = (await db.execute(select(web_sessions.c.key).where(old))).scalars()
            await self._keys(db).drop_owners([session_owner(bytes(k)) for k in keys])
            await db.execute(delete(web_sessions).where(old))
            await db.execute(
                delete(sign_in_attempts).where(sign_in_attempts.c.created_at < attempts_before)
            )
