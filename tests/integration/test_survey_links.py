"""Signed survey links on real DuckDB files: made, opened, answered once, counted.

Signatures are recomputed here with hmac over the stored secret; forged links are
built by hand; expected KPI values are worked out from the two answers a test gives.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cxlens.clean import clean_warehouse
from cxlens.errors import ConfigError, WarehouseError
from cxlens.ingest import import_file
from cxlens.metrics import compute_kpis
from cxlens.settings import Settings
from cxlens.store import Warehouse
from cxlens.web import links as links_module
from cxlens.web.links import (
    Answer,
    LinkExpired,
    LinkForged,
    LinkUsed,
    ScoreInvalid,
    make_links,
    open_link,
    submit_response,
    submit_responses,
)

CXLENS = [sys.executable, "-m", "cxlens"]
BASE = "http://127.0.0.1:8000"
T0 = dt.datetime(2024, 3, 5, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

TICKETS = """ticket_id,created_at,solved_at,customer_id,agent_id,channel
T1,2024-03-01 09:00,2024-03-02 23:00,C1,A1,email
T2,2024-03-01 10:00,2024-03-03 01:00,C2,A2,chat
T3,2024-03-04 10:00,,C1,A1,email
"""
CUSTOMERS = """customer_id,name
C1,Ann
C2,Bo
C3,Cy
"""


@pytest.fixture
def helpdesk(tmp_path, warehouse) -> Warehouse:
    (tmp_path / "tickets.csv").write_text(TICKETS, encoding="utf-8")
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    import_file(warehouse, tmp_path / "tickets.csv", table="tickets")
    import_file(warehouse, tmp_path / "customers.csv", table="customers")
    return warehouse


def one_link(warehouse, subject="T1", kind="csat", **kwargs):
    [link] = make_links(warehouse, kind, [subject], base_url=BASE, expires_in=DAY, now=T0, **kwargs)
    return link


def sql(warehouse: Warehouse, query: str, params: list | None = None) -> list[tuple]:
    with warehouse.connect(read_only=True) as con:
        return con.execute(query, params or []).fetchall()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(secret: bytes, payload: str) -> str:
    return b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def test_a_link_is_an_hmac_signed_payload_under_the_base_url(helpdesk):
    link = one_link(helpdesk, lang="zh")

    assert link.url == f"{BASE}/s/{link.text}"
    payload, signature = link.text.split(".")
    [(secret_hex,)] = sql(helpdesk, "SELECT value FROM web_secrets")
    assert len(bytes.fromhex(secret_hex)) == 32
    assert signature == sign(bytes.fromhex(secret_hex), payload)
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    expiry = int((T0 + DAY).timestamp())
    assert fields == [1, link.link_id, "csat", "ticket", "T1", expiry, "zh"]
    recorded = sql(helpdesk, "SELECT link_id, kind, subject_type, subject_id FROM survey_links")
    assert recorded == [(link.link_id, "csat", "ticket", "T1")]


def test_subjects_the_warehouse_lacks_are_refused_and_no_link_is_made(helpdesk):
    with pytest.raises(ConfigError, match="T8, T9"):
        make_links(helpdesk, "nps", ["T1", "T8", "T9"], base_url=BASE, expires_in=DAY)
    with pytest.raises(ConfigError, match="C9"):
        make_links(helpdesk, "nps", ["C9"], subject_type="customer", base_url=BASE, expires_in=DAY)

    tables = sql(helpdesk, "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'survey%'")
    assert tables == []  # the refused request left nothing behind, not even its tables
    customer = make_links(
        helpdesk, "nps", ["C3"], subject_type="customer", base_url=BASE, expires_in=DAY
    )
    assert [(c.subject_type, c.customer_id) for c in customer] == [("customer", "C3")]


def test_forged_links_are_refused(helpdesk):
    link, other = (one_link(helpdesk, s) for s in ("T1", "T2"))
    payload, signature = link.text.split(".")
    _, other_signature = other.text.split(".")

    def changed(text: str, at: int) -> str:
        return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]

    forged = [
        f"{changed(payload, 10)}.{signature}",  # one byte of the payload
        f"{payload}.{changed(signature, 3)}",  # one byte of the signature
        f"{payload}.{other_signature}",  # the signature of another link
        f"{payload}.{sign(os.urandom(32), payload)}",  # re-signed with another secret
        "",
        "not-a-link",
        f"{BASE}/s/{payload}",
    ]
    for text in forged:
        with pytest.raises(LinkForged):
            open_link(helpdesk, text, now=T0)
        with pytest.raises(LinkForged):
            submit_response(helpdesk, text, 5, None, now=T0)
    # The two links' sends, neither answered.
    assert sql(helpdesk, "SELECT count(*), count(score) FROM raw_survey_responses") == [(2, 0)]


def test_a_link_opens_until_it_expires(helpdesk):
    link = one_link(helpdesk)

    assert open_link(helpdesk, link.url, now=T0 + DAY - dt.timedelta(seconds=1)).link_id
    with pytest.raises(LinkExpired):
        open_link(helpdesk, link.url, now=T0 + DAY)
    with pytest.raises(LinkExpired):
        submit_response(helpdesk, link.url, 5, None, now=T0 + 2 * DAY)


def test_a_link_takes_one_answer(helpdesk):
    link = one_link(helpdesk)

    response_id = submit_response(helpdesk, link.url, 4, "quick", now=T0 + dt.timedelta(hours=1))
    with pytest.raises(LinkUsed):
        submit_response(helpdesk, link.url, 1, "changed my mind", now=T0 + dt.timedelta(hours=2))
    with pytest.raises(LinkUsed):
        open_link(helpdesk, link.text, now=T0 + dt.timedelta(hours=2))

    assert response_id == f"link-{link.link_id}"
    stored = sql(helpdesk, "SELECT response_id, score, comment FROM raw_survey_responses")
    assert stored == [(response_id, 4.0, "quick")]


def test_answers_racing_on_one_link_land_once(helpdesk):
    link = one_link(helpdesk)
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def answer(score: int) -> None:
        start.wait()
        try:
            submit_response(helpdesk, link.text, score, None, now=T0)
            outcomes.append("saved")
        except LinkUsed:
            outcomes.append("used")

    threads = [threading.Thread(target=answer, args=(score,)) for score in (1, 2, 3, 4, 5, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["saved"] + ["used"] * 5
    assert sql(helpdesk, "SELECT count(*) FROM raw_survey_responses") == [(1,)]
    assert sql(helpdesk, "SELECT count(*) FROM survey_link_uses") == [(1,)]


@pytest.mark.parametrize(
    ("kind", "score"),
    [("csat", 0), ("csat", 6), ("nps", 11), ("ces", 8), ("csat", "4.5"), ("csat", True),
     ("csat", "four"), ("nps", -1), ("csat", None)],
)  # fmt: skip
def test_a_score_off_the_scale_is_refused_and_the_link_stays_open(helpdesk, kind, score):
    link = one_link(helpdesk, kind=kind)

    with pytest.raises(ScoreInvalid):
        submit_response(helpdesk, link.text, score, None, now=T0)

    assert open_link(helpdesk, link.text, now=T0).link_id == link.link_id
    # Only the link's send: no score, no answer time.
    assert sql(helpdesk, "SELECT score, responded_at FROM raw_survey_responses") == [(None, None)]


def test_an_answer_is_linked_like_a_ticket_export_and_counted_in_the_kpis(helpdesk, tmp_path):
    first, second = (one_link(helpdesk, s) for s in ("T1", "T2"))
    answered = T0 + dt.timedelta(hours=3)

    submit_response(helpdesk, first.url, 5, "great", now=answered)
    submit_response(helpdesk, second.url, "2", "", now=answered)

    stored = sql(
        helpdesk,
        "SELECT ticket_id, customer_id, agent_id, channel, kind, score, scale_min, scale_max, "
        "sent_at, responded_at FROM raw_survey_responses ORDER BY ticket_id",
    )
    naive = dict(sent=T0.replace(tzinfo=None), answered=answered.replace(tzinfo=None))
    assert stored == [
        ("T1", "C1", "A1", "email", "csat", 5.0, 1.0, 5.0, naive["sent"], naive["answered"]),
        ("T2", "C2", "A2", "chat", "csat", 2.0, 1.0, 5.0, naive["sent"], naive["answered"]),
    ]

    settings = Settings(root=tmp_path, timezone="UTC")
    clean_warehouse(helpdesk, settings)
    kpis = compute_kpis(helpdesk, settings, by=[], metrics=["csat", "csat_mean"])
    by_metric = {r.metric: r for r in kpis.itertuples()}
    # 5 is satisfied (top two boxes, 4–5, of the 1–5 scale), 2 is not: 1 of 2.
    assert (by_metric["csat"].value, by_metric["csat"].n) == (0.5, 2)
    assert by_metric["csat_mean"].value == pytest.approx((5 + 2) / 2)


# -- answers in batches -----------------------------------------------------------------


def test_a_batch_writes_exactly_its_good_answers_in_one_import(helpdesk):
    t1, t2 = (one_link(helpdesk, s) for s in ("T1", "T2"))
    [t3] = make_links(
        helpdesk, "csat", ["T3"], base_url=BASE, expires_in=dt.timedelta(hours=1), now=T0
    )
    c1, c2 = (one_link(helpdesk, s, kind="nps", subject_type="customer") for s in ("C1", "C2"))
    submit_response(helpdesk, t2.text, 3, None, now=T0)  # answered before the batch
    payload, signature = c2.text.split(".")
    forged = f"{payload}.{sign(os.urandom(32), payload)}"
    batch_time = T0 + dt.timedelta(hours=2)  # after T3's link closed

    outcomes = submit_responses(
        helpdesk,
        [
            Answer(t1.url, 5, "first"),
            Answer(t1.text, 1, "second to the same link"),
            Answer(t2.text, 4),
            Answer(t3.text, 4),
            Answer(c1.text, 11),  # NPS runs 0-10
            Answer(c1.text, 10, "after a bad score the link is still open"),
            Answer(forged, 9),
            Answer(c2.text, "0"),
        ],
        now=batch_time,
    )

    kinds = [type(o).__name__ if isinstance(o, Exception) else o for o in outcomes]
    assert kinds == [
        f"link-{t1.link_id}",
        "LinkUsed",
        "LinkUsed",
        "LinkExpired",
        "ScoreInvalid",
        f"link-{c1.link_id}",
        "LinkForged",
        f"link-{c2.link_id}",
    ]
    stored = sql(
        helpdesk,
        "SELECT response_id, score, comment, responded_at FROM raw_survey_responses "
        "WHERE responded_at = ? ORDER BY score",
        [batch_time.replace(tzinfo=None)],
    )
    assert stored == [
        (f"link-{c2.link_id}", 0.0, None, batch_time.replace(tzinfo=None)),
        (f"link-{t1.link_id}", 5.0, "first", batch_time.replace(tzinfo=None)),
        (f"link-{c1.link_id}", 10.0, "after a bad score the link is still open",
         batch_time.replace(tzinfo=None)),
    ]  # fmt: skip
    uses = sql(helpdesk, "SELECT link_id, response_id FROM survey_link_uses ORDER BY link_id")
    expected = {t1.link_id, t2.link_id, c1.link_id, c2.link_id}
    assert uses == sorted((link_id, f"link-{link_id}") for link_id in expected)
    # The three answers went in with one import: one batch, one row of the imports log.
    imports = sql(
        helpdesk,
        "SELECT rows FROM imports WHERE source = 'survey link' ORDER BY imported_at",
    )
    assert imports == [(1,), (3,)]
    batches = sql(
        helpdesk, "SELECT count(DISTINCT _batch) FROM raw_survey_responses WHERE responded_at = ?",
        [batch_time.replace(tzinfo=None)],
    )  # fmt: skip
    assert batches == [(1,)]


def test_an_answer_sent_before_expiry_counts_though_its_batch_is_later(helpdesk):
    [link] = make_links(
        helpdesk, "csat", ["T1"], base_url=BASE, expires_in=dt.timedelta(hours=1), now=T0
    )
    sent = T0 + dt.timedelta(minutes=59)

    [outcome] = submit_responses(
        helpdesk, [Answer(link.text, 4, None, answered_at=sent)], now=T0 + dt.timedelta(hours=1)
    )

    assert outcome == f"link-{link.link_id}"
    stored = sql(helpdesk, "SELECT responded_at FROM raw_survey_responses")
    assert stored == [(sent.replace(tzinfo=None),)]


def test_a_failed_write_lands_nothing_and_every_answer_hears_why(helpdesk, monkeypatch):
    first, second = (one_link(helpdesk, s) for s in ("T1", "T2"))
    answers = [Answer(first.text, 5), Answer(second.text, 2), Answer(first.text, 1)]

    def failing(*args, **kwargs):
        raise WarehouseError("the disk is full")

    monkeypatch.setattr("cxlens.ingest.records.write_records", failing)
    outcomes = submit_responses(helpdesk, answers, now=T0)

    assert [str(o) for o in outcomes] == ["the disk is full"] * 3
    assert all(isinstance(o, WarehouseError) for o in outcomes)
    assert sql(helpdesk, "SELECT count(*) FROM survey_link_uses") == [(0,)]
    assert sql(helpdesk, "SELECT count(*), count(score) FROM raw_survey_responses") == [(2, 0)]

    monkeypatch.undo()  # the same batch, sent again, lands
    again = submit_responses(helpdesk, answers, now=T0)
    assert [type(o).__name__ if isinstance(o, Exception) else o for o in again] == [
        f"link-{first.link_id}",
        f"link-{second.link_id}",
        "LinkUsed",
    ]


def test_an_answer_the_importer_refuses_is_refused_alone(helpdesk, monkeypatch):
    from cxlens.ingest import records

    first, second = (one_link(helpdesk, s) for s in ("T1", "T2"))
    real_write = records.write_records
    calls: list[int] = []

    def refuse_the_second_record_once(warehouse, table, rows, **options):
        calls.append(len(rows))
        if len(calls) == 1:
            problem = {"record": 1, "column": "comment", "value": "x", "problem": "not text"}
            raise records.RecordsInvalid(table, [problem])
        return real_write(warehouse, table, rows, **options)

    monkeypatch.setattr(records, "write_records", refuse_the_second_record_once)
    outcomes = submit_responses(helpdesk, [Answer(first.text, 5), Answer(second.text, 4)], now=T0)

    assert outcomes[0] == f"link-{first.link_id}"
    assert type(outcomes[1]).__name__ == "InputError" and "comment: not text" in str(outcomes[1])
    assert calls == [2, 1]  # written again without the refused answer
    assert sql(helpdesk, "SELECT link_id FROM survey_link_uses") == [(first.link_id,)]
    stored = sql(helpdesk, "SELECT score FROM raw_survey_responses ORDER BY score NULLS LAST")
    assert stored == [(5.0,), (None,)]  # the refused answer's link is still only sent


def test_a_link_answered_elsewhere_during_the_batch_is_refused_and_the_rest_land(
    helpdesk, monkeypatch
):
    first, second = (one_link(helpdesk, s) for s in ("T1", "T2"))
    real_check = links_module._used_among
    rivals: list[str] = []

    def check_then_lose_the_race(con, link_ids):
        """After the batch has looked, another writer answers the first link and commits."""
        used = real_check(con, link_ids)
        if not rivals:
            with helpdesk.transaction() as rival:
                rival.execute(
                    "INSERT INTO survey_link_uses VALUES (?, ?, 'rival')",
                    [first.link_id, T0.replace(tzinfo=None)],
                )
            rivals.append(first.link_id)
        return used

    monkeypatch.setattr(links_module, "_used_among", check_then_lose_the_race)
    outcomes = submit_responses(helpdesk, [Answer(first.text, 5), Answer(second.text, 4)], now=T0)

    assert isinstance(outcomes[0], LinkUsed)
    assert outcomes[1] == f"link-{second.link_id}"
    uses = sql(helpdesk, "SELECT link_id, response_id FROM survey_link_uses ORDER BY response_id")
    assert sorted(uses) == sorted(
        [(second.link_id, f"link-{second.link_id}"), (first.link_id, "rival")]
    )
    stored = sql(helpdesk, "SELECT response_id, score FROM raw_survey_responses ORDER BY score")
    # The rival marked the first link used without writing an answer: its send stays.
    assert stored == [(f"link-{second.link_id}", 4.0), (f"link-{first.link_id}", None)]


CONFIG = """[project]
timezone = "Asia/Shanghai"
warehouse = "w.duckdb"
language = "en"
"""


def cx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_cli_writes_a_csv_of_links_for_tickets_solved_since_a_local_day(tmp_path):
    (tmp_path / "cxlens.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "tickets.csv").write_text(TICKETS, encoding="utf-8")
    assert cx("import", "tickets.csv", "--table", "tickets", cwd=tmp_path).returncode == 0

    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    made = cx("survey", "links", "--kind", "nps", "--solved-since", "2024-03-03",
              "--out", "links.csv", cwd=tmp_path)  # fmt: skip
    after = dt.datetime.now(dt.UTC)

    assert made.returncode == 0, made.stderr
    raw = (tmp_path / "links.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    # T1 was solved at 23:00 on 2 March and T2 at 01:00 on 3 March, Shanghai time
    # (both on 2 March in UTC): only T2 counts as solved since 3 March.
    assert lines[0] == "subject,url,expires_at" and len(lines) == 2
    subject, url, expires = lines[1].split(",")
    assert subject == "T2" and url.startswith(f"{BASE}/s/")
    expires_at = dt.datetime.fromisoformat(expires)
    assert expires_at.utcoffset() == dt.timedelta(hours=8)
    assert before + 14 * DAY <= expires_at <= after + 14 * DAY
    link = open_link(Warehouse(tmp_path / "w.duckdb"), url)
    assert (link.kind, link.subject_id, link.lang) == ("nps", "T2", "en")


def test_cli_needs_exactly_one_choice_of_subjects(tmp_path):
    both = cx("survey", "links", "--kind", "csat", "--tickets", "T1", "--customers", "C1",
              "--db", "w.duckdb", cwd=tmp_path)  # fmt: skip
    assert both.returncode == 2 and "exactly one" in both.stderr


# -- sends: every link made counts as a survey sent -------------------------------------


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval at 95 %, written out (Wilson 1927) as the second method."""
    z = 1.959963984540054
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * (k * (n - k) / n + z * z / 4) ** 0.5
    return centre - half, centre + half


