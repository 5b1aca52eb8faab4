"""Derived ticket columns: minutes from timestamps, merged and solved marks, quality flags."""

import pytest

from helpers_raw import clean_rows, fetch, rule_rows


def ticket(ticket_id, created_at, **columns):
    return {"ticket_id": ticket_id, "created_at": created_at, **columns}


def test_resolution_minutes_come_from_timestamps_not_days(tmp_path):
    # case RS-2: 10:00→17:00 is 420 min, 23:50→00:10 next day is 20 min; mean 220
    warehouse, _ = clean_rows(
        tmp_path,
        {
            "tickets": [
                ticket("T1", "2024-03-04 10:00", solved_at="2024-03-04 17:00"),
                ticket("T2", "2024-03-04 23:50", closed_at="2024-03-05 00:10"),
            ]
        },
    )
    rows = fetch(warehouse, "SELECT ticket_id, resolution_min FROM tickets ORDER BY 1")
    assert rows == [("T1", 420.0), ("T2", 20.0)]
    assert fetch(warehouse, "SELECT avg(resolution_min) FROM tickets") == [(220.0,)]


def test_seconds_count_in_minutes(tmp_path):
    warehouse, _ = clean_rows(
        tmp_path,
        {"tickets": [ticket("T1", "2024-03-04 10:00:00", first_response_at="2024-03-04 10:01:30")]},
    )
    assert fetch(warehouse, "SELECT first_response_min FROM tickets") == [(1.5,)]


def test_closed_ticket_without_solve_time_takes_close_time(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "tickets": [
                ticket("T1", "2024-03-04 10:00", closed_at="2024-03-04 12:00"),
                ticket(
                    "T2",
                    "2024-03-04 10:00",
                    solved_at="2024-03-04 11:00",
                    closed_at="2024-03-06 11:00",
                ),
            ]
        },
    )
    rows = fetch(warehouse, "SELECT ticket_id, solved_at, is_solved FROM tickets ORDER BY 1")
    assert [(r[0], str(r[1]), r[2]) for r in rows] == [
        ("T1", "2024-03-04 12:00:00", True),
        ("T2", "2024-03-04 11:00:00", True),
    ]
    assert rule_rows(rules, "solved_at_from_closed_at", "tickets") == (1, ["T1"])


def test_merged_ticket_is_marked_and_kept(tmp_path):
    # case RS-3: T2 merged into T1 stays in the table, marked for the metrics to leave out
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "tickets": [
                ticket("T1", "2024-03-04 09:00", status="open"),
                ticket("T2", "2024-03-04 10:00", merged_into="T1", closed_at="2024-03-04 12:00"),
                ticket("T3", "2024-03-04 10:00", status="Merged"),
                ticket("T4", "2024-03-04 10:00", merged_into="  "),
            ]
        },
    )
    rows = fetch(warehouse, "SELECT ticket_id, is_merged, is_solved FROM tickets ORDER BY 1")
    assert rows == [
        ("T1", False, False),
        ("T2", True, True),
        ("T3", True, False),
        ("T4", False, False),
    ]
    assert rule_rows(rules, "merged_ticket", "tickets") == (2, ["T2", "T3"])


def test_resolution_before_creation_is_null_and_flagged_row_kept(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "tickets": [
                ticket(
                    "T1",
                    "2024-03-04 10:00",
                    first_response_at="2024-03-04 10:30",
                    solved_at="2024-03-04 09:00",
                ),
                ticket("T2", "2024-03-04 10:00", solved_at="2024-03-04 11:00"),
            ]
        },
    )
    rows = fetch(
        warehouse,
        "SELECT ticket_id, first_response_min, resolution_min, quality_flags "
        "FROM tickets ORDER BY 1",
    )
    assert rows == [("T1", 30.0, None, "resolution_before_creation"), ("T2", None, 60.0, None)]
    assert rule_rows(rules, "resolution_before_creation", "tickets") == (1, ["T1"])
    assert rule_rows(rules, "first_response_before_creation", "tickets") == (0, [])


