"""How long customers stay: Kaplan–Meier retention curves, the log-rank test, cohort matrices.

A retention curve answers "what share of customers is still with us after t days?",
counting customers whose end is not yet known (still subscribed, or bought recently)
as *censored*: they count as retained up to the observation end and no further. The
churn definition is the one of ``cxlens.metrics.customers``:

- contractual, where subscriptions are loaded: a customer's life runs from their first
  subscription start to the end of their last subscription; a customer with a
  subscription still open at ``until`` (or ending after it) is censored at ``until``;
- non-contractual, from orders (cancelled orders left out): from the first order to
  the last order plus ``[churn] window_days``; censored at ``until`` when that day is
  after ``until``.

Durations are whole local days (``until`` counts as observed, as in the purchase
summary of ``models.summary``), so "180 days" means 180 calendar days after the start.

The estimates come from statsmodels (``SurvfuncRight`` for the product-limit curve and
Greenwood's standard errors, ``survdiff`` for the log-rank test over any number of
groups). lifelines, the usual choice, cannot be installed beside pandas 3 (it requires
pandas < 3). statsmodels offers only simultaneous bands for the curve, so the
pointwise bands are written here from its Greenwood errors with the log-log transform
(``log(-log S)``, what statsmodels calls "cloglog" and R's ``survfit`` "log-log"): the
bands stay inside 0–1 and are the ones R and lifelines draw by default.

Groups (``by``): ``plan`` is the plan of the customer's first subscription; ``segment``
is ``customers.segment``; ``channel`` is the channel the customer opened most tickets in
up to ``until`` (merged tickets left out; a tie goes to the channel used first).
Customers with no value form the groups "unknown" and "no tickets". Groups of fewer
than ``MIN_GROUP_CUSTOMERS`` customers are pooled into "other": their curves would be
noise.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from cxlens.errors import ConfigError, ModelError, WarehouseError
from cxlens.models.dates import as_day, data_end
from cxlens.models.plain import finite
from cxlens.store import has_table, table_columns

if TYPE_CHECKING:
    import duckdb
    import numpy as np
    import pandas as pd

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

# Below this many customers a group's curve is too wide to read; such groups are pooled.
MIN_GROUP_CUSTOMERS = 20
POOLED = "other"
GROUPINGS = (None, "plan", "segment", "channel")
BASES = ("subscriptions", "orders")
CURVE_COLUMNS = ["time", "survival", "ci_low", "ci_high", "at_risk", "events"]
SIGNIFICANCE = 0.05


class KaplanMeier:
    """The product-limit estimate of a survival curve, with pointwise log-log bands.

    Parameters
    ----------
    alpha : float
        1 − the coverage of the bands and of the median's interval (0.05: 95 %).

    Attributes
    ----------
    survival_ : DataFrame
        time, survival, ci_low, ci_high, at_risk (just before ``time``), events (at
        ``time``): one row per event time, preceded by time 0 at survival 1 (so a plot
        starts at the origin) unless events happen at 0.
    median_ : float or None
        The first time the curve is at or below 0.5; None when it never gets there.
    median_ci_ : tuple of float
        The median's interval (statsmodels, log-log); the upper end may be infinite.
    n_, events_, follow_up_ : the number of subjects, of events, and the longest duration.
    """

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha

    def fit(self, durations: Any, events: Any) -> KaplanMeier:
        """Estimate the curve from each subject's duration and whether it ended (1) or not (0).

        Raises a ModelError naming how many rows are invalid and the first one's position
        (counted from 0) when a duration is negative or not finite or an event is not 0/1.
        """
        from statsmodels.duration.survfunc import SurvfuncRight

        if not 0 < self.alpha < 1:
            raise ModelError(f"alpha = {self.alpha!r}; use a number between 0 and 1, e.g. 0.05")
        time, status = _checked_input(durations, events)

        fitted = SurvfuncRight(time, status)
        self.n_ = len(time)
        self.events_ = int(status.sum())
        self.follow_up_ = float(time.max())
        self.survival_ = self._curve(fitted)
        self.median_ = _median(self.survival_)
        self.median_ci_ = _median_interval(fitted, self.alpha, self.events_)
        return self

    def _curve(self, fitted: Any) -> pd.DataFrame:
        """Event times with survival, log-log bands, risk sets and events; time 0 first."""
        import numpy as np
        import pandas as pd

        survival = np.asarray(fitted.surv_prob, dtype=float)
        low, high = log_log_band(survival, np.asarray(fitted.surv_prob_se, float), self.alpha)
        curve = pd.DataFrame(
            {
                "time": np.asarray(fitted.surv_times, dtype=float),
                "survival": survival,
                "ci_low": low,
                "ci_high": high,
                "at_risk": np.asarray(fitted.n_risk, dtype="int64"),
                "events": np.asarray(fitted.n_events, dtype="int64"),
            }
        )
        if len(curve) and curve["time"].iloc[0] == 0:
            return curve
        start = pd.DataFrame([[0.0, 1.0, 1.0, 1.0, self.n_, 0]], columns=CURVE_COLUMNS)
        return pd.concat([start, curve], ignore_index=True).astype(curve.dtypes.to_dict())

    def survival_at(self, times: Any) -> pd.Series:
        """The curve's value at each of ``times``: a step function, NaN past the follow-up.

        Past the longest observed duration nothing is known, so the value is missing
        rather than the last step carried on.
        """
        import numpy as np
        import pandas as pd

        self._check_fitted()
        at = np.atleast_1d(np.asarray(times, dtype=float))
        if np.isnan(at).any() or (at < 0).any():
            raise ModelError("survival_at needs times >= 0; remove negative or missing times")

        curve = self.survival_
        steps = np.searchsorted(curve["time"].to_numpy(), at, side="right") - 1
        values = np.where(steps >= 0, curve["survival"].to_numpy()[np.maximum(steps, 0)], 1.0)
        values = np.where(at > self.follow_up_, np.nan, values)
        return pd.Series(values, index=pd.Index(at, name="time"), name="survival")

    @property
    def summary(self) -> pd.DataFrame:
        """One row: subjects, events, censored, median and its interval, longest duration."""
        import pandas as pd

        self._check_fitted()
        low, high = self.median_ci_
        row = {
            "n": self.n_,
            "events": self.events_,
            "censored": self.n_ - self.events_,
            "median": math.nan if self.median_ is None else self.median_,
            "median_ci_low": low,
            "median_ci_high": high,
            "follow_up": self.follow_up_,
        }
        return pd.DataFrame([row])

    def _check_fitted(self) -> None:
        if not hasattr(self, "survival_"):
            raise ModelError("the curve is not fitted yet; call fit(durations, events) first")


def log_log_band(
    survival: np.ndarray, standard_error: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise bands for S(t) on the log(−log S) scale, from S's standard error.

    With g = log(−log S), the delta method gives se(g) = se(S) / (S · |log S|), and the
    band S^exp(±z·se(g)) maps back inside 0–1. Where S is 1 (no event yet) the band is
    the point; where S is 0 or the error is unknown it is missing.
    """
    import numpy as np
    from scipy.stats import norm

    z = norm.ppf(1 - alpha / 2)
    inside = (survival > 0) & (survival < 1) & np.isfinite(standard_error)
    s = np.where(inside, survival, 0.5)
    spread = np.where(inside, z * standard_error / (s * np.abs(np.log(s))), np.nan)
    low = np.where(survival == 1, 1.0, s ** np.exp(spread))
    high = np.where(survival == 1, 1.0, s ** np.exp(-spread))
    return low, high


