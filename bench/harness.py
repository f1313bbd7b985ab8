"""What the benchmarks of ``bench/run.py`` share: servers, databases, a lean HTTP client.

- Server processes: ``ksp serve`` (or the bare app) in a process group of its own, with
  its output in a log file, stopped (SIGTERM, then SIGKILL) whatever happens.
- Databases: a :class:`Backend` names the service's URL and the bare app's; on PostgreSQL
  :func:`throwaway_postgres` creates a database ``ksp_bench_<random>`` and drops it after.
- :class:`HttpConnection`: one keep-alive HTTP/1.1 connection, far cheaper per request
  than httpx, so the client does not measure itself.
- Request bodies: valid remand cases with fresh subjects, as the service accepts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TypeVar

import asyncpg
import httpx
import msgspec
from sqlalchemy.engine import make_url

BENCH_DIR = Path(__file__).resolve().parent
KSP = Path(sys.executable).parent / "ksp"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 30.0
NAMES = ("Jens", "Søren", "Aïcha", "Mikkel", "Ølsted", "Åse")


class BenchError(Exception):
    """The benchmark could not run (a server did not start, a command failed)."""


class CannotCreateDatabase(Exception):
    """The PostgreSQL server named for the benchmark cannot be used; the section is skipped."""


# Request bodies ---------------------------------------------------------------------------


def random_cpr(rng: random.Random) -> str:
    """A valid CPR number: a real birth date in 1900-1999 (7th digit 0-3), DDMMYY-SSSS."""
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 99)
    return f"{day:02d}{month:02d}{year:02d}-{rng.randint(0, 3)}{rng.randint(0, 999):03d}"


def random_name(rng: random.Random) -> str:
    return f"{rng.choice(NAMES)} Benchperson-{rng.getrandbits(32):08x}"


def case_bodies(
    today: dt.date, kif_unit: str = "kif-hovedstaden"
) -> Callable[[random.Random], bytes]:
    """Valid remand cases (as in tests/support/data.py), each with a fresh subject.

    The dates are relative to ``today``: the service refuses dates in the future.
    """
    notified = (today - dt.timedelta(days=7)).isoformat()
    detained = (today - dt.timedelta(days=57)).isoformat()

    def body(rng: random.Random) -> bytes:
        return msgspec.json.encode(
            {
                "subject": {"name": random_name(rng), "cpr": random_cpr(rng)},
                "custody": "remand",
                "radicalisation_concern": True,
                "security_notified_on": notified,
                "concern": f"Bekymring for radikalisering {rng.getrandbits(24):06x}",
                "municipality_code": 101,
                "police_district": "koebenhavn",
                "kif_unit": kif_unit,
                "detained_since": detained,
                "released_on": None,
                "urgent": False,
            }
        )

    return body


# Measuring --------------------------------------------------------------------------------


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and all its threads (0.0 where /proc is absent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile_ms(ordered: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered:
        return None
    rank = max(1, round(pct / 100 * len(ordered)))
    return round(ordered[min(rank, len(ordered)) - 1] * 1000, 1)


def version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


# A lean HTTP client -----------------------------------------------------------------------


class HttpProtocolError(Exception):
    """The server's answer is not one this client reads (no Content-Length)."""


class HttpConnection:
    """One keep-alive HTTP/1.1 connection that POSTs and reads the status and body.

    Not httpx: at 32 connections its pool spends about 2 ms of client CPU per request, so a
    one-core client tops out near 500 req/s and measures itself. This needs ~0.05 ms.
    """

    def __init__(self, port: int) -> None:
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, head: bytes, body: bytes) -> int:
        status, _ = await self.exchange(head, body)
        return status

    async def exchange(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        """POST ``body`` after ``head`` (request line and headers); the status and body."""
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self._port)
        self._writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
        response = await self._reader.readuntil(b"\r\n\r\n")
        headers = response.lower()
        at = headers.find(b"\r\ncontent-length:")
        if at < 0:
            raise HttpProtocolError("no Content-Length")
        length = int(headers[at + 17 : headers.index(b"\r\n", at + 2)])
        answer = await self._reader.readexactly(length)
        if b"\r\nconnection: close" in headers:
            await self.close()
        return int(response[9:12]), answer

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


REQUEST_ERRORS = (
    OSError,
    TimeoutError,
    ValueError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    HttpProtocolError,
)


