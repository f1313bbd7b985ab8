"""Where the page mix's time goes: ``ksp serve`` under pyinstrument, on SQLite.

Not part of ``make load`` (a profiler slows pure Python, so read shares, not latencies),
and pyinstrument is not a dependency of the project: install it into the virtualenv
first (``uv pip install --python .venv/bin/python pyinstrument``). It sets up what the page
mix of ``bench/load.py`` sets up (``bench/load_pages.py``), drives ``--clients`` sessions on
one page (or the whole mix) for ``--seconds``, stops the server, and writes pyinstrument's
text report to ``--out``.

    .venv/bin/python bench/profile_pages.py [--page list_diff] [--out pages-profile.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path

from harness import HOST, KSP, free_port, ksp, running, service_env, token, wait_healthy
from list_version import ARREST_UNIT, KIF_UNIT
from load_client import drive
from load_pages import PAGE_MIX, PageMix, PageShape, set_up_pages
from load_service import Identities
from load_stats import Tally, report


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--page", choices=[*PAGE_MIX, "all"], default="all")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--persons", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("pages-profile.txt"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ksp-profile-pages-") as tmp:
        work = Path(tmp)
        env = service_env(work / "data", f"sqlite:///{work / 'service.sqlite3'}", free_port())
        ksp(env, "db", "upgrade")
        who = Identities(
            kif=bearer(token(env, "kif", KIF_UNIT, "profile-kif")),
            arrest=bearer(token(env, "arrest", ARREST_UNIT, "profile-arrest")),
            auditor={},
        )
        command = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(args.out)]
        command += [str(KSP), "serve"]
        with running("service", command, env, int(env["KSP_PORT"]), work) as service:
            wait_healthy(service)
            shape = PageShape(args.clients, args.persons, 20)
            stage = asyncio.run(set_up_pages(f"http://{HOST}:{service.port}", who, shape))
            weights = PAGE_MIX if args.page == "all" else {args.page: 1.0}
            tally = Tally()
            mix = PageMix(stage, weights=dict(weights))
            elapsed = asyncio.run(drive(service.port, mix, args.clients, args.seconds, tally))
            print(report(tally, elapsed, weights)["overall"])
            # SIGINT, not the harness's SIGTERM: uvicorn shuts down and pyinstrument writes.
            os.killpg(service.process.pid, signal.SIGINT)
            service.process.wait(timeout=60)
    print(f"profile written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
