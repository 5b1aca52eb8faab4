"""The days the models are asked about: one reading of ``--until`` and one data end.

Every model takes an observation end. Reading it (a date, a datetime, or text written
``YYYY-MM-DD``) and finding the default (the last local day of any dated record, as the
KPIs take the data's end) happen here once, so that ``clv``, ``churn``, ``retention`` and
``drivers`` accept the same input and agree on the same day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from cxlens.errors import ConfigError, WarehouseError
from cxlens.store import has_table, quote, table_columns

if TYPE_CHECKING:
    import duckdb

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# Times that place a survey send, not an event of the operation (links made today).
SENDS = {("survey_responses", "sent_at_local")}


def as_day(value: date | str | None) -> date | None:
    """``value`` as a date (a datetime keeps its day); text must be ``YYYY-MM-DD``."""
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    text = str(value).strip()
    try:
        if not _ISO_DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--until {value!r} is not a date; write it as YYYY-MM-DD, e.g. 1997-09-30"
        ) from None


def data_end(con: duckdb.DuckDBPyConnection) -> date:
    """The last local day of any dated record (tickets, answers, orders, subscriptions).

    Survey sends do not count (a link made today is not an event of the operation),
    nor do records dated after today (a mistyped year would end every model's window
    in the future, where nobody has churned yet).
    """
    from cxlens.metrics.request import EVENT_TIMES

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    parts = [
        f"SELECT max(CAST({quote(column)} AS DATE)) AS day FROM {quote(table)} "
        f"WHERE {quote(column)} < ?"
        for table, columns in EVENT_TIMES.items()
        if has_table(con, table)
        for column in columns
        if column in table_columns(con, table) and (table, column) not in SENDS
    ]
    row = con.execute(
        f"SELECT max(day) FROM ({' UNION ALL '.join(parts)})", [tomorrow] * len(parts)
    ).fetchone() if parts else None  # fmt: skip
    if row is None or row[0] is None:
        raise WarehouseError(
            "the warehouse holds no dated orders, subscriptions or tickets; import them "
            "(cxlens import FILE --table T) first"
        )
    return row[0]
