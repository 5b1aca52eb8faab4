"""The overview page (``/``): a card per headline KPI and its monthly trend.

Each card holds the KPI over the filter bar's period with its n and 95 % interval, the
change from the period before (the same length, the same filters) with the report's
verdict (better, worse, or within noise), and a twelve-month sparkline; each links to
the records behind it. Every figure comes from ``compute_kpis`` with the filter bar's
dimension values and days, so a filtered card is computed, not combined from groups.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request

from cxlens.insights import catalogue
from cxlens.insights.cards import build_card, readings
from cxlens.insights.labels import dimension_value, kpi_name
from cxlens.web.explain import explain_view
from cxlens.web.filters import FilterError, Filters
from cxlens.web.pages import access_of, filters_for, page_filters, respond
from cxlens.web.words import word

router = APIRouter()

SPARKLINE_MONTHS = 12
# The breakdown table under the cards: one row per value of a dimension, the KPIs a
# manager compares across channels, each with its change and verdict.
BREAKDOWNS = ("channel", "category", "team", "segment")
BREAKDOWN_METRICS = (
    "tickets",
    "csat",
    "first_response_median_min",
    "resolution_median_min",
    "fcr",
    "reopen_rate",
    "sla_first_response",
)
TREND_METRICS = ("tickets", "csat", "first_response_median_min", "fcr")
# Where the records behind a KPI are listed: survey scores on the survey page,
# customer figures on the customer page, everything else on the ticket page.
RECORDS_PAGE = {
    **dict.fromkeys(("csat", "csat_mean", "nps", "ces", "survey_response_rate"), "/surveys"),
    **dict.fromkeys(
        ("churn_rate", "retention_rate", "clv_historical_mean", "clv_predicted_mean"),
        "/customers",
    ),
}


@router.get("/", summary="Overview page (HTML; ?format=json for its data)")
def overview_page(request: Request):
    filters = page_filters(request)
    access = access_of(request)
    by = request.query_params.get("breakdown") or "channel"
    if by not in BREAKDOWNS:
        raise FilterError(f"breakdown must be one of {', '.join(BREAKDOWNS)}, not {by!r}")
    explain = request.query_params.get("explain") or None
    if explain is not None and explain not in catalogue.VIEWS:
        raise FilterError(f"explain must be a KPI id such as fcr or csat, not {explain!r}")
    view = access.cached(
        ("overview", filters.key(), by, explain),
        lambda: overview_view(access, filters, by, explain),
    )
    extra = [("breakdown", by)] + ([("explain", explain)] if explain else [])
    return respond(
        request,
        "overview.html",
        view,
        filters,
        table="cards_table",
        name="overview",
        also=("breakdown_table",),
        extra_params=extra,
    )


def warm_overview(access: Any) -> dict[str, Any]:
    """The overview as a first visitor sees it (default filters), computed into the cache."""
    from starlette.datastructures import QueryParams

    filters = filters_for(access, QueryParams(""))
    return access.cached(
        ("overview", filters.key(), "channel", None),
        lambda: overview_view(access, filters, "channel"),
    )


def overview_view(
    access: Any, filters: Filters, by: str = "channel", explain: str | None = None
) -> dict[str, Any]:
    """The overview's cards, trends and their table, as plain JSON-ready values; with
    ``explain`` (a KPI id), also where that KPI's change comes from."""
    from cxlens.insights.assemble import agent_names
    from cxlens.metrics.compute import kpi_session

    lang = filters.lang
    why = None
    with access.lock, kpi_session(access.warehouse, access.settings) as compute:
        current, before, monthly, groups, groups_before = figures(compute, filters, by)
        if explain is not None:
            names = agent_names(access.warehouse)
            why = explain_view(compute, filters, explain, access.settings, names)

    table = {
        **_keyed(current, "current"),
        **({} if before is None else _keyed(before, "previous")),
    }
    shown = [
        metric
        for metric in catalogue.HEADLINE
        if (metric, "current") in table and not table[(metric, "current")].missing
    ]
    series = _series(monthly)
    cards = [
        _card(metric, table, series.get(metric, []), filters, access.settings) for metric in shown
    ]
    return {
        "page": "overview",
        "title": word("overview_heading", lang),
        "covering": filters.covering(),
        "cards": cards,
        "cards_table": _cards_table(cards, lang),
        "trend": _trend_figure(series, filters),
        "breakdown": (breakdown := _breakdown(by, groups, groups_before, filters, access.settings)),
        "breakdown_table": _breakdown_table(breakdown, by, lang),
        "breakdowns": list(BREAKDOWNS),
        "explain": why,
    }


