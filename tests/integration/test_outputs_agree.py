"""One project, every output: the same KPI shows the same value everywhere (issue 3, part 6).

A tiny project in Asia/Kolkata (UTC+5:30), built by hand, goes through ``cxlens run``
(report.html, report.xlsx, kpis.csv, tickets.csv) and ``cxlens kpis`` in its three
formats. Every expected value below is computed by hand in the comments; each test
reads one figure in every output that shows it (the HTML with a parser, the workbook
with openpyxl) and compares it with the hand value, so two outputs can only agree by
both being right.

The tickets, in local time (IST) unless the UTC file holds them:

    T0  created 10 Feb 10:00, reply 10:20 (20 min), solved 12:00 (120 min)      billing
    T1  created Fri 1 Mar 16:00, reply Mon 4 Mar 10:00 (66 h = 3960 min),
        solved 4 Mar 12:00 (68 h = 4080 min); case FR-5                           weekend
    T2  created 5 Mar 09:00, reply 09:30 (30), solved 11:00 (120), 1 reopen      billing
    T3  (UTC file) created 1 Mar 20:00 UTC = 2 Mar 01:30 IST, reply +60, open;
        case FR-6                                                                 billing
    T4  (UTC file) created 29 Feb 20:00 UTC = 1 Mar 01:30 IST, reply +10,
        solved 29 Feb 22:00 UTC = 1 Mar 03:30 IST (120 min): March, not February  billing

March 2024 by hand: tickets T1–T4 = 4; first responses 10, 30, 60, 3960: median
(30 + 60) / 2 = 45, mean 4060 / 4 = 1015, p90 at rank 0.9 × 3 = 2.7: 60 + 0.7 × 3900
= 2790. Solved in March: T1, T2, T4; resolution 4080, 120, 120: median 120, mean
4320 / 3 = 1440. FCR: T1 and T4 (no reopen, one reply) of 3 = 2/3; reopen rate 1/3.
SLA 24 h, judged up to the tickets' latest time (T2's solve, 5 Mar 11:00): due in March
T1 (breached, 3960 > 1440), T3, T4 (met) = 2/3; T2's target (6 Mar 09:00) has not fallen
due. Backlog at
the end of March: T3 = 1. CSAT answers 5, 4, (blank), 2: 2 of 3 satisfied (SV-3);
CSAT mean 11 / 3. NPS 9, 10, 10, 6: 100 × (3 − 1) / 4 = +50 (SV-2).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cxlens.insights import kpi_name

CXLENS = [sys.executable, "-m", "cxlens"]
MONTH = "2024-03"

SETTINGS = """\
[project]
timezone = "Asia/Kolkata"
language = "en"
warehouse = "cx.duckdb"

[business_hours]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]

[sla]
first_response = "24h"

[[sources]]
table = "tickets"
path = "tickets_local.csv"

[[sources]]
table = "tickets"
path = "tickets_utc.csv"
timezone = "UTC"

[[sources]]
table = "survey_responses"
path = "surveys.csv"
"""
HEADER = "ticket_id,created_at,channel,category,status,agent_id,first_response_at,solved_at,"
HEADER += "reopens,agent_replies\n"
TICKETS_LOCAL = (
    HEADER
    + """\
T0,2024-02-10 10:00,email,billing,solved,A,2024-02-10 10:20,2024-02-10 12:00,0,1
T1,2024-03-01 16:00,email,weekend,solved,A,2024-03-04 10:00,2024-03-04 12:00,0,1
T2,2024-03-05 09:00,chat,billing,solved,B,2024-03-05 09:30,2024-03-05 11:00,1,2
"""
)
TICKETS_UTC = (
    HEADER
    + """\
