"""CSV exports of the report (``kpis.csv``, ``tickets.csv``), safe to open in Excel.

Files carry a UTF-8 byte-order mark so that Excel reads Chinese text correctly.
Text that a spreadsheet would run as a formula (it starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) gets a leading apostrophe: a comment
such as ``=HYPERLINK(...)`` stays a comment.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_ENCODING = "utf-8-sig"


def risky_text(column: pd.Series) -> pd.Series:
    """True where a cell is text a spreadsheet might read as a formula (a column mixing
    text with dates or numbers is checked on its text cells only)."""
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return pd.Series(False, index=column.index)
    text = column.map(lambda cell: cell if isinstance(cell, str) else None)
    return text.str.startswith(FORMULA_TRIGGERS, na=False).astype(bool)


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose formula-like text cells start with an apostrophe."""
    safe = frame.copy()
    for name in safe.columns:
        mask = risky_text(safe[name])
        if mask.any():
            safe[name] = safe[name].astype(object)
            safe.loc[mask, name] = "'" + safe.loc[mask, name].astype(str)
    return safe


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as Excel-friendly CSV (BOM, neutralised formulas, ISO times)."""
    neutralise(frame).to_csv(
        path, index=False, encoding=CSV_ENCODING, date_format="%Y-%m-%d %H:%M:%S"
    )
    return path