def test_links_made_are_sends_and_the_response_rate_is_answered_over_sent(helpdesk, tmp_path):
    tickets = make_links(helpdesk, "csat", ["T1", "T2", "T3"], base_url=BASE,
                         expires_in=DAY, now=T0)  # fmt: skip
    customers = make_links(helpdesk, "csat", ["C1", "C2"], subject_type="customer",
                           base_url=BASE, expires_in=DAY, now=T0)  # fmt: skip
    made = tickets + customers
    answered = T0 + dt.timedelta(hours=2)

    # Before any answer: five sends, none answered, each timed by its link's creation.
    sends = sql(
        helpdesk,
        "SELECT response_id, kind, score, responded_at, sent_at, ticket_id, customer_id, "
        "agent_id, channel FROM raw_survey_responses ORDER BY response_id",
    )
    sent = T0.replace(tzinfo=None)
    context = {"T1": ("T1", "C1", "A1", "email"), "T2": ("T2", "C2", "A2", "chat"),
               "T3": ("T3", "C1", "A1", "email"), "C1": (None, "C1", None, None),
               "C2": (None, "C2", None, None)}  # fmt: skip
    assert sends == sorted(
        (f"link-{link.link_id}", "csat", None, None, sent, *context[link.subject_id])
        for link in made
    )

    submit_response(helpdesk, made[0].url, 5, "great", now=answered)
    submit_response(helpdesk, made[4].url, 2, None, now=answered)
    with pytest.raises(LinkUsed):  # a link answered once refuses a second answer
        submit_response(helpdesk, made[0].url, 1, "again", now=answered)

    # Answers replaced their sends by key: still five rows, one per link, sent_at kept.
    rows = sql(
        helpdesk,
        "SELECT count(*), count(DISTINCT response_id), count(score), count(responded_at), "
        "count(*) FILTER (WHERE sent_at = ?) FROM raw_survey_responses",
        [sent],
    )
    assert rows == [(5, 5, 2, 2, 5)]
    scores = sql(helpdesk, "SELECT response_id, score FROM raw_survey_responses WHERE score > 0")
    assert sorted(scores) == sorted(
        [(f"link-{made[0].link_id}", 5.0), (f"link-{made[4].link_id}", 2.0)]
    )

    settings = Settings(root=tmp_path, timezone="UTC")
    clean_warehouse(helpdesk, settings)
    kpis = compute_kpis(helpdesk, settings, by=["month"],
                        metrics=["survey_response_rate", "csat"])  # fmt: skip
    rate = kpis[kpis.metric == "survey_response_rate"]
    assert list(rate.period.astype(str)) == ["2024-03"]
    # 2 answered of 5 sent, all sent in March 2024.
    assert (rate.value.iloc[0], rate.n.iloc[0]) == (pytest.approx(2 / 5), 5)
    assert (rate.ci_low.iloc[0], rate.ci_high.iloc[0]) == pytest.approx(wilson(2, 5))
    csat = kpis[kpis.metric == "csat"]
    # Only the two answers count: 5 is satisfied (top two boxes of 1–5), 2 is not.
    assert (csat.value.iloc[0], csat.n.iloc[0]) == (pytest.approx(1 / 2), 2)


