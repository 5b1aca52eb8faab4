"""Assemble, once, everything a reader of the monthly report sees.

Every number comes from ``cxlens.metrics.compute_kpis`` (through one
``kpi_session``, which opens and profiles the warehouse once): one call by month for
the cards, the trends and the KPIs over all the data (period ``all``), one call
per dimension for the breakdowns. The report, the workbook, the CSV exports and
the terminal summary all render the same ``Insights`` object, so they cannot
disagree; ``Insights.kpis`` holds exactly the rows the report shows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pandas as pd

from cxlens.errors import ConfigError, WarehouseError
from cxlens.insights import catalogue, periods
from cxlens.insights.cards import KpiCard, Reading, build_card, readings
from cxlens.insights.catalogue import KpiView
from cxlens.insights.labels import check_language, dimension_value
from cxlens.store import has_table, quote, table_columns

log = logging.getLogger(__name__)

TREND_MONTHS = 18
ALL_DATA = "all"  # the period of a KPI computed over all the data
DISTRIBUTION_MARKERS = tuple(
    f"{stem}_{stat}_min"
    for stem in ("first_response", "resolution")
    for stat in ("median", "p90", "mean")
)
KPI_COLUMNS = ["metric", "period", "group", "value", "n", "ci_low", "ci_high"]

# The local timestamp that dates each kind of record, for finding the newest one.
DATED_COLUMNS = {
    "tickets": "created_at_local",
    "survey_responses": "responded_at_local",
    "orders": "ordered_at_local",
    "subscriptions": "started_at_local",
}


@dataclass
class Breakdown:
    """One dimension's KPIs in the report month, long form, largest groups first.

    ``rows`` has columns key (the value as the data names it), label (as the
    reader sees it: agents as "Name (id)" where the warehouse names them),
    metric, value, n, ci_low, ci_high. ``kpi_rows`` are the same rows as
    compute_kpis gave them, for ``kpis.csv``.
    """

    dimension: str
    metrics: list[str]
    rows: pd.DataFrame
    keys: list[Any]
    kpi_rows: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class Insights:
    """The monthly report's content, in one language.

    ``kpis`` holds exactly the compute_kpis rows the report shows (for
    ``kpis.csv``); ``all_data`` the KPIs computed over all the data (period
    ``all``) by id; ``agent_names`` agent id → name from the ``agents`` table;
    ``filters`` the dimension filters every figure was computed with (none: all records).
    """

    month: str
    previous_month: str
    year_ago_month: str
    partial: bool
    lang: str
    timezone: str
    cards: list[KpiCard]
    trend_months: list[str]
    trends: pd.DataFrame
    breakdowns: list[Breakdown]
    kpis: pd.DataFrame
    monthly: dict[tuple[str, str], Reading] = field(default_factory=dict)
    views: dict[str, KpiView] = field(default_factory=dict)
    all_data: dict[str, Reading] = field(default_factory=dict)
    agent_names: dict[str, str] = field(default_factory=dict)
    filters: dict[str, list[str]] = field(default_factory=dict)

    def card(self, metric: str) -> KpiCard | None:
        """The card of ``metric``, if the report shows one."""
        return next((card for card in self.cards if card.metric == metric), None)

    def reading(self, metric: str, period: str | None = None) -> Reading:
        """``metric`` in ``period`` (default: the report month) from the monthly KPIs."""
        period = period or self.month
        return self.monthly.get((metric, period), Reading(period))

    @property
    def defined_metrics(self) -> list[str]:
        """Every KPI with a value somewhere in the data, in catalogue order."""
        present = set(self.kpis.loc[self.kpis["value"].notna(), "metric"])
        ordered = [metric for metric in catalogue.VIEWS if metric in present]
        return ordered + sorted(present - set(ordered))


def build_insights(
    warehouse: Any,
    settings: Any,
    month: str | None = None,
    *,
    breakdowns: bool = True,
    filters: Mapping[str, Sequence[str] | None] | None = None,
) -> Insights:
    """Compute the KPIs once and shape them into cards, trends and breakdowns.

    ``month`` (``YYYY-MM``) picks the report month; by default the latest complete
    month in the data. ``breakdowns=False`` skips the per-dimension KPIs (the
    terminal summary needs none). ``filters`` (dimension → values kept, as
    ``compute_kpis`` takes them) go to every KPI computation, so the cards, trends and
    breakdowns all show the filtered records. Raises ``WarehouseError`` when the
    warehouse holds no dated records at all.
    """
    from cxlens.metrics.compute import kpi_session

    lang = check_language(settings.language)
    with kpi_session(warehouse, settings) as compute:
        filtered = partial(compute, filters=filters)
        insights = _build(warehouse, settings, month, breakdowns, lang, filtered)
    insights.filters = {k: list(v) for k, v in (filters or {}).items() if v}
    return insights


def _build(
    warehouse: Any,
    settings: Any,
    month: str | None,
    breakdowns: bool,
    lang: str,
    compute: Callable[..., pd.DataFrame],
) -> Insights:
    computed = compute(by=["month"], metrics=None)
    whole = computed[(computed["period"].astype(str) == ALL_DATA) & computed["value"].notna()]
    monthly = computed[computed["period"].astype(str).str.fullmatch(r"\d{4}-\d{2}")]
    report_month, partial = _choose_month(warehouse, monthly, month)
    months = (report_month, periods.previous_month(report_month), periods.year_before(report_month))

    views = {metric: catalogue.view(metric, settings) for metric in catalogue.VIEWS}
    table = readings(monthly)
    shown = _headline_metrics(monthly)
    cards = [build_card(metric, views[metric], table, months, lang) for metric in shown]

    trend_months = _trend_months(monthly, report_month)
    trends = _trends(monthly, shown, trend_months)
    groups: list[Breakdown] = []
    names = agent_names(warehouse)
    if breakdowns:
        present = set(monthly.loc[monthly["value"].notna(), "metric"])
        metrics = [metric for metric in catalogue.BREAKDOWN if metric in present]
        groups = _breakdowns(compute, report_month, metrics, lang, names)
    shown_monthly = _shown_monthly(monthly, shown, trend_months, months)
    log.info("insights for %s: %d cards, %d breakdowns", report_month, len(cards), len(groups))
    return Insights(
        month=report_month,
        previous_month=months[1],
        year_ago_month=months[2],
        partial=partial,
        lang=lang,
        timezone=settings.timezone,
        cards=cards,
        trend_months=trend_months,
        trends=trends,
        breakdowns=groups,
        kpis=_kpi_export([shown_monthly, whole, *(group.kpi_rows for group in groups)]),
        monthly=table,
        views=views,
        all_data={metric: reading for (metric, _), reading in readings(whole).items()},
        agent_names=names,
    )


def _shown_monthly(
    monthly: pd.DataFrame, cards: list[str], trend_months: list[str], months: tuple[str, ...]
) -> pd.DataFrame:
    """The monthly rows the report shows: the cards' months and trends, the histogram lines."""
    period = monthly["period"].astype(str)
    on_cards = monthly["metric"].isin(cards) & period.isin([*trend_months, *months])
    markers = (
        monthly["metric"].isin(DISTRIBUTION_MARKERS)
        & (period == months[0])
        & monthly["value"].notna()
    )
    return monthly[on_cards | markers]


