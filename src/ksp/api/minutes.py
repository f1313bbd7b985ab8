"""``POST /meetings/{id}/minutes``: a new version of the meeting's minutes (referat)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from ksp.api.auth import action, authorised
from ksp.api.docs import problems
from ksp.api.meeting_work_schemas import MinutesIn
from ksp.api.schemas import NewVersionOut, nfc
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal
from ksp.services.minutes import MinutesService

__all__ = ["MinutesController"]


class MinutesController(Controller):
    path = "/meetings/{meeting_id:uuid}/minutes"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["meetings"]  # noqa: RUF012

    @post(
        "/",
        opt=action(Action.MANAGE_MEETING),
        responses=problems(404, 409, 422),
        summary="Write the minutes: a new journalised version",
        description="Built from the latest attendance, the current outcomes and their "
        "actions. The first version closes a held meeting; a planned meeting has no minutes "
        "(409 meeting-status), nor a cancelled one (409 meeting-cancelled).",
        status_code=201,
        dto=StrictJSON[MinutesIn],
        return_dto=None,
    )
    async def write(
        self,
        principal: NamedDependency[Principal],
        minutes: NamedDependency[MinutesService],
        meeting_id: FromPath[UUID],
        data: JSONBody[MinutesIn],
    ) -> NewVersionOut:
        made = await minutes.write(principal, str(meeting_id), nfc(data.reason))
        return NewVersionOut(document_id=made.document_id, version=made.version, sha256=made.sha256)
