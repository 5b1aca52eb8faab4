"""Which month a report covers, and the months it is compared with.

Months are local to the project's time zone and labelled as the metrics label
them (``2024-03``). The report covers the latest *complete* month in the data:
when the newest record falls before the last day of its month, that month is
still running and the report covers the one before (unless that one has no
data at all, as with an export of a single partial month).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from cxlens.errors import ConfigError

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(month: str) -> tuple[int, int]:
    """Year and month of a ``YYYY-MM`` label; a clear error for anything else."""
    match = MONTH_PATTERN.match(month)
    if not match:
        raise ConfigError(f"month {month!r} is not of the form YYYY-MM (for example 2024-03)")
    return int(match.group(1)), int(match.group(2))


def shift_month(month: str, months: int) -> str:
    """The label ``months`` months after ``month`` (negative: before)."""
    year, number = parse_month(month)
    index = year * 12 + (number - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(month: str) -> str:
    return shift_month(month, -1)


def year_before(month: str) -> str:
    return shift_month(month, -12)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """Local start (inclusive) and end (exclusive) of ``month``."""
    year, number = parse_month(month)
    start = datetime(year, number, 1)
    next_year, next_number = parse_month(shift_month(month, 1))
    return start, datetime(next_year, next_number, 1)


def month_of(moment: date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month label from ``first`` to ``last``, both included."""
    first_year, first_number = parse_month(first)
    last_year, last_number = parse_month(last)
    count = (last_year - first_year) * 12 + (last_number - first_number)
    return [shift_month(first, step) for step in range(count + 1)]


def latest_complete_month(last_record: date, months_with_data: set[str]) -> tuple[str, bool]:
    """The month to report and whether it is only partly covered by the data.

    ``last_record`` is the local date of the newest record; ``months_with_data``
    the month labels that hold any KPI value.
    """
    month = month_of(last_record)
    last_day = calendar.monthrange(last_record.year, last_record.month)[1]
    if last_record.day == last_day:
        return month, False
    earlier = previous_month(month)
    if earlier in months_with_data:
        return earlier, False
    return month, True