def _checked_input(durations: Any, events: Any) -> tuple[np.ndarray, np.ndarray]:
    """Durations as floats and events as 0/1 integers, or a ModelError naming bad rows."""
    import numpy as np

    time = _as_numbers(durations)
    numbers = _as_numbers(events)
    if len(time) != len(numbers):
        raise ModelError(
            f"{len(time)} durations but {len(numbers)} event flags; give one flag per duration"
        )
    if len(time) == 0:
        raise ModelError("no durations to fit; the curve needs at least one subject")

    bad = ~np.isfinite(time) | (time < 0)
    _reject(bad, time, "durations are negative or not finite", "every duration must be >= 0")
    bad = ~np.isin(numbers, (0.0, 1.0))
    shown = np.asarray(events, dtype=object).ravel()
    _reject(bad, shown, "event flags are not 0 or 1", "use 1 = churned, 0 = not yet")
    return time, numbers.astype("int64")


def _as_numbers(values: Any) -> np.ndarray:
    """Floats from numbers or booleans; text and missing values become NaN."""
    import numpy as np
    import pandas as pd

    array = np.asarray(values)
    if array.dtype.kind in "biuf":
        return array.astype(float).ravel()
    numbers = pd.to_numeric(pd.Series(array.ravel(), dtype=object), errors="coerce")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def _reject(bad: np.ndarray, values: np.ndarray, what: str, fix: str) -> None:
    """A ModelError with the count of bad rows, the first one's position and its value."""
    import numpy as np

    if not bad.any():
        return
    first = int(np.flatnonzero(bad)[0])
    value = values[first].item() if hasattr(values[first], "item") else values[first]
    raise ModelError(
        f"{int(bad.sum())} of {len(bad)} {what} (first at position {first}: {value!r}); {fix}"
    )


