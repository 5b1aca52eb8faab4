"""The report's charts as Plotly figures: trends, duration histograms, the arrival heatmap,
and the predictions (customer histograms, key drivers, retention curves).

Most figures carry no untrusted text (only month labels, numbers and our own labels).
The drivers and retention charts name categories, channels, plans and segments as the
data spell them; Plotly reads a few HTML tags in text, so those names are escaped first
(Plotly's JSON escapes ``<`` in any case, so nothing can end the page's script). Figures
are rendered into the HTML without plotly.js; the report inlines the library once.
"""

from __future__ import annotations

import textwrap
from html import escape
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


# ---------------------------------------------------------------------------------------
# Predictions: customer histograms, key drivers, retention curves

GROUP_COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777")
DRIVER = "#2563eb"
NOISE = "#cbd5e1"
BAND_OPACITY = 0.15
# Driver labels wrap at this many characters, so that long factor names keep the plot wide.
LABEL_WIDTH = 60


def customer_histogram(
    bins: pd.DataFrame,
    markers: list[tuple[str, float, str]],
    title: str,
    axis_title: str,
    lang: str,
    tickformat: str = ",",
) -> go.Figure:
    """Customers per bin of a prediction (``capped_bins``), with named vertical lines.

    ``markers`` are (legend text, value, colour); the legend names each line with its
    value, so the chart reads without hovering.
    """
    import plotly.graph_objects as go

    centres = (bins["bin_start"] + bins["bin_end"]) / 2
    figure = go.Figure(
        go.Bar(
            x=centres,
            y=bins["customers"],
            width=bins["bin_end"] - bins["bin_start"],
            marker={"color": BARS},
            showlegend=False,
            hovertext=[f"{count:,}" for count in bins["customers"]],
            hoverinfo="x+text",
        )
    )
    top = float(bins["customers"].max()) * 1.05
    for name, value, colour in markers:
        figure.add_trace(
            go.Scatter(
                x=[value, value],
                y=[0, top],
                mode="lines",
                name=name,
                line={"color": colour, "width": 2, "dash": "dash"},
                hoverinfo="name",
            )
        )
    figure.update_xaxes(title=axis_title, tickformat=tickformat)
    figure.update_yaxes(title=label("customers_count", lang))
    return _layout(figure, title, 340, legend=True)


def drivers_figure(table: pd.DataFrame, title: str, lang: str) -> go.Figure:
    """Odds ratios as horizontal bars from 1 on a log axis, with 95 % whiskers.

    ``table`` is ``DriverResult.table`` (ranked, strongest driver first). Significant
    drivers are blue; the rest are grey and their labels end in "noise". Each label
    carries its n. Labels come from the data (category and channel names), so they are
    escaped before Plotly, which reads a few HTML tags in text, sees them.
    """
    import plotly.graph_objects as go

    rows = table.iloc[::-1].reset_index(drop=True)  # Plotly puts the first row at the bottom
    text_column = "label_zh" if lang == "zh" else "label"
    noise = label("drivers_noise", lang)
    # no-break spaces keep "n = 563" and "· noise" whole when a label wraps
    names = [
        _wrapped(
            f"{text} ·\u00a0n\u00a0=\u00a0{n:,}" + ("" if significant else f"\u00a0·\u00a0{noise}")
        )
        for text, n, significant in zip(
            rows[text_column], rows["n"], rows["significant"], strict=True
        )
    ]
    colours = [DRIVER if significant else NOISE for significant in rows["significant"]]
    ratio = rows["odds_ratio"].to_numpy(float)
    hover = [
        f"{ratio:.2f} ({low:.2f}–{high:.2f})"
        for ratio, low, high in zip(ratio, rows["ci_low"], rows["ci_high"], strict=True)
    ]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            y=rows.index,
            x=ratio - 1,
            base=1,
            orientation="h",
            marker={"color": colours},
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    figure.add_trace(
        go.Scatter(
            y=rows.index,
            x=ratio,
            mode="markers",
            marker={"color": "#0f172a", "size": 4},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": rows["ci_high"].to_numpy(float) - ratio,
                "arrayminus": ratio - rows["ci_low"].to_numpy(float),
                "color": "#0f172a",
                "thickness": 1.2,
                "width": 3,
            },
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.add_vline(x=1, line={"color": "#475569", "width": 1})
    figure.update_xaxes(title=label("drivers_axis", lang), **odds_axis(rows))
    figure.update_yaxes(tickvals=list(rows.index), ticktext=names, automargin=True)
    extra_lines = sum(name.count("<br>") for name in names)
    figure = _layout(figure, title, 90 + 30 * len(rows) + 14 * extra_lines)
    figure.update_layout(bargap=0.35)
    return figure


def odds_axis(rows: pd.DataFrame) -> dict:
    """A log axis holding every interval and 1, ticked at 1-2-5 steps (0.1, 0.2, 0.5, 1, 2 …)
    rather than Plotly's bare mantissas, which read "2, 3, 4" for 0.2, 0.3, 0.4."""
    import numpy as np

    low = min(float(rows["ci_low"].min()), 1.0) / 1.15
    high = max(float(rows["ci_high"].max()), 1.0) * 1.15
    steps = [m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5)]
    ticks = [step for step in steps if low <= step <= high]
    return {
        "type": "log",
        "range": [np.log10(low), np.log10(high)],
        "tickvals": ticks,
        "ticktext": [f"{tick:g}" for tick in ticks],
    }


def _wrapped(text: str) -> str:
    """``text`` escaped for Plotly and broken into lines of at most ``LABEL_WIDTH``."""
    return "<br>".join(escape(line) for line in textwrap.wrap(text, LABEL_WIDTH) or [""])


def survival_figure(curves: dict, names: dict[str, str], title: str, lang: str) -> go.Figure:
    """Kaplan–Meier retention curves as steps, each with its 95 % band, n in the legend.

    ``curves`` maps a group to its fitted ``KaplanMeier``; ``names`` gives each group's
    name as the reader sees it (group names come from the data and are escaped).
    """
    import plotly.graph_objects as go

    figure = go.Figure()
    for index, (group, model) in enumerate(curves.items()):
        colour = GROUP_COLOURS[index % len(GROUP_COLOURS)]
        curve = model.survival_
        level = curve["survival"]
        for bound, fill in (("ci_high", "none"), ("ci_low", "tonexty")):
            figure.add_trace(
                go.Scatter(
                    x=curve["time"],
                    y=curve[bound].fillna(level),
                    mode="lines",
                    line={"width": 0, "shape": "hv"},
                    fill=fill,
                    fillcolor=_transparent(colour),
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
        figure.add_trace(
            go.Scatter(
                x=curve["time"],
                y=level,
                mode="lines",
                line={"color": colour, "width": 2, "shape": "hv"},
                name=f"{escape(names[group])} (n = {model.n_:,})",
                hovertemplate="%{x:,} d: %{y:.1%}<extra></extra>",
            )
        )
    figure.update_xaxes(title=label("survival_axis_x", lang), rangemode="tozero")
    figure.update_yaxes(title=label("survival_axis_y", lang), range=[0, 1.02], tickformat=".0%")
    return _layout(figure, title, 380, legend=True)


def _transparent(colour: str) -> str:
    """A ``#rrggbb`` colour as the see-through fill of a band."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {BAND_OPACITY})"
