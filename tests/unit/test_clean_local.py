"""Local wall-clock twins of UTC timestamps, daylight saving included."""

from datetime import datetime

import pytest

from cxlens.schema import TABLES, local_column
from helpers_raw import clean_rows, fetch


def test_kolkata_evening_utc_is_next_local_day(tmp_path):
    # case FR-6: 1 Mar 20:00 UTC is 2 Mar 01:30 in Asia/Kolkata (UTC+5:30)
    warehouse, _ = clean_rows(
        tmp_path,
        {"tickets": [{"ticket_id": "T1", "created_at": "2024-03-01 20:00"}]},
        timezone="Asia/Kolkata",
    )
    assert fetch(warehouse, "SELECT created_at_local FROM tickets") == [
        (datetime(2024, 3, 2, 1, 30),)
    ]


@pytest.mark.parametrize(
    ("utc", "local"),
    [
        # New York springs forward at 02:00 EST (07:00 UTC) on 10 Mar 2024
        ("2024-03-10 06:59:00", datetime(2024, 3, 10, 1, 59)),  # EST, UTC-5
        ("2024-03-10 07:00:00", datetime(2024, 3, 10, 3, 0)),  # EDT, UTC-4
        ("2024-03-10 07:30:00", datetime(2024, 3, 10, 3, 30)),
        # and falls back on 3 Nov: 01:30 happens twice
        ("2024-11-03 05:30:00", datetime(2024, 11, 3, 1, 30)),
        ("2024-11-03 06:30:00", datetime(2024, 11, 3, 1, 30)),
    ],
)
def test_daylight_saving_changes_follow_the_zone(tmp_path, utc, local):
    warehouse, _ = clean_rows(
        tmp_path,
        {"orders": [{"order_id": "O1", "customer_id": "C", "ordered_at": utc, "amount": 1}]},
        timezone="America/New_York",
    )
    assert fetch(warehouse, "SELECT ordered_at_local FROM orders") == [(local,)]


def test_every_timestamp_has_a_local_twin_in_every_table(tmp_path):
    warehouse, _ = clean_rows(
        tmp_path,
        {
            "tickets": [{"ticket_id": "T1", "created_at": "2024-01-01"}],
            "ticket_events": [
                {
                    "ticket_id": "T1",
                    "at": "2024-01-01",
                    "seq": 1,
                    "actor": "agent",
                    "kind": "message",
                }
            ],
            "customers": [{"customer_id": "C1"}],
            "subscriptions": [
                {"subscription_id": "S1", "customer_id": "C1", "started_at": "2024-01-01"}
            ],
            "agents": [{"agent_id": "A1"}],
        },
        timezone="Asia/Shanghai",
    )
    for table_name in ("tickets", "ticket_events", "customers", "subscriptions", "agents"):
        columns = [r[0] for r in fetch(warehouse, f"DESCRIBE {table_name}")]
        spec = TABLES[table_name]
        locals_ = [local_column(c) for c in spec.timestamps]
        expected_start = [c.name for c in spec.columns] + locals_
        assert columns[: len(expected_start)] == expected_start
        assert columns[-3:] == ["_source", "_row", "_batch"]
    assert fetch(warehouse, "SELECT at_local FROM ticket_events") == [(datetime(2024, 1, 1, 8, 0),)]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "Asia/Kolkata", "America/New_York"])
def test_local_twins_match_the_zone_rules_to_the_microsecond(tmp_path, zone):
    # One offset over the span (UTC, Shanghai, Kolkata) takes the shortcut; New York's
    # daylight saving inside the span does not. Either way the twin is the zone's time.
    from zoneinfo import ZoneInfo

    utc = [datetime(2024, month, 9, 6, 30, 15, 123456) for month in (1, 3, 6, 11)]
    utc += [datetime(2024, 3, 10, 7, 0), datetime(2024, 11, 3, 6, 30)]
    rows = [{"ticket_id": f"T{i}", "created_at": str(t)} for i, t in enumerate(utc)]
    warehouse, _ = clean_rows(tmp_path, {"tickets": rows}, timezone=zone)
    got = fetch(warehouse, "SELECT created_at, created_at_local FROM tickets ORDER BY 1")
    expected = [
        (t, t.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone)).replace(tzinfo=None))
        for t in sorted(utc)
    ]
    assert got == expected


def test_one_offset_is_found_only_where_the_zone_keeps_it(tmp_path):
    import duckdb

    from cxlens.clean.local import constant_offset

    con = duckdb.connect()
    con.execute("CREATE TABLE t (a TIMESTAMP, b TIMESTAMP)")
    # 9 March to 9 April 2024: New York moves its clocks on 10 March, Kolkata never does
    con.execute("INSERT INTO t VALUES ('2024-03-09 12:00', NULL), (NULL, '2024-04-09 12:00')")
    assert constant_offset(con, "t", ["a", "b"], "Asia/Kolkata") == 330 * 60 * 1_000_000
    assert constant_offset(con, "t", ["a", "b"], "America/New_York") is None
    con.execute("DELETE FROM t")
    assert constant_offset(con, "t", ["a", "b"], "UTC") is None  # no times at all
