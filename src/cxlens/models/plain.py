"""Model results as JSON values: a missing or infinite number becomes null, dates ISO text."""

from __future__ import annotations

import math
from datetime import date
from typing import Any


def finite(value: Any) -> float | None:
    """A float for JSON, or None where the number is missing (None, NaN, pandas' NA) or
    infinite."""
    if value is None or value is pd_na():
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def pd_na() -> Any:
    """pandas' missing-value marker (pandas is imported only when asked)."""
    import pandas as pd

    return pd.NA


def plain(value: Any) -> Any:
    """Dates as ISO text and numbers as floats (NaN as None), through dicts and lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | str | int) or value is None:
        return value
    return finite(value)
