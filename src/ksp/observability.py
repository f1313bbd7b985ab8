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


# Libraries whose DEBUG output could carry data: statements with their parameters
# (aiosqlite, asyncpg, SQLAlchemy) and OpenPGP user IDs (python-gnupg). KSP_LOG_LEVEL=DEBUG
# is for our own events; these stay at INFO or above whatever it says.
_QUIET_LIBRARIES = ("aiosqlite", "asyncpg", "sqlalchemy", "gnupg", "httpx", "httpcore")


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stdout, one per event, ours and those of libraries (uvicorn) alike."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler(sys.stdout)
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
    for name in _QUIET_LIBRARIES:  # their DEBUG lines carry SQL parameters and key user IDs
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
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
