"""The shape of ``compute_kpis`` output and ``kpi_records``; pooling across periods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from test_metrics_fixtures import settings, warehouse_with, write_tables
from test_metrics_tickets import row

from cxlens.errors import ConfigError
from cxlens.metrics import KPIS, compute_kpis, kpi_records
from cxlens.store import Warehouse

DOCS = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"


def small_warehouse(tmp_path):
    return warehouse_with(
        tmp_path,
        tickets=[
            {"ticket_id": "T1", "created_at_local": "2024-03-05 09:00", "channel": "email",
             "first_response_min": 30, "solved_at_local": "2024-03-05 12:00", "resolution_min": 180},
            {"ticket_id": "T2", "created_at_local": "2024-03-06 09:00", "channel": "email"},
        ],
        survey_responses=[
            {"response_id": f"R{i}", "kind": "csat", "score": s, "responded_at_local": "2024-03-07",
             "channel": "email"}
            for i, s in enumerate([5, 4, 2])
        ],
    )  # fmt: skip


def test_kpi_records_have_exactly_the_contract_keys_and_types(tmp_path):
    frame = compute_kpis(small_warehouse(tmp_path), settings(), by=["month", "channel"])
    records = kpi_records(frame)
    csat = next(r for r in records if r["metric"] == "csat")
    assert csat == {"metric": "csat", "period": "2024-03", "group": {"channel": "email"},
                    "value": 0.6667, "n": 3, "ci_low": 0.2077, "ci_high": 0.9385}  # fmt: skip
    tickets = next(r for r in records if r["metric"] == "tickets")
    assert type(tickets["n"]) is int and type(tickets["value"]) is int
    assert tickets["ci_low"] is None and tickets["ci_high"] is None
    for record in records:
        assert list(record) == ["metric", "period", "group", "value", "n", "ci_low", "ci_high"]
    assert json.loads(json.dumps(records, allow_nan=False)) == records


def test_rows_follow_catalogue_order_then_period(tmp_path):
    frame = compute_kpis(small_warehouse(tmp_path), settings(), by=["day"])
    ranks = [list(KPIS).index(m) for m in frame.metric]
    assert ranks == sorted(ranks)
    tickets = frame[frame.metric == "tickets"]
    assert list(tickets.period) == ["2024-03-05", "2024-03-06", "2024-03-07"]
    assert list(tickets.group) == [{}, {}, {}]


def test_unknown_metric_names_the_ids(tmp_path):
    with pytest.raises(ConfigError) as error:
        compute_kpis(small_warehouse(tmp_path), settings(), metrics=["csat", "happiness"])
    assert "happiness" in str(error.value) and "first_response_median_min" in str(error.value)


def test_metrics_limit_the_output(tmp_path):
    frame = compute_kpis(small_warehouse(tmp_path), settings(), metrics=["csat", "tickets"])
    assert list(frame.metric) == ["tickets", "csat"]


def test_empty_warehouse_gives_no_rows(tmp_path):
    warehouse = Warehouse(tmp_path / "empty.duckdb")
    with warehouse.connect():
        pass
    assert compute_kpis(warehouse, settings()).empty


def test_every_kpi_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    missing = [kpi for kpi in KPIS if f"`{kpi}`" not in text]
    assert missing == []


months = st.lists(
    st.sampled_from(["2024-01", "2024-02", "2024-03", "2024-04"]), min_size=1, max_size=12
)


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    responses=st.lists(
        st.tuples(st.sampled_from(["2024-01", "2024-03"]), st.integers(1, 5)), max_size=10
    ),
    solved=st.lists(st.tuples(months, st.integers(0, 2), st.integers(0, 1)), max_size=10),
)
def test_pooled_all_equals_sums_over_month_rows(tmp_path_factory, responses, solved):
    # Pooled CSAT and FCR over all the data are sums of numerators over sums of denominators.
    warehouse = Warehouse(tmp_path_factory.mktemp("pool") / "w.duckdb")
    tickets = [
        {"ticket_id": f"T{i}", "created_at_local": f"{ms[0]}-01", "solved_at_local": f"{ms[0]}-02",
         "agent_replies": replies, "reopens": reopens}
        for i, (ms, replies, reopens) in enumerate(solved)
    ] or [{"ticket_id": "T0", "created_at_local": "2024-01-01"}]  # fmt: skip
    surveys = [
        {"response_id": f"R{i}", "kind": "csat", "score": s, "responded_at_local": f"{m}-15"}
        for i, (m, s) in enumerate(responses)
    ] or [{"response_id": "R0", "kind": "nps", "score": 9, "responded_at_local": "2024-01-01"}]
    with warehouse.transaction() as con:
        write_tables(con, tickets=tickets, survey_responses=surveys)
    monthly = compute_kpis(warehouse, settings(), by=["month"], metrics=_present(warehouse))
    pooled = compute_kpis(warehouse, settings(), metrics=_present(warehouse))
    for metric in set(pooled.metric):
        rows = monthly[monthly.metric == metric]
        successes = (rows.value.fillna(0) * rows.n).sum()
        whole = row(pooled, metric)
        assert whole.n == rows.n.sum()
        if whole.n:
            assert whole.value == pytest.approx(successes / rows.n.sum())


def _present(warehouse):
    frame = compute_kpis(warehouse, settings(), metrics=["csat", "fcr"])
    return sorted(set(frame.metric)) or ["tickets"]


def rich_warehouse(tmp_path):
    """Data for every implemented KPI (answer rate, CES, subscriptions, orders included)."""
    return warehouse_with(
        tmp_path,
        tickets=[
            {"ticket_id": "T1", "created_at_local": "2024-03-05 09:00", "first_response_min": 30,
             "first_any_response_min": 0.5, "solved_at_local": "2024-03-05 12:00", "resolution_min": 180, "reopens": 0,
             "agent_replies": 1, "first_solved_at_local": "2024-03-05 12:00",
             "first_resolution_min": 180, "answered": True,
             "first_response_business_min": 30, "resolution_business_min": 180},
            {"ticket_id": "T2", "created_at_local": "2024-03-09 09:00", "answered": False},
        ],
        sla_clocks=[
            {"ticket_id": "T1", "metric": metric, "clock_no": 1, "target_min": 1440,
             "due_at_local": "2024-03-06 09:00", "state": "met", "breached": False,
             "fell_due": True}
            for metric in ("first_response", "next_response", "resolution")
        ],
        survey_responses=[
            {"response_id": "R1", "kind": "csat", "score": 5, "responded_at_local": "2024-03-07",
             "sent_at_local": "2024-03-06"},
            {"response_id": "R2", "kind": "nps", "score": 9, "responded_at_local": "2024-03-07"},
            {"response_id": "R3", "kind": "ces", "score": 2, "responded_at_local": "2024-03-07"},
        ],
        subscriptions=[{"subscription_id": "S1", "customer_id": "A",
                        "started_at_local": "2024-03-01"}],
        orders=[{"order_id": "O1", "customer_id": "A", "ordered_at_local": "2024-03-02",
                 "amount": 10.0, "status": "completed"}],
    )  # fmt: skip


def test_metrics_return_exactly_the_ids_asked_for(tmp_path):
    warehouse = rich_warehouse(tmp_path)
    computed = sorted(set(compute_kpis(warehouse, settings()).metric))
    assert computed == sorted(k.id for k in KPIS.values() if k.implemented)
    for metric in computed:  # one id asked: only that id, with or without a grain
        for by in ([], ["month"]):
            assert set(compute_kpis(warehouse, settings(), by=by, metrics=[metric]).metric) == {
                metric
            }, (metric, by)
    asked = ["resolution_median_min", "first_response_p90_min"]
    frame = compute_kpis(warehouse, settings(), metrics=asked)
    assert list(frame.metric) == ["first_response_p90_min", "resolution_median_min"]
    assert list(frame.value) == [pytest.approx(30), 180]  # one value each


def test_counts_are_integers_and_backlog_n_is_the_backlog(tmp_path):
    # Jan: A and B created, B solved; Feb: A solved (backlog 0); Mar: C created.
    # A CSAT response on 20 Dec opens the data's range before the first ticket.
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            {"ticket_id": "A", "created_at_local": "2024-01-10", "solved_at_local": "2024-02-03"},
            {"ticket_id": "B", "created_at_local": "2024-01-20", "solved_at_local": "2024-01-25"},
            {"ticket_id": "C", "created_at_local": "2024-03-01"},
        ],
        survey_responses=[{"response_id": "R1", "kind": "csat", "score": 4,
                           "responded_at_local": "2023-12-20"}],
    )  # fmt: skip
    frame = compute_kpis(warehouse, settings(), by=["month"], metrics=["tickets", "backlog"])
    records = kpi_records(frame)
    backlog = [(r["period"], r["value"], r["n"]) for r in records if r["metric"] == "backlog"]
    # before the first ticket the backlog is unknown; a backlog of 0 is a value with n 0
    assert backlog == [("2023-12", None, 0), ("2024-01", 1, 1), ("2024-02", 0, 0),
                       ("2024-03", 1, 1)]  # fmt: skip
    tickets = [(r["value"], r["n"]) for r in records if r["metric"] == "tickets"]
    assert tickets == [(None, 0), (2, 2), (None, 0), (1, 1)]
    for record in records:
        assert record["value"] is None or type(record["value"]) is int
        assert type(record["n"]) is int
    text = json.dumps(records)
    assert '"value": 2,' in text and ".0," not in text
