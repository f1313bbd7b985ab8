"""Use cases for recipients (guide 3.3.7, "via sikker mail"): register one with a pinned
OpenPGP key or X.509 certificate (S/MIME), replace the key (also with the owner's
revocation of it), retire one, and ask again, before each circulation, whether every pinned
key or certificate is still usable.

A recipient is registered once per address and KiF unit (409 ``recipient-exists``). A key
replacing the pinned one passes the same checks as at registration, except that the pinned
key itself, revoked by its owner, is taken too: it blocks the recipient (every circulation
to it is refused) until a usable key replaces it. A retired recipient stays on record, for
history, and is never circulated to again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

import anyio
import anyio.to_thread

from ksp.domain.access import Principal
from ksp.domain.circulation import (
    DeliveryMode,
    KeyFormat,
    Recipient,
    RecipientDraft,
    check_fingerprint,
    check_recipient,
    comparable_address,
)
from ksp.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    RecipientExists,
    RecipientKeyUnusable,
)
from ksp.services.ports import Clock, SecureMail, UnitOfWork, UnitOfWorkFactory

__all__ = ["RecipientService"]


class RecipientService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        mail: SecureMail,
        limiter: anyio.CapacityLimiter,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._mail = mail
        self._limiter = limiter
        self._new_id = new_id

    async def register(self, principal: Principal, draft: RecipientDraft) -> Recipient:
        """Check the key in a scratch keyring, then pin it by its full fingerprint (a notice
        recipient may give none: their fingerprint is then empty)."""
        check_recipient(draft)
        email = comparable_address(draft.email)
        assert email is not None  # check_recipient refused it otherwise
        async with self._uow() as uow:
            await self._refuse_registered(uow, principal.unit, email)
        now = self._clock.now()
        fingerprint, expires_at = "", None
        if (key := draft.key) is not None:
            fingerprint, expires_at = await anyio.to_thread.run_sync(
                lambda: self._mail.check_key(
                    key,
                    key_format=draft.key_format,
                    email=email,
                    fingerprint=draft.fingerprint,
                    now=now,
                )
            )
            await anyio.to_thread.run_sync(self._mail.pin, key, draft.key_format)
        recipient = Recipient(
            self._new_id(),
            principal.unit,
            draft.name.strip(),
            email,
            draft.agency,
            draft.unit,
            fingerprint,
            expires_at,
            now,
            principal.sub,
            key_format=draft.key_format,
            delivery=draft.delivery,
        )
        async with self._uow() as uow:
            await uow.journal.lock()  # two registrations of one address: one wins
            await self._refuse_registered(uow, principal.unit, email)
            await uow.recipients.add(recipient, draft.key)
            await uow.commit()
        return recipient

    async def recipients(self, principal: Principal) -> list[Recipient]:
        async with self._uow() as uow:
            return await uow.recipients.find(principal.unit)

    async def replace_key(
        self,
        principal: Principal,
        recipient_id: str,
        armored: str,
        fingerprint: str | None,
        key_format: KeyFormat = KeyFormat.OPENPGP,
    ) -> Recipient:
        """Pin a new key (or certificate) for the recipient, or the owner's revocation of the
        pinned OpenPGP key. A certificate may replace a key and the other way round."""
        if errors := check_fingerprint(fingerprint, key_format):
            raise InvalidInput(errors)
        async with self._uow() as uow:
            recipient = await self._own_current(uow, principal, recipient_id)
        now = self._clock.now()
        try:
            pinned, expires_at = await anyio.to_thread.run_sync(
                lambda: self._mail.check_key(
                    armored,
                    key_format=key_format,
                    email=recipient.email,
                    fingerprint=fingerprint,
                    now=now,
                )
            )
            revoked = False
        except RecipientKeyUnusable:
            if key_format is not recipient.key_format or not await self._revokes(
                recipient, armored, fingerprint
            ):
                raise
            pinned, expires_at, revoked = recipient.fingerprint, recipient.expires_at, True
        if recipient.key_revoked and pinned == recipient.fingerprint and not revoked:
            raise RecipientKeyUnusable("revoked")  # an old copy never lifts a revocation
        if await anyio.to_thread.run_sync(self._mail.pin, armored, key_format) != pinned:
            raise RecipientKeyUnusable("not the key on record")
        replaced = replace(
            recipient,
            fingerprint=pinned,
            expires_at=expires_at,
            key_revoked=revoked,
            key_format=key_format,
        )
        async with self._uow() as uow:
            await uow.journal.lock()  # a circulation being queued sees the old key or the new
            await self._own_current(uow, principal, recipient_id)
            await uow.recipients.replace_key(replaced, armored, now, principal.sub)
            await uow.commit()
        return replaced

    async def retire(self, principal: Principal, recipient_id: str) -> None:
        """Keep the recipient for history; never circulate to it again (idempotent)."""
        async with self._uow() as uow:
            await uow.journal.lock()  # a circulation being queued sees it retired or not
            recipient = await uow.recipients.get(recipient_id)
            if recipient is None or recipient.kif_unit != principal.unit:
                raise NotFound
            await uow.recipients.retire(recipient_id, self._clock.now(), principal.sub)
            await uow.commit()

    async def check_keys(self, participants: list[Recipient]) -> None:
        """Every participant's key must be usable now, asked of the keyring again.

        The key on record is pinned first (nothing is done where this process pinned that
        key already), so that a key replaced or revoked through another instance, whose
        keyring is its own, reaches this one's; only under the fingerprint on record.
        Notice recipients' mail is not encrypted: their keys, if any, are not asked.
        """
        participants = [r for r in participants if r.delivery is DeliveryMode.ENCRYPTED]
        if not participants:
            return
        if any(recipient.key_revoked for recipient in participants):
            raise RecipientKeyUnusable("revoked")
        async with self._uow() as uow:
            stored = await uow.recipients.public_keys([r.id for r in participants])
        for recipient in participants:
            armored = stored.get(recipient.id)
            if armored is None:
                raise RecipientKeyUnusable("not usable now")
            pinned = await anyio.to_thread.run_sync(self._mail.pin, armored, recipient.key_format)
            if pinned != recipient.fingerprint:
                raise RecipientKeyUnusable("not the key on record")
        if await self._unusable(participants):
            raise RecipientKeyUnusable("not usable now")

    async def _unusable(self, participants: list[Recipient]) -> list[Recipient]:
        """Those whose key is not usable now: one question per key format (one gpg listing
        for all the OpenPGP keys)."""
        now = self._clock.now()
        usable: set[str] = set()
        for key_format in {r.key_format for r in participants}:
            usable |= await anyio.to_thread.run_sync(
                self._mail.usable_all,
                [r.fingerprint for r in participants if r.key_format is key_format],
                now,
                key_format,
                limiter=self._limiter,
            )
        return [r for r in participants if r.fingerprint not in usable]

    async def _revokes(self, recipient: Recipient, armored: str, fingerprint: str | None) -> bool:
        """Whether ``armored`` is the owner's revocation of the pinned key (and the
        fingerprint confirmed out of band, if one was given, is that key's)."""
        if fingerprint is not None and "".join(fingerprint.split()).upper() != (
            recipient.fingerprint
        ):
            return False
        return await anyio.to_thread.run_sync(
            self._mail.revoked_copy, armored, recipient.fingerprint, recipient.key_format
        )

    @staticmethod
    async def _refuse_registered(uow: UnitOfWork, kif_unit: str, email: str) -> None:
        if await uow.recipients.registered(kif_unit, email):
            raise RecipientExists

    @staticmethod
    async def _own_current(uow: UnitOfWork, principal: Principal, recipient_id: str) -> Recipient:
        recipient = await uow.recipients.get(recipient_id)
        if recipient is None or recipient.kif_unit != principal.unit:
            raise NotFound
        if recipient.retired_at is not None:
            raise Conflict("The recipient is retired; register a new one instead.")
        return recipient
