"""The ``ksp`` command: init, serve, db upgrade, token, journal, outbox, mail, keys.

Every command runs with umask 077, so what it writes (the SQLite database with its -wal and
-shm, the keyring, the maildir) is the owner's alone. Only ``init``, ``serve`` and
``db upgrade`` create the data dir's secrets; the others exit 2 without them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksp.cli_support import command, group, with_database
from ksp.data_dir import DataDirError, locked, tighten_data_files
from ksp.domain.access import Role
from ksp.keys.kek import KekError
from ksp.settings import ConfigError, Settings, load_settings, mail_sender

if TYPE_CHECKING:
    from ksp.mail.secure import EnvelopeMail

__all__ = ["main"]


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    """Exit 1 if the port cannot be bound, 2 for a limit the system cannot meet."""
    from ksp.api.transport import CannotListen, serve
    from ksp.observability import configure_logging

    configure_logging(settings.log_level)
    try:
        serve(settings)
    except CannotListen as exc:
        print(f"ksp: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"ksp: configuration error: {exc}", file=sys.stderr)
        return 2
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

    if not 0 < args.ttl <= settings.token_max_ttl_seconds:
        print(
            f"ksp: --ttl must be between 1 and {settings.token_max_ttl_seconds} seconds"
            " (KSP_TOKEN_MAX_TTL); the service refuses longer-lived tokens",
            file=sys.stderr,
        )
        return 2
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


def _init(settings: Settings, args: argparse.Namespace) -> int:
    """The data dir with its secrets, the service's OpenPGP key and its S/MIME certificate,
    made if missing; then the journal key to keep on paper."""
    with locked(settings.data_dir):  # one keyring made at a time, whoever starts with us
        mail = _secure_mail(settings)
        try:
            mail.signing_fingerprint()
            mail.smime.identity()
        finally:
            mail.close()
    print(f"data dir:     {settings.data_dir}")
    return _journal_key(settings, args)


def _journal_key(settings: Settings, _args: argparse.Namespace) -> int:
    from ksp.bootstrap import journal_signer
    from ksp.journal.signing import fingerprint

    signer = journal_signer(settings)
    print(f"verifier key: {signer.vkey}")
    print(f"fingerprint:  {fingerprint(signer.public_key_bytes)}")
    return 0


def _journal_verify(_settings: Settings | None, args: argparse.Namespace) -> int:
    from ksp.journal.cli import verify_main

    return verify_main(
        args.bundle,
        args.trusted_checkpoint,
        journal_key=args.journal_key,
        trust_bundle_key=args.trust_bundle_key,
        out=sys.stdout,
        err=sys.stderr,
        policy=args.policy,
    )


def _journal_verify_receipt(_settings: Settings | None, args: argparse.Namespace) -> int:
    from ksp.journal.cli import verify_receipt_command, verify_witnessed_receipt_command

    if (args.policy is None) == (args.journal_key is None):
        print("ksp: give --policy POLICY (or, without witnesses, --journal-key)", file=sys.stderr)
        return 2
    if args.policy is not None:
        return verify_witnessed_receipt_command(
            args.receipt, args.document, args.policy, args.newer, sys.stdout
        )
    return verify_receipt_command(args.receipt, args.document, args.journal_key, sys.stdout)


def _outbox_work(settings: Settings, args: argparse.Namespace) -> int:
    """A delivery worker in its own process; several may run against PostgreSQL. It applies
    the retention policy (KSP_RETENTION_FILE) too, every KSP_RETENTION_INTERVAL seconds."""
    import anyio

    from ksp.bootstrap import (
        SystemClock,
        database_engine,
        outbox_worker,
        retention_service,
        run_outbox,
        unit_of_work,
    )
    from ksp.observability import configure_logging

    configure_logging(settings.log_level)

    async def run() -> None:
        engine = database_engine(settings, pool_size=3, max_overflow=0)  # one listens
        uow = unit_of_work(settings, engine)
        worker = outbox_worker(settings, uow, SystemClock())
        try:
            if args.once:
                await worker.drain()
                return
            poll = settings.outbox_poll_ms / 1000 if args.poll is None else args.poll
            async with anyio.create_task_group() as group:
                if settings.retention.durations:
                    retention = retention_service(settings, uow, SystemClock())
                    group.start_soon(retention.run_every, settings.retention_interval_seconds)
                await run_outbox(worker, engine, poll_seconds=poll)
                group.cancel_scope.cancel()
        finally:
            await engine.dispose()

    asyncio.run(run())
    return 0


def _retention_run(settings: Settings, _args: argparse.Namespace) -> int:
    """Erase what KSP_RETENTION_FILE says is due (idempotent: a second run finds nothing);
    prints counts per record kind and the erasure entries' sequence numbers."""
    from ksp.bootstrap import SystemClock, database_engine, retention_service, unit_of_work

    if not settings.retention.durations:
        print("ksp: KSP_RETENTION_FILE names no retention policy: nothing is erased")
        return 0

    async def run() -> dict[str, int]:
        engine = database_engine(settings, pool_size=1, max_overflow=0)
        try:
            service = retention_service(settings, unit_of_work(settings, engine), SystemClock())
            report = await service.run()
            print(f"erasure entries: {', '.join(map(str, report.erasure_entries)) or 'none'}")
            return report.erased
        finally:
            await engine.dispose()

    for kind, count in sorted(asyncio.run(run()).items()):
        print(f"{kind}: {count} erased")
    return 0


