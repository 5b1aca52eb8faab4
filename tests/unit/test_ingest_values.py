"""Typed parsing of imported values: dates, numbers, yes/no, durations, survey scores.

Each test writes a tiny CSV, imports it and compares the stored values with ones
worked out by hand.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from cxlens.errors import RowsRejected
from cxlens.ingest import import_file


def write(tmp_path, text, name="in.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def column(warehouse, table, name, order="_row"):
    with warehouse.connect() as con:
        return [
            r[0] for r in con.execute(f"SELECT {name} FROM raw_{table} ORDER BY {order}").fetchall()
        ]


def tickets(tmp_path, warehouse, created, **kwargs):
    """Import tickets whose created_at cells are ``created``; return the stored values."""
    lines = ["ticket_id,created_at"] + [f'{i},"{v}"' for i, v in enumerate(created, 1)]
    import_file(warehouse, write(tmp_path, "\n".join(lines) + "\n"), table="tickets", **kwargs)
    return column(warehouse, "tickets", "created_at")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["2024-03-05T14:02:01"], [datetime(2024, 3, 5, 14, 2, 1)]),
        (["2024-03-05 14:02"], [datetime(2024, 3, 5, 14, 2)]),
        (["2024-03-05"], [datetime(2024, 3, 5)]),
        (["2024/3/5 14:02"], [datetime(2024, 3, 5, 14, 2)]),
        (["2024.03.05 14:02:09.5"], [datetime(2024, 3, 5, 14, 2, 9, 500000)]),
        (["2024-03-05T14:02:00Z"], [datetime(2024, 3, 5, 14, 2)]),
        (["2024-03-05T14:02:00+08:00"], [datetime(2024, 3, 5, 6, 2)]),
        (["2024-03-05T14:02:00-05:30"], [datetime(2024, 3, 5, 19, 32)]),
        (["2024年3月5日"], [datetime(2024, 3, 5)]),
        (["2024年3月5日 14:02"], [datetime(2024, 3, 5, 14, 2)]),
        (["45356.5", "45357"], [datetime(2024, 3, 5, 12), datetime(2024, 3, 6)]),
        (["1709647320"], [datetime(2024, 3, 5, 14, 2)]),
        (["1709647320500"], [datetime(2024, 3, 5, 14, 2, 0, 500000)]),
        (["20240305"], [datetime(2024, 3, 5)]),
        (["5 Mar 2024"], [datetime(2024, 3, 5)]),
    ],
)
def test_timestamp_forms_are_read_as_utc(tmp_path, warehouse, cells, expected):
    assert tickets(tmp_path, warehouse, cells) == expected


def test_month_first_column_decided_by_a_second_part_above_12(tmp_path, warehouse):
    got = tickets(tmp_path, warehouse, ["3/5/2024 2:02 PM", "12/25/2024 9:00 AM"])
    assert got == [datetime(2024, 3, 5, 14, 2), datetime(2024, 12, 25, 9, 0)]


def test_day_first_column_decided_by_a_first_part_above_12(tmp_path, warehouse):
    got = tickets(tmp_path, warehouse, ["05/03/2024", "25/12/2024 09:30"])
    assert got == [datetime(2024, 3, 5), datetime(2024, 12, 25, 9, 30)]


def test_ambiguous_day_month_column_is_rejected_with_how_to_say_it(tmp_path, warehouse):
    with pytest.raises(RowsRejected) as caught:
        tickets(tmp_path, warehouse, ["05/03/2024", "06/04/2024"])
    error = caught.value.errors[0]
    assert (error.row, error.canonical, error.value) == (2, "created_at", "05/03/2024")
    assert "dayfirst" in str(caught.value)


def test_dayfirst_option_settles_an_ambiguous_column(tmp_path, warehouse):
    got = tickets(tmp_path, warehouse, ["05/03/2024", "06/04/2024"], options={"dayfirst": True})
    assert got == [datetime(2024, 3, 5), datetime(2024, 4, 6)]


def test_mixed_day_first_and_month_first_is_rejected(tmp_path, warehouse):
    with pytest.raises(RowsRejected) as caught:
        tickets(tmp_path, warehouse, ["25/12/2024", "12/25/2024"])
    assert caught.value.errors[0].row == 3


def test_format_hint_wins(tmp_path, warehouse):
    got = tickets(
        tmp_path,
        warehouse,
        ["05-03-2024 14:02"],
        options={"hints": {"created_at": {"format": "%d-%m-%Y %H:%M"}}},
    )
    assert got == [datetime(2024, 3, 5, 14, 2)]


def test_invalid_calendar_date_is_a_row_error(tmp_path, warehouse):
    with pytest.raises(RowsRejected) as caught:
        tickets(tmp_path, warehouse, ["2024-02-10", "2024-02-30"])
    assert [(e.row, e.value) for e in caught.value.errors] == [(3, "2024-02-30")]


# case IM-3: naive local times (New York) stored as UTC, across the March 2024 DST change
def test_naive_local_times_are_stored_as_utc_across_dst(tmp_path, warehouse):
    got = tickets(
        tmp_path,
        warehouse,
        ["2024-03-09 12:00", "2024-03-11 12:00", "2024-03-10 02:30", "2024-11-03 01:30"],
        timezone="America/New_York",
    )
    assert got == [
        datetime(2024, 3, 9, 17, 0),  # EST, UTC-5
        datetime(2024, 3, 11, 16, 0),  # EDT, UTC-4
        datetime(2024, 3, 10, 7, 30),  # nonexistent 02:30 → 03:30 EDT
        datetime(2024, 11, 3, 5, 30),  # ambiguous 01:30 → first (EDT)
    ]


def test_offsets_ignore_the_source_zone(tmp_path, warehouse):
    got = tickets(tmp_path, warehouse, ["2024-03-05T14:02:00Z"], timezone="Asia/Shanghai")
    assert got == [datetime(2024, 3, 5, 14, 2)]


def orders(tmp_path, warehouse, amounts, na_values=None):
    lines = ["order_id,customer_id,ordered_at,amount"]
    lines += [f'{i},c{i},2024-01-01,"{a}"' for i, a in enumerate(amounts, 1)]
    options = {"na_values": na_values} if na_values else None
    import_file(
        warehouse, write(tmp_path, "\n".join(lines) + "\n"), table="orders", options=options
    )
    return column(warehouse, "orders", "amount")


def test_numbers_with_currency_and_thousands(tmp_path, warehouse):
    cells = [
        "1,234.50",
        "$12",
        "¥99",
        "￥1,000",
        "€7.5",
        "£3",
        "RMB 88",
        "CNY 1 234,50",
        "USD -2",
        "50%",
        "(4.25)",
    ]
    assert orders(tmp_path, warehouse, cells) == [
        1234.5,
        12,
        99,
        1000,
        7.5,
        3,
        88,
        1234.5,
        -2,
        50,
        -4.25,
    ]


def test_blank_and_na_markers_are_null(tmp_path, warehouse):
    got = orders(tmp_path, warehouse, ["", "NA", "N/A", "null", "-", "?", "5"], na_values=["?"])
    assert got == [None, None, None, None, None, None, 5.0]


def test_unparseable_number_names_row_and_column(tmp_path, warehouse):
    with pytest.raises(RowsRejected) as caught:
        orders(tmp_path, warehouse, ["5", "five"])
    error = caught.value.errors[0]
    assert (error.row, error.column, error.value) == (3, "amount", "five")


def test_int_columns_take_integral_numbers_only(tmp_path, warehouse):
    path = write(tmp_path, "ticket_id,created_at,reopens\n1,2024-01-01,3.0\n2,2024-01-01,3.5\n")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table="tickets")
    assert [(e.row, e.canonical, e.value) for e in caught.value.errors] == [(3, "reopens", "3.5")]


def test_yes_no_in_english_and_chinese(tmp_path, warehouse):
    cells = [
        "yes",
        "no",
        "Y",
        "n",
        "TRUE",
        "false",
        "1",
        "0",
        "t",
        "f",
        "是",
        "否",
        "对",
        "错",
        "有",
        "无",
        "已",
        "未",
    ]
    lines = ["ticket_id,created_at,answered"] + [f"{i},2024-01-01,{c}" for i, c in enumerate(cells)]
    import_file(warehouse, write(tmp_path, "\n".join(lines) + "\n"), table="tickets")
    assert column(warehouse, "tickets", "answered") == [True, False] * 9


def test_durations_are_stored_in_minutes(tmp_path, warehouse):
    cells = [
        "90",
        "01:02:30",
        "02:30",
        "1 day 3 hours",
        "2 hours 5 minutes",
        "45 min",
        "3h 20m",
        "1天3小时",
    ]
    lines = ["ticket_id,created_at,resolution_minutes"]
    lines += [f"{i},2024-01-01,{c}" for i, c in enumerate(cells)]
    import_file(warehouse, write(tmp_path, "\n".join(lines) + "\n"), table="tickets")
    assert column(warehouse, "tickets", "resolution_minutes") == [
        90,
        62.5,
        2.5,
        1620,
        125,
        45,
        200,
        1620,
    ]


def test_duration_unit_hint(tmp_path, warehouse):
    path = write(tmp_path, "ticket_id,created_at,first_response_minutes\n1,2024-01-01,90\n")
    import_file(
        warehouse,
        path,
        table="tickets",
        options={"hints": {"first_response_minutes": {"unit": "seconds"}}},
    )
    assert column(warehouse, "tickets", "first_response_minutes") == [1.5]


def surveys(tmp_path, warehouse, rows):
    lines = ["response_id,kind,score,responded_at"] + [
        f"{i},{k},{s},2024-01-01" for i, (k, s) in enumerate(rows, 1)
    ]
    import_file(warehouse, write(tmp_path, "\n".join(lines) + "\n"), table="survey_responses")
    with warehouse.connect() as con:
        return con.execute(
            "SELECT kind, score, scale_min, scale_max FROM raw_survey_responses ORDER BY _row"
        ).fetchall()


def test_survey_kinds_scores_and_default_scales(tmp_path, warehouse):
    got = surveys(
        tmp_path,
        warehouse,
        [("CSAT", "4"), ("nps", "9"), ("Ces", "2"), ("csat", "Good"), ("csat", "不满意")],
    )
    assert got == [
        ("csat", 4, 1, 5),
        ("nps", 9, 0, 10),
        ("ces", 2, 1, 7),
        ("csat", 1, 0, 1),
        ("csat", 0, 0, 1),
    ]


def test_nps_must_be_an_integer(tmp_path, warehouse):
    with pytest.raises(RowsRejected) as caught:
        surveys(tmp_path, warehouse, [("nps", "9"), ("nps", "7.5")])
    assert [(e.row, e.canonical, e.value) for e in caught.value.errors] == [(3, "score", "7.5")]


def test_csat_off_its_scale_is_rejected(tmp_path, warehouse):
    with pytest.raises(RowsRejected) as caught:
        surveys(tmp_path, warehouse, [("csat", "6")])
    error = caught.value.errors[0]
    assert (error.row, error.canonical, error.value) == (2, "score", "6")
    assert "from 1 to 5" in error.expected


def test_unknown_survey_kind_is_rejected(tmp_path, warehouse):
    with pytest.raises(RowsRejected) as caught:
        surveys(tmp_path, warehouse, [("happiness", "4")])
    assert caught.value.errors[0].canonical == "kind"


def test_choice_columns_reject_other_values_but_ticket_status_is_free(tmp_path, warehouse):
    path = write(tmp_path, "ticket_id,created_at,status,created_by\n1,2024-01-01,Waiting,Robot\n")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table="tickets")
    assert [(e.canonical, e.value) for e in caught.value.errors] == [("created_by", "Robot")]


def test_empty_key_is_rejected(tmp_path, warehouse):
    path = write(tmp_path, "ticket_id,created_at\n1,2024-01-01\n,2024-01-02\n")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table="tickets")
    assert [(e.row, e.canonical) for e in caught.value.errors] == [(3, "ticket_id")]


def test_errors_are_collected_across_columns_up_to_the_limit(tmp_path, warehouse):
    lines = ["ticket_id,created_at,reopens"] + [f"{i},someday,x" for i in range(10)]
    with pytest.raises(RowsRejected) as caught:
        import_file(
            warehouse, write(tmp_path, "\n".join(lines) + "\n"), table="tickets", max_errors=5
        )
    assert len(caught.value.errors) == 5 and caught.value.truncated
    assert {e.canonical for e in caught.value.errors} == {"created_at", "reopens"}
