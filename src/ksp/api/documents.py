"""``/api/v1/documents``: one version (JSON, Danish HTML or its PDF/A-2b), and the difference
of two."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, PathParameter, QueryParameter

from ksp.api.auth import action, authorised
from ksp.api.docs import problems
from ksp.api.schemas.meetings import ChangedEntryOut, DiffOut, EntryOut, VersionOut
from ksp.domain.access import Action, Principal
from ksp.domain.cases import Custody
from ksp.domain.documents import DocumentVersion
from ksp.domain.lists import ListEntry
from ksp.printing import PdfRenderer
from ksp.rendering import render_printable
from ksp.services.documents import DocumentService

__all__ = ["DocumentController"]

_FIELDS = ("name", "cpr", "concern", "custody", "submitted_by_unit")


def _entry(entry: ListEntry) -> EntryOut:
    return EntryOut(
        case_id=entry.case_id,
        name=entry.name,
        cpr=entry.cpr,
        concern=entry.concern,
        custody=Custody(entry.custody),
        submitted_by=entry.submitted_by_unit,
    )


def _version(document: DocumentVersion) -> VersionOut:
    return VersionOut(
        document_id=document.document_id,
        meeting_id=document.meeting_id,
        version=document.version,
        sha256=document.sha256,
        created_at=document.created_at,
        created_by=document.created_by_sub,
        reason=document.reason,
        entries=[_entry(e) for e in document.entries],
        kind=document.kind,
        attendees=document.body.get("attendees") if document.kind == "minutes" else None,
        cases=document.body.get("cases") if document.kind == "minutes" else None,
    )


_JSON, _HTML, _PDF = "application/json", "text/html", "application/pdf"


def _wanted(request: Request[Any, Any, Any]) -> str:
    """JSON unless the client prefers the document's HTML or its PDF."""
    return request.accept.best_match([_JSON, _HTML, _PDF]) or _JSON


def _pdf_name(document: DocumentVersion) -> str:
    kind = "referat" if document.kind == "minutes" else "liste"
    return f"ksp-{kind}-v{document.version}.pdf"


class DocumentController(Controller):
    path = "/documents"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["documents"]  # noqa: RUF012

    @get(
        "/{document_id:uuid}/versions/{n:int}",
        opt=action(Action.READ_DOCUMENTS),
        responses=problems(404, 503),
        summary="One version (JSON; HTML with Accept: text/html; PDF/A-2b with application/pdf)",
    )
    async def version(
        self,
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        documents: NamedDependency[DocumentService],
        printer: NamedDependency[PdfRenderer],
        document_id: FromPath[UUID],
        n: Annotated[int, PathParameter(ge=1, le=1_000_000)],
    ) -> Response[VersionOut] | Response[str] | Response[bytes]:
        wanted = _wanted(request)
        if wanted == _JSON:
            return Response(_version(await documents.version(principal, str(document_id), n)))
        printable = await documents.printable(principal, str(document_id), n)
        html = render_printable(printable)
        if wanted == _HTML:
            return Response(html, media_type="text/html; charset=utf-8")
        name = _pdf_name(printable.document)
        return Response(
            await printer.render(html),
            media_type=_PDF,
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )

    @get(
        "/{document_id:uuid}/diff",
        opt=action(Action.READ_DOCUMENTS),
        responses=problems(404, 422),
        summary="Entries added, removed and changed",
    )
    async def diff(
        self,
        principal: NamedDependency[Principal],
        documents: NamedDependency[DocumentService],
        document_id: FromPath[UUID],
        from_version: Annotated[int, QueryParameter(name="from", ge=1, le=1_000_000)],
        to_version: Annotated[int, QueryParameter(name="to", ge=1, le=1_000_000)],
    ) -> DiffOut:
        result = await documents.diff(principal, str(document_id), from_version, to_version)
        return DiffOut(
            document_id=str(document_id),
            from_version=from_version,
            to_version=to_version,
            added=[_entry(e) for e in result.added],
            removed=[_entry(e) for e in result.removed],
            changed=[
                ChangedEntryOut(
                    case_id=after.case_id,
                    before=_entry(before),
                    after=_entry(after),
                    fields=[f for f in _FIELDS if getattr(before, f) != getattr(after, f)],
                )
                for before, after in result.changed
            ],
        )