T3,2024-03-01 20:00,email,billing,open,A,2024-03-01 21:00,,0,1
T4,2024-02-29 20:00,phone,billing,solved,B,2024-02-29 20:10,2024-02-29 22:00,0,1
"""
)
SURVEYS = """\
response_id,kind,score,ticket_id,responded_at
R1,csat,5,T1,2024-03-04 13:00
R2,csat,4,T2,2024-03-05 12:00
R3,csat,,T3,2024-03-06 12:00
R4,csat,2,T4,2024-03-07 12:00
R5,nps,9,T1,2024-03-04 13:00
R6,nps,10,T2,2024-03-05 12:00
R7,nps,10,T3,2024-03-06 12:00
R8,nps,6,T4,2024-03-10 12:00
"""

# March 2024, no dimension: (hand value, how the report page writes it).
MARCH = {
    "tickets": (4, "4"),
    "csat": (2 / 3, "66.7%"),
    "nps": (50.0, "+50.0"),
    "first_response_median_min": (45.0, "45.0 min"),
    "first_response_p90_min": (2790.0, "2,790.0 min"),
    "resolution_median_min": (120.0, "120.0 min"),
    "fcr": (2 / 3, "66.7%"),
    "reopen_rate": (1 / 3, "33.3%"),
    "sla_first_response": (2 / 3, "66.7%"),
    "backlog": (1, "1"),
}
# Shown by `cxlens kpis` only (the report has no card for them).
MARCH_CLI_ONLY = {"csat_mean": 11 / 3, "first_response_mean_min": 1015.0,
                  "resolution_mean_min": 1440.0}  # fmt: skip
BUSINESS = "first_response_business_median_min"
# (KPI, command-line formats, spawned in parallel once the run has built the warehouse)
CALLS = {
    f"{grouping}-{fmt}": ["kpis", "--by", grouping, "--format", fmt]
    for grouping in ("month", "month,category", "day")
    for fmt in ("json", "csv", "table")
}


def cx(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*CXLENS, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict:
    """Run the project once; return every output, parsed, by name."""
    root = tmp_path_factory.mktemp("agree")
    files = {"cxlens.toml": SETTINGS, "tickets_local.csv": TICKETS_LOCAL,
             "tickets_utc.csv": TICKETS_UTC, "surveys.csv": SURVEYS}  # fmt: skip
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    finished(cx(["run", "--silent", "--month", MONTH, "--out", "out"], root))
    running = {name: cx(args, root) for name, args in CALLS.items()}
    outputs = {name: finished(process) for name, process in running.items()}
    parsed = {}
    for grouping in ("month", "month,category", "day"):
        parsed[grouping] = {
            "json": from_json(outputs[f"{grouping}-json"]),
            "csv": from_csv(outputs[f"{grouping}-csv"]),
            "table": from_table(outputs[f"{grouping}-table"]),
        }
    parsed["root"] = root
    return parsed


# --- readers: each output to {(metric, period, group text): value} -------------------


def group_text(group: dict) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(group.items()))


def from_json(text: str) -> dict:
    return {
        (r["metric"], r["period"], group_text(r["group"])): r["value"] for r in json.loads(text)
    }


def from_csv(text: str, bom: bool = False) -> dict:
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff") if bom else text))
    return {
        (r["metric"], r["period"], group_text(json.loads(r["group"] or "{}"))): (
            None if r["value"] in ("", "None") else float(r["value"])
        )
        for r in rows
    }


def from_table(text: str) -> dict:
    """The rich table: cells cut at the header's column starts, values as people read them."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0]
    starts = [header.index(f" {name} ") + 1 for name in ("metric", "period", "group", "value")]
    starts.append(header.index(" n ") + 1)
    cells = {}
    for line in lines[1:]:
        metric, period, group, value = (
            line[a:b].strip() for a, b in zip(starts, starts[1:], strict=False)
        )
        group = ",".join(sorted(part.strip() for part in group.split(",") if part.strip()))
        cells[(metric, period, group)] = value
    return cells


