"""Where a KPI's change comes from: the exact split of a rate's change into groups' parts."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.insights.changes import explain_change


def rows(dimension: str, groups: dict[str | None, tuple[float, int]]) -> pd.DataFrame:
    """KPI rows as compute_kpis gives them: one per group, value and n."""
    return pd.DataFrame(
        {
            "group": [{dimension: key} for key in groups],
            "value": [value for value, _ in groups.values()],
            "n": [n for _, n in groups.values()],
        }
    )


def test_a_pure_mix_shift_is_all_mix():
    # a: 50 → 20 records at 80 %; b: 50 → 80 at 40 %. Total 60 % → 48 %.
    before = rows("category", {"a": (0.8, 50), "b": (0.4, 50)})
    now = rows("category", {"a": (0.8, 20), "b": (0.4, 80)})

    change = explain_change("fcr", "rate", "category", now, before, 0.48, 0.60)

    table = change.groups.set_index("key")
    assert table.loc["a", "mix"] == pytest.approx(-0.3 * 0.8)  # share −30 pp × 80 %
    assert table.loc["b", "mix"] == pytest.approx(0.3 * 0.4)
    assert table["rate"].abs().max() == pytest.approx(0.0)
    assert table["contribution"].sum() == pytest.approx(0.48 - 0.60)
    assert list(change.groups["key"]) == ["a", "b"]  # the larger part first


def test_own_value_and_share_both_move():
    # a: 40 → 60 records, 50 % → 70 %; b: 60 → 40 records, 90 % → 90 %
    before = rows("team", {"a": (0.5, 40), "b": (0.9, 60)})
    now = rows("team", {"a": (0.7, 60), "b": (0.9, 40)})
    total_before, total_now = 0.4 * 0.5 + 0.6 * 0.9, 0.6 * 0.7 + 0.4 * 0.9

    table = explain_change("csat", "rate", "team", now, before, total_now, total_before).groups

    a = table.set_index("key").loc["a"]
    assert a["rate"] == pytest.approx((0.4 + 0.6) / 2 * (0.7 - 0.5))  # mean share × Δ value
    assert a["mix"] == pytest.approx((0.6 - 0.4) * (0.5 + 0.7) / 2)  # Δ share × mean value
    assert table["contribution"].sum() == pytest.approx(total_now - total_before)


def test_a_group_in_one_period_only_counts_through_its_share_and_blanks_are_a_group():
    before = rows("channel", {"email": (0.6, 10), None: (0.2, 10)})
    now = rows("channel", {"email": (0.6, 10), "chat": (1.0, 10)})

    table = explain_change("fcr", "rate", "channel", now, before, 0.8, 0.4).groups

    chat = table.set_index("key").loc["chat"]
    assert chat["rate"] == 0 and chat["mix"] == pytest.approx(0.5 * 1.0)
    assert table["contribution"].sum() == pytest.approx(0.8 - 0.4)
    assert None in set(table["key"])


def test_durations_are_ranked_not_split():
    before = rows("category", {"a": (10.0, 100), "b": (30.0, 10)})
    now = rows("category", {"a": (12.0, 100), "b": (90.0, 10)})

    change = explain_change("resolution_median_min", "minutes", "category", now, before, 15, 11)

    assert not change.additive and "contribution" not in change.groups
    assert list(change.groups["key"]) == ["b", "a"]  # 10 × 60 min outweighs 100 × 2 min
    assert change.groups.set_index("key").loc["b", "weight"] == pytest.approx(600)
