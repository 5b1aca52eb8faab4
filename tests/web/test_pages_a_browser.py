"""The agents and surveys pages in headless Chromium: they load and draw, the language
switches, and a script payload in a survey comment stays text."""

from __future__ import annotations

import csv

import pytest

from conftest import live_server
from cxlens.clean import clean_warehouse
from cxlens.ingest import import_file

pytestmark = pytest.mark.browser

PAYLOAD = "<img src=x onerror=alert(1)>"


def test_agents_page_loads_and_switches_language(served, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{served.url}/agents?period=90d")

    assert page.locator("h1").inner_text() == "Agents"
    assert page.locator("#agents-table tbody tr.agent-row").count() > 10
    assert "never ranked by a score" in page.locator("#agents-rules").inner_text()

    page.click("#language-switch")
    page.wait_for_url("**lang=zh**")
    assert page.locator("h1").inner_text() == "客服表现"
    assert "period=90d" in page.url
    assert errors == []


def test_surveys_page_draws_and_switches_language(served, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{served.url}/surveys?period=90d")

    assert page.locator("h1").inner_text() == "Surveys"
    page.wait_for_selector("#chart-csat-0 .main-svg")  # Plotly drew the distribution
    assert page.locator("#responses-table tbody tr").count() == 50

    page.click("#language-switch")
    page.wait_for_url("**lang=zh**")
    assert page.locator("h1").inner_text() == "满意度调查"
    assert errors == []


def test_a_script_payload_in_a_comment_shows_as_text(sample_project, tmp_path, page):
    project = sample_project.copy(tmp_path / "xss")
    responses = tmp_path / "responses.csv"
    with responses.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["response_id", "kind", "score", "responded_at", "channel", "comment"])
        writer.writerow(["XSS-1", "csat", "1", "2025-06-30 23:59:59", "email", PAYLOAD])
    import_file(project.warehouse, responses, table="survey_responses", timezone="Asia/Shanghai")
    clean_warehouse(project.warehouse, project.settings)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    with live_server(project) as server:
        page.goto(f"{server.url}/surveys?period=custom&from=2025-06-30&to=2025-06-30")
        row = page.locator('#responses-table tr[data-response="XSS-1"]')
        shown = row.locator("td.comment").inner_text()
        images = page.locator("#responses-table img").count()
        page.wait_for_timeout(300)  # give an injected onerror handler time to fire

    assert shown == PAYLOAD
    assert images == 0
    assert dialogs == []
