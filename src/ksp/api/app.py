"""The Litestar application factory: wiring only, no rules."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.api.acting import decide_acting_municipality
from ksp.api.audit import AuditController
from ksp.api.auth import BearerAuthMiddleware
from ksp.api.case_corrections import CaseCorrectionController
from ksp.api.cases import CaseController
from ksp.api.circulation import CirculationController
from ksp.api.data_protection import DataProtectionController
from ksp.api.dependencies import API_DEPENDENCIES
from ksp.api.documents import DocumentController
from ksp.api.exchanges import ExchangeController
from ksp.api.inquiries import InquiryController
from ksp.api.mail_identity import MailIdentityController
from ksp.api.meeting_lifecycle import MeetingLifecycleController
from ksp.api.meetings import MeetingController
from ksp.api.middleware import (
    ConcurrencyLimitMiddleware,
    RequestContextMiddleware,
    RequestGate,
    echo_request_id,
)
from ksp.api.minutes import MinutesController
from ksp.api.openapi_ui import SwaggerUiPlugin, swagger_assets_router
from ksp.api.ops import health, ready
from ksp.api.outcomes import ActionController, OutcomeController, worklist
from ksp.api.problems import exception_handlers
from ksp.api.proofs import ProofController
from ksp.api.query_params import known_query_parameters_only
from ksp.api.reference import ReferenceController
from ksp.api.security_headers import (
    SchemaPagePolicyMiddleware,
    page_policy,
    security_headers_hook,
)
from ksp.auth.csrf import CsrfMiddleware
from ksp.auth.web import ROUTES as SIGN_IN_ROUTES
from ksp.bootstrap import SystemClock, build_services, database_engine, run_outbox
from ksp.db.migrate import at_code_head, code_heads
from ksp.mail.secure import EnvelopeMail
from ksp.mail.worker import OutboxWorker
from ksp.printing import PdfRenderer
from ksp.rendering import template_sources
from ksp.services.ports import Clock
from ksp.services.witnessing import WitnessingService
from ksp.settings import Settings
from ksp.web.router import static_routers, web_router
from ksp.witness.client import HttpWitnessAsker

__all__ = ["SystemClock", "create_app"]  # SystemClock: re-exported for older imports


# The services handlers ask for by name (``NamedDependency``), as the composition root built them.
_HANDLER_SERVICES = (
    "cases",
    "audit",
    "meetings",
    "documents",
    "circulation",
    "circulation_history",
    "inquiries",
    "exchanges",
    "meeting_lifecycle",
    "meeting_outcomes",
    "minutes",
    "worklists",
    "corrections",
    "units",
    "proofs",
    "mail",
    "erasure",
    "subject_access",
    "printer",
)


def _ping(engine: AsyncEngine) -> Callable[[], Awaitable[bool]]:
    """Ready: the database answers, and is at the migration head of this code (checked until
    it is reached once; a database does not go back)."""
    heads = code_heads()
    reached = False

    async def ping() -> bool:
        nonlocal reached
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                reached = reached or await at_code_head(connection, heads)
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
        return reached

    return ping


def _dependencies(values: dict[str, object]) -> dict[str, Provide]:
    """Each service by the name handlers ask for it (``NamedDependency``)."""

    def provider(value: object) -> Callable[[], Any]:
        def provide() -> Any:
            return value

        return provide

    return {
        name: Provide(provider(value), use_cache=True, sync_to_thread=False)
        for name, value in values.items()
    }


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="KSP service",
        version="1",
        path="/schema",
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        render_plugins=[SwaggerUiPlugin(path=["/", "/swagger"])],
    )


def _outbox_lifespan(
    worker: OutboxWorker,
    engine: AsyncEngine,
    mail: EnvelopeMail,
    printer: PdfRenderer,
    *,
    run_worker: bool,
    poll_seconds: float,
    check_key: bool,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Deliver the outbox inside this process (the default of `make run`), and stop the
    keyring's gpg-agent on shutdown. A configured signing key (OpenPGP or S/MIME) is checked
    at start-up, so a wrong key file stops the instance before it serves anything."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        if check_key:
            await anyio.to_thread.run_sync(mail.signing_fingerprint)
            await anyio.to_thread.run_sync(mail.smime.identity)
        async with anyio.create_task_group() as group:
            if run_worker:
                group.start_soon(
                    functools.partial(run_outbox, worker, engine, poll_seconds=poll_seconds)
                )
            try:
                yield
            finally:
                group.cancel_scope.cancel()
                mail.close()
                printer.close()

    return lifespan


def _witness_lifespan(
    witnessing: WitnessingService | None, asker: HttpWitnessAsker | None
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """At start-up, before serving, ask every witness of the policy what it last cosigned
    (each within KSP_WITNESS_TIMEOUT_MS), so the first write after a restored older copy is
    already refused; then send every new checkpoint, retrying those still uncosigned."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        if witnessing is None or asker is None:
            yield
            return
        await witnessing.try_round()
        async with anyio.create_task_group() as group:
            group.start_soon(witnessing.run)
            try:
                yield
            finally:
                group.cancel_scope.cancel()
                await asker.close()

    return lifespan