def _secure_mail(settings: Settings) -> EnvelopeMail:
    from ksp.bootstrap import secure_mail

    return secure_mail(settings)


def _has_service_key(settings: Settings) -> bool:
    """A configured key, or one in the data dir's keyring (GnuPG keeps each secret key as a
    file in private-keys-v1.d): `ksp mail key` must not make one of its own."""
    if settings.mail_signing_key is not None:
        return True
    secret_keys = settings.data_dir / "gnupg" / "private-keys-v1.d"
    return secret_keys.is_dir() and any(secret_keys.iterdir())


def _mail_key(settings: Settings, _args: argparse.Namespace) -> int:
    if not _has_service_key(settings):
        print(
            f"ksp: KSP_DATA_DIR ({settings.data_dir}) holds no service OpenPGP key yet: "
            "run `ksp init` there (or set KSP_MAIL_SIGNING_KEY_FILE)",
            file=sys.stderr,
        )
        return 2
    mail = _secure_mail(settings)
    try:
        print(mail.public_key(), end="")
    finally:
        mail.close()
    return 0


def _mail_new_key(_settings: Settings | None, args: argparse.Namespace) -> int:
    """Write a new secret signing key for KSP_MAIL_SIGNING_KEY_FILE: a new file, mode 0600,
    its user ID KSP_MAIL_FROM (set that first). Needs no data dir: it makes the key that
    every instance is then given."""
    from ksp.mail.service_key import new_service_key

    try:
        sender = mail_sender(os.environ)
    except ConfigError as exc:
        print(f"ksp: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"ksp: {args.out} exists; the key was not made", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w", encoding="ascii") as sink:
        sink.write(new_service_key(sender))
    print(f"wrote the service's secret signing key for {sender} to {args.out}")
    return 0


