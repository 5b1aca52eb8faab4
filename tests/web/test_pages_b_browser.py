"""The customer and data-quality pages in headless Chromium: both load in English and
Chinese, the segment filter and the churn drill-down work through the URL, and a
customer name holding a script shows as text without running."""

from __future__ import annotations

import csv

import httpx
import pytest

from conftest import live_server
from cxlens.clean import clean_warehouse
from cxlens.ingest.importer import import_file

pytestmark = pytest.mark.browser

SCRIPT_NAME = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("path", "lang", "heading"),
    [
        ("/customers", "en", "Customers"),
        ("/customers", "zh", "客户"),
        ("/quality", "en", "Data quality"),
        ("/quality", "zh", "数据质量"),
    ],
)
def test_page_loads_in_each_language(served, page, path, lang, heading):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{served.url}{path}?lang={lang}", timeout=300_000)

    assert page.locator("h1").inner_text() == heading
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")
    assert page.locator("table.data").count() >= 1
    assert errors == []


def test_language_switch_keeps_the_sort(served, page):
    page.goto(f"{served.url}/customers?period=all&sort=risk", timeout=300_000)
    page.click("#language-switch")
    page.wait_for_url("**lang=zh**")

    assert page.locator("h1").inner_text() == "客户"
    assert page.locator("a.sort-risk").get_attribute("aria-current") == "true"


def test_segment_filter_and_churn_drill_down(served, page):
    page.goto(f"{served.url}/customers?period=all", timeout=300_000)
    page.select_option("#filter-segment", ["vip"])
    page.click("#filter-apply")
    page.wait_for_url("**segment=vip**")

    segments = page.locator("#customer-table tbody tr td:nth-child(3)").all_inner_texts()
    assert segments and set(segments) == {"vip"}

    page.click('[data-metric="churn_rate"]')
    page.wait_for_url("**metric=churn_rate**")
    twin = httpx.get(f"{served.url}/customers?period=all&segment=vip&format=json", timeout=300)
    churn = next(c for c in twin.json()["cards"] if c["metric"] == "churn_rate")
    shown = page.locator("#customer-count").inner_text()
    assert f"{churn['n']} customers" in shown


def test_a_script_in_a_customer_name_shows_as_text(sample_project, tmp_path, page):
    project = sample_project.copy(tmp_path / "project")
    with live_server(project) as server:  # the customer the churn drill-down lists first
        first = httpx.get(f"{server.url}/customers?metric=churn_rate&format=json", timeout=300)
    listed = dict(zip(first.json()["keys"], first.json()["table"]["rows"][0], strict=True))

    renamed = tmp_path / "customers.csv"
    with renamed.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["customer_id", "name", "segment"])
        writer.writerow([listed["customer_id"], SCRIPT_NAME, listed["segment"]])
    import_file(project.warehouse, renamed, table="customers", timezone=project.settings.timezone)
    clean_warehouse(project.warehouse, project.settings)

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with live_server(project) as server:
        page.goto(f"{server.url}/customers?metric=churn_rate", timeout=300_000)
        first_row = page.locator("#customer-table tbody tr").first
        assert first_row.locator("td").nth(0).inner_text() == listed["customer_id"]
        assert first_row.locator("td").nth(1).inner_text() == SCRIPT_NAME
    assert dialogs == []
    assert page.locator("#customer-table script").count() == 0
