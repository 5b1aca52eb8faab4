"""Tiny cleaned warehouse tables for the metric tests, written straight into DuckDB.

The metric tests import ``warehouse_with`` from here; the tests below check that
the tables it writes carry the cleaned columns the metrics read.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cxlens.settings import Settings
from cxlens.store import Warehouse

T, S, F, N, B = "TIMESTAMP", "VARCHAR", "DOUBLE", "BIGINT", "BOOLEAN"

CLEANED = {
    "tickets": {
        "ticket_id": S, "created_at_local": T, "customer_id": S, "channel": S, "category": S,
        "priority": S, "status": S, "agent_id": S, "team": S, "first_response_at_local": T,
        "first_solved_at_local": T, "solved_at_local": T, "reopens": N, "agent_replies": N,
        "customer_contacts": N, "merged_into": S, "is_merged": B, "is_solved": B,
        "first_response_min": F, "resolution_min": F, "first_resolution_min": F, "answered": B,
        "first_any_response_min": F, "first_response_from_events": B,
        "first_response_business_min": F, "resolution_business_min": F,
    },
    "survey_responses": {
        "response_id": S, "kind": S, "score": F, "scale_min": F, "scale_max": F,
        "customer_id": S, "ticket_id": S, "agent_id": S, "channel": S, "responded_at_local": T,
        "sent_at_local": T,
    },
    "customers": {"customer_id": S, "segment": S, "region": S},
    "orders": {
        "order_id": S, "customer_id": S, "ordered_at_local": T, "amount": F, "status": S,
    },
    "subscriptions": {
        "subscription_id": S, "customer_id": S, "started_at_local": T, "ended_at_local": T,
    },
    "sla_clocks": {
        "ticket_id": S, "metric": S, "clock_no": N, "priority": S, "target_min": N,
        "business": B, "started_at_local": T, "due_at_local": T, "stopped_at_local": T,
        "elapsed_min": F, "state": S, "breached": B, "fell_due": B,
    },
}  # fmt: skip


def _frame(table: str, records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records)
    for column in CLEANED[table]:
        if column not in frame:
            frame[column] = None
    if table == "tickets":
        frame["is_merged"] = (
            frame["is_merged"].astype(object).where(frame["is_merged"].notna(), False)
        )
        solved = frame["solved_at_local"].notna()
        frame["is_solved"] = (
            frame["is_solved"].astype(object).where(frame["is_solved"].notna(), solved)
        )
    return frame


def write_tables(con: duckdb.DuckDBPyConnection, **tables: list[dict]) -> None:
    """Create the named cleaned tables from lists of records (absent columns are null)."""
    for table, records in tables.items():
        frame = _frame(table, records).astype(object)
        frame = frame.where(frame.notna(), None)
        con.register("incoming", frame)
        casts = ", ".join(f'CAST("{c}" AS {kind}) AS "{c}"' for c, kind in CLEANED[table].items())
        con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT {casts} FROM incoming')
        con.unregister("incoming")


def warehouse_with(path: Path, **tables: list[dict]) -> Warehouse:
    """A DuckDB warehouse file holding the given cleaned tables."""
    warehouse = Warehouse(path / "w.duckdb")
    with warehouse.transaction() as con:
        write_tables(con, **tables)
    return warehouse


def settings(**sections) -> Settings:
    """Project settings in UTC with the given sections (``sla={...}``, ``csat={...}``)."""
    result = Settings(timezone="UTC")
    for name, value in sections.items():
        merged = dict(getattr(result, name))
        merged.update(value)
        setattr(result, name, merged)
    return result


def test_tables_carry_the_cleaned_columns(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        tickets=[{"ticket_id": "T1", "created_at_local": "2024-01-02 10:00"}],
        survey_responses=[{"response_id": "R1", "kind": "csat", "score": 5}],
    )
    with warehouse.connect() as con:
        columns = {r[0] for r in con.execute("DESCRIBE tickets").fetchall()}
        merged, solved = con.execute("SELECT is_merged, is_solved FROM tickets").fetchone()
    assert set(CLEANED["tickets"]) == columns
    assert (merged, solved) == (False, False)
