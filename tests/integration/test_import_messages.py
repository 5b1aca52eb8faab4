"""What an import tells its user: how to settle dates, how many values were rejected, where a
text file breaks, empty files, header-only files, which workbook sheet was read; and the
values a new user's files carry that must be taken (epoch numbers in JSON, serial days in
workbooks)."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest

from cxlens.errors import ColumnsError, RowsRejected, UnreadableFile
from cxlens.ingest import import_file


def stored(warehouse, sql):
    with warehouse.connect() as con:
        return con.execute(sql).fetchall()


# -- day-first dates --------------------------------------------------------------------


def test_ambiguous_dates_say_how_to_settle_them_on_the_command_line(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at\n1,05/03/2024\n2,06/04/2024\n")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table="tickets")
    assert (
        "pass --dayfirst or --monthfirst to cxlens import, or set dayfirst = true / false "
        "in the file's [[sources]] entry"
    ) in str(caught.value)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"options": {"dayfirst": True}}, [datetime(2024, 3, 5), datetime(2024, 4, 6)]),
        ({"options": {"dayfirst": False}}, [datetime(2024, 5, 3), datetime(2024, 6, 4)]),
        # a key beside path wins over the nested one
        ({"dayfirst": False, "options": {"dayfirst": True}},
         [datetime(2024, 5, 3), datetime(2024, 6, 4)]),
    ],
)  # fmt: skip
def test_nested_options_table_in_sources_is_read(tmp_path, warehouse, options, expected):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at\n1,05/03/2024\n2,06/04/2024\n")
    import_file(warehouse, path, table="tickets", options=options)
    assert [
        r[0] for r in stored(warehouse, "SELECT created_at FROM raw_tickets ORDER BY _row")
    ] == (expected)


# -- how many values were rejected -----------------------------------------------------


def test_more_bad_values_than_shown_are_counted(tmp_path, warehouse):
    rows = 5000
    path = tmp_path / "t.csv"
    path.write_text(
        "ticket_id,created_at,reopens\n"
        + "".join(f"{i},someday,{'x' if i % 2 else 1}\n" for i in range(rows))
    )
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table="tickets")
    # by hand: every created_at is bad (5,000) and every odd row's reopens (2,500)
    assert caught.value.total == 7500
    assert len(caught.value.errors) == 50
    assert "the first 50 of 7,500 rejected values" in str(caught.value)


def test_a_few_bad_values_are_all_shown_without_a_total(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at\n1,someday\n2,2024-01-01\n")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table="tickets")
    assert caught.value.total == 1 and "1 value(s) rejected;" in str(caught.value)


# -- broken and empty text files ----------------------------------------------------------


def test_truncated_last_line_names_the_line(tmp_path, warehouse):
    path = tmp_path / "cut.csv"
    path.write_text("ticket_id,created_at,category\nk1,2024-01-01,a\nk2,2024-01-02,b\nk3,2024-0")
    with pytest.raises(UnreadableFile) as caught:
        import_file(warehouse, path, table="tickets")
    message = str(caught.value)
    assert "line 4 has 2 fields where the header has 3" in message
    assert "sniffing" not in message and "export it again" in message


def test_a_long_file_with_an_extra_field_names_the_line(tmp_path, warehouse):
    path = tmp_path / "long.csv"
    body = "".join(f"k{i},2024-01-01,a\n" for i in range(30000))
    path.write_text("ticket_id,created_at,category\n" + body + "k,2024-01-03,b,extra\n")
    with pytest.raises(UnreadableFile) as caught:
        import_file(warehouse, path, table="tickets")
    assert "line 30002 has 4 fields where the header has 3" in str(caught.value)


def test_unclosed_quote_names_the_line_it_opens_on(tmp_path, warehouse):
    path = tmp_path / "q.csv"
    path.write_text(
        'ticket_id,created_at,category\nk1,2024-01-01,a\nk3,2024-01-01,"never\nk4,x,y\n'
    )
    with pytest.raises(UnreadableFile) as caught:
        import_file(warehouse, path, table="tickets")
    assert "line 3 opens a quoted value that is never closed" in str(caught.value)


def test_empty_file_is_refused_as_empty(tmp_path, warehouse):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFile, match="the file is empty"):
        import_file(warehouse, path, table="tickets")


def test_header_only_file_imports_no_records_and_warns(tmp_path, warehouse, caplog):
    path = tmp_path / "header.csv"
    path.write_text("ticket_id,created_at\n")
    with caplog.at_level(logging.WARNING, logger="cxlens.ingest.importer"):
        result = import_file(warehouse, path, table="tickets")
    assert result.records == 0 and result.tables == {"tickets": 0}
    assert "no records" in result.describe()
    assert [r.levelname for r in caplog.records if "no records" in r.getMessage()] == ["WARNING"]
    assert stored(warehouse, "SELECT count(*) FROM raw_tickets") == [(0,)]


# -- workbooks ---------------------------------------------------------------------------


def two_sheet_book(path, first_has_tickets=True):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    first = book.add_worksheet("ReadMe")
    if first_has_tickets:
        first.write_row(0, 0, ["ticket_id", "created_at"])
        first.write_row(1, 0, ["r1", "2024-01-01 08:00"])
    else:
        first.write_row(0, 0, ["notes"])
    data = book.add_worksheet("Data")
    data.write_row(0, 0, ["ticket_id", "created_at"])
    data.write_row(1, 0, ["d1", "2024-02-01 09:00"])
    book.close()
    return path


def test_workbook_read_without_sheet_says_which_sheet_and_lists_the_others(tmp_path, warehouse):
    path = two_sheet_book(tmp_path / "book.xlsx")
    result = import_file(warehouse, path, table="tickets")
    assert "read sheet 'ReadMe' (of ReadMe, Data); pass --sheet to choose" in result.describe()
    assert stored(warehouse, "SELECT ticket_id FROM raw_tickets") == [("r1",)]


def test_workbook_with_chosen_sheet_has_no_note(tmp_path, warehouse):
    path = two_sheet_book(tmp_path / "book.xlsx")
    result = import_file(warehouse, path, table="tickets", sheet="Data")
    assert "pass --sheet" not in result.describe()
    assert stored(warehouse, "SELECT ticket_id FROM raw_tickets") == [("d1",)]


def test_missing_columns_in_the_first_sheet_name_the_other_sheets(tmp_path, warehouse):
    path = two_sheet_book(tmp_path / "book.xlsx", first_has_tickets=False)
    with pytest.raises(ColumnsError) as caught:
        import_file(warehouse, path, table="tickets")
    assert "read sheet 'ReadMe' (of ReadMe, Data); pass --sheet to choose" in str(caught.value)


def test_serial_day_cells_in_a_date_column_of_a_workbook_are_dates(tmp_path, warehouse):
    import xlsxwriter

    path = tmp_path / "mixed.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("T")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, ["ticket_id", "created_at"])
    sheet.write(1, 0, "t1")
    sheet.write_datetime(1, 1, datetime(2024, 3, 5, 14, 2), stamp)
    sheet.write(2, 0, "t2")
    sheet.write_number(2, 1, 45357.25)  # a cell typed as a number: serial day
    sheet.write(3, 0, "t3")
    sheet.write_string(3, 1, "2024-03-07 08:00")
    book.close()
    import_file(warehouse, path, table="tickets")
    # by hand: serial 45357 is 2024-03-06 (day 1 = 1900-01-01, with Excel's 29 Feb 1900),
    # and .25 of a day is 06:00
    assert stored(warehouse, "SELECT created_at FROM raw_tickets ORDER BY _row") == [
        (datetime(2024, 3, 5, 14, 2),),
        (datetime(2024, 3, 6, 6, 0),),
        (datetime(2024, 3, 7, 8, 0),),
    ]


# -- epoch numbers in JSON ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # 1709647320 s = 2024-03-05 14:02:00 UTC (by hand: 19787 days + 50520 s)
        ([1709647320, 1709647321], [datetime(2024, 3, 5, 14, 2), datetime(2024, 3, 5, 14, 2, 1)]),
        ([1709647320.0, 1709647321.5],
         [datetime(2024, 3, 5, 14, 2), datetime(2024, 3, 5, 14, 2, 1, 500000)]),
        ([1709647320500.0], [datetime(2024, 3, 5, 14, 2, 0, 500000)]),
    ],
)  # fmt: skip
def test_epoch_numbers_in_json_are_times(tmp_path, warehouse, values, expected):
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps([{"ticket_id": str(i), "created_at": v} for i, v in enumerate(values)])
    )
    import_file(warehouse, path, table="tickets")
    got = [r[0] for r in stored(warehouse, "SELECT created_at FROM raw_tickets ORDER BY _row")]
    assert got == expected


def test_epoch_seconds_in_exponent_form_are_times(tmp_path, warehouse):
    path = tmp_path / "t.json"
    path.write_text('[{"ticket_id": "1", "created_at": 1.70964732E9}]')
    import_file(warehouse, path, table="tickets")
    assert stored(warehouse, "SELECT created_at FROM raw_tickets") == [
        (datetime(2024, 3, 5, 14, 2),)
    ]
