"""Real ``ksp witness serve`` processes on loopback, and C2SP tlog-policy files naming them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

KSP = str(Path(sys.executable).with_name("ksp"))


@dataclass
class WitnessProcess:
    name: str
    vkey: str
    key_file: Path
    state_dir: Path
    log_key: str
    port: int = 0
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start (again, on the same port once it had one); it listens when this returns."""
        command = [KSP, "witness", "serve", "--key-file", str(self.key_file)]
        command += ["--name", self.name, "--state-dir", str(self.state_dir)]
        command += ["--log-key", self.log_key, "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()  # "witness <vkey> on 127.0.0.1:<port>"
        assert first.startswith(f"witness {self.vkey} on 127.0.0.1:"), first
        self.port = int(first.rsplit(":", 1)[1])
        # it printed its port after binding it: it already listens

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def new_witness(directory: Path, name: str, log_key: str) -> WitnessProcess:
    directory.mkdir(parents=True, exist_ok=True)
    key_file = directory / "witness.pem"
    made = subprocess.run(
        [KSP, "witness", "new-key", "--out", str(key_file), "--name", name],
        check=True,
        capture_output=True,
        text=True,
    )
    return WitnessProcess(name, made.stdout.strip(), key_file, directory / "state", log_key)


@contextmanager
def running_witnesses(
    directory: Path, log_key: str, count: int = 2
) -> Iterator[list[WitnessProcess]]:
    with ExitStack() as stack:
        witnesses = []
        for n in range(1, count + 1):
            witness = new_witness(directory / f"w{n}", f"audit.example/w{n}", log_key)
            witness.start()
            stack.callback(witness.stop)
            witnesses.append(witness)
        yield witnesses


def policy_text(log_key: str, witnesses: Sequence[WitnessProcess], quorum: str = "all") -> str:
    """A policy of the log and these witnesses (with their URLs), all (or ``quorum``) of them."""
    lines = [f"log {log_key}"]
    lines += [f"witness {w.name.replace('/', '-')} {w.vkey} {w.url}" for w in witnesses]
    names = " ".join(w.name.replace("/", "-") for w in witnesses)
    lines += [f"group witnesses {quorum} {names}", "quorum witnesses"]
    return "\n".join(lines) + "\n"
