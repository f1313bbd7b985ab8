"""Secure circulation: ``/recipients`` (with ``/recipients/{id}/key`` and retiring by
``DELETE /recipients/{id}``), ``/meetings/{id}/participants``,
``/documents/{id}/versions/{n}/circulate`` and ``/circulations/{id}``."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter

from ksp.api.auth import action, authorised
from ksp.api.docs import problems
from ksp.api.schemas.circulation import (
    CirculateIn,
    CirculationOut,
    DeliveryOut,
    ParticipantIn,
    RecipientIn,
    RecipientKeyIn,
    RecipientList,
    RecipientOut,
)
from ksp.api.schemas.common import nfc
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal
from ksp.domain.circulation import (
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    KeyFormat,
    Recipient,
    RecipientDraft,
)
from ksp.domain.errors import FieldError, InvalidInput
from ksp.services.circulation import Again, Circulated, CirculationService

__all__ = ["CirculationController", "delivery_out"]

_SETTLED = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED})  # no next attempt


def _recipient(recipient: Recipient) -> RecipientOut:
    return RecipientOut(
        id=recipient.id,
        name=recipient.name,
        email=recipient.email,
        agency=recipient.agency,
        unit=recipient.unit,
        fingerprint=recipient.fingerprint,
        expires_at=recipient.expires_at,
        created_at=recipient.created_at,
        status=recipient.status,
        retired_at=recipient.retired_at,
        format=recipient.key_format,
        delivery=recipient.delivery,
    )


def _key_of(openpgp_key: str | None, certificate: str | None) -> tuple[str, KeyFormat]:
    """The key material given and its format: an OpenPGP key or a certificate, one of them."""
    if (openpgp_key is None) == (certificate is None):
        raise InvalidInput(
            [FieldError("certificate", "give either openpgp_key or certificate, not both")]
        )
    if certificate is not None:
        return certificate, KeyFormat.SMIME
    assert openpgp_key is not None
    return openpgp_key, KeyFormat.OPENPGP


def _circulation(result: Circulated) -> CirculationOut:
    c = result.circulation
    return CirculationOut(
        circulation_id=c.id,
        document_id=c.document_id,
        version=c.version,
        created_at=c.created_at,
        recipients=[delivery_out(d) for d in result.deliveries],
        again_reason=c.again_reason,
    )


def delivery_out(d: Delivery) -> DeliveryOut:
    """How one message went (a circulation's, or a cancellation notice)."""
    return DeliveryOut(
        email=d.email,
        fingerprint=d.fingerprint,
        status=d.status,
        attempts=d.attempts,
        last_error=d.last_error,
        sent_at=d.sent_at,
        message_id=d.message_id,
        next_attempt_at=None if d.status in _SETTLED else d.next_attempt_at,
    )


class CirculationController(Controller):
    path = "/"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["circulation"]  # noqa: RUF012

    @post(
        "/recipients",
        opt=action(Action.MANAGE_RECIPIENTS),
        responses=problems(409, 422),
        summary="Register a recipient and pin their OpenPGP key or S/MIME certificate",
        description=(
            "`openpgp_key` (ASCII armour) or `certificate` (one PEM X.509 certificate, which "
            "must chain to `KSP_SMIME_TRUST_ANCHORS`, be valid 30 more days, hold an RSA key "
            "of at least 2048 bits allowing key encipherment, name the address and not be "
            "revoked); the recipient's `format` is then `openpgp` or `smime`, and mail to them "
            "PGP/MIME or S/MIME. `delivery: notice` makes the key optional: mail to them is "
            "then a notice without personal data, signed by the service's S/MIME certificate "
            "(`multipart/signed`), with a link to where participants read the version."
        ),
        status_code=201,
        dto=StrictJSON[RecipientIn],
        return_dto=None,
    )
    async def register(
        self,
        principal: NamedDependency[Principal],
        circulation: NamedDependency[CirculationService],
        data: JSONBody[RecipientIn],
    ) -> RecipientOut:
        key: str | None
        if data.delivery is DeliveryMode.NOTICE and data.openpgp_key is data.certificate is None:
            key, key_format = None, KeyFormat.OPENPGP
        else:
            key, key_format = _key_of(data.openpgp_key, data.certificate)
        draft = RecipientDraft(
            nfc(data.name),
            data.email,
            data.agency,
            data.unit,
            key,
            data.fingerprint,
            key_format,
            data.delivery,
        )
        return _recipient(await circulation.register(principal, draft))

    @put(
        "/recipients/{recipient_id:uuid}/key",
        opt=action(Action.MANAGE_RECIPIENTS),
        responses=problems(404, 409, 422),
        summary="Replace a recipient's key, or block it with the owner's revocation of it",
        description=(
            "The same checks as at registration, except that the pinned key itself, revoked "
            "by its owner, is taken too: the recipient is then `blocked` (every circulation "
            "to it is refused) until a usable key replaces it."
        ),
        dto=StrictJSON[RecipientKeyIn],
        return_dto=None,
    )
    async def replace_key(
        self,
        principal: NamedDependency[Principal],
        circulation: NamedDependency[CirculationService],
        recipient_id: FromPath[UUID],
        data: JSONBody[RecipientKeyIn],
    ) -> RecipientOut:
        key, key_format = _key_of(data.openpgp_key, data.certificate)
        replaced = await circulation.recipient_keys.replace_key(
            principal, str(recipient_id), key, data.fingerprint, key_format
        )
        return _recipient(replaced)

    @delete(
        "/recipients/{recipient_id:uuid}",
        opt=action(Action.MANAGE_RECIPIENTS),
        responses=problems(404),
        summary="Retire a recipient: kept for history, never circulated to again",
        status_code=204,
    )
    async def retire(
        self,
        principal: NamedDependency[Principal],
        circulation: NamedDependency[CirculationService],
        recipient_id: FromPath[UUID],
    ) -> None:
        await circulation.recipient_keys.retire(principal, str(recipient_id))

    @get(
        "/recipients",
        opt=action(Action.MANAGE_RECIPIENTS),
        responses=problems(),
        summary="Your recipients, with their keys' expiry",
    )
    async def recipients(
        self,
        principal: NamedDependency[Principal],
        circulation: NamedDependency[CirculationService],
    ) -> RecipientList:
        found = await circulation.recipients(principal)
        return RecipientList(items=[_recipient(r) for r in found])

    @post(
        "/meetings/{meeting_id:uuid}/participants",
        opt=action(Action.MANAGE_RECIPIENTS),
        responses=problems(404, 409, 422),
        summary="Add a participant",
        status_code=201,
        dto=StrictJSON[ParticipantIn],
        return_dto=None,
    )
    async def add_participant(
        self,
        principal: NamedDependency[Principal],
        circulation: NamedDependency[CirculationService],
        meeting_id: FromPath[UUID],
        data: JSONBody[ParticipantIn],
    ) -> RecipientList:
        found = await circulation.add_participant(
            principal, str(meeting_id), str(data.recipient_id)
        )
        return RecipientList(items=[_recipient(r) for r in found])

    @get(
        "/meetings/{meeting_id:uuid}/participants",
        opt=action(Action.MANAGE_RECIPIENTS),
        responses=problems(404),
        summary="The meeting's participants",
    )
    async def participants(
        self,
        principal: NamedDependency[Principal],
        circulation: NamedDependency[CirculationService],
        meeting_id: FromPath[UUID],
    ) -> RecipientList:
        found = await circulation.participants(principal, str(meeting_id))
        return RecipientList(items=[_recipient(r) for r in found])

    @post(
        "/documents/{document_id:uuid}/versions/{n:int}/circulate",
        opt=action(Action.CIRCULATE),
        responses=problems(404, 409, 422),
        summary="Encrypt and send a version to every participant",
        description=(
            "A version already circulated: 409 already-circulated, unless the body is "
            '{"again": true, "reason": "..."} (the reason is recorded).'
        ),
        status_code=202,
        dto=StrictJSON[CirculateIn],
        return_dto=None,
    )
    async def circulate(
        self,
        principal: NamedDependency[Principal],
        circulation: NamedDependency[CirculationService],
        document_id: FromPath[UUID],
        n: Annotated[int, PathParameter(ge=1, le=1_000_000)],
        data: JSONBody[CirculateIn | None] = None,
    ) -> CirculationOut:
        again = Again()
        if data is not None:
            again = Again(data.again, None if data.reason is None else nfc(data.reason))
        result = await circulation.circulate(principal, str(document_id), n, again)
        return _circulation(result)

    @delete(
        "/meetings/{meeting_id:uuid}/participants/{recipient_id:uuid}",
        opt=action(Action.MANAGE_RECIPIENTS),
        responses=problems(404),
        summary="Remove a participant: later circulations leave them out",
        status_code=204,
    )
    async def remove_participant(
        self,
        principal: NamedDependency[Principal],
        circulation: NamedDependency[CirculationService],
        meeting_id: FromPath[UUID],
        recipient_id: FromPath[UUID],
    ) -> None:
        await circulation.remove_participant(principal, str(meeting_id), str(recipient_id))

    @get(
        "/circulations/{circulation_id:uuid}",
        opt=action(Action.READ_CIRCULATION),
        responses=problems(404),
        summary="How the delivery of a circulation went",
    )
    async def status(
        self,
        principal: NamedDependency[Principal],
        circulation: NamedDependency[CirculationService],
        circulation_id: FromPath[UUID],
    ) -> CirculationOut:
        return _circulation(await circulation.status(principal, str(circulation_id)))
