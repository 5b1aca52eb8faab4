"""Orders: default status and currency. Subscriptions: ending before starting is flagged."""

from datetime import datetime

from helpers_raw import clean_rows, fetch, rule_rows


def order(order_id, **columns):
    return {"order_id": order_id, "customer_id": "C1", "ordered_at": "2024-01-01", "amount": 1,
            **columns}  # fmt: skip


def test_order_status_and_currency_defaults(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "orders": [
                order("O1"),
                order("O2", status="Canceled", currency=" usd"),
                order("O3", status="已退款", currency="EUR"),
                order("O4", status="on backorder"),
            ]
        },
        currency="CNY",
    )
    rows = fetch(warehouse, "SELECT order_id, status, currency FROM orders ORDER BY 1")
    assert rows == [
        ("O1", "completed", "CNY"),
        ("O2", "cancelled", "USD"),
        ("O3", "refunded", "EUR"),
        ("O4", "on backorder", "CNY"),
    ]
    assert rule_rows(rules, "status_default", "orders") == (1, ["O1"])
    assert rule_rows(rules, "currency_default", "orders") == (2, ["O1", "O4"])
    assert rule_rows(rules, "status_unknown", "orders") == (1, ["O4"])


def test_subscription_ending_before_it_starts_is_flagged_not_changed(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "subscriptions": [
                {
                    "subscription_id": "S1",
                    "customer_id": "C1",
                    "started_at": "2024-02-01",
                    "ended_at": "2024-01-01",
                },
                {"subscription_id": "S2", "customer_id": "C1", "started_at": "2024-02-01"},
            ]
        },
    )
    rows = fetch(warehouse, "SELECT subscription_id, ended_at, quality_flags FROM subscriptions "
                 "ORDER BY 1")  # fmt: skip
    assert rows == [("S1", datetime(2024, 1, 1), "ended_before_started"), ("S2", None, None)]
    assert rule_rows(rules, "ended_before_started", "subscriptions") == (1, ["S1"])