def _mail_new_cert(_settings: Settings | None, args: argparse.Namespace) -> int:
    """Write a new self-signed S/MIME signing certificate and its RSA 3072 key, both new
    files with mode 0600, for KSP_MAIL_FROM; to have it issued by a CA instead, make a
    request from the key (``openssl req -new -key KEY``) and configure what comes back."""
    from pathlib import Path

    from ksp.mail.smime_identity import make_identity_files

    try:
        sender = mail_sender(os.environ)
    except ConfigError as exc:
        print(f"ksp: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        make_identity_files(Path(args.cert), Path(args.key), sender)
    except FileExistsError:
        print(f"ksp: {args.cert} or {args.key} exists; nothing was made", file=sys.stderr)
        return 1
    print(
        f"wrote the service's S/MIME certificate for {sender} to {args.cert}, its key to {args.key}"
    )
    return 0


def _keys_check(settings: Settings, args: argparse.Namespace) -> int:
    """Per KEK, how many data keys it still wraps; then recipient keys expiring within
    --days (default 30). Exit 1 if a data key is under a KEK the keeper lacks, or a
    recipient key expires soon."""
    from ksp.db.engine import create_engine
    from ksp.db.key_rotation import legacy_counts
    from ksp.db.keys_report import expiring_keys
    from ksp.keys.commands import kek_lines, legacy_lines, report

    keks = report(settings)
    for line in kek_lines(keks):
        print(line)

    async def run() -> tuple[list[tuple[str, str, str, dt.datetime | None]], dict[str, int]]:
        engine = create_engine(
            settings.database_url, pool_size=1, max_overflow=0, schema=settings.database_schema
        )
        try:
            before = dt.datetime.now(dt.UTC) + dt.timedelta(days=args.days)
            return await expiring_keys(engine, before), await legacy_counts(engine)
        finally:
            await engine.dispose()

    rows, left = asyncio.run(run())
    for line in legacy_lines(left):
        print(line)
    for email, unit, fingerprint, expires_at in rows:
        when = "never" if expires_at is None else expires_at.date().isoformat()
        print(f"{when}  {fingerprint}  {email}  ({unit})")
    if not rows:
        print(f"no recipient key expires within {args.days} days")
    return 1 if rows or keks.unknown else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ksp",
        description="The KSP service: cases, meetings and their journalised lists, "
        "encrypted circulation. Configured by KSP_* variables (see the README).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('ksp')}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    command(
        commands,
        "init",
        "make KSP_DATA_DIR (0700) with its secrets (secrets.json, 0600) and the service's "
        "OpenPGP key if missing; print the journal key",
        _init,
        creates_secrets=True,
    )
    command(commands, "serve", "serve HTTP on KSP_HOST:KSP_PORT", _serve, creates_secrets=True)
    db = group(commands, "db", "database commands")
    command(
        db,
        "upgrade",
        "apply the database migrations (run once per release, before the instances start)",
        with_database(_db_upgrade),
        creates_secrets=True,
    )
    _journal_commands(group(commands, "journal", "the journal of KSP list versions"))
    outbox = group(commands, "outbox", "the outbox of encrypted messages")
    work = command(
        outbox, "work", "deliver queued messages (a worker process)", with_database(_outbox_work)
    )
    work.add_argument("--once", action="store_true", help="deliver what is due, then stop")
    work.add_argument(
        "--poll", type=float, default=None, help="seconds between looks (KSP_OUTBOX_POLL_MS)"
    )
    mail = group(commands, "mail", "the service's OpenPGP and S/MIME identity")
    command(mail, "key", "print the service's OpenPGP public key (ASCII armour)", _mail_key)
    new_key = command(
        mail,
        "new-key",
        "write a new secret signing key for KSP_MAIL_SIGNING_KEY_FILE (user ID KSP_MAIL_FROM)",
        _mail_new_key,
        offline=True,
    )
    new_key.add_argument("--out", required=True, help="a new file (made with mode 0600)")
    new_cert = command(
        mail,
        "new-cert",
        "write a new S/MIME signing certificate and key for KSP_SMIME_CERT_FILE and "
        "KSP_SMIME_KEY_FILE (self-signed, e-mail KSP_MAIL_FROM)",
        _mail_new_cert,
        offline=True,
    )
    new_cert.add_argument("--cert", required=True, help="a new PEM file for the certificate")
    new_cert.add_argument("--key", required=True, help="a new PEM file for the key (mode 0600)")
    _keys_commands(group(commands, "keys", "the KEKs, their data keys, and recipient keys"))
    retention = group(commands, "retention", "the retention policy (KSP_RETENTION_FILE)")
    command(
        retention,
        "run",
        "erase what the retention policy says is due, in batches (idempotent)",
        with_database(_retention_run),
    )
    _token_command(commands)
    from ksp.witness.cli import add_witness_commands

    add_witness_commands(group(commands, "witness", "a witness that cosigns checkpoints"), command)
    return parser


def _keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    from ksp.keys.commands import keys_rotate

    return keys_rotate(settings, args)


def _keys_retire(settings: Settings, args: argparse.Namespace) -> int:
    from ksp.keys.commands import keys_retire

    return keys_retire(settings, args)


def _keys_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from ksp.keys.commands import keys_migrate

    return keys_migrate(settings, args)


