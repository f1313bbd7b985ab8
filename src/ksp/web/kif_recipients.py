"""KiF's recipients (guide 3.3.7, "via sikker mail"): ``GET /modtagere`` lists them with
their delivery, their key's format and status; ``POST /modtagere`` registers one, either for
encrypted mail with the OpenPGP key or S/MIME certificate pinned by its fingerprint, or for a
notice only (``delivery: notice`` of ``POST /api/v1/recipients``: the key is then optional);
a key is replaced at ``/modtagere/{id}/noegle``; a recipient retires at
``/modtagere/{id}/udtraed`` (kept for history, never circulated to again).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.domain.access import Action
from ksp.domain.circulation import Agency, DeliveryMode, KeyFormat, RecipientDraft
from ksp.domain.errors import FieldError, KspError
from ksp.services.circulation import CirculationService
from ksp.web.kif_forms import NO_REFUSAL, Form, Refusal, form_of
from ksp.web.kif_meetings import now_of
from ksp.web.meeting_labels import AGENCY, DELIVERY_MODE, KEY_FORMAT, key_status
from ksp.web.pages import page
from ksp.web.visitor import Visitor

__all__ = ["RecipientPages"]

AnyRequest = Request[Any, Any, Any]
_FIELDS = ("name", "email", "agency", "unit", "delivery", "openpgp_key", "fingerprint")
NO_KEY = "give either openpgp_key or certificate"  # the domain's words (check_recipient)
# Problems of a registration that concern one field: shown next to it.
_PROBLEM_FIELDS = {"recipient-key-unusable": "openpgp_key", "recipient-exists": "email"}


async def _recipients_page(
    request: AnyRequest,
    visitor: Visitor,
    circulation: CirculationService,
    refusal: Refusal = NO_REFUSAL,
    failed: str | None = None,
) -> Response[str]:
    found = await circulation.recipients(visitor.principal)
    now = now_of(request)
    return page(
        request,
        "web/kif/recipients.html.j2",
        status=refusal.status,
        recipients=[(r, key_status(r, now)) for r in found],
        agencies={a.value: AGENCY[a.value] for a in Agency},
        deliveries=DELIVERY_MODE,
        key_formats=KEY_FORMAT,
        **refusal.context(),
        failed=failed,
    )


class RecipientPages(Controller):
    path = "/"

    @get("/modtagere", opt=action(Action.MANAGE_RECIPIENTS), include_in_schema=False)
    async def recipients_page(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        circulation: NamedDependency[CirculationService],
    ) -> Response[str]:
        return await _recipients_page(request, visitor, circulation)

    @post("/modtagere", opt=action(Action.MANAGE_RECIPIENTS), include_in_schema=False)
    async def register_recipient(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        circulation: NamedDependency[CirculationService],
    ) -> Response[Any]:
        form = await form_of(request)
        values = {name: form.text(name) for name in _FIELDS}
        try:
            await circulation.register(visitor.principal, _draft_of(form))
        except KspError as exc:
            refusal = Refusal.of(exc, values).at_field(exc, _PROBLEM_FIELDS)
            return await _recipients_page(request, visitor, circulation, refusal)
        return Redirect("/modtagere", status_code=303)

    @post(
        "/modtagere/{recipient_id:uuid}/noegle",
        opt=action(Action.MANAGE_RECIPIENTS),
        include_in_schema=False,
    )
    async def replace_key(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        circulation: NamedDependency[CirculationService],
        recipient_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        try:
            armored = form.text("openpgp_key", required=True)
            form.check()
            await circulation.recipient_keys.replace_key(
                visitor.principal,
                str(recipient_id),
                armored,
                form.optional("fingerprint"),
                format_of(armored),
            )
        except KspError as exc:
            refusal = Refusal.of(exc)
            failed = str(recipient_id)
            return await _recipients_page(request, visitor, circulation, refusal, failed)
        return Redirect("/modtagere", status_code=303)

    @post(
        "/modtagere/{recipient_id:uuid}/udtraed",
        opt=action(Action.MANAGE_RECIPIENTS),
        include_in_schema=False,
    )
    async def retire_recipient(
        self,
        visitor: NamedDependency[Visitor],
        circulation: NamedDependency[CirculationService],
        recipient_id: FromPath[UUID],
    ) -> Response[Any]:
        await circulation.recipient_keys.retire(visitor.principal, str(recipient_id))
        return Redirect("/modtagere", status_code=303)


def _draft_of(form: Form) -> RecipientDraft:
    """The registration as ``POST /api/v1/recipients`` takes it: for encrypted mail a key or
    certificate is required; for a notice only, it is optional (and checked if given)."""
    for name in ("name", "email", "unit"):
        form.text(name, required=True)
    agency = form.text("agency")
    if agency not in AGENCY or agency == "other":
        form.errors.append(FieldError("agency", "is required"))
    delivery = form.text("delivery") or DeliveryMode.ENCRYPTED  # the API's default too
    if delivery not in DELIVERY_MODE:
        form.errors.append(FieldError("delivery", "is required"))
    key = form.optional("openpgp_key")
    if key is None and delivery == DeliveryMode.ENCRYPTED:
        form.errors.append(FieldError("openpgp_key", NO_KEY))
    form.check()
    return RecipientDraft(
        name=form.text("name"),
        email=form.text("email"),
        agency=Agency(agency),
        unit=form.text("unit"),
        key=key,
        fingerprint=form.optional("fingerprint"),
        key_format=KeyFormat.OPENPGP if key is None else format_of(key),
        delivery=DeliveryMode(delivery),
    )


def format_of(pasted: str) -> KeyFormat:
    """An X.509 certificate (PEM) makes an S/MIME recipient; anything else is read as an
    OpenPGP key, and the service's checks refuse it with their reason if it is not one."""
    return KeyFormat.SMIME if "-----BEGIN CERTIFICATE-----" in pasted else KeyFormat.OPENPGP
