"""The one composition root: settings in, the service's parts out.

The app (``ksp.api.app``), the command line (``ksp.cli``) and the benchmarks build what
they need here, so that no adapter below reads the settings itself: ``journal/`` and
``mail/`` take plain values, and this module is the only place that knows which setting
feeds which part.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Literal, cast

import anyio
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.auth import wiring as sign_in_wiring
from ksp.auth.context import SignIn
from ksp.crypto import FieldCipher, KeyedHasher
from ksp.db.data_key_store import DataKeyRing
from ksp.db.engine import create_engine, create_sessionmaker
from ksp.db.outbox_signal import listen_for_outbox
from ksp.db.uow import Adapters, SqlUnitOfWorkFactory
from ksp.domain.circulation import Recipient
from ksp.domain.meetings import Meeting
from ksp.domain.reference import UnitTable
from ksp.journal.checkpoint import CheckpointSigner
from ksp.keys.file_kek import FileKekKeeper
from ksp.keys.kek import KekKeeper
from ksp.keys.pkcs11_kek import Pkcs11KekKeeper
from ksp.mail.invitation import invitation_ics
from ksp.mail.keyring import Keyring
from ksp.mail.secure import EnvelopeMail, GpgSecureMail
from ksp.mail.smime_crls import CrlLimits, CrlSources
from ksp.mail.smime_mail import SmimeSecureMail
from ksp.mail.smime_policy import TrustPolicy
from ksp.mail.transport import (
    ConnectionLimits,
    MaildirTransport,
    SmtpConfig,
    SmtpTransport,
    Transport,
)
from ksp.mail.worker import OutboxWorker
from ksp.printing import PdfLimits, PdfRenderer
from ksp.rendering import render_cancellation, render_printable
from ksp.services.audit import AuditService
from ksp.services.cancellation import CancellationNotices
from ksp.services.cases import CaseService
from ksp.services.circulation import CirculationService
from ksp.services.circulation_history import CirculationHistoryService
from ksp.services.corrections import CorrectionService
from ksp.services.documents import DocumentService
from ksp.services.exchanges import ExchangeService
from ksp.services.inquiries import InquiryService
from ksp.services.meeting_lifecycle import MeetingLifecycleService
from ksp.services.meetings import MeetingService
from ksp.services.minutes import MinutesService
from ksp.services.outcomes import OutcomeService
from ksp.services.ports import Clock
from ksp.services.proofs import ProofService
from ksp.services.retention import ErasureService, RetentionService
from ksp.services.sealing import OptionalParts
from ksp.services.subject_access import SubjectAccessService
from ksp.services.witnessing import RollbackGuard, WitnessingService
from ksp.services.worklist import WorklistService
from ksp.settings import ConfigError, Settings
from ksp.tokens import TokenVerifier
from ksp.witness.client import HttpWitnessAsker
from ksp.witness.policy import Policy

__all__ = [
    "Services",
    "SystemClock",
    "build_services",
    "database_engine",
    "journal_signer",
    "kek_keeper",
    "outbox_worker",
    "pdf_renderer",
    "retention_service",
    "run_outbox",
    "secure_mail",
    "store_adapters",
    "token_verifier",
    "transport",
    "unit_of_work",
]


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


def journal_signer(settings: Settings) -> CheckpointSigner:
    """The journal's checkpoint key (KSP_JOURNAL_SIGNING_KEY or secrets.json)."""
    key = Ed25519PrivateKey.from_private_bytes(settings.journal_signing_key)
    return CheckpointSigner(key, settings.journal_origin)


def crl_sources(settings: Settings) -> CrlSources:
    """KSP_SMIME_CRLS with their limits (KSP_SMIME_CRL_*): the service's worker refreshes
    the URLs (``CrlSources.refresh_every``)."""
    limits = CrlLimits(
        refresh_seconds=float(settings.smime_crl_refresh_seconds),
        timeout_seconds=float(settings.smime_crl_timeout_seconds),
        max_bytes=settings.smime_crl_max_bytes,
    )
    return CrlSources(settings.smime_crls, limits)


def secure_mail(settings: Settings, crls: CrlSources | None = None) -> EnvelopeMail:
    """The service's keyring lives in ``$KSP_DATA_DIR/gnupg`` (0700); its signing key comes
    from ``KSP_MAIL_SIGNING_KEY_FILE`` when that is set. S/MIME certificates are checked
    against ``KSP_SMIME_TRUST_ANCHORS`` (none: no certificate is taken) and the CRLs of
    ``KSP_SMIME_CRLS``; mail is signed with ``KSP_SMIME_CERT_FILE``/``KSP_SMIME_KEY_FILE``
    or the data dir's own certificate."""
    keyring = Keyring(
        settings.data_dir / "gnupg",
        sender_email=settings.mail_from,
        service_key=settings.mail_signing_key,
    )
    anchors = (
        x509.load_pem_x509_certificates(settings.smime_trust_anchors.encode("ascii"))
        if settings.smime_trust_anchors
        else []
    )
    smime = SmimeSecureMail.from_files(
        TrustPolicy(anchors, crl_sources(settings) if crls is None else crls),
        sender=settings.mail_from,
        data_dir=settings.data_dir,
        cert_pem=settings.smime_cert,
        key_pem=settings.smime_key,
    )
    return EnvelopeMail(GpgSecureMail(keyring, sender=settings.mail_from), smime)


