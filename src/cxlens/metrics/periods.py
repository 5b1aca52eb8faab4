"""Period grains, period labels and the grid of periods a report covers.

Periods are cut on the local wall-clock columns (``created_at_local`` and its
kin) that the clean step stores beside every UTC time, so a day, week or month
is the project's own. Ibis truncates a timestamp to the period's start; the
labels (``2024-03-05``, ``2025-W01``, ``2024-03``, ``2024-Q1``, ``2024``) are
made in pandas on the small aggregated result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

GRAINS = ("day", "week", "month", "quarter", "year")
DIMENSIONS = ("channel", "category", "priority", "agent", "team", "segment")
ALL = "all"

# Ibis truncation units; DuckDB's and Spark's week starts on Monday, as ISO weeks do.
TRUNCATE_UNITS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
# pandas period frequencies whose start times equal the truncated timestamps.
PANDAS_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
STRFTIME = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
# The shape of every label of a grain (and of the label without one).
LABEL_PATTERNS = {
    "day": r"^\d{4}-\d{2}-\d{2}$",
    "week": r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$",
    "month": r"^\d{4}-(0[1-9]|1[0-2])$",
    "quarter": r"^\d{4}-Q[1-4]$",
    "year": r"^\d{4}$",
    None: r"^all$",
}


def parse_by(text: str | None) -> list[str]:
    """Split ``--by`` into at most one grain and any dimensions, in the order given.

    ``"month,channel"`` gives ``["month", "channel"]``; an empty value gives ``[]``.
    """
    if text is None or not text.strip():
        return []
    parts = [part.strip().lower() for part in text.split(",") if part.strip()]
    allowed = f"grains: {', '.join(GRAINS)}; dimensions: {', '.join(DIMENSIONS)}"
    for part in parts:
        if part not in GRAINS and part not in DIMENSIONS:
            raise ConfigError(f"--by: unknown item {part!r}; allowed are {allowed}")
    grains = [part for part in parts if part in GRAINS]
    if len(grains) > 1:
        raise ConfigError(f"--by: give at most one period grain, not {', '.join(grains)}")
    if len(set(parts)) != len(parts):
        raise ConfigError(f"--by: an item is repeated in {text!r}")
    return parts


def split_by(by: list[str] | tuple[str, ...]) -> tuple[str | None, list[str]]:
    """The grain (or None) and the dimensions of an already parsed ``by`` list."""
    parsed = parse_by(",".join(by)) if by else []
    grain = next((part for part in parsed if part in GRAINS), None)
    return grain, [part for part in parsed if part in DIMENSIONS]


def truncate(timestamp, grain: str | None):
    """An Ibis expression for the start of the period holding ``timestamp``."""
    if grain is None:
        return None
    return timestamp.truncate(TRUNCATE_UNITS[grain])


def key(timestamp, grain: str | None):
    """An Ibis expression that tells periods apart and is cheap to group a million rows by.

    Whole numbers for month, quarter and year (DuckDB extracts a year and a month about
    twice as fast as it truncates a timestamp), the date for a day, the week's start
    for a week. ``start`` turns a key back into the period start on the aggregated rows.
    """
    if grain is None:
        return None
    if grain == "day":
        return timestamp.date()
    if grain == "week":
        return timestamp.truncate("W")
    if grain == "month":
        return timestamp.year() * 12 + timestamp.month() - 1
    if grain == "quarter":
        return timestamp.year() * 4 + timestamp.quarter() - 1
    return timestamp.year()


def start(period_keys, grain: str) -> pd.Series:
    """The period start times of ``key`` values, on the small aggregated result (pandas).

    Done after execution rather than in SQL: Ibis builds a timestamp from parts on
    DuckDB but not on Spark, and the aggregated rows are few. A null key gives NaT.
    """
    import pandas as pd

    keys = pd.Series(period_keys)
    if grain in ("day", "week"):
        return pd.to_datetime(keys)
    number = pd.to_numeric(keys).astype("float64")  # a null key as NaN, not pd.NA
    if grain == "month":
        year, month = number // 12, number % 12 + 1
    elif grain == "quarter":
        year, month = number // 4, (number % 4) * 3 + 1
    else:
        year, month = number, 1
    parts = pd.DataFrame({"year": year, "month": month, "day": 1}, index=keys.index)
    return pd.to_datetime(parts, errors="coerce")


def labels(starts, grain: str | None) -> pd.Series:
    """Period labels for period start times: the one place labels are made.

    Every KPI family and the grid pass period starts (timestamps, as Ibis truncates
    them) through here, so one grain always gives one label shape
    (``LABEL_PATTERNS``). A missing start gives None, never a label such as
    ``2017.0``; without a grain every label is ``all``.
    """
    import pandas as pd

    starts = pd.Series(starts)
    index = starts.index
    starts = pd.to_datetime(starts.reset_index(drop=True)).astype("datetime64[us]")
    if grain is None:
        return pd.Series(ALL, index=index, dtype=object)
    import numpy as np

    placed = starts.notna().to_numpy()
    text = np.full(len(starts), None, dtype=object)
    if placed.any():
        text[placed] = _format(starts[placed], grain).to_numpy(dtype=object)
    return pd.Series(text, index=index, dtype=object)


def _format(starts: pd.Series, grain: str) -> pd.Series:
    """Labels of period starts that are all present (integer parts stay integers)."""
    if grain == "week":
        iso = starts.dt.isocalendar()
        return (
            iso["year"].astype("int64").astype(str)
            + "-W"
            + iso["week"].astype("int64").astype(str).str.zfill(2)
        )
    if grain == "quarter":
        return starts.dt.strftime("%Y") + "-Q" + starts.dt.quarter.astype("int64").astype(str)
    return starts.dt.strftime(STRFTIME[grain])


def grid(start, end, grain: str | None) -> list[str]:
    """Labels of every period from the one holding ``start`` to the one holding ``end``."""
    import pandas as pd

    if grain is None:
        return [ALL]
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return []
    periods = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq=PANDAS_FREQ[grain])
    return list(labels(pd.Series(periods.start_time), grain))
