"""The coaching plan's team needs: each team against the rest of the desk doing the same work.

An agent is compared with the rest of their team (``cxlens.actions.coaching``); a team
is compared with the other teams, cell by cell, and its agents' flags are counted, so a
manager sees where a whole team, not one person, needs training.

A team has a **training need** on a category, a channel or over all, and a KPI, where
the team is reliably and materially worse than the rest of the desk doing the same work,
or where at least two agents, and at least half of the team's agents with ``min_n``
records there, are flagged on it. "The same work" is the category × channel cell: teams
split work by channel (an e-mail team is slower than a chat team by the channel's
nature), so the team's value in each cell is set against the rest of the desk's in that
cell, and the cells are combined with the team's records as weights, w = n_cell / n
(direct standardisation to the team's mix): for a rate, the team's own rate against the
rate the rest of the desk would have had on the team's tickets, so n × gap counts the
tickets that went the wrong way; for a median, the team's cell medians against the rest's,
both averaged with those weights, so the gap is in minutes per ticket and its share is a
mean of the cells' relative gaps weighted by the team's tickets and the rest's median
(a gap of two minutes on chat does not weigh like hours on e-mail). Cells with no rest of
the desk, and for a median cells where either side is too small for an interval, are left
out. Intervals: the rest of the desk's by MOVER for a weighted sum of the cells'
intervals (Wilson or order statistics), the team's likewise for a median and Wilson's on
its pooled record for a rate; the gap's by MOVER; ``min_n`` and the Bonferroni level (per
team, its comparisons with ``min_n`` records) as for an agent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.actions.coaching import (
    ALL,
    BREAKDOWNS,
    BY_KPI,
    KEYS,
    RATES,
    TIMES,
    _family_levels,
    _gap_interval,
    _judge,
    _rest_medians,
    median_interval,
)

__all__ = ["TEAM_NEED_COLUMNS", "team_needs"]

TEAM_NEED_COLUMNS = [
    "team", "dimension", "item", "kpi", "kind", "n", "value", "desk_value", "gap", "gap_share",
    "confidence", "ci_low", "ci_high", "gap_low", "gap_high", "impact", "agents_flagged",
    "agents_enough", "rule",
]  # fmt: skip


def team_needs(kpis, records, comparisons, config) -> pd.DataFrame:
    """Team × breakdown × KPI where the team needs training: worse than the rest of the
    desk in the same category × channel cells, reliably and materially, or half its
    agents (two at least) flagged there. A need by its agents alone on a breakdown with
    no rest of the desk to compare with shows the team's KPI value and n."""
    teams = kpis[kpis["level"] == "team"].set_index(KEYS)[["value", "n"]]
    against_desk = _team_against_desk(records, config).set_index(KEYS)
    needs = against_desk.combine_first(teams).reset_index()
    needs["kind"] = needs["kpi"].map(lambda kpi: BY_KPI[kpi].kind)
    needs["flagged"] = needs["flagged"].astype("boolean").fillna(False).astype(bool)

    agents = comparisons.groupby(KEYS).agg(
        agents_enough=("enough", "sum"), agents_flagged=("flagged", "sum")
    )
    needs = needs.merge(agents.reset_index(), on=KEYS, how="left")
    counts = ["agents_enough", "agents_flagged"]
    needs[counts] = needs[counts].fillna(0).astype("int64")
    needs["half_flagged"] = (needs["agents_flagged"] >= 2) & (
        2 * needs["agents_flagged"] >= needs["agents_enough"]
    )
    needs = needs[needs["flagged"] | needs["half_flagged"]].copy()
    needs["rule"] = np.select(
        [needs["flagged"] & needs["half_flagged"], needs["flagged"]],
        ["both", "team_vs_desk"],
        "half_of_agents",
    )
    needs = needs.rename(columns={"team_value": "desk_value"})
    needs = needs.sort_values(["impact", *KEYS], ascending=[False, True, True, True, True])
    return needs.reindex(columns=TEAM_NEED_COLUMNS).reset_index(drop=True)


CELL = ["category", "channel"]


def _team_against_desk(records: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Each team against the rest of the desk cell by cell (category × channel), the
    cells combined per breakdown with the team's records as weights (see the module
    docstring): ``value`` is the team's, ``team_value`` the rest of the desk's on the
    team's mix of cells, judged by the rules an agent is judged by."""
    records = records.dropna(subset=["team", *CELL, "outcome"])
    records = records.astype({"team": str, "category": str, "channel": str})
    counts = records.groupby(["team", "kpi", *CELL]).size().rename("n").reset_index()
    desk = records.groupby(["kpi", *CELL]).size().rename("desk_n").reset_index()
    counts = counts.merge(desk, on=["kpi", *CELL])
    counts = counts[counts["desk_n"] > counts["n"]]  # cells with a rest of the desk
    comparable = _breakdowns(counts).groupby(KEYS, as_index=False)["n"].sum()
    levels = _family_levels(comparable, "team", config)
    level = pd.Series(levels, index=comparable["team"]).groupby(level=0).first()

    cells = counts[["team", "kpi", *CELL]].assign(confidence=lambda c: c["team"].map(level))
    kept = records.merge(cells, on=["team", "kpi", *CELL])
    cells = pd.concat([_rate_cells(kept, records), _time_cells(kept, records)], ignore_index=True)
    frame = _combine_cells(_breakdowns(cells))
    frame["kind"] = frame["kpi"].map(lambda kpi: BY_KPI[kpi].kind)
    return _judge(frame, config)


