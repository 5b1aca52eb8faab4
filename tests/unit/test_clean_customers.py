"""One customer under differently written e-mails or phones becomes one customer."""

import pytest

from cxlens.clean.phones import default_region, normalise_phone
from cxlens.settings import Settings
from helpers_raw import clean_rows, fetch, rule_rows


def test_customers_sharing_an_email_or_phone_merge_and_orders_follow(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "customers": [
                {"customer_id": "C1", "created_at": "2024-01-01", "email": "A@x.com "},
                {"customer_id": "C2", "created_at": "2024-02-01", "email": "a@x.com"},
                {"customer_id": "C3", "created_at": "2024-01-05", "phone": "+86 138 0013 8000"},
                {"customer_id": "C4", "created_at": "2023-12-01", "phone": "13800138000"},
                {"customer_id": "C5", "created_at": "2024-01-01", "email": "b@x.com"},
            ],
            "orders": [
                {"order_id": "O1", "customer_id": "C2", "ordered_at": "2024-03-01", "amount": 5},
                {"order_id": "O2", "customer_id": "C3", "ordered_at": "2024-03-01", "amount": 7},
                {"order_id": "O3", "customer_id": "C5", "ordered_at": "2024-03-01", "amount": 9},
            ],
        },
        timezone="Asia/Shanghai",
    )
    assert fetch(warehouse, "SELECT customer_id, email, phone FROM customers ORDER BY 1") == [
        ("C1", "a@x.com", None),
        ("C4", None, "+8613800138000"),
        ("C5", "b@x.com", None),
    ]
    assert fetch(warehouse, "SELECT order_id, customer_id FROM orders ORDER BY 1") == [
        ("O1", "C1"),
        ("O2", "C4"),
        ("O3", "C5"),
    ]
    assert fetch(warehouse, "SELECT * FROM customer_aliases ORDER BY 1") == [
        ("C1", "C1"),
        ("C2", "C1"),
        ("C3", "C4"),
        ("C4", "C4"),
        ("C5", "C5"),
    ]
    assert rule_rows(rules, "customers_merged", "customers") == (2, ["C2→C1", "C3→C4"])
    assert rule_rows(rules, "customer_repointed", "orders") == (2, ["O1", "O2"])


def test_merges_follow_a_chain_and_the_earliest_created_survives(tmp_path):
    # C1 and C2 share an e-mail, C2 and C3 a phone: one customer, C3 created first.
    # C4 has no creation time: it sorts last; C4 and C5 tie on that, so the smaller id wins.
    warehouse, _ = clean_rows(
        tmp_path,
        {
            "customers": [
                {"customer_id": "C1", "created_at": "2024-01-03", "email": "x@y.cn"},
                {
                    "customer_id": "C2",
                    "created_at": "2024-01-02",
                    "email": "X@Y.CN",
                    "phone": "+1 212 555 0100",
                },
                {"customer_id": "C3", "created_at": "2024-01-01", "phone": "(212) 555-0100"},
                {"customer_id": "C5", "email": "z@y.cn"},
                {"customer_id": "C4", "email": " z@y.cn"},
            ],
            "tickets": [{"ticket_id": "T1", "created_at": "2024-02-01", "customer_id": "C1"}],
        },
        timezone="America/New_York",
    )
    assert fetch(warehouse, "SELECT customer_id FROM customers ORDER BY 1") == [("C3",), ("C4",)]
    assert fetch(warehouse, "SELECT customer_id FROM tickets") == [("C3",)]


def test_gmail_dots_are_not_merged(tmp_path):
    # dots in the local part are kept: only some providers ignore them
    warehouse, _ = clean_rows(
        tmp_path,
        {
            "customers": [
                {"customer_id": "C1", "email": "j.doe@gmail.com"},
                {"customer_id": "C2", "email": "jdoe@gmail.com"},
            ]
        },
    )
    assert fetch(warehouse, "SELECT count(*) FROM customers") == [(2,)]


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("+86 138 0013 8000", "CN", ("+8613800138000", True)),
        ("13800138000", "CN", ("+8613800138000", True)),
        ("138-0013-8000", "CN", ("+8613800138000", True)),
        ("(212) 555-0100", "US", ("+12125550100", True)),
        ("not a phone", "US", ("not a phone", False)),
        ("  ", "US", (None, True)),
    ],
)
def test_normalise_phone(text, region, expected):
    assert normalise_phone(text, region) == expected


@pytest.mark.parametrize(
    ("timezone", "raw", "expected"),
    [
        ("Asia/Shanghai", {}, "CN"),
        ("Asia/Kolkata", {}, "IN"),
        ("UTC", {}, "US"),
        ("Asia/Shanghai", {"project": {"region": "hk"}}, "HK"),
    ],
)
def test_default_region(timezone, raw, expected):
    assert default_region(Settings(timezone=timezone, raw=raw)) == expected
