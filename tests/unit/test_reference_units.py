"""The units table: shipped, dated, replaceable with KSP_UNITS_FILE (checked at start-up)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ksp.domain.reference import UnitKind, shipped_unit_table
from ksp.settings import ConfigError, load_settings


def test_the_shipped_table_names_its_source_and_holds_the_contracts_examples() -> None:
    """CONTRACT.md: the example units are in the table; municipalities and districts too."""
    table = shipped_unit_table()
    kinds = {u.unit: u.kind for u in table.units}
    assert kinds["kif-hovedstaden"] is UnitKind.KIF
    assert kinds["arrest-odense"] is UnitKind.ARREST
    assert kinds["intern-revision"] is UnitKind.AUDIT
    assert kinds["kommune-851"] is UnitKind.MUNICIPALITY
    assert kinds["politi-nordjylland"] is UnitKind.POLICE
    assert "kriminalforsorgen" in table.source.lower()


def test_ksp_units_file_replaces_the_table(tmp_path: Path) -> None:
    """KSP_UNITS_FILE: its KiF units are the only ones a case may be routed to."""
    path = tmp_path / "units.json"
    units = [{"unit": "kif-nord", "kind": "kif", "name": "KiF Nord"}]
    path.write_text(json.dumps({"valid_from": "2027-01-01", "source": "test", "units": units}))
    settings = load_settings({"KSP_DATA_DIR": str(tmp_path), "KSP_UNITS_FILE": str(path)})
    assert settings.units.kif_units() == {"kif-nord"}


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"valid_from": "2027-01-01", "source": "x"}),
        json.dumps({"valid_from": "soon", "source": "x", "units": []}),
        json.dumps(
            {
                "valid_from": "2027-01-01",
                "source": "x",
                "units": [{"unit": "Kif Nord", "kind": "kif", "name": "x"}],
            }
        ),
        json.dumps(
            {
                "valid_from": "2027-01-01",
                "source": "x",
                "units": [{"unit": "kommune-101", "kind": "kif", "name": "x"}],
            }
        ),
        json.dumps(
            {
                "valid_from": "2027-01-01",
                "source": "x",
                "units": [{"unit": "kif-a", "kind": "municipality", "name": "x"}],
            }
        ),
    ],
)
def test_a_bad_units_file_stops_the_start_naming_the_variable(tmp_path: Path, content: str) -> None:
    """Validated at start-up: a configuration error that names KSP_UNITS_FILE."""
    path = tmp_path / "units.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match="KSP_UNITS_FILE"):
        load_settings({"KSP_DATA_DIR": str(tmp_path), "KSP_UNITS_FILE": str(path)})


def test_a_missing_units_file_stops_the_start(tmp_path: Path) -> None:
    """A file that cannot be read is a configuration error, not a traceback."""
    with pytest.raises(ConfigError, match="KSP_UNITS_FILE"):
        load_settings({"KSP_DATA_DIR": str(tmp_path), "KSP_UNITS_FILE": str(tmp_path / "no")})


def test_ksp_max_list_entries_is_read_and_bounded(tmp_path: Path) -> None:
    """Finding 13: the list's size limit is explicit (default 500)."""
    assert load_settings({"KSP_DATA_DIR": str(tmp_path)}).max_list_entries == 500
    env = {"KSP_DATA_DIR": str(tmp_path), "KSP_MAX_LIST_ENTRIES": "20"}
    assert load_settings(env).max_list_entries == 20
    with pytest.raises(ConfigError, match="KSP_MAX_LIST_ENTRIES"):
        load_settings({**env, "KSP_MAX_LIST_ENTRIES": "0"})