def _median(curve: pd.DataFrame) -> float | None:
    """The first time the curve is at or below one half (rounding-safe), or None."""
    reached = curve.loc[curve["survival"] <= 0.5 + 1e-12, "time"]
    return float(reached.iloc[0]) if len(reached) else None


def _median_interval(fitted: Any, alpha: float, events: int) -> tuple[float, float]:
    """statsmodels' interval for the median by inverting log-log tests; NaN without events."""
    if events == 0:
        return math.nan, math.nan
    import numpy as np

    # statsmodels takes log(−log S) at every step; where S reaches 0 that is −inf, which
    # only drops the step from the interval, so its divide-by-zero warning is silenced.
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = fitted.quantile_ci(0.5, alpha=alpha, method="cloglog")
    return float(low), float(high)


@dataclass
class LogRank:
    """The log-rank test that all groups' curves are the same."""

    statistic: float
    df: int
    p_value: float

    @property
    def sentence(self) -> str:
        """The conclusion in one plain sentence, at the 5 % level."""
        differ = "differ" if self.p_value < SIGNIFICANCE else "do not differ"
        p = "p < 0.001" if self.p_value < 0.001 else f"p = {self.p_value:.3f}"
        return f"the curves {differ} at 5 % (log-rank {p})"


@dataclass
class RetentionCurves:
    """Retention curves per group, their comparison, and the durations they came from.

    ``customers`` holds one row per customer: customer_id, group, start_day,
    duration_days, churned (bool). ``curves`` maps each group to its fitted KaplanMeier.
    ``logrank`` is None with fewer than two groups or no churn at all.
    """

    basis: str
    by: str | None
    until: date
    customers: pd.DataFrame
    curves: dict[str, KaplanMeier]
    logrank: LogRank | None

    @property
    def n(self) -> dict[str, int]:
        """Customers per group."""
        return {group: model.n_ for group, model in self.curves.items()}

    @property
    def medians(self) -> dict[str, float | None]:
        """Median retention in days per group (None where half never left)."""
        return {group: model.median_ for group, model in self.curves.items()}

    @property
    def summary(self) -> pd.DataFrame:
        """One row per group: customers, churned, censored, median days and its interval."""
        import pandas as pd

        frames = [model.summary.assign(group=group) for group, model in self.curves.items()]
        table = pd.concat(frames, ignore_index=True)
        table = table.rename(columns={"n": "customers", "events": "churned"})
        return table[["group", *table.columns.drop("group")]]

    def to_json(self) -> dict[str, Any]:
        """Everything as JSON-ready values: curves, medians, sizes, the test (NaN → null)."""
        groups = []
        for group, model in self.curves.items():
            low, high = model.median_ci_
            curve = model.survival_.astype(object).where(model.survival_.notna(), None)
            groups.append(
                {
                    "group": group,
                    "customers": model.n_,
                    "churned": model.events_,
                    "median_days": model.median_,
                    "median_ci": [finite(low), finite(high)],
                    "curve": curve.to_dict(orient="records"),
                }
            )
        test = self.logrank
        return {
            "basis": self.basis,
            "by": self.by,
            "until": self.until.isoformat(),
            "groups": groups,
            "logrank": None
            if test is None
            else {
                "statistic": test.statistic,
                "df": test.df,
                "p_value": test.p_value,
                "sentence": test.sentence,
            },
        }


