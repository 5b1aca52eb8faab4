"""The coaching plan on small hand-computed desks: flags, shrinkage, intervals, team needs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_metrics_fixtures import settings, warehouse_with

from cxlens.actions.coaching import (
    DEFAULTS,
    check_settings,
    coaching_plan,
    median_interval,
    shrink_median,
    shrink_rate,
)
from cxlens.errors import ConfigError

Z = 1.959963984540054


def wilson(k: int, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson's score interval written out (Wilson 1927), independent of statsmodels."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def solved_tickets(agent: str, team: str, n: int, first_contact: int, start: int) -> list[dict]:
    """``n`` solved refund e-mails of ``agent``; the first ``first_contact`` solved at first
    contact (one reply, no reopen), the rest after three replies."""
    replies = np.where(np.arange(n) < first_contact, 1, 3)
    return [
        {
            "ticket_id": f"T{start + i}",
            "created_at_local": "2024-03-01 09:00",
            "solved_at_local": "2024-03-01 10:00",
            "agent_id": agent,
            "team": team,
            "category": "refund",
            "channel": "email",
            "reopens": 0,
            "agent_replies": int(replies[i]),
        }
        for i in range(n)
    ]


def desk(tmp_path, teams: list[tuple[str, str, int, int]]):
    tickets, start = [], 0
    for agent, team, n, k in teams:
        tickets += solved_tickets(agent, team, n, k, start)
        start += n
    return warehouse_with(tmp_path, tickets=tickets)


def plain(**coaching):
    return settings(coaching={"correction": "none", **coaching})


@pytest.fixture
def agents_plan(tmp_path):
    # A1: a real gap (20/40 against 160/200). S1: n = 3. M1: material, not reliable
    # (7/12 against 0.8). T1: reliable but tiny (2310/3000 against 2400/3000).
    warehouse = desk(
        tmp_path,
        [
            ("A1", "Gap", 40, 20), ("G2", "Gap", 200, 160),
            ("S1", "Small", 3, 1), ("S2", "Small", 200, 160),
            ("M1", "Noisy", 12, 7), ("M2", "Noisy", 200, 160),
            ("T1", "Tiny", 3000, 2310), ("T2", "Tiny", 3000, 2400),
        ],
    )  # fmt: skip
    return coaching_plan(warehouse, plain())


def fcr_row(plan, agent):
    rows = plan.comparisons
    row = rows[
        (rows["agent"] == agent) & (rows["kpi"] == "fcr") & (rows["dimension"] == "category")
    ]
    assert len(row) == 1
    return row.iloc[0]


def test_a_real_gap_is_flagged_with_its_evidence(agents_plan):
    row = fcr_row(agents_plan, "A1")
    low, high = wilson(20, 40)
    assert (row["n"], row["value"], row["team_value"]) == (40, 0.5, 0.8)
    assert row["gap"] == pytest.approx(-0.3)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert row["shrunk"] == pytest.approx((20 + 20 * 0.8) / (40 + 20))  # 0.6
    assert row["impact"] == pytest.approx(40 * 0.3)
    assert row["flagged"]
    flags = agents_plan.flags
    mine = flags[(flags["agent"] == "A1") & (flags["kpi"] == "fcr")]
    assert set(mine["dimension"]) == {"category", "channel", "all"}
    # topics: the category and channel flags (same impact), not the overall one
    assert sorted(mine["topic_rank"].dropna()) == [1.0, 2.0]
    examples = mine["examples"].iloc[0]
    assert len(examples) == 3  # three of A1's 20 tickets that were not first contact
    assert all(20 <= int(ticket[1:]) < 40 for ticket in examples)


def test_the_same_kind_of_gap_on_three_tickets_is_not_flagged(agents_plan):
    row = fcr_row(agents_plan, "S1")
    assert row["n"] == 3 and row["worse"] and row["material"] and not row["enough"]
    assert not row["flagged"]


def test_a_material_gap_that_is_not_reliable_is_not_flagged(agents_plan):
    row = fcr_row(agents_plan, "M1")
    low, high = wilson(7, 12)
    assert low < 0.8 < high  # the team's 0.8 lies inside the agent's interval
    assert row["material"] and row["enough"] and not row["reliable"] and not row["flagged"]


def test_a_reliable_tiny_gap_is_not_flagged(agents_plan):
    row = fcr_row(agents_plan, "T1")
    low, high = wilson(2310, 3000)
    assert high < 0.8  # reliable: 0.77 with an interval below the team's 0.80
    assert row["gap"] == pytest.approx(-0.03)
    assert row["reliable"] and not row["material"] and not row["flagged"]


def test_only_the_real_gap_is_flagged_and_nothing_is_ranked(agents_plan):
    assert set(agents_plan.flags["agent"]) == {"A1"}
    assert list(agents_plan.agents["team"]) == sorted(agents_plan.agents["team"])


def test_bonferroni_widens_each_agents_interval(tmp_path):
    warehouse = desk(tmp_path, [("A1", "Gap", 40, 20), ("G2", "Gap", 200, 160)])
    plan = coaching_plan(warehouse, settings())
    rows = plan.comparisons[plan.comparisons["agent"] == "A1"]
    # A1 has 6 comparisons with n >= 10: FCR and reopen rate × category, channel, all
    assert len(rows) == 6
    level = 1 - 0.05 / 6
    from scipy.stats import norm

    low, high = wilson(20, 40, z=norm.ppf(1 - (1 - level) / 2))
    row = rows[(rows["kpi"] == "fcr") & (rows["dimension"] == "all")].iloc[0]
    assert row["confidence"] == pytest.approx(level)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_team_needs_by_hand(tmp_path):
    # W: all three agents weak (60/120 = 0.5) against the rest of the desk 1120/1380.
    # X: two of four agents weak (20/40 each against 0.86 for the rest of X): half flagged.
    # Y: the baseline, 0.8 everywhere. One cell (refund × email), so the team against
    # the desk reads the same by category, by channel and over all.
    warehouse = desk(
        tmp_path,
        [
            ("W1", "W", 40, 20), ("W2", "W", 40, 20), ("W3", "W", 40, 20),
            ("X1", "X", 40, 20), ("X2", "X", 40, 20), ("X3", "X", 200, 180),
            ("X4", "X", 200, 180),
            ("Y1", "Y", 300, 240), ("Y2", "Y", 300, 240), ("Y3", "Y", 300, 240),
        ],
    )  # fmt: skip
    plan = coaching_plan(warehouse, plain())
    needs = plan.team_needs[plan.team_needs["kpi"] == "fcr"]
    found = set(zip(needs["team"], needs["dimension"], needs["rule"], strict=True))
    assert found == {
        ("W", "category", "team_vs_desk"),
        ("W", "channel", "team_vs_desk"),
        ("W", "all", "team_vs_desk"),
        ("X", "category", "half_of_agents"),
        ("X", "channel", "half_of_agents"),
        ("X", "all", "half_of_agents"),
    }
    w = needs[needs["team"] == "W"].iloc[0]
    assert (w["n"], w["value"]) == (120, 0.5)
    assert w["desk_value"] == pytest.approx(1120 / 1380)
    x = needs[(needs["team"] == "X") & (needs["dimension"] == "category")].iloc[0]
    assert (x["agents_flagged"], x["agents_enough"]) == (2, 4)
    assert set(plan.flags["agent"]) == {"X1", "X2"}


def test_shrinkage_by_hand():
    # 3 of 10 with a team at 0.8 and 20 pseudo-records: (3 + 16) / 30
    assert shrink_rate([3], [10], [0.8], 20)[0] == pytest.approx(19 / 30)
    assert shrink_rate([3], [10], [0.8], 0)[0] == pytest.approx(0.3)
    # a median of 100 on 10 tickets, team 50: 50 + 10/30 × 50
    assert shrink_median([100], [10], [50], 20)[0] == pytest.approx(50 + 50 / 3)


def test_median_interval_by_hand():
    # n = 10 at 95 %: P(B <= 1) = 11/1024 <= 0.025 < P(B <= 2) = 56/1024, so l = 2:
    # [x(2), x(9)]. n = 5: P(B <= 0) = 1/32 > 0.025: no interval.
    durations = pd.DataFrame(
        {"who": ["a"] * 10 + ["b"] * 5, "minutes": [7, 1, 9, 3, 5, 2, 8, 10, 4, 6, 1, 2, 3, 4, 5]}
    )
    summary = median_interval(durations, ["who"]).set_index("who")
    assert summary.loc["a", ["n", "median", "ci_low", "ci_high"]].tolist() == [10, 5.5, 2, 9]
    assert summary.loc["b", "median"] == 3
    assert math.isnan(summary.loc["b", "ci_low"]) and math.isnan(summary.loc["b", "ci_high"])


def test_settings_defaults_and_messages():
    assert check_settings({}) == DEFAULTS
    assert check_settings({"min_n": 5.0})["min_n"] == 5
    with pytest.raises(ConfigError, match=r"\[coaching\] min_gap: unknown key"):
        check_settings({"min_gap": 0.1})
    with pytest.raises(ConfigError, match=r"\[coaching\] min_n = 0: it must be a whole number"):
        check_settings({"min_n": 0})
    with pytest.raises(ConfigError, match=r"\[coaching\] rate_gap = 5: it must be a fraction"):
        check_settings({"rate_gap": 5})
    with pytest.raises(ConfigError, match=r"\[coaching\] confidence = 'high'"):
        check_settings({"confidence": "high"})
    with pytest.raises(ConfigError, match=r'correction = \'holm\': it must be "bonferroni" or'):
        check_settings({"correction": "holm"})
    with pytest.raises(ConfigError, match=r"prior_strength = -1"):
        check_settings({"prior_strength": -1})
