"""``ksp witness serve``: a C2SP ``tlog-witness`` witness for one log, with its own key.

``POST /add-checkpoint`` takes ``old <size>``, the consistency proof lines, a blank line and
the log's signed checkpoint. It answers, as the spec says: 404 for another origin, 403 when
the log's key did not sign it, 400 for an old size beyond the checkpoint or a malformed
body, 409 (``text/x.tlog.size``, its size) when the old size is not what it last cosigned,
409 when the sizes match and the roots do not, 422 when the proof does not verify, and 200
with its ``tlog-cosignature/v1`` line when every check holds, after the new size and root
are on disk. The check and the write are one critical section. No database, no personal
data: checkpoints hold only sizes and hashes.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ksp.journal.checkpoint import Checkpoint, InvalidCheckpoint, strict_b64, verify_checkpoint
from ksp.journal.proofs import InvalidProof, verify_consistency
from ksp.witness.cosignature import Cosigner, note_body
from ksp.witness.state import LogState, StateDir
from ksp.witness.vkey import VerifierKey

__all__ = ["Answer", "Witness", "make_server"]

_log = logging.getLogger("ksp.witness")
_OLD = re.compile("old (0|[1-9][0-9]{0,19})")
_MAX_BODY = 64 * 1024
_MAX_PROOF = 63
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class Witness:
    """The checks of add-checkpoint for the one log this witness follows."""

    def __init__(self, cosigner: Cosigner, log: VerifierKey, state: StateDir) -> None:
        self._cosigner = cosigner
        self._log = log
        self._state = state
        self._mutex = threading.Lock()

    def add_checkpoint(self, body: str) -> Answer:
        try:
            old_size, proof, note = _parse_request(body)
            checkpoint = self._verified(note)
        except _Refused as refused:
            return refused.answer
        if old_size > checkpoint.tree_size:
            return Answer(400, "the old size is beyond the checkpoint\n")
        with self._mutex:
            known = self._state.load(self._log.name)
            if old_size != known.size:
                return Answer(409, f"{known.size}\n", SIZE_TYPE)
            if old_size == checkpoint.tree_size and known.size and known.root != checkpoint.root:
                _log.warning("witness.fork", extra={"size": known.size})
                return Answer(409, f"{known.size}\n", SIZE_TYPE)
            if not _consistent(known, checkpoint.tree_size, checkpoint.root, proof):
                _log.warning(
                    "witness.inconsistent", extra={"old": old_size, "size": checkpoint.tree_size}
                )
                return Answer(422, "the consistency proof does not verify\n")
            self._state.save(self._log.name, LogState(checkpoint.tree_size, checkpoint.root))
            return Answer(200, self._cosigner.cosign(note_body(note)))

    def _verified(self, note: str) -> Checkpoint:
        if note.split("\n", 1)[0] != self._log.name:
            raise _Refused(Answer(404, "unknown log\n"))
        try:
            return verify_checkpoint(note, public_key=self._log.public_key, origin=self._log.name)
        except InvalidCheckpoint:
            raise _Refused(Answer(403, "the checkpoint is not signed by the log's key\n")) from None


class _Refused(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


def _parse_request(body: str) -> tuple[int, list[bytes], str]:
    head, blank, note = body.partition("\n\n")
    lines = head.split("\n")
    old = _OLD.fullmatch(lines[0])
    if not blank or old is None or len(lines) - 1 > _MAX_PROOF:
        raise _Refused(Answer(400, "not an add-checkpoint request\n"))
    try:
        proof = [strict_b64(line) for line in lines[1:]]
    except ValueError:
        raise _Refused(Answer(400, "a proof line is not base64\n")) from None
    return int(old.group(1)), proof, note


def _consistent(known: LogState, size: int, root: bytes, proof: list[bytes]) -> bool:
    if known.size == 0:
        return not proof
    try:
        verify_consistency(size1=known.size, size2=size, root1=known.root, root2=root, proof=proof)
    except InvalidProof:
        return False
    return True


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ksp-witness"

        def do_POST(self) -> None:
            if self.path != "/add-checkpoint":
                self._answer(Answer(404, "not found\n"))
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._answer(Answer(411, "a Content-Length is needed\n"))
                return
            if not 0 <= length <= _MAX_BODY:
                self._answer(Answer(413, "the body is too large\n"))
                return
            raw = self.rfile.read(length)
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError:
                self._answer(Answer(400, "the body is not UTF-8\n"))
                return
            self._answer(witness.add_checkpoint(body))

        def _answer(self, answer: Answer) -> None:
            data = answer.body.encode("utf-8")
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            _log.info("witness.request", extra={"line": format % args})

    return ThreadingHTTPServer((host, port), Handler)