def retention_curves(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    by: str | None = None,
    until: date | str | None = None,
    alpha: float = 0.05,
) -> RetentionCurves:
    """Kaplan–Meier curves of customer retention in days, per group, with a log-rank test.

    ``con`` is a cleaned warehouse; subscriptions are used where loaded, else orders with
    ``settings.churn['window_days']``. ``until`` is the observation end (default: the
    data's last local day); later records are ignored. ``by`` is None, "plan",
    "segment" or "channel" (see the module docstring).
    """
    import pandas as pd

    if by not in GROUPINGS:
        raise ConfigError(f"--by {by!r}: group retention by plan, segment or channel")
    basis = _basis(con, None)
    if by == "plan" and basis != "subscriptions":
        raise ModelError(
            "retention by plan needs subscriptions; import a subscriptions file, or group "
            "by segment or channel"
        )
    until_day = _until_day(con, until)
    window = int((settings.churn or {}).get("window_days", 90))

    customers = _durations(con, basis, until_day, window)
    _check_durations(customers, basis)
    groups = _groups(con, customers, by, until_day)
    customers["group"] = groups if by is None else _pooled(groups)

    curves = {
        group: KaplanMeier(alpha).fit(part["duration_days"], part["churned"].astype("int64"))
        for group, part in customers.groupby("group")
    }
    largest_first = sorted(curves, key=lambda g: (g == POOLED, -curves[g].n_, g))
    curves = {group: curves[group] for group in largest_first}
    test = _logrank(customers)
    log.info(
        "retention of %d customers in %d groups up to %s", len(customers), len(curves), until_day
    )
    columns = ["customer_id", "group", "start_day", "duration_days", "churned"]
    return RetentionCurves(basis, by, until_day, pd.DataFrame(customers[columns]), curves, test)


def _basis(con: duckdb.DuckDBPyConnection, basis: str | None) -> str:
    """Subscriptions where they hold a start, else orders; WarehouseError if neither."""
    has_subscriptions = has_table(con, "subscriptions") and bool(
        con.execute("SELECT count(started_at_local) FROM subscriptions").fetchone()[0]
    )
    if basis is None:
        basis = "subscriptions" if has_subscriptions else "orders"
    if basis not in BASES:
        raise ConfigError(f"basis {basis!r}: use subscriptions or orders")
    if basis == "subscriptions" and not has_subscriptions:
        raise WarehouseError(
            "the warehouse has no subscriptions with a start; import a subscriptions file "
            "or use the orders basis"
        )
    if basis == "orders" and not has_table(con, "orders"):
        raise WarehouseError(
            "the warehouse has no cleaned orders or subscriptions; import one with "
            "`cxlens import FILE --table orders` (or list it in cxlens.toml and `cxlens run`)"
        )
    return basis


def _until_day(con: duckdb.DuckDBPyConnection, until: date | str | None) -> date:
    """``until`` as a date, or the data's end as the KPIs see it, so that the curves and
    ``churn_rate`` agree on who has churned."""
    return as_day(until) if until is not None else data_end(con)


