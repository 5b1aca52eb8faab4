"""Period grains, labels and ``--by`` parsing."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.errors import ConfigError
from cxlens.metrics import parse_by
from cxlens.metrics.periods import grid, labels


def test_parse_by_keeps_grain_and_dimensions_in_order():
    assert parse_by("month, channel,segment") == ["month", "channel", "segment"]
    assert parse_by(None) == []
    assert parse_by("") == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("month,week", "at most one period grain"),
        ("hour", "allowed are"),
        ("agent,agent", "repeated"),
    ],
)
def test_parse_by_refuses_what_is_not_allowed(text, says):
    with pytest.raises(ConfigError) as error:
        parse_by(text)
    assert says in str(error.value)


def test_unknown_item_error_lists_grains_and_dimensions():
    with pytest.raises(ConfigError) as error:
        parse_by("region")
    message = str(error.value)
    for word in ("day", "week", "month", "quarter", "year", "channel", "team", "segment"):
        assert word in message


def test_week_label_uses_the_iso_year_at_the_year_boundary():
    # 2024-12-30 is the Monday of ISO week 1 of 2025; 2021-01-03 is in 2020-W53.
    starts = pd.Series(pd.to_datetime(["2024-12-30", "2021-01-03", "2024-03-04"]))
    assert list(labels(starts, "week")) == ["2025-W01", "2020-W53", "2024-W10"]


@pytest.mark.parametrize(
    ("grain", "expected"),
    [
        ("day", ["2024-03-05", "2024-11-30"]),
        ("month", ["2024-03", "2024-11"]),
        ("quarter", ["2024-Q1", "2024-Q4"]),
        ("year", ["2024", "2024"]),
        (None, ["all", "all"]),
    ],
)
def test_labels_per_grain(grain, expected):
    starts = pd.Series(pd.to_datetime(["2024-03-05", "2024-11-30"]))
    assert list(labels(starts, grain)) == expected


def test_grid_covers_every_period_between_first_and_last():
    assert grid(pd.Timestamp("2024-01-31 23:00"), pd.Timestamp("2024-04-01"), "month") == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    assert grid(pd.Timestamp("2024-12-29"), pd.Timestamp("2025-01-06"), "week") == [
        "2024-W52",
        "2025-W01",
        "2025-W02",
    ]
    assert grid(pd.Timestamp("2024-11-15"), pd.Timestamp("2025-02-01"), "quarter") == [
        "2024-Q4",
        "2025-Q1",
    ]