def transport(settings: Settings) -> Transport:
    """SMTP when KSP_SMTP_HOST is set, else the maildir ``$KSP_DATA_DIR/mail``."""
    if settings.smtp_host is None:
        return MaildirTransport(settings.data_dir / "mail")
    tls = cast("Literal['starttls', 'implicit']", settings.smtp_tls)
    return SmtpTransport(
        SmtpConfig(
            settings.smtp_host,
            settings.smtp_port,
            tls,
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_ca_file,
        ),
        ConnectionLimits(
            messages=settings.smtp_messages_per_connection,
            seconds=float(settings.smtp_connection_seconds),
        ),
    )


def database_engine(
    settings: Settings, *, pool_size: int | None = None, max_overflow: int | None = None
) -> AsyncEngine:
    return create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size if pool_size is None else pool_size,
        max_overflow=settings.db_max_overflow if max_overflow is None else max_overflow,
        schema=settings.database_schema,
    )


def kek_keeper(settings: Settings) -> KekKeeper:
    """The KEKs: a PKCS#11 token when KSP_PKCS11_* is set, else the KEK file
    (KSP_KEK_FILE, or ``kek.json`` in the data dir, made on first use). Raises
    :class:`ksp.keys.kek.KekError` at start-up if the keeper cannot be used."""
    if settings.pkcs11 is not None:
        p = settings.pkcs11
        return Pkcs11KekKeeper(p.module, p.token, p.key_label, p.pin_file)
    return FileKekKeeper(settings.kek_path)


_RINGS: dict[tuple[object, ...], DataKeyRing] = {}


def data_key_ring(settings: Settings) -> DataKeyRing:
    """One ring (keeper and unwrapped-key cache) per KEK configuration in a process: a
    token session is opened once, and the cache is shared by every unit of work."""
    where = (settings.kek_path, settings.pkcs11)
    ring = _RINGS.get(where)
    if ring is None:
        ring = _RINGS[where] = DataKeyRing(kek_keeper(settings))
    return ring


def store_adapters(
    settings: Settings, engine: AsyncEngine, witnesses: Witnesses | None = None
) -> Adapters:
    """What the stores need besides a session: field sealing, CPR hashing, the signer, the
    data keys (under the KEK), and with witnesses their rollback guard and the wake-up of
    their loop."""
    return Adapters(
        create_sessionmaker(engine),
        FieldCipher(settings.data_keys, settings.data_key_id),
        KeyedHasher(settings.cpr_hash_key),
        journal_signer(settings),
        data_key_ring(settings),
        guard=None if witnesses is None else witnesses.guard,
        after_append=None if witnesses is None else witnesses.wake.set,
    )


@dataclass(frozen=True)
class Witnesses:
    """KSP_WITNESS_POLICY's witnesses: the guard the journal consults before appending, the
    event that wakes their loop, the HTTP client that asks them."""

    policy: Policy
    guard: RollbackGuard
    wake: asyncio.Event
    asker: HttpWitnessAsker


def witnesses(settings: Settings) -> Witnesses | None:
    """None without KSP_WITNESS_POLICY; a ConfigError if its log is not this journal."""
    policy = settings.witness_policy
    if policy is None:
        return None
    log = policy.log_for(settings.journal_origin)
    if log is None or log.public_key != journal_signer(settings).public_key_bytes:
        raise ConfigError("KSP_WITNESS_POLICY: its log line is not this journal's key")
    timeout = settings.witness_timeout_ms / 1000
    return Witnesses(policy, RollbackGuard(), asyncio.Event(), HttpWitnessAsker(timeout))


def unit_of_work(settings: Settings, engine: AsyncEngine) -> SqlUnitOfWorkFactory:
    """Units of work over ``engine``, sealing fields and signing checkpoints as configured."""
    return SqlUnitOfWorkFactory(store_adapters(settings, engine))


def outbox_worker(settings: Settings, uow: SqlUnitOfWorkFactory, clock: Clock) -> OutboxWorker:
    return OutboxWorker(
        uow,
        transport(settings),
        clock,
        sender=settings.mail_from,
        lease=dt.timedelta(seconds=settings.outbox_lease_seconds),
    )


def retention_service(
    settings: Settings, uow: SqlUnitOfWorkFactory, clock: Clock
) -> RetentionService:
    """The retention policy of KSP_RETENTION_FILE, applied by `ksp retention run` and the
    worker."""
    return RetentionService(uow, clock, settings.retention)


async def run_outbox(worker: OutboxWorker, engine: AsyncEngine, *, poll_seconds: float) -> None:
    """The worker, forever, woken by PostgreSQL's notifications of committed circulations
    (and, in the service's own process, by the circulation service) besides its poll."""
    async with anyio.create_task_group() as group:
        group.start_soon(listen_for_outbox, engine, worker.wake)
        await worker.run(poll_seconds=poll_seconds)
        group.cancel_scope.cancel()


