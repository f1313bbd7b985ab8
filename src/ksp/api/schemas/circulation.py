"""Bodies of the circulation routes: recipients, their keys, participants, deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec

from ksp.api.schemas.common import (
    Unit,
    _In,
)
from ksp.domain.circulation import (
    Agency,
    DeliveryMode,
    DeliveryStatus,
    KeyFormat,
    RecipientStatus,
)

__all__ = [
    "CirculateIn",
    "CirculationOut",
    "DeliveryOut",
    "MailIdentityOut",
    "ParticipantIn",
    "RecipientIn",
    "RecipientKeyIn",
    "RecipientList",
    "RecipientOut",
]


class RecipientIn(_In):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
    agency: Agency
    unit: Unit
    openpgp_key: Annotated[str, msgspec.Meta(min_length=1, max_length=200_000)] | None = None
    certificate: Annotated[str, msgspec.Meta(min_length=1, max_length=200_000)] | None = None
    fingerprint: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    delivery: DeliveryMode = DeliveryMode.ENCRYPTED  # notice: a key is optional


class RecipientOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    email: str
    agency: Agency
    unit: str
    fingerprint: str
    expires_at: dt.datetime | None
    created_at: dt.datetime
    status: RecipientStatus = RecipientStatus.ACTIVE
    retired_at: dt.datetime | None = None
    format: KeyFormat = KeyFormat.OPENPGP  # the envelope: PGP/MIME or S/MIME
    delivery: DeliveryMode = DeliveryMode.ENCRYPTED  # the document, or a signed notice


class MailIdentityOut(msgspec.Struct, kw_only=True):
    """The service's public keys, for recipients to pin and verify its signatures with."""

    openpgp_key: str  # ASCII armour
    openpgp_fingerprint: str
    smime_certificates: str  # PEM: the signing certificate first, then its CAs
    smime_fingerprint: str  # SHA-256 of the signing certificate's DER


class RecipientKeyIn(_In):
    """A key or certificate replacing the pinned one, or the owner's revocation of the
    pinned OpenPGP key; ``openpgp_key`` or ``certificate``, not both."""

    openpgp_key: Annotated[str, msgspec.Meta(min_length=1, max_length=200_000)] | None = None
    certificate: Annotated[str, msgspec.Meta(min_length=1, max_length=200_000)] | None = None
    fingerprint: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class RecipientList(msgspec.Struct, kw_only=True):
    items: list[RecipientOut]


class ParticipantIn(_In):
    recipient_id: UUID


class CirculateIn(_In):
    """Only to send a version again: ``again`` true, and why (recorded, encrypted)."""

    again: bool = False
    reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class DeliveryOut(msgspec.Struct, kw_only=True):
    email: str
    fingerprint: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    sent_at: dt.datetime | None
    message_id: str
    next_attempt_at: dt.datetime | None  # null once sent or failed


class CirculationOut(msgspec.Struct, kw_only=True):
    circulation_id: str
    document_id: str
    version: int
    created_at: dt.datetime
    recipients: list[DeliveryOut]
    again_reason: str | None = None  # why a version already circulated was sent again
