"""The ``ksp`` command: serve, db upgrade, token."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
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
        engine = create_engine(settings.database_url, pool_size=1, max_overflow=0)
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
