"""The ``ksp`` command: serve, db upgrade, token."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ksp.domain.access import Role
from ksp.settings import ConfigError, Settings, load_settings

__all__ = ["main"]


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    import uvicorn

    from ksp.api.app import create_app
    from ksp.observability import configure_logging

    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_config=None,
        proxy_headers=False,
    )
    return 0


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    from ksp.db.engine import create_engine
    from ksp.db.migrate import upgrade

    async def run() -> None:
        engine = create_engine(
            settings.database_url, pool_size=1, max_overflow=0, schema=settings.database_schema
        )
        try:
            await upgrade(engine, service_role=settings.db_service_role)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database is at the latest migration")
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from ksp.tokens import issue_token

    print(
        issue_token(
            settings.token_secret,
            sub=args.sub,
            role=Role(args.role),
            unit=args.unit,
            email=args.email,
            ttl=dt.timedelta(seconds=args.ttl),
            now=dt.datetime.now(dt.UTC),
        )
    )
    return 0


def _journal_key(settings: Settings, _args: argparse.Namespace) -> int:
    from ksp.journal.signing import fingerprint, journal_signer

    signer = journal_signer(settings)
    print(f"verifier key: {signer.vkey}")
    print(f"fingerprint:  {fingerprint(signer.public_key_bytes)}")
    return 0


def _journal_verify(_settings: Settings | None, args: argparse.Namespace) -> int:
    from ksp.journal.cli import verify_command

    return verify_command(
        args.bundle, args.trusted_checkpoint, sys.stdout, expected_vkey=args.journal_key
    )


def _journal_verify_receipt(_settings: Settings | None, args: argparse.Namespace) -> int:
    from ksp.journal.cli import verify_receipt_command

    return verify_receipt_command(args.receipt, args.document, args.journal_key, sys.stdout)


def _outbox_work(settings: Settings, args: argparse.Namespace) -> int:
    """A delivery worker in its own process; several may run against PostgreSQL."""
    from ksp.api.app import SystemClock
    from ksp.crypto import FieldCipher, KeyedHasher
    from ksp.db.engine import create_engine, create_sessionmaker
    from ksp.db.uow import Adapters, SqlUnitOfWorkFactory
    from ksp.journal.signing import journal_signer
    from ksp.mail.setup import transport
    from ksp.mail.worker import OutboxWorker
    from ksp.observability import configure_logging

    configure_logging(settings.log_level)

    async def run() -> None:
        engine = create_engine(
            settings.database_url, pool_size=2, max_overflow=0, schema=settings.database_schema
        )
        adapters = Adapters(
            create_sessionmaker(engine),
            FieldCipher(settings.data_keys, settings.data_key_id),
            KeyedHasher(settings.cpr_hash_key),
            journal_signer(settings),
        )
        worker = OutboxWorker(
            SqlUnitOfWorkFactory(adapters),
            transport(settings),
            SystemClock(),
            sender=settings.mail_from,
            lease=dt.timedelta(seconds=settings.outbox_lease_seconds),
        )
        try:
            if args.once:
                while await worker.run_once():
                    pass
            else:
                poll = settings.outbox_poll_ms / 1000 if args.poll is None else args.poll
                await worker.run(poll_seconds=poll)
        finally:
            await engine.dispose()

    asyncio.run(run())
    return 0


def _mail_key(settings: Settings, _args: argparse.Namespace) -> int:
    from ksp.mail.setup import secure_mail

    mail = secure_mail(settings)
    try:
        print(mail.public_key(), end="")
    finally:
        mail.close()
    return 0


def _mail_new_key(settings: Settings, args: argparse.Namespace) -> int:
    """Write a new secret signing key for KSP_MAIL_SIGNING_KEY_FILE: a new file, mode 0600,
    its user ID KSP_MAIL_FROM (set that first)."""
    from ksp.mail.gpg import new_service_key

    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"ksp: {args.out} exists; the key was not made", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w", encoding="ascii") as sink:
        sink.write(new_service_key(settings.mail_from))
    print(f"wrote the service's secret signing key for {settings.mail_from} to {args.out}")
    return 0


def _keys_check(settings: Settings, args: argparse.Namespace) -> int:
    """Recipient keys expiring within --days (default 30); exit 1 if there are any."""
    from ksp.db.engine import create_engine
    from ksp.db.keys_report import expiring_keys

    async def run() -> list[tuple[str, str, str, dt.datetime | None]]:
        engine = create_engine(
            settings.database_url, pool_size=1, max_overflow=0, schema=settings.database_schema
        )
        try:
            before = dt.datetime.now(dt.UTC) + dt.timedelta(days=args.days)
            return await expiring_keys(engine, before)
        finally:
            await engine.dispose()

    rows = asyncio.run(run())
    for email, unit, fingerprint, expires_at in rows:
        when = "never" if expires_at is None else expires_at.date().isoformat()
        print(f"{when}  {fingerprint}  {email}  ({unit})")
    if not rows:
        print(f"no recipient key expires within {args.days} days")
    return 1 if rows else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ksp", description="The KSP service.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve HTTP on KSP_HOST:KSP_PORT").set_defaults(run=_serve)
    db = commands.add_parser("db", help="database commands")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(run=_db_upgrade)
    journal = commands.add_parser("journal", help="the journal of KSP list versions")
    journal_commands = journal.add_subparsers(dest="journal_command", required=True)
    journal_commands.add_parser(
        "key", help="the journal signing key's verifier key and fingerprint"
    ).set_defaults(run=_journal_key)
    verify = journal_commands.add_parser(
        "verify", help="verify an export bundle offline (exit 0 intact, 1 not)"
    )
    verify.add_argument("bundle", type=Path)
    verify.add_argument("--trusted-checkpoint", type=Path, help="a checkpoint note you kept")
    verify.add_argument(
        "--journal-key", help="the verifier key `ksp journal key` printed (pins the signer)"
    )
    verify.set_defaults(run=_journal_verify, offline=True)
    receipt = journal_commands.add_parser(
        "verify-receipt", help="verify a document version's receipt offline (exit 0 holds, 1 not)"
    )
    receipt.add_argument("receipt", type=Path, help="the c2sp.org/tlog-proof@v1 receipt")
    receipt.add_argument("--document", type=Path, required=True, help="the version's JSON")
    receipt.add_argument(
        "--journal-key", required=True, help="the verifier key `ksp journal key` printed"
    )
    receipt.set_defaults(run=_journal_verify_receipt, offline=True)
    outbox = commands.add_parser("outbox", help="the outbox of encrypted messages")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    work = outbox_commands.add_parser("work", help="deliver queued messages (a worker)")
    work.add_argument("--once", action="store_true", help="deliver what is due, then stop")
    work.add_argument(
        "--poll", type=float, default=None, help="seconds between looks (KSP_OUTBOX_POLL_MS)"
    )
    work.set_defaults(run=_outbox_work)
    mail = commands.add_parser("mail", help="the service's OpenPGP identity")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True)
    mail_commands.add_parser(
        "key", help="the service's OpenPGP public key (ASCII armour)"
    ).set_defaults(run=_mail_key)
    new_key = mail_commands.add_parser(
        "new-key", help="write a new secret signing key for KSP_MAIL_SIGNING_KEY_FILE"
    )
    new_key.add_argument("--out", required=True, help="a new file (made with mode 0600)")
    new_key.set_defaults(run=_mail_new_key)
    keys = commands.add_parser("keys", help="recipient keys")
    check = keys.add_subparsers(dest="keys_command", required=True).add_parser(
        "check", help="list recipient keys expiring soon (exit 1 if any)"
    )
    check.add_argument("--days", type=int, default=30)
    check.set_defaults(run=_keys_check)
    token = commands.add_parser("token", help="print a bearer token signed with the secret")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--unit", required=True)
    token.add_argument("--sub", required=True)
    token.add_argument("--email")
    token.add_argument("--ttl", type=int, default=3600, help="seconds (default 3600)")
    token.set_defaults(run=_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "offline", False):  # needs no configuration: an auditor's own machine
        code: int = args.run(None, args)
        return code
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"ksp: configuration error: {exc}", file=sys.stderr)
        return 2
    result: int = args.run(settings, args)
    return result


if __name__ == "__main__":
    sys.exit(main())
