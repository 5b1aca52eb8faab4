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
SURVEY_KINDS = ("csat", "nps", "ces")
# Stand-in for a missing dimension value while grouping in pandas; None again on output.
NULL_KEY = "\x00null"


@dataclass
class Request:
    """The backend, the grain and dimensions, and the profile of the loaded tables."""

    backend: Any
    settings: Settings
    grain: str | None
    dimensions: list[str]
    filled: dict[str, dict[str, int]] = field(default_factory=dict)
    start: Any = None
    end: Any = None

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

    def has_column(self, table: str, column: str) -> bool:
        return column in self.filled.get(table, {})

    def table(self, name: str):
        return self.backend.table(name)

    def period(self, timestamp):
        return periods.truncate(timestamp, self.grain)

    def end_literal(self):
        """The data's last local time as an Ibis literal (for "due by the data's end")."""
        import ibis

        return ibis.literal(self.end.to_pydatetime(), type="timestamp")

    def prepare(self, expr, period_time, groups: dict[str, Any]):
        """``expr`` with its ``period`` (start of the period of ``period_time``) and groups.

        Build the measures on the returned relation, then pass both to ``run``.
        """
        expr = expr.mutate(**groups)
        if self.grain is not None:
            expr = expr.mutate(period=self.period(period_time))
        return expr

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
    """Fill ``request.filled`` (non-null counts per column) and the data's time range."""
    import pandas as pd

    starts, ends = [], []
    present = set(warehouse.tables(con))  # one fetchall: leaves no open result behind
    for name in TABLES:
        if name not in present:
            continue
        table = request.table(name)
        measures = {f"n_{c}": table[c].count() for c in table.columns}
        times = [c for c in EVENT_TIMES.get(name, ()) if c in table.columns]
        measures.update({f"lo_{c}": table[c].min() for c in times})
        measures.update({f"hi_{c}": table[c].max() for c in times})
        kinds = SURVEY_KINDS if name == "survey_responses" and "kind" in table.columns else ()
        measures.update({f"n_kind={k}": (table.kind == k).ifelse(1, 0).sum() for k in kinds})
        row = table.aggregate(**measures).execute().iloc[0]
        counted = [*table.columns, *(f"kind={k}" for k in kinds)]
        request.filled[name] = {c: int(row[f"n_{c}"] or 0) for c in counted}
        starts += [row[f"lo_{c}"] for c in times]
        ends += [row[f"hi_{c}"] for c in times]
    known_starts = [pd.Timestamp(t) for t in starts if not pd.isna(t)]
    known_ends = [pd.Timestamp(t) for t in ends if not pd.isna(t)]
    request.start = min(known_starts) if known_starts else None
    request.end = max(known_ends) if known_ends else None
    log.debug("data from %s to %s; tables %s", request.start, request.end, list(request.filled))