def agent_names(warehouse: Any) -> dict[str, str]:
    """Agent id → name from the warehouse's ``agents`` table (empty when it has none)."""
    with warehouse.connect(read_only=True) as con:
        if not {"agent_id", "name"} <= table_columns(con, "agents"):
            return {}
        rows = con.execute(
            "SELECT agent_id, any_value(trim(name)) FROM agents "
            "WHERE agent_id IS NOT NULL AND trim(coalesce(name, '')) <> '' GROUP BY agent_id"
        ).fetchall()
    return {str(agent): name for agent, name in rows}


def agent_label(agent: object, names: dict[str, str], lang: str) -> str:
    """How an agent reads: "Name (id)" where the warehouse names them, else the id."""
    text = dimension_value("agent", agent, lang)
    name = names.get(str(agent)) if agent is not None else None
    return f"{name} ({text})" if name else text


def _choose_month(warehouse: Any, monthly: pd.DataFrame, month: str | None) -> tuple[str, bool]:
    months_with_data = set(monthly.loc[monthly["value"].notna(), "period"].astype(str))
    if month is not None:
        periods.parse_month(month)
        if months_with_data and not min(months_with_data) <= month <= max(months_with_data):
            raise ConfigError(
                f"no data in {month}: the data runs from {min(months_with_data)} to "
                f"{max(months_with_data)}; choose a month in that range"
            )
        return month, False
    last_record = newest_record_date(warehouse)
    if last_record is None or not months_with_data:
        raise WarehouseError(
            f"{warehouse}: no dated tickets, survey responses, orders or subscriptions to "
            "report on; "
            "import data first (cxlens import FILE --table tickets, or cxlens run)"
        )
    return periods.latest_complete_month(last_record, months_with_data)


