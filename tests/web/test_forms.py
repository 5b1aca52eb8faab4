"""Survey forms on a live server: the form, the answer counted once, refusals, limits.

Links come from ``make_links`` on a copy of the sample; counts are read back with SQL
and with ``compute_kpis`` before and after, and the difference is worked out by hand.
While the server runs, the test reaches the warehouse only through the server's own
``Access`` (DuckDB allows one kind of connection to a file per process).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pandas as pd
import pytest

from conftest import Project, live_server
from cxlens.metrics import compute_kpis
from cxlens.web.forms import COMMENT_MAX_CHARS, FORM_MAX_BYTES, SubmissionLimiter
from cxlens.web.links import make_links

XSS = "<script>alert(1)</script>"


@pytest.fixture
def project(sample_project, tmp_path) -> Project:
    return sample_project.copy(tmp_path / "warehouse")


@pytest.fixture
def server(project):
    with live_server(project) as running:
        yield running


def ticket_links(project, kind="csat", n=1, offset=0, **options):
    """``n`` links for sample tickets (by id order), made before the server opens the file."""
    with project.warehouse.connect(read_only=True) as con:
        ids = [
            row[0]
            for row in con.execute(
                "SELECT ticket_id FROM tickets ORDER BY ticket_id LIMIT ? OFFSET ?", [n, offset]
            ).fetchall()
        ]
    options.setdefault("expires_in", timedelta(days=7))
    return make_links(
        project.warehouse, kind, ids, base_url="http://127.0.0.1", subject_type="ticket", **options
    )


def sql(server, query: str, params: list | None = None) -> list[tuple]:
    access = server.app.state.access
    with access.reading() as con:
        return con.execute(query, params or []).fetchall()


def csat_counts(server, project) -> dict[str, tuple[int, int]]:
    """{period: (satisfied, n)} of the csat KPI by month and over all the data."""
    access = server.app.state.access
    frames = access.run(
        lambda: [
            compute_kpis(project.warehouse, project.settings, by, ["csat"])
            for by in (["month"], [])
        ]
    )
    counts = {}
    for frame in frames:
        for period, value, n in zip(frame["period"], frame["value"], frame["n"], strict=True):
            if pd.notna(n) and n:  # skip periods without responses
                counts[period] = (round(value * n), int(n))
    return counts


def answer(server, link, score="5", comment="", **extra):
    data = {"score": score, "comment": comment, **extra}
    return httpx.post(f"{server.url}/s/{link.text}", data=data, timeout=60)


def radio_values(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'type="radio" name="score" value="(\d+)"', html)]


# -- the form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "scores", "english", "chinese"),
    [
        ("csat", list(range(1, 6)), "How satisfied", "满意"),
        ("nps", list(range(11)), "recommend", "推荐"),
        ("ces", list(range(1, 8)), "How easy", "容易"),
    ],
)
def test_form_in_english_and_chinese(project, kind, scores, english, chinese):
    (link,) = ticket_links(project, kind)
    ticket = link.subject_id
    with project.warehouse.connect(read_only=True) as con:
        customer, agent = con.execute(
            "SELECT customer_id, agent_id FROM tickets WHERE ticket_id = ?", [ticket]
        ).fetchone()

    with live_server(project) as server:
        in_english = httpx.get(f"{server.url}/s/{link.text}?lang=en", timeout=60)
        in_chinese = httpx.get(f"{server.url}/s/{link.text}?lang=zh", timeout=60)

    assert in_english.status_code == 200
    assert in_chinese.status_code == 200
    assert english in in_english.text and chinese not in in_english.text
    assert chinese in in_chinese.text
    assert radio_values(in_english.text) == scores
    assert f"ticket {ticket}" in in_english.text
    # The page names the ticket and nothing else about it.
    assert customer not in in_english.text and agent not in in_english.text
    assert 'href="/s/' in in_english.text and "lang=zh" in in_english.text  # the switch
    assert "<script" not in in_english.text  # works without JavaScript; CSP has no inline
    assert in_english.headers["cache-control"] == "no-store"


def test_link_language_then_project_language(project):
    chinese_link, plain_link = (
        ticket_links(project, n=1, lang="zh")[0],
        ticket_links(project, n=1, offset=1)[0],
    )
    with live_server(project) as server:
        chinese = httpx.get(f"{server.url}/s/{chinese_link.text}", timeout=60).text
        plain = httpx.get(f"{server.url}/s/{plain_link.text}", timeout=60).text
    assert "满意" in chinese
    assert project.settings.language == "en"  # the sample's setting, so:
    assert "How satisfied" in plain


def test_nps_ends_and_ces_direction(project):
    (nps,) = ticket_links(project, "nps")
    (ces,) = ticket_links(project, "ces", offset=1)
    effort = Project(replace(project.settings, ces={"higher_is_easier": False}), project.warehouse)
    with live_server(project) as server:
        nps_page = httpx.get(f"{server.url}/s/{nps.text}?lang=en", timeout=60).text
        easy_page = httpx.get(f"{server.url}/s/{ces.text}?lang=en", timeout=60).text
    with live_server(effort) as server:
        effort_page = httpx.get(f"{server.url}/s/{ces.text}?lang=en", timeout=60).text
    assert "0 = not at all likely" in nps_page and "10 = extremely likely" in nps_page
    assert "1 = very difficult" in easy_page and "7 = very easy" in easy_page
    assert "1 = very little effort" in effort_page and "7 = a great deal of effort" in effort_page


# -- answering --------------------------------------------------------------------------


def test_answer_is_counted_once(project):
    (link,) = ticket_links(project)
    with live_server(project) as server:
        access = server.app.state.access
        before = csat_counts(server, project)
        rows_before = sql(server, "SELECT count(*) FROM survey_responses")[0][0]

        sent = answer(server, link, "5", XSS)
        assert sent.status_code == 303
        thanks = httpx.get(server.url + sent.headers["location"], timeout=60)
        assert thanks.status_code == 200 and "Thank you" in thanks.text
        assert access.settled(120)

        row = sql(
            server,
            "SELECT score, comment, to_json(comment)::VARCHAR, ticket_id, customer_id, "
            "strftime(responded_at_local, '%Y-%m') FROM survey_responses WHERE response_id = ?",
            [f"link-{link.link_id}"],
        )
        ticket_customer = sql(
            server, "SELECT customer_id FROM tickets WHERE ticket_id = ?", [link.subject_id]
        )[0][0]
        after = csat_counts(server, project)

        again = answer(server, link, "1")
        assert access.settled(120)
        rows_after = sql(server, "SELECT count(*) FROM survey_responses")[0][0]
        final = csat_counts(server, project)

    (score, comment, as_json, ticket, customer, month) = row[0]
    assert (score, comment, ticket, customer) == (5, XSS, link.subject_id, ticket_customer)
    assert json.loads(as_json) == XSS  # kept as text, verbatim

    # One more response, satisfied (5 is in the top two boxes of 1-5), in its month and overall.
    for period in (month, "all"):
        satisfied, n = before.get(period, (0, 0))
        assert after[period] == (satisfied + 1, n + 1)

    assert again.status_code == 409
    assert "already answered" in again.text
    assert rows_after == rows_before + 1
    assert final == after


def test_forged_link_is_404(project):
    (link,) = ticket_links(project)
    payload, signature = link.text.split(".")
    middle = len(signature) // 2
    changed = "A" if signature[middle] != "A" else "B"
    forged = f"{payload}.{signature[:middle]}{changed}{signature[middle + 1 :]}"
    with live_server(project) as server:
        shown = httpx.get(f"{server.url}/s/{forged}", timeout=60)
        sent = httpx.post(f"{server.url}/s/{forged}", data={"score": "5"}, timeout=60)
        nonsense = httpx.get(f"{server.url}/s/not-a-link", timeout=60)
        uses = sql(server, "SELECT count(*) FROM survey_link_uses")[0][0]
    for refused in (shown, sent, nonsense):
        assert refused.status_code == 404
        assert "does not work" in refused.text
        assert link.subject_id not in refused.text  # says nothing about the link
    assert uses == 0


def test_expired_link_is_410(project):
    (link,) = ticket_links(
        project, expires_in=timedelta(days=1), now=datetime.now(UTC) - timedelta(days=3)
    )
    with live_server(project) as server:
        shown = httpx.get(f"{server.url}/s/{link.text}", timeout=60)
        sent = answer(server, link)
        uses = sql(server, "SELECT count(*) FROM survey_link_uses")[0][0]
    assert shown.status_code == 410 and sent.status_code == 410
    assert "closed" in shown.text
    assert uses == 0


@pytest.mark.parametrize("score", ["6", "0", "", "abc", "4.5", "-1", "٣"])
def test_bad_csat_score_is_422_with_the_form(server, project, score):
    link = ticket_links_on_server(server, project)
    sent = answer(server, link, score, "kept <b>text</b>")
    assert sent.status_code == 422
    assert "from 1 to 5" in sent.text
    assert radio_values(sent.text) == [1, 2, 3, 4, 5]
    assert "kept &lt;b&gt;text&lt;/b&gt;</textarea>" in sent.text
    assert sql(server, "SELECT count(*) FROM survey_link_uses")[0][0] == 0


def ticket_links_on_server(server, project):
    """A fresh link while the server runs (made under the server's exclusive lock)."""
    access = server.app.state.access
    with access.lock.exclusive():
        offset = sql(server, "SELECT count(*) FROM survey_links")[0][0] if _has_links(server) else 0
        return ticket_links(project, offset=offset)[0]


def _has_links(server) -> bool:
    found = sql(server, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'survey_links'")
    return bool(found[0][0])


def test_comment_length_is_counted_in_characters(server, project):
    too_long = answer(server, ticket_links_on_server(server, project), "4", "好" * 2001)
    # A browser sends line breaks as CRLF; each counts as one character. 1,999 emoji
    # and a line break, percent-encoded, are the largest body an answer can need.
    at_limit = "\r\n".join(["😀" * 1000, "😀" * (COMMENT_MAX_CHARS - 1001)])
    accepted = answer(server, ticket_links_on_server(server, project), "4", at_limit)
    assert too_long.status_code == 422 and "2,000" in too_long.text
    assert accepted.status_code == 303


def test_large_and_malformed_bodies_are_refused(server, project):
    link = ticket_links_on_server(server, project)
    url = f"{server.url}/s/{link.text}"
    form = {"content-type": "application/x-www-form-urlencoded"}
    big = b"score=5&comment=" + b"x" * FORM_MAX_BYTES
    declared = httpx.post(url, content=big, headers=form, timeout=60)
    chunked = httpx.post(url, content=iter([big[:9000], big[9000:]]), headers=form, timeout=60)
    as_json = httpx.post(url, json={"score": 5}, timeout=60)
    not_utf8 = httpx.post(url, content=b"score=5&comment=\xff\xfe", headers=form, timeout=60)
    assert declared.status_code == 413
    assert "transfer-encoding" in chunked.request.headers  # no Content-Length was sent
    assert chunked.status_code == 413
    assert as_json.status_code == 415
    assert not_utf8.status_code == 400
    assert answer(server, link).status_code == 303  # the link is still good


def test_thanks_before_an_answer_goes_back_to_the_form(server, project):
    link = ticket_links_on_server(server, project)
    seen = httpx.get(f"{server.url}/s/{link.text}/thanks?lang=en", timeout=60)
    assert seen.status_code == 303
    assert seen.headers["location"] == f"/s/{link.text}?lang=en"


# -- rate limit -------------------------------------------------------------------------


def test_sixth_submission_in_a_minute_is_429(project):
    serve = {**project.settings.serve, "survey_submissions_per_minute": 5}
    limited = Project(replace(project.settings, serve=serve), project.warehouse)
    (link,) = ticket_links(project)
    with live_server(limited) as server:
        guesses = [
            httpx.post(f"{server.url}/s/guess{i}.x", data={"score": "5"}, timeout=60)
            for i in range(5)
        ]
        sixth = answer(server, link)
        shown = httpx.get(f"{server.url}/s/{link.text}", timeout=60)  # reading is not limited
    assert [g.status_code for g in guesses] == [404] * 5  # forged guesses count
    assert sixth.status_code == 429
    assert 1 <= int(sixth.headers["retry-after"]) <= 60
    assert shown.status_code == 200


def test_limiter_window_slides():
    clock = [0.0]
    limiter = SubmissionLimiter(3, window=60.0, clock=lambda: clock[0])
    admitted = []
    for moment in (0.0, 10.0, 20.0, 30.0, 60.0, 69.0, 70.0):
        clock[0] = moment
        admitted.append(limiter.admit("10.0.0.1"))
    # At 30 the window holds 0, 10, 20: wait until 0 leaves (60 - 30 = 30 s). At 60 it
    # has (0 left); at 69 the window holds 10, 20, 60: wait 1 s; at 70, 10 has left.
    assert admitted == [None, None, None, 30.0, None, 1.0, None]
    assert limiter.admit("10.0.0.2") is None  # per address


def test_limiter_is_exact_under_threads():
    limiter = SubmissionLimiter(500, window=3600.0)
    admitted = []
    lock = threading.Lock()

    def client():
        mine = sum(limiter.admit("127.0.0.1") is None for _ in range(100))
        with lock:
            admitted.append(mine)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(admitted) == 500


# -- the submission queue ------------------------------------------------------------------


def post_all(server, posts: list) -> tuple[list[threading.Thread], list]:
    """Send each (link, score) from its own thread at once: the threads, and the list
    their responses fill in order."""
    responses: list = [None] * len(posts)

    def send(i: int, link, score: str) -> None:
        responses[i] = answer(server, link, score)

    threads = [
        threading.Thread(target=send, args=(i, link, score))
        for i, (link, score) in enumerate(posts)
    ]
    for thread in threads:
        thread.start()
    return threads, responses


def wait_until(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)


def test_answers_waiting_together_are_written_in_one_batch(project):
    links = ticket_links(project, n=12)
    posts = [(link, str(1 + i % 5)) for i, link in enumerate(links)] + [(links[0], "5")]
    with live_server(project) as server:
        access = server.app.state.access
        with access.lock.exclusive():  # as if a clean were running: answers queue up
            threads, responses = post_all(server, posts)
            wait_until(lambda: _queued(server) == len(posts))
        for thread in threads:
            thread.join()
        assert access.settled(120)
        ids = [f"link-{link.link_id}" for link in links]
        stored = sql(
            server,
            "SELECT response_id, score, _batch FROM raw_survey_responses "
            "WHERE response_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        )
        imports = sql(server, "SELECT rows FROM imports WHERE source = 'survey link'")
        queue = server.app.state.survey_submissions
        assert queue.running
    assert not queue.running  # the writer stopped with the application

    statuses = [r.status_code for r in responses]
    # links[0] was answered twice at once (1, then 5): one answer is taken, the other refused.
    assert sorted(statuses) == [303] * 12 + [409]
    assert sorted([statuses[0], statuses[-1]]) == [303, 409]
    scores = {response_id: score for response_id, score, _ in stored}
    expected = {ids[i]: 1 + i % 5 for i in range(12)}
    expected[ids[0]] = 1 if statuses[0] == 303 else 5  # the answer that was taken
    assert scores == expected
    assert len({batch for *_, batch in stored}) == 1 and imports == [(12,)]


def _queued(server) -> int:
    queue = getattr(server.app.state, "survey_submissions", None)
    return queue.waiting if queue is not None else 0


def test_an_answer_not_written_in_time_is_503_and_not_written(project, monkeypatch):
    import cxlens.web.forms as forms

    (link,) = ticket_links(project)
    patient = forms.ANSWER_WAIT_SECONDS
    monkeypatch.setattr(forms, "ANSWER_WAIT_SECONDS", 0.5)
    with live_server(project) as server:
        access = server.app.state.access
        with access.lock.exclusive():  # the writer cannot start within the wait
            threads, responses = post_all(server, [(link, "4")])
            threads[0].join()
        wait_until(lambda: not server.app.state.survey_submissions.waiting)
        uses_after_busy = sql(server, "SELECT count(*) FROM survey_link_uses")[0][0]
        # the resend waits as long as a customer's would (the start-up warm-up may be
        # reading, and a write waits for readers)
        monkeypatch.setattr(forms, "ANSWER_WAIT_SECONDS", patient)
        again = answer(server, link, "4")
        uses_after_again = sql(server, "SELECT count(*) FROM survey_link_uses")[0][0]

    [busy] = responses
    assert busy.status_code == 503
    assert "send yours again" in busy.text
    assert int(busy.headers["retry-after"]) >= 1
    assert uses_after_busy == 0  # withdrawn, so never written
    assert again.status_code == 303 and uses_after_again == 1
