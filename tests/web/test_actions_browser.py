"""The actions pages in headless Chromium: the index and every action's page load in
English and Chinese without a script error, their charts draw, and the navigation and
the filter bar lead from one to the other with the filters kept."""

from __future__ import annotations

import httpx
import pytest

from cxlens.insights.actions import ACTIONS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("lang", "heading"), [("en", "What to change"), ("zh", "改进建议")])
def test_index_loads_in_each_language(served, page, lang, heading):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{served.url}/actions?lang={lang}", timeout=300_000)

    assert page.locator("h1").inner_text() == heading
    assert page.locator("section.action-summary").count() == len(ACTIONS)
    assert errors == []


@pytest.mark.parametrize("key", list(ACTIONS))
def test_each_action_draws_its_charts(served, page, key):
    shown = httpx.get(f"{served.url}/actions/{key}?format=json", timeout=300).json()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{served.url}/actions/{key}", timeout=300_000)

    assert page.locator("h1").inner_text() == shown["title"]
    assert page.locator("#action-lines li").all_inner_texts() == shown["lines"]
    for number in range(1, len(shown["figures"]) + 1):  # plotly drew each figure
        page.wait_for_selector(f"#action-chart-{number} .main-svg", timeout=60_000)
    assert page.locator("table.data").count() == len(shown["tables"])
    assert errors == []


def test_navigation_keeps_the_filters(served, page):
    page.goto(f"{served.url}/?period=90d&channel=email&lang=zh", timeout=300_000)
    page.click('nav a[href^="/actions"]')
    page.wait_for_url("**/actions?**")
    assert "channel=email" in page.url and "period=90d" in page.url

    page.click('section[data-action="bottlenecks"] h2 a')
    page.wait_for_url("**/actions/bottlenecks?**")
    assert "channel=email" in page.url
    assert page.locator("h1").inner_text() == "流程瓶颈"
