"""Settings from cxlens.toml: defaults, paths relative to the file, and clear refusals."""

from pathlib import Path

import pytest

from cxlens.errors import ConfigError
from cxlens.settings import load_settings


def write(folder: Path, text: str) -> Path:
    path = folder / "cxlens.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_are_relative_to_the_settings_file(tmp_path):
    config = write(
        tmp_path,
        """
[project]
timezone = "Asia/Shanghai"
warehouse = "wh/cx.duckdb"

[[sources]]
table = "tickets"
path = "exports/t.csv"
preset = "zendesk"
timezone = "America/New_York"
dayfirst = true
""",
    )

    settings = load_settings(config)

    assert settings.timezone == "Asia/Shanghai"
    assert settings.warehouse_path == str((tmp_path / "wh" / "cx.duckdb").resolve())
    [source] = settings.sources
    assert source.path == (tmp_path / "exports" / "t.csv").resolve()
    assert (source.table, source.preset, source.timezone) == (
        "tickets",
        "zendesk",
        "America/New_York",
    )
    assert source.options == {"dayfirst": True}


def test_sections_merge_with_defaults(tmp_path):
    config = write(tmp_path, "[sla]\nresolution = '72h'\n[churn]\nwindow_days = 30\n")

    settings = load_settings(config)

    assert settings.sla == {"first_response": "24h", "resolution": "72h"}
    assert settings.churn["window_days"] == 30
    assert settings.clv["horizon_months"] == 12


def test_flags_override_settings(tmp_path):
    config = write(tmp_path, '[project]\nlanguage = "zh"\n')

    assert load_settings(config, {"language": "en"}).language == "en"
    assert load_settings(config, {"language": None}).language == "zh"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[project]\ntimezone = "+08:00"\n', "not an IANA name"),
        ('[project]\nlanguage = "fr"\n', "language must be 'zh' or 'en'"),
        ('[[sources]]\ntable = "tikets"\npath = "a.csv"\n', "unknown table 'tikets'"),
        ("[[sources]]\ntable = 'tickets'\n", "has no path"),
        ("[project\n", "not valid TOML"),
        ('[project]\nlanguag = "zh"\n', "unknown key 'languag' in [project]"),
        ("[slas]\nfirst_response = '24h'\n", "unknown section [slas]"),
        ("[sla]\nfirst_response = 24\n", "write it with a unit"),
        ("[sla.priority.urgent]\nfirst_response = '1x'\n", "[sla.priority.urgent] first_response"),
        ('[csat]\nsatisfied_from = "four"\n', "must be a whole number"),
        ("[csat]\nsatisfied_from = 9\n", "out of range"),
        ("[churn]\nwindow_days = -3\n", "out of range"),
        ("[clv]\ntime_unit = 'fortnight'\n", "time_unit"),
        ("[ces]\nhigher_is_easier = 'yes'\n", "true or false"),
        ("[business_hours]\nmon = '9-17'\n", "09:00-12:00"),
        ("[business_hours]\nmonday = ['09:00-17:00']\n", "unknown key 'monday'"),
        ("[business_hours]\nholidays = ['2024-13-01']\n", "'2024-13-01' is not a calendar date"),
        ("[business_hours]\nholidays = ['2024-3-29']\n", "not a date written YYYY-MM-DD"),
        ("[business_hours]\nholidays = ['29.03.2024']\n", "not a date written YYYY-MM-DD"),
        ("[business_hours]\nholidays = '2024-03-29'\n", "write a list of dates"),
        ("[sla]\nfrist_response = '4h'\n", "unknown key 'frist_response' in [sla]"),
        ("[sla]\nbusines_hours = true\n", "unknown key 'busines_hours' in [sla]"),
        ("[sla]\nbusiness_hours = 'yes'\n", "[sla] business_hours = 'yes' must be true or false"),
        ("[sla.priority.critcal]\nfirst_response = '1h'\n", "unknown priority 'critcal'"),
        ("[sla.priority.high]\nresolve = '1h'\n", "unknown key 'resolve' in [sla.priority.high]"),
        ("[spark]\ntables = 'x'\n", "unknown key 'tables' in [spark]"),
        ("[churn]\nwindow = 30\n", "unknown key 'window' in [churn]"),
        ("[clv]\nbogus_key = 1\n", "unknown key 'bogus_key' in [clv]"),
        ("[clv]\npenalizer = -0.1\n", "[clv] penalizer = -0.1 is out of range"),
        ("[csat]\nsatisfied = 4\n", "unknown key 'satisfied' in [csat]"),
        ("[ces]\nhigher_is_harder = true\n", "unknown key 'higher_is_harder' in [ces]"),
        ("[churn]\nexclude = 'Status'\n", "[churn] exclude must be a list"),
        ("[targets]\nsave_rate = 1.5\n", "[targets] save_rate = 1.5 is out of range"),
        ("[targets]\ncost_per_action = -1\n", "[targets] cost_per_action = -1 is out of range"),
        ("[targets]\nbudget = 100\n", "unknown key 'budget' in [targets]"),
        ("[[targets.actions]]\nname = 'call'\ncost = 5\n", "number 1 lacks save_rate"),
        ("[[targets.actions]]\nname = 'call'\ncost = 5\nsave_rate = 2\n", "out of range"),
    ],
)
def test_bad_settings_are_refused_with_the_file_named(tmp_path, text, message):
    config = write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_settings(config)

    assert message in str(caught.value)
    assert str(config) in str(caught.value)


def test_holidays_and_priority_names_that_are_valid_load(tmp_path):
    # an unquoted TOML date is a date too; 'critical' is one of urgent's names
    config = write(
        tmp_path,
        "[business_hours]\nmon = ['09:00-17:00']\nholidays = [2024-10-01, '2024-10-02']\n"
        "[sla.priority.critical]\nfirst_response = '1h'\nbusiness_hours = true\n",
    )
    settings = load_settings(config)
    assert settings.sla["priority"]["critical"]["first_response"] == "1h"


def test_missing_settings_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nowhere.toml not found"):
        load_settings(tmp_path / "nowhere.toml")


def test_targets_take_one_action_or_several(tmp_path):
    config = write(tmp_path, "[targets]\nsave_rate = 0.3\n")
    assert load_settings(config).targets == {
        "action": "call", "cost_per_action": 20.0, "save_rate": 0.3
    }  # fmt: skip
    config = write(
        tmp_path,
        "[[targets.actions]]\nname = 'call'\ncost = 30\nsave_rate = 0.25\n"
        "[[targets.actions]]\nname = 'e-mail'\ncost = 1\nsave_rate = 0.02\n",
    )
    actions = load_settings(config).targets["actions"]
    assert [a["name"] for a in actions] == ["call", "e-mail"]
