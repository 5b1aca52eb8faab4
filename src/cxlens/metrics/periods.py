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


def labels(starts: pd.Series, grain: str | None) -> pd.Series:
    """Period labels for period start times (``all`` without a grain)."""
    import pandas as pd

    starts = pd.to_datetime(pd.Series(starts, dtype="datetime64[us]"))
    if grain is None:
        return pd.Series(ALL, index=starts.index, dtype=object)
    if grain == "day":
        text = starts.dt.strftime("%Y-%m-%d")
    elif grain == "week":
        iso = starts.dt.isocalendar()
        text = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    elif grain == "month":
        text = starts.dt.strftime("%Y-%m")
    elif grain == "quarter":
        text = starts.dt.year.astype(str) + "-Q" + starts.dt.quarter.astype(str)
    else:
        text = starts.dt.year.astype(str)
    return text.astype(object).where(starts.notna(), None)


def grid(start, end, grain: str | None) -> list[str]:
    """Labels of every period from the one holding ``start`` to the one holding ``end``."""
    import pandas as pd

    if grain is None:
        return [ALL]
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return []
    periods = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq=PANDAS_FREQ[grain])
    return list(labels(pd.Series(periods.start_time), grain))
