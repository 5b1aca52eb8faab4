"""The tickets page in headless Chromium: the filter bar narrows the list through the URL,
a backlog-ageing link and an overview card open the records behind them, and script
payloads in the data stay text."""

from __future__ import annotations

import httpx
import pytest
from tickets_data import SCRIPT_AGENT, SCRIPT_CATEGORY, hand_made_project

from conftest import live_server
from cxlens.insights.labels import dimension_value

pytestmark = pytest.mark.browser


def column_texts(page, key: str) -> list[str]:
    return page.locator(f'#tickets-list td[data-key="{key}"]').all_inner_texts()


def test_channel_filter_and_ageing_link(served, sample_project, page):
    outside, errors = [], []
    page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    with sample_project.warehouse.connect(read_only=True) as con:
        (channel,) = con.execute(
            "SELECT channel FROM tickets GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    page.goto(f"{served.url}/tickets?period=90d")

    page.select_option("#filter-channel", [channel])
    page.click("#filter-apply")
    page.wait_for_url(f"**channel={channel}**")

    shown = column_texts(page, "channel")
    assert shown and set(shown) == {dimension_value("channel", channel, "en")}
    assert outside == [] and errors == []

    first = page.locator("a.age-link").first
    expected = int(page.locator("#backlog-ageing td.number").first.inner_text())
    first.click()
    page.wait_for_url("**metric=backlog**")
    assert "age=0-1" in page.url and f"channel={channel}" in page.url
    assert int(page.locator("#tickets-total").get_attribute("data-total")) == expected
    assert len(column_texts(page, "ticket_id")) == min(expected, 100)


@pytest.mark.parametrize("metric", ["tickets", "fcr"])
def test_overview_card_opens_as_many_records_as_its_n(served, page, metric):
    page.goto(f"{served.url}/?period=90d")
    card = page.locator(f'a.card[data-metric="{metric}"]')
    overview = httpx.get(f"{served.url}/?period=90d&format=json", timeout=120).json()
    n = next(c["n"] for c in overview["cards"] if c["metric"] == metric)

    card.click()
    page.wait_for_url(f"**/tickets?**metric={metric}**")

    assert int(page.locator("#tickets-total").get_attribute("data-total")) == n
    assert int(page.locator("#tickets-check").get_attribute("data-n")) == n


def test_script_payloads_stay_text_in_the_dom(tmp_path, page):
    project = hand_made_project(tmp_path / "hand-made")
    with live_server(project) as server:
        page.goto(f"{server.url}/tickets?period=all")

        categories = column_texts(page, "category")
        agents = column_texts(page, "agent")
        injected = page.evaluate(
            "() => [window.__xss === undefined, document.querySelectorAll('img').length,"
            " document.querySelectorAll('script:not([src]):not([type=\"application/json\"])')"
            ".length]"
        )

    assert SCRIPT_CATEGORY in categories
    assert any(SCRIPT_AGENT in agent for agent in agents)
    assert injected == [True, 0, 0]