def figures(compute: Any, filters: Filters, by: str, *, by_month: bool = True) -> tuple:
    """The KPI rows the overview shows: this period, the period before, the months of
    the sparklines, and the breakdown by ``by`` in both periods.

    For a calendar month the first two are rows of the monthly call, and the breakdown
    of both months is one call by month and ``by``: two queries' worth instead of five
    (``by_month=False`` computes each part on its own, as any other period does).
    """
    chosen, previous = filters.chosen, filters.previous()
    monthly = compute(("month",), filters=chosen, window=_sparkline_window(filters))
    if by_month and filters.period == "month" and previous is not None:
        current = _month_rows(monthly, filters.month)
        before = _month_rows(monthly, previous.month)
        wanted = _breakdown_metrics(current)
        both = compute(("month", by), wanted, filters=chosen, window=(previous.first, filters.last))
        return (
            current,
            before,
            monthly,
            _month_rows(both, filters.month),
            _month_rows(both, previous.month),
        )

    current = compute((), filters=chosen, window=filters.window)
    wanted = _breakdown_metrics(current)
    groups = compute((by,), wanted, filters=chosen, window=filters.window)
    if previous is None:
        return current, None, monthly, groups, None
    before = compute((), filters=chosen, window=previous.window)
    groups_before = compute((by,), wanted, filters=chosen, window=previous.window)
    return current, before, monthly, groups, groups_before


def _month_rows(frame: pd.DataFrame, month: str) -> pd.DataFrame:
    """The rows of one month, as a call over that month alone labels them ("all")."""
    rows = frame[frame["period"] == month].copy()
    rows["period"] = "all"
    return rows.reset_index(drop=True)


def _breakdown_metrics(current: pd.DataFrame) -> list[str]:
    """The breakdown's KPIs that hold a value over the whole filter (others stay out)."""
    present = set(current.loc[current["value"].notna(), "metric"])
    return [metric for metric in BREAKDOWN_METRICS if metric in present]


def _breakdown(
    by: str,
    groups: pd.DataFrame,
    before: pd.DataFrame | None,
    filters: Filters,
    settings: Any,
) -> dict[str, Any]:
    """One row per value of ``by``: each KPI's value, n, change and verdict, with links.

    A value "got worse" only where the report's verdict says so: the change is beyond
    the 95 % noise of both periods (or, without intervals, material), in the direction
    that is bad for that KPI.
    """
    from cxlens.insights.cards import compare

    lang = filters.lang
    metrics = [m for m in BREAKDOWN_METRICS if m in set(groups["metric"])]
    now = _group_readings(groups, by)
    then = {} if before is None else _group_readings(before, by)
    keys = _largest_first(groups, by)
    rows = []
    for key in keys:
        cells = []
        for metric in metrics:
            view = catalogue.view(metric, settings)
            reading = now.get((metric, key))
            if reading is None or reading.missing:
                cells.append({"metric": metric, "value": None, "value_text": "–"})
                continue
            base = then.get((metric, key))
            change = compare(reading, base, view) if base is not None else None
            card = build_card(metric, view, {(metric, "now"): reading}, ("now", "-", "-"), lang)
            cells.append(
                {
                    "metric": metric,
                    "value": reading.value,
                    "value_text": card.value_text,
                    "n": reading.n,
                    "interval_text": card.interval_text,
                    "change_text": card.change_text(change) if change else "",
                    "verdict": change.verdict if change else "none",
                    "verdict_text": card.verdict_text(change) if change else "",
                    "link": _records_link(metric, filters, by, key),
                    "why": _why_link(metric, filters, by, key)
                    if change is not None and change.verdict in ("worse", "better")
                    else None,
                }
            )
        worse = [c["metric"] for c in cells if c.get("verdict") == "worse"]
        rows.append(
            {
                "key": key,
                "label": dimension_value(by, key, lang),
                "cells": cells,
                "worse": worse,
                "focus": None if key is None else f"/?{filters.query(**{by: key})}",
            }
        )
    return {
        "dimension": by,
        "metrics": metrics,
        "names": [kpi_name(m, lang) for m in metrics],
        "rows": rows,
    }


