"""The Litestar application factory: wiring only, no rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import swagger_ui_bundle
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.api.acting import decide_acting_municipality
from ksp.api.audit import AuditController
from ksp.api.auth import BearerAuthMiddleware
from ksp.api.cases import CaseController
from ksp.api.circulation import CirculationController
from ksp.api.documents import DocumentController
from ksp.api.exchanges import ExchangeController
from ksp.api.inquiries import InquiryController
from ksp.api.meetings import MeetingController
from ksp.api.middleware import RequestContextMiddleware, echo_request_id
from ksp.api.ops import health, ready
from ksp.api.problems import exception_handlers
from ksp.api.proofs import ProofController
from ksp.crypto import FieldCipher, KeyedHasher
from ksp.db.engine import create_engine, create_sessionmaker
from ksp.db.uow import Adapters, SqlUnitOfWorkFactory
from ksp.journal.signing import journal_signer
from ksp.mail.secure import GpgSecureMail
from ksp.mail.setup import secure_mail, transport
from ksp.mail.worker import OutboxWorker
from ksp.rendering import render_document
from ksp.services.audit import AuditService
from ksp.services.cases import CaseService
from ksp.services.circulation import CirculationService
from ksp.services.documents import DocumentService
from ksp.services.exchanges import ExchangeService
from ksp.services.inquiries import InquiryService
from ksp.services.meetings import MeetingService
from ksp.services.ports import Clock
from ksp.services.proofs import ProofService
from ksp.settings import Settings
from ksp.tokens import TokenVerifier

__all__ = ["SystemClock", "create_app"]

SWAGGER_STATIC = "/static/swagger-ui"


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class _Wiring:
    cases: CaseService
    audit: AuditService
    meetings: MeetingService
    documents: DocumentService
    circulation: CirculationService
    inquiries: InquiryService
    exchanges: ExchangeService
    proofs: ProofService
    database_ping: Callable[[], Awaitable[bool]]


def _ping(engine: AsyncEngine) -> Callable[[], Awaitable[bool]]:
    async def ping() -> bool:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
        return True

    return ping


def _dependencies(wiring: _Wiring) -> dict[str, Provide]:
    """Each service by the name handlers ask for it (``NamedDependency``)."""

    def provider(value: object) -> Callable[[], Any]:
        def provide() -> Any:
            return value

        return provide

    return {
        field.name: Provide(
            provider(getattr(wiring, field.name)), use_cache=True, sync_to_thread=False
        )
        for field in dataclasses.fields(wiring)
    }


def _openapi() -> OpenAPIConfig:
    static = SWAGGER_STATIC
    return OpenAPIConfig(
        title="KSP service",
        version="1",
        path="/schema",
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        render_plugins=[
            SwaggerRenderPlugin(
                path=["/", "/swagger"],
                js_url=f"{static}/swagger-ui-bundle.js",
                css_url=f"{static}/swagger-ui.css",
                standalone_preset_js_url=f"{static}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{static}/favicon-32x32.png'>",
            )
        ],
    )


def _outbox_lifespan(
    worker: OutboxWorker,
    mail: GpgSecureMail,
    *,
    run_worker: bool,
    poll_seconds: float,
    check_key: bool,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Deliver the outbox inside this process (the default of `make run`), and stop the
    keyring's gpg-agent on shutdown. A configured signing key is checked at start-up, so a
    wrong key file stops the instance before it serves anything."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        if check_key:
            await anyio.to_thread.run_sync(mail.signing_fingerprint)
        async with anyio.create_task_group() as group:
            if run_worker:
                group.start_soon(functools.partial(worker.run, poll_seconds=poll_seconds))
            try:
                yield
            finally:
                group.cancel_scope.cancel()
                mail.close()

    return lifespan


def create_app(
    settings: Settings, *, clock: Clock | None = None, engine: AsyncEngine | None = None
) -> Litestar:
    """The service, wired to ``settings``; ``engine`` and ``clock`` may be supplied by tests."""
    clock = clock or SystemClock()
    engine = engine or create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        schema=settings.database_schema,
    )
    cipher = FieldCipher(settings.data_keys, settings.data_key_id)
    hasher = KeyedHasher(settings.cpr_hash_key)
    signer = journal_signer(settings)
    uow = SqlUnitOfWorkFactory(Adapters(create_sessionmaker(engine), cipher, hasher, signer))
    mail = secure_mail(settings)
    worker = OutboxWorker(
        uow,
        transport(settings),
        clock,
        sender=settings.mail_from,
        lease=dt.timedelta(seconds=settings.outbox_lease_seconds),
    )
    wiring = _Wiring(
        cases=CaseService(uow, clock),
        audit=AuditService(uow, clock, signer),
        meetings=MeetingService(uow, clock),
        documents=DocumentService(uow, clock),
        circulation=CirculationService(uow, clock, mail, render_document),
        inquiries=InquiryService(uow, clock),
        exchanges=ExchangeService(uow, clock),
        proofs=ProofService(uow, signer),
        database_ping=_ping(engine),
    )
    verifier = TokenVerifier(
        settings.token_secret,
        jwks=settings.jwks,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    api = Router(
        path="/api/v1",
        route_handlers=[
            CaseController,
            MeetingController,
            DocumentController,
            CirculationController,
            InquiryController,
            ExchangeController,
            AuditController,
            ProofController,
            decide_acting_municipality,
        ],
        middleware=[DefineMiddleware(BearerAuthMiddleware)],
        security=[{"bearer": []}],
    )
    swagger_dir = Path(swagger_ui_bundle.swagger_ui_path)
    return Litestar(
        route_handlers=[
            health,
            ready,
            api,
            create_static_files_router(
                path=SWAGGER_STATIC, directories=[swagger_dir], include_in_schema=False
            ),
        ],
        dependencies=_dependencies(wiring),
        state=State(
            {
                "verifier": verifier,
                "hasher": hasher,
                "engine": engine,
                "outbox_worker": worker,
                "uow": uow,
                "mail": mail,
            }
        ),
        lifespan=[
            _outbox_lifespan(
                worker,
                mail,
                run_worker=settings.outbox_in_process,
                poll_seconds=settings.outbox_poll_ms / 1000,
                check_key=settings.mail_signing_key is not None,
            )
        ],
        middleware=[RequestContextMiddleware],
        before_send=[echo_request_id],
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        openapi_config=_openapi(),
        request_max_body_size=settings.max_body_bytes,
        on_shutdown=[engine.dispose],
        logging_config=None,
    )
