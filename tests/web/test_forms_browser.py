"""A customer answers a survey on a phone: Chromium at 360 x 740, touch, no CDN."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import live_server, local_only
from cxlens.web.links import make_links

pytestmark = pytest.mark.browser

XSS = "<script>alert(1)</script>"
PHONE = {"width": 360, "height": 740}
THUMB_PX = 44  # the smallest comfortable touch target (Apple's Human Interface Guidelines)


@pytest.fixture
def phone(browser):
    """A touch phone's tab that may reach 127.0.0.1 only; alerts are recorded."""
    context = local_only(browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True))
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


@pytest.fixture
def links(sample_project, tmp_path):
    project = sample_project.copy(tmp_path / "warehouse")
    with project.warehouse.connect(read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT ticket_id FROM tickets LIMIT 3").fetchall()]
    made = make_links(
        project.warehouse, "nps", ids, base_url="http://127.0.0.1", expires_in=timedelta(days=1)
    )
    with live_server(project) as server:
        yield server, made


def no_horizontal_scroll(tab) -> bool:
    return tab.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_answer_on_a_phone(phone, links):
    server, (link, *_) = links
    phone.goto(f"{server.url}/s/{link.text}?lang=en")
    assert no_horizontal_scroll(phone)
    for score in range(11):
        box = phone.locator(f"label.score:has(#score-{score})").bounding_box()
        assert box["width"] >= THUMB_PX and box["height"] >= THUMB_PX

    phone.locator("label.score:has(#score-9)").tap()
    assert phone.locator("#score-9").is_checked()
    phone.fill("#comment", "quick and kind " + XSS)
    phone.locator("#survey-submit").tap()
    phone.wait_for_selector("#thanks")
    assert "Thank you" in phone.inner_text("#thanks")
    assert no_horizontal_scroll(phone)

    access = server.app.state.access
    assert access.settled(120)
    with access.reading() as con:
        stored = con.execute(
            "SELECT score, comment FROM survey_responses WHERE response_id = ?",
            [f"link-{link.link_id}"],
        ).fetchall()
    assert stored == [(9, "quick and kind " + XSS)]
    assert phone.dialogs == []


def test_switch_to_chinese(phone, links):
    server, (_, link, _) = links
    phone.goto(f"{server.url}/s/{link.text}?lang=en")
    assert "recommend" in phone.inner_text("#question")
    phone.locator("#language-switch").tap()
    phone.wait_for_url("**lang=zh")
    assert "推荐" in phone.inner_text("#question")
    assert "完全不可能" in phone.inner_text("#low-end")
    assert no_horizontal_scroll(phone)


def test_refused_score_shows_the_comment_as_text(phone, links):
    server, (*_, link) = links
    phone.goto(f"{server.url}/s/{link.text}?lang=en")
    # A tampered form (a score off the scale) comes back with the typed comment.
    phone.evaluate("document.getElementById('score-10').value = '11'")
    phone.locator("label.score:has(#score-10)").tap()
    phone.fill("#comment", XSS)
    with phone.expect_navigation():
        phone.locator("#survey-submit").tap()
    assert "from 0 to 10" in phone.inner_text("#form-problem")
    assert phone.input_value("#comment") == XSS
    assert phone.locator("main script").count() == 0
    assert phone.dialogs == []
