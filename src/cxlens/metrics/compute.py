"""``compute_kpis``: every KPI the loaded data supports, by period and group.

One call opens the warehouse read-only, profiles the tables (which columns hold
values, the data's time range), runs one grouped aggregation per table and period
basis, and lays the rows on the grid of periods, so a period inside the data's range
with no records for a KPI appears with a null value and n 0. ``kpi_session`` does the
opening and profiling once for callers that ask for several groupings (the report).

``filters`` and ``window`` narrow every figure inside its own query (any backend), so
a filtered median is the median of the kept records (see ``Request.prepare``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from cxlens.errors import ConfigError
from cxlens.metrics import periods
from cxlens.metrics.catalogue import KPIS
from cxlens.metrics.customers import customer_rows
from cxlens.metrics.request import NULL_KEY, Request, profile
from cxlens.metrics.surveys import survey_rows
from cxlens.metrics.tickets import ticket_rows

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.settings import Settings
    from cxlens.store import Warehouse

log = logging.getLogger(__name__)

OUTPUT = ["metric", "period", "group", "value", "n", "ci_low", "ci_high"]
WHOLE_DATA = {"clv_historical_mean", "clv_predicted_mean"}  # period "all" whatever the grain
# The most rows one request may return (grid of series × periods): weeks × agents over
# 26 years of public data (1.9 million) fit; days × agents × categories × channels × teams
# (45 million on the sample, which once took 22.8 GB) do not.
MAX_ROWS = 3_000_000
COUNTS = {kpi.id for kpi in KPIS.values() if kpi.unit == "count"}  # integer values


def compute_kpis(
    warehouse: Warehouse,
    settings: Settings,
    by: list[str] | tuple[str, ...] = (),
    metrics: list[str] | None = None,
    *,
    filters: Mapping[str, Sequence[str] | None] | None = None,
    window: tuple[date | None, date | None] | None = None,
) -> pd.DataFrame:
    """KPI rows: ``metric, period, group, value, n, ci_low, ci_high``.

    ``by`` holds at most one grain and any dimensions (see ``parse_by``);
    ``metrics`` limits the output to those KPI ids. Rows follow the catalogue
    order, then period, then group.

    ``filters`` maps dimensions (those of ``by``) to the values kept, as the data names
    them; a record counts when its value, as grouping by that dimension would assign it
    (the credited agent, a response's channel else its ticket's, the customer's
    segment), is one of them. An empty list or None keeps everything. A KPI that cannot
    be split by a filtered dimension is left out, as with ``by``.

    ``window`` is (first day, last day), local and inclusive, either may be None. A
    record counts when the time that places it in a period (created, solved, response,
    target due, churn date...) falls within the window; with a grain, only periods that
    overlap the window are rows. The backlog is a stock: it still counts tickets created
    before the window (without a grain, those open at the end of the window's last day),
    and churn's denominator counts customers active before it. The whole-data KPIs
    (``clv_historical_mean``, ``clv_predicted_mean``) ignore the window.
    """
    _asked(metrics)  # a bad request fails before the warehouse is opened
    periods.split_by(list(by))
    _filters(filters)
    _window(window)
    with kpi_session(warehouse, settings) as compute:
        return compute(by, metrics, filters=filters, window=window)


@contextmanager
def kpi_session(warehouse: Warehouse, settings: Settings) -> Iterator[Callable[..., pd.DataFrame]]:
    """``compute_kpis`` for several groupings on one read-only connection.

    Yields ``compute(by=(), metrics=None, *, filters=None, window=None)``, which answers
    as ``compute_kpis`` does; the time zone check and the profile of the loaded tables
    run once for all its calls.
    """
    with warehouse.metrics() as backend:
        loaded = Request(backend, settings, None, [])
        profile(loaded)
        check_time_zone(loaded)

        def compute(
            by=(), metrics: list[str] | None = None, *, filters=None, window=None
        ) -> pd.DataFrame:
            asked = _asked(metrics)
            grain, dimensions = periods.split_by(list(by))
            request = replace(
                loaded,
                grain=grain,
                dimensions=dimensions,
                filters=_filters(filters),
                window=_window(window),
                _grid=None,
            )
            wanted = _supported(request, asked, explicit=metrics is not None)
            parts = []
            for family in (ticket_rows, survey_rows, customer_rows):
                parts += family(request, wanted)
            return _assemble(request, parts, wanted)

        yield compute


def _filters(filters) -> dict[str, tuple[str, ...]]:
    """The filters with values, each a tuple of strings (group values are text).

    Refuses a dimension ``--by`` does not know; a single string counts as one value.
    """
    if not filters:
        return {}
    unknown = [str(d) for d in filters if d not in periods.DIMENSIONS]
    if unknown:
        raise ConfigError(
            f"filters: unknown dimension(s) {', '.join(unknown)}; filter by any of "
            + ", ".join(periods.DIMENSIONS)
        )
    kept = {}
    for dimension, values in filters.items():
        values = [values] if isinstance(values, str) else list(values or ())
        if values:
            kept[dimension] = tuple(dict.fromkeys(str(value) for value in values))
    return kept


def _window(window) -> tuple[date | None, date | None] | None:
    """The window as (first day, last day), None where it is open on both ends."""
    if window is None:
        return None
    first, last = window
    for name, day in (("first day", first), ("last day", last)):
        if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
            raise ConfigError(f"window: the {name} must be a date (datetime.date), not {day!r}")
    if first is not None and last is not None and first > last:
        raise ConfigError(
            f"window: the first day {first.isoformat()} is after the last day "
            f"{last.isoformat()}; give the earlier day first"
        )
    return None if first is None and last is None else (first, last)


def check_time_zone(request: Request) -> None:
    """Refuse to cut periods in one zone on tables whose local times are in another.

    The zone the tables were cleaned for is read by ``profile``, in its one query.
    """
    built_for, settings = request.built_for, request.settings
    if built_for is not None and built_for != settings.timezone:
        raise ConfigError(
            f"the warehouse's tables were cleaned for the time zone {built_for}, but the "
            f"settings say {settings.timezone}; run `cxlens run` (or import a file) with "
            "these settings to rebuild them, or use the settings the warehouse was built with"
        )


def _asked(metrics: list[str] | None) -> list[str]:
    if metrics is None:
        return [kpi.id for kpi in KPIS.values() if kpi.implemented]
    unknown = [m for m in metrics if m not in KPIS]
    if unknown:
        raise ConfigError(
            f"unknown KPI id(s): {', '.join(unknown)}; the ids are: {', '.join(KPIS)}"
        )
    later = [m for m in metrics if not KPIS[m].implemented]
    if later:
        raise ConfigError(
            f"KPI {', '.join(later)} is not computed in this release; the ids computed are: "
            + ", ".join(k.id for k in KPIS.values() if k.implemented)
        )
    return list(dict.fromkeys(metrics))


def _supported(request: Request, asked: list[str], explicit: bool) -> set[str]:
    """The asked ids whose data is loaded and that can be split as requested."""
    level = logging.WARNING if explicit else logging.DEBUG
    wanted = set()
    for metric in asked:
        kpi = KPIS[metric]
        if request.end is None or not all(request.has(c) for c in kpi.needs):
            log.log(level, "%s left out: it needs %s with values", metric, ", ".join(kpi.needs))
            continue
        if kpi.needs_any and not any(request.has(c) for c in kpi.needs_any):
            log.log(level, "%s left out: it needs one of %s", metric, ", ".join(kpi.needs_any))
            continue
        cannot = [d for d in request.used if d not in kpi.dimensions]
        if cannot:
            log.log(level, "%s left out: it cannot be split by %s", metric, ", ".join(cannot))
            continue
        wanted.add(metric)
    return wanted


def _assemble(request: Request, parts: list, wanted: set[str]) -> pd.DataFrame:
    """Lay the family rows on the period grid, make group dicts and sort."""
    import pandas as pd

    parts = [part for part in parts if len(part)]
    frame = pd.concat(parts, ignore_index=True) if parts else None
    if frame is not None:  # exactly the ids asked for, whatever a family computed
        frame = frame[frame["metric"].isin(wanted)]
    seen = set() if frame is None else set(frame["metric"].unique())
    empty = _empty_rows(request, wanted - seen)
    parts = ([frame] if frame is not None and len(frame) else []) + empty
    if not parts:
        return pd.DataFrame({column: [] for column in OUTPUT})
    frame = _on_grid(request, pd.concat(parts, ignore_index=True))
    order = {metric: rank for rank, metric in enumerate(KPIS)}
    frame["_rank"] = frame["metric"].map(order)
    frame["_group_key"] = _group_sort_key(frame, request.group_columns)
    frame = frame.sort_values(["_rank", "period", "_group_key"], kind="stable")
    frame["group"] = _group_dicts(frame, request)
    frame["n"] = frame["n"].astype("int64")
    return frame[OUTPUT].reset_index(drop=True)


def _empty_rows(request: Request, metrics: set[str]) -> list:
    """Null rows (n 0) for supported KPIs with no record at all, when nothing is grouped."""
    import pandas as pd

    if request.group_columns or not metrics:
        return []
    labels = [periods.ALL] if request.grain is None else request.grid()
    return [
        pd.DataFrame({"period": labels, "metric": metric, "value": float("nan"), "n": 0,
                      "ci_low": float("nan"), "ci_high": float("nan")})
        for metric in sorted(metrics)
    ]  # fmt: skip


def _on_grid(request: Request, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows for every grid period of every (KPI, group) seen: missing ones null with n 0.

    The grid runs from the data's first local time to its last; a row outside it (a
    record with no time, say) is dropped, so no KPI adds a period before or after the
    data. KPIs over all the data (historical CLV) keep their single ``all`` period.
    """
    import pandas as pd

    if request.grain is None:
        return frame
    whole = frame["metric"].isin(WHOLE_DATA)
    labels = request.grid()
    timed = frame[~whole]
    outside = ~timed["period"].isin(labels)
    if outside.any():
        log.debug("%d KPI rows outside the data's periods left out", int(outside.sum()))
        timed = timed[~outside]
    seen = timed[["metric", *request.group_columns]].drop_duplicates()
    _check_size(request, len(seen), len(labels))
    full = seen.merge(pd.DataFrame({"period": labels}), how="cross")
    full = full.merge(timed, on=["metric", *request.keys], how="left")
    full["n"] = full["n"].fillna(0)
    return pd.concat([full, frame[whole]], ignore_index=True)


def _check_size(request: Request, series: int, periods_: int) -> None:
    """Refuse a grid too large to hand back: (KPI, group) series × periods over the cap.

    Every series gets a row for every period, so a fine grain split by many dimensions
    (days × agents × categories × channels …) multiplies into rows no reader can use and
    no machine can hold; say how many, and what to ask for instead.
    """
    rows = series * periods_
    if rows > MAX_ROWS:
        raise ConfigError(
            f"--by {','.join(filter(None, [request.grain, *request.dimensions]))} would give "
            f"{rows:,} rows ({series:,} KPI-and-group series × {periods_:,} periods; at most "
            f"{MAX_ROWS:,}); ask for a coarser grain (month, week), fewer dimensions, or "
            "filter to the groups you need"
        )


def _group_sort_key(frame: pd.DataFrame, columns: list[str]):
    if not columns:
        return ""
    text = [frame[c].astype(str).where(frame[c] != NULL_KEY, "\uffff") for c in columns]
    key = text[0]
    for more in text[1:]:
        key = key + "\x1f" + more
    return key


def _group_dicts(frame: pd.DataFrame, request: Request) -> list[dict[str, Any]]:
    columns = request.group_columns
    if not columns:
        return [{} for _ in range(len(frame))]
    named = frame[columns].astype(object)
    named = named.where(named != NULL_KEY, None).set_axis(request.dimensions, axis=1)
    return named.to_dict("records")


def kpi_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows in the contract's shape.

    None for null, int n, int values for counts (``tickets``, ``backlog``), other
    floats rounded to 4 places.
    """
    records = []
    for metric, period, group, value, n, low, high in frame[OUTPUT].itertuples(
        index=False, name=None
    ):
        number = _number(value)
        if number is not None and metric in COUNTS:
            number = int(number)
        records.append(
            {
                "metric": str(metric),
                "period": str(period),
                "group": {str(k): _plain(v) for k, v in dict(group).items()},
                "value": number,
                "n": int(n),
                "ci_low": _number(low),
                "ci_high": _number(high),
            }
        )
    return records


def _number(value) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else round(number, 4)


def _plain(value):
    """A group value as JSON has it: str, int, float, bool or None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value if isinstance(value, str | int | float | bool) else str(value)
