"""The report's charts as Plotly figures: trends, duration histograms, the arrival heatmap.

Figures carry no untrusted text (only month labels, numbers and our own labels),
and Plotly escapes what it embeds in any case. They are rendered into the HTML
without plotly.js; the report inlines the library once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cxlens.insights import label
from cxlens.insights.catalogue import MINUTES, POINTS, RATE
from cxlens.insights.formatting import format_value, is_missing
from cxlens.insights.labels import weekday_names

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from cxlens.insights import Insights, KpiCard, Reading

LINE = "#2563eb"
BAND = "rgba(37, 99, 235, 0.15)"
BARS = "#94a3b8"
MARKERS = {"median": "#16a34a", "p90": "#dc2626", "mean": "#7c3aed"}
FONT = "-apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
PLOTLY_CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}


# Upper ends a rate axis may take: the smallest that holds the data with some room.
RATE_CEILINGS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


def _layout(figure: go.Figure, title: str, height: int, legend: bool = False) -> go.Figure:
    """Common look; a legend sits in a row above the plot, where it hides no data."""
    figure.update_layout(
        title={"text": title, "x": 0, "y": 0.98, "yref": "container", "yanchor": "top"},
        title_font={"size": 15},
        template="plotly_white",
        height=height,
        margin={"l": 55, "r": 20, "t": 80 if legend else 45, "b": 40},
        font={"family": FONT, "size": 12},
        showlegend=legend,
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": 11},
        },
    )
    return figure


def trend_figure(insights: Insights, card: KpiCard) -> go.Figure | None:
    """A KPI's monthly series with its 95 % band where it has one; n in the hover text.

    None when the KPI has no value in any month shown: the page then says so in
    a sentence instead of drawing empty axes.
    """
    import plotly.graph_objects as go

    series = insights.trends[insights.trends["metric"] == card.metric]
    if series["value"].isna().all():
        return None
    series = series.assign(month_start=pd.to_datetime(series["period"] + "-01"))
    unit, lang = card.view.unit, insights.lang
    hover = [
        f"{period}: {format_value(v, unit, lang)}<br>{label('n', lang)} = {_n(n)}"
        for period, v, n in zip(series["period"], series["value"], series["n"], strict=True)
    ]
    figure = go.Figure()
    if series["ci_low"].notna().any():
        figure.add_trace(_band(series))
    figure.add_trace(
        go.Scatter(
            x=series["month_start"],
            y=series["value"],
            mode="lines+markers",
            line={"color": LINE, "width": 2},
            hovertext=hover,
            hoverinfo="text",
        )
    )
    figure.update_yaxes(**axis_format(unit, series))
    figure.update_xaxes(**month_axis(len(series)))
    return _layout(figure, card.name, 260)


def month_axis(months: int) -> dict:
    """The month axis of a trend: a tick every month up to six months, else every third,
    with labels set at an angle, so that "2024-01" labels never run into each other."""
    return {
        "type": "date",
        "tickformat": "%Y-%m",
        "dtick": "M1" if months <= 6 else "M3",
        "ticklabelmode": "instant",
        "tickangle": -45,
    }


def _band(series: pd.DataFrame) -> go.Scatter:
    import plotly.graph_objects as go

    periods = list(series["month_start"])
    return go.Scatter(
        x=periods + periods[::-1],
        y=list(series["ci_high"]) + list(series["ci_low"])[::-1],
        fill="toself",
        fillcolor=BAND,
        mode="lines",
        line={"width": 0},
        hoverinfo="skip",
    )


def _n(n: object) -> str:
    return "—" if is_missing(n) else f"{int(n):,}"


def axis_format(unit: str, series: pd.DataFrame) -> dict:
    """The value axis of a trend: rates from 0 % to a ceiling that fits, NPS −100 to 100.

    A rate axis runs from 0 to the smallest of ``RATE_CEILINGS`` that holds the
    values with 10 % room (100 % once they pass half; a wide band of a small
    month may run off the top rather than flatten the line), and its ticks carry
    a decimal when the axis ends at 10 % or below, so a 1.2 % churn rate does not
    sit on ticks that all read "0%" or "1%".
    """
    if unit == RATE:
        highest = series["value"].astype(float).max()
        highest = 0.0 if pd.isna(highest) else float(highest)
        ceiling = next((top for top in RATE_CEILINGS if highest * 1.1 <= top), 1.0)
        if highest > 0.5:
            ceiling = 1.0
        return {"range": [0, ceiling], "tickformat": ".1%" if ceiling <= 0.1 else ".0%"}
    if unit == POINTS:
        return {"range": [-100, 100]}
    return {"rangemode": "tozero"}


def distribution_figure(
    bins: pd.DataFrame, markers: dict[str, Reading], title: str, lang: str
) -> go.Figure:
    """Histogram of a month's durations with the KPI's median, p90 and mean marked.

    ``markers`` maps ``median``/``p90``/``mean`` to the month's KPI readings, so the
    lines show exactly the numbers of the cards and tables.
    """
    import plotly.graph_objects as go

    centres = (bins["bin_start"] + bins["bin_end"]) / 2
    widths = bins["bin_end"] - bins["bin_start"]
    figure = go.Figure(
        go.Bar(
            x=centres,
            y=bins["tickets"],
            width=widths,
            marker={"color": BARS},
            showlegend=False,
            hovertext=[
                f"{start:,.1f}–{end:,.1f}: {count:,}"
                for start, end, count in zip(
                    bins["bin_start"], bins["bin_end"], bins["tickets"], strict=True
                )
            ],
            hoverinfo="text",
        )
    )
    top = float(bins["tickets"].max()) * 1.05
    for stat, reading in markers.items():
        if reading.missing:
            continue
        figure.add_trace(
            go.Scatter(
                x=[reading.value, reading.value],
                y=[0, top],
                mode="lines",
                name=f"{label(stat, lang)} {format_value(reading.value, MINUTES, lang)}",
                line={"color": MARKERS[stat], "width": 2, "dash": "dash"},
                hoverinfo="name",
            )
        )
    axis_title = label("minutes", lang)
    if bins["overflow"].any():
        limit = f"{bins['bin_start'].iloc[-1]:,.0f}"
        axis_title += " · " + label("overflow_bin", lang, limit=limit)
    figure.update_xaxes(title=axis_title, rangemode="tozero")
    figure.update_yaxes(title=label("tickets_count", lang))
    return _layout(figure, title, 340, legend=True)


def count_colorbar(counts: pd.DataFrame, title: str) -> dict:
    """A colour scale for ticket counts with whole-number ticks only (never "0.5 tickets").

    The tick step is the smallest whole number that gives at most about five ticks.
    """
    highest = counts.to_numpy().max() if counts.size else 0
    highest = 0 if pd.isna(highest) else int(highest)
    step = max(1, -(-highest // 5))
    return {"title": {"text": title}, "tick0": 0, "dtick": step, "tickformat": "d"}


def heatmap_figure(arrivals: pd.DataFrame, lang: str) -> go.Figure:
    """Tickets created by local weekday and hour, Monday on top."""
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Heatmap(
            z=arrivals.to_numpy(),
            x=[f"{hour:02d}" for hour in arrivals.columns],
            y=weekday_names(lang),
            colorscale="Blues",
            hovertemplate="%{y} %{x}:00 — %{z}<extra></extra>",
            colorbar=count_colorbar(arrivals, label("tickets_count", lang)),
        )
    )
    figure.update_yaxes(autorange="reversed", title=label("weekday", lang))
    figure.update_xaxes(title=label("hour", lang), type="category")
    return _layout(figure, label("section_heatmap", lang), 330)