# Contractual lives: first start to last end; open (or ending after until) means censored.
_SUBSCRIPTION_DURATIONS = """
WITH lives AS (
    SELECT
        customer_id,
        min(CAST(started_at_local AS DATE)) AS start_day,
        max(CAST(ended_at_local AS DATE)) AS last_end,
        count(*) FILTER (
            WHERE ended_at_local IS NULL OR CAST(ended_at_local AS DATE) > $until
        ) AS open_at_until
    FROM subscriptions
    WHERE customer_id IS NOT NULL
      AND started_at_local IS NOT NULL
      AND CAST(started_at_local AS DATE) <= $until
    GROUP BY customer_id
)
SELECT
    customer_id,
    start_day,
    date_diff('day', start_day, CASE WHEN open_at_until = 0 THEN last_end ELSE $until END)
        AS duration_days,
    open_at_until = 0 AS churned
FROM lives
ORDER BY customer_id
"""

# Non-contractual lives: first order to last order + the churn window, if that is by until.
_ORDER_DURATIONS = """
WITH lives AS (
    SELECT
        customer_id,
        min(CAST(ordered_at_local AS DATE)) AS start_day,
        max(CAST(ordered_at_local AS DATE)) + CAST($window AS INTEGER) AS churn_day
    FROM orders
    WHERE customer_id IS NOT NULL
      AND ordered_at_local IS NOT NULL
      AND coalesce(status, 'completed') <> 'cancelled'
      AND CAST(ordered_at_local AS DATE) <= $until
    GROUP BY customer_id
)
SELECT
    customer_id,
    start_day,
    date_diff('day', start_day, least(churn_day, $until)) AS duration_days,
    churn_day <= $until AS churned
FROM lives
ORDER BY customer_id
"""


def _durations(
    con: duckdb.DuckDBPyConnection, basis: str, until_day: date, window: int
) -> pd.DataFrame:
    """One row per customer: customer_id, start_day, duration_days, churned."""
    if basis == "subscriptions":
        frame = con.execute(_SUBSCRIPTION_DURATIONS, {"until": until_day}).df()
    else:
        parameters = {"until": until_day, "window": window}
        frame = con.execute(_ORDER_DURATIONS, parameters).df()
    if frame.empty:
        raise ModelError(
            f"no customer has a {'subscription' if basis == 'subscriptions' else 'order'} "
            f"by {until_day}; choose a later --until or import more data"
        )
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["churned"] = frame["churned"].astype(bool)
    return frame


def _check_durations(customers: pd.DataFrame, basis: str) -> None:
    """A ModelError naming the customers whose life ends before it starts (SU-1)."""
    negative = customers[customers["duration_days"] < 0]
    if negative.empty:
        return
    first = negative.iloc[0]
    raise ModelError(
        f"{len(negative)} customer(s) end before they start (first: "
        f"{first['customer_id']}, {first['duration_days']} days); fix the end dates in "
        f"their {basis} and import them again"
    )


# Per customer: the plan of the first subscription (ties: the lowest subscription id).
_PLAN_SQL = """
SELECT customer_id, first(plan ORDER BY started_at_local, subscription_id) AS "group"
FROM subscriptions
WHERE customer_id IS NOT NULL AND started_at_local IS NOT NULL
  AND CAST(started_at_local AS DATE) <= $until
GROUP BY customer_id
"""

_SEGMENT_SQL = 'SELECT customer_id, any_value(segment) AS "group" FROM customers GROUP BY 1'

# Per customer: the channel of most tickets up to until; a tie goes to the one used first.
_CHANNEL_SQL = """
WITH per_channel AS (
    SELECT customer_id, channel, count(*) AS tickets, min(created_at_local) AS first_at
    FROM tickets
    WHERE customer_id IS NOT NULL AND channel IS NOT NULL
      AND CAST(created_at_local AS DATE) <= $until {merged}
    GROUP BY customer_id, channel
)
SELECT customer_id, first(channel ORDER BY tickets DESC, first_at, channel) AS "group"
FROM per_channel
GROUP BY customer_id
"""

_MISSING_GROUP = {"plan": "unknown", "segment": "unknown", "channel": "no tickets"}


