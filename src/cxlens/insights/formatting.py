"""Numbers as a reader sees them: one formatter shared by the HTML, the summary and the cards.

Rates show as percentages with one decimal, NPS as signed points, durations as
minutes with one decimal (the same value in every output, case FR-5), counts
with thousands separators. A missing value shows as "—".
"""

from __future__ import annotations

import math
import unicodedata

from cxlens.insights.catalogue import COUNT, MINUTES, MONEY, POINTS, RATE
from cxlens.insights.labels import label

DASH = "—"


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal or a spreadsheet: CJK characters count as two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def is_missing(value: object) -> bool:
    """True for None and NaN (pandas hands both back for a null KPI)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value: float | None, unit: str, lang: str) -> str:
    """``value`` in its unit: ``87.3%``, ``+42.0``, ``35.2 min``, ``1,204``."""
    if is_missing(value):
        return DASH
    if unit == RATE:
        return f"{value * 100:.1f}%"
    if unit == POINTS:
        return f"{value:+.1f}"
    if unit == MINUTES:
        return f"{value:,.1f} {label('minutes', lang)}"
    if unit == COUNT:
        return f"{value:,.0f}"
    if unit == MONEY:
        return f"{value:,.2f}"
    return f"{value:,.2f}"


def format_change(delta: float | None, relative: float | None, unit: str, lang: str) -> str:
    """A change in its natural unit: percentage points for rates, points for NPS,
    and both the amount and the relative change for durations and counts.

    A duration change under 0.1 minute keeps two decimals, so that a visible
    relative change never sits beside an amount of "+0.0".
    """
    if is_missing(delta):
        return DASH
    if unit == RATE:
        return f"{delta * 100:+.1f} {label('percentage_points', lang)}"
    if unit == POINTS:
        return f"{delta:+.1f} {label('points', lang)}"
    minute_digits = 2 if abs(delta) < 0.1 else 1
    amount = {
        MINUTES: f"{delta:+,.{minute_digits}f} {label('minutes', lang)}",
        COUNT: f"{delta:+,.0f}",
    }.get(unit, f"{delta:+,.2f}")
    if is_missing(relative):
        return amount
    return f"{amount} ({relative * 100:+.1f}%)"


def format_n(n: object) -> str:
    """A sample size with thousands separators; "—" when unknown."""
    if is_missing(n):
        return DASH
    return f"{int(n):,}"


def format_interval(low: float | None, high: float | None, unit: str, lang: str) -> str:
    """``80.1%–92.0%``; empty when the KPI has no interval (durations, counts)."""
    if is_missing(low) or is_missing(high):
        return ""
    return f"{format_value(low, unit, lang)} – {format_value(high, unit, lang)}"


def hours_hint(value: float | None, unit: str, lang: str) -> str:
    """For long durations, the same value in hours as a reading aid (``≈ 26.5 h``)."""
    if unit != MINUTES or is_missing(value) or value < 120:
        return ""
    return f"≈ {value / 60:,.1f} {label('hours', lang)}"
