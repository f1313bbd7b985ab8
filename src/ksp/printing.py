"""PDF/A-2b of a document's HTML, made by WeasyPrint in a pool of worker processes.

WeasyPrint is slow (a 200-person list takes about a second) and holds the GIL while it lays
out pages, so it never runs on the event loop nor in its threads: a bounded
:class:`~concurrent.futures.ProcessPoolExecutor`, owned by the composition root, does it.
Every render has explicit limits: the HTML it takes, the PDF it may return, and the time
it may take. A render that runs over its time has its worker processes ended and the pool
replaced, so a document that lays out forever cannot hold a worker.

The print stylesheet (``templates/ksp_print.css``) is laid over the same HTML the
participants receive, so the PDF is that document, paged: A4, the running line and
``side x af y`` on every page.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ksp.domain.errors import PrintFailed

__all__ = ["PdfLimits", "PdfRenderer", "html_to_pdf", "print_stylesheet"]

PDF_VARIANT = "pdf/a-2b"


@dataclass(frozen=True, slots=True)
class PdfLimits:
    workers: int = 2  # processes rendering at once
    pending: int = 16  # renders waiting or running before more are refused
    timeout_seconds: float = 30.0  # waiting for a worker included
    max_html_bytes: int = 4_000_000
    max_pdf_bytes: int = 20_000_000


def _stylesheet_path() -> Path:
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parents[1] / "templates"):
        if (candidate / "ksp_print.css").is_file():
            return candidate / "ksp_print.css"
    raise FileNotFoundError("ksp_print.css")


@cache
def print_stylesheet() -> str:
    """The print stylesheet laid over every document's HTML."""
    return _stylesheet_path().read_text(encoding="utf-8")


def html_to_pdf(html: str, stylesheet: str) -> bytes:
    """The PDF/A-2b of ``html`` with ``stylesheet``; runs in a worker process.

    Nothing is fetched: the document refers to no file or URL, and a fetcher that refuses
    everything keeps it so."""
    import weasyprint  # noqa: PLC0415 - imported in the worker, not in the web process

    def no_fetching(*_: object, **__: object) -> dict[str, object]:
        raise ValueError("the document refers to nothing outside itself")

    document = weasyprint.HTML(string=html, url_fetcher=no_fetching)
    pdf = document.write_pdf(
        stylesheets=[weasyprint.CSS(string=stylesheet)],
        pdf_variant=PDF_VARIANT,
        uncompressed_pdf=False,
    )
    assert isinstance(pdf, bytes)
    return pdf


def _warm() -> None:
    """Import WeasyPrint when a worker starts, not on its first document."""
    import weasyprint  # noqa: F401, PLC0415


class PdfRenderer:
    """Renders in worker processes; ``close`` ends them (the app's lifespan calls it)."""

    def __init__(self, limits: PdfLimits | None = None) -> None:
        self.limits = limits or PdfLimits()
        self._pool: ProcessPoolExecutor | None = None
        self._pending = 0

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork of a process with threads (gpg, the database) is not safe.
            self._pool = ProcessPoolExecutor(
                max_workers=self.limits.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm,
            )
        return self._pool

    async def render(self, html: str) -> bytes:
        """The PDF of ``html``; :class:`~ksp.domain.errors.PrintFailed` past a limit."""
        if len(html.encode("utf-8")) > self.limits.max_html_bytes:
            raise PrintFailed("the document is too large to print")
        if self._pending >= self.limits.pending:
            raise PrintFailed("too many documents are being printed")
        self._pending += 1
        try:
            pool = self._executor()
            future = pool.submit(html_to_pdf, html, print_stylesheet())
            try:
                pdf = await asyncio.wait_for(
                    asyncio.wrap_future(future), self.limits.timeout_seconds
                )
            except TimeoutError:
                self._replace(pool)
                raise PrintFailed("printing took too long") from None
            except Exception as exc:  # noqa: BLE001 - a worker's fault is a failed print
                raise PrintFailed(f"printing failed ({type(exc).__name__})") from None
        finally:
            self._pending -= 1
        if len(pdf) > self.limits.max_pdf_bytes:
            raise PrintFailed("the PDF is too large")
        return pdf

    def _replace(self, pool: ProcessPoolExecutor) -> None:
        """End the workers of a pool whose render ran over its time; a new pool follows."""
        if self._pool is pool:
            self._pool = None
        processes = list(getattr(pool, "_processes", {}).values())  # no public way to kill
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
