"""The data-quality page: its cleaning log, import ledger, flags and freshness against SQL on
the same warehouse, and the cleaning log's export."""

from __future__ import annotations

import io

import httpx
import pandas as pd
import pytest

from conftest import live_server


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served.url, timeout=120) as client:
        yield client


def sql(project, query: str) -> pd.DataFrame:
    with project.warehouse.connect(read_only=True) as con:
        return con.execute(query).df()


def test_cleaning_log_is_the_tables(client, sample_project):
    page = client.get("/quality?format=json").json()
    log = sql(sample_project, "SELECT rule, table_name, rows FROM cleaning_log")
    rows = pd.DataFrame(page["cleaning_log"]["rows"], columns=page["cleaning_log"]["columns"])

    assert len(rows) == len(log) > 10
    busiest = log.sort_values("rows", ascending=False).iloc[0]
    assert busiest["rows"] > 0
    shown = rows[(rows["Rule"] == busiest["rule"]) & (rows["Table"] == busiest["table_name"])]
    assert shown["Rows"].tolist() == [busiest["rows"]]


def test_imports_listed_are_the_ledger(client, sample_project):
    page = client.get("/quality?format=json&lang=zh").json()
    ledger = sql(sample_project, "SELECT count(*) AS n, sum(rows) AS rows FROM imports").iloc[0]
    imports = pd.DataFrame(page["imports"]["rows"], columns=page["imports"]["columns"])

    assert len(imports) == ledger["n"] > 0
    assert imports["行数"].sum() == ledger["rows"]


def test_export_is_the_cleaning_log_with_a_bom(client, sample_project):
    response = client.get("/quality?format=csv&lang=en")
    assert response.content.startswith(b"\xef\xbb\xbf")
    exported = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    log = sql(sample_project, "SELECT rule, table_name, rows FROM cleaning_log")

    assert len(exported) == len(log)
    merged = exported.merge(log, left_on=["Rule", "Table"], right_on=["rule", "table_name"])
    assert len(merged) == len(log)
    assert (merged["Rows"] == merged["rows"]).all()


def test_freshness_is_the_newest_record(client, sample_project):
    page = client.get("/quality?format=json").json()
    fresh = {row[0]: row for row in page["freshness"]["rows"]}
    newest = sql(
        sample_project,
        "SELECT count(*) AS n, strftime(max(created_at_local), '%Y-%m-%d %H:%M') AS t FROM tickets",
    ).iloc[0]
    assert fresh["tickets"][1:] == [newest["n"], newest["t"]]


def test_the_state_says_every_write_is_cleaned(client):
    state = client.get("/quality?format=json").json()["state"]
    assert state["pending"] is False and state["clean_error"] is None


def test_flags_of_the_period_count_flagged_tickets(sample_project, tmp_path):
    project = sample_project.copy(tmp_path)
    with project.warehouse.connect() as con:
        con.execute(
            "UPDATE tickets SET quality_flags = 'solved_before_created' WHERE ticket_id IN "
            "(SELECT ticket_id FROM tickets WHERE created_at_local >= '2025-06-01' "
            "AND created_at_local < '2025-07-01' ORDER BY ticket_id LIMIT 3)"
        )
        con.execute(  # outside June: not in the month's count
            "UPDATE tickets SET quality_flags = 'solved_before_created' WHERE ticket_id IN "
            "(SELECT ticket_id FROM tickets WHERE created_at_local < '2025-05-01' LIMIT 2)"
        )
    with live_server(project) as server:
        june = httpx.get(f"{server.url}/quality?format=json&month=2025-06", timeout=120).json()
        every = httpx.get(f"{server.url}/quality?format=json&period=all", timeout=120).json()
    assert june["quality_flags"]["rows"] == [["solved_before_created", 3]]
    assert every["quality_flags"]["rows"] == [["solved_before_created", 5]]
