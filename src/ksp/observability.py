"""Structured JSON logs (structlog) and the request id that ties a request's lines together.

Log lines carry ids, roles, units, paths and timings; never names, CPR numbers or concern
texts. Unhandled exceptions are logged by type and location only, because an exception's
message may quote data.
"""

from __future__ import annotations

import logging
import sys
import traceback
from contextvars import ContextVar

import structlog

__all__ = ["configure_logging", "current_request_id", "exception_location", "request_id_var"]

request_id_var: ContextVar[str | None] = ContextVar("ksp_request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def _add_request_id(
    _logger: object, _name: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    request_id = request_id_var.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


# Libraries that see data. The database drivers and SQLAlchemy log every statement with its
# parameters (keyed CPR hashes, ciphertexts, token subjects, recipient addresses) at INFO
# and DEBUG; python-gnupg logs OpenPGP user IDs; httpx and httpcore log URLs. They are kept
# at WARNING whatever KSP_LOG_LEVEL says (which is for our own events), and a filter on our
# handler drops any record of theirs below WARNING, should something lower a level again.
_QUIET_LIBRARIES = ("aiosqlite", "asyncpg", "sqlalchemy", "gnupg", "httpx", "httpcore")


def _is_quiet_library(name: str) -> bool:
    return any(name == quiet or name.startswith(f"{quiet}.") for quiet in _QUIET_LIBRARIES)


class _QuietLibraries(logging.Filter):
    """Lets a quiet library's record through only at WARNING or above."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not _is_quiet_library(record.name)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stdout, one per event, ours and those of libraries (uvicorn) alike."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_QuietLibraries())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    logging.basicConfig(handlers=[handler], level=level, force=True)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )


def exception_location(exc: BaseException) -> str:
    """``module:line`` of the innermost frame: enough to find a bug, no data."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"
