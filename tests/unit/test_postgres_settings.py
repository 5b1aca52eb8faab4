"""``warehouse = "postgres://…"`` without a server: settings, staging path, URL masking.

The server side (publish, KPIs equal to DuckDB's, connection errors) is in
tests/postgres (make test-postgres).
"""

import pytest

from cxlens.errors import ConfigError
from cxlens.postgres import display, is_url
from cxlens.settings import load_settings
from cxlens.store import Warehouse

URL = "postgres://ana:pa%40ss@127.0.0.1:5432/cx"


def _config(tmp_path, text: str):
    config = tmp_path / "proj" / "cxlens.toml"
    config.parent.mkdir()
    config.write_text(f'[project]\nwarehouse = "{URL}"\n' + text, encoding="utf-8")
    return config


def test_postgres_warehouse_stages_beside_the_settings_and_publishes_to_its_schema(tmp_path):
    config = _config(tmp_path, '[postgres]\nstaging = "st/stage.duckdb"\nschema = "cx_ops"\n')
    warehouse = Warehouse.for_settings(load_settings(config))
    assert warehouse.is_postgres and not warehouse.is_spark
    assert warehouse.path == (tmp_path / "proj" / "st" / "stage.duckdb").resolve()
    assert warehouse.schema == "cx_ops"
    assert warehouse.target == "postgres://ana:***@127.0.0.1:5432/cx (schema cx_ops)"


def test_postgres_defaults_are_a_staging_file_beside_the_settings_and_schema_cxlens(tmp_path):
    warehouse = Warehouse.for_settings(load_settings(_config(tmp_path, "")))
    assert warehouse.path == (tmp_path / "proj" / "cxlens-staging.duckdb").resolve()
    assert warehouse.schema == "cxlens"
    assert Warehouse("postgresql://h/db").is_postgres  # both schemes


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('[postgres]\ntables_dir = "x"\n', "unknown key 'tables_dir' in \\[postgres\\]"),
        ('[postgres]\nschema = "Public Data"\n', "lower-case letters"),
        ("[postgres]\nstaging = 3\n", "must be a non-empty string"),
    ],
)
def test_postgres_settings_are_checked(tmp_path, section, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(_config(tmp_path, section))


def test_display_hides_the_password_and_keeps_the_rest():
    assert display(URL) == "postgres://ana:***@127.0.0.1:5432/cx"
    assert display("postgresql://127.0.0.1/cx?sslmode=disable") == (
        "postgresql://127.0.0.1/cx?sslmode=disable"
    )
    assert is_url("POSTGRES://x/y") and not is_url("pyspark://") and not is_url("a.duckdb")
