"""Cleaning real and large inputs: the Kaggle support tickets, and a million synthetic tickets.

Raw tables are built here with DuckDB directly in the importer's layout, so that these
tests depend on the cleaning step only.
"""

from pathlib import Path

import pandas as pd
import pytest

from cxlens.clean import clean_warehouse
from cxlens.settings import Settings
from cxlens.store import Warehouse
from helpers_raw import create_raw, fetch, rule_rows

KAGGLE = Path(__file__).parents[3] / "shared" / "datasets" / "customer_support_tickets_kaggle.csv"


@pytest.fixture(scope="module")
def kaggle(tmp_path_factory):
    if not KAGGLE.exists():
        pytest.skip(f"{KAGGLE} not found")
    folder = tmp_path_factory.mktemp("kaggle")
    warehouse = Warehouse(folder / "w.duckdb")
    with warehouse.transaction() as con:
        create_raw(con, "tickets")
        create_raw(con, "customers")
        source = f"read_csv('{KAGGLE}', header = true, all_varchar = true)"
        con.execute(
            'INSERT INTO raw_tickets BY NAME SELECT "Ticket ID" AS ticket_id, '
            "TIMESTAMP '2023-06-01' AS created_at, \"Customer Email\" AS customer_id, "
            '"Ticket Channel" AS channel, "Ticket Priority" AS priority, '
            "\"Ticket Status\" AS status, 'kaggle.csv' AS _source, "
            f"row_number() OVER () + 1 AS _row, 1 AS _batch FROM {source}"
        )
        con.execute(
            'INSERT INTO raw_customers BY NAME SELECT "Ticket ID" AS customer_id, '
            '"Customer Email" AS email, "Customer Name" AS name, '
            f"row_number() OVER () + 1 AS _row, 1 AS _batch FROM {source}"
        )
    rules = clean_warehouse(warehouse, Settings(root=folder, timezone="UTC"))
    return warehouse, rules, pd.read_csv(KAGGLE)


def test_kaggle_channels_priorities_statuses_match_a_pandas_recount(kaggle):
    warehouse, rules, frame = kaggle
    channel = frame["Ticket Channel"].str.lower().replace({"social media": "social"})
    priority = (
        frame["Ticket Priority"].str.lower().replace({"critical": "urgent", "medium": "normal"})
    )
    status = frame["Ticket Status"].str.lower().replace({"pending customer response": "pending"})
    for column, expected in (("channel", channel), ("priority", priority), ("status", status)):
        got = dict(fetch(warehouse, f"SELECT {column}, count(*) FROM tickets GROUP BY 1"))
        assert got == expected.value_counts().to_dict(), column
        assert rule_rows(rules, f"{column}_unknown", "tickets")[0] == 0


def test_kaggle_customers_merge_by_email_like_pandas(kaggle):
    warehouse, rules, frame = kaggle
    distinct = frame["Customer Email"].str.strip().str.lower().nunique()
    assert fetch(warehouse, "SELECT count(*) FROM customers") == [(distinct,)]
    assert rule_rows(rules, "customers_merged", "customers")[0] == len(frame) - distinct


def test_a_million_tickets_clean_with_every_rule_counted(tmp_path):
    tickets = 1_000_000
    warehouse = Warehouse(tmp_path / "big.duckdb")
    with warehouse.transaction() as con:
        create_raw(con, "tickets")
        # every 100th row re-delivers a key (10,000 key duplicates); channels cycle
        # through four names (one unknown); solved_at is before creation when i % 97 >= 73
        con.execute(
            "INSERT INTO raw_tickets BY NAME SELECT 'T' || (i % 990000) AS ticket_id, "
            "TIMESTAMP '2024-01-01' + to_seconds(i * 30) AS created_at, "
            "(['邮箱', 'Email', '电话', 'pigeon'])[1 + i % 4] AS channel, "
            "TIMESTAMP '2024-01-01' + to_seconds(i * 30 + 7200 - (i % 97) * 100) AS solved_at, "
            "'big.csv' AS _source, i + 2 AS _row, 1 AS _batch "
            f"FROM range({tickets}) t(i)"
        )
    rules = clean_warehouse(warehouse, Settings(root=tmp_path, timezone="Asia/Shanghai"))

    # the surviving row of each key is its last (highest i); count by brute force in pandas
    i = pd.Series(range(tickets))
    survivors = i.groupby(i % 990000).max()
    before = int(((survivors % 97) >= 73).sum())
    unknown = int((survivors % 4 == 3).sum())
    assert rule_rows(rules, "key_duplicates", "tickets")[0] == tickets - 990000
    assert rule_rows(rules, "resolution_before_creation", "tickets")[0] == before
    assert rule_rows(rules, "channel_unknown", "tickets")[0] == unknown
    assert fetch(warehouse, "SELECT count(*) FROM tickets") == [(990000,)]