def _breakdown_table(breakdown: dict[str, Any], by: str, lang: str) -> dict[str, Any]:
    """The breakdown as its export: per group and KPI the value, n, change and verdict."""
    columns = [word(f"dimension_{by}", lang)]
    for name in breakdown["names"]:
        columns += [
            name,
            f"{name} n",
            f"{name} ({word('export_change', lang)})",
            f"{name} ({word('export_verdict', lang)})",
        ]
    rows = []
    for row in breakdown["rows"]:
        cells = [row["label"]]
        for cell in row["cells"]:
            cells += [cell["value"], cell.get("n"), cell.get("change_text") or None,
                      cell.get("verdict_text") or None]  # fmt: skip
        rows.append(cells)
    return {"columns": columns, "rows": rows}


def _group_readings(frame: pd.DataFrame, by: str) -> dict:
    from cxlens.insights.cards import Reading

    frame = frame.astype(object).where(frame.notna(), None)
    table = {}
    for metric, group, value, n, low, high in zip(
        frame["metric"],
        frame["group"],
        frame["value"],
        frame["n"],
        frame["ci_low"],
        frame["ci_high"],
        strict=True,
    ):
        key = _key(group.get(by))
        table[(metric, key)] = Reading("now", value, None if n is None else int(n), low, high)
    return table


def _key(value: Any) -> Any:
    """A group's key as JSON can carry it: a missing value (None or NaN) is None."""
    return None if value is None or (isinstance(value, float) and value != value) else value


def _largest_first(groups: pd.DataFrame, by: str) -> list:
    """The dimension's values, most tickets (else most records) first."""
    if groups.empty:
        return []
    sizing = "tickets" if (groups["metric"] == "tickets").any() else groups["metric"].iloc[0]
    counted = groups[groups["metric"] == sizing]
    order = counted.assign(
        key=[_key(g.get(by)) for g in counted["group"]], size=counted["n"].fillna(0)
    ).sort_values("size", ascending=False, kind="stable")
    return list(dict.fromkeys(_key(key) for key in order["key"].astype(object)))


def _why_link(metric: str, filters: Filters, by: str, key: Any) -> str:
    focus = {} if key is None else {by: key}
    return f"/?{filters.query(**focus, explain=metric, breakdown=None)}#explain"


def _records_link(metric: str, filters: Filters, by: str, key: Any) -> str:
    page = RECORDS_PAGE.get(metric, "/tickets")
    if key is None:
        return f"{page}?{filters.query(metric=metric)}"
    return f"{page}?{filters.query(metric=metric, **{by: key})}"


