"""What one ``compute_kpis`` call works on: the backend, the grain and dimensions asked for,
and a profile of the loaded tables (which columns hold values, the data's time range).

Family modules (tickets, surveys, customers) build Ibis expressions through a
``Request`` so that grouping, period truncation and label making happen one way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cxlens.metrics import periods

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

TABLES = ("tickets", "survey_responses", "customers", "orders", "subscriptions")
# The local times that place records in time; together they span "the data".
EVENT_TIMES = {
    "tickets": ("created_at_local", "solved_at_local", "first_solved_at_local"),
    "survey_responses": ("responded_at_local",),
    "orders": ("ordered_at_local",),
    "subscriptions": ("started_at_local", "ended_at_local"),
}
# Stand-in for a missing dimension value while grouping in pandas; None again on output.
NULL_KEY = "\x00null"

# Columns whose values decide what is computed, beyond the KPIs' own ``needs``: the
# segment and subscription switches, and response channels (complete ones need no ticket).
DECIDING = ("customers.segment", "subscriptions.started_at_local", "survey_responses.channel")
ROWS = "*rows"  # the row count's entry in ``Request.filled``


@dataclass
class Request:
    """The backend, the grain and dimensions, and the profile of the loaded tables."""

    backend: Any
    settings: Settings
    grain: str | None
    dimensions: list[str]
    # Per loaded table: non-null counts of the columns that decide what runs, and ROWS.
    filled: dict[str, dict[str, int]] = field(default_factory=dict)
    start: Any = None
    end: Any = None
    tables: dict[str, Any] = field(default_factory=dict)

    @property
    def group_columns(self) -> list[str]:
        return [f"g_{dimension}" for dimension in self.dimensions]

    @property
    def keys(self) -> list[str]:
        """Columns that identify one output row of a family: period, then the groups."""
        return ["period", *self.group_columns]

    def has_table(self, name: str) -> bool:
        return name in self.filled

    def has(self, qualified: str) -> bool:
        """Whether ``table.column`` exists and holds at least one value."""
        table, column = qualified.split(".", 1)
        return self.filled.get(table, {}).get(column, 0) > 0

    def complete(self, qualified: str) -> bool:
        """Whether every row of the table holds a value in ``table.column``."""
        table, column = qualified.split(".", 1)
        counts = self.filled.get(table, {})
        return column in counts and counts[column] == counts[ROWS]

    def table(self, name: str):
        """The Ibis table ``name``; its schema is read once per request."""
        if name not in self.tables:
            self.tables[name] = self.backend.table(name)
        return self.tables[name]

    def period(self, timestamp):
        return periods.truncate(timestamp, self.grain)

    def end_literal(self):
        """The data's last local time as an Ibis literal (for "due by the data's end")."""
        import ibis

        return ibis.literal(self.end.to_pydatetime(), type="timestamp")

    def prepare(self, expr, period_time, groups: dict[str, Any] | None = None):
        """``expr`` with its ``period`` (start of the period of ``period_time``) and groups.

        ``groups`` maps ``g_<dimension>`` to expressions; leave it out where ``expr``
        holds those columns already. Build the measures on the returned relation, then
        pass both to ``run``.
        """
        added = dict(groups or {})
        if self.grain is not None:
            added["period"] = self.period(period_time)
        return expr.mutate(**added) if added else expr

    def run(self, expr, **measures) -> pd.DataFrame:
        """Group a prepared relation by period and groups, aggregate, execute and label.

        Returns a pandas frame with ``period`` as labels, ``g_<dimension>`` columns with
        ``NULL_KEY`` for missing values, and one column per measure.
        """
        by = ([] if self.grain is None else ["period"]) + self.group_columns
        query = expr.group_by(by).aggregate(**measures) if by else expr.aggregate(**measures)
        return self.finish(query.execute())

    def finish(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Label periods and mark missing group values on an executed aggregate."""
        if self.grain is None:
            frame["period"] = periods.ALL
        else:
            frame["period"] = periods.labels(frame["period"], self.grain)
        for column in self.group_columns:
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), NULL_KEY)
        return frame

    def grid(self) -> list[str]:
        return periods.grid(self.start, self.end, self.grain)


def profile(request: Request, warehouse, con) -> None:
    """Fill ``request.filled`` (non-null counts of the deciding columns) and the time range.

    One single-row aggregate per loaded table, counting only the columns that decide
    which KPIs run (not every column), and the first and last event times.
    """
    import pandas as pd

    from cxlens.metrics.catalogue import KPIS

    present = set(warehouse.tables(con))  # one fetchall: leaves no open result behind
    deciding = {c for kpi in KPIS.values() for c in (*kpi.needs, *kpi.needs_any)}
    starts, ends = [], []
    for name in (n for n in TABLES if n in present):
        table = request.table(name)
        named = {q.split(".", 1)[1] for q in (*deciding, *DECIDING) if q.startswith(name + ".")}
        counted = sorted(c for c in named if c.split("=", 1)[0] in table.columns)
        row = table.aggregate(**_table_measures(name, table, counted)).execute().iloc[0]
        request.filled[name] = {c: 0 if pd.isna(row[c]) else int(row[c]) for c in (ROWS, *counted)}
        starts += [pd.Timestamp(v) for c, v in row.items() if c.startswith("lo|") and pd.notna(v)]
        ends += [pd.Timestamp(v) for c, v in row.items() if c.startswith("hi|") and pd.notna(v)]
    request.start = min(starts) if starts else None
    request.end = max(ends) if ends else None
    log.debug("data from %s to %s; tables %s", request.start, request.end, list(request.filled))


def _table_measures(name: str, table, counted: list[str]) -> dict:
    """The profile's measures of one table: row count, non-null counts, event time range."""
    measures = {ROWS: table.count()}
    for column in counted:
        if column.startswith("kind="):
            measures[column] = (table.kind == column.split("=", 1)[1]).ifelse(1, 0).sum()
        else:
            measures[column] = table[column].count()
    for column in (c for c in EVENT_TIMES.get(name, ()) if c in table.columns):
        measures[f"lo|{column}"] = table[column].min()
        measures[f"hi|{column}"] = table[column].max()
    return measures