class Page(HTMLParser):
    """The report page as (tag, attributes, text, children) nodes, scripts left out."""

    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.root = {"tag": "root", "attrs": {}, "text": [], "children": []}
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = {"tag": tag, "attrs": dict(attrs), "text": [], "children": []}
        self.stack[-1]["children"].append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        while len(self.stack) > 1:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        if self.stack[-1]["tag"] not in ("script", "style"):
            self.stack[-1]["text"].append(data)


def nodes(node, predicate):
    if predicate(node):
        yield node
    for child in node["children"]:
        yield from nodes(child, predicate)


def own_text(node) -> str:
    return "".join(node["text"]).strip()


def classed(name):
    return lambda node: name in node["attrs"].get("class", "").split()


@pytest.fixture(scope="module")
def page(project) -> dict:
    parser = Page()
    parser.feed((project["root"] / "out" / "report.html").read_text(encoding="utf-8"))
    return parser.root


def html_cards(page) -> dict[str, str]:
    """Month cards (not the all-data ones): metric id → the value as written."""
    cards = nodes(page, lambda n: classed("card")(n) and not classed("all-data")(n))
    return {
        card["attrs"]["data-metric"]: own_text(next(nodes(card, classed("value"))))
        for card in cards
    }


def html_breakdown(page, title: str) -> dict[tuple[str, str], str]:
    """One breakdown table of the page: (group label, column header) → the value as written."""
    section = next(nodes(page, lambda n: n["attrs"].get("id") == "breakdowns"))
    children = section["children"]
    for index, child in enumerate(children):
        if child["tag"] == "h3" and own_text(child) == title:
            table = next(nodes(children[index + 1], lambda n: n["tag"] == "table"))
            break
    else:
        raise AssertionError(f"no breakdown table {title!r}")
    headers = [own_text(th) for th in nodes(table, lambda n: n["tag"] == "th")]
    cells = {}
    for tr in nodes(next(nodes(table, lambda n: n["tag"] == "tbody")), lambda n: n["tag"] == "tr"):
        tds = [td for td in tr["children"] if td["tag"] == "td"]
        for header, td in zip(headers[1:], tds[1:], strict=True):
            cells[(own_text(tds[0]), header)] = own_text(td)
    return cells


@pytest.fixture(scope="module")
def workbook(project):
    openpyxl = pytest.importorskip("openpyxl")
    return openpyxl.load_workbook(project["root"] / "out" / "report.xlsx", read_only=True)


def sheet_rows(workbook, name: str) -> list[tuple]:
    return [row for row in workbook[name].iter_rows(values_only=True) if any(row)]


@pytest.fixture(scope="module")
def report_csv(project) -> dict:
    return from_csv((project["root"] / "out" / "kpis.csv").read_text(encoding="utf-8"), bom=True)


