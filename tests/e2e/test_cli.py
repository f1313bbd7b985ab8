"""The `ksp` command line (CONTRACT.md "Starting and reaching it")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ksp.domain.access import Principal, Role
from ksp.settings import load_settings
from ksp.tokens import TokenVerifier

KSP = str(Path(sys.executable).with_name("ksp"))


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KSP, *args], env=env, capture_output=True, text=True, check=False)


def test_ksp_token_prints_a_token_the_service_accepts(tmp_path: Path) -> None:
    """ksp token --role ROLE --unit UNIT --sub ID [--email E] [--ttl 3600]."""
    env = {"KSP_DATA_DIR": str(tmp_path)}
    done = run(
        "token",
        "--role",
        "participant",
        "--unit",
        "kommune-101",
        "--sub",
        "p7",
        "--email",
        "p7@kk.dk",
        "--ttl",
        "60",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    verifier = TokenVerifier(load_settings(env).token_secret)
    assert verifier.verify(done.stdout.strip()) == Principal(
        "p7", Role.PARTICIPANT, "kommune-101", "p7@kk.dk"
    )


def test_a_bad_configuration_stops_the_command_with_a_clear_message(tmp_path: Path) -> None:
    """Issue 2: a clear error at start-up for a bad value; exit status 2."""
    done = run("db", "upgrade", env={"KSP_DATA_DIR": str(tmp_path), "KSP_PORT": "http"})
    assert done.returncode == 2
    assert done.stderr.strip() == "ksp: configuration error: KSP_PORT must be an integer"


def test_ksp_db_upgrade_creates_the_embedded_database(tmp_path: Path) -> None:
    """ksp db upgrade migrates the embedded SQLite database under KSP_DATA_DIR."""
    done = run("db", "upgrade", env={"KSP_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ksp.sqlite3").stat().st_size > 0