def _groups(
    con: duckdb.DuckDBPyConnection, customers: pd.DataFrame, by: str | None, until_day: date
) -> pd.Series:
    """Each customer's group label before pooling ("all" when not grouped)."""
    import pandas as pd

    if by is None:
        return pd.Series("all", index=customers.index)
    if by == "segment":
        labels = con.execute(_SEGMENT_SQL).df() if has_table(con, "customers") else None
    elif by == "channel":
        labels = _channel_labels(con, until_day)
    else:
        labels = con.execute(_PLAN_SQL, {"until": until_day}).df()

    missing = _MISSING_GROUP[by]
    if labels is None or labels.empty:
        return pd.Series(missing, index=customers.index)
    labels = labels.assign(customer_id=labels["customer_id"].astype(str))
    mapped = customers["customer_id"].map(labels.set_index("customer_id")["group"])
    return mapped.astype(object).where(mapped.notna(), missing).astype(str)


def _channel_labels(con: duckdb.DuckDBPyConnection, until_day: date) -> pd.DataFrame | None:
    """customer_id → most used ticket channel, or None without tickets."""
    if not has_table(con, "tickets"):
        return None
    columns = table_columns(con, "tickets")
    merged = "AND NOT coalesce(is_merged, false)" if "is_merged" in columns else ""
    return con.execute(_CHANNEL_SQL.format(merged=merged), {"until": until_day}).df()


def _pooled(groups: pd.Series) -> pd.Series:
    """Groups of fewer than MIN_GROUP_CUSTOMERS customers renamed to POOLED."""
    sizes = groups.map(groups.value_counts())
    small = sizes < MIN_GROUP_CUSTOMERS
    if small.any():
        log.debug("pooled %d small groups into %r", groups[small].nunique(), POOLED)
    return groups.where(~small, POOLED)


def logrank_test(durations: Any, events: Any, groups: Any) -> LogRank:
    """The log-rank test that the groups share one survival curve (statsmodels ``survdiff``).

    Needs at least two groups and one event; the statistic is chi-square with
    groups − 1 degrees of freedom.
    """
    import numpy as np
    from statsmodels.duration.survfunc import survdiff

    time, status = _checked_input(durations, events)
    labels = np.asarray(groups).astype(str)
    count = len(np.unique(labels))
    if count < 2 or status.sum() == 0:
        raise ModelError(
            f"the log-rank test needs two groups and one event; got {count} group(s) and "
            f"{int(status.sum())} event(s)"
        )
    try:
        statistic, p_value = survdiff(time, status, labels)
    except np.linalg.LinAlgError:
        raise ModelError(
            "the log-rank test cannot be computed: some group has no one at risk at any "
            "event time; pool that group with another"
        ) from None
    return LogRank(float(statistic), count - 1, float(p_value))


def _logrank(customers: pd.DataFrame) -> LogRank | None:
    """The test over the customers' groups; None (logged) where it cannot be computed."""
    try:
        return logrank_test(customers["duration_days"], customers["churned"], customers["group"])
    except ModelError as error:
        log.debug("no log-rank test: %s", error)
        return None


# The months each customer counts as retained in, by basis: a completed order in the month,
# or a customer's life (first start to last end, open at until) reaching into the month.
_ORDER_MONTHS = """
SELECT customer_id, CAST(date_trunc('month', ordered_at_local) AS DATE) AS month
FROM orders
WHERE customer_id IS NOT NULL AND ordered_at_local IS NOT NULL
  AND coalesce(status, 'completed') = 'completed'
  AND CAST(ordered_at_local AS DATE) <= $until
"""

_SUBSCRIPTION_MONTHS = """
WITH lives AS (
    SELECT
        customer_id,
        min(CAST(started_at_local AS DATE)) AS start_day,
        CASE WHEN count(*) FILTER (
            WHERE ended_at_local IS NULL OR CAST(ended_at_local AS DATE) > $until
        ) = 0 THEN max(CAST(ended_at_local AS DATE)) ELSE $until END AS end_day
    FROM subscriptions
    WHERE customer_id IS NOT NULL AND started_at_local IS NOT NULL
      AND CAST(started_at_local AS DATE) <= $until
    GROUP BY customer_id
)
SELECT customer_id, CAST(month AS DATE) AS month
FROM lives, unnest(generate_series(
    date_trunc('month', start_day), date_trunc('month', end_day), INTERVAL 1 MONTH
)) AS months(month)
"""

