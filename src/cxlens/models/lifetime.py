"""Customer lifetime value from the warehouse's orders: the fitted models and each customer's value.

The purchase summary (``models.summary``) feeds two models: BG/NBD says how often each
customer will buy and whether they are still active, Gamma-Gamma how much each purchase
will be worth. A customer's lifetime value is their expected purchases, month by month
over ``[clv] horizon_months``, each month discounted at the monthly equivalent of
``[clv] annual_discount_rate``, times their expected spend per purchase.

A month is 365.25/12 days in every unit, so a 12-month horizon in weeks is 52.18 weeks.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from cxlens.errors import ConfigError, ModelError
from cxlens.models.plain import finite
from cxlens.models.summary import DAYS_PER_UNIT, purchase_summary

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from cxlens.models.clv import BgNbd, GammaGamma
    from cxlens.settings import Settings

log = logging.getLogger(__name__)

# Below this many repeat buyers the spend model's three parameters are guesses.
MIN_REPEAT_BUYERS = 10

DAYS_PER_MONTH = 365.25 / 12

CUSTOMER_COLUMNS = [
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "clv",
]


@dataclass
class LifetimeValues:
    """The fitted models and one row per customer of what they are expected to be worth.

    ``customers`` holds the purchase summary plus ``p_alive`` (still active at ``until``),
    ``expected_purchases`` (undiscounted, over the horizon), ``expected_spend`` (per
    future purchase) and ``clv`` (discounted value over the horizon).
    """

    bgnbd: BgNbd
    gamma_gamma: GammaGamma
    until: date
    time_unit: str
    horizon_months: int
    annual_discount_rate: float
    customers: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """The fit and the value totals as plain JSON-ready values (NaN becomes null)."""
        value = self.customers["clv"]
        return {
            "until": self.until.isoformat(),
            "time_unit": self.time_unit,
            "customers": len(self.customers),
            "bgnbd": _model_json(self.bgnbd),
            "gamma_gamma": {
                **_model_json(self.gamma_gamma),
                "customers": int(self.gamma_gamma.n_customers_),
            },
            "clv": {
                "horizon_months": self.horizon_months,
                "annual_discount_rate": self.annual_discount_rate,
                "mean": finite(value.mean()),
                "median": finite(value.median()),
                "total": finite(value.sum()),
            },
        }


def customer_lifetime_values(
    con: duckdb.DuckDBPyConnection, settings: Settings, until: date | str | None = None
) -> LifetimeValues:
    """Fit BG/NBD and Gamma-Gamma on orders up to ``until`` and value every customer.

    ``until`` is the observation end (default: the last order day); the time unit,
    horizon and discount rate come from ``settings.clv``. Raises a WarehouseError when
    there are no cleaned orders and a ModelError when too few customers bought twice.
    """
    time_unit = settings.clv.get("time_unit", "week")
    months = _horizon_months(settings.clv.get("horizon_months", 12))
    annual_rate = float(settings.clv.get("annual_discount_rate", 0.10))

    summary = purchase_summary(con, until=until, time_unit=time_unit)
    until_day = _observation_end(con, until)
    _check_enough_repeat_buyers(summary, until_day)
    _check_within_data(con, until_day)
    bgnbd, gamma_gamma = _fit_models(summary, float(settings.clv.get("penalizer", 0.0)))

    units_per_month = DAYS_PER_MONTH / DAYS_PER_UNIT[time_unit]
    monthly_rate = (1 + annual_rate) ** (1 / 12) - 1
    customers = _value_customers(summary, bgnbd, gamma_gamma, months, units_per_month, monthly_rate)
    log.info("lifetime value of %d customers up to %s", len(customers), until_day)
    return LifetimeValues(bgnbd, gamma_gamma, until_day, time_unit, months, annual_rate, customers)


def lifetime_values_from_purchases(
    purchases: pd.DataFrame, settings: Settings, until: date
) -> LifetimeValues:
    """``customer_lifetime_values`` on completed purchases handed over as a frame.

    ``purchases`` has customer_id, ordered_at_local and amount, one row per completed
    order or per customer and day; the metrics read them from any warehouse (DuckDB,
    Spark, Postgres) and the summary is then built by the same query as for a DuckDB
    file, in an in-memory database, so both give the same values.
    """
    import duckdb

    with duckdb.connect(":memory:") as con:
        con.register("completed", purchases[["customer_id", "ordered_at_local", "amount"]])
        con.execute(
            "CREATE TABLE orders AS SELECT CAST(customer_id AS VARCHAR) AS customer_id, "
            "CAST(ordered_at_local AS TIMESTAMP) AS ordered_at_local, "
            "CAST(amount AS DOUBLE) AS amount, 'completed' AS status FROM completed"
        )
        return customer_lifetime_values(con, settings, until=until)


def _horizon_months(value: Any) -> int:
    """The horizon as whole months; the monthly discounting needs a whole number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        raise ConfigError(f"[clv] horizon_months = {value!r} must be a whole number >= 1")
    if not float(value).is_integer():
        raise ConfigError(
            f"[clv] horizon_months = {value!r}; use whole months, e.g. {math.ceil(value)}"
        )
    return int(value)


