"""The monthly report as one self-contained HTML file.

plotly.js is inlined once in the page head; every figure after that is a
``<div>`` with its data and no library. The page loads no script, style sheet
or font from anywhere: it opens offline, from an e-mail attachment or a USB
stick. Jinja2 renders it with autoescaping on, because names and comments come
from customers and agents.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cxlens.insights import definition, dimension_value, kpi_name, label
from cxlens.insights.cards import MATERIAL_CHANGE
from cxlens.insights.catalogue import BREAKDOWN
from cxlens.insights.cleaning import flag_name, rule_description, table_name
from cxlens.insights.formatting import format_interval, format_n, format_value
from cxlens.report import charts

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.insights import Breakdown, Insights, KpiCard
    from cxlens.report.detail import Details

BREAKDOWN_ROWS_SHOWN = 25
VERDICT_CLASS = {
    "better": "good",
    "worse": "bad",
    "noise": "flat",
    "slight": "flat",
    "neutral": "flat",
    "unchanged": "flat",
    "none": "none",
}


def render_html(insights: Insights, details: Details) -> str:
    """The report page as text."""
    from jinja2 import Environment, PackageLoader
    from markupsafe import Markup
    from plotly.offline import get_plotlyjs

    environment = Environment(
        loader=PackageLoader("cxlens.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("report.html.j2")
    return template.render(
        lang=insights.lang,
        L=lambda key, **values: label(key, insights.lang, **values),
        insights=insights,
        generated_at=datetime.now().strftime("%Y-%m-%d %H:%M"),
        plotly_js=Markup(get_plotlyjs()),
        cards=[_card(card) for card in insights.cards],
        threshold=f"{MATERIAL_CHANGE:.0%}",
        all_data=_all_data(insights),
        trend_charts=[_trend(insights, card) for card in insights.cards],
        distributions=_distributions(insights, details),
        heatmap=Markup(_div(charts.heatmap_figure(details.arrivals, insights.lang))),
        arrivals_total=int(details.arrivals.to_numpy().sum()),
        breakdowns=[_breakdown_table(insights, breakdown) for breakdown in insights.breakdowns],
        comments=_comments(details.comments, insights.lang),
        quality_flags=_quality_flags(details.quality_flags, insights.lang),
        cleaning_log=_cleaning_log(details.cleaning_log, insights.lang),
        definitions=_definitions(insights),
    )


def _div(figure: Any) -> str:
    return figure.to_html(full_html=False, include_plotlyjs=False, config=charts.PLOTLY_CONFIG)


def _card(card: KpiCard) -> dict[str, Any]:
    changes = []
    for key, change in (("vs_previous", card.previous), ("vs_year_ago", card.year_ago)):
        changes.append(
            {
                "label": label(key, card.lang),
                "period": change.base.period,
                "base": format_value(change.base.value, card.view.unit, card.lang),
                "text": card.change_text(change),
                "verdict": card.verdict_text(change),
                "css": VERDICT_CLASS[change.verdict],
            }
        )
    return {
        "metric": card.metric,
        "name": card.name,
        "value": card.value_text,
        "n": card.n_text,
        "interval": card.interval_text,
        "hours": card.hours_text,
        "changes": changes,
    }


def _trend(insights: Insights, card: KpiCard) -> dict[str, Any]:
    """A trend chart, or its title and a sentence when the months shown hold no value."""
    from markupsafe import Markup

    figure = charts.trend_figure(insights, card)
    if figure is not None:
        return {"title": card.name, "chart": Markup(_div(figure)), "note": ""}
    months = insights.trend_months
    note = label("no_trend_data", insights.lang, first=months[0], last=months[-1])
    return {"title": card.name, "chart": None, "note": note}


def _all_data(insights: Insights) -> list[dict[str, Any]]:
    """KPIs computed over all the data (period "all"): value, n and interval, no comparison."""
    lang = insights.lang
    shown = []
    for metric, reading in insights.all_data.items():
        unit = insights.views[metric].unit if metric in insights.views else "score"
        shown.append(
            {
                "metric": metric,
                "name": kpi_name(metric, lang),
                "value": format_value(reading.value, unit, lang),
                "n": format_n(reading.n),
                "interval": format_interval(reading.ci_low, reading.ci_high, unit, lang),
            }
        )
    return shown


def _distributions(insights: Insights, details: Details) -> list[dict[str, Any]]:
    """Histograms of first response and resolution, marked with the month's KPIs."""
    from markupsafe import Markup

    shown = []
    for stem, bins, title_key in (
        ("first_response", details.first_response_bins, "first_response_minutes"),
        ("resolution", details.resolution_bins, "resolution_minutes"),
    ):
        markers = {
            stat: insights.reading(f"{stem}_{stat}_min") for stat in ("median", "p90", "mean")
        }
        title = label(title_key, insights.lang)
        if bins.empty:
            shown.append({"title": title, "chart": None})
            continue
        figure = charts.distribution_figure(bins, markers, title, insights.lang)
        shown.append({"title": title, "chart": Markup(_div(figure))})
    return shown


def _breakdown_table(insights: Insights, breakdown: Breakdown) -> dict[str, Any]:
    """Rows of a dimension with one cell per KPI: value, n and interval."""
    lang = insights.lang
    metrics = [metric for metric in BREAKDOWN if metric in breakdown.metrics]
    cells = {
        (key, metric): (value, n, low, high)
        for key, metric, value, n, low, high in breakdown.rows[
            ["key", "metric", "value", "n", "ci_low", "ci_high"]
        ].itertuples(index=False)
    }
    labels = dict(zip(breakdown.rows["key"], breakdown.rows["label"], strict=True))
    rows = []
    for key in breakdown.keys[:BREAKDOWN_ROWS_SHOWN]:
        row_cells = []
        for metric in metrics:
            value, n, low, high = cells.get((key, metric), (None, None, None, None))
            unit = insights.views[metric].unit
            row_cells.append(
                {
                    "value": format_value(value, unit, lang),
                    "n": format_n(n),
                    "interval": format_interval(low, high, unit, lang),
                }
            )
        rows.append({"label": labels[key], "cells": row_cells})
    hidden = len(breakdown.keys) - BREAKDOWN_ROWS_SHOWN
    return {
        "title": label(breakdown.dimension, lang),
        "headers": [kpi_name(metric, lang) for metric in metrics],
        "rows": rows,
        "more": label("more_rows", lang, count=hidden) if hidden > 0 else "",
        "note": label("agent_attribution", lang) if breakdown.dimension == "agent" else "",
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _quality_flags(frame: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    names = [flag_name(flag, lang) for flag in frame["flag"]]
    return _records(frame.assign(name=names))


def _cleaning_log(frame: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """The cleaning log with table names and rule descriptions in the report's language."""
    descriptions = [
        rule_description(rule, text if isinstance(text, str) else "", lang)
        for rule, text in zip(frame["rule"], frame["description"], strict=True)
    ]
    tables = [table_name(name, lang) for name in frame["table_name"]]
    return _records(frame.assign(description=descriptions, table_label=tables))


def _comments(frame: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    channels = [dimension_value("channel", code, lang) for code in frame["channel"]]
    return _records(frame.assign(channel_label=channels))


def _definitions(insights: Insights) -> list[dict[str, str]]:
    lang = insights.lang
    return [
        {
            "name": kpi_name(metric, lang),
            "metric": metric,
            "definition": definition(metric, lang),
            "direction": label(f"direction_{insights.views[metric].better}", lang)
            if metric in insights.views
            else "",
        }
        for metric in insights.defined_metrics
    ]
