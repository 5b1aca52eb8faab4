"""Survey answers under load on loopback: none lost, none counted twice, no 5xx.

2,000 links answered by 50 concurrent clients (threads with httpx), 200 of them
answered twice at about the same moment by two different clients (the issue's size).
The server writes answers in batches (``cxlens.web.forms.SubmissionQueue``); the
counts are read back with SQL and with ``compute_kpis`` before and after. The sizes
can be lowered for a quick run with CXLENS_LOAD_LINKS, CXLENS_LOAD_TWICE and
CXLENS_LOAD_CLIENTS; the wall time is logged (45-50 s on 2 cores).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import httpx
import pandas as pd
import pytest

from conftest import Project, live_server
from cxlens.metrics import compute_kpis
from cxlens.web.links import make_links

pytestmark = pytest.mark.slow

LINKS = int(os.environ.get("CXLENS_LOAD_LINKS", 2000))
TWICE = int(os.environ.get("CXLENS_LOAD_TWICE", 200))
CLIENTS = int(os.environ.get("CXLENS_LOAD_CLIENTS", 50))

log = logging.getLogger(__name__)


def csat_n(project) -> int:
    """Answered CSAT responses over all the data, from the KPI."""
    frame = compute_kpis(project.warehouse, project.settings, [], ["csat"])
    n = frame["n"].iloc[0]
    return int(n) if pd.notna(n) else 0


def work_lists(links: list) -> list[list]:
    """Each client's links: its share of all, plus a second answer to a twice-answered link
    at the same place in another client's list (so both arrive at about the same time)."""
    lists = [links[client::CLIENTS] for client in range(CLIENTS)]
    for j, link in enumerate(links[:TWICE]):
        client, place = j % CLIENTS, j // CLIENTS
        lists[(client + 1) % CLIENTS].insert(2 * place + 1, link)
    return lists


def test_many_answers_at_once(sample_project, tmp_path):
    project = sample_project.copy(tmp_path / "warehouse")
    serve = {**project.settings.serve, "survey_submissions_per_minute": 1_000_000}
    project = Project(replace(project.settings, serve=serve), project.warehouse)
    with project.warehouse.connect(read_only=True) as con:
        ids = [
            r[0]
            for r in con.execute(
                "SELECT ticket_id FROM tickets ORDER BY ticket_id LIMIT ?", [LINKS]
            ).fetchall()
        ]
    links = make_links(
        project.warehouse, "csat", ids, base_url="http://127.0.0.1", expires_in=timedelta(days=1)
    )
    n_before = csat_n(project)
    with project.warehouse.connect(read_only=True) as con:
        rows_before = con.execute("SELECT count(*) FROM survey_responses").fetchone()[0]
    statuses: Counter = Counter()
    accepted: Counter = Counter()
    lock = threading.Lock()

    def client(mine: list) -> None:
        with httpx.Client(base_url=server.url, timeout=300) as http:
            for link in mine:
                sent = http.post(f"/s/{link.text}", data={"score": "4", "comment": "load"})
                with lock:
                    statuses[sent.status_code] += 1
                    if sent.status_code == 303:
                        accepted[link.link_id] += 1

    with live_server(project) as server:
        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(mine,)) for mine in work_lists(links)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        access = server.app.state.access
        assert access.settled(600)
        took = time.monotonic() - started
        with access.reading() as con:
            rows_after = con.execute("SELECT count(*) FROM survey_responses").fetchone()[0]
            new, distinct, batches = con.execute(
                "SELECT count(*), count(DISTINCT response_id), count(DISTINCT _batch) "
                "FROM raw_survey_responses WHERE _source = 'survey link'"
            ).fetchone()
            uses = con.execute("SELECT count(*) FROM survey_link_uses").fetchone()[0]
        n_after = access.run(lambda: csat_n(project))
    log.warning("%d answers (%d twice) in %.1f s, %d batches", LINKS, TWICE, took, batches)

    assert statuses == {303: LINKS, 409: TWICE}  # no 5xx, no other refusal
    assert set(accepted.values()) == {1} and len(accepted) == LINKS
    assert rows_after - rows_before == LINKS
    assert (new, distinct, uses) == (LINKS, LINKS, LINKS)
    assert n_after == n_before + LINKS
