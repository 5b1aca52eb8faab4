"""The call list's values and glue (actions.retention), on warehouses written here.

Values are worked out by hand: a plan whose Kaplan–Meier curve is 1 until day 40 and
0.5 after it, a 12-month horizon and a 10 % annual rate.
"""

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxlens.actions.retention import _reason_text, settings_actions, subscription_values
from cxlens.actions.targets import Action
from cxlens.settings import load_settings

DISCOUNT = 1.10 ** (-np.arange(1, 13) / 12)  # month m of 12, at (1.1)^(-m/12)


def settings_with(tmp_path, text=""):
    path = tmp_path / "cxlens.toml"
    path.write_text(text)
    return load_settings(path)


@pytest.fixture
def plan_warehouse(tmp_path):
    """Plan P: 20 customers start on 2024-01-01; ten end on day 40 (2024-02-10), ten stay.
    Customer N (plan P, 30/month) starts on 2024-06-20, ten days before the end."""
    rows = [(f"S{i}", f"C{i}", "2024-01-01", "2024-02-10" if i < 10 else None, 10.0)
            for i in range(20)] + [("SN", "N", "2024-06-20", None, 30.0)]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["subscription_id", "customer_id", "start", "end", "mrr"])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.register("raw", frame)
    con.execute("""
        CREATE TABLE subscriptions AS SELECT subscription_id, customer_id,
            CAST("start" AS TIMESTAMP) AS started_at, CAST("end" AS TIMESTAMP) AS ended_at,
            CAST("start" AS TIMESTAMP) AS started_at_local,
            CAST("end" AS TIMESTAMP) AS ended_at_local, 'P' AS plan, mrr
        FROM raw
    """)
    yield con
    con.close()


def test_a_subscriber_is_worth_revenue_times_the_plans_retention_ahead(tmp_path, plan_warehouse):
    # At 2024-06-30: the ten staying customers have tenure 181 days, beyond day 40, where
    # the curve is 0.5 and flat after (held at its last value): every month ahead keeps
    # 0.5 / 0.5 = 1, so 10 × sum of the discounts. N has tenure 10 days: from day 10 the
    # curve falls to 0.5 at day 40 < 10 + 30.44, so each month keeps 0.5 / 1.
    values = subscription_values(plan_warehouse, settings_with(tmp_path), date(2024, 6, 30))
    values = values.set_index("customer_id")["value"]
    assert set(values.index) == {f"C{i}" for i in range(10, 20)} | {"N"}
    assert values["C15"] == pytest.approx(10 * DISCOUNT.sum())
    assert values["N"] == pytest.approx(30 * 0.5 * DISCOUNT.sum())


def test_the_horizon_and_rate_come_from_the_clv_settings(tmp_path, plan_warehouse):
    settings = settings_with(tmp_path, "[clv]\nhorizon_months = 3\nannual_discount_rate = 0\n")
    values = subscription_values(plan_warehouse, settings, date(2024, 6, 30))
    assert values.set_index("customer_id")["value"]["C15"] == pytest.approx(10 * 3)


def test_actions_come_from_the_settings(tmp_path):
    assert settings_actions(settings_with(tmp_path)) == [Action("call", 20.0, 0.2)]
    listed = settings_with(
        tmp_path,
        "[[targets.actions]]\nname = 'call'\ncost = 5\nsave_rate = 0.25\n"
        "[[targets.actions]]\nname = 'coupon'\ncost = 1\nsave_rate = 0.06\n",
    )
    assert settings_actions(listed) == [Action("call", 5.0, 0.25), Action("coupon", 1.0, 0.06)]


def test_reasons_join_into_one_cell_without_empty_parts():
    frame = pd.DataFrame(
        {
            "reason_1": ["slow replies", None],
            "reason_2": ["2 reopens", None],
            "reason_3": [None, None],
        }
    )
    assert _reason_text(frame).tolist() == ["slow replies; 2 reopens", ""]
