"""The `ksp` command line (CONTRACT.md "Starting and reaching it"; issue 7: secrets are
made only by the commands that set a service up, once, and privately)."""

from __future__ import annotations

import argparse
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from ksp.cli import _parser
from ksp.domain.access import Principal, Role
from ksp.settings import load_settings
from ksp.tokens import TokenVerifier
from support.server import free_port, running_server
from unit.journal.journal_builder import build_journal, save_bundle, signer

KSP = str(Path(sys.executable).with_name("ksp"))
NOT_INITIALISED = "KSP_DATA_DIR ({}) is not initialised"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KSP, *args], env=env, capture_output=True, text=True, check=False)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ksp_token_prints_a_token_the_service_accepts(tmp_path: Path) -> None:
    """ksp token --role ROLE --unit UNIT --sub ID [--email E] [--ttl 3600], signed with the
    secret of an initialised data dir."""
    env = {"KSP_DATA_DIR": str(tmp_path)}
    secret = load_settings(env).token_secret  # initialises the data dir
    done = run(
        "token",
        *("--role", "participant", "--unit", "kommune-101", "--sub", "p7"),
        *("--email", "p7@kk.dk", "--ttl", "60"),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert TokenVerifier(secret).verify(done.stdout.strip()) == Principal(
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


@pytest.mark.parametrize(
    "command",
    [
        ("journal", "key"),
        ("mail", "key"),
        ("token", "--role", "kif", "--unit", "kif-hovedstaden", "--sub", "x"),
    ],
)
def test_reading_commands_never_create_secrets(tmp_path: Path, command: tuple[str, ...]) -> None:
    """Issue 7: `ksp journal key`, `ksp mail key` and `ksp token` run outside a data dir
    exit 2 naming KSP_DATA_DIR, and leave no secrets behind (an auditor comparing "the key
    on paper" would otherwise get a random one)."""
    data_dir = tmp_path / "var"
    done = run(*command, env={"KSP_DATA_DIR": str(data_dir)})
    assert done.returncode == 2, done.stdout
    assert NOT_INITIALISED.format(data_dir) in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not data_dir.exists()


def test_mail_key_never_makes_the_service_key(tmp_path: Path) -> None:
    """Issue 7: in a data dir with secrets but no OpenPGP key yet, `ksp mail key` exits 2
    naming KSP_DATA_DIR, and no keyring with a new key appears."""
    env = {"KSP_DATA_DIR": str(tmp_path)}
    load_settings(env)
    done = run("mail", "key", env=env)
    assert done.returncode == 2
    assert f"KSP_DATA_DIR ({tmp_path}) holds no service OpenPGP key" in done.stderr
    assert not (tmp_path / "gnupg").exists()


def test_mail_new_key_needs_no_data_dir(tmp_path: Path) -> None:
    """`ksp mail new-key` makes the key every instance is given; it reads no secrets, so it
    runs anywhere and makes no data dir."""
    out = tmp_path / "service-key.asc"
    env = {"KSP_DATA_DIR": str(tmp_path / "var"), "KSP_MAIL_FROM": "ksp@kriminalforsorgen.dk"}
    done = run("mail", "new-key", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="ascii").startswith("-----BEGIN PGP PRIVATE KEY BLOCK")
    assert mode(out) == 0o600
    assert not (tmp_path / "var").exists()


def test_eight_processes_on_a_new_data_dir_agree_on_one_journal_key(tmp_path: Path) -> None:
    """Issue 7 finding 10: eight `ksp init` started at once on a new data dir all print the
    same journal key (the secrets are made once, atomically); the data dir is 0700 and
    secrets.json 0600; `ksp journal key` and `ksp mail key` then read what they made."""
    data_dir = tmp_path / "var"
    env = {"KSP_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"}
    started = [
        subprocess.Popen([KSP, "init"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    outputs = [process.communicate(timeout=120) for process in started]
    assert [p.returncode for p in started] == [0] * 8, [err for _, err in outputs]
    printed = {out.decode() for out, _ in outputs}
    assert len(printed) == 1, printed
    assert run("journal", "key", env=env).stdout in printed.pop()
    assert run("mail", "key", env=env).stdout.startswith("-----BEGIN PGP PUBLIC KEY BLOCK")
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secrets.json") == 0o600
    assert [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_the_database_its_wal_and_shm_are_private_while_the_server_runs(tmp_path: Path) -> None:
    """Issue 7 finding 10: `ksp db upgrade` then `ksp serve` on a new data dir: the dir is
    0700; secrets.json, ksp.sqlite3 and its -wal and -shm are 0600."""
    data_dir = tmp_path / "var"
    env = {"PATH": "/usr/bin:/bin", "KSP_DATA_DIR": str(data_dir), "KSP_PORT": str(free_port())}
    with running_server(data_dir, env) as server:  # its log file is the test's, not ksp's
        assert httpx.get(server.base_url + "/ready", timeout=10).status_code == 200
        names = ["secrets.json", "ksp.sqlite3", "ksp.sqlite3-wal", "ksp.sqlite3-shm"]
        assert {name: mode(data_dir / name) for name in names} == dict.fromkeys(names, 0o600)
        assert mode(data_dir) == 0o700


def test_files_an_older_release_left_readable_are_made_private(tmp_path: Path) -> None:
    """Issue 7 finding 10: a data dir whose secrets.json and ksp.sqlite3 are 0644 (as an
    older release made them) has them 0600 after `ksp db upgrade`."""
    env = {"KSP_DATA_DIR": str(tmp_path)}
    load_settings(env)
    database = tmp_path / "ksp.sqlite3"
    database.touch()
    for path in (tmp_path / "secrets.json", database):
        path.chmod(0o644)
    assert run("db", "upgrade", env=env).returncode == 0
    assert (mode(tmp_path / "secrets.json"), mode(database)) == (0o600, 0o600)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('["a list"]', "must hold a JSON object"),
        ('{"token_secret": 7}', "token_secret must be a base64 string"),
        ('{"token_secret": "no base64!"}', "token_secret must be base64"),
        ('{"journal_signing_key": "AAAA"}', "journal_signing_key must decode to exactly 32"),
    ],
)
def test_a_corrupt_secrets_file_is_a_configuration_error_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    """Issue 7: a corrupt secrets.json gives a clear configuration error naming the file
    and exit 2, never a traceback."""
    (tmp_path / "secrets.json").write_text(content)
    for command in (("db", "upgrade"), ("journal", "key")):
        done = run(*command, env={"KSP_DATA_DIR": str(tmp_path)})
        assert done.returncode == 2
        assert done.stderr.startswith(f"ksp: configuration error: {tmp_path / 'secrets.json'}")
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_ksp_version_prints_the_package_version() -> None:
    """Issue 7: `ksp --version`."""
    done = run("--version", env={})
    assert (done.returncode, done.stdout) == (0, f"ksp {version('ksp')}\n")


def test_every_command_and_option_has_a_description() -> None:
    """Issue 7: every subcommand has a description (its --help says what it does), and
    every option a help text."""
    undescribed = []
    pending = [("ksp", _parser())]
    while pending:
        name, parser = pending.pop()
        if not parser.description:
            undescribed.append(name)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending += [(f"{name} {n}", p) for n, p in action.choices.items()]
            elif not action.help:
                undescribed.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert undescribed == []
    assert "journal" in run("--help", env={}).stdout


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[Path, str]:
    """A three-entry bundle and its journal's verifier key."""
    journal = build_journal(3)
    return save_bundle(journal, tmp_path / "journal.jsonl"), journal.signer.vkey


def verify(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run("journal", "verify", *map(str, args), env={})


def test_journal_verify_needs_the_journal_key(bundle: tuple[Path, str]) -> None:
    """Issue 7: without --journal-key (or --trust-bundle-key) the command refuses, exit 2,
    instead of trusting the key in the bundle; with it the bundle is intact."""
    path, vkey = bundle
    refused = verify(path)
    assert refused.returncode == 2
    assert "--journal-key" in refused.stderr
    assert refused.stdout == ""
    pinned = verify(path, "--journal-key", vkey)
    assert (pinned.returncode, pinned.stdout) == (0, "intact: 3 entries, checkpoint at 3\n")


def test_trusting_the_bundle_key_says_loudly_that_it_proves_nothing(
    bundle: tuple[Path, str],
) -> None:
    """Issue 7: --trust-bundle-key verifies, and warns on stderr that this proves nothing
    about the bundle's origin."""
    done = verify(bundle[0], "--trust-bundle-key")
    assert done.returncode == 0
    assert "WARNING" in done.stderr
    assert "proves nothing" in done.stderr


def test_the_journal_key_pins_name_and_key_id_as_well_as_the_key(
    bundle: tuple[Path, str],
) -> None:
    """Issue 7: the same key bytes under another name (so another key id) do not verify
    the bundle (exit 1); a key whose key id does not match its name and key is refused as
    a usage error (exit 2)."""
    path, vkey = bundle
    _, key_id, key = vkey.split("+")
    other = signer(seed=1, origin="other.example/journal")
    assert other.vkey.split("+")[2] == key  # the same key bytes under another name
    renamed = verify(path, "--journal-key", other.vkey)
    assert (renamed.returncode, renamed.stdout) == (
        1,
        "NOT INTACT: first bad entry -: unexpected public key\n",
    )
    wrong_id = f"{vkey.split('+')[0]}+{'0' * len(key_id)}+{key}"
    refused = verify(path, "--journal-key", wrong_id)
    assert refused.returncode == 2
    assert "is not a verifier key" in refused.stderr


def test_a_missing_or_unreadable_file_is_a_message_and_exit_2(
    tmp_path: Path, bundle: tuple[Path, str]
) -> None:
    """Issue 7: a missing bundle, a missing kept checkpoint, a directory given as the
    bundle: one line naming the file, exit 2, never a traceback."""
    path, vkey = bundle
    missing, kept = tmp_path / "missing.jsonl", tmp_path / "kept.txt"
    for target, extra, named in [
        (missing, (), missing),
        (path, ("--trusted-checkpoint", str(kept)), kept),
        (tmp_path, (), tmp_path),
    ]:
        done = verify(target, "--journal-key", vkey, *extra)
        assert (done.returncode, done.stdout) == (2, ""), target
        assert done.stderr.startswith(f"ksp: {named}: ")
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite:////nonexistent/dir/ksp.sqlite3", "unable to open database file"),
        (f"postgresql://ksp@127.0.0.1:{free_port()}/ksp", "ConnectionRefusedError"),
    ],
)
def test_a_database_that_cannot_be_used_is_one_line_and_exit_1(
    tmp_path: Path, url: str, reason: str
) -> None:
    """Issue 7: a KSP_DATABASE_URL that cannot be opened or reached stops `ksp db upgrade`
    and `ksp keys check` with one line naming KSP_DATABASE_URL, not a traceback."""
    env = {"KSP_DATA_DIR": str(tmp_path), "KSP_DATABASE_URL": url}
    for command in (("db", "upgrade"), ("keys", "check")):
        load_settings(env)
        done = run(*command, env=env)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("ksp: the database (KSP_DATABASE_URL) cannot be used: ")
        assert reason in done.stderr
        assert "Traceback" not in done.stderr


def test_ksp_retention_run_applies_the_policy_and_a_bad_policy_stops_it(tmp_path: Path) -> None:
    """CONTRACT.md: `ksp retention run` erases what KSP_RETENTION_FILE says is due (here, on
    a new database, nothing), prints counts per kind and never personal data; a bad policy
    is a configuration error naming the variable, exit 2."""
    env = {"KSP_DATA_DIR": str(tmp_path / "var")}
    assert run("db", "upgrade", env=env).returncode == 0
    policy = tmp_path / "retention.json"
    policy.write_text('{"list_version": "365d", "access_log": "1825d"}', encoding="utf-8")
    done = run("retention", "run", env=env | {"KSP_RETENTION_FILE": str(policy)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "erasure entries: none",
        "access_log: 0 erased",
        "list_version: 0 erased",
    ]
    without = run("retention", "run", env=env)
    assert without.returncode == 0
    assert "names no retention policy" in without.stdout
    policy.write_text('{"list_version": "a year"}', encoding="utf-8")
    refused = run("retention", "run", env=env | {"KSP_RETENTION_FILE": str(policy)})
    assert refused.returncode == 2
    assert "KSP_RETENTION_FILE: list_version: the duration must be whole days" in refused.stderr
