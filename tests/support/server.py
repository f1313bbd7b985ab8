"""A real `ksp serve` process on a loopback port, for end-to-end tests."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.data import test_units_file

KSP = str(Path(sys.executable).with_name("ksp"))


@dataclass(frozen=True)
class Server:
    base_url: str
    env: dict[str, str]
    log: Path
    data_dir: Path

    def token(self, role: str, unit: str, sub: str = "e2e", email: str | None = None) -> str:
        args = [KSP, "token", "--role", role, "--unit", unit, "--sub", sub]
        if email:
            args += ["--email", email]
        return subprocess.run(
            args, env=self.env, check=True, capture_output=True, text=True
        ).stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment of a deployment: everything explicit, secrets included."""
    key = base64.b64encode(os.urandom(32)).decode()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "KSP_DATA_DIR": str(data_dir),
        "KSP_HOST": "127.0.0.1",
        "KSP_PORT": str(free_port()),
        "KSP_TOKEN_SECRET": key,
        "KSP_DATA_KEYS": f"e2e:{base64.b64encode(os.urandom(32)).decode()}",
        "KSP_CPR_HASH_KEY": base64.b64encode(os.urandom(32)).decode(),
        "KSP_JOURNAL_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "KSP_UNITS_FILE": str(test_units_file()),
    }
    if database_url:
        env["KSP_DATABASE_URL"] = database_url
    return env


@contextmanager
def running_server(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Migrate, start `ksp serve`, wait for /health, and stop it afterwards."""
    env = env or server_env(data_dir)
    subprocess.run([KSP, "db", "upgrade"], env=env, check=True, capture_output=True)
    log = data_dir / "server.log"
    base_url = f"http://127.0.0.1:{env['KSP_PORT']}"
    with log.open("wb") as sink:
        process = subprocess.Popen([KSP, "serve"], env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            wait_for_health(base_url, process)
            yield Server(base_url, env, log, data_dir)
        finally:
            process.terminate()
            # its lifespan stops the gpg-agent and the PDF renderer's processes: on a loaded
            # machine that has taken 20 s
            process.wait(timeout=30)


def wait_for_health(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("ksp serve exited")
        try:
            if httpx.get(base_url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("ksp serve did not become healthy")
