"""The sample company's calendar: service hours, holidays, promotions and the bad month.

Times in the generator are whole seconds since ``START`` on the local wall clock of
Asia/Shanghai (China has no daylight-saving time, so local seconds are evenly spaced).
Everything here is a day-indexed numpy array, so the generator never loops over rows.
"""

from __future__ import annotations

import numpy as np

DAY = 86_400
HOUR = 3_600
START = np.datetime64("2024-01-01T00:00:00", "s")
END = np.datetime64("2025-07-01T00:00:00", "s")  # the export was taken at this moment
EXPORT_AT = int((END - START) / np.timedelta64(1, "s"))
N_DAYS = EXPORT_AT // DAY
MARGIN_DAYS = 120  # work scheduled after the export still needs opening hours

# Service hours of the help desk (local, end-exclusive), as written to cxlens.toml.
WEEKDAY_HOURS = (9, 21)
WEEKEND_HOURS = (10, 18)

# Days the help desk is closed: the first days of the Spring Festival.
CLOSED_DAYS = (
    "2024-02-10",
    "2024-02-11",
    "2024-02-12",
    "2025-01-29",
    "2025-01-30",
    "2025-01-31",
)

# Spring Festival weeks: few orders, few tickets.
FESTIVAL_WEEKS = (("2024-02-08", "2024-02-18"), ("2025-01-27", "2025-02-05"))

# Shopping festivals: (first day, peak day, multiplier on the peak day).
PROMOTIONS = (
    ("2024-06-01", "2024-06-18", 7.0),
    ("2024-10-31", "2024-11-11", 9.0),
    ("2024-12-10", "2024-12-12", 2.5),
    ("2025-06-01", "2025-06-18", 8.0),
)

# In this month three agents were on leave and no cover was hired.
STAFFING_MONTH = "2025-03"


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday 0 … Sunday 6 for day indexes counted from ``START`` (a Monday)."""
    return days % 7


def _day_index(date: str) -> int:
    return int((np.datetime64(date, "D") - np.datetime64("2024-01-01", "D")).astype(int))


def month_index(seconds: np.ndarray) -> np.ndarray:
    """0 for January 2024, 1 for February 2024, … for local times in seconds."""
    moments = START + seconds.astype("timedelta64[s]")
    return (moments.astype("datetime64[M]") - np.datetime64("2024-01", "M")).astype(int)


def staffing_month_index() -> int:
    """The month index of ``STAFFING_MONTH``."""
    return int((np.datetime64(STAFFING_MONTH, "M") - np.datetime64("2024-01", "M")).astype(int))


def promotion_lift(extra: int = 0) -> np.ndarray:
    """Multiplier per day for orders: a ramp up to each festival's peak day, then a tail."""
    days = np.arange(N_DAYS + extra)
    lift = np.ones(days.size)
    for first, peak, top in PROMOTIONS:
        start, peak_day = _day_index(first), _day_index(peak)
        ramp = (days >= start) & (days <= peak_day)
        lift[ramp] += (top - 1) * ((days[ramp] - start + 1) / (peak_day - start + 1)) ** 3
        tail = (days > peak_day) & (days <= peak_day + 3)
        lift[tail] += (top - 1) * 0.15 / (days[tail] - peak_day)
    return lift


def festival_dip(extra: int = 0) -> np.ndarray:
    """Multiplier per day that empties the Spring Festival weeks."""
    dip = np.ones(N_DAYS + extra)
    for first, last in FESTIVAL_WEEKS:
        dip[_day_index(first) : _day_index(last) + 1] = 0.35
    return dip


def order_day_weights() -> np.ndarray:
    """Relative order volume per day: growth, weekend shopping, festivals, promotions."""
    days = np.arange(N_DAYS)
    growth = 1 + 0.3 * days / N_DAYS
    weekend = np.where(weekday(days) >= 5, 1.15, 1.0)
    return growth * weekend * festival_dip() * promotion_lift()


def ticket_day_weights() -> np.ndarray:
    """Relative volume per day of tickets not caused by an order: quieter weekends."""
    days = np.arange(N_DAYS)
    growth = 1 + 0.3 * days / N_DAYS
    weekend = np.where(weekday(days) >= 5, 0.55, 1.0)
    return growth * weekend * festival_dip()


def hour_weights(kind: str) -> np.ndarray:
    """Relative volume per local hour: quiet nights, a morning peak and an evening one."""
    office = np.array(
        [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 7, 9, 9, 6, 7, 8, 8, 7, 6, 5, 5, 5, 4, 3, 2]
    )
    if kind == "order":  # people shop after work and late in the evening
        return np.array(
            [3, 2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4, 5, 4, 4, 4, 4, 4, 5, 6, 8, 9, 9, 6]
        )
    return office


def opening_hours(extra: int = MARGIN_DAYS) -> tuple[np.ndarray, np.ndarray]:
    """Per day, the seconds after midnight the desk opens and closes (equal when closed)."""
    days = np.arange(N_DAYS + extra)
    weekend = weekday(days) >= 5
    opens = np.where(weekend, WEEKEND_HOURS[0], WEEKDAY_HOURS[0]) * HOUR
    closes = np.where(weekend, WEEKEND_HOURS[1], WEEKDAY_HOURS[1]) * HOUR
    for date in CLOSED_DAYS:
        opens[_day_index(date)] = closes[_day_index(date)] = 0
    return opens, closes


_OPENS, _CLOSES = opening_hours()


def next_open(seconds: np.ndarray) -> np.ndarray:
    """Each time moved forward to the desk's next open moment (unchanged when open)."""
    moved = np.asarray(seconds, dtype=np.int64).copy()
    last_day = _OPENS.size - 1
    for _ in range(8):  # at most a few closed days follow each other
        day = np.minimum(moved // DAY, last_day)
        second = moved - day * DAY
        early = second < _OPENS[day]
        moved = np.where(early, day * DAY + _OPENS[day], moved)
        late = second >= _CLOSES[day]
        if not late.any():
            break
        moved = np.where(late, (day + 1) * DAY, moved)
    return moved


def to_datetimes(seconds: np.ndarray) -> np.ndarray:
    """Local times in seconds → ``datetime64[s]``; negative sentinels (missing) → NaT."""
    seconds = np.asarray(seconds, dtype=np.int64)
    moments = START + seconds.astype("timedelta64[s]")
    return np.where(seconds == MISSING, np.datetime64("NaT"), moments)


MISSING = np.iinfo(np.int64).min  # "no such moment" in an int64 time column