def _trend_figure(series: dict[str, list[dict]], filters: Filters) -> dict[str, Any]:
    """Monthly lines of a few headline KPIs (Plotly), each point linking to its month."""
    lang = filters.lang
    data, links = [], []
    shown = [metric for metric in TREND_METRICS if series.get(metric)]
    for index, metric in enumerate(shown):
        points = series[metric]
        axis = "" if index == 0 else str(index + 1)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": kpi_name(metric, lang),
                "x": [p["period"] for p in points],
                "y": [p["value"] for p in points],
                "customdata": [p["n"] for p in points],
                "hovertemplate": "%{x}: %{y}<br>n = %{customdata}<extra></extra>",
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
            }
        )
        page = RECORDS_PAGE.get(metric, "/tickets")
        links.append(
            [
                f"{page}?{filters.query(period='month', month=p['period'], metric=metric)}"
                for p in points
            ]
        )
    layout = {
        "grid": {"rows": 1, "columns": max(len(shown), 1), "pattern": "independent"},
        "height": 260,
        "margin": {"l": 40, "r": 10, "t": 30, "b": 40},
        "showlegend": False,
        "annotations": [
            {
                "text": kpi_name(metric, lang),
                "xref": f"x{'' if i == 0 else i + 1} domain",
                "yref": f"y{'' if i == 0 else i + 1} domain",
                "x": 0,
                "y": 1.15,
                "showarrow": False,
                "xanchor": "left",
            }
            for i, metric in enumerate(shown)
        ],
    }
    return {"data": data, "layout": layout, "links": links}


def _keyed(frame: pd.DataFrame, period: str) -> dict:
    frame = frame.assign(period=period).drop(columns=["group"])
    return readings(frame)


def _card(
    metric: str, table: dict, points: list[dict], filters: Filters, settings: Any
) -> dict[str, Any]:
    view = catalogue.view(metric, settings)
    card = build_card(metric, view, table, ("current", "previous", "none"), filters.lang)
    reading, change = card.current, card.previous
    page = RECORDS_PAGE.get(metric, "/tickets")
    return {
        "metric": metric,
        "name": card.name,
        "unit": view.unit,
        "better": view.better,
        "value": reading.value,
        "value_text": card.value_text,
        "n": reading.n,
        "ci_low": reading.ci_low,
        "ci_high": reading.ci_high,
        "interval_text": card.interval_text,
        "previous_value": change.base.value,
        "change": change.delta,
        "change_text": card.change_text(change),
        "verdict": change.verdict,
        "verdict_text": card.verdict_text(change),
        "sparkline": points,
        "link": f"{page}?{filters.query(metric=metric)}",
    }


def _series(monthly: pd.DataFrame) -> dict[str, list[dict]]:
    """Each KPI's monthly values, oldest first, as ``{"period", "value", "n"}``."""
    frame = monthly.astype(object).where(monthly.notna(), None)
    series: dict[str, list[dict]] = {}
    for metric, period, value, n in zip(
        frame["metric"], frame["period"], frame["value"], frame["n"], strict=True
    ):
        series.setdefault(metric, []).append(
            {"period": period, "value": value, "n": None if n is None else int(n)}
        )
    return series


def _sparkline_window(filters: Filters) -> tuple[date | None, date | None] | None:
    """Twelve whole months ending with the filter's last day (all data without one)."""
    if filters.last is None:
        return None
    start = filters.last.replace(day=1)
    for _ in range(SPARKLINE_MONTHS - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return (start, filters.last)


def _cards_table(cards: list[dict], lang: str) -> dict[str, Any]:
    """The cards as the export's table: KPI, value, n, interval, value before, change."""
    zh = lang == "zh"
    columns = (
        ["指标", "指标 ID", "数值", "样本量", "95% 下限", "95% 上限", "上一时段", "变化", "判断"]
        if zh
        else [
            "KPI",
            "KPI id",
            "value",
            "n",
            "95% low",
            "95% high",
            "period before",
            "change",
            "verdict",
        ]
    )
    rows = [
        [
            kpi_name(card["metric"], lang),
            card["metric"],
            _plain_count(card["value"]) if card["unit"] == "count" else card["value"],
            card["n"],
            card["ci_low"],
            card["ci_high"],
            _plain_count(card["previous_value"])
            if card["unit"] == "count"
            else card["previous_value"],
            card["change"],
            card["verdict_text"],
        ]
        for card in cards
    ]
    return {"columns": columns, "rows": rows}


def _plain_count(value: float | None) -> int | None:
    """A count as a whole number in exports (the KPI rows carry counts as floats)."""
    return None if value is None else int(value)
