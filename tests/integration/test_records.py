"""Records as posted to the API, written through the importer to a real DuckDB file.

Each expected value is worked out by hand from the few records a test posts; row
counts are read back with plain SQL.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cxlens.errors import ConfigError
from cxlens.ingest.records import RecordsInvalid, RecordsWritten, write_records
from cxlens.store import Warehouse

GOOD = {"ticket_id": "T1", "created_at": "2024-03-10 09:30", "channel": "email"}


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def raw_count(warehouse: Warehouse, table: str) -> int:
    if not warehouse.path.exists():
        return 0  # refused before the warehouse was even opened
    with warehouse.connect(read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [f"raw_{table}"]
        ).fetchall()[0][0]
        if not found:
            return 0
        return con.execute(f"SELECT count(*) FROM raw_{table}").fetchall()[0][0]


def test_one_bad_record_keeps_the_good_one_out_too(warehouse):
    bad = {"ticket_id": "T2", "created_at": "yesterday-ish"}

    with pytest.raises(RecordsInvalid) as caught:
        write_records(warehouse, "tickets", [GOOD, bad], timezone="UTC")

    [error] = caught.value.errors
    assert error["record"] == 1 and error["column"] == "created_at"
    assert error["value"] == "yesterday-ish" and "date" in error["problem"]
    assert raw_count(warehouse, "tickets") == 0


def test_every_bad_record_is_listed_with_its_value_as_posted(warehouse):
    posted = [
        {"ticket_id": "T1", "created_at": "2024-03-10 09:30", "reopens": "twice"},
        GOOD | {"ticket_id": "T2"},
        {"ticket_id": "T3", "created_at": "2024-03-10", "created_by": "robot", "reopens": 2.5},
        "not an object",
    ]

    with pytest.raises(RecordsInvalid) as caught:
        write_records(warehouse, "tickets", posted, timezone="UTC")

    found = {(e["record"], e["column"]): e["value"] for e in caught.value.errors}
    assert found == {
        (0, "reopens"): "twice",
        (2, "created_by"): "robot",
        (2, "reopens"): 2.5,
        (3, None): "not an object",
    }
    assert raw_count(warehouse, "tickets") == 0


def test_a_missing_required_column_or_key_is_named_per_record(warehouse):
    posted = [{"ticket_id": "T1", "channel": "email"}, {"created_at": "2024-03-10 09:30"}]

    with pytest.raises(RecordsInvalid) as caught:
        write_records(warehouse, "tickets", posted, timezone="UTC")

    found = [(e["record"], e["column"]) for e in caught.value.errors]
    assert found == [(0, "created_at"), (1, "ticket_id")]
    assert all("required" in e["problem"] for e in caught.value.errors)


def test_an_unknown_column_is_refused_listing_the_allowed_names(warehouse):
    posted = [GOOD | {"chanel": "chat"}]

    with pytest.raises(RecordsInvalid) as caught:
        write_records(warehouse, "tickets", posted, timezone="UTC")

    [error] = caught.value.errors
    assert (error["record"], error["column"], error["value"]) == (0, "chanel", "chat")
    for allowed in ("ticket_id", "created_at", "channel", "agent_id", "attributes"):
        assert allowed in error["problem"]
    assert raw_count(warehouse, "tickets") == 0


def test_reposting_the_same_record_leaves_one_row(warehouse):
    first = write_records(warehouse, "tickets", [GOOD], timezone="UTC")
    again = write_records(warehouse, "tickets", [GOOD], timezone="UTC")
    changed = write_records(warehouse, "tickets", [GOOD | {"channel": "chat"}], timezone="UTC")

    assert first == RecordsWritten("tickets", 1, 0)
    assert again == RecordsWritten("tickets", 1, 1)
    assert changed == RecordsWritten("tickets", 1, 1)
    assert rows(warehouse, "SELECT ticket_id, channel FROM raw_tickets") == [("T1", "chat")]


def test_a_key_twice_in_one_request_is_refused(warehouse):
    with pytest.raises(RecordsInvalid) as caught:
        write_records(warehouse, "tickets", [GOOD, GOOD | {"channel": "chat"}], timezone="UTC")

    [error] = caught.value.errors
    assert (error["record"], error["column"]) == (1, "ticket_id")
    assert "record 0" in error["problem"]


@pytest.mark.parametrize(
    ("zone", "stored"),
    [
        # Shanghai is UTC+8 all year: 09:30 local is 01:30 UTC.
        ("Asia/Shanghai", dt.datetime(2024, 3, 10, 1, 30)),
        # New York moved to daylight time (UTC−4) at 02:00 on 2024-03-10: 13:30 UTC.
        ("America/New_York", dt.datetime(2024, 3, 10, 13, 30)),
        ("UTC", dt.datetime(2024, 3, 10, 9, 30)),
    ],
)
def test_a_naive_time_is_read_in_the_given_zone_and_stored_in_utc(warehouse, zone, stored):
    write_records(warehouse, "tickets", [GOOD], timezone=zone)

    assert rows(warehouse, "SELECT created_at FROM raw_tickets") == [(stored,)]


def test_a_time_with_an_offset_keeps_its_instant_whatever_the_zone(warehouse):
    posted = [GOOD | {"created_at": "2024-03-10T09:30:00+02:00"}]
    write_records(warehouse, "tickets", posted, timezone="Asia/Shanghai")

    assert rows(warehouse, "SELECT created_at FROM raw_tickets") == [
        (dt.datetime(2024, 3, 10, 7, 30),)
    ]


def test_a_formula_like_value_is_stored_as_the_text_posted(warehouse):
    formula = "=cmd|' /C calc'!A0"
    write_records(warehouse, "tickets", [GOOD | {"category": formula}], timezone="UTC")

    assert rows(warehouse, "SELECT category FROM raw_tickets") == [(formula,)]


def test_a_survey_response_without_an_answer_time_gets_the_receipt_time(warehouse):
    received = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    posted = [{"response_id": "R1", "kind": "nps", "score": 9}]

    write_records(warehouse, "survey_responses", posted, timezone="UTC", received_at=received)

    got = rows(warehouse, "SELECT response_id, kind, score, responded_at FROM raw_survey_responses")
    assert got == [("R1", "nps", 9.0, dt.datetime(2024, 5, 1, 4, 0))]  # 12:00 at +08:00


def test_extra_names_go_to_attributes_unless_they_name_a_column(warehouse):
    write_records(warehouse, "tickets", [GOOD | {"attributes": {"vip": "yes"}}], timezone="UTC")
    [(attributes,)] = rows(warehouse, "SELECT attributes FROM raw_tickets")
    assert json.loads(attributes) == {"vip": "yes"}

    with pytest.raises(RecordsInvalid) as caught:
        posted = [GOOD | {"attributes": {"Channel": "chat"}}]
        write_records(warehouse, "tickets", posted, timezone="UTC")
    [error] = caught.value.errors
    assert error["column"] == "attributes" and "'Channel'" in error["problem"]


def test_lists_and_objects_are_not_values(warehouse):
    with pytest.raises(RecordsInvalid) as caught:
        write_records(warehouse, "tickets", [GOOD | {"channel": ["email"]}], timezone="UTC")

    [error] = caught.value.errors
    assert (error["record"], error["column"], error["value"]) == (0, "channel", ["email"])


def test_only_the_api_tables_are_writable(warehouse):
    with pytest.raises(ConfigError, match="tickets, ticket_events, survey_responses"):
        write_records(warehouse, "agents", [{"agent_id": "A"}], timezone="UTC")


def test_inside_a_callers_transaction_the_write_rolls_back_with_it(warehouse):
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), warehouse.transaction() as con:
        write_records(warehouse, "tickets", [GOOD], timezone="UTC", con=con)
        raise Abandoned

    assert raw_count(warehouse, "tickets") == 0
