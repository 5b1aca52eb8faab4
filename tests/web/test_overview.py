"""The overview page and its JSON twin against counts made straight from the warehouse."""

from __future__ import annotations

import io

import httpx
import openpyxl
import pytest

from cxlens.web.filters import Filters


def tickets_created(project, first: str, last: str, channels: list[str] | None = None) -> int:
    """Unmerged tickets created on local days first..last (SQL, not the metric code)."""
    where = "created_at_local >= ?::DATE AND created_at_local < ?::DATE + 1 AND NOT coalesce(is_merged, false)"
    params: list = [first, last]
    if channels:
        where += f" AND channel IN ({', '.join('?' for _ in channels)})"
        params += channels
    with project.warehouse.connect(read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM tickets WHERE {where}", params).fetchone()[0]


def csat_by_hand(project, first: str, last: str) -> tuple[float, int]:
    """Satisfied (4-5 on the sample's 1-5 scale) over answered CSAT responses in the days."""
    with project.warehouse.connect(read_only=True) as con:
        satisfied, answered = con.execute(
            "SELECT count(*) FILTER (WHERE score >= 4), count(*) FROM survey_responses "
            "WHERE kind = 'csat' AND score IS NOT NULL AND responded_at_local >= ?::DATE "
            "AND responded_at_local < ?::DATE + 1",
            [first, last],
        ).fetchone()
    return satisfied / answered, answered


def cards(served, query: str = "") -> dict:
    answer = httpx.get(f"{served.url}/?format=json&{query}", timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_default_month_cards_match_the_warehouse(served, sample_project):
    view = cards(served)
    first, last = view["filters"]["from"], view["filters"]["to"]
    by_metric = {card["metric"]: card for card in view["cards"]}

    assert first.endswith("-01") and view["filters"]["period"] == "month"
    assert by_metric["tickets"]["value"] == tickets_created(sample_project, first, last)
    share, answered = csat_by_hand(sample_project, first, last)
    assert by_metric["csat"]["n"] == answered
    assert by_metric["csat"]["value"] == pytest.approx(share, abs=1e-4)


def test_previous_period_and_channel_filter(served, sample_project):
    view = cards(served, "period=custom&from=2025-03-01&to=2025-03-31&channel=email&channel=chat")
    tickets = next(card for card in view["cards"] if card["metric"] == "tickets")

    assert tickets["value"] == tickets_created(
        sample_project, "2025-03-01", "2025-03-31", ["email", "chat"]
    )
    # the period before a 31-day window is the 31 days before it
    assert tickets["previous_value"] == tickets_created(
        sample_project, "2025-01-29", "2025-02-28", ["email", "chat"]
    )
    assert view["filters"]["channel"] == ["email", "chat"]
    assert tickets["link"].startswith("/tickets?") and "channel=email" in tickets["link"]


def test_bad_filters_are_refused_with_a_reason(served):
    page = httpx.get(f"{served.url}/?period=fortnight", timeout=30)
    twin = httpx.get(f"{served.url}/?period=custom&from=2025-05-01&to=2025-04-01&format=json")

    assert page.status_code == 400 and "fortnight" in page.text
    assert twin.status_code == 400
    assert "after" in twin.json()["errors"][0]["problem"]


def test_exports_hold_the_cards_shown(served):
    view = cards(served, "period=90d")
    csv = httpx.get(f"{served.url}/?period=90d&format=csv", timeout=60)
    xlsx = httpx.get(f"{served.url}/?period=90d&format=xlsx", timeout=60)

    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + len(view["cards"])
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    ids = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids == [card["metric"] for card in view["cards"]]


def test_pages_carry_security_headers_and_local_assets(served):
    page = httpx.get(f"{served.url}/", timeout=60)
    plotly = httpx.get(f"{served.url}/static/plotly.min.js", timeout=30)

    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "https://" not in page.text and "http://cdn" not in page.text
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000


def test_query_round_trips_through_the_url():
    filters = Filters("custom", values={"channel": ("email", "a&b=c")}, lang="zh")

    query = filters.query(metric="fcr")

    assert "channel=a%26b%3Dc" in query and "metric=fcr" in query and "lang=zh" in query


@pytest.mark.parametrize("query", ["", "month=2025-03&channel=email", "month=2024-11&segment=vip"])
def test_a_month_read_from_monthly_rows_equals_the_month_computed_alone(sample_project, query):
    """The overview's two-call shortcut for a calendar month against five separate calls."""
    from starlette.datastructures import QueryParams

    from cxlens.metrics.compute import kpi_session
    from cxlens.web.filters import read_filters
    from cxlens.web.overview import figures

    filters = read_filters(QueryParams(query), None, "2025-06", "en")
    with kpi_session(sample_project.warehouse, sample_project.settings) as compute:
        shortcut = figures(compute, filters, "channel")
        alone = figures(compute, filters, "channel", by_month=False)

    for fast, slow in zip(shortcut, alone, strict=True):
        fast = fast[fast["value"].notna()]
        slow = slow[slow["value"].notna() & slow["metric"].isin(set(fast["metric"]))]
        keyed = [
            {
                (m, str(g)): (round(v, 9), n)
                for m, g, v, n in zip(f.metric, f.group, f.value, f.n, strict=True)
            }
            for f in (fast, slow)
        ]
        assert keyed[0] == keyed[1]


@pytest.mark.parametrize("metric", ["fcr", "nps"])
def test_the_groups_parts_add_up_to_the_change_the_cards_show(served, metric):
    """The "why" section's parts, over every group, sum to the card's own change."""
    query = f"month=2025-06&channel=email&explain={metric}&format=json"
    view = httpx.get(f"{served.url}/?{query}", timeout=120).json()
    card = next(card for card in view["cards"] if card["metric"] == metric)
    explained = view["explain"]

    for part in explained["parts"]:
        rows = httpx.get(
            f"{served.url}/api/v1/kpis",
            params={
                "by": part["dimension"],
                "metric": metric,
                "channel": "email",
                "from": "2025-06-01",
                "to": "2025-06-30",
            },
            timeout=120,
        ).json()
        assert sum(row["n"] for row in rows) == card["n"]  # the groups cover every record
    for part in explained["parts"]:  # the shown groups and "the other groups" add up
        shown = sum(row["contribution"] for row in part["rows"])
        rest = part["rest"]["contribution"] if part["rest"] else 0.0
        assert shown + rest == pytest.approx(card["change"], abs=1e-9)
    assert explained["now_text"] == card["value_text"]


def test_every_groups_parts_sum_exactly_to_the_change(sample_project):
    from starlette.datastructures import QueryParams

    from cxlens.metrics.compute import kpi_session
    from cxlens.web import explain
    from cxlens.web.filters import read_filters

    filters = read_filters(QueryParams("month=2025-06&channel=email"), None, "2025-06", "en")
    with kpi_session(sample_project.warehouse, sample_project.settings) as compute:
        current = compute((), ["fcr"], filters=filters.chosen, window=filters.window)
        before = compute((), ["fcr"], filters=filters.chosen, window=filters.previous().window)
        old_shown, explain.SHOWN = explain.SHOWN, 10_000  # every group, not the top five
        try:
            view = explain.explain_view(compute, filters, "fcr", sample_project.settings, {})
        finally:
            explain.SHOWN = old_shown

    change = current["value"].iloc[0] - before["value"].iloc[0]
    for part in view["parts"]:
        assert sum(row["contribution"] for row in part["rows"]) == pytest.approx(change)


def test_a_record_dated_today_or_later_does_not_move_the_default_month(sample_project, tmp_path):
    """A survey answered today on an old export, and a ticket mistyped into 2030, leave the
    default month on the newest ticket month (by SQL), not on an empty month."""
    import pandas as pd

    from conftest import live_server

    project = sample_project.copy(tmp_path / "project")
    with project.warehouse.connect(read_only=True) as con:
        newest = con.execute("SELECT max(created_at_local) FROM tickets").fetchone()[0]
    with live_server(project) as server:
        post_and_settle(server, {"ticket_id": "FUTURE-1", "created_at": "2030-01-01T09:00:00Z"})
        view = httpx.get(f"{server.url}/?format=json", timeout=120).json()

    # the newest ticket's month when the tickets reach its last day, else the month before
    month_end = (newest + pd.offsets.MonthEnd(0)).date()
    whole = newest.date() == month_end
    expected = newest if whole else newest.replace(day=1) - pd.Timedelta(days=1)
    assert view["filters"]["from"][:7] == f"{expected:%Y-%m}"
    assert any(card["metric"] == "tickets" for card in view["cards"])


def test_a_group_without_a_value_is_listed_and_the_json_stays_valid(sample_project, tmp_path):
    """A ticket posted without a team makes a "(not given)" row; the JSON twin carries
    its key as null (a NaN key once made the twin fail)."""
    from conftest import live_server

    project = sample_project.copy(tmp_path / "project")
    with live_server(project) as server:
        post_and_settle(server, {"ticket_id": "NO-TEAM-1", "created_at": "2025-06-10T09:00:00Z"})
        answer = httpx.get(f"{server.url}/?breakdown=team&format=json", timeout=120)

    assert answer.status_code == 200
    rows = answer.json()["breakdown"]["rows"]
    blank = [row for row in rows if row["key"] is None]
    assert len(blank) == 1 and blank[0]["focus"] is None
    tickets = next(cell for cell in blank[0]["cells"] if cell["metric"] == "tickets")
    with project.warehouse.connect(read_only=True) as con:
        by_sql = con.execute(
            "SELECT count(*) FROM tickets WHERE team IS NULL AND NOT coalesce(is_merged, false) "
            "AND created_at_local >= DATE '2025-06-01' AND created_at_local < DATE '2025-07-01'"
        ).fetchone()[0]
    assert tickets["value"] == by_sql >= 1


def test_survey_sends_and_future_dates_do_not_end_the_models_window(sample_project, tmp_path):
    """A link made today (a send without an answer) and a ticket dated 2030 leave the
    models' data end where the operation's records end (SQL before the writes)."""
    from cxlens.ingest.records import write_records
    from cxlens.models.dates import data_end

    project = sample_project.copy(tmp_path / "project")
    with project.warehouse.connect(read_only=True) as con:
        before = data_end(con)
    send = {
        "response_id": "link-today",
        "kind": "csat",
        "score": None,
        "responded_at": None,
        "sent_at": "2026-12-05T08:00:00Z",
    }
    write_records(project.warehouse, "survey_responses", [send], timezone="UTC",
                  allow_unanswered=True)  # fmt: skip
    write_records(
        project.warehouse,
        "tickets",
        [{"ticket_id": "FUTURE-2", "created_at": "2030-01-01T09:00:00Z"}],
        timezone="UTC",
    )
    from cxlens.clean import clean_warehouse

    clean_warehouse(project.warehouse, project.settings)
    with project.warehouse.connect(read_only=True) as con:
        after = data_end(con)

    assert after == before


def post_and_settle(server, ticket: dict) -> None:
    """Write one ticket as the API does (through the server's access) and wait for the
    clean that brings it into the KPIs."""
    from cxlens.ingest.records import write_records

    access = server.app.state.access
    access.write(lambda: write_records(access.warehouse, "tickets", [ticket], timezone="UTC"))
    assert access.settled(120)
