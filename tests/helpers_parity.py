"""Comparing ``compute_kpis`` on DuckDB with another engine (tests/spark, tests/postgres).

Both suites compute the same grid of grain × dimension on DuckDB and on the other engine
over the same cleaned tables and require the same rows, the same n, and values within
stated tolerances; this module holds that comparison once.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cxlens.metrics import KPIS, compute_kpis

PROJECTS = ["public-data", "sample"]


def grid(grains: list, dimensions: list) -> list[tuple]:
    return [(grain, dimension) for grain in grains for dimension in dimensions]


def keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """KPI rows indexed by (metric, period, group) in a stable order."""
    keyed = frame.assign(group=frame["group"].map(lambda g: tuple(sorted(g.items()))))
    return keyed.set_index(["metric", "period", "group"]).sort_index()


def close(metric: str, duck: float, other: float, percentile_rel: float) -> bool:
    """Counts and rates to 1e-9; medians and p90s to ``percentile_rel``; means to 1e-12;
    the predicted CLV, a numerical fit, to 1e-6."""
    if pd.isna(duck) or pd.isna(other):
        return pd.isna(duck) and pd.isna(other)
    if metric == "clv_predicted_mean":  # a numerical fit: its optimum, not its last bits
        return math.isclose(duck, other, rel_tol=1e-6, abs_tol=0)
    if metric.endswith(("_median_min", "_p90_min")):
        return math.isclose(duck, other, rel_tol=percentile_rel, abs_tol=0)
    if KPIS[metric].unit in ("count", "rate"):
        return math.isclose(duck, other, rel_tol=0, abs_tol=1e-9)
    return math.isclose(duck, other, rel_tol=1e-12, abs_tol=1e-9)


def both(projects, computed: dict, name: str, grain, dimension):
    """(DuckDB frame, other engine's frame) for one grid cell, computed once per module."""
    key = (name, grain, dimension)
    if key not in computed:
        if name not in projects:
            pytest.skip(f"{name}: its data is not beside the repo")
        settings, on_other, on_duckdb = projects[name]
        by = [part for part in (grain, dimension) if part]
        computed[key] = (
            compute_kpis(on_duckdb, settings, by=by),
            compute_kpis(on_other, settings, by=by),
        )
    return computed[key]


def assert_same_kpis(duck: pd.DataFrame, other: pd.DataFrame, percentile_rel: float) -> None:
    duck, other = keyed(duck), keyed(other)
    assert len(duck) > 0
    assert list(duck.index) == list(other.index)
    assert (duck["n"] == other["n"]).all()
    for column in ("value", "ci_low", "ci_high"):
        differ = [
            (key, a, b)
            for key, a, b in zip(duck.index, duck[column], other[column], strict=True)
            if not close(key[0], a, b, percentile_rel)
        ]
        assert differ == [], f"{column} differs on {len(differ)} row(s), e.g. {differ[:3]}"


def compared_metrics(projects, computed: dict, name: str, cells: list[tuple]) -> tuple[set, set]:
    """KPIs DuckDB computes over all the data, and those the grid compares somewhere."""
    everything, _ = both(projects, computed, name, None, None)
    supported = set(everything.loc[everything["n"] > 0, "metric"])
    compared = set()
    for grain, dimension in cells:
        _, other = both(projects, computed, name, grain, dimension)
        compared |= set(other.loc[other["n"] > 0, "metric"])
    return supported, compared
