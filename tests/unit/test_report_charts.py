"""Report charts: rate axes that fit small rates, no empty trend, a legend clear of the bars.

Inputs are tiny hand-made series; the figures are inspected as Plotly objects.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.insights import Insights, catalogue
from cxlens.insights.cards import Change, KpiCard, Reading
from cxlens.report import charts


def series(values: list[float | None], highs: list[float | None] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "value": pd.Series(values, dtype=float),
            "ci_high": pd.Series(highs or [None] * len(values), dtype=float),
        }
    )


def test_small_rate_axis_ends_near_the_data_with_a_decimal():
    # churn about 1.2 %: highest 1.5 % × 1.1 = 1.65 % fits under 2 %.
    axis = charts.axis_format(catalogue.RATE, series([0.012, 0.015, 0.009], [0.3, 0.3, 0.3]))
    assert axis == {"range": [0, 0.02], "tickformat": ".1%"}


def test_a_rate_above_half_gets_the_whole_0_to_100_axis():
    axis = charts.axis_format(catalogue.RATE, series([0.74, 0.78, None]))
    assert axis == {"range": [0, 1.0], "tickformat": ".0%"}


@pytest.mark.parametrize(("highest", "ceiling"), [(0.0, 0.01), (0.08, 0.1), (0.25, 0.3)])
def test_rate_axis_takes_the_smallest_ceiling_with_room(highest, ceiling):
    assert charts.axis_format(catalogue.RATE, series([highest]))["range"] == [0, ceiling]


def trend_insights(metric: str, values: list[float | None]) -> tuple[Insights, KpiCard]:
    months = ["2024-01", "2024-02", "2024-03"]
    trends = pd.DataFrame(
        {
            "metric": metric,
            "period": months,
            "value": pd.Series(values, dtype=float),
            "n": pd.Series([None] * 3, dtype=float),
            "ci_low": pd.Series([None] * 3, dtype=float),
            "ci_high": pd.Series([None] * 3, dtype=float),
        }
    )
    insights = Insights(
        month="2024-03", previous_month="2024-02", year_ago_month="2023-03", partial=False,
        lang="en", timezone="UTC", cards=[], trend_months=months, trends=trends,
        breakdowns=[], kpis=pd.DataFrame(),
    )  # fmt: skip
    view = catalogue.view(metric)
    empty = Change(Reading("2024-02"), None, None, "none")
    card = KpiCard(metric, view, "en", Reading("2024-03"), empty, empty)
    return insights, card


def test_a_kpi_without_values_in_the_window_draws_no_chart():
    insights, card = trend_insights("churn_rate", [None, None, None])
    assert charts.trend_figure(insights, card) is None


def test_a_kpi_with_values_draws_its_line_on_a_fitted_axis():
    insights, card = trend_insights("churn_rate", [0.011, None, 0.012])
    figure = charts.trend_figure(insights, card)
    assert list(figure.layout.yaxis.range) == [0, 0.02]
    assert figure.layout.yaxis.tickformat == ".1%"


def test_histogram_legend_sits_above_the_plot():
    bins = pd.DataFrame(
        {"bin_start": [0.0, 10.0], "bin_end": [10.0, 20.0], "tickets": [5, 3], "overflow": False}
    )
    markers = {"median": Reading("2024-03", 8.0, 8), "p90": Reading("2024-03", 18.0, 8)}
    figure = charts.distribution_figure(bins, markers, "First response", "en")
    legend = figure.layout.legend
    # paper y ≥ 1 anchored at its bottom: the legend lies wholly above the plotting area
    assert (legend.orientation, legend.yanchor) == ("h", "bottom") and legend.y >= 1
    assert figure.layout.margin.t > 45
    assert [trace.name for trace in figure.data[1:]] == ["median 8.0 min", "p90 18.0 min"]


def colour_ticks(colorbar) -> list[float]:
    """The tick values a colour bar with ``tick0``/``dtick`` draws from 0 up to ``highest``."""
    return [colorbar.tick0 + k * colorbar.dtick for k in range(int(20 / colorbar.dtick) + 1)]


@pytest.mark.parametrize("highest", [1, 2, 3, 7, 12])
def test_heatmap_colour_scale_ticks_are_whole_tickets(highest):
    # A month with at most 3 tickets an hour used to show ticks at 0.5, 1.5, 2.5.
    arrivals = pd.DataFrame([[0, highest], [1, 0]], columns=[9, 10])
    colorbar = charts.heatmap_figure(arrivals, "en").data[0].colorbar
    assert colorbar.tickformat == "d"
    assert all(float(tick).is_integer() for tick in colour_ticks(colorbar))
    # at most about five ticks across the counts shown, and at least two
    assert 2 <= sum(tick <= highest for tick in colour_ticks(colorbar)) <= 6


def test_trend_month_axis_of_a_year_ticks_every_third_month_at_an_angle():
    # 14 months of "YYYY-MM" labels every month overlap; every third one at -45° do not.
    axis = charts.month_axis(14)
    assert axis["dtick"] == "M3" and axis["tickangle"] == -45


def test_trend_month_axis_of_a_quarter_ticks_every_month():
    insights, card = trend_insights("churn_rate", [0.011, 0.010, 0.012])
    xaxis = charts.trend_figure(insights, card).layout.xaxis
    assert xaxis.dtick == "M1" and xaxis.tickangle == -45
