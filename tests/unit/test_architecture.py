"""The shape of the house (STYLE.md, habits 1-3; ARCHITECTURE.md): a pure core, adapters
that take plain values, and one composition root that reads the settings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "ksp"


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (lazy imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_the_domain_imports_no_web_database_or_adapter(path: Path) -> None:
    """The rules of DOMAIN.md live in a core that knows no HTTP, SQL, mail or settings."""
    forbidden = ("litestar", "sqlalchemy", "gnupg", "ksp.api", "ksp.db", "ksp.mail", "ksp.settings")
    found = {name for name in imports_of(path) if name.startswith(forbidden)}
    assert found == set()


@pytest.mark.parametrize("path", modules("journal") + modules("mail"), ids=lambda p: p.name)
def test_journal_and_mail_take_plain_values_not_the_settings(path: Path) -> None:
    """Only the composition root (ksp.bootstrap) and the edges read ksp.settings."""
    assert "ksp.settings" not in imports_of(path)


@pytest.mark.parametrize("path", modules("services"), ids=lambda p: p.name)
def test_services_know_no_http_and_no_orm(path: Path) -> None:
    """Services raise domain errors, never HTTP ones, and reach storage through ports."""
    found = {
        n for n in imports_of(path) if n.startswith(("litestar", "sqlalchemy", "ksp.api", "ksp.db"))
    }
    assert found == set()
