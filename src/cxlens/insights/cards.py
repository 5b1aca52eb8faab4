"""KPI cards: a month's value with its sample size, and how it moved.

Each card compares the report month with the month before and with the same
month a year earlier. A change is *better* or *worse* by the KPI's direction;
it is *within noise* when both months carry a 95 % interval and the difference
is smaller than about twice its standard error (each month's standard error is
read off its interval: half-width ÷ 1.96). This is an approximation for
Wilson and NPS intervals, good enough to grey out a wobble. Medians,
percentiles and counts carry no interval: their change is coloured only when it
is material, at least ``MATERIAL_CHANGE`` (10 %) of the earlier value; a
smaller one reads "changed slightly", in grey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cxlens.insights import formatting
from cxlens.insights.catalogue import NEUTRAL, UP, KpiView
from cxlens.insights.labels import kpi_name, label

Z_95 = 1.959964
MATERIAL_CHANGE = 0.10  # relative change that colours a KPI without an interval

BETTER = "better"
WORSE = "worse"
NOISE = "noise"
SLIGHT = "slight"
CHANGED = "neutral"
UNCHANGED = "unchanged"
NO_DATA = "none"


@dataclass(frozen=True)
class Reading:
    """One KPI in one period, as compute_kpis gave it (None where it gave null)."""

    period: str
    value: float | None = None
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def missing(self) -> bool:
        return formatting.is_missing(self.value)

    @property
    def standard_error(self) -> float | None:
        if formatting.is_missing(self.ci_low) or formatting.is_missing(self.ci_high):
            return None
        return (self.ci_high - self.ci_low) / (2 * Z_95)


@dataclass(frozen=True)
class Change:
    """How a KPI moved from ``base`` (an earlier month) to the report month."""

    base: Reading
    delta: float | None
    relative: float | None
    verdict: str


@dataclass(frozen=True)
class KpiCard:
    """Everything one card shows, in the report's language."""

    metric: str
    view: KpiView
    lang: str
    current: Reading
    previous: Change
    year_ago: Change

    @property
    def name(self) -> str:
        return kpi_name(self.metric, self.lang)

    @property
    def value_text(self) -> str:
        return formatting.format_value(self.current.value, self.view.unit, self.lang)

    @property
    def n_text(self) -> str:
        return formatting.format_n(self.current.n)

    @property
    def interval_text(self) -> str:
        reading = self.current
        return formatting.format_interval(
            reading.ci_low, reading.ci_high, self.view.unit, self.lang
        )

    @property
    def hours_text(self) -> str:
        return formatting.hours_hint(self.current.value, self.view.unit, self.lang)

    def change_text(self, change: Change) -> str:
        return formatting.format_change(change.delta, change.relative, self.view.unit, self.lang)

    def verdict_text(self, change: Change) -> str:
        if change.verdict == NO_DATA:
            return label("no_data", self.lang)
        return label(change.verdict, self.lang)


def readings(monthly: pd.DataFrame) -> dict[tuple[str, str], Reading]:
    """compute_kpis rows (one grain, no dimensions) keyed by (metric, period)."""
    frame = monthly.astype(object).where(monthly.notna(), None)
    return {
        (metric, period): Reading(period, value, _count(n), low, high)
        for metric, period, value, n, low, high in zip(
            frame["metric"],
            frame["period"],
            frame["value"],
            frame["n"],
            frame["ci_low"],
            frame["ci_high"],
            strict=True,
        )
    }


def _count(n: object) -> int | None:
    return None if formatting.is_missing(n) else int(n)


def compare(current: Reading, base: Reading, view: KpiView) -> Change:
    """The change from ``base`` to ``current`` and whether a reader should cheer."""
    if current.missing or base.missing:
        return Change(base, None, None, NO_DATA)
    delta = current.value - base.value
    relative = delta / abs(base.value) if base.value else None
    return Change(base, delta, relative, _verdict(current, base, delta, relative, view))


def _verdict(
    current: Reading, base: Reading, delta: float, relative: float | None, view: KpiView
) -> str:
    if delta == 0:
        return UNCHANGED
    if view.better == NEUTRAL:
        return CHANGED
    if current.standard_error is not None and base.standard_error is not None:
        if _within_noise(current, base, delta):
            return NOISE
    elif relative is not None and abs(relative) < MATERIAL_CHANGE:
        return SLIGHT
    improved = delta > 0 if view.better == UP else delta < 0
    return BETTER if improved else WORSE


def _within_noise(current: Reading, base: Reading, delta: float) -> bool:
    errors = (current.standard_error, base.standard_error)
    spread = math.sqrt(sum(error * error for error in errors))
    return spread > 0 and abs(delta) < Z_95 * spread


def build_card(
    metric: str,
    view: KpiView,
    table: dict[tuple[str, str], Reading],
    months: tuple[str, str, str],
    lang: str,
) -> KpiCard:
    """The card of ``metric`` for ``months`` = (report month, previous, a year before)."""
    month, previous, year_ago = months
    current = table.get((metric, month), Reading(month))
    previous_reading = table.get((metric, previous), Reading(previous))
    year_reading = table.get((metric, year_ago), Reading(year_ago))
    return KpiCard(
        metric=metric,
        view=view,
        lang=lang,
        current=current,
        previous=compare(current, previous_reading, view),
        year_ago=compare(current, year_reading, view),
    )