def request_head(port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return "".join(f"{line}\r\n" for line in lines).encode("latin-1")


# Server processes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """A running server process and the file its output goes to."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL it if it has not exited in 10 s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def running(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    work: Path,
    cpus: frozenset[int] | None = None,
) -> Iterator[Server]:
    """The server in a process group of its own, stopped on the way out whatever happens."""
    log = work / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        if cpus is not None:
            # Before the interpreter starts threads (aiosqlite's), which inherit the mask.
            os.sched_setaffinity(process.pid, cpus)
        yield Server(name, port, process, log)
    finally:
        stop(process)


def wait_healthy(server: Server) -> None:
    base_url = f"http://{HOST}:{server.port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(base_url=base_url, timeout=1.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                code = server.process.returncode
                raise BenchError(f"{server.name} exited ({code}):\n{log_tail(server.log)}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/health").status_code == 200:
                    return
            time.sleep(0.1)
    raise BenchError(f"{server.name} not healthy in {STARTUP_TIMEOUT_S} s:\n{log_tail(server.log)}")


def ksp(env: dict[str, str], *args: str) -> str:
    """Run a ``ksp`` command; its stdout, stripped."""
    done = subprocess.run([str(KSP), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"ksp {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


def service_env(data_dir: Path, database_url: str, port: int) -> dict[str, str]:
    """This environment without any ``KSP_*`` of its own, so the service runs on defaults."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("KSP_")}
    env.update(
        KSP_HOST=HOST,
        KSP_PORT=str(port),
        KSP_DATA_DIR=str(data_dir),
        KSP_DATABASE_URL=database_url,
        KSP_LOG_LEVEL="WARNING",
    )
    return env


def token(env: dict[str, str], role: str, unit: str, sub: str = "bench") -> str:
    """A bearer token from ``ksp token`` (signed with the secret of ``env``'s data dir)."""
    return ksp(env, "token", "--role", role, "--unit", unit, "--sub", sub)


# Databases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    name: str
    service_url: str  # as an operator writes it (KSP_DATABASE_URL)
    bare_url: str  # with the async driver


def sqlite_backend(work: Path) -> Backend:
    """Fresh SQLite files in ``work`` (which must exist)."""
    return Backend(
        "sqlite",
        service_url=f"sqlite:///{work / 'service.sqlite3'}",
        bare_url=f"sqlite+aiosqlite:///{work / 'bare.sqlite3'}",
    )


def postgres_admin_url() -> str | None:
    return os.environ.get("KSP_BENCH_DATABASE_URL") or os.environ.get("KSP_TEST_DATABASE_URL")


NO_POSTGRES = "neither KSP_BENCH_DATABASE_URL nor KSP_TEST_DATABASE_URL is set"


def postgres_dsn(url: str, database: str | None = None, driver: str = "postgresql") -> str:
    parsed = make_url(url).set(drivername=driver)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def admin_execute(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(postgres_dsn(admin_url), timeout=10)
    try:
        await connection.execute(statement)  # outside a transaction: autocommit
    finally:
        await connection.close()


@contextlib.contextmanager
def throwaway_postgres(admin_url: str) -> Iterator[Backend]:
    """A database ``ksp_bench_<random>`` on the server of ``admin_url``, dropped on the way
    out; :class:`CannotCreateDatabase` (on entry) if it cannot be created."""
    name = f"ksp_bench_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(admin_execute(admin_url, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        host = make_url(admin_url).host
        raise CannotCreateDatabase(f"cannot create a database on {host}: {exc}") from None
    try:
        yield Backend(
            "postgresql",
            service_url=postgres_dsn(admin_url, name),
            bare_url=postgres_dsn(admin_url, name, "postgresql+asyncpg"),
        )
    finally:
        asyncio.run(admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


T = TypeVar("T")


def run_in_scratch(prog: str, work: Callable[[Path], T]) -> T | int:
    """``work`` in a temporary directory, removed afterwards. A :class:`BenchError` or an
    interrupt is reported on stderr as ``prog: …`` and becomes the exit status."""
    try:
        with tempfile.TemporaryDirectory(prefix=f"ksp-{prog}-") as tmp:
            return work(Path(tmp))
    except BenchError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; servers stopped, nothing written", file=sys.stderr)
        return 130


def write_report(out: Path, report: object) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
