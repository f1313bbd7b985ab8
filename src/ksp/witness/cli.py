"""``ksp witness new-key`` and ``ksp witness serve``: what the witness's operator runs."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from ksp.observability import configure_logging
from ksp.witness.cosignature import Cosigner
from ksp.witness.server import Witness, make_server
from ksp.witness.state import StateDir, StateLocked
from ksp.witness.vkey import ED25519, InvalidVerifierKey, parse_vkey

__all__ = ["new_key_command", "serve_command"]

USAGE_ERROR = 2


def new_key_command(args: argparse.Namespace) -> int:
    """A new Ed25519 key in a new file (0600); prints the witness's verifier key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        sys.stderr.write(f"ksp: {args.out} exists; a witness key is never overwritten" + "\n")
        return USAGE_ERROR
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    sys.stdout.write(Cosigner(key, args.name).vkey.encode() + "\n")
    return 0


def load_cosigner(key_file: Path, name: str) -> Cosigner:
    key = load_pem_private_key(key_file.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("the witness key is not an Ed25519 key")
    return Cosigner(key, name)


def serve_command(args: argparse.Namespace) -> int:
    configure_logging("INFO")
    try:
        log = parse_vkey(args.log_key, ED25519)
        cosigner = load_cosigner(args.key_file, args.name)
    except (InvalidVerifierKey, ValueError, TypeError, OSError) as exc:
        sys.stderr.write(f"ksp: {exc}" + "\n")
        return USAGE_ERROR
    state = StateDir(args.state_dir)
    try:
        state.lock()
    except StateLocked:
        sys.stderr.write(f"ksp: another witness uses {args.state_dir}" + "\n")
        return USAGE_ERROR
    try:
        server = make_server(Witness(cosigner, log, state), args.host, args.port)
    except OSError as exc:
        sys.stderr.write(f"ksp: cannot listen on {args.host}:{args.port}: {exc.strerror}" + "\n")
        return 1
    sys.stdout.write(f"witness {cosigner.vkey.encode()} on {args.host}:{server.server_port}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def add_witness_commands(witness: Any, make: Callable[..., argparse.ArgumentParser]) -> None:
    """The ``ksp witness`` subcommands (``make`` is ksp.cli_support.command); both run
    without a data dir: the witness runs on its own machine."""
    texts = {
        "new-key": "write a new witness signing key (Ed25519, PEM, mode 0600); print its vkey",
        "serve": "serve the C2SP tlog-witness protocol (POST /add-checkpoint) for one log",
    }
    runs = {"new-key": new_key_command, "serve": serve_command}
    parsers = {
        name: make(witness, name, text, _offline(runs[name]), offline=True)
        for name, text in texts.items()
    }
    new_key, serve = parsers["new-key"], parsers["serve"]
    new_key.add_argument("--out", type=Path, required=True, help="a new key file")
    new_key.add_argument("--name", required=True, help="the witness's name, e.g. audit.example/w1")
    serve.add_argument("--key-file", type=Path, required=True, help="from `ksp witness new-key`")
    serve.add_argument("--name", required=True, help="the witness's name (as in new-key)")
    serve.add_argument(
        "--state-dir", type=Path, required=True, help="where it keeps what it cosigned"
    )
    serve.add_argument(
        "--log-key",
        required=True,
        help="the log's verifier key (`ksp journal key`); its name is the log's origin",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=7380, help="port (0: any free port)")


def _offline(
    run: Callable[[argparse.Namespace], int],
) -> Callable[[object, argparse.Namespace], int]:
    return lambda _settings, args: run(args)
