"""Turn wide aggregates (one column per measure) into KPI rows.

Every builder returns the request's key columns plus ``metric, value, n, ci_low,
ci_high``. Values are NaN where the denominator is empty: a period or group with
no data has no value, never 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxlens.metrics.intervals import mean_interval, nps_interval, wilson

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["metric", "value", "n", "ci_low", "ci_high"]


def build(
    metric: str, frame: pd.DataFrame, keys: list[str], value, n, low=None, high=None, defined=None
):
    """One row per row of ``frame``: the keys, the metric id and the numbers.

    The value is null where ``defined`` is false; by default where ``n`` is 0.
    """
    import pandas as pd

    count = np.nan_to_num(np.asarray(n, dtype=float)).astype("int64")
    defined = count > 0 if defined is None else np.asarray(defined, dtype=bool)
    nothing = np.full(len(frame), np.nan)
    columns = {key: frame[key].to_numpy() for key in keys}  # one frame built at once
    columns.update(
        metric=np.full(len(frame), metric, dtype=object),
        value=np.where(defined, np.asarray(value, dtype=float), np.nan),
        n=count,
        ci_low=nothing if low is None else np.asarray(low, dtype=float),
        ci_high=nothing if high is None else np.asarray(high, dtype=float),
    )
    return pd.DataFrame(columns)


def count(metric: str, frame, keys, column: str, defined=None):
    """A count (tickets, backlog): the records it rests on are the count, so n is the value.

    A count of 0 is a value (no ticket open); ``defined`` marks where the count means
    nothing yet (backlog before the first ticket), which stays null.
    """
    values = frame[column].to_numpy(dtype=float)
    defined = np.ones(len(frame), dtype=bool) if defined is None else defined
    return build(metric, frame, keys, values, values, defined=defined)


def rate(metric: str, frame, keys, successes: str, trials: str):
    """A pooled rate ``sum(successes) / sum(trials)`` with its Wilson interval."""
    k = frame[successes].to_numpy(dtype=float)
    n = frame[trials].to_numpy(dtype=float)
    low, high = wilson(k, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = k / n
    return build(metric, frame, keys, value, n, low, high)


def complement(rows):
    """The rate ``1 − r`` of rate rows (retention from churn), interval mirrored."""
    rows = rows.copy()
    rows["value"], rows["ci_low"], rows["ci_high"] = (
        1 - rows["value"],
        1 - rows["ci_high"],
        1 - rows["ci_low"],
    )
    return rows


def mean(metric: str, frame, keys, prefix: str):
    """A mean with its normal interval from ``<prefix>_sum``, ``_sumsq`` and ``_n``."""
    value, low, high = mean_interval(
        frame[f"{prefix}_sum"], frame[f"{prefix}_sumsq"], frame[f"{prefix}_n"]
    )
    return build(metric, frame, keys, value, frame[f"{prefix}_n"], low, high)


def nps(metric: str, frame, keys):
    """NPS points from promoter, detractor and valid counts."""
    value, low, high = nps_interval(frame["nps_pro"], frame["nps_det"], frame["nps_n"])
    return build(metric, frame, keys, value, frame["nps_n"], low, high)


def durations(stem: str, frame, keys, prefix: str, stats=("median", "p90", "mean")):
    """Duration rows (minutes) for ``<prefix>_<stat>`` columns; interval bounds null.

    A ``<prefix>_quantiles`` column (a [median, p90] pair per row) is taken apart first.
    """
    if f"{prefix}_quantiles" in frame:
        frame = frame.assign(**split_pair(frame[f"{prefix}_quantiles"], prefix))
    return [
        build(f"{stem}_{stat}_min", frame, keys, frame[f"{prefix}_{stat}"], frame[f"{prefix}_n"])
        for stat in stats
    ]


def split_pair(pairs, prefix: str) -> dict:
    """``<prefix>_median`` and ``<prefix>_p90`` from a column of [median, p90] pairs or nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(pairs.tolist(), type=pa.list_(pa.float64()))
    return {
        f"{prefix}_median": pc.list_element(values, 0).to_numpy(zero_copy_only=False),
        f"{prefix}_p90": pc.list_element(values, 1).to_numpy(zero_copy_only=False),
    }


def on_grid(frame, request, counts: list[str]):
    """``frame`` with a row for every grid period of every group, counts filled with 0.

    Sorted by group, then period, ready for running totals. Periods outside the grid
    (there should be none: every period time lies within the data's range) are kept
    for the running totals; ``compute_kpis`` drops them from the output.
    """
    import pandas as pd

    periods = sorted(set(request.grid()) | set(frame["period"].dropna()))
    full = pd.DataFrame({"period": periods})
    if request.group_columns:
        groups = frame[request.group_columns].drop_duplicates()
        full = groups.merge(full, how="cross")
    full = full.merge(frame, on=request.keys, how="left")
    full[counts] = full[counts].fillna(0)
    order = [*request.group_columns, "period"]
    return full.sort_values(order, kind="stable").reset_index(drop=True)
