"""How the report shows each KPI: its unit, which way is better, and where it appears.

The metric catalogue (``cxlens.metrics.KPIS``) says what a KPI measures; this
module says how a reader sees it. Direction matters for colour: CSAT going up
is good news, first-response time going up is bad news, ticket volume is
neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxlens.insights.labels import LANGUAGES

RATE = "rate"  # a fraction 0–1, shown as a percentage
POINTS = "points"  # NPS, −100…100
MINUTES = "minutes"
COUNT = "count"
SCORE = "score"  # a mean on a survey scale
MONEY = "money"

UP = "up"
DOWN = "down"
NEUTRAL = "neutral"


@dataclass(frozen=True)
class KpiView:
    """Display facts of one KPI id."""

    metric: str
    unit: str
    better: str


def _durations() -> dict[str, KpiView]:
    stems = (
        "first_response",
        "first_response_business",
        "resolution",
        "resolution_business",
    )
    views = {
        f"{stem}_{stat}_min": KpiView(f"{stem}_{stat}_min", MINUTES, DOWN)
        for stem in stems
        for stat in ("median", "p90", "mean")
    }
    for metric in ("first_any_response_median_min", "first_resolution_median_min"):
        views[metric] = KpiView(metric, MINUTES, DOWN)
    return views


VIEWS: dict[str, KpiView] = {
    "tickets": KpiView("tickets", COUNT, NEUTRAL),
    "backlog": KpiView("backlog", COUNT, DOWN),
    "csat": KpiView("csat", RATE, UP),
    "csat_mean": KpiView("csat_mean", SCORE, UP),
    "nps": KpiView("nps", POINTS, UP),
    "ces": KpiView("ces", SCORE, UP),
    "survey_response_rate": KpiView("survey_response_rate", RATE, UP),
    **_durations(),
    "fcr": KpiView("fcr", RATE, UP),
    "reopen_rate": KpiView("reopen_rate", RATE, DOWN),
    "sla_first_response": KpiView("sla_first_response", RATE, UP),
    "sla_next_response": KpiView("sla_next_response", RATE, UP),
    "sla_resolution": KpiView("sla_resolution", RATE, UP),
    "answer_rate": KpiView("answer_rate", RATE, UP),
    "churn_rate": KpiView("churn_rate", RATE, DOWN),
    "retention_rate": KpiView("retention_rate", RATE, UP),
    "clv_historical_mean": KpiView("clv_historical_mean", MONEY, UP),
    "clv_predicted_mean": KpiView("clv_predicted_mean", MONEY, UP),
}

# The cards at the top of the report, in reading order (those the data supports: the
# business-hours figures only where [business_hours] is set, SLA clocks where targets fell due).
HEADLINE = (
    "tickets",
    "csat",
    "nps",
    "ces",
    "first_response_median_min",
    "first_response_p90_min",
    "first_response_business_median_min",
    "resolution_median_min",
    "resolution_business_median_min",
    "fcr",
    "reopen_rate",
    "sla_first_response",
    "sla_next_response",
    "sla_resolution",
    "backlog",
    "answer_rate",
    "survey_response_rate",
    "churn_rate",
)

# The columns of the breakdown tables (by channel, category, agent, team).
BREAKDOWN = (
    "tickets",
    "csat",
    "nps",
    "first_response_median_min",
    "first_response_business_median_min",
    "resolution_median_min",
    "fcr",
    "reopen_rate",
    "sla_first_response",
)

BREAKDOWN_DIMENSIONS = ("channel", "category", "agent", "team")


def view(metric: str, settings: Any = None) -> KpiView:
    """The display facts of ``metric``; CES follows ``[ces] higher_is_easier``.

    A KPI the report does not know yet is shown as a plain number with no
    better direction, rather than refused.
    """
    known = VIEWS.get(metric, KpiView(metric, SCORE, NEUTRAL))
    if metric == "ces" and settings is not None:
        higher_is_easier = bool(getattr(settings, "ces", {}).get("higher_is_easier", True))
        return KpiView(metric, SCORE, UP if higher_is_easier else DOWN)
    return known


def definition(metric: str, lang: str) -> str:
    """The KPI's one written definition in ``lang``, from the metric catalogue."""
    from cxlens.metrics import KPIS

    entry = KPIS.get(metric)
    if entry is None or lang not in LANGUAGES:
        return ""
    return getattr(entry, lang)