def cli_number(value: float) -> str:
    """How `cxlens kpis --format table` writes a value (read off the contract's examples):
    whole numbers with separators, others to four significant digits."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.4g}"


# --- the tests -------------------------------------------------------------------------


@pytest.mark.parametrize("metric", list(MARCH))
def test_march_kpi_is_the_hand_value_in_every_output(project, page, workbook, report_csv, metric):
    value, on_page = MARCH[metric]
    key = (metric, MONTH, "")
    assert project["month"]["json"][key] == pytest.approx(value, abs=5e-5)  # JSON rounds to 4
    assert project["month"]["csv"][key] == pytest.approx(value, abs=5e-5)
    assert project["month"]["table"][key] == cli_number(round(value, 4))
    assert report_csv[key] == pytest.approx(value, rel=1e-12)
    assert html_cards(page)[metric] == on_page
    summary = {row[0]: row[1] for row in sheet_rows(workbook, "Summary")[3:]}
    assert summary[kpi_name(metric, "en")] == pytest.approx(value, rel=1e-12)
    trends = sheet_rows(workbook, "Trends")
    march = next(row for row in trends if row[0] == MONTH)
    assert march[trends[0].index(kpi_name(metric, "en"))] == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("metric", list(MARCH_CLI_ONLY))
def test_march_means_agree_in_every_command_line_format(project, metric):
    value = MARCH_CLI_ONLY[metric]
    key = (metric, MONTH, "")
    assert project["month"]["json"][key] == pytest.approx(value, abs=5e-5)
    assert project["month"]["csv"][key] == pytest.approx(value, abs=5e-5)
    assert project["month"]["table"][key] == cli_number(round(value, 4))


def test_empty_february_survey_months_are_null_everywhere(project, workbook):
    # case SV-3: no CSAT answers in February → null (not 0 %) in JSON, CSV, table, workbook.
    key = ("csat", "2024-02", "")
    assert project["month"]["json"][key] is None
    assert project["month"]["csv"][key] is None
    assert project["month"]["table"][key] == "null"
    trends = sheet_rows(workbook, "Trends")
    february = next(row for row in trends if row[0] == "2024-02")
    assert february[trends[0].index("CSAT")] is None


def test_calendar_first_response_over_a_weekend_is_66_hours_everywhere(
    project, page, workbook, report_csv
):
    # case FR-5 (calendar half): created Fri 16:00, first reply Mon 10:00 = 66 h = 3960 min;
    # T1 is the only ticket of category "weekend", so its median is its own value.
    metric = "first_response_median_min"
    key = (metric, MONTH, "category=weekend")
    for fmt in ("json", "csv"):
        assert project["month,category"][fmt][key] == 66 * 60
    assert project["month,category"]["table"][key] == "3,960"
    assert report_csv[key] == 66 * 60
    assert html_breakdown(page, "Category")[("weekend", kpi_name(metric, "en"))] == "3,960.0 min"
    rows = sheet_rows(workbook, "Breakdowns")
    [cell] = [row[4] for row in rows if row[1] == "weekend" and row[3] == metric]
    assert cell == 66 * 60


def test_business_first_response_over_a_weekend_is_2_hours_everywhere(
    project, page, workbook, report_csv
):
    # case FR-5 (business half): hours Mon–Fri 09:00–17:00; Fri 16:00–17:00 and Mon
    # 09:00–10:00 are the only business minutes between creation and reply: 120.
    key = (BUSINESS, MONTH, "category=weekend")
    for fmt in ("json", "csv"):
        assert project["month,category"][fmt][key] == 120
    assert project["month,category"]["table"][key] == "120"
    assert report_csv[key] == 120
    assert html_breakdown(page, "Category")[("weekend", kpi_name(BUSINESS, "en"))] == "120.0 min"
    rows = sheet_rows(workbook, "Breakdowns")
    [cell] = [row[4] for row in rows if row[1] == "weekend" and row[3] == BUSINESS]
    assert cell == 120


def test_a_ticket_created_1_march_2000_utc_belongs_to_2_march_in_kolkata(project, workbook):
    # case FR-6: 1 Mar 20:00 UTC is 2 Mar 01:30 IST. By day: 1 Mar holds T4 (01:30) and
    # T1 (16:00), 2 Mar holds T3, 29 Feb holds none (T4's UTC day) and is null.
    expected = {"2024-02-29": None, "2024-03-01": 2, "2024-03-02": 1}
    for day, count in expected.items():
        key = ("tickets", day, "")
        assert project["day"]["json"][key] == count
        assert project["day"]["csv"][key] == count
        assert project["day"]["table"][key] == ("null" if count is None else str(count))
    report_tickets = from_tickets_csv(project["root"] / "out" / "tickets.csv")
    assert report_tickets["T3"] == "2024-03-02 01:30:00"
    assert report_tickets["T4"] == "2024-03-01 01:30:00"  # in the March report, not February
    sheet = sheet_rows(workbook, "Tickets")
    created = {row[0]: str(row[1]) for row in sheet[1:]}
    assert created["T3"].startswith("2024-03-02 01:30")


def from_tickets_csv(path: Path) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8").lstrip("\ufeff")))
    return {row["ticket_id"]: row["created_at_local"] for row in rows}
