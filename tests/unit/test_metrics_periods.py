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


# Data from Monday 2024-12-30 10:00 to Thursday 2025-01-02 08:00: one ISO week (2025-W01),
# two months, quarters and years. Customer B never churns (a null churn period, which
# once came out as the year label "2017.0" beside "2017").
SPAN = {
    "day": ["2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02"],
    "week": ["2025-W01"],
    "month": ["2024-12", "2025-01"],
    "quarter": ["2024-Q4", "2025-Q1"],
    "year": ["2024", "2025"],
}


def year_end_warehouse(tmp_path):
    from test_metrics_fixtures import warehouse_with

    return warehouse_with(
        tmp_path,
        tickets=[
            {"ticket_id": "T1", "created_at_local": "2024-12-30 10:00", "first_response_min": 60,
             "solved_at_local": "2024-12-31 09:00", "resolution_min": 1380, "reopens": 0,
             "agent_replies": 1, "first_solved_at_local": "2024-12-31 09:00",
             "first_resolution_min": 1380},
            # its 24h target falls due on 3 Jan, after the data's end: no SLA period
            {"ticket_id": "T2", "created_at_local": "2025-01-02 08:00", "first_response_min": 5},
        ],
        survey_responses=[
            {"response_id": "R1", "kind": "csat", "score": 5,
             "responded_at_local": "2025-01-01 12:00"},
            {"response_id": "R2", "kind": "nps", "score": 10,
             "responded_at_local": "2025-01-01 12:00"},
        ],
        subscriptions=[
            {"subscription_id": "S1", "customer_id": "A", "started_at_local": "2024-12-30 12:00",
             "ended_at_local": "2025-01-01 00:00"},
            {"subscription_id": "S2", "customer_id": "B", "started_at_local": "2024-12-31 00:00"},
        ],
    )  # fmt: skip


FAMILIES = ["tickets", "backlog", "first_response_median_min", "resolution_median_min",
            "first_resolution_median_min", "fcr", "sla_first_response", "csat", "nps",
            "churn_rate", "retention_rate"]  # fmt: skip


@pytest.mark.parametrize("grain", [*SPAN, None])
def test_every_family_labels_every_grain_one_way_within_the_data(tmp_path, grain):
    import re

    from test_metrics_fixtures import settings

    from cxlens.metrics import compute_kpis
    from cxlens.metrics.periods import LABEL_PATTERNS

    by = [grain] if grain else []
    frame = compute_kpis(year_end_warehouse(tmp_path), settings(), by=by, metrics=FAMILIES)
    assert sorted(set(frame.metric)) == sorted(FAMILIES)
    pattern = re.compile(LABEL_PATTERNS[grain])
    assert [p for p in frame.period if not pattern.match(p)] == []
    expected = SPAN[grain] if grain else ["all"]
    for metric in FAMILIES:  # the grid, once each: nothing before or after the data
        assert list(frame[frame.metric == metric].period) == expected, metric


@pytest.mark.parametrize(
    ("grain", "period", "value", "n"),
    [
        ("year", "2025", 0.5, 2),  # A and B active on 1 Jan 2025, A lost
        ("quarter", "2025-Q1", 0.5, 2),
        ("month", "2025-01", 0.5, 2),
        ("day", "2025-01-01", 0.5, 2),
        ("week", "2025-W01", None, 0),  # A joins and leaves within the week
    ],
)
def test_churn_with_a_customer_never_lost_stays_in_one_period_per_label(
    tmp_path, grain, period, value, n
):
    from test_metrics_tickets import row

    frame = compute_kpis_for(tmp_path, grain, ["churn_rate"])
    churn = row(frame, "churn_rate", period)
    assert churn.n == n
    assert pd.isna(churn.value) if value is None else churn.value == value
    assert frame.period.is_unique


def compute_kpis_for(tmp_path, grain, metrics):
    from test_metrics_fixtures import settings

    from cxlens.metrics import compute_kpis

    return compute_kpis(year_end_warehouse(tmp_path), settings(), by=[grain], metrics=metrics)


def test_sla_counts_only_targets_due_by_the_data_end(tmp_path):
    # T1 due 2024-12-31 10:00 and met (60 ≤ 1440 min); T2 answered but due after the end.
    frame = compute_kpis_for(tmp_path, "day", ["sla_first_response"])
    values = [(p, v, n) for p, v, n in zip(frame.period, frame.value, frame.n, strict=True)]
    assert [(p, n) for p, _, n in values] == [
        ("2024-12-30", 0), ("2024-12-31", 1), ("2025-01-01", 0), ("2025-01-02", 0)
    ]  # fmt: skip
    assert values[1][1] == 1.0


def test_labels_of_missing_starts_are_none_in_every_grain():
    starts = pd.Series([pd.Timestamp("2017-01-01"), pd.NaT])
    for grain in SPAN:
        assert labels(starts, grain).tolist()[1] is None
    assert labels(starts, "year").tolist() == ["2017", None]
    assert labels(starts, "quarter").tolist() == ["2017-Q1", None]
    assert labels(starts, "week").tolist() == ["2016-W52", None]
