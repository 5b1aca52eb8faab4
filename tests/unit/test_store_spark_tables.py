"""A Spark warehouse's tables on disk: the staging file, the Parquet folders, staleness.

No Spark here: publishing is DuckDB writing Parquet; tests/spark runs the metrics on it.
"""

import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxlens.clean import clean_warehouse
from cxlens.errors import WarehouseError
from cxlens.metrics import periods
from cxlens.settings import Settings, load_settings
from cxlens.store import STAGING_FILE, Warehouse
from helpers_raw import add_raw


@pytest.fixture
def spark_warehouse(tmp_path) -> Warehouse:
    """A pyspark:// warehouse with two cleaned tickets."""
    warehouse = Warehouse("pyspark://", tables_dir=tmp_path / "tables")
    with warehouse.transaction() as con:
        add_raw(
            con,
            "tickets",
            [
                {"ticket_id": "T1", "created_at": "2024-03-01 09:00", "channel": "email"},
                {"ticket_id": "T2", "created_at": "2024-03-02 10:30", "channel": "chat"},
            ],
        )
    clean_warehouse(warehouse, Settings(timezone="Asia/Shanghai"))
    return warehouse


def test_a_spark_warehouse_stages_in_duckdb_inside_its_tables_dir(tmp_path):
    warehouse = Warehouse("pyspark://", tables_dir=tmp_path / "t")
    assert warehouse.is_spark
    assert warehouse.path == (tmp_path / "t" / STAGING_FILE).resolve()
    assert not Warehouse(tmp_path / "w.duckdb").is_spark


def test_tables_dir_is_relative_to_the_settings_file(tmp_path):
    config = tmp_path / "proj" / "cxlens.toml"
    config.parent.mkdir()
    config.write_text('[project]\nwarehouse = "pyspark://"\n[spark]\ntables_dir = "st"\n')
    warehouse = Warehouse.for_settings(load_settings(config))
    assert warehouse.tables_dir == (tmp_path / "proj" / "st").resolve()
    duck = Warehouse.for_settings(load_settings(config), str(tmp_path / "x.duckdb"))
    assert not duck.is_spark


def test_other_urls_are_refused_with_what_to_use_instead():
    # the URL is not echoed: it may hold a password
    with pytest.raises(WarehouseError, match=r"mysql://….*DuckDB file.*pyspark://.*postgres://"):
        Warehouse("mysql://user:secret@db/cx")


def test_publish_writes_the_cleaned_tables_as_parquet_equal_to_the_staged_ones(
    spark_warehouse,
):
    names = spark_warehouse.publish()
    assert "tickets" in names and "project_settings" in names and "cleaning_log" in names
    assert not [n for n in names if n.startswith("raw_") or n == "imports"]
    on_disk = pq.read_table(spark_warehouse.tables_dir / "tickets").to_pandas()
    with spark_warehouse.connect(read_only=True) as con:
        staged = con.sql("SELECT * FROM tickets").df()
    key = ["ticket_id"]
    on_disk = on_disk.sort_values(key).reset_index(drop=True)
    staged = staged.sort_values(key).reset_index(drop=True)
    assert list(on_disk.columns) == list(staged.columns)
    assert on_disk["ticket_id"].tolist() == ["T1", "T2"]
    # local times: 09:00 UTC is 17:00 in Shanghai, kept as a wall-clock value
    assert on_disk["created_at_local"].tolist() == [
        pd.Timestamp("2024-03-01 17:00"),
        pd.Timestamp("2024-03-02 18:30"),
    ]
    assert spark_warehouse.published()["tables"] == names


def test_a_table_gone_from_the_staging_file_is_gone_from_the_tables_dir(spark_warehouse):
    spark_warehouse.publish()
    with spark_warehouse.transaction() as con:
        con.execute("CREATE TABLE agents (agent_id VARCHAR)")
    assert "agents" in spark_warehouse.publish()
    with spark_warehouse.transaction() as con:
        con.execute("DROP TABLE agents")
    assert "agents" not in spark_warehouse.publish()
    assert not (spark_warehouse.tables_dir / "agents").exists()
    leftovers = [p.name for p in spark_warehouse.tables_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_the_tables_are_stale_until_published_and_after_the_staging_file_changes(
    spark_warehouse,
):
    assert spark_warehouse.stale()
    spark_warehouse.publish()
    assert not spark_warehouse.stale()
    time.sleep(0.01)
    with spark_warehouse.transaction() as con:
        con.execute("CREATE TABLE scratch (x INTEGER)")
    assert spark_warehouse.stale()


def test_a_duckdb_warehouse_publishes_nothing(warehouse):
    assert warehouse.publish() == []


@pytest.mark.parametrize(
    ("grain", "key", "start"),
    [
        ("month", 2024 * 12 + 2, "2024-03-01"),
        ("month", 2023 * 12 + 11, "2023-12-01"),
        ("quarter", 2024 * 4 + 3, "2024-10-01"),
        ("year", 2025, "2025-01-01"),
    ],
)
def test_period_keys_turn_back_into_period_starts(grain, key, start):
    starts = periods.start(pd.Series([key, None], dtype="Int64"), grain)
    assert starts.iloc[0] == pd.Timestamp(start)
    assert pd.isna(starts.iloc[1])


def test_metrics_on_an_empty_spark_warehouse_ask_for_an_import_first(tmp_path):
    warehouse = Warehouse("pyspark://", tables_dir=tmp_path / "none")
    with pytest.raises(WarehouseError, match="import data first"), warehouse.metrics():
        pass