def _keys_commands(keys: Any) -> None:
    check = command(
        keys,
        "check",
        "count the data keys under each KEK and the rows still under KSP_DATA_KEYS; "
        "list recipient keys expiring soon "
        "(exit 1 if any, or if a data key is under a KEK the keeper lacks)",
        with_database(_keys_check),
    )
    check.add_argument("--days", type=int, default=30, help="how soon, in days (default 30)")
    rotate = command(
        keys,
        "rotate",
        "make a new KEK current and rewrap every data key under it, in batches "
        "(run again after a kill: it resumes)",
        with_database(_keys_rotate),
    )
    rotate.add_argument("--batch", type=int, default=2_000, help="data keys per transaction")
    retire = command(
        keys, "retire", "forget a KEK that wraps no data key any more", with_database(_keys_retire)
    )
    retire.add_argument("kek", help="the KEK id, as `ksp keys check` lists it")
    migrate = command(
        keys,
        "migrate",
        "move every field still encrypted under KSP_DATA_KEYS (cases, exchanges, outcomes, "
        "inquiries, reasons, sessions) to its own data key (resumable)",
        with_database(_keys_migrate),
    )
    migrate.add_argument("--batch", type=int, default=200, help="rows per transaction")


def _journal_commands(journal: Any) -> None:
    command(
        journal, "key", "print the journal signing key's verifier key and fingerprint", _journal_key
    )
    verify = command(
        journal,
        "verify",
        "verify an export bundle offline against the journal key "
        "(exit 0 intact, 1 not, 2 on a usage or file error)",
        _journal_verify,
        offline=True,
    )
    verify.add_argument("bundle", type=Path, help="the bundle GET /audit/export gave")
    verify.add_argument(
        "--journal-key",
        help="the verifier key `ksp journal key` printed (name+key id+key): pins the signer",
    )
    verify.add_argument(
        "--trust-bundle-key",
        action="store_true",
        help="trust the key inside the bundle instead: proves nothing about its origin",
    )
    verify.add_argument("--trusted-checkpoint", type=Path, help="a checkpoint note you kept")
    verify.add_argument(
        "--policy",
        type=Path,
        help="your C2SP tlog-policy: also check the witnesses' cosignatures and quorum",
    )
    receipt = command(
        journal,
        "verify-receipt",
        "verify a document version's receipt offline (exit 0 holds, 1 not)",
        _journal_verify_receipt,
        offline=True,
    )
    receipt.add_argument("receipt", type=Path, help="the c2sp.org/tlog-proof@v1 receipt")
    receipt.add_argument("--document", type=Path, required=True, help="the version's JSON")
    receipt.add_argument(
        "--policy",
        type=Path,
        help="a C2SP tlog-policy: the journal's key and the witnesses' quorum",
    )
    receipt.add_argument(
        "--newer",
        type=Path,
        help="GET /audit/proofs/consistency?from=<receipt's size>&to=<later>: shows nothing "
        "was rewritten since (with --policy)",
    )
    receipt.add_argument(
        "--journal-key", help="the verifier key `ksp journal key` printed (no witness check)"
    )


def _token_command(commands: Any) -> None:
    token = command(commands, "token", "print a bearer token signed with the token secret", _token)
    token.add_argument("--role", required=True, choices=[r.value for r in Role], help="its role")
    token.add_argument("--unit", required=True, help="its unit, e.g. kif-hovedstaden")
    token.add_argument("--sub", required=True, help="who it is for (a login id)")
    token.add_argument("--email", help="the holder's e-mail address (participants)")
    token.add_argument("--ttl", type=int, default=3600, help="seconds (default 3600)")


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # the data dir's files are the owner's alone
    args = _parser().parse_args(argv)
    if getattr(args, "offline", False):  # needs no data dir: an auditor's own machine
        code: int = args.run(None, args)
        return code
    creates = bool(getattr(args, "creates_secrets", False))
    from ksp.bootstrap import data_key_ring

    try:
        settings = load_settings(create_secrets=creates)
        if creates:
            tighten_data_files(settings.data_dir)
        data_key_ring(settings)  # the KEK keeper: a bad token or PIN stops here, not later
    except (ConfigError, DataDirError, KekError) as exc:
        print(f"ksp: configuration error: {exc}", file=sys.stderr)
        return 2
    result: int = args.run(settings, args)
    return result


if __name__ == "__main__":
    sys.exit(main())
