"""Erlang C staffing: published tables, the exact direct sum, edge cases and settings."""

import math
from fractions import Fraction

import numpy as np
import pytest

from cxlens.actions.staffing import (
    agents_needed,
    average_speed_of_answer,
    check_settings,
    rostered_agents,
    service_level,
    staff_interval,
    traffic_erlangs,
    wait_probability,
)
from cxlens.errors import ConfigError, ModelError


def as_printed(printed: str):
    """A published number to the precision it is printed: ± half its last digit, or a few
    units in the last place of a double for the 15-digit ones (40.4449401868444 is the
    exact 40.44494018684438 printed; a float computation of it lands within 1e-13)."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return pytest.approx(float(printed), abs=0.5 * 10**-decimals, rel=1e-13)


# Published: the ErlangC R package's README, CRAN 0.1.0
# (https://stat.ethz.ch/CRAN/web/packages/ErlangC/readme/README.html), the classic 100 calls
# per 30 minutes, 180 s handle time, 20 s answer time: its `calculate_agents` table prints,
# per number of agents, wait_probability, service_level, average_speed_of_answer and
# occupancy; 14 agents for 80 %, and agents_shrinked 20 with shrinkage 0.3, occupancy ≤ 0.85.
CRAN_TABLE = [
    (11, "0.6821182", "0.3896138", "122.78127684408", "0.9090909"),
    (12, "0.4493882", "0.640158", "40.4449401868444", "0.8333333"),
    (13, "0.2852705", "0.7955948", "17.1162271821896", "0.7692308"),
    (14, "0.1741319", "0.88835", "7.83593701177724", "0.7142857"),
]


@pytest.mark.parametrize(("agents", "waiting", "level", "asa", "occupancy"), CRAN_TABLE)
def test_the_published_erlang_c_table(agents, waiting, level, asa, occupancy):
    traffic = traffic_erlangs(100, 30, 180)
    assert traffic == 10  # the README's traffic_intensity
    assert wait_probability(traffic, agents) == as_printed(waiting)
    assert service_level(traffic, agents, 180, 20) == as_printed(level)
    assert average_speed_of_answer(traffic, agents, 180) == as_printed(asa)
    assert traffic / agents == as_printed(occupancy)


def test_the_published_agent_counts():
    """14 agents for 80 % in 20 s (13 give 0.7955948); 20 rostered with 30 % shrinkage.

    pyworkforce 0.1.0's README (https://pypi.org/project/pyworkforce/0.1.0/) prints the same
    case to full double precision: raw_positions 14, positions 20, service_level
    0.8883500191794669, occupancy 0.7142857142857143, waiting_probability 0.1741319335950498.
    """
    result = staff_interval(100, 30, 180, 0.8, 20, shrinkage=0.3, max_occupancy=0.85)
    assert result.agents == 14
    assert result.agents_rostered == 20
    assert result.service_level == pytest.approx(0.8883500191794669, rel=1e-12)
    assert result.occupancy == pytest.approx(0.7142857142857143, rel=1e-12)
    assert result.wait_probability == pytest.approx(0.1741319335950498, rel=1e-12)
    assert result.asa_seconds == as_printed("7.83593701177724")


def test_a_second_published_table_by_delay_probability():
    """An Erlang C calculator's worked example
    (http://personal.telefonica.terra.es/web/vr/erlang/eng/mcerlc.htm): 600 calls in an hour
    of 120 s are 20 erlangs; a 15 % delay probability needs 26 circuits, and 30 circuits cut
    the delay probability to 2.5 %."""
    traffic = traffic_erlangs(600, 60, 120)
    assert traffic == 20
    assert wait_probability(traffic, 25) > 0.15 >= wait_probability(traffic, 26)
    assert 100 * wait_probability(traffic, 30) == as_printed("2.5")


def exact_erlang_c(traffic: Fraction, agents: int) -> Fraction:
    """The textbook direct sum in exact fractions: (A^N/N! · N/(N−A)) over
    (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A))."""
    top = Fraction(traffic**agents, math.factorial(agents)) * Fraction(agents) / (agents - traffic)
    terms = sum(Fraction(traffic**k, math.factorial(k)) for k in range(agents))
    return top / (terms + top)


@pytest.mark.parametrize(
    ("traffic", "agents"),
    [
        (Fraction(1, 5), 1),
        (Fraction(1, 2), 3),
        (Fraction(10), 11),
        (Fraction(48), 55),
        (Fraction(97, 4), 30),
        (Fraction(180), 200),  # A^N/N! overflows a float here
        (Fraction(450), 480),
    ],
)
def test_the_recursion_matches_the_exact_direct_sum(traffic, agents):
    exact = exact_erlang_c(traffic, agents)
    assert wait_probability(float(traffic), agents) == pytest.approx(float(exact), rel=1e-10)
    aht, within = 300.0, 20.0
    level = 1 - float(exact) * math.exp(-(agents - float(traffic)) * within / aht)
    assert service_level(float(traffic), agents, aht, within) == pytest.approx(level, rel=1e-10)
    asa = float(exact * Fraction(aht) / (agents - traffic))
    assert average_speed_of_answer(float(traffic), agents, aht) == pytest.approx(asa, rel=1e-10)


def test_one_agent_waits_with_the_probability_of_the_traffic():
    """M/M/1 by hand: P(wait) = ρ, and 0.2 erlangs leave 1 − 0.2·e^(−0.8·20/360) in 20 s."""
    assert wait_probability(0.2, 1) == pytest.approx(0.2)
    assert service_level(0.2, 1, 360, 20) == pytest.approx(1 - 0.2 * math.exp(-0.8 * 20 / 360))


def test_no_calls_need_no_agents():
    result = staff_interval(0, 30, 240, 0.8, 20)
    assert (result.agents, result.service_level, result.occupancy, result.asa_seconds) == (
        0,
        1.0,
        0.0,
        0.0,
    )


def test_too_few_agents_leave_everyone_waiting():
    assert wait_probability(10, 10) == 1.0
    assert service_level(10, 9, 180, 20) == 0.0
    assert average_speed_of_answer(10, 10, 180) == math.inf


@pytest.mark.parametrize(
    ("calls", "minutes", "aht", "target", "within"),
    [
        (100, 30, 180, 0.8, 20),
        (360, 30, 240, 0.8, 20),
        (1, 30, 600, 0.8, 20),
        (7, 15, 45, 0.95, 10),
        (4500, 60, 300, 0.9, 30),  # 375 erlangs: hundreds of agents
        (12, 30, 360, 0.5, 0),
    ],
)
def test_the_agents_are_the_smallest_number_that_meets_the_target(
    calls, minutes, aht, target, within
):
    result = staff_interval(calls, minutes, aht, target, within)
    traffic = calls * aht / (minutes * 60)
    assert result.agents > traffic
    assert result.service_level >= target
    fewer = result.agents - 1
    assert fewer <= traffic or service_level(traffic, fewer, aht, within) < target


def smallest_by_the_recursion(traffic: float, aht: float, target: float, within: float) -> int:
    """The textbook search in plain Python floats: Erlang B by B(n) = A·B(n−1) / (n + A·B(n−1))
    one agent at a time, the first N above A whose service level reaches the target."""
    blocking, n = 1.0, 0
    while True:
        n += 1
        blocking = traffic * blocking / (n + traffic * blocking)
        if n > traffic:
            waiting = n * blocking / (n - traffic * (1 - blocking))
            if 1 - waiting * math.exp(-(n - traffic) * within / aht) >= target:
                return n


@pytest.mark.parametrize(
    ("calls", "aht", "target", "within"),
    [
        (37_500, 240, 0.8, 20),  # 5,000 erlangs
        (700_000, 240, 0.8, 20),  # 93,333 erlangs, near the largest planned
        (3_000, 600, 0.95, 10),  # 1,000 erlangs
    ],
)
def test_large_traffic_agrees_with_the_one_agent_at_a_time_search(calls, aht, target, within):
    traffic = calls * aht / 1800
    expected = smallest_by_the_recursion(traffic, aht, target, within)
    assert staff_interval(calls, 30, aht, target, within).agents == expected
    small = smallest_by_the_recursion(10.0, aht, target, within)
    assert agents_needed([traffic, 10.0], aht, target, within).tolist() == [expected, small]


def test_all_intervals_at_once_agree_with_one_at_a_time():
    calls = np.array([0, 1, 5, 20, 100, 360])
    aht = np.array([360, 600, 360, 600, 180, 240])
    together = agents_needed(traffic_erlangs(calls, 30, aht), aht, 0.8, 20)
    one_by_one = [staff_interval(c, 30, a, 0.8, 20).agents for c, a in zip(calls, aht, strict=True)]
    assert together.tolist() == one_by_one


def test_the_occupancy_cap_by_hand():
    """10 erlangs, 30 % in 20 s: 11 agents meet the target (the published 0.3896138), but at
    most 80 % busy needs N ≥ 10 / 0.8 = 12.5, so 13 (the published 0.7955948, 0.7692308)."""
    result = staff_interval(100, 30, 180, 0.3, 20, max_occupancy=0.8)
    assert result.agents_for_target == 11
    assert result.agents == 13
    assert result.service_level == as_printed("0.7955948")
    assert result.occupancy == as_printed("0.7692308")
    assert "agents_for_target" in result.to_json()


def test_shrinkage_by_hand():
    """⌈14 / 0.7⌉ = 20 (not 21 from float dust), ⌈14 / 0.75⌉ = ⌈18.67⌉ = 19, none kept 14."""
    assert rostered_agents([14, 14, 14], 0.3).tolist() == [20, 20, 20]
    assert rostered_agents(14, 0.25) == 19
    assert rostered_agents(14, 0.0) == 14


def test_only_the_four_answers_without_optional_inputs():
    assert list(staff_interval(100, 30, 180).to_json()) == [
        "agents",
        "service_level",
        "occupancy",
        "asa_seconds",
    ]


@pytest.mark.parametrize(
    ("arguments", "options", "message"),
    [
        ((-1, 30, 180, 0.8, 20), {}, "calls must be 0 or more, not -1"),
        ((10, 0, 180, 0.8, 20), {}, "the interval must be longer than 0 minutes, not 0"),
        ((10, 30, 0, 0.8, 20), {}, "the average handle time must be more than 0 seconds, not 0"),
        ((10, 30, 180, 1.0, 20), {}, "target must lie in (0, 1), not 1.0"),
        ((10, 30, 180, 80, 20), {}, "target must lie in (0, 1), not 80"),
        ((10, 30, 180, 0.8, -5), {}, "the answer time must be 0 seconds or more, not -5"),
        ((10, 30, 180), {"shrinkage": 1.0}, "shrinkage must lie in [0, 1), not 1.0"),
        ((10, 30, 180), {"max_occupancy": 0}, "max_occupancy must lie in (0, 1], not 0"),
        ((math.nan, 30, 180), {}, "calls must be a finite number, not nan"),
        ((math.inf, 30, 240), {}, "calls must be a finite number, not inf"),
        ((10, 30, math.inf), {}, "the average handle time must be a finite number, not inf"),
        (
            (10**9, 30, 240),
            {},
            "the traffic, 133,333,333 erlangs (calls × handle time ÷ interval), is beyond the "
            "100,000 erlangs this plans; check the calls, the handle time (in seconds) and the "
            "interval (in minutes)",
        ),
    ],
)
def test_nonsense_is_refused_with_what_is_allowed(arguments, options, message):
    with pytest.raises(ModelError) as error:
        staff_interval(*arguments, **options)
    assert str(error.value) == message


# [staffing] settings


def test_the_settings_defaults():
    completed = check_settings({})
    assert completed == {
        "interval_minutes": 30,
        "weeks": 8,
        "channels": ["phone", "chat"],
        "aht_seconds": {"phone": 360.0, "chat": 600.0},
        "target": 0.8,
        "within_seconds": 20.0,
        "shrinkage": 0.0,
        "max_occupancy": 1.0,
        "min_agents": 1,
        "open_hours": "business_hours",
    }
    assert check_settings(completed) == completed  # loading twice changes nothing


def test_one_handle_time_serves_every_channel():
    completed = check_settings({"channels": ["phone", "wechat"], "aht_seconds": 300})
    assert completed["aht_seconds"] == {"phone": 300.0, "wechat": 300.0}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"interval": 30}, "[staffing] has no key interval; the keys are interval_minutes"),
        ({"interval_minutes": 7}, "[staffing] interval_minutes = 7 does not divide a day"),
        ({"interval_minutes": 30.5}, "[staffing] interval_minutes must be a whole number"),
        ({"weeks": 0}, "[staffing] weeks must be a whole number from 1 to 52, not 0"),
        ({"target": 80}, "[staffing] target must be a number in (0, 1), not 80"),
        ({"target": "80%"}, "[staffing] target must be a number in (0, 1), not '80%'"),
        ({"within_seconds": -1}, "[staffing] within_seconds must be a number in [0, ∞), not -1"),
        ({"shrinkage": 1}, "[staffing] shrinkage must be a number in [0, 1), not 1"),
        ({"max_occupancy": 0}, "[staffing] max_occupancy must be a number in (0, 1], not 0"),
        ({"channels": "phone"}, "[staffing] channels must be a list of channel names"),
        (
            {"channels": ["email"]},
            "[staffing] aht_seconds gives no handle time for email; add email",
        ),
        (
            {"aht_seconds": {"chat": 0}},
            "[staffing] aht_seconds for chat must be a finite number of seconds above 0, not 0",
        ),
        (
            {"aht_seconds": math.inf},
            "[staffing] aht_seconds for phone must be a finite number of seconds above 0, not inf",
        ),
        (
            {"aht_seconds": {"phone": math.nan}},
            "[staffing] aht_seconds for phone must be a finite number of seconds above 0, not nan",
        ),
        ({"min_agents": -1}, "[staffing] min_agents must be a whole number from 0 to 1000, not -1"),
        ({"min_agents": 1.5}, "[staffing] min_agents must be a whole number from 0 to 1000"),
        ({"aht_seconds": "6 minutes"}, "[staffing] aht_seconds must be seconds"),
        (
            {"open_hours": "24/7"},
            '[staffing] open_hours must be "business_hours" (plan the opening hours) or '
            "\"always\" (plan every hour), not '24/7'",
        ),
    ],
)
def test_bad_settings_name_the_key_and_what_is_allowed(section, message):
    with pytest.raises(ConfigError) as error:
        check_settings(section)
    assert str(error.value).startswith(message)
