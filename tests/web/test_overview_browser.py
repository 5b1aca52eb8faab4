"""The overview in headless Chromium: cards drawn, the filter bar drives them through the
URL, the language switches, and the page asks nothing of any other host."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_filter_bar_drives_the_cards_through_the_url(served, page):
    outside, errors = [], []
    page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{served.url}/?period=90d")
    before = int(
        page.locator('.card[data-metric="tickets"] .card-value').inner_text().replace(",", "")
    )

    page.select_option("#filter-channel", ["email"])
    page.click("#filter-apply")
    page.wait_for_url("**channel=email**")

    after = int(
        page.locator('.card[data-metric="tickets"] .card-value').inner_text().replace(",", "")
    )
    twin = httpx.get(f"{served.url}/?period=90d&channel=email&format=json", timeout=60).json()
    expected = next(c["value"] for c in twin["cards"] if c["metric"] == "tickets")
    assert after == expected < before
    assert page.locator("#filter-channel option:checked").all_inner_texts() != []
    assert outside == [] and errors == []


def test_language_switch_and_card_drill_down(served, page):
    page.goto(f"{served.url}/?period=90d")

    page.click("#language-switch")
    page.wait_for_url("**lang=zh**")
    assert page.locator("h1").inner_text() == "总览"

    link = page.locator('.card[data-metric="fcr"]').get_attribute("href")
    assert link.startswith("/tickets?") and "metric=fcr" in link and "lang=zh" in link