def test_the_rate_counts_an_answer_in_the_month_of_its_send(helpdesk, tmp_path):
    march, april = (T0.replace(day=31, hour=12), T0.replace(month=4, day=2))
    late, unanswered = make_links(helpdesk, "nps", ["T1", "T2"], base_url=BASE,
                                  expires_in=7 * DAY, now=march)  # fmt: skip
    submit_response(helpdesk, late.text, 10, None, now=april)

    settings = Settings(root=tmp_path, timezone="UTC")
    clean_warehouse(helpdesk, settings)
    kpis = compute_kpis(helpdesk, settings, by=["month"], metrics=["survey_response_rate", "nps"])

    counted = kpis[kpis.n > 0]  # months in the data's range with nothing to count have n 0
    rate = counted[counted.metric == "survey_response_rate"]
    # Sent 31 March, answered 2 April: 1 answered of 2 sent, in March; no April sends.
    assert [(str(p), v, n) for p, v, n in zip(rate.period, rate.value, rate.n, strict=True)] == [
        ("2024-03", 0.5, 2)
    ]
    nps = counted[counted.metric == "nps"]
    # The answer is counted when it was given: one promoter (10) in April, NPS +100.
    assert [(str(p), n) for p, n in zip(nps.period, nps.n, strict=True)] == [("2024-04", 1)]
    assert nps.value.iloc[0] == pytest.approx(100)


