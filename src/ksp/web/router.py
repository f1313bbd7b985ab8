"""The pages' router: every page controller, the DKFDS files and our own, the ``visitor``
dependency, and the Danish error pages. Registered in ``ksp.api.app`` beside the API."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from ksp.web.audit import AuditPages
from ksp.web.case_changes import CaseChangePages
from ksp.web.cases import CasePages
from ksp.web.exchanges import ExchangePages
from ksp.web.meeting_pages import MEETING_PAGE_CONTROLLERS
from ksp.web.pages import PAGE_EXCEPTION_HANDLERS
from ksp.web.visitor import provide_visitor

__all__ = ["PAGE_CONTROLLERS", "static_routers", "web_router"]

_STATIC = Path(__file__).resolve().parent / "static"
DKFDS = _STATIC / "dkfds"  # copied from node_modules/dkfds by `make install`
OWN = _STATIC / "own"  # our own few lines of CSS and JS, kept in git

# Each page module's controller, in the order of the menu.
PAGE_CONTROLLERS: list[type] = [CasePages, CaseChangePages, ExchangePages, AuditPages]
PAGE_CONTROLLERS += MEETING_PAGE_CONTROLLERS  # KiF and participants (ksp.web.meeting_pages)


def static_routers() -> list[Router]:
    return [
        create_static_files_router(
            path="/static/dkfds", directories=[DKFDS], include_in_schema=False
        ),
        create_static_files_router(path="/static/web", directories=[OWN], include_in_schema=False),
    ]


def web_router() -> Router:
    return Router(
        path="/",
        route_handlers=list(PAGE_CONTROLLERS),
        dependencies={"visitor": Provide(provide_visitor)},
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
