"""Churn, retention and historical CLV on tiny hand-computed inputs."""

from __future__ import annotations

import math

import pytest
from test_metrics_fixtures import settings, warehouse_with
from test_metrics_tickets import row

from cxlens.metrics import compute_kpis


def subscription(sid, customer, started, ended=None):
    return {"subscription_id": sid, "customer_id": customer, "started_at_local": started,
            "ended_at_local": ended}  # fmt: skip


def test_contractual_churn_is_lost_over_active_at_period_start(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        subscriptions=[
            subscription("S1", "A", "2024-01-05", "2024-02-10"),  # active 1 Feb, lost in Feb
            subscription("S2", "B", "2024-01-06"),  # still active
            subscription("S3", "C", "2024-01-07", "2024-03-20"),  # lost in March
            subscription("S4", "D", "2024-02-02", "2024-02-20"),  # joins and leaves in Feb
            subscription("S5", "B", "2023-12-31", "2024-01-01"),  # B keeps S2 open: not lost
        ],
    )
    frame = compute_kpis(warehouse, settings(), by=["month"])
    feb, mar = row(frame, "churn_rate", "2024-02"), row(frame, "churn_rate", "2024-03")
    assert (feb.value, feb.n) == (pytest.approx(1 / 3), 3)  # A of A, B, C
    assert (mar.value, mar.n) == (0.5, 2)  # C of B, C (D joined and left in February)
    assert row(frame, "retention_rate", "2024-02").value == pytest.approx(2 / 3)
    assert row(frame, "retention_rate", "2024-02").ci_low == pytest.approx(1 - feb.ci_high)
    whole = row(compute_kpis(warehouse, settings()), "churn_rate")
    assert (whole.value, whole.n) == (pytest.approx(3 / 4), 4)


def test_non_contractual_churn_uses_the_window_after_the_last_order(tmp_path):
    orders = [
        ("O1", "A", "2024-01-01", "completed"),  # churns 2024-01-31
        ("O2", "B", "2024-01-01", "completed"),
        ("O3", "B", "2024-02-15", "completed"),  # churns 2024-03-16
        ("O4", "C", "2024-01-02", "completed"),
        ("O5", "C", "2024-03-10", "cancelled"),  # ignored: churns 2024-02-01
        ("O6", "D", "2024-03-20", "completed"),  # churn 2024-04-19 is after the data's end
    ]
    warehouse = warehouse_with(
        tmp_path,
        orders=[
            {"order_id": o, "customer_id": c, "ordered_at_local": at, "amount": 10, "status": s}
            for o, c, at, s in orders
        ],
    )
    frame = compute_kpis(warehouse, settings(churn={"window_days": 30}), by=["month"])
    jan, feb, mar = (row(frame, "churn_rate", p) for p in ("2024-01", "2024-02", "2024-03"))
    assert math.isnan(jan.value) and jan.n == 0  # nobody active on 1 Jan
    assert (feb.value, feb.n) == (0.5, 2)  # C of B, C (A joined and left in January)
    assert (mar.value, mar.n) == (1.0, 1)  # B of B
    whole = row(compute_kpis(warehouse, settings(churn={"window_days": 30})), "churn_rate")
    assert (whole.value, whole.n) == (0.75, 4)


def test_subscriptions_take_precedence_over_orders(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        subscriptions=[subscription("S1", "A", "2024-01-01")],
        orders=[
            {"order_id": "O1", "customer_id": "B", "ordered_at_local": "2023-01-01", "amount": 5}
        ],
    )
    churn = row(compute_kpis(warehouse, settings()), "churn_rate")
    assert (churn.value, churn.n) == (0, 1)


def test_historical_clv_is_net_revenue_per_customer(tmp_path):
    orders = [
        ("O1", "A", 100.0, "completed"),
        ("O2", "A", 30.0, "refunded"),  # A: 100 - 30 = 70
        ("O3", "B", 50.0, "completed"),
        ("O4", "B", 999.0, "cancelled"),  # B: 50
        ("O5", "C", 999.0, "cancelled"),  # C has no live order: not counted
    ]
    warehouse = warehouse_with(
        tmp_path,
        orders=[
            {"order_id": o, "customer_id": c, "ordered_at_local": "2024-01-02", "amount": a,
             "status": s}
            for o, c, a, s in orders
        ],
        customers=[{"customer_id": "A", "segment": "vip"}, {"customer_id": "B", "segment": "smb"}],
    )  # fmt: skip
    clv = row(compute_kpis(warehouse, settings(), by=["month"]), "clv_historical_mean", "all")
    assert (clv.value, clv.n) == (60, 2)
    by_segment = compute_kpis(
        warehouse, settings(), by=["segment"], metrics=["clv_historical_mean"]
    )
    assert row(by_segment, "clv_historical_mean", group={"segment": "vip"}).value == 70


def test_churn_cannot_be_split_by_agent(tmp_path):
    warehouse = warehouse_with(tmp_path, subscriptions=[subscription("S1", "A", "2024-01-01")])
    assert compute_kpis(warehouse, settings(), by=["agent"]).empty
