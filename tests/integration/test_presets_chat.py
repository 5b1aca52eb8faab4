"""Chatwoot and Zammad presets, text durations, and duration errors (case IM-4).

Every file here is written by the test in the vendor's documented layout (Chatwoot's
CSAT download and report templates, Zammad's ticket sheet); expected values are worked
out by hand from those few rows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from cxlens.errors import InputError, RowsRejected
from cxlens.ingest import import_file
from cxlens.store import Warehouse


def query(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    with warehouse.connect(read_only=True) as con:
        return con.execute(sql).fetchdf()


def tables(warehouse: Warehouse) -> set[str]:
    if not Path(warehouse.path).exists():
        return set()
    with warehouse.connect(read_only=True) as con:
        rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {r[0] for r in rows}


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# -- chatwoot: CSAT responses download -------------------------------------------------

CSAT_HEADER = (
    "Agent Name,Rating,Feedback Comment,Contact Name,Contact Email Address,"
    "Contact Phone Number,Link to the conversation,Recorded date"
)
CSAT_ROWS = [
    "Li Lei (li@example.com),5,Quick and kind,Wang Fang,wang@example.com,,"
    "https://chat.example.com/app/accounts/1/conversations/101,2024-03-05 09:00:00 UTC",
    "Han Mei (han@example.com),2,,Zhao Min,,+8613800000000,"
    "https://chat.example.com/app/accounts/1/conversations/102,2024-03-06 23:30:00 UTC",
    ',4,"Fine, thanks",Zhang Wei,,,,2024-03-07 10:15:00 +0800',
]
PERIOD = "Reporting period 2024-03-01 to 2024-03-31"


def csat_file(tmp_path: Path, layout: str) -> Path:
    """The download as Chatwoot writes it: the period line after the rows (CSAT) or
    before the header with a blank line (other reports), or both."""
    lines = [CSAT_HEADER, *CSAT_ROWS]
    if layout in ("preamble", "both"):
        lines = [PERIOD, "", *lines]
    if layout in ("trailer", "both"):
        lines = [*lines, "", PERIOD]
    path = tmp_path / f"csat-{layout}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("layout", ["trailer", "preamble", "both"])
def test_chatwoot_csat_period_lines_are_skipped_not_read_as_answers(tmp_path, warehouse, layout):
    # case IM-4: the "Reporting period" line and the blank line are not records
    path = csat_file(tmp_path, layout)
    result = import_file(warehouse, path, preset="chatwoot-csat", timezone="Asia/Shanghai")

    assert result.tables == {"survey_responses": 3}
    r = query(warehouse, "SELECT * FROM raw_survey_responses ORDER BY responded_at")
    assert list(r["score"]) == [5.0, 2.0, 4.0]
    assert set(r["kind"]) == {"csat"}
    assert list(r["scale_min"]) == [1.0, 1.0, 1.0] and list(r["scale_max"]) == [5.0] * 3
    # rows keep the line they have in the file: after a 2-line preamble the header is line 3
    first_data_line = 4 if layout in ("preamble", "both") else 2
    assert sorted(r["_row"]) == [first_data_line, first_data_line + 1, first_data_line + 2]


def test_chatwoot_csat_maps_agent_contact_conversation_and_time(tmp_path, warehouse):
    path = csat_file(tmp_path, "both")
    import_file(warehouse, path, preset="chatwoot-csat", timezone="Asia/Shanghai")

    r = query(warehouse, "SELECT * FROM raw_survey_responses ORDER BY responded_at")
    # the e-mail inside "Name (email)" is the agent; no agent stays missing
    assert list(r["agent_id"].fillna("")) == ["li@example.com", "han@example.com", ""]
    # contact e-mail, else phone, else name
    assert list(r["customer_id"]) == ["wang@example.com", "+8613800000000", "Zhang Wei"]
    # the conversation's display id from the link
    assert list(r["ticket_id"].fillna("")) == ["101", "102", ""]
    # times carry UTC or an offset: 10:15 at +08:00 is 02:15 UTC whatever the source zone
    assert list(r["responded_at"]) == [
        ts("2024-03-05 09:00"),
        ts("2024-03-06 23:30"),
        ts("2024-03-07 02:15"),
    ]
    assert list(r["comment"].fillna("")) == ["Quick and kind", "", "Fine, thanks"]
    assert list(r["response_id"]) == [
        "csat-101-20240305090000",
        "csat-102-20240306233000",
        "csat-contact-Zhang Wei-202403071015000800",
    ]
    assert json.loads(r["attributes"].iloc[0])["Agent Name"] == "Li Lei (li@example.com)"


def test_chatwoot_csat_downloaded_twice_for_overlapping_periods_keeps_one_answer_each(
    tmp_path, warehouse
):
    import_file(warehouse, csat_file(tmp_path, "trailer"), preset="chatwoot-csat")
    import_file(warehouse, csat_file(tmp_path, "both"), preset="chatwoot-csat")
    assert query(warehouse, "SELECT count(*) AS n FROM raw_survey_responses")["n"][0] == 3


def test_chatwoot_csat_workbook_with_period_rows(tmp_path, warehouse):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([PERIOD])
    sheet.append([])
    sheet.append(CSAT_HEADER.split(","))
    sheet.append(["Li Lei (li@example.com)", 3, None, "Wang Fang", "wang@example.com", None,
                  "https://x.example/app/accounts/1/conversations/7", "2024-03-05 09:00:00 UTC"])  # fmt: skip
    sheet.append([])
    sheet.append([PERIOD])
    path = tmp_path / "csat.xlsx"
    book.save(path)
    import_file(warehouse, path, preset="chatwoot-csat")

    r = query(warehouse, "SELECT ticket_id, score, _row FROM raw_survey_responses")
    assert r.to_dict("records") == [{"ticket_id": "7", "score": 3.0, "_row": 4}]


AGENT_REPORT = (
    f"{PERIOD}\n\n"
    "Agent name,Assigned conversations,Avg first response time,Avg resolution time\n"
    "Li Lei,12,1 day 3 hours,2 days 4 hours\n"
    "Han Mei,3,45 seconds,--\n"
)


@pytest.mark.parametrize("preset", ["chatwoot-reports", "chatwoot-csat"])
def test_chatwoot_agent_report_is_refused_naming_the_exports_to_use(tmp_path, warehouse, preset):
    path = tmp_path / "agents.csv"
    path.write_text(AGENT_REPORT, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_file(warehouse, path, preset=preset)
    message = str(caught.value)
    assert message.startswith(f"{path}: this is Chatwoot's agent report")
    assert "not one row per conversation" in message
    assert "conversations export" in message and "--table tickets" in message
    assert "--preset chatwoot-csat" in message
    assert "nothing was imported" in message
    assert not tables(warehouse) & {"raw_tickets", "raw_survey_responses", "imports"}


def test_chatwoot_reports_preset_refuses_any_file(tmp_path, warehouse):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="aggregate reports .* conversations export"):
        import_file(warehouse, path, preset="chatwoot-reports")


# -- durations as text -----------------------------------------------------------------


def test_text_durations_become_minutes(tmp_path, warehouse):
    # case IM-4: durations as Chatwoot and spreadsheets write them
    given = {
        "1": ("1 day 3 hours", 1440 + 180),
        "2": ("2 hours 5 minutes", 125),
        "3": ("45 seconds", 0.75),
        "4": ("01:02:03", 62 + 3 / 60),
        "5": ("26:15:00", 26 * 60 + 15),
        "6": ("1 day 03:04:05", 1440 + 184 + 5 / 60),
        "7": ("2 days, 3:04:05", 2880 + 184 + 5 / 60),
        "8": ("--", None),
    }
    lines = ["ticket_id,created_at,first_response_minutes"]
    lines += [f'{k},2024-03-05 09:00:00,"{text}"' for k, (text, _) in given.items()]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_file(warehouse, path, table="tickets")

    t = query(warehouse, "SELECT ticket_id, first_response_minutes FROM raw_tickets")
    got = dict(zip(t["ticket_id"], t["first_response_minutes"], strict=True))
    for key, (_, minutes) in given.items():
        if minutes is None:
            assert pd.isna(got[key])
        else:
            assert got[key] == pytest.approx(minutes), key


FRESHDESK = (
    "Ticket ID,Status,Created time,Resolved time,First response time (in hrs),"
    "Resolution time (in hrs),Email\n"
    "1,Resolved,2024-03-05 09:00:00,2024-03-06 11:15:00,00:30:00,26:15:00,a@example.com\n"
    "2,Open,2024-03-06 09:00:00,,{bad},,b@example.com\n"
)


def test_malformed_duration_names_file_row_column_value_and_form(tmp_path, warehouse):
    path = tmp_path / "fd.csv"
    path.write_text(FRESHDESK.format(bad="2:xx:00"), encoding="utf-8")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, preset="freshdesk")
    (error,) = caught.value.errors
    assert (error.file, error.row, error.value) == (str(path), 3, "2:xx:00")
    assert error.column == "First response time (in hrs)"
    assert error.canonical == "first_response_minutes"
    assert "hh:mm:ss" in error.expected
    assert f"{path}, row 3, column 'First response time (in hrs)" in str(caught.value)


@pytest.mark.parametrize("bad", ["26:75:00", "1:99", "24:00:60", "1 day 25:00:00"])
def test_clock_parts_out_of_range_are_row_errors(tmp_path, warehouse, bad):
    # minutes and seconds run 0-59 (and a day's hours 0-23): 26:75:00 is a typo, not 27:15
    path = tmp_path / "fd.csv"
    path.write_text(FRESHDESK.format(bad=bad), encoding="utf-8")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, preset="freshdesk")
    (error,) = caught.value.errors
    assert (error.row, error.value) == (3, bad)
    assert "below 60" in error.expected


def test_two_part_clock_is_h_mm_in_hours_and_mm_ss_in_minutes(tmp_path, warehouse):
    # Freshdesk's "(in hrs)" column: 01:30 is 1 h 30 min = 90 min; a canonical minutes
    # column: 01:30 is 1 min 30 s = 1.5 min
    path = tmp_path / "fd.csv"
    path.write_text(FRESHDESK.format(bad="01:30"), encoding="utf-8")
    import_file(warehouse, path, preset="freshdesk")
    hours = query(warehouse, "SELECT first_response_minutes FROM raw_tickets ORDER BY ticket_id")
    assert list(hours["first_response_minutes"]) == [30.0, 90.0]

    other = Warehouse(tmp_path / "other.duckdb")
    plain = tmp_path / "plain.csv"
    plain.write_text("ticket_id,created_at,first_response_minutes\n1,2024-03-05 09:00,01:30\n")
    import_file(other, plain, table="tickets")
    minutes = query(other, "SELECT first_response_minutes FROM raw_tickets")
    assert list(minutes["first_response_minutes"]) == [1.5]


def test_malformed_duration_leaves_the_warehouse_as_it_was(tmp_path, warehouse):
    good = tmp_path / "good.csv"
    good.write_text(FRESHDESK.format(bad="01:00:00"), encoding="utf-8")
    import_file(warehouse, good, preset="freshdesk")
    before = {
        name: query(warehouse, f"SELECT * FROM {name} ORDER BY ALL")
        for name in ("raw_tickets", "imports")
    }
    bad = tmp_path / "bad.csv"  # re-delivers both tickets, one duration broken
    bad.write_text(FRESHDESK.format(bad="1 fortnight"), encoding="utf-8")
    with pytest.raises(RowsRejected):
        import_file(warehouse, bad, preset="freshdesk")
    for name, frame in before.items():
        pd.testing.assert_frame_equal(query(warehouse, f"SELECT * FROM {name} ORDER BY ALL"), frame)
    # the good import's durations, by hand: 30 min, 26 h 15 min, 60 min
    t = query(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id")
    assert list(t["first_response_minutes"]) == [30.0, 60.0]
    assert t["resolution_minutes"].iloc[0] == 1575.0


# -- zammad ----------------------------------------------------------------------------

ZAMMAD_HEADER = [
    "#", "Title", "State", "Priority", "Group", "Owner", "Customer", "Organization",
    "Create Channel", "Sender", "Tags", "Time Units Total", "Created At", "Updated At",
    "Closed At", "Close In Min", "First Response At", "First Response In Min",
    "Article Count",
]  # fmt: skip
T = dt.datetime.fromisoformat
ZAMMAD_ROWS = [
    ["31001", "Login fails", "closed", "2 normal", "Users", "Anna Agent", "Carl Kunde",
     "ACME", "email", "Customer", "login", 0.5, T("2024-03-05 09:00:00"),
     T("2024-03-05 12:00:00"), T("2024-03-05 11:30:00"), 150, T("2024-03-05 09:20:00"),
     20, 4],
    ["31002", "Invoice", "open", "3 high", "Billing", "Ben Agent", "Dora Kunde", None,
     "phone", "Agent", None, None, T("2024-07-01 10:00:00"), T("2024-07-02 10:00:00"),
     T("2024-07-01 18:00:00"), None, T("2024-07-01 10:05:00"), 5, 6],
    ["31003", "Hallo", "warten auf Erinnerung", "1 niedrig", "Users", "-", "Emil Kunde",
     None, "web", "Kunde", None, None, T("2024-07-02 08:00:00"), T("2024-07-02 08:00:00"),
     None, None, None, None, 1],
    ["31004", "Dup", "merged", "2 normal", "Users", "Anna Agent", "Carl Kunde", "ACME",
     "twitter status", "System", None, None, T("2024-07-03 08:00:00"),
     T("2024-07-03 09:00:00"), None, None, None, None, 2],
]  # fmt: skip


def zammad_file(path: Path) -> Path:
    """Zammad's ticket sheet: title, blank row, header, tickets, blank row, time zone."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2024"])
    sheet.append([])
    sheet.append(ZAMMAD_HEADER)
    for row in ZAMMAD_ROWS:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.append([])
    sheet.append(["Timezone: Europe/Berlin"])
    book.save(path)
    return path