def _background_lifespan(
    loop: Callable[[], Coroutine[Any, Any, None]],
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """``loop`` runs while the app serves: the in-process worker's retention runs
    (``RetentionService.run_every``), the refresh of KSP_SMIME_CRLS's URLs
    (``CrlSources.refresh_every``: in this process, the one that checks certificates)."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with anyio.create_task_group() as group:
            group.start_soon(loop)
            try:
                yield
            finally:
                group.cancel_scope.cancel()

    return lifespan


def create_app(
    settings: Settings, *, clock: Clock | None = None, engine: AsyncEngine | None = None
) -> Litestar:
    """The service, wired to ``settings``; ``engine`` and ``clock`` may be supplied by tests."""
    clock = clock or SystemClock()
    engine = engine or database_engine(settings)
    built = build_services(settings, engine, clock)
    handler_values: dict[str, object] = {name: getattr(built, name) for name in _HANDLER_SERVICES}
    handler_values["database_ping"] = _ping(engine)
    api = Router(
        path="/api/v1",
        route_handlers=[
            CaseController,
            CaseCorrectionController,
            ReferenceController,
            MeetingController,
            MeetingLifecycleController,
            MinutesController,
            OutcomeController,
            ActionController,
            worklist,
            DocumentController,
            CirculationController,
            InquiryController,
            ExchangeController,
            AuditController,
            DataProtectionController,
            ProofController,
            MailIdentityController,
            decide_acting_municipality,
        ],
        middleware=[DefineMiddleware(BearerAuthMiddleware)],
        guards=[known_query_parameters_only],
        dependencies=API_DEPENDENCIES,
        security=[{"bearer": []}],
    )
    return Litestar(
        route_handlers=[
            health,
            ready,
            api,
            *SIGN_IN_ROUTES,
            web_router(),
            swagger_assets_router(),
            *static_routers(),
        ],
        dependencies=_dependencies(handler_values),
        state=State(
            {
                "verifier": built.verifier,
                "hasher": built.hasher,
                "engine": engine,
                "outbox_worker": built.worker,
                "uow": built.uow,
                "mail": built.mail,
                "sign_in": built.sign_in,
                "clock": clock,  # the pages check a form's dates against it
            }
        ),
        lifespan=[
            _outbox_lifespan(
                built.worker,
                engine,
                built.mail,
                built.printer,
                run_worker=settings.outbox_in_process,
                poll_seconds=settings.outbox_poll_ms / 1000,
                check_key=settings.mail_signing_key is not None or settings.smime_cert is not None,
            ),
            _witness_lifespan(built.witnessing, built.witness_asker),
            *([_background_lifespan(built.crls.refresh_every)] if built.crls.has_urls else []),
            *(
                [
                    _background_lifespan(
                        functools.partial(
                            built.retention.run_every, settings.retention_interval_seconds
                        )
                    )
                ]
                if settings.outbox_in_process and settings.retention.durations
                else []
            ),
        ],
        middleware=[
            RequestContextMiddleware,
            DefineMiddleware(
                ConcurrencyLimitMiddleware, gate=RequestGate(settings.max_concurrency)
            ),
            SchemaPagePolicyMiddleware,
            CsrfMiddleware,
        ],
        before_send=[echo_request_id, security_headers_hook(page_policy(template_sources()))],
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        openapi_config=_openapi(),
        request_max_body_size=settings.max_body_bytes,
        on_shutdown=[engine.dispose],
        logging_config=None,
    )
