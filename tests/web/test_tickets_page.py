"""The tickets page: its drill-down lists against ``compute_kpis``'s n, the records behind
FCR and the backlog against a hand-made set, exports, paging and escaping."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import parse_qs, urlsplit

import httpx
import openpyxl
import pandas as pd
import pytest
from tickets_data import (
    BACKLOG_FEBRUARY,
    BACKLOG_MARCH,
    BACKLOG_MARCH_EMAIL,
    FCR_MARCH,
    FCR_MARCH_EMAIL,
    FCR_MARCH_YES,
    FORMULA_CATEGORY,
    SCRIPT_AGENT,
    SCRIPT_CATEGORY,
    hand_made_project,
)

from conftest import live_server
from cxlens.insights.labels import dimension_value
from cxlens.metrics.compute import compute_kpis
from cxlens.metrics.tickets import FAMILY
from cxlens.web.access import Access
from cxlens.web.filters import Filters
from cxlens.web.tickets import Choice, opened, records_behind, tickets_view


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):
    return hand_made_project(tmp_path_factory.mktemp("tickets-hand-made"))


@pytest.fixture(scope="module")
def hand_served(hand_made):
    with live_server(hand_made) as server:
        yield server


def busiest(project, column: str, k: int) -> list[str]:
    """The ``k`` most frequent values of a ticket column (SQL, for choosing filters)."""
    with project.warehouse.connect(read_only=True) as con:
        rows = con.execute(
            f"SELECT {column} FROM tickets WHERE {column} IS NOT NULL "
            f"GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ?",
            [k],
        ).fetchall()
    return [value for (value,) in rows]


def listed_per_kpi(project, filters: Filters) -> tuple[dict[str, int], dict[str, int]]:
    """(records the page lists, compute_kpis's n) for every ticket KPI with a figure."""
    kpis = compute_kpis(
        project.warehouse, project.settings, filters=filters.chosen, window=filters.window
    )
    expected = {
        metric: int(n)
        for metric, n in zip(kpis["metric"], kpis["n"], strict=True)
        if metric in FAMILY
    }
    access = Access(project.warehouse, project.settings)
    listed = {}
    with opened(access, filters) as request:
        for metric in expected:
            records = records_behind(request, metric)
            listed[metric] = int(request.execute(records.aggregate(n=records.count()))["n"][0])
    return listed, expected


def sample_filter_sets(project) -> dict[str, Filters]:
    channels = busiest(project, "channel", 2)
    category = busiest(project, "category", 1)
    agent = busiest(project, "agent_id", 1)
    march = {"first": date(2025, 3, 1), "last": date(2025, 3, 31)}
    return {
        "none": Filters("month", month="2025-05", first=date(2025, 5, 1), last=date(2025, 5, 31)),
        "one channel": Filters("custom", values={"channel": tuple(channels[:1])}, **march),
        "two channels and a category": Filters(
            "custom", values={"channel": tuple(channels), "category": tuple(category)}, **march
        ),
        "a custom window": Filters("custom", first=date(2024, 11, 15), last=date(2025, 2, 3)),
        "an agent (credit rules)": Filters("custom", values={"agent": tuple(agent)}, **march),
        "all data, a segment": Filters("all", values={"segment": ("vip",)}),
    }


@pytest.mark.parametrize(
    "name",
    [
        "none",
        "one channel",
        "two channels and a category",
        "a custom window",
        "an agent (credit rules)",
        "all data, a segment",
    ],
)
def test_drill_down_lists_as_many_records_as_each_kpis_n(sample_project, name):
    filters = sample_filter_sets(sample_project)[name]

    listed, expected = listed_per_kpi(sample_project, filters)

    # the sample has ticket events, SLA clocks and business hours: most of the family runs
    assert len(expected) >= 20, sorted(expected)
    assert sum(expected.values()) > 0
    assert listed == expected


def test_drill_down_lists_as_many_records_as_each_kpis_n_on_the_hand_made_set(hand_made):
    for filters in (
        Filters("custom", first=date(2024, 3, 1), last=date(2024, 3, 31)),
        Filters("custom", first=date(2024, 3, 1), last=date(2024, 3, 31),
                values={"channel": ("email",), "agent": ("A1",)}),
        Filters("all"),
    ):  # fmt: skip
        listed, expected = listed_per_kpi(hand_made, filters)
        assert {"tickets", "backlog", "fcr", "reopen_rate"} <= set(expected)
        assert listed == expected


def ids_and_flags(project, filters: Filters, metric: str) -> dict[str, object]:
    view = tickets_view(Access(project.warehouse, project.settings), filters, Choice(metric))
    table = view["tickets_table"]
    keys = table["keys"]
    flag = keys.index(metric) if metric in keys else None
    return {
        row[keys.index("ticket_id")]: (row[flag] if flag is not None else None)
        for row in table["rows"]
    }


def test_fcr_and_backlog_records_on_the_hand_made_set(hand_made):
    march = {"first": date(2024, 3, 1), "last": date(2024, 3, 31)}
    email = {"channel": ("email",)}

    fcr = ids_and_flags(hand_made, Filters("custom", **march), "fcr")
    assert set(fcr) == FCR_MARCH
    assert {ticket for ticket, flag in fcr.items() if flag == "yes"} == FCR_MARCH_YES
    assert set(ids_and_flags(hand_made, Filters("custom", values=email, **march), "fcr")) == (
        FCR_MARCH_EMAIL
    )
    assert set(ids_and_flags(hand_made, Filters("custom", **march), "backlog")) == BACKLOG_MARCH
    february = Filters("custom", first=date(2024, 2, 1), last=date(2024, 2, 29))
    assert set(ids_and_flags(hand_made, february, "backlog")) == BACKLOG_FEBRUARY
    backlog_email = ids_and_flags(hand_made, Filters("custom", values=email, **march), "backlog")
    assert set(backlog_email) == BACKLOG_MARCH_EMAIL


def test_backlog_ageing_on_the_hand_made_set(hand_made):
    access = Access(hand_made.warehouse, hand_made.settings)
    # T06, created 28 Feb 09:00, is 39 hours old at the end of 29 February (2024 leaps)
    february = tickets_view(
        access, Filters("custom", first=date(2024, 2, 1), last=date(2024, 2, 29)), Choice()
    )
    counts = {b["age"]: b["n"] for b in february["backlog_ageing"]["buckets"]}
    assert counts == {"0-1": 0, "1-3": 1, "3-7": 0, "7-30": 0, "30+": 0}
    # at the end of March T04/T05/T07/T08 are 27.6, 26.6, 25.6 and 21.6 days old
    march = tickets_view(
        access, Filters("custom", first=date(2024, 3, 1), last=date(2024, 3, 31)), Choice()
    )
    counts = {b["age"]: b["n"] for b in march["backlog_ageing"]["buckets"]}
    assert counts == {"0-1": 0, "1-3": 0, "3-7": 0, "7-30": 4, "30+": 0}


def open_at(tickets: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Unmerged tickets created before ``end`` and not solved (now) before it, in pandas."""
    tickets = tickets[~tickets["is_merged"].fillna(False).astype(bool)]
    solve = tickets["solved_at_local"].fillna(tickets["created_at_local"])
    solve = solve.where(solve > tickets["created_at_local"], tickets["created_at_local"])
    solved = tickets["is_solved"].fillna(tickets["solved_at_local"].notna()).astype(bool)
    return tickets[(tickets["created_at_local"] < end) & ~(solved & (solve < end))]


def test_backlog_ageing_buckets_and_their_links_on_the_sample(served, sample_project):
    with sample_project.warehouse.connect(read_only=True) as con:
        tickets = con.execute("SELECT * FROM tickets").df()
    end = pd.Timestamp("2025-04-01")
    ages = (end - open_at(tickets, end)["created_at_local"]).dt.total_seconds() / 86400
    by_hand = {
        "0-1": int((ages < 1).sum()),
        "1-3": int(((ages >= 1) & (ages < 3)).sum()),
        "3-7": int(((ages >= 3) & (ages < 7)).sum()),
        "7-30": int(((ages >= 7) & (ages < 30)).sum()),
        "30+": int((ages >= 30).sum()),
    }

    view = page_json(served, "period=month&month=2025-03")
    buckets = view["backlog_ageing"]["buckets"]
    assert {b["age"]: b["n"] for b in buckets} == by_hand
    assert view["backlog_ageing"]["total"] == sum(by_hand.values())
    for bucket in buckets:
        query = parse_qs(urlsplit(bucket["link"]).query)
        assert query["metric"] == ["backlog"] and query["age"] == [bucket["age"]]
        linked = httpx.get(f"{served.url}{bucket['link']}&format=json", timeout=120).json()
        assert linked["total"] == bucket["n"]


def page_json(served, query: str) -> dict:
    answer = httpx.get(f"{served.url}/tickets?format=json&{query}", timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_json_twin_filtered_by_channel_shows_only_that_channel(served, sample_project):
    channel = busiest(sample_project, "channel", 1)[0]
    view = page_json(served, f"period=month&month=2025-03&channel={channel}&metric=fcr")
    n = compute_kpis(
        sample_project.warehouse, sample_project.settings, metrics=["fcr"],
        filters={"channel": [channel]}, window=(date(2025, 3, 1), date(2025, 3, 31)),
    )["n"].iloc[0]  # fmt: skip

    assert view["total"] == view["check"]["listed"] == view["check"]["n"] == int(n)
    keys = view["tickets_table"]["keys"]
    shown = {row[keys.index("channel")] for row in view["tickets_table"]["rows"]}
    assert shown == {dimension_value("channel", channel, "en")}
    assert len(view["tickets_table"]["rows"]) == min(100, int(n))


def test_pages_hold_a_hundred_newest_first(served, sample_project):
    first = page_json(served, "period=all")
    second = page_json(served, "period=all&page=2")
    with sample_project.warehouse.connect(read_only=True) as con:
        newest = con.execute(
            "SELECT ticket_id FROM tickets WHERE NOT coalesce(is_merged, false) "
            "ORDER BY created_at_local DESC, ticket_id DESC LIMIT 101"
        ).fetchall()
    keys = first["tickets_table"]["keys"]
    ids = [row[keys.index("ticket_id")] for row in first["tickets_table"]["rows"]]

    assert first["total"] == second["total"]
    assert ids == [ticket for (ticket,) in newest[:100]]
    assert second["tickets_table"]["rows"][0][0] == newest[100][0]
    assert first["paging"]["next"] and "page=2" in first["paging"]["next"]


def test_unusable_parameters_are_refused_with_a_message(served):
    for query, says in (
        ("metric=csat", "not a ticket KPI"),
        ("age=2-5", "age must be one of"),
        ("metric=fcr&age=0-1", "backlog only"),
        ("page=0", "page must be"),
    ):
        answer = httpx.get(f"{served.url}/tickets?format=json&{query}", timeout=60)
        assert answer.status_code == 400
        assert says in answer.json()["errors"][0]["problem"]


def test_csv_and_xlsx_exports_hold_every_row_neutralised(hand_served):
    base = f"{hand_served.url}/tickets?period=all"
    view = httpx.get(f"{base}&format=json", timeout=60).json()
    raw = httpx.get(f"{base}&format=csv", timeout=60).content
    workbook = httpx.get(f"{base}&format=xlsx", timeout=60).content

    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert view["total"] == len(body) == 9  # ten tickets, one merged
    category = [row[header.index("Category")] for row in body]
    assert "'" + FORMULA_CATEGORY in category and FORMULA_CATEGORY not in category
    assert SCRIPT_CATEGORY in category  # text, kept as written

    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert list(cells[0]) == header and len(cells) - 1 == len(body)
    assert sorted(str(row[0]) for row in cells[1:]) == sorted(row[0] for row in body)


def test_export_of_a_drill_down_keeps_its_metric_and_every_page(served):
    query = "period=all&metric=reopen_rate"
    view = page_json(served, query)
    raw = httpx.get(f"{served.url}/tickets?{query}&format=csv", timeout=120).content
    body = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:]

    assert view["total"] > 100 and len(body) == view["total"]
    html = httpx.get(f"{served.url}/tickets?{query}", timeout=120).text
    assert "format=csv&amp;metric=reopen_rate" in html


def test_script_payloads_are_shown_as_text(hand_served):
    html = httpx.get(f"{hand_served.url}/tickets?period=all", timeout=60).text

    assert "<script>window.__xss" not in html
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html
    assert SCRIPT_AGENT not in html


def test_a_survey_answers_ticket_link_lists_that_ticket_alone(served, sample_project):
    with sample_project.warehouse.connect(read_only=True) as con:
        ticket, channel = con.execute(
            "SELECT ticket_id, channel FROM tickets WHERE ticket_id IN "
            "(SELECT ticket_id FROM survey_responses WHERE ticket_id IS NOT NULL) LIMIT 1"
        ).fetchone()

    view = httpx.get(
        f"{served.url}/tickets",
        params={"ticket": ticket, "period": "all", "format": "json"},
        timeout=120,
    ).json()

    assert view["total"] == 1 and view["check"]["agrees"] is None
    assert view["tickets_table"]["rows"][0][0] == ticket