def _check_within_data(con: duckdb.DuckDBPyConnection, until: date | None) -> None:
    """Refuse an observation end after the last order: the customers' silence since then
    is not in the data, and the fit would read it as customers lost."""
    row = con.execute("SELECT max(CAST(ordered_at_local AS DATE)) FROM orders").fetchone()
    last = row[0] if row else None
    if until is not None and last is not None and until > last:
        raise ConfigError(
            f"--until {until} is after the last order in the data ({last}); lifetime value "
            f"is fitted on what was observed: use {last} or an earlier day"
        )


def _check_enough_repeat_buyers(summary: pd.DataFrame, until: date | None) -> None:
    """A ModelError naming the count when too few customers have a repeat purchase."""
    if summary.empty:
        raise ModelError(
            f"no completed order with a customer{f' up to {until}' if until else ''}; "
            "lifetime value needs "
            "customers' purchases: import an orders file with customer ids"
        )
    repeat = int((summary["frequency"] > 0).sum())
    if repeat < MIN_REPEAT_BUYERS:
        raise ModelError(
            f"only {repeat:,} of {len(summary):,} customers have a repeat purchase by the "
            f"observation end; lifetime value needs at least {MIN_REPEAT_BUYERS}. Import "
            "more orders or choose a later --until"
        )


def _observation_end(con: duckdb.DuckDBPyConnection, until: date | str | None) -> date:
    """``until`` as a date (already checked by the summary), or the last local order day."""
    if isinstance(until, datetime):
        return until.date()
    if isinstance(until, date):
        return until
    if until is not None:
        return date.fromisoformat(str(until).strip())
    row = con.execute("SELECT max(CAST(ordered_at_local AS DATE)) FROM orders").fetchone()
    return row[0]


def _fit_models(summary: pd.DataFrame, penalizer: float = 0.0) -> tuple[BgNbd, GammaGamma]:
    """BG/NBD on every customer's (x, t_x, T); Gamma-Gamma on the repeat buyers' spend.

    ``penalizer`` (``[clv] penalizer``) shrinks the parameters, for data whose fit does
    not converge without it. A fit with almost no dropout (a / (a + b) below one in a
    million) is the no-dropout model: it is kept, with a warning, as every customer then
    counts as still active.
    """
    from cxlens.models.clv import BgNbd, GammaGamma

    bgnbd = BgNbd(penalizer).fit(summary["frequency"], summary["recency"], summary["T"])
    gamma_gamma = GammaGamma(penalizer).fit(summary["frequency"], summary["monetary_value"])
    a, b = bgnbd.params_["a"], bgnbd.params_["b"]
    if a / (a + b) < 1e-6:
        log.warning(
            "the purchase model finds almost no dropout (a = %.3g, b = %.3g): every customer "
            "counts as still active; the orders may span too short a time for customers' "
            "leaving to show",
            a, b,
        )  # fmt: skip
    return bgnbd, gamma_gamma


def _value_customers(
    summary: pd.DataFrame,
    bgnbd: BgNbd,
    gamma_gamma: GammaGamma,
    months: int,
    units_per_month: float,
    monthly_rate: float,
) -> pd.DataFrame:
    """The summary plus P(alive), horizon purchases, spend per purchase and discounted CLV."""
    x, t_x, big_t = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    customers = summary.copy()
    customers["p_alive"] = bgnbd.p_alive(x, t_x, big_t)
    horizon = months * units_per_month
    customers["expected_purchases"] = bgnbd.expected_purchases(horizon, x, t_x, big_t)
    spend = gamma_gamma.expected_spend(x, summary["monetary_value"].to_numpy(float))
    customers["expected_spend"] = spend
    discounted = bgnbd.discounted_purchases(
        x, t_x, big_t, months=months, monthly_rate=monthly_rate, units_per_month=units_per_month
    )
    customers["clv"] = discounted * spend
    return customers[CUSTOMER_COLUMNS]


def _model_json(model: BgNbd | GammaGamma) -> dict[str, Any]:
    """Parameters, log-likelihood and standard errors of a fitted model."""
    return {
        "params": {name: finite(v) for name, v in model.params_.items()},
        "log_likelihood": finite(model.log_likelihood_),
        "std_errors": {name: finite(v) for name, v in model.std_errors_.items()},
    }
