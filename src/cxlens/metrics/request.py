"""What one ``compute_kpis`` call works on: the backend, the grain and dimensions asked for,
the filters and date window, and a profile of the loaded tables (which columns hold
values, the data's time range).

Family modules (tickets, surveys, customers) build Ibis expressions through a
``Request`` so that grouping, filtering, the window, period truncation and label making
happen one way. A filter keeps the records whose group value (as ``--by`` would assign
it) is one of the allowed values, inside the same query as the figures, so a filtered
median is the median of the kept records, never a combination of grouped rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
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
    """The backend, the grain and dimensions, the filters and window, and the profile.

    ``filters`` maps a dimension to the values kept (only non-empty ones); ``window``
    is (first day, last day), local and inclusive, either end may be None.
    """

    backend: Any
    settings: Settings
    grain: str | None
    dimensions: list[str]
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    window: tuple[date | None, date | None] | None = None
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
    def used(self) -> list[str]:
        """The dimensions grouped or filtered: grouped ones first, in the order asked."""
        return [*self.dimensions, *(d for d in self.filters if d not in self.dimensions)]

    def uses(self, dimension: str) -> bool:
        """Whether a family must compute ``dimension`` (to group by it or to filter on it)."""
        return dimension in self.dimensions or dimension in self.filters

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

    def window_bounds(self):
        """The window as Ibis timestamp literals: (first instant, first instant after).

        Local midnights: the first day's start and the day after the last day's start,
        so that a time counts when ``first <= time < after``. None for an open end.
        """
        import ibis

        first, last = self.window or (None, None)
        lower = None if first is None else datetime.combine(first, time())
        upper = None if last is None else datetime.combine(last + timedelta(days=1), time())
        return tuple(
            None if bound is None else ibis.literal(bound, type="timestamp")
            for bound in (lower, upper)
        )

    def within(self, expr, period_time):
        """``expr`` keeping the rows whose ``period_time`` falls within the window."""
        lower, upper = self.window_bounds()
        if lower is not None:
            expr = expr.filter(period_time >= lower)
        if upper is not None:
            expr = expr.filter(period_time < upper)
        return expr

    def narrow(self, expr):
        """``expr`` keeping the rows whose ``g_<dimension>`` is one of the filter's values.

        The values are bound as literals (``isin``), never written into SQL text; a
        missing group value (null) matches no filter.
        """
        for dimension, values in self.filters.items():
            expr = expr.filter(expr[f"g_{dimension}"].isin(values))
        return expr

    def prepare(self, expr, period_time, groups: dict[str, Any] | None = None):
        """``expr`` in the window and the filters, with its ``period`` and group columns.

        ``period_time`` places a record in a period (and in the window); ``groups`` maps
        ``g_<dimension>`` to expressions for every dimension in ``used``; leave it out
        where ``expr`` holds those columns already. Only ``dimensions`` are grouped by
        ``run``. Build the measures on the returned relation, then pass both to ``run``.
        """
        expr = self.within(expr, period_time)
        added = dict(groups or {})
        if self.grain is not None:
            added["period"] = periods.key(period_time, self.grain)
        expr = expr.mutate(**added) if added else expr
        return self.narrow(expr)

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
        """Labels of every period from the data's first local time to its last.

        With a window, only the periods that overlap both the data and the window.
        """
        if self._grid is None:
            self._grid = periods.grid(*self._span(), self.grain)
        return self._grid

    def _span(self):
        """The data's first and last local times, clipped to the window."""
        import pandas as pd

        start, end = self.start, self.end
        first, last = self.window or (None, None)
        if start is None or end is None:
            return start, end
        if first is not None:
            start = max(start, pd.Timestamp(first))
        if last is not None:
            end = min(end, pd.Timestamp(last) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1))
        return (start, end) if start <= end else (None, None)

    def from_the_start(self) -> Request:
        """This request with the window open at its start: for stocks (the backlog), which
        count records from before the window."""
        if self.window is None or self.window[0] is None:
            return self
        return replace(self, window=(None, self.window[1]), _grid=None)


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
