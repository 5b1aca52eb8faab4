"""The sample company's care plan: subscriptions shaped like IBM's Telco churn sample.

Hearthwell sells an appliance care plan (repairs, a yearly service visit) at checkout or
a few days after delivery. Each subscriber takes the profile of a different customer of
the Telco Customer Churn sample bundled in :mod:`cxlens.datasets`:

- ``Contract`` gives the plan: month-to-month → ``care-monthly``, one year → ``care-1y``,
  two year → ``care-2y``;
- ``MonthlyCharges`` gives the monthly price: ``CNY_PER_TELCO_DOLLAR`` yuan per dollar,
  priced to end in .9; dearer plans go with dearer appliances;
- ``Churn`` and ``tenure`` give the ending: a subscriber who left Telco after ``tenure``
  months cancels that many months after starting here, a prepaid plan at the end of
  its paid term (tenure rounded up to 12 or 24 months); one still at Telco keeps the plan;
- ``gender`` and ``SeniorCitizen`` become the customer's gender and, for seniors who
  gave an age, an age of 65 or more.

Plans start during the sample period, so cancellations spread over its months the way
a young subscription book loses customers: many monthly plans in their first months,
annual plans at renewal, two-year plans not yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import timeline
from cxlens.sample.timeline import MISSING

PLANS = {  # Telco Contract → (plan, months paid per term)
    "Month-to-month": ("care-monthly", 1),
    "One year": ("care-1y", 12),
    "Two year": ("care-2y", 24),
}
CNY_PER_TELCO_DOLLAR = 0.5  # $18.25–$118.75 a month → ¥8.9–¥58.9
AT_CHECKOUT = 0.7  # the others sign up after delivery


def make_subscriptions(
    customers: pd.DataFrame, orders: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """One care plan per subscriber: ``customer`` and ``order`` rows, times in seconds.

    Also sets the subscribers' gender and, for Telco seniors, age in ``customers``.
    """
    bought_with = _plan_orders(orders, rng)
    profiles = _profiles(orders["amount"].to_numpy()[bought_with], rng)
    started = _start_times(orders["ordered_at"].to_numpy()[bought_with], rng)
    kept = started < timeline.EXPORT_AT
    bought_with, profiles, started = bought_with[kept], profiles[kept], started[kept]

    plan, term = _plans(profiles["Contract"])
    months = np.ceil(profiles["tenure"].to_numpy() / term).astype(int) * term
    ended = np.where(profiles["Churn"].to_numpy() == "Yes", _months_later(started, months), MISSING)
    ended = np.where(ended < timeline.EXPORT_AT, ended, MISSING)

    subscriptions = pd.DataFrame(
        {
            "customer": orders["customer"].to_numpy()[bought_with],
            "order": bought_with,
            "started": started,
            "ended": ended,
            "plan": plan,
            "mrr": np.floor(profiles["MonthlyCharges"].to_numpy() * CNY_PER_TELCO_DOLLAR) - 0.1,
        }
    )
    subscriptions = subscriptions.sort_values("started", kind="stable", ignore_index=True)
    subscriptions["subscription_id"] = [f"CP{i:06d}" for i in range(1, len(subscriptions) + 1)]
    _take_demographics(customers, subscriptions["customer"].to_numpy(), profiles, rng)
    return subscriptions


def _plan_orders(orders: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Rows of the orders that came with a care plan: the first one per customer.

    The dearer the appliance, the likelier the plan: about one in five ¥300 orders,
    nearly half of the ¥3,000 ones.
    """
    amount = orders["amount"].to_numpy()
    take_up = np.clip(0.08 + 0.11 * np.log(amount / 100), 0.05, 0.7)
    chosen = (orders["status"].to_numpy() == "completed") & (rng.random(amount.size) < take_up)
    rows = np.flatnonzero(chosen)
    first = ~pd.Series(orders["customer"].to_numpy()[rows]).duplicated().to_numpy()
    return rows[first]


def _profiles(amount: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Telco customers, one per plan, the dearer tariffs going with the dearer orders."""
    from cxlens import datasets

    telco = datasets.load_telco()
    picked = rng.choice(len(telco), amount.size, replace=False)
    by_charge = picked[np.argsort(telco["MonthlyCharges"].to_numpy()[picked], kind="stable")]
    appetite = np.log(amount) + rng.normal(0, 0.6, amount.size)
    rows = np.empty(amount.size, dtype=np.int64)
    rows[np.argsort(appetite, kind="stable")] = by_charge
    return telco.iloc[rows].reset_index(drop=True)


def _start_times(ordered_at: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """At checkout a few minutes after ordering, or a few days after delivery."""
    n = ordered_at.size
    checkout = ordered_at + rng.integers(60, 15 * 60, n)
    later = ordered_at + ((2 + rng.gamma(2.0, 3.0, n)) * timeline.DAY).astype(np.int64)
    return np.where(rng.random(n) < AT_CHECKOUT, checkout, later)


def _plans(contract: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    plan = contract.map({k: v[0] for k, v in PLANS.items()}).to_numpy(dtype=object)
    term = contract.map({k: v[1] for k, v in PLANS.items()}).to_numpy(dtype=int)
    return plan, term


def _months_later(seconds: np.ndarray, months: np.ndarray) -> np.ndarray:
    """The same day of the month and time ``months`` later (the month's last day if short)."""
    moment = timeline.START + seconds.astype("timedelta64[s]")
    day = moment.astype("datetime64[D]")
    month = moment.astype("datetime64[M]")
    day_of_month = (day - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(int)
    end_day = target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)
    end = end_day.astype("datetime64[s]") + (moment - day.astype("datetime64[s]"))
    return ((end - timeline.START) // np.timedelta64(1, "s")).astype(np.int64)


def _take_demographics(
    customers: pd.DataFrame, rows: np.ndarray, profiles: pd.DataFrame, rng: np.random.Generator
) -> None:
    """The Telco profile's gender, and an age of 65–79 for its seniors who gave an age."""
    customers.loc[rows, "gender"] = profiles["gender"].str.lower().to_numpy()
    senior = profiles["SeniorCitizen"].to_numpy() == 1
    age = customers["age"].to_numpy(dtype=object)[rows]
    stated = pd.notna(age)
    senior_age = rng.integers(65, 80, rows.size)
    customers.loc[rows[senior & stated], "age"] = senior_age[senior & stated]