# Cohort = first active month; every cohort gets every offset up to the oldest cohort's
# age, and an offset whose month starts after until is null (not yet seen, not zero).
_COHORT_SQL = """
WITH activity AS ({months}),
cohorts AS (SELECT customer_id, min(month) AS cohort FROM activity GROUP BY customer_id),
sizes AS (SELECT cohort, count(*) AS customers FROM cohorts GROUP BY cohort),
retained AS (
    SELECT cohort, date_diff('month', cohort, month) AS months_since,
           count(DISTINCT customer_id) AS active
    FROM activity JOIN cohorts USING (customer_id)
    GROUP BY ALL
),
offsets AS (
    SELECT unnest(range(0, date_diff(
        'month', (SELECT min(cohort) FROM sizes), CAST(date_trunc('month', $until) AS DATE)
    ) + 1)) AS months_since
)
SELECT
    strftime(cohort, '%Y-%m') AS cohort,
    customers,
    months_since,
    CASE WHEN CAST(cohort + to_months(CAST(months_since AS INTEGER)) AS DATE) <= $until
        THEN coalesce(active, 0) / customers END AS share
FROM sizes CROSS JOIN offsets LEFT JOIN retained USING (cohort, months_since)
ORDER BY cohort, months_since
"""


def cohort_matrix(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    until: date | str | None = None,
    basis: str | None = None,
) -> pd.DataFrame:
    """The share of each monthly cohort still active 0, 1, 2, … months after it started.

    Rows are cohorts, the local month (``YYYY-MM``) of a customer's first completed order
    (orders basis) or first subscription start (subscriptions basis, the default where
    subscriptions are loaded). Columns are ``customers`` (the cohort's size) and the
    months since, 0, 1, 2, …: the share with a completed order in that month, or still
    subscribed in it. Only whole months count: the month holding ``until`` is null unless
    ``until`` is its last day (a month seen for ten days would read as a collapse), and
    later months are null. ``settings`` is accepted for symmetry with ``retention_curves``.
    """
    import pandas as pd

    chosen = _basis(con, basis)
    until_day = _until_day(con, until)
    months = _SUBSCRIPTION_MONTHS if chosen == "subscriptions" else _ORDER_MONTHS
    cells = con.execute(_COHORT_SQL.format(months=months), {"until": until_day}).df()
    if cells.empty:
        raise ModelError(f"no customer is active by {until_day}; choose a later --until")

    matrix = cells.pivot(index="cohort", columns="months_since", values="share")
    matrix.columns = [int(c) for c in matrix.columns]
    sizes = cells.drop_duplicates("cohort").set_index("cohort")["customers"].astype("int64")
    matrix.insert(0, "customers", sizes)
    _blank_partial_month(matrix, until_day)
    log.info("cohort matrix (%s): %d cohorts up to %s", chosen, len(matrix), until_day)
    return pd.DataFrame(matrix.astype({c: "float64" for c in matrix.columns[1:]}))


def _blank_partial_month(matrix: pd.DataFrame, until_day: date) -> None:
    """Null the cells of the month holding ``until`` when that month is not over."""
    import numpy as np
    import pandas as pd

    last_day = (pd.Timestamp(until_day) + pd.offsets.MonthEnd(0)).date()
    if until_day == last_day:
        return
    cohorts = pd.PeriodIndex(matrix.index, freq="M")
    partial = (pd.Period(until_day, freq="M") - cohorts).map(lambda offset: offset.n)
    months = np.array([c for c in matrix.columns if c != "customers"])
    cells = matrix[list(months)].to_numpy(dtype=float, copy=True)
    cells[np.asarray(partial)[:, None] == months[None, :]] = np.nan
    matrix[list(months)] = cells