def newest_record_date(warehouse: Any) -> date | None:
    """The local date of the newest ticket, else of the newest survey response, order or
    subscription start; records dated after today do not count.

    Tickets decide where there are any: a survey answered today on an old export, or a
    ticket mistyped as 2030, must not move the report to a month without tickets.
    """
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with warehouse.connect(read_only=True) as con:
        parts = {
            name: f"SELECT max({quote(column)}) AS newest FROM {quote(name)} "
            f"WHERE {quote(column)} < ?"
            for name, column in DATED_COLUMNS.items()
            if has_table(con, name)
        }
        if not parts:
            return None
        newest = None
        if "tickets" in parts:
            newest = con.execute(parts["tickets"], [tomorrow]).fetchone()[0]
        if newest is None:
            query = " UNION ALL ".join(parts.values())
            newest = con.execute(
                f"SELECT max(newest) FROM ({query})", [tomorrow] * len(parts)
            ).fetchone()[0]
    return newest.date() if newest is not None else None


def _headline_metrics(monthly: pd.DataFrame) -> list[str]:
    present = set(monthly.loc[monthly["value"].notna(), "metric"])
    return [metric for metric in catalogue.HEADLINE if metric in present]


def _trend_months(monthly: pd.DataFrame, report_month: str) -> list[str]:
    first_wanted = periods.shift_month(report_month, -(TREND_MONTHS - 1))
    with_data = monthly.loc[monthly["value"].notna(), "period"].astype(str)
    with_data = with_data[(with_data >= first_wanted) & (with_data <= report_month)]
    first = min(with_data, default=report_month)
    return periods.months_between(first, report_month)


def _trends(monthly: pd.DataFrame, metrics: list[str], months: list[str]) -> pd.DataFrame:
    """One row per (metric, month) of the trend window; months without data hold nulls."""
    grid = pd.MultiIndex.from_product([metrics, months], names=["metric", "period"])
    values = monthly.drop(columns=["group"]).set_index(["metric", "period"])
    values = values[~values.index.duplicated()]
    return values.reindex(grid).reset_index()[
        ["metric", "period", "value", "n", "ci_low", "ci_high"]
    ]


def _breakdowns(
    compute: Callable[..., pd.DataFrame],
    month: str,
    metrics: list[str],
    lang: str,
    names: dict[str, str],
) -> list[Breakdown]:
    """One compute_kpis call per dimension, for the KPIs the monthly figures hold."""
    breakdowns: list[Breakdown] = []
    if not metrics:
        return breakdowns
    for dimension in catalogue.BREAKDOWN_DIMENSIONS:
        frame = compute(by=["month", dimension], metrics=metrics)
        frame = frame[frame["period"].astype(str) == month]
        breakdown = _breakdown(dimension, frame, lang, names)
        if breakdown is not None:
            breakdowns.append(breakdown)
    return breakdowns


def _breakdown(
    dimension: str, frame: pd.DataFrame, lang: str, names: dict[str, str]
) -> Breakdown | None:
    """The long table of one dimension, or None when no group has a name or a value."""
    rows = frame.assign(key=[group.get(dimension) for group in frame["group"]])
    rows = rows[rows["value"].notna()]
    if rows.empty or rows["key"].isna().all():
        return None
    keys = list(dict.fromkeys(rows["key"]))
    if dimension == "agent":
        labels = {key: agent_label(key, names, lang) for key in keys}
    else:
        labels = {key: dimension_value(dimension, key, lang) for key in keys}
    rows = rows.assign(label=[labels[key] for key in rows["key"]])
    metrics = [metric for metric in catalogue.BREAKDOWN if metric in set(rows["metric"])]
    columns = ["key", "label", "metric", "value", "n", "ci_low", "ci_high"]
    return Breakdown(
        dimension,
        metrics,
        rows[columns].reset_index(drop=True),
        _key_order(rows),
        kpi_rows=rows[KPI_COLUMNS],
    )


def _key_order(rows: pd.DataFrame) -> list[Any]:
    """Groups by ticket volume (else by sample size), largest first; blanks last."""
    size_metric = "tickets" if (rows["metric"] == "tickets").any() else rows["metric"].iloc[0]
    sizes = rows[rows["metric"] == size_metric].set_index("key")["value"]
    keys = list(dict.fromkeys(rows["key"]))
    named = sorted(
        (key for key in keys if not pd.isna(key)), key=lambda key: (-sizes.get(key, 0), str(key))
    )
    return named + [key for key in keys if pd.isna(key)]


def _kpi_export(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Every compute_kpis row behind the report, with groups as JSON text."""
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=KPI_COLUMNS)
    combined = pd.concat(frames, ignore_index=True)[KPI_COLUMNS]
    groups = [
        json.dumps(group or {}, ensure_ascii=False, default=str) for group in combined["group"]
    ]
    return combined.assign(group=groups)
