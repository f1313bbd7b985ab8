"""``make load``: a bounded load on a real ``ksp serve`` process, next to a bare baseline.

Per backend (SQLite always, in fresh files; PostgreSQL when ``KSP_BENCH_DATABASE_URL`` or
``KSP_TEST_DATABASE_URL`` names a server, in a throwaway database):

1. ``ksp serve`` (its defaults: mail to the maildir ``$KSP_DATA_DIR/mail``, delivered by the
   in-process outbox worker) and ``bench/bare_app.py`` are started, each one uvicorn
   process on loopback.
2. The set-up (``bench/load_service.py``): meetings with lists, and participants registered
   with real OpenPGP keys, so circulations encrypt and sign.
3. The bare baseline, then the service: ``--clients`` clients, each on one keep-alive
   connection, do operations picked from a weighted mix for ``--seconds`` (after a warm-up
   that is not counted), with the same load generator (``bench/load_client.py``).
4. The outbox: up to 30 s for every queued message to be sent.
5. On SQLite, the page mix (``bench/load_pages.py``): ``--sessions`` signed-in browser
   sessions read case lists, case pages, a meeting, its 200-person list and the diff of two
   versions, after the same pages' bare baseline (``bench/bare_pages.py``, Litestar +
   Jinja2, each page as large as the service's); p50/p95/p99 per page, the ratio, and
   whether the targets (p95 <= 150 ms, ratio >= 0.3) hold; closed-loop (each session asks
   for its next page as the last one arrives), then again with ``--think-ms`` between a
   session's pages (default 1000; 0 runs the closed loop only). ``--mix`` runs one mix
   alone.

It writes, per backend, the count, rates, p50/p95/p99 latencies and errors of every
operation and overall, for the service and for the bare baseline, and their ratio
(``ok_per_s`` of the service / that of the bare app, both in this run), with the machine
and the versions. The exit status is 1 if any request failed other than by design (409 on
a stale version), or a delivery failed; it prints which.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from circulation import Recipient, make_recipients
from harness import (
    BENCH_DIR,
    HOST,
    KSP,
    NO_POSTGRES,
    Backend,
    BenchError,
    CannotCreateDatabase,
    Server,
    case_bodies,
    free_port,
    ksp,
    log_tail,
    postgres_admin_url,
    process_cpu_s,
    run_in_scratch,
    running,
    service_env,
    sqlite_backend,
    throwaway_postgres,
    token,
    version,
    wait_healthy,
    write_report,
)
from list_version import ARREST_UNIT, KIF_UNIT
from load_bare import BareMix, bare_weights
from load_client import Mix, drive
from load_pages import (
    DEFAULT_THINK_MS,
    PAGE_MIX,
    BarePageMix,
    PageMix,
    PageShape,
    bare_rows,
    page_sizes,
    set_up_pages,
    sized,
    targets,
    think_targets,
)
from load_service import MIX, WRITES, Identities, ServiceMix, Shape, outbox, set_up
from load_stats import Tally, report, unexpected_lines
from mail_support import KeyMaker, stop_agent
from run import VERSIONED, exit_on_sigterm, load_average, machine

BARE_APP = BENCH_DIR / "bare_app.py"
BARE_PAGES = BENCH_DIR / "bare_pages.py"
AUDITOR_UNIT = "intern-revision"
SHAPE = Shape(meetings=4, persons=10, spare=10, recipients=2)
OUTBOX_WAIT_S = 30.0
BACKENDS = ("sqlite", "postgres", "all")
MIXES = ("api", "pages", "all")
PAGE_SHAPE = PageShape(sessions=50, persons=200, swapped=20)
QUICK_PAGE_SHAPE = PageShape(sessions=8, persons=20, swapped=4)


@dataclass(frozen=True)
class Plan:
    clients: int
    seconds: float
    warmup_s: float
    shape: Shape
    mix: str  # one of MIXES
    pages: PageShape
    think_ms: float = DEFAULT_THINK_MS  # between a page session's pages, in the second run

    @property
    def api(self) -> bool:
        return self.mix in {"api", "all"}

    def pages_on(self, backend: Backend) -> bool:
        """The page mix runs on SQLite only (its targets are SQLite's)."""
        return self.mix in {"pages", "all"} and backend.name == "sqlite"


# One phase, one backend -------------------------------------------------------------------


async def phase(server: Server, mix: Mix, plan: Plan) -> dict[str, Any]:
    """A warm-up (its unexpected errors still count), then the measured load."""
    warm = Tally()
    if plan.warmup_s > 0:
        await drive(server.port, mix, plan.clients, plan.warmup_s, warm)
    tally = Tally()
    cpu_before = process_cpu_s(server.process.pid)
    elapsed = await drive(server.port, mix, plan.clients, plan.seconds, tally)
    cpu = process_cpu_s(server.process.pid) - cpu_before
    result = report(tally, elapsed, mix.weights)
    result["server_cpu"] = round(cpu / elapsed, 2) if elapsed else None
    if warm.unexpected():
        result["warmup"] = report(warm, plan.warmup_s, mix.weights)["operations"]
    result["unexpected_errors"] = tally.unexpected() + warm.unexpected()
    return result


async def session(
    service: Server, bare: Server, who: Identities, recipients: Sequence[Recipient], plan: Plan
) -> dict[str, Any]:
    base_url = f"http://{HOST}:{service.port}"
    case_body = case_bodies(dt.datetime.now(dt.UTC).date(), KIF_UNIT)
    stage = await set_up(base_url, who, plan.shape, recipients, case_body)
    bare_result = await phase(bare, BareMix(bare_weights(MIX, WRITES)), plan)
    service_result = await phase(service, ServiceMix(stage), plan)
    mail = await outbox(base_url, stage, OUTBOX_WAIT_S)
    bare_rate = bare_result["overall"]["ok_per_s"]
    ratio = service_result["overall"]["ok_per_s"] / bare_rate if bare_rate else None
    return {
        "service": service_result,
        "bare": bare_result,
        "ratio": None if ratio is None else round(ratio, 3),
        "outbox": mail,
        "unexpected_errors": service_result["unexpected_errors"] + bare_result["unexpected_errors"],
    }


async def page_session(
    service: Server, bare_pages: Server, who: Identities, plan: Plan
) -> dict[str, Any]:
    """The page mix: the bare pages of the same sizes first, then the service's; closed-loop,
    then (``plan.think_ms`` > 0) both again with the sessions thinking between pages."""
    base_url = f"http://{HOST}:{service.port}"
    stage = await set_up_pages(base_url, who, plan.pages)
    sizes = await page_sizes(base_url, stage)
    rows = await bare_rows(f"http://{HOST}:{bare_pages.port}", sizes)
    bare_result = await phase(bare_pages, BarePageMix(rows), plan)
    service_result = await phase(service, PageMix(stage), plan)
    ratio = rate_ratio(service_result, bare_result)
    result = {
        "service": service_result,
        "bare": bare_result,
        "ratio": ratio,
        "sizes": sized(sizes, rows),
        "targets": targets(service_result, ratio),
        "unexpected_errors": service_result["unexpected_errors"] + bare_result["unexpected_errors"],
    }
    if plan.think_ms > 0:
        bare_think = await phase(bare_pages, BarePageMix(rows, plan.think_ms), plan)
        service_think = await phase(service, PageMix(stage, plan.think_ms), plan)
        result["with_think_time"] = {
            "think_ms": plan.think_ms,
            "service": service_think,
            "bare": bare_think,
            "ratio_of_offered_load": rate_ratio(service_think, bare_think),
            "targets": think_targets(service_think),
        }
        errors = service_think["unexpected_errors"] + bare_think["unexpected_errors"]
        result["unexpected_errors"] += errors
    return result


def rate_ratio(service: dict[str, Any], bare: dict[str, Any]) -> float | None:
    bare_rate = bare["overall"]["ok_per_s"]
    return round(service["overall"]["ok_per_s"] / bare_rate, 3) if bare_rate else None


async def both_mixes(
    service: Server,
    bare: Server | None,
    bare_pages: Server | None,
    who: Identities,
    recipients: Sequence[Recipient],
    plan: Plan,
) -> dict[str, Any]:
    """The API mix against ``bare`` and the page mix against ``bare_pages``, each if given."""
    result: dict[str, Any] = {}
    if bare is not None:
        result = await session(service, bare, who, recipients, plan)
    if bare_pages is not None:
        result["pages"] = await page_session(service, bare_pages, who, plan)
        errors = result.get("unexpected_errors", 0) + result["pages"]["unexpected_errors"]
        result["unexpected_errors"] = errors
    return result


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def on_backend(
    backend: Backend, recipients: Sequence[Recipient], plan: Plan, work: Path
) -> dict[str, Any]:
    """Migrate, start both servers, load them, check the outbox; both stopped after."""
    data_dir = work / "ksp-data"
    env = service_env(data_dir, backend.service_url, free_port())
    ksp(env, "db", "upgrade")
    who = Identities(
        kif=bearer(token(env, "kif", KIF_UNIT, "load-kif")),
        arrest=bearer(token(env, "arrest", ARREST_UNIT, "load-arrest")),
        auditor=bearer(token(env, "auditor", AUDITOR_UNIT, "load-auditor")),
    )
    bare_port = free_port()
    bare_command = [sys.executable, str(BARE_APP), "--host", HOST, "--port", str(bare_port)]
    bare_command += ["--database-url", backend.bare_url]
    pages_port = free_port()
    pages_command = [sys.executable, str(BARE_PAGES), "--host", HOST, "--port", str(pages_port)]
    pages_command += ["--database-url", f"sqlite+aiosqlite:///{work / 'bare-pages.sqlite3'}"]
    try:
        with contextlib.ExitStack() as stack:
            service = stack.enter_context(
                running("service", [str(KSP), "serve"], env, int(env["KSP_PORT"]), work)
            )
            servers = [service]
            if plan.api:
                bare = stack.enter_context(running("bare", bare_command, env, bare_port, work))
                servers.append(bare)
            if plan.pages_on(backend):
                pages = stack.enter_context(
                    running("bare-pages", pages_command, env, pages_port, work)
                )
                servers.append(pages)
            for server in servers:
                wait_healthy(server)
            api = bare if plan.api else None
            paged = pages if plan.pages_on(backend) else None
            result = asyncio.run(both_mixes(service, api, paged, who, recipients, plan))
            for server in servers:
                if server.process.poll() is not None:
                    raise BenchError(f"{server.name} died under load:\n{log_tail(server.log)}")
            failed = result.get("outbox", {}).get("by_status", {}).get("failed")
            if result.get("unexpected_errors") or failed:
                tail = log_tail(service.log, 40)
                print(f"{backend.name}: the service's log ends:\n{tail}", file=sys.stderr)
    finally:
        stop_agent(data_dir / "gnupg")
    return result


# Every backend ----------------------------------------------------------------------------


@contextlib.contextmanager
def recipients_keys(count: int, work: Path) -> Iterator[list[Recipient]]:
    """``count`` recipients with keys of their own (made once, used on every backend)."""
    with KeyMaker(work / "recipients-gnupg") as keys:
        yield make_recipients(keys, count)


def run_backends(chosen: str, plan: Plan, work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with recipients_keys(plan.shape.recipients, work) as recipients:
        if chosen in {"sqlite", "all"}:
            sqlite_work = work / "sqlite"
            sqlite_work.mkdir()
            results["sqlite"] = on_backend(
                sqlite_backend(sqlite_work), recipients, plan, sqlite_work
            )
        if chosen in {"postgres", "all"}:
            results["postgresql"] = on_postgres(recipients, plan, work / "postgresql")
    return results


def on_postgres(recipients: Sequence[Recipient], plan: Plan, work: Path) -> dict[str, Any]:
    admin_url = postgres_admin_url()
    if not admin_url:
        return {"skipped": NO_POSTGRES}
    work.mkdir()
    try:
        with throwaway_postgres(admin_url) as backend:
            return on_backend(backend, recipients, plan, work)
    except CannotCreateDatabase as exc:
        return {"skipped": str(exc)}


# The report -------------------------------------------------------------------------------


def gpg_version() -> str | None:
    done = subprocess.run(["gpg", "--version"], capture_output=True, text=True, check=False)
    first = done.stdout.splitlines()[0] if done.returncode == 0 and done.stdout else ""
    return first.rsplit(" ", 1)[-1] or None


def document(
    plan: Plan, results: dict[str, Any], load_before: list[float] | None
) -> dict[str, Any]:
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {**machine(load_before), "load_average_after": load_average()},
        "versions": {**{package: version(package) for package in VERSIONED}, "gpg": gpg_version()},
        "config": {
            "clients": plan.clients,
            "seconds": plan.seconds,
            "warmup_s": plan.warmup_s,
            "mixes": plan.mix,
            "mix": dict(MIX),
            "bare_mix": bare_weights(MIX, WRITES),
            **plan.shape.as_json(),
            "page_mix": dict(PAGE_MIX),
            "pages": {
                **plan.pages.as_json(),
                "think_ms": plan.think_ms,
                "think": "closed-loop first; then, if think_ms > 0, a pause of 0.5 to 1.5 "
                "times think_ms after each page (bare pages alike)",
                "backend": "sqlite",
                "sign_in": "the development sign-in, one session cookie per client",
                "bare": "bench/bare_pages.py, GET /page/{rows} as large as each page",
            },
            "outbox_wait_s": OUTBOX_WAIT_S,
            "client": "asyncio HTTP/1.1, one keep-alive connection per client",
            "servers": "one uvicorn process each: ksp serve, bench/bare_app.py, bare_pages.py",
            "ratio": "service ok_per_s / bare ok_per_s, measured one after the other",
        },
        "backends": results,
        "unexpected_errors": sum(r.get("unexpected_errors", 0) for r in results.values()),
    }


def line(result: dict[str, Any]) -> str:
    latency, errors = result["latency_ms"], result["errors"]
    return (
        f"{result['count']:>7} req  {result['ok_per_s']:>7.1f} ok/s  p50 {latency['p50']} ms  "
        f"p95 {latency['p95']} ms  p99 {latency['p99']} ms  "
        f"by design {sum(errors['by_design'].values())}  "
        f"unexpected {sum(errors['unexpected'].values())}"
    )


def print_summary(results: dict[str, Any], out: Path) -> None:
    for name, result in results.items():
        if "skipped" in result:
            print(f"{name}: skipped ({result['skipped']})")
            continue
        if "service" in result:
            print_api(name, result)
        if "pages" in result:
            print_pages(name, result["pages"])
    print(f"written to {out}")


def print_pages(name: str, pages: dict[str, Any]) -> None:
    service, bare, held = pages["service"], pages["bare"], pages["targets"]
    print(f"{name}: pages (cpu {service['server_cpu']})")
    for operation, figures in {"overall": service["overall"], **service["operations"]}.items():
        print(f"  {operation:<16}{line(figures)}")
    print(f"{name}: bare pages (cpu {bare['server_cpu']})")
    for operation, figures in {"overall": bare["overall"], **bare["operations"]}.items():
        print(f"  {operation:<16}{line(figures)}")
    print(
        f"{name}: pages ratio {pages['ratio']} (target >= {held['ratio_at_least']}: "
        f"{held['ratio_holds']}); p95 <= {held['p95_ms_at_most']} ms: {held['p95_holds']}"
    )
    thinking = pages.get("with_think_time")
    if thinking is None:
        return
    service, bare, held = thinking["service"], thinking["bare"], thinking["targets"]
    think = f"{thinking['think_ms']:g} ms"
    print(f"{name}: pages with {think} think time (cpu {service['server_cpu']})")
    for operation, figures in {"overall": service["overall"], **service["operations"]}.items():
        print(f"  {operation:<16}{line(figures)}")
    print(f"{name}: bare pages with think time (cpu {bare['server_cpu']})")
    print(f"  {'overall':<16}{line(bare['overall'])}")
    print(f"{name}: with think time, p95 <= {held['p95_ms_at_most']} ms: {held['p95_holds']}")


def print_api(name: str, result: dict[str, Any]) -> None:
    service, bare, mail = result["service"], result["bare"], result["outbox"]
    print(f"{name}: service (cpu {service['server_cpu']})")
    print(f"  {'overall':<16}{line(service['overall'])}")
    for operation, figures in service["operations"].items():
        print(f"  {operation:<16}{line(figures)}")
    print(f"{name}: bare (cpu {bare['server_cpu']})")
    for operation, figures in {"overall": bare["overall"], **bare["operations"]}.items():
        print(f"  {operation:<16}{line(figures)}")
    print(f"{name}: ratio {result['ratio']}")
    print(
        f"{name}: outbox {mail['sent']} of {mail['queued']} messages sent "
        f"({mail['circulations']} circulations, {mail['by_status']}, "
        f"waited {mail['waited_s']} s)"
    )


def failures(results: dict[str, Any]) -> list[str]:
    found = []
    for name, result in results.items():
        if "skipped" in result:
            continue
        parts = {role: result[role] for role in ("service", "bare") if role in result}
        if "pages" in result:
            parts |= {"pages": result["pages"]["service"], "bare pages": result["pages"]["bare"]}
            thinking = result["pages"].get("with_think_time")
            if thinking is not None:
                parts |= {"pages thinking": thinking["service"], "bare thinking": thinking["bare"]}
        for role, figures in parts.items():
            operations = {**figures["operations"], **figures.get("warmup", {})}
            found += [f"{name} {role} {text}" for text in unexpected_lines(operations)]
        failed = result.get("outbox", {}).get("by_status", {}).get("failed")
        if failed:
            found.append(f"{name} outbox: {failed} deliveries failed")
    return found


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "load.json")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured, per server (60)")
    parser.add_argument("--warmup", type=float, help="s per server (default: seconds/5, <= 2)")
    parser.add_argument("--backend", choices=BACKENDS, default="all")
    parser.add_argument("--mix", choices=MIXES, default="all", help="api, pages or all (all)")
    parser.add_argument("--sessions", type=int, help="signed-in sessions of the page mix (50)")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=DEFAULT_THINK_MS,
        help="page mix: the second run's mean pause between a session's pages "
        f"({DEFAULT_THINK_MS:g}; 0: closed-loop only)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 s, 8 clients, 8 sessions, a 20-person list"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.clients = min(args.seconds, 3.0), min(args.clients, 8)
    if args.warmup is None:
        args.warmup = min(2.0, args.seconds / 5)
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0 or args.think_ms < 0:
        parser.error("--clients must be >= 1, --seconds > 0, --warmup >= 0, --think-ms >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    if not KSP.exists():
        print(f"load: {KSP} not found; run `make install`", file=sys.stderr)
        return 2
    pages = QUICK_PAGE_SHAPE if args.quick else PAGE_SHAPE
    if args.sessions is not None:
        pages = PageShape(args.sessions, pages.persons, pages.swapped)
    plan = Plan(args.clients, args.seconds, args.warmup, SHAPE, args.mix, pages, args.think_ms)
    load_before = load_average()
    results = run_in_scratch("load", lambda tmp: run_backends(args.backend, plan, tmp))
    if isinstance(results, int):
        return results
    write_report(args.out, document(plan, results, load_before))
    print_summary(results, args.out)
    found = failures(results)
    for text in found:
        print(f"load: unexpected: {text}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
