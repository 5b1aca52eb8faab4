"""Import presets on real exports: every count and value is recomputed here from the file.

Data sets come from /work/shared/datasets (see its MANIFEST.md); the vendor layouts
(Zendesk, Freshdesk) are small files written by the tests in the documented layout.
Expected values are computed independently with pandas on the same file, or by hand
for the small files; the warehouse's ``raw_<table>`` tables are what the import wrote.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from cxlens.errors import RowsRejected
from cxlens.ingest import import_file
from cxlens.store import Warehouse

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
if not DATASETS.exists():  # the checkout may live elsewhere than /work/main
    DATASETS = Path("/work/shared/datasets")

needs_data = pytest.mark.skipif(not DATASETS.exists(), reason="shared data sets not present")


def query(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    with warehouse.connect(read_only=True) as con:
        return con.execute(sql).fetchdf()


def scalar(warehouse: Warehouse, sql: str):
    with warehouse.connect(read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_every_preset_is_documented():
    from cxlens.ingest import PRESETS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "presets.md").read_text("utf-8")
    headings = {line[3:].strip() for line in docs.splitlines() if line.startswith("## ")}
    assert set(PRESETS) == {
        "zendesk",
        "freshdesk",
        "pwc-call-center",
        "kaggle-support-tickets",
        "servicenow-incidents",
        "ibm-telco",
        "uci-online-retail",
        "cdnow",
        "chatwoot-csat",
        "chatwoot-reports",
        "zammad",
        "zendesk-audits",
        "freshdesk-conversations",
        "chatwoot-messages",
    }
    assert set(PRESETS) <= headings
    assert all(PRESETS[name].documentation for name in PRESETS)


# -- pwc-call-center --------------------------------------------------------------------


@needs_data
def test_pwc_call_center_yields_one_ticket_per_call_and_one_response_per_rating(warehouse):
    path = DATASETS / "pwc_call_center.csv"
    calls = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    import_file(warehouse, path, preset="pwc-call-center", timezone="UTC")

    tickets = query(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id")
    assert len(tickets) == len(calls) == 5000
    assert (tickets["channel"] == "phone").all()
    assert (~tickets["answered"]).sum() == (calls["Answered (Y/N)"] == "N").sum() == 946
    assert (tickets["status"] == "solved").sum() == (calls["Resolved"] == "Y").sum()
    speed = pd.to_numeric(calls["Speed of answer in seconds"])
    assert tickets["first_response_minutes"].sum() == pytest.approx(speed.sum() / 60)
    assert tickets["first_response_minutes"].isna().sum() == speed.isna().sum()

    first = tickets.set_index("ticket_id").loc["ID0001"]
    assert first["created_at"] == ts("2021-01-01 09:12:58")  # Time "9:12:58" padded
    assert first["agent_id"] == "Diane" and first["category"] == "Contract related"
    # resolved: ends after 109 s of waiting and 2:23 of talk
    assert first["solved_at"] == ts("2021-01-01 09:12:58") + dt.timedelta(seconds=109 + 143)
    assert json.loads(first["attributes"])["AvgTalkDuration"] == "0:02:23"


@needs_data
def test_pwc_call_center_ratings_become_csat_linked_to_call_and_agent(warehouse):
    path = DATASETS / "pwc_call_center.csv"
    calls = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    rated = calls[calls["Satisfaction rating"].notna()]
    import_file(warehouse, path, preset="pwc-call-center", timezone="UTC")

    responses = query(warehouse, "SELECT * FROM raw_survey_responses")
    assert len(responses) == len(rated) == 4054
    assert responses["score"].mean() == pytest.approx(
        pd.to_numeric(rated["Satisfaction rating"]).mean()
    )
    assert set(responses["kind"]) == {"csat"}
    assert set(responses["response_id"]) == {"csat-" + c for c in rated["Call Id"]}
    by_ticket = responses.set_index("ticket_id")
    assert (
        by_ticket.loc[rated["Call Id"], "agent_id"].to_numpy() == rated["Agent"].to_numpy()
    ).all()
    # unresolved call: timed at the call's start (no solve time)
    unresolved = rated[rated["Resolved"] == "N"].iloc[0]
    started = ts(f"{unresolved['Date']} {unresolved['Time'].zfill(8)}")
    assert by_ticket.loc[unresolved["Call Id"], "responded_at"] == started


@needs_data
def test_pwc_call_center_imported_twice_keeps_one_row_per_call_and_rating(warehouse):
    path = DATASETS / "pwc_call_center.csv"
    import_file(warehouse, path, preset="pwc-call-center", timezone="UTC")
    import_file(warehouse, path, preset="pwc-call-center", timezone="UTC")
    assert scalar(warehouse, "SELECT count(*) FROM raw_tickets") == 5000
    assert scalar(warehouse, "SELECT count(*) FROM raw_survey_responses") == 4054


# -- kaggle-support-tickets -------------------------------------------------------------


@needs_data
def test_kaggle_tickets_keep_the_resolved_before_first_response_rows(warehouse):
    path = DATASETS / "customer_support_tickets_kaggle.csv"
    raw = pd.read_csv(path, dtype=str)
    import_file(warehouse, path, preset="kaggle-support-tickets", timezone="UTC")

    tickets = query(warehouse, "SELECT * FROM raw_tickets")
    assert len(tickets) == len(raw) == 8469
    first = pd.to_datetime(raw["First Response Time"])
    resolved = pd.to_datetime(raw["Time to Resolution"])
    backwards = int((resolved < first).sum())
    assert backwards == 1365
    assert int((tickets["solved_at"] < tickets["created_at"]).sum()) == backwards
    # first response is the creation clock here, so it is not given as a response time
    assert tickets["first_response_at"].isna().all()


@needs_data
def test_kaggle_tickets_never_answered_are_dated_at_the_export_moment(warehouse):
    path = DATASETS / "customer_support_tickets_kaggle.csv"
    raw = pd.read_csv(path, dtype=str)
    import_file(warehouse, path, preset="kaggle-support-tickets", timezone="UTC")

    latest_clock = max(
        pd.to_datetime(raw["First Response Time"]).max(),
        pd.to_datetime(raw["Time to Resolution"]).max(),
    )
    tickets = query(warehouse, "SELECT * FROM raw_tickets").set_index("ticket_id")
    never_answered = raw.loc[raw["First Response Time"].isna(), "Ticket ID"]
    assert len(never_answered) == (raw["Ticket Status"] == "Open").sum() == 2819
    assert (tickets.loc[never_answered, "created_at"] == latest_clock).all()
    assert set(tickets.loc[never_answered, "status"]) == {"open"}
    answered = raw[raw["First Response Time"].notna()]
    assert (
        tickets.loc[answered["Ticket ID"], "created_at"].to_numpy()
        == pd.to_datetime(answered["First Response Time"]).to_numpy()
    ).all()


@needs_data
def test_kaggle_ratings_and_customers(warehouse):
    path = DATASETS / "customer_support_tickets_kaggle.csv"
    raw = pd.read_csv(path, dtype=str)
    import_file(warehouse, path, preset="kaggle-support-tickets", timezone="UTC")

    rated = raw[raw["Customer Satisfaction Rating"].notna()]
    responses = query(warehouse, "SELECT * FROM raw_survey_responses")
    assert len(responses) == len(rated) == 2769
    assert responses["score"].mean() == pytest.approx(
        pd.to_numeric(rated["Customer Satisfaction Rating"]).mean()
    )
    assert set(rated["Ticket Status"]) == {"Closed"}

    customers = query(warehouse, "SELECT * FROM raw_customers").set_index("customer_id")
    emails = raw["Customer Email"].str.strip().str.lower()
    assert len(customers) == emails.nunique() == 8320
    last = raw.assign(key=emails, n=pd.to_numeric(raw["Ticket ID"])).sort_values("n")
    last = last.drop_duplicates("key", keep="last").set_index("key")
    sample = last.index[:50]
    assert (customers.loc[sample, "name"] == last.loc[sample, "Customer Name"]).all()
    assert (customers.loc[sample, "age"] == pd.to_numeric(last.loc[sample, "Customer Age"])).all()


# -- servicenow-incidents ---------------------------------------------------------------


@needs_data
def test_servicenow_keeps_the_latest_update_of_each_incident(warehouse):
    path = DATASETS / "uci_incident_event_log_head6k.csv"
    log = pd.read_csv(path, dtype=str, na_values=["?"], keep_default_na=False)
    import_file(warehouse, path, preset="servicenow-incidents", timezone="UTC")

    log["mods"] = pd.to_numeric(log["sys_mod_count"])
    log["updated"] = pd.to_datetime(log["sys_updated_at"], format="%d-%m-%Y %H:%M")
    log["line"] = range(len(log))
    latest = log.sort_values(["mods", "updated", "line"]).drop_duplicates("number", keep="last")
    latest = latest.set_index("number")

    tickets = query(warehouse, "SELECT * FROM raw_tickets").set_index("ticket_id")
    assert len(tickets) == log["number"].nunique() == 890
    assert tickets["reopens"].sum() == pd.to_numeric(latest["reopen_count"]).sum()
    assert tickets["agent_id"].isna().sum() == latest["assigned_to"].isna().sum()
    counts = tickets["priority"].value_counts().to_dict()
    expected = (
        latest["priority"].str[0].map({"1": "urgent", "2": "high", "3": "normal", "4": "low"})
    )
    assert counts == expected.value_counts().to_dict()
    opened = pd.to_datetime(latest["opened_at"], format="%d-%m-%Y %H:%M")
    assert (tickets.loc[latest.index, "created_at"].to_numpy() == opened.to_numpy()).all()
    resolved = pd.to_datetime(latest["resolved_at"], format="%d-%m-%Y %H:%M")
    assert tickets["solved_at"].isna().sum() == resolved.isna().sum()


@needs_data
def test_servicenow_dates_are_day_first_in_the_source_zone(warehouse):
    path = DATASETS / "uci_incident_event_log_head6k.csv"
    import_file(warehouse, path, preset="servicenow-incidents", timezone="Europe/Lisbon")
    row = query(warehouse, "SELECT * FROM raw_tickets WHERE ticket_id = 'INC0000045'").iloc[0]
    # opened 29-02-2016 01:16 Lisbon (UTC+0 in winter), resolved 29-02 11:29, closed 05-03 12:00
    assert row["created_at"] == ts("2016-02-29 01:16")
    assert row["solved_at"] == ts("2016-02-29 11:29")
    assert row["closed_at"] == ts("2016-03-05 12:00")
    assert row["status"] == "closed" and row["priority"] == "normal"
    assert row["team"] == "Group 56"


# -- ibm-telco --------------------------------------------------------------------------


@needs_data
def test_ibm_telco_customers_and_subscriptions_dated_from_the_snapshot(warehouse):
    path = DATASETS / "telco_customer_churn_ibm.csv"
    raw = pd.read_csv(path, dtype=str)
    import_file(warehouse, path, preset="ibm-telco", timezone="UTC")

    customers = query(warehouse, "SELECT * FROM raw_customers").set_index("customer_id")
    subs = query(warehouse, "SELECT * FROM raw_subscriptions").set_index("subscription_id")
    assert len(customers) == len(subs) == len(raw) == 7043
    assert subs["ended_at"].notna().sum() == (raw["Churn"] == "Yes").sum() == 1869
    assert set(subs["ended_at"].dropna()) == {pd.Timestamp("2017-09-30")}
    assert subs["mrr"].sum() == pytest.approx(pd.to_numeric(raw["MonthlyCharges"]).sum())

    snapshot = pd.Timestamp("2017-09-30")
    tenure = pd.to_numeric(raw.set_index("customerID")["tenure"])
    expected = pd.Series(
        [snapshot - pd.DateOffset(months=int(m)) for m in tenure], index=tenure.index
    )
    assert (subs.loc[tenure.index, "started_at"] == expected).all()
    assert (customers.loc[tenure.index, "created_at"] == expected).all()
    assert (customers.loc[raw["customerID"], "segment"].to_numpy() == raw["Contract"]).all()


@needs_data
def test_ibm_telco_blank_total_charges_are_missing(warehouse):
    path = DATASETS / "telco_customer_churn_ibm.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    blank = raw.loc[raw["TotalCharges"].str.strip() == "", "customerID"]
    assert len(blank) == 11
    import_file(warehouse, path, preset="ibm-telco", timezone="UTC")

    subs = query(warehouse, "SELECT subscription_id, attributes FROM raw_subscriptions")
    attributes = subs.set_index("subscription_id")["attributes"].map(json.loads)
    assert all(attributes[c]["TotalCharges"] is None for c in blank)
    assert attributes["7590-VHVEG"]["TotalCharges"] == "29.85"


# -- cdnow ------------------------------------------------------------------------------


@needs_data
def test_cdnow_every_purchase_is_an_order(warehouse):
    path = DATASETS / "cdnow_master.txt"
    raw = pd.read_csv(path, sep=r"\s+", dtype=str)
    import_file(warehouse, path, preset="cdnow", timezone="UTC")

    orders = query(warehouse, "SELECT * FROM raw_orders")
    assert len(orders) == len(raw) == 69659
    assert orders["order_id"].is_unique
    assert orders["amount"].sum() == pytest.approx(pd.to_numeric(raw["dollar_value"]).sum())
    assert orders["customer_id"].nunique() == raw["customer_id"].nunique() == 23570
    assert set(orders["currency"]) == {"USD"}
    assert orders["ordered_at"].min() == ts("1997-01-01")
    assert orders["ordered_at"].max() == ts("1998-06-30")
    busiest = orders[orders["order_id"].str.startswith("00499-19971029-")]
    day = raw[(raw["customer_id"] == "00499") & (raw["date"] == "19971029")]
    assert sorted(busiest["order_id"].str.rsplit("-", n=1).str[1].astype(int)) == list(
        range(1, len(day) + 1)
    )


def test_cdnow_order_ids_do_not_depend_on_line_order(tmp_path):
    lines = [
        " 00007 19970301  2   25.00",
        " 00007 19970301  1   10.00",
        " 00007 19970302  1   10.00",
        " 00009 19970301  1   10.00",
    ]
    header = " customer_id  date number_of_cds  dollar_value"
    ids = []
    for name, body in (("a", lines), ("b", lines[::-1])):
        path = tmp_path / f"{name}.txt"
        path.write_text("\r\n".join([header, *body]) + "\r\n", encoding="utf-8")
        warehouse = Warehouse(tmp_path / f"{name}.duckdb")
        import_file(warehouse, path, preset="cdnow", timezone="UTC")
        ids.append(query(warehouse, "SELECT order_id, amount FROM raw_orders ORDER BY 1"))
    pd.testing.assert_frame_equal(ids[0], ids[1])
    # the smaller purchase of customer 7 on 1 March is number 1, the larger number 2
    assert ids[0].set_index("order_id")["amount"].to_dict() == {
        "00007-19970301-1": 10.0,
        "00007-19970301-2": 25.0,
        "00007-19970302-1": 10.0,
        "00009-19970301-1": 10.0,
    }


# -- zendesk (case IM-3) ----------------------------------------------------------------

ZENDESK_HEADER = [
    "Id", "Requester", "Requester email", "Assignee", "Group", "Subject", "Status",
    "Priority", "Via", "Ticket type", "Created at", "Updated at", "Solved at",
    "Satisfaction Score", "Reopens", "Replies", "First reply time in minutes",
    "First resolution time in minutes", "Full resolution time in minutes", "Tags",
]  # fmt: skip
ZENDESK_ROWS = [
    ["101", "Ann", "ann@example.com", "Bo", "Support", "Login", "Solved", "Normal",
     "Web form", "Question", "2024-03-05 09:00:00", "2024-03-05 12:00:00",
     "2024-03-05 11:30:00", "Good", "0", "2", "30", "150", "150", "vip"],
    ["102", "Cy", "cy@example.com", "Bo", "Support", "Refund", "Closed", "High",
     "Email", "Incident", "2024-03-06 22:15:00", "2024-03-07 09:00:00",
     "2024-03-07 08:15:00", "Bad", "1", "3", "45", "120", "600", ""],
    ["103", "Di", "di@example.com", "Ed", "Billing", "Invoice", "Open", "Urgent",
     "Phone call (incoming)", "Problem", "2024-07-01 10:00:00", "2024-07-01 10:05:00",
     "", "Offered", "0", "1", "5", "", "", ""],
    ["104", "Fa", "fa@example.com", "", "Billing", "Hi", "Hold", "Low", "Chat", "Task",
     "2024-07-02 10:00:00", "2024-07-02 10:00:00", "", "Not Offered", "0", "0", "", "",
     "", ""],
    ["105", "Gu", "gu@example.com", "Ed", "Billing", "Card", "Pending", "Normal",
     "Voicemail", "Question", "2024-07-03 08:00:00", "2024-07-03 09:00:00", "", "Good",
     "0", "1", "20", "", "", ""],
]  # fmt: skip


def write_zendesk(path: Path) -> Path:
    """The export as CSV (text as Zendesk writes it) or XLSX (dates and numbers typed)."""
    if path.suffix == ".csv":
        pd.DataFrame(ZENDESK_ROWS, columns=ZENDESK_HEADER).to_csv(path, index=False)
        return path
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Tickets")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, ZENDESK_HEADER)
    for r, row in enumerate(ZENDESK_ROWS, start=1):
        for c, value in enumerate(row):
            if value and ZENDESK_HEADER[c].endswith(" at"):
                sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), stamp)
            elif value.isdigit():
                sheet.write_number(r, c, int(value))
            elif value:
                sheet.write_string(r, c, value)
    book.close()
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_zendesk_local_times_are_stored_in_utc(tmp_path, warehouse, suffix):
    # case IM-3: naive local times of the account's zone (New York: EST in March, EDT in July)
    path = write_zendesk(tmp_path / f"export{suffix}")
    import_file(warehouse, path, preset="zendesk", timezone="America/New_York")

    tickets = query(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id")
    assert list(tickets["ticket_id"]) == ["101", "102", "103", "104", "105"]
    assert list(tickets["created_at"]) == [
        ts("2024-03-05 14:00"),
        ts("2024-03-07 03:15"),
        ts("2024-07-01 14:00"),
        ts("2024-07-02 14:00"),
        ts("2024-07-03 12:00"),
    ]
    assert tickets["solved_at"].iloc[0] == ts("2024-03-05 16:30")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_zendesk_fields_map_to_the_standard_words(tmp_path, warehouse, suffix):
    path = write_zendesk(tmp_path / f"export{suffix}")
    import_file(warehouse, path, preset="zendesk", timezone="America/New_York")

    t = query(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id")
    assert list(t["status"]) == ["solved", "closed", "open", "on_hold", "pending"]
    assert list(t["priority"]) == ["normal", "high", "urgent", "low", "normal"]
    # Web form is the help centre's request form; Phone call (incoming), Voicemail: phone
    assert list(t["channel"]) == ["help_center", "email", "phone", "chat", "phone"]
    assert list(t["category"]) == ["Question", "Incident", "Problem", "Task", "Question"]
    assert list(t["customer_id"]) == [f"{n}@example.com" for n in ("ann", "cy", "di", "fa", "gu")]
    assert list(t["agent_id"].fillna("-")) == ["Bo", "Bo", "Ed", "-", "Ed"]
    assert list(t["reopens"]) == [0, 1, 0, 0, 0]
    assert list(t["agent_replies"]) == [2, 3, 1, 0, 1]
    assert list(t["first_response_minutes"].fillna(-1)) == [30, 45, 5, -1, 20]
    assert list(t["resolution_minutes"].fillna(-1)) == [150, 600, -1, -1, -1]
    assert json.loads(t["attributes"].iloc[0])["Tags"] == "vip"


def test_zendesk_satisfaction_states_become_sends_and_answers(tmp_path, warehouse):
    # Good/Bad: sent and answered; Offered (103): sent, no answer; Not Offered (104): no row
    path = write_zendesk(tmp_path / "export.csv")
    import_file(warehouse, path, preset="zendesk", timezone="America/New_York")

    r = query(warehouse, "SELECT * FROM raw_survey_responses ORDER BY response_id")
    assert list(r["response_id"]) == ["csat-101", "csat-102", "csat-103", "csat-105"]
    assert list(r["score"].fillna(-1)) == [1.0, 0.0, -1, 1.0]
    assert set(r["scale_min"]) == {0.0} and set(r["scale_max"]) == {1.0}
    assert set(r["kind"]) == {"csat"}
    assert list(r["ticket_id"]) == ["101", "102", "103", "105"]
    assert list(r["agent_id"]) == ["Bo", "Bo", "Ed", "Ed"]
    # sent (and answered) at Solved at, else Created at (103 open, 105 pending), in UTC
    assert list(r["sent_at"]) == [
        ts("2024-03-05 16:30"),
        ts("2024-03-07 13:15"),
        ts("2024-07-01 14:00"),
        ts("2024-07-03 12:00"),
    ]
    assert list(r["responded_at"].astype(object).where(r["responded_at"].notna(), None)) == [
        ts("2024-03-05 16:30"),
        ts("2024-03-07 13:15"),
        None,
        ts("2024-07-03 12:00"),
    ]


def test_zendesk_response_rate_and_csat_from_the_export(tmp_path, warehouse):
    # sends: March 101 Good, 102 Bad; July 103 Offered, 105 Good (New York months).
    # Response rate: March 2/2, July 1/2, all 3/4. CSAT: Good of answered: 2/3 (103 left out).
    from cxlens.clean import clean_warehouse
    from cxlens.metrics import compute_kpis
    from cxlens.settings import Settings

    import_file(warehouse, write_zendesk(tmp_path / "export.csv"), preset="zendesk",
                timezone="America/New_York")  # fmt: skip
    settings = Settings(root=tmp_path, timezone="America/New_York")
    clean_warehouse(warehouse, settings)
    asked = ["csat", "survey_response_rate"]
    monthly = compute_kpis(warehouse, settings, by=["month"], metrics=asked)
    value = {(m, p): (v, n) for m, p, v, n in monthly[["metric", "period", "value", "n"]].values}
    assert value["survey_response_rate", "2024-03"] == (1.0, 2)
    assert value["survey_response_rate", "2024-07"] == (0.5, 2)
    assert value["csat", "2024-03"] == (0.5, 2)
    assert value["csat", "2024-07"] == (1.0, 1)
    pooled = compute_kpis(warehouse, settings, metrics=asked).set_index("metric")
    assert (
        pooled.loc["survey_response_rate", "value"],
        pooled.loc["survey_response_rate", "n"],
    ) == (
        0.75,
        4,
    )
    assert pooled.loc["csat", "value"] == pytest.approx(2 / 3)


def test_zendesk_redelivered_ticket_whose_rating_went_back_to_offered_keeps_the_send(
    tmp_path, warehouse
):
    # the trial: ticket 101's satisfaction went from Good to Offered in a later export; its
    # csat-101 loses the answer and stays a send, while 102 (Bad → Good) is replaced, and
    # 103 (Offered) and 105 stay as they were
    path = write_zendesk(tmp_path / "export.csv")
    import_file(warehouse, path, preset="zendesk", timezone="UTC")
    score = ZENDESK_HEADER.index("Satisfaction Score")
    later = [list(row) for row in ZENDESK_ROWS if row[0] in ("101", "102")]
    later[0][score], later[1][score] = "Offered", "Good"
    again = tmp_path / "later.csv"
    pd.DataFrame(later, columns=ZENDESK_HEADER).to_csv(again, index=False)

    result = import_file(warehouse, again, preset="zendesk", timezone="UTC")

    r = query(warehouse, "SELECT response_id, score FROM raw_survey_responses ORDER BY 1")
    assert list(zip(r["response_id"], r["score"].fillna(-1), strict=True)) == [
        ("csat-101", -1),
        ("csat-102", 1.0),
        ("csat-103", -1),
        ("csat-105", 1.0),
    ]
    # the later file derives two rows (101's send, 102's answer) and takes back two
    assert result.tables["survey_responses"] == 2
    assert result.replaced["survey_responses"] == 2
    assert scalar(warehouse, "SELECT count(*) FROM raw_tickets") == 5


def zendesk_variant(tmp_path: Path, column: str, values: list[str]) -> Path:
    """The five-ticket export with ``column`` set to ``values``, one per ticket."""
    rows = [list(row) for row in ZENDESK_ROWS]
    for row, value in zip(rows, values, strict=True):
        row[ZENDESK_HEADER.index(column)] = value
    path = tmp_path / "variant.csv"
    pd.DataFrame(rows, columns=ZENDESK_HEADER).to_csv(path, index=False)
    return path


def test_zendesk_via_uses_zendesk_channel_names_and_passes_unknown_ones_through(
    tmp_path, warehouse
):
    # the trial: Zendesk Talk tickets ("Voice") became 'other' and their text was lost
    path = zendesk_variant(
        tmp_path, "Via", ["Voice", "Mobile SDK", "WeChat", "Messaging", "Carrier pigeon"]
    )
    import_file(warehouse, path, preset="zendesk")

    t = query(warehouse, "SELECT channel FROM raw_tickets ORDER BY ticket_id")
    assert list(t["channel"]) == ["phone", "api", "wechat", "chat", "Carrier pigeon"]
    r = query(warehouse, "SELECT ticket_id, channel FROM raw_survey_responses ORDER BY 1")
    # surveyed 101, 102, 105 (answered) and 103 (Offered)
    assert list(r["channel"]) == ["phone", "api", "wechat", "Carrier pigeon"]


def test_zendesk_via_twitter_facebook_api_and_web(tmp_path, warehouse):
    path = zendesk_variant(tmp_path, "Via", ["Twitter", "facebook", "Web service", "Web", " API "])
    import_file(warehouse, path, preset="zendesk")

    t = query(warehouse, "SELECT channel FROM raw_tickets ORDER BY ticket_id")
    assert list(t["channel"]) == ["social", "social", "api", "web", "api"]


def test_zendesk_unknown_satisfaction_score_is_a_row_error_naming_the_cell(tmp_path, warehouse):
    # Good, Bad, Offered, Unoffered / Not Offered and blank are states; "Unknown" is none
    path = zendesk_variant(
        tmp_path, "Satisfaction Score", ["Good", "Unknown", "", "Unoffered", "Bad"]
    )
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, preset="zendesk")
    message = str(caught.value)
    assert "row 3" in message  # ticket 102: the second record, after the header row
    assert "'Satisfaction Score (→ score)': 'Unknown'" in message
    assert "1 value(s) rejected" in message
    assert "expected a rating: Good, Bad, Offered, Unoffered, Not Offered or blank" in message
    assert "map the columns with a preset" not in message  # a preset was used
    with pytest.raises(Exception, match="raw_tickets"):  # nothing was written
        scalar(warehouse, "SELECT count(*) FROM raw_tickets")


def test_zendesk_blank_and_unoffered_ratings_yield_no_send(tmp_path, warehouse):
    path = zendesk_variant(tmp_path, "Satisfaction Score", ["Good", " ", "", "Unoffered", "Bad"])
    import_file(warehouse, path, preset="zendesk")

    r = query(warehouse, "SELECT response_id, score FROM raw_survey_responses ORDER BY 1")
    assert list(zip(r["response_id"], r["score"], strict=True)) == [
        ("csat-101", 1.0),
        ("csat-105", 0.0),
    ]


# -- freshdesk --------------------------------------------------------------------------

FRESHDESK_CSV = """\
Ticket ID,Subject,Status,Priority,Source,Type,Agent,Group,Created time,Due by Time,\
Resolved time,Closed time,Last update time,Initial response time,Time tracked,\
First response time (in hrs),Resolution time (in hrs),Agent interactions,\
Customer interactions,Resolution status,First response status,Tags,Survey results,\
Full name,Email
1,Cannot log in,Closed,Medium,Email,Question,Li Lei,Tier 1,2024-03-05 09:00:00,\
2024-03-06 09:00:00,2024-03-05 17:00:00,2024-03-07 17:00:00,2024-03-07 17:00:00,\
2024-03-05 09:30:00,00:20,0.5,8.0,2,1,Within SLA,Within SLA,login,Awesome,Wang Fang,\
wang@example.com
2,Refund,Waiting on Third Party,Urgent,Feedback Widget,Incident,Han Mei,Tier 2,\
2024-03-06 23:50:00,2024-03-07 23:50:00,,,2024-03-07 00:10:00,2024-03-07 00:10:00,,\
0.1,,1,2,,Within SLA,,,Zhao Min,zhao@example.com
3,Hello,Open,Low,Portal,,,,2024-03-08 10:00:00,2024-03-09 10:00:00,,,\
2024-03-08 10:00:00,,,,,0,1,,,,,Zhang Wei,zhang@example.com
"""


def test_freshdesk_export_maps_times_and_words(tmp_path, warehouse):
    path = tmp_path / "tickets.csv"
    path.write_text(FRESHDESK_CSV, encoding="utf-8")
    import_file(warehouse, path, preset="freshdesk", timezone="Asia/Shanghai")

    t = query(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id")
    assert list(t["ticket_id"]) == ["1", "2", "3"]
    # Shanghai is UTC+8 all year
    assert list(t["created_at"]) == [
        ts("2024-03-05 01:00"),
        ts("2024-03-06 15:50"),
        ts("2024-03-08 02:00"),
    ]
    assert t["first_response_at"].iloc[0] == ts("2024-03-05 01:30")
    assert t["first_response_at"].iloc[1] == ts("2024-03-06 16:10")
    assert t["solved_at"].iloc[0] == ts("2024-03-05 09:00")
    assert t["closed_at"].iloc[0] == ts("2024-03-07 09:00")
    assert list(t["status"]) == ["closed", "on_hold", "open"]
    assert list(t["priority"]) == ["normal", "urgent", "low"]
    assert list(t["channel"]) == ["email", "feedback_widget", "help_center"]  # Portal
    assert list(t["agent_replies"]) == [2, 1, 0]
    assert list(t["customer_contacts"]) == [1, 2, 1]
    assert list(t["customer_id"]) == ["wang@example.com", "zhao@example.com", "zhang@example.com"]
    first = json.loads(t["attributes"].iloc[0])
    assert first["Survey results"] == "Awesome"
    # a plain number in the "(in hrs)" columns is hours: 0.5 h = 30 min, 8 h = 480 min
    assert list(t["first_response_minutes"].fillna(-1)) == [30.0, 6.0, -1]
    assert list(t["resolution_minutes"].fillna(-1)) == [480.0, -1, -1]


def test_freshdesk_hh_mm_ss_durations_beyond_a_day_become_minutes(tmp_path, warehouse):
    # "(in hrs)" columns as hh:mm:ss text; hours run past 24
    lines = FRESHDESK_CSV.splitlines()
    body = "\n".join(lines) + "\n"
    body = body.replace(",0.5,8.0,", ",00:30:00,26:15:00,", 1)
    body = body.replace(",0.1,,", ",100:00:30,,", 1)
    path = tmp_path / "tickets.csv"
    path.write_text(body, encoding="utf-8")
    import_file(warehouse, path, preset="freshdesk", timezone="Asia/Shanghai")

    t = query(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id")
    assert t["first_response_minutes"].iloc[0] == 30.0
    assert t["resolution_minutes"].iloc[0] == 26 * 60 + 15
    assert t["first_response_minutes"].iloc[1] == 100 * 60 + 0.5
    assert pd.isna(t["resolution_minutes"].iloc[1])


def test_freshdesk_sources_map_to_standard_words_and_unknown_ones_pass_through(tmp_path, warehouse):
    lines = FRESHDESK_CSV.splitlines()
    body = "\n".join(lines) + "\n"
    path = tmp_path / "tickets.csv"
    sources = {"Email": "Outbound Email", "Feedback Widget": "MobiHelp", "Portal": "E-commerce"}
    for old, new in sources.items():
        body = body.replace(f",{old},", f",{new},", 1)
    path.write_text(body, encoding="utf-8")
    import_file(warehouse, path, preset="freshdesk", timezone="Asia/Shanghai")

    t = query(warehouse, "SELECT channel FROM raw_tickets ORDER BY ticket_id")
    assert list(t["channel"]) == ["email", "api", "E-commerce"]