def pdf_renderer(settings: Settings) -> PdfRenderer:
    """The pool of processes that print PDFs, with its limits (KSP_PDF_*)."""
    return PdfRenderer(
        PdfLimits(
            workers=settings.pdf_workers,
            pending=8 * settings.pdf_workers,
            timeout_seconds=float(settings.pdf_timeout_seconds),
            max_pdf_bytes=settings.pdf_max_bytes,
        )
    )


def token_verifier(settings: Settings, sign_in: SignIn | None = None) -> TokenVerifier:
    """Bearer tokens: our HS256 ones, or a provider's through the sign-in's claim mapping."""
    claims_of = None
    if sign_in is not None and settings.sign_in.issuer:
        claims_of = sign_in.mapping.our_claims
    return TokenVerifier(
        settings.token_secret,
        jwks=settings.jwks,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        max_ttl=dt.timedelta(seconds=settings.token_max_ttl_seconds),
        max_token_bytes=settings.max_token_bytes,
        claims_of=claims_of,
    )


@dataclass(frozen=True)
class Services:
    """Everything a request handler may call, and the adapters the app's lifespan owns."""

    cases: CaseService
    audit: AuditService
    meetings: MeetingService
    documents: DocumentService
    circulation: CirculationService
    circulation_history: CirculationHistoryService
    inquiries: InquiryService
    exchanges: ExchangeService
    corrections: CorrectionService
    proofs: ProofService
    witnessing: WitnessingService | None
    witness_asker: HttpWitnessAsker | None
    units: UnitTable
    meeting_lifecycle: MeetingLifecycleService
    meeting_outcomes: OutcomeService
    minutes: MinutesService
    worklists: WorklistService
    erasure: ErasureService
    subject_access: SubjectAccessService
    retention: RetentionService
    uow: SqlUnitOfWorkFactory
    mail: EnvelopeMail
    crls: CrlSources
    worker: OutboxWorker
    printer: PdfRenderer
    hasher: KeyedHasher
    verifier: TokenVerifier
    sign_in: SignIn


def build_services(settings: Settings, engine: AsyncEngine, clock: Clock) -> Services:
    witnessed = witnesses(settings)
    adapters = store_adapters(settings, engine, witnessed)
    uow = SqlUnitOfWorkFactory(adapters)
    proofs = ProofService(uow, adapters.signer)
    witnessing = None
    if witnessed is not None:
        witnessing = WitnessingService(
            uow, proofs, witnessed.policy, witnessed.asker, witnessed.guard, wake=witnessed.wake
        )
    crls = crl_sources(settings)
    mail = secure_mail(settings, crls)
    sign_in = sign_in_wiring.sign_in(
        settings, adapters.sessions, adapters.ring, adapters.cipher, clock
    )
    printer = pdf_renderer(settings)
    worker = outbox_worker(settings, uow, clock)

    def invite(meeting: Meeting, participants: list[Recipient]) -> bytes:
        """Every circulation mail carries the meeting's invitation (issue 8)."""
        return invitation_ics(lifecycle.invitation_facts(meeting, [r.email for r in participants]))

    circulation = CirculationService(
        uow,
        clock,
        mail,
        render_printable,
        parts=OptionalParts(
            invite=invite,
            print_pdf=printer.render,
            receipt_of=proofs.receipt,
            public_url=settings.sign_in.public_url,
        ),
        queued=worker.wake,
    )
    notices = CancellationNotices(
        circulation.sealer,
        circulation.recipient_keys.check_keys,
        render_cancellation,
        invite,
    )
    lifecycle = MeetingLifecycleService(
        uow, clock, organizer=settings.mail_from, notices=notices, queued=worker.wake
    )
    return Services(
        cases=CaseService(uow, clock, kif_units=settings.units.kif_units()),
        audit=AuditService(uow, clock, adapters.signer, witnessing=witnessing),
        meetings=MeetingService(uow, clock, max_list_entries=settings.max_list_entries),
        documents=DocumentService(uow, clock),
        circulation=circulation,
        circulation_history=CirculationHistoryService(uow, clock),
        inquiries=InquiryService(uow, clock),
        exchanges=ExchangeService(uow, clock),
        corrections=CorrectionService(uow, clock),
        proofs=proofs,
        witnessing=witnessing,
        witness_asker=None if witnessed is None else witnessed.asker,
        units=settings.units,
        meeting_lifecycle=lifecycle,
        meeting_outcomes=OutcomeService(uow, clock),
        minutes=MinutesService(uow, clock),
        worklists=WorklistService(uow, clock),
        erasure=ErasureService(uow, clock),
        subject_access=SubjectAccessService(uow, clock),
        retention=retention_service(settings, uow, clock),
        uow=uow,
        mail=mail,
        crls=crls,
        worker=worker,
        printer=printer,
        hasher=adapters.hasher,
        verifier=token_verifier(settings, sign_in),
        sign_in=sign_in,
    )
