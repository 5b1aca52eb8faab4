"""The rest of the team's median and interval, and each agent's own, against a brute-force
computation on random desks: every agent's team minus the agent, sorted with numpy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from cxlens.actions.coaching import _rest_medians, median_interval

LEVELS = (0.8, 0.95, 0.99, 0.9999)


def random_desk(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Durations of several teams and two KPIs: one to five agents with 1 to 50 records
    each (half of them 5 or fewer), some in two teams, whole minutes (many ties), a few
    records without an agent or a duration, an agent whose one duration is missing; and a
    confidence level for about half of the agent × team × KPI groups."""
    rng = np.random.default_rng(seed)
    rows = []
    for team in ("T1", "T2", "T3", "T4"):
        for kpi in ("first_response", "resolution"):
            for agent in rng.choice(12, size=rng.integers(1, 6), replace=False):
                size = int(rng.integers(1, 6) if rng.random() < 0.5 else rng.integers(1, 51))
                minutes = rng.integers(0, 40, size).astype(float)
                minutes[rng.random(size) < 0.05] = np.nan
                rows += [(team, kpi, f"A{agent}", m) for m in minutes]
            rows += [(team, kpi, None, float(m)) for m in rng.integers(0, 40, rng.integers(0, 4))]
    rows.append(("T1", "resolution", "Z", np.nan))
    durations = pd.DataFrame(rows, columns=["team", "kpi", "agent", "minutes"])
    groups = durations[["agent", "team", "kpi"]].dropna().drop_duplicates()
    levels = groups.sample(frac=0.5, random_state=seed)
    levels = levels.assign(confidence=rng.choice(LEVELS, size=len(levels)))
    return durations, levels


def order_statistic_bounds(values: np.ndarray, level: float) -> tuple[float, float]:
    """[x(l), x(n − l + 1)] with l the largest rank whose P(B ≤ l − 1) ≤ α/2, B ~
    Binomial(n, ½), found by trying every rank; NaN where no rank qualifies."""
    x, n = np.sort(values), len(values)
    tail = (1 - level) / 2
    ranks = [rank for rank in range(1, n + 1) if binom.cdf(rank - 1, n, 0.5) <= tail]
    if not ranks:
        return math.nan, math.nan
    return float(x[ranks[-1] - 1]), float(x[n - ranks[-1]])


def level_of(levels: pd.DataFrame, agent: str, team: str, kpi: str) -> float:
    given = levels[(levels["agent"] == agent) & (levels["team"] == team) & (levels["kpi"] == kpi)]
    return float(given["confidence"].iloc[0]) if len(given) else 0.95


def brute_force_rest(durations: pd.DataFrame, levels: pd.DataFrame) -> dict:
    """(agent, team, kpi) → (n, median, low, high) of the team's durations minus the
    agent's, for every agent of every team × KPI with someone else's durations."""
    expected = {}
    for (team, kpi), group in durations.groupby(["team", "kpi"]):
        for agent in group["agent"].dropna().unique():
            rest = group.loc[group["agent"] != agent, "minutes"].dropna().to_numpy()
            if len(rest) == 0:
                continue
            low, high = order_statistic_bounds(rest, level_of(levels, agent, team, kpi))
            expected[(agent, team, kpi)] = (len(rest), float(np.median(rest)), low, high)
    return expected


def same(actual: float, expected: float) -> bool:
    return (math.isnan(actual) and math.isnan(expected)) or actual == pytest.approx(expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rest_of_team_equals_brute_force(seed):
    durations, levels = random_desk(seed)
    expected = brute_force_rest(durations, levels)
    rest = _rest_medians(durations, "agent", ["team", "kpi"], levels)

    found = {
        (row.agent, row.team, row.kpi): (row.rest_n, row.rest_median, row.rest_low, row.rest_high)
        for row in rest.itertuples()
    }
    assert set(found) == set(expected)
    for key, (n, median, low, high) in expected.items():
        got = found[key]
        assert got[0] == n, key
        assert all(same(a, e) for a, e in zip(got[1:], (median, low, high), strict=True)), key
    # the draw covers what the test is about: even and odd rests, rests too small for an
    # interval and rests with one, an agent whose every duration is missing
    sizes = np.array([n for n, *_ in expected.values()])
    assert (sizes % 2 == 0).any() and (sizes % 2 == 1).any()
    bounds = [low for _, _, low, _ in expected.values()]
    assert any(math.isnan(b) for b in bounds) and not all(math.isnan(b) for b in bounds)
    assert ("Z", "T1", "resolution") in found


def test_a_team_with_one_agent_and_unassigned_records():
    # T: A has 3 and 1 (and a missing duration), nobody else but two unassigned records
    # (5, 7): A's rest is [5, 7], median 6. U: B alone, no rest: no row.
    durations = pd.DataFrame(
        {
            "team": ["T", "T", "T", "T", "T", "U"],
            "agent": ["A", "A", "A", None, None, "B"],
            "minutes": [3, 1, np.nan, 7, 5, 2],
        }
    )
    rest = _rest_medians(durations, "agent", ["team"], durations.head(0).assign(confidence=0.9))
    assert rest[["agent", "team", "rest_n", "rest_median"]].values.tolist() == [["A", "T", 2, 6.0]]
    assert math.isnan(rest["rest_low"].iloc[0])  # two records: no interval at 95 %


@pytest.mark.parametrize("seed", [4, 5])
def test_own_median_interval_equals_brute_force(seed):
    durations, levels = random_desk(seed)
    summary = median_interval(durations.dropna(subset=["agent"]), ["agent", "team", "kpi"],
                              levels=levels)  # fmt: skip
    for row in summary.itertuples():
        mine = durations[(durations["agent"] == row.agent) & (durations["team"] == row.team)
                         & (durations["kpi"] == row.kpi)]["minutes"].dropna().to_numpy()  # fmt: skip
        low, high = order_statistic_bounds(mine, level_of(levels, row.agent, row.team, row.kpi))
        assert row.n == len(mine)
        assert row.median == pytest.approx(float(np.median(mine)))
        assert same(row.ci_low, low) and same(row.ci_high, high)
    timed = durations.dropna(subset=["agent", "minutes"])
    assert len(summary) == len(timed.groupby(["agent", "team", "kpi"]))
