"""The actions on the dashboard, in the report and in the CLI say the same thing.

Each action's page (``/actions/{key}``) is checked against the action's view computed
directly for the same month, in Chinese and English; the report's section against the
page; a table's export against the view's whole table; and the CLI's JSON against the
page where the command takes the same window.
"""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import sys
from datetime import date, timedelta

import httpx
import pandas as pd
import pytest

from cxlens.insights.actions import ACTIONS, Scope, action_view

CJK = re.compile(r"[\u4e00-\u9fff]")
# the command of each action, and whether it takes --from/--to (the page's window)
COMMANDS = {
    "coaching": ("coach", True),
    "bottlenecks": ("bottlenecks", True),
    "staffing": ("staffing", False),
    "tiers": ("tiers", False),
    "topics": ("topics", True),
    "alerts": ("alerts", False),
}


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served.url, timeout=300) as client:
        yield client


@pytest.fixture(scope="module")
def month(client) -> str:
    """The page's default month (the latest complete one), as the overview shows it."""
    return client.get("/?format=json").json()["filters"]["from"][:7]


def month_scope(month: str) -> Scope:
    year, number = map(int, month.split("-"))
    first = date(year, number, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Scope(window=(first, last))


@pytest.mark.parametrize("key", list(ACTIONS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_is_the_view(client, sample_project, month, key, lang):
    page = client.get(f"/actions/{key}?period=month&month={month}&lang={lang}&format=json")
    assert page.status_code == 200, page.text
    shown = page.json()
    view = action_view(
        key, sample_project.warehouse, sample_project.settings, lang, month_scope(month)
    )

    assert view.missing is None, view.missing  # the sample supports every action
    assert shown["lines"] == view.lines and len(view.lines) >= 1
    assert shown["method"] == view.method
    assert shown["action_covering"] == view.covering != ""  # the records it looked at
    assert [t["key"] for t in shown["tables"]] == [t.key for t in view.tables]
    for table in view.tables:
        assert len(shown[table.key]["rows"]) == len(table.frame)
    if lang == "zh":  # Chinese words, not only data values
        assert CJK.search(view.title) and CJK.search(view.method)


def test_index_lists_every_action(client, month):
    index = client.get(f"/actions?period=month&month={month}&format=json").json()
    assert [a["key"] for a in index["actions"]] == list(ACTIONS)
    for action in index["actions"]:
        page = client.get(f"/actions/{action['key']}?period=month&month={month}&format=json")
        assert action["lines"] == page.json()["lines"][:3]
    body = client.get("/actions").text
    assert 'href="/actions?' in body  # the navigation names the page


def test_export_holds_the_whole_table(client, sample_project, month):
    view = action_view(
        "tiers", sample_project.warehouse, sample_project.settings, "en", month_scope(month)
    )
    table = view.tables[-1]
    response = client.get(f"/actions/tiers?period=month&month={month}&table={table.key}&format=csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    exported = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    assert list(exported.columns) == [str(c) for c in table.frame.columns]
    assert len(exported) == len(table.frame)
    counts = [c for c, kind in table.formats.items() if kind == "count"]
    assert counts  # the table has whole-number columns, and they export as such
    text = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", dtype=str)
    for column in counts:
        shown = text[str(column)].dropna()
        assert not shown.str.contains(r"\.").any(), column
        assert (shown.astype(int) == table.frame[column].dropna().astype(int).values).all()


def test_unknown_action_is_404(client):
    response = client.get("/actions/astrology")
    assert response.status_code == 404
    answer = client.get("/actions/astrology?format=json")
    assert answer.status_code == 404
    assert "coaching" in answer.text  # the error names the actions there are


def test_report_sections_are_the_pages(client, sample_project, month, tmp_path):
    from cxlens.report import write_report

    paths = write_report(sample_project.warehouse, sample_project.settings, tmp_path, month)
    page = paths["html"].read_text(encoding="utf-8")
    for key in ACTIONS:
        section = re.search(
            rf'<div class="action" id="action-{key}".*?(?=<div class="action" |</section>)',
            page,
            re.S,
        )
        assert section, key
        lines = [
            html.unescape(re.sub(r"<[^>]+>", "", item))
            for item in re.findall(r"<li>(.*?)</li>", section.group(0), re.S)
        ]
        shown = client.get(f"/actions/{key}?period=month&month={month}&format=json").json()
        assert lines == shown["lines"], key

    from openpyxl import load_workbook

    sheets = load_workbook(paths["xlsx"], read_only=True).sheetnames
    titles = [client.get(f"/actions/{k}?format=json").json()["title"] for k in ACTIONS]
    assert all(title[:31] in sheets for title in titles)


@pytest.mark.parametrize("key", [k for k, (_, window) in COMMANDS.items() if window])
def test_cli_json_is_the_page(client, sample_project, month, key):
    command, _ = COMMANDS[key]
    scope = month_scope(month)
    result = subprocess.run(
        [
            sys.executable, "-m", "cxlens", command, "--db", str(sample_project.warehouse.path),
            "--from", scope.first.isoformat(), "--to", scope.last.isoformat(),
            "--lang", "zh", "--format", "json",
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    shown = client.get(f"/actions/{key}?period=month&month={month}&lang=zh&format=json").json()
    assert printed["lines"] == shown["lines"]
