"""The monthly report end to end: a small cleaned warehouse in, HTML, XLSX and CSV out.

The warehouse is written straight into DuckDB with the cleaned-table layout
(docs/architecture.md), 14 months of tickets and CSAT answers ending on
2024-03-31, so that March 2024 is the latest complete month with a previous
month and a month a year before. Every expected number is computed here from
the same records with plain pandas, or read from ``compute_kpis``, never from
the report's own output.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxlens.settings import Settings
from cxlens.store import Warehouse

metrics = pytest.importorskip("cxlens.metrics", reason="cxlens.metrics.compute_kpis not landed yet")

SCRIPT = "<script>alert(1)</script>"
FORMULA = "=1+1"
# Text a spreadsheet would run or link; the workbook must keep each exactly as written.
UNTRUSTED = ["@SUM(A1)", '=HYPERLINK("http://127.0.0.1/x","click")', "https://127.0.0.1/page"]
MONTH = "2024-03"
# Agents a1 and a2 have names (one looks like a formula), a3 has none.
AGENT_NAMES = {"a1": "Ada Wu 吴雅", "a2": "=cmd|' /C calc'!A0"}
# Orders from 2021 only: churn has no value in the report's 18 months, historical CLV
# covers all the data. Net revenue per customer by hand: C900 100 + 50 = 150,
# C901 80 − 30 (refund) = 50 (the cancelled 999 does not count), C902 40; mean 80.
ORDERS = pd.DataFrame(
    {
        "order_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
        "customer_id": ["C900", "C900", "C901", "C901", "C901", "C902"],
        "ordered_at_local": pd.to_datetime(
            ["2021-01-05", "2021-02-10", "2021-01-20", "2021-03-01", "2021-03-02", "2021-02-14"]
        ),
        "amount": [100.0, 50.0, 80.0, 30.0, 999.0, 40.0],
        "currency": "CNY",
        "status": ["completed", "completed", "completed", "refunded", "cancelled", None],
    }
)
CLV_BY_HAND = (150 + 50 + 40) / 3

T, S, F, N, B = "TIMESTAMP", "VARCHAR", "DOUBLE", "BIGINT", "BOOLEAN"
TICKETS = {
    "ticket_id": S,
    "created_at_local": T,
    "customer_id": S,
    "channel": S,
    "category": S,
    "priority": S,
    "status": S,
    "agent_id": S,
    "team": S,
    "first_response_at_local": T,
    "first_solved_at_local": T,
    "solved_at_local": T,
    "reopens": N,
    "agent_replies": N,
    "customer_contacts": N,
    "merged_into": S,
    "is_merged": B,
    "is_solved": B,
    "first_response_min": F,
    "resolution_min": F,
    "first_resolution_min": F,
    "answered": B,
    "quality_flags": S,
}
RESPONSES = {
    "response_id": S, "kind": S, "score": F, "scale_min": F, "scale_max": F, "customer_id": S,
    "ticket_id": S, "agent_id": S, "channel": S, "responded_at_local": T, "comment": S,
}  # fmt: skip
ORDER = {
    "order_id": S, "customer_id": S, "ordered_at": T, "ordered_at_local": T, "amount": F,
    "currency": S, "status": S,
}  # fmt: skip


def make_tickets(seed: int = 7) -> pd.DataFrame:
    """About 40 tickets a month from 2023-02 to 2024-03, with durations and flags."""
    rng = np.random.default_rng(seed)
    count = 560
    start = pd.Timestamp("2023-02-01")
    span_minutes = (pd.Timestamp("2024-03-31 23:00") - start).total_seconds() / 60
    created = start + pd.to_timedelta(np.sort(rng.uniform(0, span_minutes, count)), unit="min")
    created = created.floor("min")
    first_response = np.round(rng.gamma(2.0, 40.0, count), 1)
    resolution = np.round(first_response + rng.gamma(2.0, 600.0, count), 1)
    solved = created + pd.to_timedelta(resolution, unit="min")
    frame = pd.DataFrame(
        {
            "ticket_id": [f"T{i:04d}" for i in range(count)],
            "created_at_local": created,
            "customer_id": [f"C{i % 90:03d}" for i in range(count)],
            "channel": rng.choice(["email", "chat", "phone", "wechat"], count),
            "category": rng.choice(["billing", "delivery", "account"], count),
            "priority": "normal",
            "status": "solved",
            "agent_id": rng.choice(["a1", "a2", "a3"], count),
            "team": rng.choice(["north", "south"], count),
            "first_response_at_local": created + pd.to_timedelta(first_response, unit="min"),
            "first_solved_at_local": solved,
            "solved_at_local": solved,
            "reopens": rng.choice([0, 0, 0, 1], count),
            "agent_replies": rng.choice([1, 1, 2, 3], count),
            "first_response_min": first_response,
            "resolution_min": resolution,
            "first_resolution_min": resolution,
            "is_merged": False,
            "is_solved": True,
            "quality_flags": None,
        }
    )
    march = frame.index[frame["created_at_local"] >= pd.Timestamp("2024-03-01")]
    frame.loc[march[:3], "quality_flags"] = "resolution_before_creation"
    frame.loc[march[:3], ["resolution_min", "first_resolution_min"]] = None
    frame.loc[march[3], "quality_flags"] = "duplicate_suspect;resolution_before_creation"
    frame.loc[march[4], ["is_merged", "merged_into"]] = (True, frame.loc[march[5], "ticket_id"])
    frame.loc[march[6], "category"] = '=HYPERLINK("x")'
    return frame


def make_responses(tickets: pd.DataFrame, seed: int = 11) -> pd.DataFrame:
    """A CSAT answer (1–5) for about two tickets in three, an hour after the solve."""
    rng = np.random.default_rng(seed)
    answered = tickets[(rng.uniform(size=len(tickets)) < 0.67) & ~tickets["is_merged"]]
    count = len(answered)
    frame = pd.DataFrame(
        {
            "response_id": [f"R{i:04d}" for i in range(count)],
            "kind": "csat",
            "score": rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], count, p=[0.05, 0.05, 0.1, 0.3, 0.5]),
            "scale_min": 1.0,
            "scale_max": 5.0,
            "customer_id": answered["customer_id"].to_numpy(),
            "ticket_id": answered["ticket_id"].to_numpy(),
            "agent_id": answered["agent_id"].to_numpy(),
            "channel": answered["channel"].to_numpy(),
            "responded_at_local": (answered["solved_at_local"] + pd.Timedelta(hours=1)).to_numpy(),
            "comment": None,
        }
    )
    in_march = frame.index[frame["responded_at_local"].dt.strftime("%Y-%m") == MONTH]
    frame.loc[in_march[0], ["score", "comment"]] = (1.0, SCRIPT)
    frame.loc[in_march[1], ["score", "comment"]] = (5.0, FORMULA)
    frame.loc[in_march[2], "comment"] = "回复很快，谢谢"
    for offset, text in enumerate(UNTRUSTED, start=3):
        frame.loc[in_march[offset], "comment"] = text
    return frame


def write_table(
    con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, types: dict
) -> None:
    for column in types:
        if column not in frame:
            frame = frame.assign(**{column: None})
    frame = frame.astype(object).where(frame.notna(), None)
    con.register("incoming", frame)
    casts = ", ".join(f'CAST("{c}" AS {kind}) AS "{c}"' for c, kind in types.items())
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT {casts} FROM incoming')
    con.unregister("incoming")


def write_cleaning_log(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE cleaning_log (rule VARCHAR, table_name VARCHAR, rows BIGINT, "
        "example_keys VARCHAR[], description VARCHAR)"
    )
    con.execute(
        "INSERT INTO cleaning_log VALUES "
        "('resolution_before_creation', 'tickets', 4, ['T0001', 'T0002'], "
        "'resolution before creation set to null'), "
        "('exact_duplicates', 'tickets', 0, [], 'identical rows removed')"
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("report")
    tickets = make_tickets()
    responses = make_responses(tickets)
    warehouse = Warehouse(folder / "cxlens.duckdb")
    with warehouse.transaction() as con:
        write_table(con, "tickets", tickets, TICKETS)
        write_table(con, "survey_responses", responses, RESPONSES)
        write_table(con, "orders", ORDERS.assign(ordered_at=ORDERS["ordered_at_local"]), ORDER)
        agents = pd.DataFrame(
            {"agent_id": ["a1", "a2", "a3"], "name": [*AGENT_NAMES.values(), None]}
        )
        write_table(con, "agents", agents, {"agent_id": S, "name": S})
        write_cleaning_log(con)
    return {"warehouse": warehouse, "tickets": tickets, "responses": responses, "folder": folder}


def settings_in(language: str) -> Settings:
    return Settings(timezone="UTC", language=language)


@pytest.fixture(scope="module")
def english(project) -> dict[str, Path]:
    from cxlens.report import write_report

    return write_report(project["warehouse"], settings_in("en"), project["folder"] / "en")


@pytest.fixture(scope="module")
def chinese(project) -> dict[str, Path]:
    from cxlens.report import write_report

    return write_report(project["warehouse"], settings_in("zh"), project["folder"] / "zh")


def march(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[frame[column].dt.strftime("%Y-%m") == MONTH]


def csat_in_march(project) -> tuple[float, int]:
    """CSAT by hand: answers 4–5 over answers, March responses (1–5 scale)."""
    answers = march(project["responses"], "responded_at_local")
    return float((answers["score"] >= 4).mean()), len(answers)


def kpi(project, metric: str, month: str = MONTH) -> float:
    frame = metrics.compute_kpis(
        project["warehouse"], settings_in("en"), by=["month"], metrics=[metric]
    )
    return float(frame.loc[frame["period"] == month, "value"].iloc[0])


def card_html(html: str, metric: str) -> str:
    match = re.search(
        rf'<div class="card[^"]*" data-metric="{metric}">(.*?)</div>\s*(?=<div class="card|</div>)',
        html,
        re.S,
    )
    assert match, f"no card for {metric}"
    return match.group(1)


# --- HTML ---------------------------------------------------------------------------------


def test_html_loads_no_script_style_or_font_from_anywhere(english):
    html = english["html"].read_text(encoding="utf-8")
    sources = re.findall(
        r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?([^\"' >]+)", html, re.I
    )
    assert sources == []
    assert not re.search(r"@import|url\(\s*[\"']?https?:", html, re.I)


def test_html_inlines_plotly_exactly_once(english):
    from plotly.offline import get_plotlyjs

    html = english["html"].read_text(encoding="utf-8")
    bundle_start = get_plotlyjs()[:400]
    assert html.count(bundle_start) == 1
    assert html.count("Plotly.newPlot(") >= 3


def test_html_shows_a_comment_script_as_text(english):
    # Comments come from customers: the payload must reach the reader as text.
    html = english["html"].read_text(encoding="utf-8")
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_csat_card_shows_the_value_compute_kpis_gives(english, project):
    by_hand, answers = csat_in_march(project)
    assert kpi(project, "csat") == pytest.approx(by_hand)
    card = unescape(card_html(english["html"].read_text(encoding="utf-8"), "csat"))
    assert f"{by_hand * 100:.1f}%" in card
    assert f"n = {answers}" in card


def test_first_response_markers_are_the_kpis_of_the_cards(english, project):
    # FR-5: every output shows the same value; here the histogram's median line.
    tickets = march(project["tickets"], "created_at_local")
    median = tickets.loc[~tickets["is_merged"], "first_response_min"].median()
    html = english["html"].read_text(encoding="utf-8")
    assert f"median {median:,.1f} min" in html


def test_heatmap_counts_the_months_tickets(english, project):
    tickets = march(project["tickets"], "created_at_local")
    arrivals = int((~tickets["is_merged"]).sum())
    html = english["html"].read_text(encoding="utf-8")
    assert re.search(rf'<section id="heatmap">.*?Tickets: {arrivals}</p>', html, re.S)


def test_chinese_report_speaks_chinese(chinese, english):
    zh = chinese["html"].read_text(encoding="utf-8")
    en = english["html"].read_text(encoding="utf-8")
    assert '<div class="name">客户满意度</div>' in zh
    assert '<div class="name">CSAT</div>' not in zh
    assert '<div class="name">CSAT</div>' in en
    for english_heading in ("Key figures", "Monthly trends", "Breakdowns", "Cleaning log"):
        assert english_heading not in zh
        assert english_heading in en


def test_month_without_a_year_before_shows_a_dash_and_says_why(project):
    from cxlens.report import write_report

    paths = write_report(
        project["warehouse"], settings_in("en"), project["folder"] / "early", month="2023-03"
    )
    card = unescape(card_html(paths["html"].read_text(encoding="utf-8"), "csat"))
    year_before = card.split("vs a year before")[1]
    assert "2022-03: —" in year_before
    assert "— · no data" in year_before
    answers = project["responses"]
    answers = answers[answers["responded_at_local"].dt.strftime("%Y-%m") == "2023-03"]
    assert f"{(answers['score'] >= 4).mean() * 100:.1f}%" in card


def test_report_month_defaults_to_the_latest_complete_month(english):
    html = english["html"].read_text(encoding="utf-8")
    assert f"<title>Customer service monthly report · {MONTH}</title>" in html


# --- XLSX ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(english):
    import openpyxl

    return openpyxl.load_workbook(english["xlsx"])


def test_workbook_has_the_report_sheets(workbook):
    expected = {"Summary", "Trends", "Breakdowns", "Tickets", "Cleaning log", "Definitions"}
    assert expected <= set(workbook.sheetnames)


def test_tickets_sheet_has_one_row_per_ticket_of_the_month(workbook, project):
    with duckdb.connect(str(project["warehouse"].location), read_only=True) as con:
        count = con.execute(
            "SELECT count(*) FROM tickets WHERE strftime(created_at_local, '%Y-%m') = ?", [MONTH]
        ).fetchone()[0]
    sheet = workbook["Tickets"]
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] is not None]
    assert len(ids) == count == len(march(project["tickets"], "created_at_local"))
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref


def test_trends_sheet_carries_a_native_chart(workbook):
    assert len(workbook["Trends"]._charts) >= 1


def test_summary_formats_rates_as_percentages(workbook, project):
    sheet = workbook["Summary"]
    row = next(r for r in sheet.iter_rows(min_row=1) if r[0].value == "CSAT")
    assert row[1].number_format == "0.0%"
    assert row[1].value == pytest.approx(csat_in_march(project)[0])


def summary_row(sheet, name: str) -> list:
    return next(r for r in sheet.iter_rows(min_row=1) if r[0].value == name)


def test_summary_gives_a_rate_change_in_percentage_points(workbook, chinese_workbook, project):
    # The HTML card says "−3.3 pp"; the workbook must hold −3.3 in points, not −3.3 %.
    answers = project["responses"]
    month = answers["responded_at_local"].dt.strftime("%Y-%m")
    by_month = (answers["score"] >= 4).groupby(month).mean()
    change_in_points = (by_month["2024-03"] - by_month["2024-02"]) * 100
    for book, name, unit in (
        (workbook, "CSAT", "pp"),
        (chinese_workbook, "客户满意度", "个百分点"),
    ):
        change = summary_row(book.worksheets[0], name)[6]
        assert change.value == pytest.approx(change_in_points)
        assert f'" {unit}"' in change.number_format and "%" not in change.number_format


def test_summary_changes_carry_the_unit_words_of_the_html_card(workbook, english):
    # Every KPI's change speaks the HTML card's unit: pp for rates, pts for NPS, min for times.
    html = unescape(english["html"].read_text(encoding="utf-8"))
    rows = {row[0].value: row for row in workbook["Summary"].iter_rows(min_row=6)}
    checked = 0
    for metric in re.findall(r'data-metric="([a-z_0-9]+)"', html):
        card = card_html(html, metric)
        row = next((r for name, r in rows.items() if name and f">{name}<" in card), None)
        if row is None or row[6].value is None:
            continue
        unit = next((u for u in ("pp", "pts", "min") if re.search(rf"[+-][\d.,]+ {u}", card)), "")
        assert (f'" {unit}"' in row[6].number_format) == bool(unit), metric
        assert "%" not in row[6].number_format, metric
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize(
    ("book", "sheet", "words"),
    [
        (
            "workbook",
            "Tickets",
            {"Priority": {"normal"}, "Status": {"solved"}, "Merged": ("yes", "no")},
        ),
        (
            "chinese_workbook",
            "工单",
            {"优先级": {"普通"}, "状态": {"已解决"}, "已合并": ("是", "否")},
        ),
    ],
)
def test_tickets_sheet_shows_codes_and_flags_as_words(book, sheet, words, request, project):
    # Every generated ticket is "normal" and "solved"; exactly one March ticket is merged.
    rows = list(request.getfixturevalue(book)[sheet].iter_rows(values_only=True))
    columns = {header: [row[i] for row in rows[1:]] for i, header in enumerate(rows[0])}
    merged_by_hand = int(march(project["tickets"], "created_at_local")["is_merged"].sum())
    yes, no = words["Merged" if "Merged" in words else "已合并"]
    merged = columns["Merged" if "Merged" in columns else "已合并"]
    assert merged.count(yes) == merged_by_hand == 1
    assert merged.count(no) == len(merged) - 1
    for header in list(words)[:2]:
        assert set(columns[header]) == words[header]


def cells_holding(sheet, text: str) -> list:
    return [cell for row in sheet.iter_rows() for cell in row if cell.value == text]


@pytest.mark.parametrize("text", [FORMULA, *UNTRUSTED])
def test_formula_like_comment_is_the_exact_text_in_a_string_cell(workbook, text):
    # A string cell is never evaluated: no apostrophe, no quote prefix, no link.
    cells = cells_holding(workbook["Comments"], text)
    assert len(cells) == 1
    cell = cells[0]
    assert (cell.value, cell.data_type) == (text, "s")
    assert not cell.quotePrefix
    assert cell.hyperlink is None


def test_formula_like_category_is_the_exact_text(workbook):
    cells = cells_holding(workbook["Tickets"], '=HYPERLINK("x")')
    assert len(cells) == 1 and cells[0].data_type == "s" and not cells[0].quotePrefix


def test_workbook_holds_no_apostrophe_prefixed_text(workbook):
    prefixed = [
        cell.coordinate
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("'")
    ]
    assert prefixed == []


# --- CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["kpis_csv", "tickets_csv"])
def test_csv_starts_with_a_byte_order_mark(english, kind):
    assert english[kind].read_bytes()[:3] == b"\xef\xbb\xbf"


def test_tickets_csv_neutralises_formulas_and_lists_the_month(english, project):
    frame = pd.read_csv(english["tickets_csv"], encoding="utf-8-sig", dtype=str)
    assert len(frame) == len(march(project["tickets"], "created_at_local"))
    assert '\'=HYPERLINK("x")' in set(frame["category"])


def test_kpis_csv_holds_the_same_csat_as_compute_kpis(english, project):
    frame = pd.read_csv(english["kpis_csv"], encoding="utf-8-sig")
    row = frame[(frame["metric"] == "csat") & (frame["period"] == MONTH) & (frame["group"] == "{}")]
    assert row["value"].iloc[0] == pytest.approx(kpi(project, "csat"))


# --- terminal summary ---------------------------------------------------------------------


def test_kpi_summary_names_the_month_and_csat(project):
    from cxlens.insights import kpi_summary

    text = kpi_summary(project["warehouse"], settings_in("en"))
    by_hand, answers = csat_in_march(project)
    assert text.splitlines()[0] == "KPIs for 2024-03 (compared with 2024-02 and 2023-03)"
    csat_line = next(line for line in text.splitlines() if line.strip().startswith("CSAT"))
    assert f"{by_hand * 100:.1f}%" in csat_line and f"n={answers}" in csat_line


def test_kpi_summary_of_an_empty_warehouse_says_so(tmp_path):
    from cxlens.insights import kpi_summary

    warehouse = Warehouse(tmp_path / "empty.duckdb")
    with warehouse.transaction() as con:
        write_table(con, "tickets", pd.DataFrame({"ticket_id": []}), TICKETS)
    assert kpi_summary(warehouse, settings_in("zh")) == "无法计算指标：数据仓库中没有带日期的记录。"


# --- labels shown to readers --------------------------------------------------------------

RAW_NAME = re.compile(r"^[a-z]+(_[a-z]+)+$")  # a warehouse column name such as responded_at_local


@pytest.fixture(scope="module")
def chinese_workbook(chinese):
    import openpyxl

    return openpyxl.load_workbook(chinese["xlsx"])


@pytest.mark.parametrize("book", ["workbook", "chinese_workbook"])
def test_no_sheet_header_is_a_raw_column_name(book, request):
    opened = request.getfixturevalue(book)
    raw = {
        (sheet.title, cell.value)
        for sheet in opened.worksheets
        for cell in next(sheet.iter_rows(max_row=1))
        if isinstance(cell.value, str) and RAW_NAME.match(cell.value)
    }
    assert raw == set()


def test_chinese_comments_sheet_header_is_chinese(chinese_workbook):
    headers = [cell.value for cell in next(chinese_workbook["评价留言"].iter_rows(max_row=1))]
    assert "回复时间（当地）" in headers and "responded_at_local" not in headers


ENGLISH_RULES = ("resolution before creation set to null", "identical rows removed")


def test_chinese_report_has_no_english_rule_descriptions(chinese, english, chinese_workbook):
    zh = chinese["html"].read_text(encoding="utf-8")
    en = english["html"].read_text(encoding="utf-8")
    cleaning = zh.split('<section id="cleaning">')[1].split("</section>")[0]
    sheet_text = {c.value for row in chinese_workbook["清洗日志"].iter_rows() for c in row}
    for description in ENGLISH_RULES:
        assert description in en
        assert description not in zh and description not in sheet_text
    assert ">tickets<" not in cleaning and ">工单<" in cleaning


# --- agents by name -----------------------------------------------------------------------


def breakdown_section(html: str, title: str) -> str:
    return html.split(f"<h3>{title}</h3>")[1].split("</table>")[0]


def test_agent_breakdown_shows_name_and_id(english, workbook):
    agents = unescape(breakdown_section(english["html"].read_text(encoding="utf-8"), "Agent"))
    expected = {f"{name} ({agent})" for agent, name in AGENT_NAMES.items()} | {"a3"}
    assert set(re.findall(r"<tr><td>(.*?)</td>", agents)) == expected
    groups = {row[1] for row in workbook["Breakdowns"].iter_rows(min_row=2, values_only=True)}
    assert expected <= groups


def test_kpis_csv_keeps_agent_ids_as_groups(english):
    frame = pd.read_csv(english["kpis_csv"], encoding="utf-8-sig", dtype=str)
    agents = {group for group in frame["group"] if '"agent"' in group}
    assert agents == {f'{{"agent": "{agent}"}}' for agent in ("a1", "a2", "a3")}


# --- kpis.csv holds what the report shows -------------------------------------------------


def test_kpis_csv_holds_the_all_data_clv(english, project):
    frame = pd.read_csv(english["kpis_csv"], encoding="utf-8-sig")
    row = frame[frame["metric"] == "clv_historical_mean"]
    whole = metrics.compute_kpis(
        project["warehouse"], settings_in("en"), metrics=["clv_historical_mean"]
    )
    assert list(row["period"]) == ["all"]
    assert row["value"].iloc[0] == pytest.approx(CLV_BY_HAND) == whole["value"].iloc[0]
    card = unescape(card_html(english["html"].read_text(encoding="utf-8"), "clv_historical_mean"))
    assert f"{CLV_BY_HAND:,.2f}" in card and "n = 3" in card


def test_kpis_csv_holds_nothing_the_report_does_not_show(english, workbook):
    frame = pd.read_csv(english["kpis_csv"], encoding="utf-8-sig", dtype={"period": str})
    months = [row[0] for row in workbook["Trends"].iter_rows(min_row=2, values_only=True)]
    # the trend months run from the first month with data (2023-02) to the report month
    assert months[0] == "2023-02" and months[-1] == MONTH
    assert set(frame["period"]) <= set(months) | {"all"}
    html = unescape(english["html"].read_text(encoding="utf-8"))
    from cxlens.insights import kpi_name

    assert [m for m in set(frame["metric"]) if kpi_name(m, "en") not in html] == []
    # the mean CSAT score is computed but shown nowhere, so it is not exported
    assert "csat_mean" not in set(frame["metric"])
    # the 2021 churn months lie outside the report's 18 months
    assert not ((frame["metric"] == "churn_rate") & frame["value"].notna()).any()


def test_kpis_csv_monthly_csat_matches_the_trends_sheet(english, workbook):
    frame = pd.read_csv(english["kpis_csv"], encoding="utf-8-sig", dtype={"period": str})
    csat = frame[(frame["metric"] == "csat") & (frame["group"] == "{}")].set_index("period")
    sheet = list(workbook["Trends"].iter_rows(values_only=True))
    column = sheet[0].index("CSAT")
    trend = {row[0]: row[column] for row in sheet[1:]}
    assert set(csat.index) == set(trend)
    for month, value in trend.items():
        assert csat.loc[month, "value"] == pytest.approx(value, nan_ok=True)


# --- trends and cards ---------------------------------------------------------------------


def test_a_kpi_without_data_in_the_trend_months_gets_a_sentence_not_a_chart(english):
    html = english["html"].read_text(encoding="utf-8")
    trends = html.split('<section id="trends">')[1].split("</section>")[0]
    assert "<h3>Churn rate</h3>" in trends
    assert "No data in the months shown (2023-02 to 2024-03)." in trends
    cards = html.count('<div class="card" data-metric=')
    assert trends.count("Plotly.newPlot(") == cards - 1


def test_legend_says_medians_and_counts_carry_no_interval(english, chinese):
    en = english["html"].read_text(encoding="utf-8")
    zh = chinese["html"].read_text(encoding="utf-8")
    assert "Medians, percentiles and counts carry no interval" in en and "10%" in en
    assert "中位数、百分位数和计数没有置信区间" in zh
