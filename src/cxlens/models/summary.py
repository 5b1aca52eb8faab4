"""Per-customer purchase summaries (frequency, recency, T, monetary value) from orders.

The lifetime-value models see a customer as a sequence of purchase *days*, so the
summary is built on local days (``ordered_at_local``): several orders on one day are
one purchase whose spend is their sum. Only completed orders count; refunded and
cancelled orders are left out, as they are not money the customer kept spending.

- ``frequency``: distinct purchase days minus one (the repeat purchases);
- ``recency``: time from the first to the last purchase day;
- ``T``: time from the first purchase day to the observation end ``until``;
- ``monetary_value``: mean spend of the repeat purchase days, the first purchase
  excluded (it is often unlike the rest); 0 for a customer with no repeat purchase.

Times are elapsed days divided by the length of the unit (a week is 7 days, a month
365.25/12, a quarter 365.25/4, a year 365.25), never counts of calendar periods, so
213 days are 30.43 weeks.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from cxlens.errors import ConfigError, WarehouseError
from cxlens.models.dates import as_day
from cxlens.store import has_table

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

log = logging.getLogger(__name__)

DAYS_PER_UNIT = {
    "day": 1.0,
    "week": 7.0,
    "month": 365.25 / 12,
    "quarter": 365.25 / 4,
    "year": 365.25,
}

SUMMARY_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary_value"]

# One pass over the cleaned orders. The observation end is the given day, else the last
# local order day of any status (how far the export reaches); orders on that day count.
_SUMMARY_SQL = """
WITH observation AS (
    SELECT coalesce(CAST($until AS DATE), max(CAST(ordered_at_local AS DATE))) AS until_day
    FROM orders
),
purchase_days AS (
    SELECT customer_id, CAST(ordered_at_local AS DATE) AS day, sum(amount)::DOUBLE AS spend
    FROM orders, observation
    WHERE status = 'completed'
      AND customer_id IS NOT NULL
      AND CAST(ordered_at_local AS DATE) <= until_day
    GROUP BY customer_id, day
),
with_first AS (
    SELECT *, min(day) OVER (PARTITION BY customer_id) AS first_day FROM purchase_days
)
SELECT
    customer_id,
    count(*) - 1 AS frequency,
    (max(day) - min(day)) / $days_per_unit AS recency,
    (any_value(until_day) - min(day)) / $days_per_unit AS "T",
    coalesce(avg(spend) FILTER (WHERE day > first_day), 0.0) AS monetary_value
FROM with_first, observation
GROUP BY customer_id
ORDER BY customer_id
"""


def purchase_summary(
    con: duckdb.DuckDBPyConnection,
    until: date | str | None = None,
    time_unit: str = "week",
) -> pd.DataFrame:
    """Summarise each customer's completed purchases up to ``until`` in ``time_unit``.

    ``con`` is a connection to a cleaned warehouse (it reads the ``orders`` table).
    ``until`` is the observation end, a date or ``'YYYY-MM-DD'`` (default: the last
    order day in the data); orders on that day count and later ones are ignored, so a
    purchase on ``until`` has recency equal to T. Returns one row per customer with a
    completed order by then: customer_id, frequency, recency, T, monetary_value.
    """
    days_per_unit = _days_per_unit(time_unit)
    until_day = as_day(until)
    if not has_table(con, "orders"):
        raise WarehouseError(
            "the warehouse has no cleaned orders table; import an orders file with "
            "`cxlens import FILE --table orders` (or list it in cxlens.toml and `cxlens run`)"
        )

    parameters = {"until": until_day, "days_per_unit": days_per_unit}
    summary = con.execute(_SUMMARY_SQL, parameters).df()
    summary["customer_id"] = summary["customer_id"].astype(str)
    summary["frequency"] = summary["frequency"].astype("int64")
    log.debug("purchase summary: %d customers, until %s, in %ss", len(summary), until, time_unit)
    return summary[SUMMARY_COLUMNS]


def _days_per_unit(time_unit: str) -> float:
    """The length of ``time_unit`` in days, or a ConfigError naming the allowed units."""
    if time_unit not in DAYS_PER_UNIT:
        raise ConfigError(f"[clv] time_unit = {time_unit!r}; use day, week, month, quarter or year")
    return DAYS_PER_UNIT[time_unit]