def _breakdowns(cells: pd.DataFrame) -> pd.DataFrame:
    """Each cell three times: under its category, its channel and ``all``."""
    parts = [
        cells.assign(dimension=dimension, item=cells[dimension] if dimension != ALL else ALL)
        for dimension in BREAKDOWNS
    ]
    return pd.concat(parts, ignore_index=True)


def _rate_cells(kept: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Per team × cell of a rate: the team's and the rest of the desk's rate, each with
    its Wilson interval at the team's level."""
    from statsmodels.stats.proportion import proportion_confint

    keys = ["team", "kpi", *CELL]
    mine = kept[kept["kpi"].isin(RATES)]
    cells = mine.groupby([*keys, "confidence"], as_index=False).agg(
        k=("outcome", "sum"), n=("outcome", "size")
    )
    desk = records.groupby(["kpi", *CELL], as_index=False).agg(
        desk_k=("outcome", "sum"), desk_n=("outcome", "size")
    )
    cells = cells.merge(desk, on=["kpi", *CELL])
    rest_k, rest_n = cells["desk_k"] - cells["k"], cells["desk_n"] - cells["n"]
    alpha = 1 - cells["confidence"].to_numpy()
    low, high = proportion_confint(cells["k"], cells["n"], alpha=alpha, method="wilson")
    rest_low, rest_high = proportion_confint(rest_k, rest_n, alpha=alpha, method="wilson")
    return cells[[*keys, "k", "n", "confidence"]].assign(
        value=cells["k"] / cells["n"], ci_low=np.asarray(low, float),
        ci_high=np.asarray(high, float), team_value=rest_k / rest_n,
        rest_low=np.asarray(rest_low, float), rest_high=np.asarray(rest_high, float),
        excess=np.nan,
    )  # fmt: skip


def _time_cells(kept: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Per team × cell of a time: the team's and the rest of the desk's median, each with
    its order-statistic interval at the team's level, and the team's records slower than
    the rest's median beyond the half expected; cells where either side is too small for
    an interval are left out."""
    keys = ["team", "kpi", *CELL]
    durations = records[records["kpi"].isin(TIMES)].rename(columns={"outcome": "minutes"})
    levels = kept[kept["kpi"].isin(TIMES)][[*keys, "confidence"]].drop_duplicates()
    mine = durations.merge(levels[keys], on=keys)
    own = median_interval(mine, keys, levels=levels)
    rest = _rest_medians(durations, "team", ["kpi", *CELL], levels)
    cells = own.merge(rest, on=keys).merge(levels, on=keys)
    cells = cells.dropna(subset=["ci_low", "ci_high", "rest_low", "rest_high"])

    slower = mine.merge(cells[[*keys, "rest_median"]], on=keys)
    above = (slower["minutes"] > slower["rest_median"]).astype(float)
    ties = (slower["minutes"] == slower["rest_median"]).astype(float)
    slower = (above + ties / 2).groupby([slower[k] for k in keys]).sum().rename("_slower")
    cells = cells.merge(slower.reset_index(), on=keys)
    return cells[[*keys, "n", "confidence", "ci_low", "ci_high", "rest_low", "rest_high"]].assign(
        value=cells["median"], team_value=cells["rest_median"],
        excess=cells["_slower"] - cells["n"] / 2,
    )  # fmt: skip


def _combine_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells of each team × breakdown × KPI as one comparison: both values averaged
    with the team's records as weights (w = n_cell / n); the rest of the desk's interval
    by MOVER for a weighted sum (half-width √Σ w²·h²); the team's interval likewise for a
    time, and for a rate Wilson's on its pooled record (the weighted mean of its cells'
    rates is its own k / n); the gap's interval by MOVER again."""
    from statsmodels.stats.proportion import proportion_confint

    keys = [*KEYS, "confidence"]
    weights = cells["n"] / cells.groupby(keys)["n"].transform("sum")
    parts = pd.DataFrame(
        {
            "value": weights * cells["value"],
            "team_value": weights * cells["team_value"],
            "down": (weights * (cells["value"] - cells["ci_low"])) ** 2,
            "up": (weights * (cells["ci_high"] - cells["value"])) ** 2,
            "rest_down": (weights * (cells["team_value"] - cells["rest_low"])) ** 2,
            "rest_up": (weights * (cells["rest_high"] - cells["team_value"])) ** 2,
            "k": cells["k"],
            "n": cells["n"],
            "excess": cells["excess"],
        }
    )
    frame = parts.groupby([cells[k] for k in keys]).sum(min_count=1).reset_index()
    frame["ci_low"] = frame["value"] - np.sqrt(frame["down"])
    frame["ci_high"] = frame["value"] + np.sqrt(frame["up"])
    rate = frame["k"].notna()
    if rate.any():
        pooled = frame[rate]
        low, high = proportion_confint(
            pooled["k"], pooled["n"], alpha=1 - pooled["confidence"], method="wilson"
        )
        frame.loc[rate, "ci_low"], frame.loc[rate, "ci_high"] = low, high
    rest_low = frame["team_value"] - np.sqrt(frame["rest_down"])
    rest_high = frame["team_value"] + np.sqrt(frame["rest_up"])
    frame["gap"] = frame["value"] - frame["team_value"]
    frame = _gap_interval(frame, rest_low, rest_high)
    return frame.drop(columns=["k", "down", "up", "rest_down", "rest_up"])
