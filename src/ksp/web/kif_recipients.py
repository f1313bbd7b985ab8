"""KiF's recipients (guide 3.3.7, "via sikker mail"): ``GET /modtagere`` lists them with
their keys' status; ``POST /modtagere`` registers one with the OpenPGP key pinned by its
fingerprint; a key is replaced at ``/modtagere/{id}/noegle``; a recipient retires at
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
from ksp.domain.circulation import Agency, RecipientDraft
from ksp.domain.errors import FieldError, KspError
from ksp.services.circulation import CirculationService
from ksp.web.kif_forms import NO_REFUSAL, Refusal, form_of
from ksp.web.kif_meetings import now_of
from ksp.web.meeting_labels import AGENCY, key_status
from ksp.web.pages import page
from ksp.web.visitor import Visitor

__all__ = ["RecipientPages"]

AnyRequest = Request[Any, Any, Any]
_FIELDS = ("name", "email", "agency", "unit", "openpgp_key", "fingerprint")


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
        **refusal.context(),
        failed=failed,
    )


class RecipientPages(Controller):
    path = "/"

    @get("/modtagere", opt=action(Action.MANAGE_RECIPIENTS), include_in_schema=False)
    async def recipients_page(
        self,
        request: AnyRequest,
        visitor: Visitor,
        circulation: NamedDependency[CirculationService],
    ) -> Response[str]:
        return await _recipients_page(request, visitor, circulation)

    @post("/modtagere", opt=action(Action.MANAGE_RECIPIENTS), include_in_schema=False)
    async def register_recipient(
        self,
        request: AnyRequest,
        visitor: Visitor,
        circulation: NamedDependency[CirculationService],
    ) -> Response[Any]:
        form = await form_of(request)
        values = {name: form.text(name) for name in _FIELDS}
        try:
            for name in ("name", "email", "unit", "openpgp_key"):
                form.text(name, required=True)
            if values["agency"] not in AGENCY or values["agency"] == "other":
                form.errors.append(FieldError("agency", "is required"))
            form.check()
            draft = RecipientDraft(
                name=values["name"],
                email=values["email"],
                agency=Agency(values["agency"]),
                unit=values["unit"],
                key=values["openpgp_key"],
                fingerprint=form.optional("fingerprint"),
            )
            await circulation.register(visitor.principal, draft)
        except KspError as exc:
            refusal = Refusal.of(exc, values)
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
        visitor: Visitor,
        circulation: NamedDependency[CirculationService],
        recipient_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        try:
            armored = form.text("openpgp_key", required=True)
            form.check()
            await circulation.recipient_keys.replace_key(
                visitor.principal, str(recipient_id), armored, form.optional("fingerprint")
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
        visitor: Visitor,
        circulation: NamedDependency[CirculationService],
        recipient_id: FromPath[UUID],
    ) -> Response[Any]:
        await circulation.recipient_keys.retire(visitor.principal, str(recipient_id))
        return Redirect("/modtagere", status_code=303)