def test_every_impossible_duration_has_its_flag(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "tickets": [
                # first response before creation
                ticket("A", "2024-03-04 10:00", first_response_at="2024-03-04 09:59"),
                # negative export durations, no timestamps to check them against
                ticket("B", "2024-03-04 10:00", first_response_minutes=-5, resolution_minutes=-1),
                # solved 10 min after creation, first reply after 30: resolution NULL
                ticket(
                    "C",
                    "2024-03-04 10:00",
                    first_response_at="2024-03-04 10:30",
                    solved_at="2024-03-04 10:10",
                ),
                # the same fault from export durations
                ticket("D", "2024-03-04 10:00", first_response_minutes=30, resolution_minutes=10),
            ]
        },
    )
    rows = fetch(
        warehouse,
        "SELECT ticket_id, first_response_min, resolution_min, quality_flags "
        "FROM tickets ORDER BY 1",
    )
    assert rows == [
        ("A", None, None, "first_response_before_creation"),
        ("B", None, None, "negative_first_response_minutes;negative_resolution_minutes"),
        ("C", 30.0, None, "resolution_before_first_response"),
        ("D", 30.0, None, "resolution_before_first_response"),
    ]
    assert rule_rows(rules, "resolution_before_first_response", "tickets") == (2, ["C", "D"])
    assert rule_rows(rules, "negative_resolution_minutes", "tickets") == (1, ["B"])


def test_export_durations_fill_in_and_timestamps_win_when_they_disagree(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "tickets": [
                # Zendesk-style: a first-reply duration and no first-reply time
                ticket("Z", "2024-03-04 10:00", first_response_minutes=42.0),
                # both given, 0.5 min apart: agree
                ticket(
                    "A",
                    "2024-03-04 10:00",
                    first_response_at="2024-03-04 10:10",
                    first_response_minutes=10.5,
                ),
                # both given, 50 min apart: timestamps win, logged
                ticket(
                    "B", "2024-03-04 10:00", solved_at="2024-03-04 12:00", resolution_minutes=70
                ),
            ]
        },
    )
    rows = fetch(
        warehouse,
        "SELECT ticket_id, first_response_min, resolution_min FROM tickets ORDER BY 1",
    )
    assert rows == [("A", 10.0, None), ("B", None, 120.0), ("Z", 42.0, None)]
    assert rule_rows(rules, "resolution_minutes_disagree", "tickets") == (1, ["B"])
    assert rule_rows(rules, "first_response_minutes_disagree", "tickets") == (0, [])


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        # first solve known: creation → first solve, whatever the reopens
        (
            {"first_solved_at": "2024-03-04 11:00", "solved_at": "2024-03-05 10:00", "reopens": 1},
            60.0,
        ),
        # no first solve, never reopened: the only solve is the first
        ({"solved_at": "2024-03-04 12:00", "reopens": 0}, 120.0),
        ({"solved_at": "2024-03-04 12:00"}, 120.0),
        # reopened and the first solve unknown: no value
        ({"solved_at": "2024-03-04 12:00", "reopens": 2}, None),
    ],
)
def test_first_resolution_minutes(tmp_path, columns, expected):
    warehouse, _ = clean_rows(tmp_path, {"tickets": [ticket("T", "2024-03-04 10:00", **columns)]})
    assert fetch(warehouse, "SELECT first_resolution_min FROM tickets") == [(expected,)]


def test_first_resolution_places_export_only_tickets_by_their_only_solve(tmp_path):
    # A (first solve known) 60 min in March; B and C give only solved_at and were never
    # reopened: 120 min solved in March and 30 min solved in April; D was reopened with
    # no first solve time, so it has no first resolution. By hand: March median of 60 and
    # 120 = 90 (n 2), April 30 (n 1), all data median of 30, 60, 120 = 60 (n 3).
    from cxlens.metrics import compute_kpis
    from cxlens.settings import Settings

    warehouse, _ = clean_rows(
        tmp_path,
        {
            "tickets": [
                ticket("A", "2024-03-04 10:00", first_solved_at="2024-03-04 11:00",
                       solved_at="2024-03-06 10:00", reopens=1),
                ticket("B", "2024-03-05 10:00", solved_at="2024-03-05 12:00", reopens=0),
                ticket("C", "2024-04-02 09:00", solved_at="2024-04-02 09:30"),
                ticket("D", "2024-04-03 09:00", solved_at="2024-04-05 09:00", reopens=2),
            ]
        },
    )  # fmt: skip
    settings = Settings(root=tmp_path)
    found = {}
    for by in ([], ["month"]):
        kpis = compute_kpis(warehouse, settings, by=by, metrics=["first_resolution_median_min"])
        for row in kpis.itertuples():
            found[row.period] = (row.value, row.n)
    assert found == {"all": (60.0, 3), "2024-03": (90.0, 2), "2024-04": (30.0, 1)}
