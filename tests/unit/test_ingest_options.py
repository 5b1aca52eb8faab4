"""Source options: misspelt names are refused like unknown [project] keys are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxlens.errors import ConfigError
from cxlens.ingest import import_file
from cxlens.ingest.importer import SOURCE_OPTIONS, flatten_options
from cxlens.store import Warehouse


def test_unknown_source_option_is_refused_with_the_known_names():
    with pytest.raises(ConfigError) as caught:
        flatten_options({"dayfirst": True, "foo": 1})
    message = str(caught.value)
    assert "unknown option(s) in [[sources]]: foo." in message
    for name in ("dayfirst", "key_prefix", "columns", "na_values"):
        assert name in message


def test_unknown_option_nested_under_options_is_refused_too():
    with pytest.raises(ConfigError, match="unknown option.*: daysfirst, zone"):
        flatten_options({"options": {"daysfirst": True, "zone": "UTC"}})


def test_known_options_flat_and_nested_are_merged_with_the_flat_one_winning():
    merged = flatten_options({"dayfirst": False, "options": {"dayfirst": True, "key_prefix": "a-"}})
    assert merged == {"dayfirst": False, "key_prefix": "a-"}


def test_the_options_docs_list_are_exactly_the_accepted_ones():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text("utf-8")
    section = docs.split("## Source options")[1].split("They may")[0]
    listed = set(re.findall(r"`([a-z_]+)`", section)) - {
        "path",
        "table",
        "preset",
        "timezone",
        "sheet",
    }
    assert listed == set(SOURCE_OPTIONS)
    assert flatten_options(dict.fromkeys(listed, None)).keys() == listed


def test_key_prefix_must_be_text():
    with pytest.raises(
        ConfigError, match='key_prefix = 3 .* must be text, e.g. key_prefix = "fd-"'
    ):
        flatten_options({"key_prefix": 3})


def test_import_with_an_unknown_option_writes_nothing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at\n1,2024-01-01\n")
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with pytest.raises(ConfigError, match="foo"):
        import_file(warehouse, path, table="tickets", options={"foo": 1})
    assert not (tmp_path / "w.duckdb").exists()
