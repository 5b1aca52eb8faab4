"""Ticket KPIs on tiny hand-computed inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_metrics_fixtures import settings, warehouse_with

from cxlens.metrics import compute_kpis


def row(frame, metric, period="all", group=None):
    """The single output row for one metric, period and group."""
    group = group or {}
    hits = frame[
        (frame.metric == metric)
        & (frame.period == period)
        & (frame.group.map(lambda g: g == group))
    ]
    assert len(hits) == 1, f"{metric} {period} {group}: {len(hits)} rows"
    return hits.iloc[0]


def ticket(tid, created, **columns):
    return {"ticket_id": tid, "created_at_local": created, **columns}


def test_mean_resolution_counts_minutes_not_days(tmp_path):
    # case RS-2: 10:00→17:00 (420 min) and 23:50→00:10 next day (20 min): mean 220 min.
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            ticket(
                "T1", "2024-01-05 10:00", solved_at_local="2024-01-05 17:00", resolution_min=420
            ),
            ticket("T2", "2024-01-05 23:50", solved_at_local="2024-01-06 00:10", resolution_min=20),
        ],
    )
    frame = compute_kpis(warehouse, settings())
    assert row(frame, "resolution_mean_min").value == 220
    assert row(frame, "resolution_median_min").value == 220
    assert row(frame, "resolution_p90_min").value == pytest.approx(np.quantile([420, 20], 0.9))
    assert row(frame, "resolution_mean_min").n == 2
    assert math.isnan(row(frame, "resolution_mean_min").ci_low)


def test_merged_tickets_are_left_out_of_created_solved_and_resolution(tmp_path):
    # case RS-3: T2 merged into T1 is neither created, solved nor resolved.
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            ticket("T1", "2024-01-05 09:00", solved_at_local="2024-01-05 13:00", resolution_min=240,
                   agent_replies=1, reopens=0),
            ticket("T2", "2024-01-05 10:00", solved_at_local="2024-01-05 12:00", resolution_min=120,
                   is_merged=True, merged_into="T1", agent_replies=1, reopens=0),
        ],
    )  # fmt: skip
    frame = compute_kpis(warehouse, settings())
    assert row(frame, "tickets").value == 1
    assert row(frame, "resolution_mean_min").value == 240
    assert row(frame, "fcr").n == 1
    assert row(frame, "backlog").value == 0


def test_reopened_and_still_open_counts_no_resolution(tmp_path):
    # case RS-1: solved 5 Jan, reopened 6 Jan, open on 10 Jan: currently-solved rule → none.
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            ticket("T1", "2024-01-04 09:00", solved_at_local="2024-01-05 09:00", is_solved=False,
                   first_solved_at_local="2024-01-05 09:00", first_resolution_min=1440,
                   reopens=1, resolution_min=1440),
            ticket("T2", "2024-01-10 09:00"),
        ],
    )  # fmt: skip
    frame = compute_kpis(warehouse, settings(), by=["month"])
    assert row(frame, "resolution_median_min", "2024-01").n == 0
    assert row(frame, "backlog", "2024-01").value == 2
    assert row(frame, "first_resolution_median_min", "2024-01").value == 1440


def test_first_response_statistics_match_numpy(tmp_path):
    minutes = [5, 30, 60, 240, 1000]
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            ticket(f"T{i}", "2024-02-01 09:00", first_response_min=m) for i, m in enumerate(minutes)
        ]
        + [ticket("T9", "2024-02-01 09:00")],
    )
    frame = compute_kpis(warehouse, settings())
    assert row(frame, "first_response_median_min").value == 60
    assert row(frame, "first_response_p90_min").value == pytest.approx(np.quantile(minutes, 0.9))
    assert row(frame, "first_response_mean_min").value == pytest.approx(np.mean(minutes))
    assert row(frame, "first_response_mean_min").n == 5
    assert row(frame, "tickets").value == 6


def test_backlog_is_open_tickets_at_each_period_end(tmp_path):
    # Jan: A, B created; A solved in Feb; C created in Mar and never solved.
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            ticket("A", "2024-01-10", solved_at_local="2024-02-03"),
            ticket("B", "2024-01-20", solved_at_local="2024-01-25"),
            ticket("C", "2024-03-01"),
        ],
    )
    frame = compute_kpis(warehouse, settings(), by=["month"], metrics=["backlog", "tickets"])
    assert [row(frame, "backlog", p).value for p in ("2024-01", "2024-02", "2024-03")] == [1, 0, 1]
    assert math.isnan(row(frame, "tickets", "2024-02").value)
    assert row(frame, "tickets", "2024-02").n == 0
    assert row(compute_kpis(warehouse, settings()), "backlog").value == 1


def test_fcr_and_reopen_rate_by_solved_period(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            # one reply, no reopen: FCR
            ticket("T1", "2024-01-30", solved_at_local="2024-02-02", agent_replies=1, reopens=0),
            # three replies but one customer contact (contacts known decide): FCR
            ticket("T2", "2024-02-01", solved_at_local="2024-02-02", agent_replies=3,
                   customer_contacts=1, reopens=0),
            # reopened: not FCR
            ticket("T3", "2024-02-01", solved_at_local="2024-02-05", agent_replies=1, reopens=2),
            # two replies: not FCR
            ticket("T4", "2024-02-01", solved_at_local="2024-02-06", agent_replies=2, reopens=0),
            # open: in neither
            ticket("T5", "2024-02-01", agent_replies=1, reopens=0),
        ],
    )  # fmt: skip
    frame = compute_kpis(warehouse, settings(), by=["month"])
    fcr = row(frame, "fcr", "2024-02")
    assert (fcr.value, fcr.n) == (0.5, 4)
    reopen = row(frame, "reopen_rate", "2024-02")
    assert (reopen.value, reopen.n) == (0.25, 4)
    assert row(frame, "fcr", "2024-01").n == 0


def test_answer_rate_only_where_answered_is_known(tmp_path):
    calls = [ticket(f"C{i}", "2024-01-02", answered=a) for i, a in enumerate([True, True, False])]
    warehouse = warehouse_with(tmp_path, tickets=[*calls, ticket("E1", "2024-01-02")])
    answer = row(compute_kpis(warehouse, settings()), "answer_rate")
    assert (answer.value, answer.n) == (pytest.approx(2 / 3), 3)

    plain = warehouse_with(tmp_path / "plain", tickets=[ticket("E1", "2024-01-02")])
    assert "answer_rate" not in set(compute_kpis(plain, settings()).metric)


def test_sla_counts_tickets_in_the_period_their_target_falls_due(tmp_path):
    # Target 24h, urgent 1h. Data ends 2024-03-31 12:00.
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            ticket("T1", "2024-01-31 12:00", first_response_min=600),  # due 1 Feb: met
            ticket("T2", "2024-02-10 09:00", first_response_min=2000),  # due 11 Feb: breached
            ticket("T3", "2024-02-20 09:00"),  # due 21 Feb, never answered: breached
            ticket("T4", "2024-02-29 20:00", priority="urgent", first_response_min=45),  # 1h: met
            ticket("T5", "2024-03-31 12:00"),  # due 1 Apr, after the data's end: not yet
            # answered, but its target falls due on 1 Apr: not yet either, and no April row
            ticket("T6", "2024-03-31 11:00", first_response_min=10),
        ],
    )
    frame = compute_kpis(
        warehouse, settings(sla={"priority": {"urgent": {"first_response": "1h"}}}), by=["month"]
    )
    jan, feb, mar = (row(frame, "sla_first_response", p) for p in ("2024-01", "2024-02", "2024-03"))
    assert (feb.value, feb.n) == (pytest.approx(2 / 4), 4)
    # case SL-4: nothing fell due in January or March → null, not 100 %.
    assert math.isnan(jan.value) and jan.n == 0
    assert math.isnan(mar.value) and mar.n == 0
    assert sorted(set(frame.period)) == ["2024-01", "2024-02", "2024-03"]


def test_sla_default_target_can_be_changed(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        # T3 places the data's end on 2 Jan, after T1's and T2's 90-minute targets
        tickets=[ticket("T1", "2024-01-01", first_response_min=100),
                 ticket("T2", "2024-01-01", first_response_min=20),
                 ticket("T3", "2024-01-02")],
    )  # fmt: skip
    sla = row(
        compute_kpis(warehouse, settings(sla={"first_response": "90m"})), "sla_first_response"
    )
    assert (sla.value, sla.n) == (0.5, 2)


def test_dimensions_split_tickets_including_segment_via_customers(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            ticket("T1", "2024-01-01", channel="email", customer_id="C1"),
            ticket("T2", "2024-01-02", channel="email", customer_id="C2"),
            ticket("T3", "2024-01-03", channel="chat", customer_id="C1"),
            ticket("T4", "2024-01-04", channel="chat"),
        ],
        customers=[
            {"customer_id": "C1", "segment": "vip"},
            {"customer_id": "C2", "segment": "smb"},
        ],
    )
    frame = compute_kpis(warehouse, settings(), by=["channel", "segment"], metrics=["tickets"])
    counts = {tuple(g.values()): v for g, v in zip(frame.group, frame.value, strict=True)}
    assert counts == {
        ("chat", "vip"): 1,
        ("chat", None): 1,
        ("email", "smb"): 1,
        ("email", "vip"): 1,
    }
    assert list(frame.group.iloc[0]) == ["channel", "segment"]