def test_links_and_their_sends_land_together_or_not_at_all(helpdesk, monkeypatch):
    def failing(*args, **kwargs):
        raise WarehouseError("the disk is full")

    monkeypatch.setattr("cxlens.ingest.records.write_records", failing)
    with pytest.raises(WarehouseError, match="disk is full"):
        make_links(helpdesk, "csat", ["T1", "T2"], base_url=BASE, expires_in=DAY, now=T0)

    tables = sql(helpdesk, "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'survey%'")
    assert tables == []  # no link without its send
    monkeypatch.undo()
    made = make_links(helpdesk, "csat", ["T1", "T2"], base_url=BASE, expires_in=DAY, now=T0)
    assert sql(helpdesk, "SELECT count(*) FROM survey_links") == [(2,)]
    assert sql(helpdesk, "SELECT count(*) FROM raw_survey_responses") == [(len(made),)]


def test_only_an_allowed_send_may_lack_a_score(helpdesk):
    from cxlens.ingest.records import RecordsInvalid, write_records

    received = T0 + dt.timedelta(hours=5)
    blank = {"response_id": "r1", "kind": "csat", "score": None}
    with pytest.raises(RecordsInvalid) as refused:
        write_records(helpdesk, "survey_responses", [blank], timezone="UTC", received_at=received)
    assert [(e["record"], e["column"]) for e in refused.value.errors] == [(0, "score")]

    scored = {"response_id": "r2", "kind": "csat", "score": 4}
    write_records(helpdesk, "survey_responses", [blank, scored], timezone="UTC",
                  received_at=received, allow_unanswered=True)  # fmt: skip
    stored = sql(helpdesk, "SELECT response_id, score, responded_at FROM raw_survey_responses "
                 "ORDER BY response_id")  # fmt: skip
    # The send keeps no answer time; the scored record still gets its time of receipt.
    assert stored == [("r1", None, None), ("r2", 4.0, received.replace(tzinfo=None))]
