"""Stores for recipients, meeting participants, circulations and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.db.data_key_store import SqlDataKeyStore, version_owner
from ksp.db.outbox_signal import OUTBOX_CHANNEL
from ksp.db.tables import circulations, meeting_participants, outbox, recipients
from ksp.domain.circulation import (
    Agency,
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    KeyFormat,
    Recipient,
)
from ksp.services.ports import Circulation, DuplicateKey

__all__ = ["SqlCirculationStore", "SqlRecipientStore"]

_DELIVERY_COLUMNS = [
    c for c in outbox.c if c.name not in {"message", "created_at", "cancelled_meeting_id"}
]
_NOT_IN_RECIPIENT = {"public_key", "key_replaced_at", "key_replaced_by_sub", "retired_by_sub"}


def _recipient(row: Any) -> Recipient:
    values = {k: v for k, v in row._mapping.items() if k not in _NOT_IN_RECIPIENT}
    return Recipient(
        **{
            **values,
            "agency": Agency(values["agency"]),
            "key_format": KeyFormat(values["key_format"]),
            "delivery": DeliveryMode(values["delivery"]),
        }
    )


def _reason_context(circulation_id: str) -> str:
    return f"circulations.again_reason:{circulation_id}"


def _delivery(row: Any) -> Delivery:
    values = {c.name: row._mapping[c.name] for c in _DELIVERY_COLUMNS}
    return Delivery(**{**values, "status": DeliveryStatus(values["status"])})


class SqlRecipientStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, recipient: Recipient, public_key: str | None) -> None:
        """``public_key`` None: a notice recipient who gave no key (stored empty)."""
        await self._session.execute(
            insert(recipients).values(
                id=recipient.id,
                kif_unit=recipient.kif_unit,
                name=recipient.name,
                email=recipient.email,
                agency=recipient.agency.value,
                unit=recipient.unit,
                fingerprint=recipient.fingerprint,
                expires_at=recipient.expires_at,
                public_key=(public_key or "").encode(),
                key_format=recipient.key_format.value,
                delivery=recipient.delivery.value,
                created_at=recipient.created_at,
                created_by_sub=recipient.created_by_sub,
            )
        )

    async def get(self, recipient_id: str) -> Recipient | None:
        row = (
            await self._session.execute(select(recipients).where(recipients.c.id == recipient_id))
        ).first()
        return None if row is None else _recipient(row)

    async def public_key(self, recipient_id: str) -> str | None:
        """The armoured key as registered, for an instance whose keyring lacks it."""
        stored = await self._session.scalar(
            select(recipients.c.public_key).where(recipients.c.id == recipient_id)
        )
        return None if stored is None else bytes(stored).decode()

    async def public_keys(self, recipient_ids: list[str]) -> dict[str, str]:
        """The armoured keys on record, by recipient (one query for all)."""
        query = select(recipients.c.id, recipients.c.public_key).where(
            recipients.c.id.in_(recipient_ids)
        )
        return {
            row.id: bytes(row.public_key).decode() for row in await self._session.execute(query)
        }

    async def registered(self, kif_unit: str, email: str) -> bool:
        """Whether ``email`` names a recipient of the unit that is not retired."""
        query = select(recipients.c.id).where(
            recipients.c.kif_unit == kif_unit,
            recipients.c.email == email,
            recipients.c.retired_at.is_(None),
        )
        return (await self._session.execute(query.limit(1))).first() is not None

    async def replace_key(
        self, recipient: Recipient, public_key: str, at: dt.datetime, by_sub: str
    ) -> None:
        """Pin ``recipient``'s fingerprint, expiry and revocation with the key they came from."""
        await self._session.execute(
            update(recipients)
            .where(recipients.c.id == recipient.id)
            .values(
                fingerprint=recipient.fingerprint,
                expires_at=recipient.expires_at,
                key_revoked=recipient.key_revoked,
                public_key=public_key.encode(),
                key_format=recipient.key_format.value,
                key_replaced_at=at,
                key_replaced_by_sub=by_sub,
            )
        )

    async def retire(self, recipient_id: str, at: dt.datetime, by_sub: str) -> None:
        await self._session.execute(
            update(recipients)
            .where(recipients.c.id == recipient_id, recipients.c.retired_at.is_(None))
            .values(retired_at=at, retired_by_sub=by_sub)
        )

    async def find(self, kif_unit: str | None) -> list[Recipient]:
        query = select(recipients).order_by(recipients.c.created_at, recipients.c.id)
        if kif_unit is not None:
            query = query.where(recipients.c.kif_unit == kif_unit)
        return [_recipient(row) for row in await self._session.execute(query)]

    async def add_participant(
        self, meeting_id: str, recipient_id: str, at: dt.datetime, by_sub: str
    ) -> None:
        statement = insert(meeting_participants).values(
            meeting_id=meeting_id, recipient_id=recipient_id, added_at=at, added_by_sub=by_sub
        )
        try:
            await self._session.execute(statement)
        except IntegrityError:  # added by a concurrent request
            raise DuplicateKey from None

    async def participants(self, meeting_id: str) -> list[Recipient]:
        query = (
            select(recipients)
            .join(meeting_participants, meeting_participants.c.recipient_id == recipients.c.id)
            .where(meeting_participants.c.meeting_id == meeting_id)
            .where(recipients.c.retired_at.is_(None))  # never circulated to again
            .order_by(meeting_participants.c.added_at, recipients.c.id)
        )
        return [_recipient(row) for row in await self._session.execute(query)]

    async def remove_participant(self, meeting_id: str, recipient_id: str) -> bool:
        """Whether the recipient took part (and no longer does)."""
        result = await self._session.execute(
            delete(meeting_participants).where(
                meeting_participants.c.meeting_id == meeting_id,
                meeting_participants.c.recipient_id == recipient_id,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def meetings_of(self, email: str, unit: str) -> list[str]:
        """The meetings a participant (by e-mail and unit) takes part in."""
        query = (
            select(meeting_participants.c.meeting_id)
            .join(recipients, meeting_participants.c.recipient_id == recipients.c.id)
            .where(recipients.c.email == email.lower(), recipients.c.unit == unit)
            .where(recipients.c.retired_at.is_(None))
        )
        return list((await self._session.execute(query)).scalars())


class SqlCirculationStore:
    """The reason for circulating a version again is free text: it is sealed under the
    version's data key (``version:<document>/<n>``), and goes when the version is erased."""

    def __init__(self, session: AsyncSession, keys: SqlDataKeyStore) -> None:
        self._session = session
        self._keys = keys

    async def add(self, circulation: Circulation) -> None:
        reason = circulation.again_reason
        await self._session.execute(
            insert(circulations).values(
                id=circulation.id,
                document_id=circulation.document_id,
                version=circulation.version,
                meeting_id=circulation.meeting_id,
                created_at=circulation.created_at,
                created_by_sub=circulation.created_by_sub,
                again_reason_ct=None
                if reason is None
                else await self._keys.encrypt_for(
                    version_owner(circulation.document_id, circulation.version),
                    reason,
                    context=_reason_context(circulation.id),
                ),
            )
        )

    async def get(self, circulation_id: str) -> Circulation | None:
        row = (
            await self._session.execute(
                select(circulations).where(circulations.c.id == circulation_id)
            )
        ).first()
        if row is None:
            return None
        await self._keys.load([row.again_reason_ct])
        return self._circulation(row)

    async def of_meeting(self, meeting_id: str) -> list[Circulation]:
        """The meeting's circulations, oldest first."""
        query = (
            select(circulations)
            .where(circulations.c.meeting_id == meeting_id)
            .order_by(circulations.c.created_at, circulations.c.id)
        )
        rows = list(await self._session.execute(query))
        await self._keys.load(r.again_reason_ct for r in rows)
        return [self._circulation(row) for row in rows]

    def _circulation(self, row: Any) -> Circulation:
        values = dict(row._mapping)
        blob = values.pop("again_reason_ct")
        reason = (
            None
            if blob is None
            else self._keys.read(bytes(blob), context=_reason_context(values["id"]))
        )
        return Circulation(**values, again_reason=reason)

    async def circulated(self, document_id: str, version: int) -> bool:
        query = (
            select(circulations.c.id)
            .where(circulations.c.document_id == document_id, circulations.c.version == version)
            .limit(1)
        )
        return (await self._session.scalar(query)) is not None

    async def circulated_to_unit(self, document_id: str, version: int, unit: str) -> bool:
        """Whether version ``version`` of the document went to a recipient of ``unit``."""
        query = (
            select(circulations.c.id)
            .join(outbox, outbox.c.circulation_id == circulations.c.id)
            .join(recipients, recipients.c.id == outbox.c.recipient_id)
            .where(
                circulations.c.document_id == document_id,
                circulations.c.version == version,
                recipients.c.unit == unit,
            )
            .limit(1)
        )
        return (await self._session.scalar(query)) is not None

    async def announce(self) -> None:
        """Tell the outbox workers listening on PostgreSQL that messages were queued: the
        notification goes out when the transaction commits (and not at all if it rolls
        back). It carries nothing but its channel's name. SQLite has no such thing; the
        worker in this process is woken by the service instead."""
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))

    async def queue(
        self,
        delivery: Delivery,
        message: bytes,
        at: dt.datetime,
        *,
        cancelled_meeting_id: str | None = None,
    ) -> None:
        """Queue one message: it is ciphertext already (the transactional outbox). A
        cancellation notice names the meeting cancelled instead of a circulation."""
        await self._session.execute(
            insert(outbox).values(
                id=delivery.id,
                circulation_id=delivery.circulation_id,
                cancelled_meeting_id=cancelled_meeting_id,
                recipient_id=delivery.recipient_id,
                email=delivery.email,
                fingerprint=delivery.fingerprint,
                message_id=delivery.message_id,
                message=message,
                status=delivery.status.value,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                created_at=at,
            )
        )

    async def deliveries(self, circulation_id: str) -> list[Delivery]:
        query = (
            select(*_DELIVERY_COLUMNS)
            .where(outbox.c.circulation_id == circulation_id)
            .order_by(outbox.c.email, outbox.c.id)
        )
        return [_delivery(row) for row in await self._session.execute(query)]

    async def cancellation_deliveries(self, meeting_id: str) -> list[Delivery]:
        """The cancellation notices of a meeting, one per participant, as they went."""
        query = (
            select(*_DELIVERY_COLUMNS)
            .where(outbox.c.cancelled_meeting_id == meeting_id)
            .order_by(outbox.c.email, outbox.c.id)
        )
        return [_delivery(row) for row in await self._session.execute(query)]

    async def claim(self, now: dt.datetime, limit: int) -> list[tuple[Delivery, bytes]]:
        """Due messages, locked for this transaction; other workers skip them (PostgreSQL
        ``FOR UPDATE SKIP LOCKED``; SQLite's transactions already hold the write lock)."""
        query = (
            select(*_DELIVERY_COLUMNS, outbox.c.message)
            .where(
                outbox.c.status.in_([DeliveryStatus.QUEUED.value, DeliveryStatus.RETRYING.value]),
                outbox.c.next_attempt_at <= now,
            )
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self._session.execute(query)
        return [(_delivery(row), bytes(row.message)) for row in rows]

    async def lease(self, delivery_ids: list[str], *, until: dt.datetime) -> None:
        await self._session.execute(
            update(outbox).where(outbox.c.id.in_(delivery_ids)).values(next_attempt_at=until)
        )

    async def release(
        self, delivery_ids: list[str], *, leased_until: dt.datetime, at: dt.datetime
    ) -> None:
        """Claimed messages a worker did not try: due again ``at``. Only those still under
        its lease (``leased_until``): one another worker took since its lease ended is left
        alone."""
        await self._session.execute(
            update(outbox)
            .where(
                outbox.c.id.in_(delivery_ids),
                outbox.c.next_attempt_at == leased_until,
                outbox.c.status.in_([DeliveryStatus.QUEUED.value, DeliveryStatus.RETRYING.value]),
            )
            .values(next_attempt_at=at)
        )

    async def save(self, delivery: Delivery) -> None:
        await self._session.execute(
            update(outbox)
            .where(outbox.c.id == delivery.id)
            .values(
                status=delivery.status.value,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                last_error=delivery.last_error,
                sent_at=delivery.sent_at,
            )
        )
