"""The sample company's orders: each customer buys to the rhythm of a real CDNOW customer.

Every generated customer is paired with a different customer of the CDNOW purchase log
bundled in :mod:`cxlens.datasets` (the first-quarter-1997 cohort, followed for 78 weeks).
That customer's purchase days give the number of purchases, the days between them and
the relative size of each one:

- the CDNOW history is moved so that its first purchase falls on the company customer's
  first purchase (``first_purchase``, before the sample for existing customers) and is
  cut to the sample period;
- the days between purchases are counted on the shop's calendar, in which a promotion
  day counts as several ordinary days and a Spring Festival day as a third of one; a
  purchase that falls due around 618 or Double 11 is pulled into it, which gives the
  order peaks that later come back as ticket peaks;
- each purchase's dollar value becomes a yuan price: ``CNY_PER_CDNOW_DOLLAR`` yuan per
  dollar, times the customer segment's spend, priced to end in 9 or 0.

Cancellations and refunds are drawn per order, more often among promotion buys.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from cxlens.sample import timeline

# A CDNOW purchase day's dollars → yuan: the median CD order ($26.73) becomes ¥535,
# the price of a kettle or a rice cooker; the largest ($1,555) a few air conditioners.
CNY_PER_CDNOW_DOLLAR = 20.0
SEGMENT_SPEND = {"consumer": 1.0, "business": 2.4, "vip": 1.8}
LOWEST_PRICE = 29.0


@lru_cache(maxsize=1)
def cdnow_purchase_days() -> pd.DataFrame:
    """CDNOW's purchases merged per customer and day, in days from each first purchase.

    Columns: ``customer`` (0 … 23,569 in file order), ``offset_days`` and ``dollars``;
    sorted by customer, then day. Rows of one customer on one day are one purchase.
    """
    from cxlens import datasets

    log = datasets.load_cdnow_master()
    days = log.groupby(["customer_id", "date"], sort=True, as_index=False)["dollar_value"].sum()
    first = days.groupby("customer_id")["date"].transform("min")
    return pd.DataFrame(
        {
            "customer": pd.factorize(days["customer_id"], sort=True)[0],
            "offset_days": (days["date"] - first).dt.days.to_numpy(),
            "dollars": days["dollar_value"].to_numpy(),
        }
    )


def make_orders(customers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Orders with ``customer`` (row of ``customers``), ``ordered_at`` (seconds), amount, status."""
    purchases = _borrowed_histories(len(customers), rng)
    owner = purchases["owner"].to_numpy()
    first = customers["first_purchase"].to_numpy()[owner]
    day = _shop_calendar_days(first, purchases["offset_days"].to_numpy())
    kept = (day >= 0) & (day < timeline.N_DAYS)
    purchases, owner, first, day = purchases[kept], owner[kept], first[kept], day[kept]

    ordered_at = day * timeline.DAY + _time_of_day(rng, day.size, "order")
    opening = purchases["offset_days"].to_numpy() == 0  # the first purchase keeps its time
    ordered_at = np.where(opening, first, ordered_at)

    orders = pd.DataFrame(
        {"customer": owner, "ordered_at": ordered_at, "dollars": purchases["dollars"].to_numpy()}
    )
    orders = orders.sort_values(["ordered_at", "customer"], kind="stable", ignore_index=True)
    orders["order_id"] = [f"SO{i:07d}" for i in range(1, len(orders) + 1)]
    segment = customers["segment"].to_numpy()[orders["customer"].to_numpy()]
    orders["amount"] = _amounts(orders["dollars"].to_numpy(), segment, rng)
    orders["status"] = _statuses(orders["ordered_at"].to_numpy(), rng)
    return orders.drop(columns="dollars")


def _borrowed_histories(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """The purchase days of ``n`` different CDNOW customers, ``owner`` 0 … n-1."""
    days = cdnow_purchase_days()
    counts = np.bincount(days["customer"].to_numpy())
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    picked = rng.choice(counts.size, n, replace=False)
    owner = np.repeat(np.arange(n), counts[picked])
    within = np.arange(owner.size) - np.repeat(
        np.cumsum(counts[picked]) - counts[picked], counts[picked]
    )
    rows = starts[picked][owner] + within
    frame = days.iloc[rows].reset_index(drop=True)
    frame["owner"] = owner
    return frame


def _shop_calendar_days(first: np.ndarray, offset_days: np.ndarray) -> np.ndarray:
    """The day of each purchase: ``offset_days`` after ``first`` on the shop's calendar.

    The calendar's clock runs at the daily order weight, scaled so that the sample
    period lasts as many clock days as calendar days; before and after the sample it
    runs at one day per day. Returns whole days since the start (negative: before it).
    """
    weights = timeline.order_day_weights()
    weights = weights * weights.size / weights.sum()
    far = 10_000.0
    calendar = np.r_[-far, np.arange(weights.size + 1, dtype=float), weights.size + far]
    clock = np.r_[-far, 0.0, np.cumsum(weights), weights.size + far]
    start = np.interp(first / timeline.DAY, calendar, clock)
    moment = np.interp(start + offset_days, clock, calendar)
    moment = np.where(offset_days == 0, first / timeline.DAY, moment)  # exact, not round-tripped
    return np.floor(moment).astype(np.int64)


def _time_of_day(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    hours = timeline.hour_weights(kind)
    hour = rng.choice(24, n, p=hours / hours.sum())
    return hour * timeline.HOUR + rng.integers(0, timeline.HOUR, n)


def _amounts(dollars: np.ndarray, segment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """CDNOW dollars as appliance prices in yuan, priced to end in 9 or 0."""
    spend = pd.Series(segment).map(SEGMENT_SPEND).to_numpy(dtype=float)
    price = dollars * CNY_PER_CDNOW_DOLLAR * spend
    rounded = np.maximum(np.round(price / 10) * 10, LOWEST_PRICE + 1)
    return np.where(rng.random(segment.size) < 0.6, rounded - 1, rounded).astype(float)


def _statuses(ordered_at: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mostly completed; promotions bring more impulse buys that are cancelled or refunded."""
    day = ordered_at // timeline.DAY
    in_promotion = timeline.promotion_lift()[day] > 1.5
    u = rng.random(ordered_at.size)
    cancelled = u < np.where(in_promotion, 0.08, 0.04)
    refunded = ~cancelled & (u < np.where(in_promotion, 0.16, 0.10))
    return np.select([cancelled, refunded], ["cancelled", "refunded"], "completed")
