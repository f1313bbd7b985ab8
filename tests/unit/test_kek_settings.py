"""KSP_KEK_FILE and KSP_PKCS11_* (issue 13): all four token settings or none, and not both
keepers at once; the default KEK file lies in the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksp.settings import ConfigError, Pkcs11Settings, load_settings

TOKEN = {
    "KSP_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
    "KSP_PKCS11_TOKEN": "ksp",
    "KSP_PKCS11_KEY_LABEL": "kek",
    "KSP_PKCS11_PIN_FILE": "/run/ksp/pin",
}


def test_the_default_kek_file_is_kek_json_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"KSP_DATA_DIR": str(tmp_path)})
    assert settings.kek_path == tmp_path.resolve() / "kek.json"
    assert settings.pkcs11 is None


def test_ksp_kek_file_names_the_file(tmp_path: Path) -> None:
    env = {"KSP_DATA_DIR": str(tmp_path), "KSP_KEK_FILE": str(tmp_path / "elsewhere.json")}
    assert load_settings(env).kek_path == (tmp_path / "elsewhere.json").resolve()


def test_all_four_pkcs11_settings_name_the_token(tmp_path: Path) -> None:
    settings = load_settings({"KSP_DATA_DIR": str(tmp_path), **TOKEN})
    assert settings.pkcs11 == Pkcs11Settings(
        TOKEN["KSP_PKCS11_MODULE"], "ksp", "kek", Path("/run/ksp/pin")
    )


@pytest.mark.parametrize("missing", sorted(TOKEN))
def test_a_pkcs11_setting_missing_is_a_config_error_naming_it(tmp_path: Path, missing: str) -> None:
    env = {"KSP_DATA_DIR": str(tmp_path), **{k: v for k, v in TOKEN.items() if k != missing}}
    with pytest.raises(ConfigError, match=missing):
        load_settings(env)


def test_a_kek_file_and_a_token_at_once_is_a_config_error(tmp_path: Path) -> None:
    env = {"KSP_DATA_DIR": str(tmp_path), "KSP_KEK_FILE": str(tmp_path / "k.json"), **TOKEN}
    with pytest.raises(ConfigError, match="not both"):
        load_settings(env)
