"""The whole cleaning step: one transaction, idempotent, and a complete cleaning log."""

import pytest

from cxlens.clean import clean_warehouse
from cxlens.errors import WarehouseError
from cxlens.settings import Settings
from cxlens.store import Warehouse
from helpers_raw import add_raw, clean_rows, fetch

RAW = {
    "customers": [
        {"customer_id": "C1", "created_at": "2024-01-01", "email": "A@x.com "},
        {"customer_id": "C2", "created_at": "2024-01-02", "email": "a@x.com"},
    ],
    "tickets": [
        {"ticket_id": "T1", "created_at": "2024-03-04 10:00", "customer_id": "C2",
         "channel": "邮箱", "solved_at": "2024-03-04 09:00"},
        {"ticket_id": "T1", "created_at": "2024-03-04 10:00", "customer_id": "C2",
         "channel": "邮箱", "solved_at": "2024-03-04 09:00"},
        {"ticket_id": "T2", "created_at": "2024-03-04 10:00", "channel": "pigeon"},
    ],
    "survey_responses": [
        {"response_id": "R1", "kind": "csat", "score": 5, "ticket_id": "T1",
         "responded_at": "2024-03-05"},
    ],
}  # fmt: skip

CLEANED = ["customers", "tickets", "survey_responses", "customer_aliases"]


def snapshot(warehouse):
    """Every row of every cleaned table, sorted on all columns (tables store rows unordered),
    and the cleaning log in the order its rules ran."""
    tables = {name: fetch(warehouse, f"SELECT * FROM {name} ORDER BY ALL") for name in CLEANED}
    return {**tables, "cleaning_log": fetch(warehouse, "SELECT * FROM cleaning_log")}


def test_cleaning_twice_gives_identical_tables(tmp_path):
    warehouse, first_rules = clean_rows(tmp_path, RAW, timezone="Asia/Shanghai")
    first = snapshot(warehouse)
    second_rules = clean_warehouse(warehouse, Settings(root=tmp_path, timezone="Asia/Shanghai"))
    assert snapshot(warehouse) == first
    assert second_rules == first_rules


def test_cleaning_log_table_matches_the_returned_rules(tmp_path):
    warehouse, rules = clean_rows(tmp_path, RAW)
    logged = fetch(warehouse, "SELECT rule, table_name, rows, example_keys FROM cleaning_log")
    assert logged == [(r.rule, r.table_name, r.rows, r.example_keys) for r in rules]
    touched = {(r.rule, r.table_name): r.rows for r in rules if r.rows}
    assert touched == {
        ("exact_duplicates", "tickets"): 1,
        ("email_standardised", "customers"): 1,
        ("customers_merged", "customers"): 1,
        ("customer_repointed", "tickets"): 1,
        ("channel_standardised", "tickets"): 1,
        ("channel_unknown", "tickets"): 1,
        ("resolution_before_creation", "tickets"): 1,
        ("scale_min_from_kind", "survey_responses"): 1,
        ("scale_max_from_kind", "survey_responses"): 1,
        ("channel_from_ticket", "survey_responses"): 1,
    }
    # nothing is dropped silently: raw rows = kept rows + rows logged as removed
    removed = sum(
        r.rows for r in rules
        if r.rule in ("exact_duplicates", "key_duplicates", "customers_merged")
    )  # fmt: skip
    raw_rows = sum(len(rows) for rows in RAW.values())
    kept = sum(fetch(warehouse, f"SELECT count(*) FROM {t}")[0][0] for t in RAW)
    assert kept + removed == raw_rows


def test_tables_without_raw_data_are_left_alone(tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with warehouse.transaction() as con:
        con.execute("CREATE TABLE orders AS SELECT 'kept' AS note")
        add_raw(con, "agents", [{"agent_id": "A1"}])
    rules = clean_warehouse(warehouse, Settings(root=tmp_path))
    assert fetch(warehouse, "SELECT note FROM orders") == [("kept",)]
    assert {r.table_name for r in rules} == {"agents"}


def test_a_failing_step_leaves_the_previous_tables(tmp_path):
    warehouse, _ = clean_rows(tmp_path, {"agents": [{"agent_id": "A1", "name": "Li"}]})
    with warehouse.transaction() as con:
        con.execute("ALTER TABLE raw_agents RENAME COLUMN name TO name_was")
        con.execute("ALTER TABLE raw_agents ALTER hired_at TYPE VARCHAR")
        con.execute("UPDATE raw_agents SET hired_at = 'not a time', name_was = 'Wang'")
    with pytest.raises(WarehouseError, match="nothing was changed.*not a time"):
        clean_warehouse(warehouse, Settings(root=tmp_path))
    assert fetch(warehouse, "SELECT agent_id, name FROM agents") == [("A1", "Li")]
