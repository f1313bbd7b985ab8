"""The retention policy (KSP_RETENTION_FILE, CONTRACT.md "The data-protection lifecycle"):
durations per record kind in whole days, checked at start-up with errors that say what is
wrong; a kind the policy does not name is kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ksp.domain.retention import (
    InvalidRetentionPolicy,
    RecordKind,
    RetentionPolicy,
    parse_retention_policy,
)
from ksp.settings import ConfigError, load_settings

NOW = dt.datetime(2027, 6, 1, 12, 0, tzinfo=dt.UTC)


def test_a_policy_maps_record_kinds_to_days_and_names_its_rules() -> None:
    policy = parse_retention_policy(
        '{"list_version": "365d", "minutes_version": "365d", "exchange": "1825d",'
        ' "access_log": "1825d"}'
    )
    assert policy.durations[RecordKind.EXCHANGE] == 1825
    assert policy.rule(RecordKind.LIST_VERSION) == "list_version:365d"
    assert policy.cutoff(RecordKind.LIST_VERSION, NOW) == NOW - dt.timedelta(days=365)
    assert policy.cutoff(RecordKind.CASE, NOW) is None  # not named: kept
    assert policy.rule(RecordKind.CASE) is None
    assert RetentionPolicy().cutoff(RecordKind.ACCESS_LOG, NOW) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not json", "is not JSON"),
        ('["365d"]', "must be a JSON object"),
        ('{"lists": "365d"}', "unknown record kind 'lists' (known: list_version,"),
        ('{"exchange": 365}', 'exchange: the duration must be whole days such as "365d"'),
        ('{"exchange": "12m"}', "exchange: the duration must be whole days"),
        ('{"exchange": "0d"}', "exchange: the duration must be whole days"),
        ('{"exchange": "-5d"}', "exchange: the duration must be whole days"),
        ('{"exchange": "99999d"}', "exchange: at most 36500d"),
    ],
)
def test_a_bad_policy_is_refused_saying_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidRetentionPolicy) as refused:
        parse_retention_policy(text)
    assert says in str(refused.value)


def test_ksp_retention_file_is_checked_at_start_up(tmp_path: Path) -> None:
    """A bad or unreadable file stops the service at start-up, naming the variable."""
    env = {"KSP_DATA_DIR": str(tmp_path / "var")}
    assert load_settings(env).retention == RetentionPolicy()
    policy = tmp_path / "retention.json"
    policy.write_text('{"access_log": "730d"}', encoding="utf-8")
    loaded = load_settings({**env, "KSP_RETENTION_FILE": str(policy)})
    assert loaded.retention.durations == {RecordKind.ACCESS_LOG: 730}
    policy.write_text('{"access_log": "two years"}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^KSP_RETENTION_FILE: access_log: the duration"):
        load_settings({**env, "KSP_RETENTION_FILE": str(policy)})
    with pytest.raises(ConfigError, match="KSP_RETENTION_FILE must name a readable UTF-8 file"):
        load_settings({**env, "KSP_RETENTION_FILE": str(tmp_path / "missing.json")})
    with pytest.raises(ConfigError, match="KSP_RETENTION_INTERVAL must be between 60 and"):
        load_settings({**env, "KSP_RETENTION_INTERVAL": "5"})
