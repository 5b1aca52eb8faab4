"""Duplicates: exact copies collapse to one; a key delivered again keeps its latest state."""

from cxlens.clean import clean_warehouse
from cxlens.settings import Settings
from cxlens.store import Warehouse
from helpers_raw import add_raw, fetch, rule_rows


def clean(tmp_path, fill):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with warehouse.transaction() as con:
        fill(con)
    return warehouse, clean_warehouse(warehouse, Settings(root=tmp_path))


def test_exact_duplicates_keep_one_copy(tmp_path):
    row = {"order_id": "O1", "customer_id": "C1", "ordered_at": "2024-01-01", "amount": 10.0}
    other = {**row, "order_id": "O2"}

    def fill(con):
        add_raw(con, "orders", [row, row, row, other])

    warehouse, rules = clean(tmp_path, fill)
    assert fetch(warehouse, "SELECT order_id FROM orders ORDER BY 1") == [("O1",), ("O2",)]
    assert rule_rows(rules, "exact_duplicates", "orders") == (2, ["O1"])
    assert rule_rows(rules, "key_duplicates", "orders") == (0, [])


def test_later_batch_wins_then_last_row_of_the_file(tmp_path):
    def fill(con):
        add_raw(
            con,
            "tickets",
            [
                {"ticket_id": "T1", "created_at": "2024-01-01", "status": "new"},
                {"ticket_id": "T1", "created_at": "2024-01-01", "status": "open"},
                {"ticket_id": "T2", "created_at": "2024-01-01", "status": "solved"},
            ],
            batch=2,
        )
        # batch 1 arrives with the higher rows but was imported first: it loses
        add_raw(
            con,
            "tickets",
            [{"ticket_id": "T2", "created_at": "2024-01-01", "status": "pending", "_row": 99}],
            batch=1,
        )

    warehouse, rules = clean(tmp_path, fill)
    rows = fetch(warehouse, "SELECT ticket_id, status, _row, _batch FROM tickets ORDER BY 1")
    assert rows == [("T1", "open", 3, 2), ("T2", "solved", 4, 2)]
    assert rule_rows(rules, "key_duplicates", "tickets") == (2, ["T1", "T2"])


def test_import_time_outranks_batch_id(tmp_path):
    # batch ids need not sort by time (e.g. random ids): the imports table decides
    def fill(con):
        con.execute("CREATE TABLE imports (batch BIGINT, imported_at TIMESTAMP)")
        con.execute("INSERT INTO imports VALUES (7, '2024-05-02'), (9, '2024-05-01')")
        add_raw(con, "agents", [{"agent_id": "A1", "name": "old"}], batch=9)
        add_raw(con, "agents", [{"agent_id": "A1", "name": "new"}], batch=7)

    warehouse, _ = clean(tmp_path, fill)
    assert fetch(warehouse, "SELECT name FROM agents") == [("new",)]


def test_rows_without_a_key_are_kept_and_logged(tmp_path):
    def fill(con):
        add_raw(
            con,
            "ticket_events",
            [
                {
                    "ticket_id": "T1",
                    "at": "2024-01-01 10:00",
                    "seq": 1,
                    "actor": "agent",
                    "kind": "message",
                },
                {
                    "ticket_id": "T1",
                    "at": "2024-01-01 10:00",
                    "seq": None,
                    "actor": "agent",
                    "kind": "note",
                },
                {
                    "ticket_id": "T1",
                    "at": "2024-01-01 10:00",
                    "seq": None,
                    "actor": "bot",
                    "kind": "note",
                },
            ],
        )

    warehouse, rules = clean(tmp_path, fill)
    assert fetch(warehouse, "SELECT count(*) FROM ticket_events") == [(3,)]
    assert rule_rows(rules, "missing_key", "ticket_events")[0] == 2


def test_only_rows_sharing_a_key_or_missing_one_are_deduplicated(tmp_path):
    # Composite key (ticket_id, at, seq). Rows 1-2 have unique keys and pass as they are;
    # rows 3-4 share a key (the later row wins); rows 5-6 lack seq and are equal: one copy.
    event = {"ticket_id": "T1", "at": "2024-01-01 10:00", "actor": "agent", "kind": "message"}

    def fill(con):
        add_raw(
            con,
            "ticket_events",
            [
                {**event, "seq": 1},
                {**event, "seq": 2},
                {**event, "ticket_id": "T2", "seq": 1, "kind": "note"},
                {**event, "ticket_id": "T2", "seq": 1, "kind": "status"},
                {**event, "ticket_id": "T3", "seq": None},
                {**event, "ticket_id": "T3", "seq": None},
            ],
        )

    warehouse, rules = clean(tmp_path, fill)
    rows = fetch(warehouse, "SELECT ticket_id, seq, kind, _row FROM ticket_events ORDER BY ALL")
    assert rows == [
        ("T1", 1, "message", 2),
        ("T1", 2, "message", 3),
        ("T2", 1, "status", 5),
        ("T3", None, "message", 7),
    ]
    assert rule_rows(rules, "exact_duplicates", "ticket_events")[0] == 1
    assert rule_rows(rules, "key_duplicates", "ticket_events")[0] == 1
    assert rule_rows(rules, "missing_key", "ticket_events")[0] == 1
