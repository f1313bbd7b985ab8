"""A deployment on loopback: one database, shared secrets, any number of `ksp serve` and
`ksp outbox work` processes, each with a data directory of its own.

What the README's "Several instances" section prescribes, done for real: secrets and the
mail signing key come through configuration (never from a process's own disk), migrations
run once (`ksp db upgrade`), and processes can be killed (SIGKILL) and started again.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ksp.db.engine import create_engine
from ksp.db.tables import outbox
from ksp.db.url import async_database_url
from support.server import KSP, free_port, server_env, wait_for_health
from support.smtp import SmtpServer

__all__ = ["Deployment", "Process", "deployment", "postgres_schema", "smtp_env"]


@dataclass
class Process:
    """One process of the deployment, its log in its own data directory."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    base_url: str | None = None

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as when a host loses power."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Deployment:
    root: Path
    env: dict[str, str]  # what every process shares: database, secrets, SMTP
    processes: list[Process] = field(default_factory=list)

    def env_for(self, name: str, **extra: str) -> dict[str, str]:
        data_dir = self.root / name
        data_dir.mkdir(mode=0o700, exist_ok=True)
        return {**self.env, "KSP_DATA_DIR": str(data_dir), "KSP_PORT": str(free_port()), **extra}

    def ksp(self, *args: str) -> str:
        done = subprocess.run(
            [KSP, *args], env=self.env_for("cli"), check=True, capture_output=True, text=True
        )
        return done.stdout

    def token(self, role: str, unit: str, email: str | None = None) -> dict[str, str]:
        args = ["token", "--role", role, "--unit", unit, "--sub", f"{role}-{unit}"]
        if email:
            args += ["--email", email]
        return {"Authorization": f"Bearer {self.ksp(*args).strip()}"}

    def serve(self, name: str, **extra: str) -> Process:
        """Start `ksp serve` (no in-process worker unless asked) and wait for /health."""
        env = self.env_for(name, **{"KSP_OUTBOX_IN_PROCESS": "false", **extra})
        process = self._start(name, env, "serve")
        process.base_url = f"http://127.0.0.1:{env['KSP_PORT']}"
        wait_for_health(process.base_url, process.popen)
        return process

    def work(self, name: str) -> Process:
        """Start `ksp outbox work`, a dedicated outbox worker."""
        return self._start(name, self.env_for(name), "outbox", "work")

    def outbox(self) -> list[tuple[str, str]]:
        """(Message-ID, status) of every queued message, read from the database itself."""

        async def read() -> list[tuple[str, str]]:
            engine = create_engine(
                async_database_url(self.env["KSP_DATABASE_URL"]),
                pool_size=1,
                max_overflow=0,
                schema=self.env.get("KSP_DATABASE_SCHEMA"),
            )
            try:
                async with engine.connect() as connection:
                    rows = await connection.execute(select(outbox.c.message_id, outbox.c.status))
                    return [(str(m), str(s)) for m, s in rows]
            finally:
                await engine.dispose()

        return asyncio.run(read())

    def wait_until_delivered(self, seconds: float = 120) -> list[tuple[str, str]]:
        """The outbox once every message in it is sent (asserted, within ``seconds``)."""
        deadline = time.monotonic() + seconds
        rows = self.outbox()
        while time.monotonic() < deadline and any(status != "sent" for _, status in rows):
            time.sleep(0.2)
            rows = self.outbox()
        assert rows
        assert {status for _, status in rows} == {"sent"}, Counter(s for _, s in rows)
        return rows

    def logs(self) -> list[Path]:
        return [p.log for p in self.processes]

    def _start(self, name: str, env: dict[str, str], *args: str) -> Process:
        log = Path(env["KSP_DATA_DIR"]) / f"{name}-{len(self.processes)}.log"
        with log.open("wb") as sink:
            popen = subprocess.Popen([KSP, *args], env=env, stdout=sink, stderr=subprocess.STDOUT)
        process = Process(name, popen, log)
        self.processes.append(process)
        return process


@contextmanager
def deployment(
    root: Path, database_url: str | None, smtp: SmtpServer | None = None
) -> Iterator[Deployment]:
    """A deployment on SQLite (``database_url`` None: one file in ``root``) or on a fresh
    schema of the PostgreSQL at ``database_url`` (dropped afterwards); migrated once."""
    env = server_env(root / "unused")
    del env["KSP_DATA_DIR"], env["KSP_PORT"]
    with ExitStack() as stack:
        if database_url is None:
            env["KSP_DATABASE_URL"] = f"sqlite:///{root / 'ksp.sqlite3'}"
        else:
            env["KSP_DATABASE_URL"] = database_url
            env["KSP_DATABASE_SCHEMA"] = stack.enter_context(postgres_schema(database_url))
        if smtp is not None:
            env.update(smtp_env(smtp))
        made = Deployment(root, env)
        key_file = root / "service-key.asc"
        made.ksp("mail", "new-key", "--out", str(key_file))
        env["KSP_MAIL_SIGNING_KEY_FILE"] = str(key_file)
        env["KSP_KEK_FILE"] = str(root / "kek.json")  # one KEK for every instance
        made.ksp("db", "upgrade")
        try:
            yield made
        finally:
            for process in made.processes:
                process.stop()


@contextmanager
def postgres_schema(database_url: str, prefix: str = "ksp_deploy") -> Iterator[str]:
    """A fresh schema in the PostgreSQL at ``database_url``, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    psql = ["psql", database_url, "-v", "ON_ERROR_STOP=1", "-qc"]
    subprocess.run([*psql, f'CREATE SCHEMA "{schema}"'], check=True, capture_output=True)
    try:
        yield schema
    finally:
        subprocess.run([*psql, f'DROP SCHEMA "{schema}" CASCADE'], check=False, capture_output=True)


def smtp_env(smtp: SmtpServer) -> dict[str, str]:
    return {
        **smtp.env(),
        "KSP_MAIL_FROM": "ksp@kriminalforsorgen.dk",
        "KSP_OUTBOX_LEASE_SECONDS": "2",
        "KSP_OUTBOX_POLL_MS": "200",
    }
