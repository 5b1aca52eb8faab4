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

TABLES = (
    "tickets", "ticket_events", "survey_responses", "customers", "orders", "subscriptions",
    "sla_clocks",
)  # fmt: skip
# The local times that place records in time; together they span "the data". They hold
# every ticket and event time, so that an SLA target judged by the data's end (the clean
# step's, from the same times) falls in a period of the grid.
EVENT_TIMES = {
    "tickets": (
        "created_at_local",
        "solved_at_local",
        "first_solved_at_local",
        "first_response_at_local",
        "closed_at_local",
    ),  # fmt: skip
    "ticket_events": ("at_local",),
    "survey_responses": ("responded_at_local", "sent_at_local"),
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
    # The time zone the tables were cleaned for (``project_settings``), if recorded.
    built_for: str | None = None
    tables: dict[str, Any] = field(default_factory=dict)
    _grid: list[str] | None = None

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
            added["period"] = periods.key(period_time, self.grain)
        return expr.mutate(**added) if added else expr

    def run(self, expr, **measures) -> pd.DataFrame:
        """Group a prepared relation by period and groups, aggregate, execute and label.

        Returns a pandas frame with ``period`` as labels, ``g_<dimension>`` columns with
        ``NULL_KEY`` for missing values, and one column per measure.
        """
        by = ([] if self.grain is None else ["period"]) + self.group_columns
        query = expr.group_by(by).aggregate(**measures) if by else expr.aggregate(**measures)
        frame = self.execute(query)
        if self.grain is not None:  # the period key back to the period's start, per group
            frame["period"] = periods.start(frame["period"], self.grain)
        return self.finish(frame)

    def execute(self, expr) -> pd.DataFrame:
        """Run an Ibis expression on the backend and hand the result to pandas.

        On DuckDB it is compiled once and run on the open connection; elsewhere through
        Ibis (``to_pyarrow``). The Arrow result is cast to the expression's own schema
        (DuckDB sums integers into 128-bit decimals; the expression says int64).
        """
        con = duckdb_connection(self.backend)
        if con is not None:
            table = con.sql(self.backend.compile(expr)).to_arrow_table()
        else:
            table = self.backend.to_pyarrow(expr)
        return table.cast(expr.schema().to_pyarrow()).to_pandas()

    def finish(self, frame: pd.DataFrame, period_columns=("period",)) -> pd.DataFrame:
        """Label periods and mark missing group values on an executed aggregate.

        ``period_columns`` hold period starts; each becomes labels through
        ``periods.labels`` (``all`` without a grain), the one label maker.
        """
        for column in period_columns:
            if self.grain is None:
                frame[column] = periods.ALL
            else:
                frame[column] = periods.labels(frame[column], self.grain)
        for column in self.group_columns:
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), NULL_KEY)
        return frame

    def grid(self) -> list[str]:
        """Labels of every period from the data's first local time to its last."""
        if self._grid is None:
            self._grid = periods.grid(self.start, self.end, self.grain)
        return self._grid


def profile(request: Request) -> None:
    """Fill ``request.filled`` (non-null counts of the deciding columns) and the time range.

    One statement for all loaded tables (their single-row aggregates side by side),
    counting only the columns that decide which KPIs run (not every column), the
    first and last event times, and the time zone the tables were cleaned for.
    """
    import pandas as pd

    from cxlens.metrics.catalogue import KPIS

    present = loaded_tables(request.backend)
    deciding = {c for kpi in KPIS.values() for c in (*kpi.needs, *kpi.needs_any)}
    loaded = [n for n in TABLES if n in present]
    if not loaded:
        return
    parts = []
    for name in loaded:
        table = request.table(name)
        named = {q.split(".", 1)[1] for q in (*deciding, *DECIDING) if q.startswith(name + ".")}
        counted = sorted(c for c in named if c.split("=", 1)[0] in table.columns)
        measures = _table_measures(name, table, counted)
        parts.append(table.aggregate(**{f"{name}|{m}": e for m, e in measures.items()}))
    if "project_settings" in present:
        stored = request.table("project_settings")
        parts.append(stored.aggregate(**{"project_settings|zone": stored.timezone.max()}))
    query = parts[0]
    for part in parts[1:]:
        query = query.cross_join(part)
    row = request.execute(query).iloc[0]
    starts, ends = [], []
    for column, value in row.items():
        name, measure = column.split("|", 1)
        if name == "project_settings":
            request.built_for = None if pd.isna(value) else str(value)
            continue
        if measure.startswith(("lo|", "hi|")):
            if pd.notna(value):
                (starts if measure.startswith("lo|") else ends).append(pd.Timestamp(value))
            continue
        count = 0 if pd.isna(value) else int(value)
        request.filled.setdefault(name, {})[measure] = count
    request.start = min(starts) if starts else None
    request.end = max(ends) if ends else None
    log.debug("data from %s to %s; tables %s", request.start, request.end, list(request.filled))


def duckdb_connection(backend):
    """The DuckDB connection under ``backend``, or None on another engine (Spark).

    The one place that asks which engine runs. Two things go to DuckDB's own connection
    rather than through Ibis: listing the tables (Ibis 12's ``list_tables`` calls
    ``fetch_arrow_table``, which DuckDB 2.0 no longer has) and running a query (Ibis's
    ``to_pyarrow`` walks the expression again and converts the result column by column:
    about 14 ms more a query, measured on the sample project).
    """
    return backend.con if backend.name == "duckdb" else None


def loaded_tables(backend) -> set[str]:
    """The names of the tables (and views) the backend holds.

    On DuckDB from ``duckdb_tables()``, which answers at once where
    ``information_schema`` takes milliseconds; elsewhere from Ibis's ``list_tables``.
    """
    con = duckdb_connection(backend)
    if con is not None:
        listed = "SELECT table_name FROM duckdb_tables() WHERE schema_name = current_schema()"
        return {name for (name,) in con.sql(listed).fetchall()}
    return set(backend.list_tables())


def _table_measures(name: str, table, counted: list[str]) -> dict:
    """The profile's measures of one table: row count, non-null counts, event time range."""
    measures = {ROWS: table.count()}
    for column in counted:
        if "=" in column:  # rows holding one value, e.g. kind=csat, metric=resolution
            held, value = column.split("=", 1)
            measures[column] = (table[held] == value).ifelse(1, 0).sum()
        else:
            measures[column] = table[column].count()
    for column in (c for c in EVENT_TIMES.get(name, ()) if c in table.columns):
        measures[f"lo|{column}"] = table[column].min()
        measures[f"hi|{column}"] = table[column].max()
    return measures