def test_zammad_title_and_footer_rows_are_not_tickets(tmp_path, warehouse):
    path = zammad_file(tmp_path / "tickets.xlsx")
    result = import_file(warehouse, path, preset="zammad", timezone="Europe/Berlin")
    assert result.tables == {"tickets": 4}
    t = query(warehouse, "SELECT ticket_id, _row FROM raw_tickets ORDER BY ticket_id")
    assert list(t["ticket_id"]) == ["31001", "31002", "31003", "31004"]
    assert list(t["_row"]) == [4, 5, 6, 7]  # header on row 3, as Excel shows it


def test_zammad_local_times_are_stored_in_utc(tmp_path, warehouse):
    path = zammad_file(tmp_path / "tickets.xlsx")
    import_file(warehouse, path, preset="zammad", timezone="Europe/Berlin")
    t = query(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id")
    # Berlin: UTC+1 in March, UTC+2 in July
    assert list(t["created_at"]) == [
        ts("2024-03-05 08:00"),
        ts("2024-07-01 08:00"),
        ts("2024-07-02 06:00"),
        ts("2024-07-03 06:00"),
    ]
    assert t["first_response_at"].iloc[0] == ts("2024-03-05 08:20")
    # Closed At is the first close: a first solve always, the solve while still closed
    assert [None if pd.isna(x) else x for x in t["first_solved_at"]] == [
        ts("2024-03-05 10:30"),
        ts("2024-07-01 16:00"),
        None,
        None,
    ]
    assert t["solved_at"].iloc[0] == ts("2024-03-05 10:30")
    assert t["closed_at"].iloc[0] == ts("2024-03-05 10:30")
    assert pd.isna(t["solved_at"].iloc[1]) and pd.isna(t["closed_at"].iloc[1])  # reopened


def test_zammad_states_priorities_channels_and_senders(tmp_path, warehouse):
    path = zammad_file(tmp_path / "tickets.xlsx")
    import_file(warehouse, path, preset="zammad", timezone="Europe/Berlin")
    t = query(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id")
    assert list(t["status"]) == ["closed", "open", "pending", "merged"]
    assert list(t["priority"]) == ["normal", "high", "low", "normal"]
    assert list(t["channel"]) == ["email", "phone", "help_center", "social"]
    assert list(t["created_by"]) == ["customer", "agent", "customer", "system"]
    assert list(t["agent_id"].fillna("")) == ["Anna Agent", "Ben Agent", "", "Anna Agent"]
    assert list(t["customer_id"]) == ["Carl Kunde", "Dora Kunde", "Emil Kunde", "Carl Kunde"]
    assert list(t["team"]) == ["Users", "Billing", "Users", "Users"]
    # business-hour SLA minutes are not calendar durations: kept aside
    assert t["first_response_minutes"].isna().all()
    assert json.loads(t["attributes"].iloc[0])["First Response In Min"] == "20"


def test_zammad_headers_are_suggested_for_a_file_imported_without_preset(tmp_path, warehouse):
    path = zammad_file(tmp_path / "tickets.xlsx")
    from cxlens.ingest.mapping import suggest_preset

    assert suggest_preset(ZAMMAD_HEADER, "tickets") == "zammad"
    chatwoot = CSAT_HEADER.split(",")
    assert suggest_preset(chatwoot, "survey_responses") == "chatwoot-csat"
    assert path.exists()


def test_csat_download_imported_without_preset_is_told_which_preset_skips_its_period_line(
    tmp_path, warehouse
):
    path = csat_file(tmp_path, "trailer")
    with pytest.raises(InputError) as caught:
        import_file(warehouse, path, table="survey_responses")
    message = str(caught.value)
    # header line 1, three answers on lines 2-4, a blank line 5, the period on line 6
    assert "line 6 has 1 fields where the header has 8" in message
    assert "--preset chatwoot-csat" in message
    assert not tables(warehouse) & {"raw_survey_responses", "imports"}
