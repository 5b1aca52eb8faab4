"""Where a KPI's change comes from: its groups' shares and values, before and now.

A rate over all tickets is the share-weighted sum of its groups' rates, so its change
splits exactly into what each group contributed (``s1·r1 − s0·r0``), and each
contribution into a *mix* part (the group's share of the records moved) and a *rate*
part (the group's own rate moved), each weighted by the two periods' mean of the other
— the symmetric split, which adds up with nothing left over:

    Δ = Σ_g (s1 − s0)·(r0 + r1)/2  +  Σ_g (s0 + s1)/2·(r1 − r0)

A group present in one period only has no rate in the other; it contributes through
its share alone. Medians and percentiles do not add up across groups: for those the
groups are ranked by how much of the change they could carry (records now × the
change of their own value), and no shares are claimed.

Written here rather than taken from a library: the split is four lines of pandas on
the KPI rows the product already computes; what matters is that it uses exactly those
rows, so it agrees with every other figure on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ADDITIVE_UNITS = ("rate", "points")


@dataclass(frozen=True)
class Change:
    """One KPI's change over a set of groups, and each group's part in it."""

    metric: str
    dimension: str
    additive: bool
    before: float | None
    now: float | None
    groups: pd.DataFrame  # see ``explain_change``


def explain_change(
    metric: str,
    unit: str,
    dimension: str,
    now: pd.DataFrame,
    before: pd.DataFrame,
    total_now: float | None,
    total_before: float | None,
) -> Change:
    """Each group's part in the change of ``metric`` from ``before`` to ``now``.

    ``now`` and ``before`` are KPI rows (``compute_kpis`` by ``dimension``: columns
    group, value, n) of ``metric``; ``total_*`` its value over all groups. Returns
    groups with columns key, n_before, n_now, share_before, share_now, value_before,
    value_now, and for additive KPIs (rates; NPS points) contribution, mix, rate (in
    the KPI's unit, summing to the total change); for others weight (n_now × change
    of the group's value). Rows run from the largest part in the change down.
    """
    table = _side_by_side(now, before, dimension)
    additive = unit in ADDITIVE_UNITS
    if additive:
        table = _split(table)
        order = table["contribution"].abs()
    else:
        table["weight"] = table["n_now"] * (table["value_now"] - table["value_before"])
        order = table["weight"].abs()
    table = table.assign(_order=order.fillna(-1)).sort_values("_order", ascending=False)
    return Change(
        metric,
        dimension,
        additive,
        total_before,
        total_now,
        table.drop(columns="_order").reset_index(drop=True),
    )


def _side_by_side(now: pd.DataFrame, before: pd.DataFrame, dimension: str) -> pd.DataFrame:
    def keyed(rows: pd.DataFrame, suffix: str) -> pd.DataFrame:
        rows = rows[rows["n"].fillna(0) > 0]
        return pd.DataFrame(
            {
                "key": pd.Series([group.get(dimension) for group in rows["group"]], dtype=object),
                f"value_{suffix}": rows["value"].astype(float).to_numpy(),
                f"n_{suffix}": rows["n"].astype(float).to_numpy(),
            }
        )

    table = keyed(now, "now").merge(keyed(before, "before"), on="key", how="outer")
    table["key"] = table["key"].astype(object).where(table["key"].notna(), None)  # blank group
    for suffix in ("now", "before"):
        counts = table[f"n_{suffix}"].fillna(0.0)
        table[f"n_{suffix}"] = counts
        total = counts.sum()
        table[f"share_{suffix}"] = counts / total if total else 0.0
    return table


def _split(table: pd.DataFrame) -> pd.DataFrame:
    """Contribution, mix and rate parts of each group (a missing rate takes the other's)."""
    r0 = table["value_before"].fillna(table["value_now"])
    r1 = table["value_now"].fillna(table["value_before"])
    s0, s1 = table["share_before"], table["share_now"]
    table["mix"] = (s1 - s0) * (r0 + r1) / 2
    table["rate"] = (s0 + s1) / 2 * (r1 - r0)
    table["contribution"] = table["mix"] + table["rate"]
    return table
