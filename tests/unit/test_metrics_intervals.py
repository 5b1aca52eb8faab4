"""Interval formulas and SLA durations, against formulas written out by hand."""

from __future__ import annotations

import math

import pytest

from cxlens.errors import ConfigError
from cxlens.metrics.intervals import Z95, mean_interval, nps_interval, wilson
from cxlens.metrics.sla import parse_duration


def test_wilson_two_of_three_matches_the_textbook_formula():
    z, k, n = 1.959963984540054, 2, 3
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = wilson([2], [3])
    assert low[0] == pytest.approx(centre - half)
    assert high[0] == pytest.approx(centre + half)
    assert (round(low[0], 4), round(high[0], 4)) == (0.2077, 0.9385)


def test_wilson_bounds_are_exactly_0_and_1_at_the_ends():
    # k = 0: centre = half = (z²/2n)/(1 + z²/n), so the lower bound is 0 exactly;
    # the upper bound is z²/n / (1 + z²/n) = 3.8415 / 6.8415 for 0 of 3
    z2 = 1.959963984540054**2
    low, high = wilson([0, 3], [3, 3])
    assert low[0] == 0.0 and high[1] == 1.0
    assert high[0] == pytest.approx((z2 / 3) / (1 + z2 / 3))
    assert low[1] == pytest.approx(1 - (z2 / 3) / (1 + z2 / 3))


def test_wilson_is_null_without_trials():
    low, high = wilson([0], [0])
    assert math.isnan(low[0]) and math.isnan(high[0])


def test_nps_interval_from_multinomial_variance():
    # 5 promoters, 3 passives, 2 detractors out of 10.
    score, low, high = nps_interval([5], [2], [10])
    pro, det = 0.5, 0.2
    sd = math.sqrt((pro + det - (pro - det) ** 2) / 10)
    assert score[0] == pytest.approx(30.0)
    assert low[0] == pytest.approx(30 - Z95 * 100 * sd)
    assert high[0] == pytest.approx(30 + Z95 * 100 * sd)


def test_mean_interval_is_normal_with_sample_sd():
    values = [1.0, 2.0, 4.0, 5.0]
    mean, low, high = mean_interval([sum(values)], [sum(v * v for v in values)], [4])
    sd = math.sqrt(sum((v - 3) ** 2 for v in values) / 3)
    assert mean[0] == 3.0
    assert low[0] == pytest.approx(3 - Z95 * sd / 2)
    assert high[0] == pytest.approx(3 + Z95 * sd / 2)


@pytest.mark.parametrize(
    ("text", "minutes"), [("24h", 1440), ("90m", 90), ("1d", 1440), ("1h30m", 90)]
)
def test_sla_durations(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["soon", "0h", "-1h", "", 24, 1.5])
def test_bad_sla_duration_says_how_to_write_one(text):
    # a bare number is refused: minutes or hours would be a guess
    with pytest.raises(ConfigError, match="like '24h'|longer than zero"):
        parse_duration(text)
