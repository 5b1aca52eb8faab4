"""The agents page (``/agents``): a leaderboard that never ranks on noise.

One row per agent, under the filter bar: tickets, first response and resolution
medians, FCR, reopen rate and CSAT, each with its ``n`` and (for rates) its 95 %
interval, from ``compute_kpis(by=["agent"])``. The team's row on top is the same KPI
computed without the agent split under the same filters, so it is a figure of its own,
not an average of the rows below.

Two rules keep the table honest. Rows are ordered by volume (tickets), never by a
score. An agent is marked above or below the team only where the agent's interval
excludes the team's value *and* the figure rests on at least ``MIN_N`` records; a
figure on fewer records is greyed as "too few to judge". Medians carry no interval and
are never marked. Each KPI is credited by the metrics' attribution rule (first
response to the first human replier, resolution, FCR and reopens to the solver, CSAT
to the survey response's agent, tickets to the assignee), stated on the page.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request

from cxlens.insights import catalogue
from cxlens.insights.formatting import format_interval, format_n, format_value
from cxlens.insights.labels import kpi_name
from cxlens.web.filters import Filters
from cxlens.web.pages import access_of, page_filters, respond
from cxlens.web.words import word

router = APIRouter()

# The leaderboard's KPIs, in column order.
LEADERBOARD = (
    "tickets",
    "first_response_median_min",
    "resolution_median_min",
    "fcr",
    "reopen_rate",
    "csat",
)
# Fewer records than this, and a figure is shown but never judged against the team.
MIN_N = 30
ABOVE = "above"
BELOW = "below"
# Survey KPIs list their records on the survey page, the rest on the ticket page.
SURVEY_KPIS = {"csat", "csat_mean", "nps", "ces"}
COUNTS = {"tickets"}  # counts: an agent with no record of them has 0
TEAM = object()  # stands for the team's row where a cell needs to know whose it is


@router.get("/agents", summary="Agents leaderboard (HTML; ?format=json for its data)")
def agents_page(request: Request):
    filters = page_filters(request)
    access = access_of(request)
    view = access.cached(("agents", filters.key()), lambda: agents_view(access, filters))
    return respond(request, "agents.html", view, filters, table="agents_table", name="agents")


def agents_view(access: Any, filters: Filters) -> dict[str, Any]:
    """The leaderboard as plain JSON-ready values: team row, agent rows, rules, table."""
    from cxlens.insights.assemble import agent_names
    from cxlens.metrics.compute import kpi_session

    lang = filters.lang
    with access.lock, kpi_session(access.warehouse, access.settings) as compute:
        team = compute((), list(LEADERBOARD), filters=filters.chosen, window=filters.window)
        by_agent = compute(
            ("agent",), list(LEADERBOARD), filters=filters.chosen, window=filters.window
        )
    names = access.cached(("agent-names",), lambda: agent_names(access.warehouse))

    shown = [metric for metric in LEADERBOARD if metric in set(team["metric"])]
    team_figures = _figures(team.assign(agent=None), shown).get(None, {})
    team_row = _team_row(team_figures, shown, filters)
    agent_rows = _agent_rows(_figures(_with_agent(by_agent), shown), team_figures, names, filters)
    columns = [_column(metric, access.settings, lang) for metric in shown]
    return {
        "page": "agents",
        "title": word("agents_heading", lang),
        "covering": filters.covering(),
        "min_n": MIN_N,
        "metrics": columns,
        "team": team_row,
        "agents": agent_rows,
        "rules": [
            word(key, lang, min_n=MIN_N) for key in ("agents_rule_order", "agents_rule_mark")
        ],
        "attribution": [word(key, lang) for key in ATTRIBUTION],
        "agents_table": _table(team_row, agent_rows, columns, lang),
    }


# The attribution rule's sentences (word keys), one per credit.
ATTRIBUTION = (
    "agents_credit_tickets",
    "agents_credit_first_response",
    "agents_credit_resolution",
    "agents_credit_csat",
)


def _with_agent(frame: pd.DataFrame) -> pd.DataFrame:
    """The KPI rows with their agent id as a column (None for the "no agent" group)."""
    agents = [group.get("agent") for group in frame["group"]]
    return frame.assign(agent=agents)


def _figures(frame: pd.DataFrame, shown: list[str]) -> dict[Any, dict[str, dict]]:
    """``{agent: {metric: {"value", "n", "ci_low", "ci_high"}}}`` with None for null."""
    frame = frame[frame["metric"].isin(shown)]
    plain = frame[["agent", "metric", "value", "n", "ci_low", "ci_high"]].astype(object)
    plain = plain.where(plain.notna(), None)
    figures: dict[Any, dict[str, dict]] = {}
    for agent, metric, value, n, low, high in plain.itertuples(index=False, name=None):
        figures.setdefault(agent, {})[metric] = {
            "value": _float(value),
            "n": None if n is None else int(n),
            "ci_low": _float(low),
            "ci_high": _float(high),
        }
    return figures


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def judge(figure: dict[str, Any], team_value: float | None) -> str | None:
    """``"above"`` or ``"below"`` the team, or None when the figure cannot tell.

    Marked only when the figure rests on at least ``MIN_N`` records and its 95 %
    interval excludes the team's value; a figure without an interval is never marked.
    """
    n, low, high = figure.get("n"), figure.get("ci_low"), figure.get("ci_high")
    if team_value is None or n is None or n < MIN_N or low is None or high is None:
        return None
    if low > team_value:
        return ABOVE
    if high < team_value:
        return BELOW
    return None


def _team_row(figures: dict[str, dict], shown: list[str], filters: Filters) -> dict[str, Any]:
    lang = filters.lang
    cells = {
        metric: _cell(metric, figures.get(metric, {}), None, filters, agent=TEAM)
        for metric in shown
    }
    return {"agent": None, "label": word("agents_team", lang), "figures": cells}


def _agent_rows(
    figures: dict[Any, dict[str, dict]],
    team: dict[str, dict],
    names: dict[str, str],
    filters: Filters,
) -> list[dict[str, Any]]:
    """One row per agent (the "no agent" group last), busiest first."""
    from cxlens.insights.assemble import agent_label

    rows = []
    for agent, own in figures.items():
        cells = {}
        for metric, team_figure in team.items():
            figure = own.get(metric, _none(metric))
            cells[metric] = _cell(metric, figure, team_figure["value"], filters, agent)
        label = agent_label(agent, names, filters.lang)
        rows.append({"agent": agent, "label": label, "figures": cells})
    return sorted(rows, key=_volume_order)


def _none(metric: str) -> dict[str, Any]:
    """A KPI the agent has no record of: a count of 0 (no ticket held), else no value."""
    if metric in COUNTS:
        return {"value": 0.0, "n": 0, "ci_low": None, "ci_high": None}
    return {}


def _volume_order(row: dict[str, Any]) -> tuple:
    tickets = row["figures"].get("tickets", {}).get("value")
    return (row["agent"] is None, -(tickets or 0), str(row["agent"]))


def _cell(
    metric: str, figure: dict[str, Any], team_value: float | None, filters: Filters, agent: Any
) -> dict[str, Any]:
    """One figure of an agent's row: numbers, their text, the verdict and the records link.

    ``agent`` is ``TEAM`` on the team's own row, which links to the records under the
    filters as they are and is never judged; an agent's figure links to the same records
    of that agent. The "no agent" group (None) has no link: the filter bar cannot choose
    a missing value.
    """
    lang = filters.lang
    unit = catalogue.view(metric).unit
    value, n = figure.get("value"), figure.get("n")
    team_row = agent is TEAM
    mark = None if team_row else judge(figure, team_value)
    page = "/surveys" if metric in SURVEY_KPIS else "/tickets"
    if team_row:
        link = f"{page}?{filters.query(metric=metric)}"
    elif agent is None:
        link = None
    else:
        link = f"{page}?{filters.query(agent=agent, metric=metric)}"
    return {
        "value": value,
        "n": n,
        "ci_low": figure.get("ci_low"),
        "ci_high": figure.get("ci_high"),
        "value_text": format_value(value, unit, lang),
        "n_text": format_n(n),
        "interval_text": format_interval(figure.get("ci_low"), figure.get("ci_high"), unit, lang),
        "mark": mark,
        "mark_text": word(f"agents_{mark}", lang) if mark else "",
        "better": _better(metric, mark),
        "too_few": n is not None and n < MIN_N,
        "link": link,
    }


def _better(metric: str, mark: str | None) -> bool | None:
    """Whether a mark is good news, by the KPI's direction (None: no mark or neutral)."""
    direction = catalogue.view(metric).better
    if mark is None or direction == catalogue.NEUTRAL:
        return None
    return (mark == ABOVE) == (direction == catalogue.UP)


def _column(metric: str, settings: Any, lang: str) -> dict[str, Any]:
    view = catalogue.view(metric, settings)
    return {"metric": metric, "name": kpi_name(metric, lang), "unit": view.unit}


def _table(
    team: dict[str, Any], agents: list[dict[str, Any]], columns: list[dict], lang: str
) -> dict[str, Any]:
    """The export: one row per line of the screen's table (team first), four or five
    columns per KPI (value, n, interval bounds, verdict)."""
    headers = [word("agents_column_agent", lang), word("agents_column_id", lang)]
    for column in columns:
        name = column["name"]
        headers += [name, f"{name} · n", f"{name} · 95% low", f"{name} · 95% high"]
        headers.append(f"{name} · {word('agents_column_verdict', lang)}")
    rows = []
    for row in [team, *agents]:
        line = [row["label"], row["agent"]]
        for column in columns:
            cell = row["figures"][column["metric"]]
            verdict = cell["mark_text"] or (word("agents_too_few", lang) if cell["too_few"] else "")
            line += [cell["value"], cell["n"], cell["ci_low"], cell["ci_high"], verdict]
        rows.append(line)
    return {"columns": headers, "rows": rows}
