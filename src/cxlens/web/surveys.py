"""The surveys page (``/surveys``): scores, the formula behind each KPI, and the comments.

Per survey kind in the warehouse (CSAT, NPS, CES): how the scores fall (a count per
score value, the satisfied or promoter and detractor bands marked), the KPI with its
``n`` and 95 % interval from ``compute_kpis``, and the formula in words. The response
rate shows where the data records sends; otherwise the page says sends are unknown.

Below, the responses: those with a comment, newest first, 50 a page; or, with
``metric=csat|csat_mean|nps|ces|survey_response_rate``, exactly the responses behind that
KPI under the same filters (its ``n`` rows). The list is read with SQL written here
rather than through the metric code because it returns rows, not aggregates; it
follows the metric's rules (docs/kpis.md, "Survey KPIs"): a response is in the window by
its response time (by its send for the response rate); valid when its score lies on its
scale (NPS: whole numbers 0–10); its channel is its own, else its ticket's; category
and team are its ticket's, agent its own ``agent_id``, segment its customer's. The
tests hold the row count to the KPI's ``n``. Comments are customers' words: the
template escapes them like every other value.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request

from cxlens.insights import catalogue
from cxlens.insights.formatting import format_interval, format_n, format_value
from cxlens.insights.labels import kpi_name
from cxlens.schema import DEFAULT_SCALES
from cxlens.web.filters import FilterError, Filters
from cxlens.web.pages import access_of, page_filters, respond
from cxlens.web.words import word

router = APIRouter()

KINDS = ("csat", "nps", "ces")
PAGE_SIZE = 50
SENT = "sent"  # the response rate's records: sends, by their send time
# The drill-downs ``metric=`` takes, and whose records each lists.
DRILLS = {
    "csat": "csat",
    "csat_mean": "csat",
    "nps": "nps",
    "ces": "ces",
    "survey_response_rate": SENT,
}
# The KPIs of each kind's card: the headline first.
KIND_KPIS = {"csat": ("csat", "csat_mean"), "nps": ("nps",), "ces": ("ces",)}
PROMOTERS_FROM, DETRACTORS_TO = 9, 6
BAND_COLOURS = {
    "satisfied": "#1a7f37",
    "unsatisfied": "#c0362c",
    "promoter": "#1a7f37",
    "passive": "#9aa3b2",
    "detractor": "#c0362c",
    "score": "#2557a7",
}


@router.get("/surveys", summary="Survey scores and comments (HTML; ?format=json for its data)")
def surveys_page(request: Request):
    filters = page_filters(request)
    access = access_of(request)
    metric = _drill(request.query_params.get("metric"))
    if request.query_params.get("format") in ("csv", "xlsx"):
        key = ("surveys-export", filters.key(), metric)
        table = access.cached(key, lambda: responses_table(access, filters, metric))
        view = {"page": "surveys", "responses_table": table}
        return respond(
            request, "surveys.html", view, filters, table="responses_table", name="responses"
        )
    page = _page_number(request.query_params.get("page"))
    key = ("surveys", filters.key(), metric, page)
    view = access.cached(key, lambda: surveys_view(access, filters, metric, page))
    return respond(
        request, "surveys.html", view, filters, table="responses_table", name="responses"
    )


def _drill(text: str | None) -> str | None:
    if not text:
        return None
    if text not in DRILLS:
        raise FilterError(f"metric must be one of {', '.join(DRILLS)} on this page, not {text!r}")
    return text


def _page_number(text: str | None) -> int:
    if not text:
        return 1
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise FilterError(f"page must be a whole number from 1, not {text!r}")
    return int(text)


def surveys_view(access: Any, filters: Filters, metric: str | None, page: int) -> dict[str, Any]:
    """The page as plain JSON-ready values: a section per kind, the response rate, a list."""
    lang = filters.lang
    facts = access.cached(("survey-facts",), lambda: survey_facts(access))
    with access.reading() as con:
        counts = distribution(con, filters) if facts["kinds"] else []
        listed = responses(con, filters, metric, page) if facts["kinds"] else _no_rows()
    figures = _kpis(access, filters, facts)
    names = _agent_names(access)

    sections = [
        _section(kind, counts, figures, filters, access.settings) for kind in facts["kinds"]
    ]
    listed["rows"] = [_row(row, names, filters) for row in listed["rows"]]
    return {
        "page": "surveys",
        "title": word("surveys_heading", lang),
        "covering": filters.covering(),
        "sections": sections,
        "response_rate": _response_rate(figures, facts, filters),
        "metric": metric,
        "list_title": _list_title(metric, lang),
        "kpi_n": _drill_n(metric, figures),
        "responses": {**listed, "links": _page_links(filters, metric, listed)},
    }


def survey_facts(access: Any) -> dict[str, Any]:
    """Which survey kinds the warehouse holds, and whether it records sends."""
    from cxlens.store import has_table, table_columns

    with access.reading() as con:
        if not has_table(con, "survey_responses"):
            return {"kinds": [], "sends_known": False}
        held = {
            kind
            for (kind,) in con.execute(
                "SELECT DISTINCT kind FROM survey_responses WHERE kind IN (?, ?, ?) "
                "AND score IS NOT NULL",  # a link sent but not yet answered holds no score
                list(KINDS),
            ).fetchall()
        }
        sends = 0
        if "sent_at_local" in table_columns(con, "survey_responses"):
            sends = con.execute("SELECT count(sent_at_local) FROM survey_responses").fetchone()[0]
    return {"kinds": [kind for kind in KINDS if kind in held], "sends_known": sends > 0}


# -- the SQL of the records ------------------------------------------------------------


def _scope(con: Any, filters: Filters, records: str | None) -> tuple[str, list[Any], str]:
    """``FROM … WHERE …`` of the responses under the filters, its parameters, and the
    expression of a response's channel (its own, else its ticket's).

    ``records``: a kind (its valid answers), ``SENT`` (rows recording a send), or None
    (responses with a comment). Values are bound as parameters; the SQL text holds only
    constants of this module.
    """
    from cxlens.store import has_table, table_columns

    tickets = has_table(con, "tickets")
    segments = has_table(con, "customers") and "segment" in table_columns(con, "customers")
    sql = "FROM survey_responses r"
    if tickets:
        sql += " LEFT JOIN tickets t ON r.ticket_id = t.ticket_id"
    if segments:
        sql += " LEFT JOIN customers c ON r.customer_id = c.customer_id"
    timed = "r.sent_at_local" if records == SENT else "r.responded_at_local"
    where, params = [f"{timed} IS NOT NULL"], []

    if records in KINDS:
        clause, more = _valid(records)
        where.append(clause)
        params += more
    elif records is None:
        where.append("trim(coalesce(r.comment, '')) <> ''")
    lower, upper = _window_bounds(filters)
    if lower is not None:
        where.append(f"{timed} >= ?")
        params.append(lower)
    if upper is not None:
        where.append(f"{timed} < ?")
        params.append(upper)

    source = {
        "channel": "coalesce(r.channel, t.channel)" if tickets else "r.channel",
        "category": "t.category" if tickets else None,
        "team": "t.team" if tickets else None,
        "agent": "r.agent_id",
        "segment": "c.segment" if segments else None,
    }
    for dimension, values in filters.chosen.items():
        column = source[dimension]
        if column is None:  # the response cannot have this value: nothing matches
            where.append("false")
            continue
        where.append(f"CAST({column} AS VARCHAR) IN ({', '.join('?' for _ in values)})")
        params += list(values)
    return f"{sql} WHERE {' AND '.join(where)}", params, source["channel"]


def _valid(kind: str) -> tuple[str, list[Any]]:
    """The valid answers of ``kind``: a score on its scale; NPS whole numbers 0–10."""
    if kind == "nps":
        return (
            "r.kind = 'nps' AND r.score = floor(r.score) AND r.score BETWEEN 0 AND 10",
            [],
        )
    low, high = DEFAULT_SCALES[kind]
    clause = "r.kind = ? AND r.score BETWEEN coalesce(r.scale_min, ?) AND coalesce(r.scale_max, ?)"
    return clause, [kind, low, high]


def _window_bounds(filters: Filters) -> tuple[datetime | None, datetime | None]:
    """The window as local times: the first day's midnight, the midnight after the last."""
    lower = None if filters.first is None else datetime.combine(filters.first, time())
    upper = (
        None if filters.last is None else datetime.combine(filters.last + timedelta(days=1), time())
    )
    return lower, upper


def distribution(con: Any, filters: Filters) -> list[dict[str, Any]]:
    """Valid answers per kind, scale and score under the filters (one query per kind)."""
    counts = []
    for kind in KINDS:
        scope, params, _channel = _scope(con, filters, kind)
        low, high = (0, 10) if kind == "nps" else DEFAULT_SCALES[kind]
        rows = con.execute(
            "SELECT coalesce(r.scale_min, ?) AS low, coalesce(r.scale_max, ?) AS high, "
            f"r.score, count(*) {scope} GROUP BY ALL ORDER BY low, high, r.score",
            [low, high, *params],
        ).fetchall()
        if kind == "nps":  # NPS is read on 0–10 whatever scale a file states
            rows = _merge_scales(rows, 0.0, 10.0)
        counts += [
            {"kind": kind, "low": a, "high": b, "score": score, "responses": int(n)}
            for a, b, score, n in rows
        ]
    return counts


def _merge_scales(rows: list[tuple], low: float, high: float) -> list[tuple]:
    merged: dict[float, int] = {}
    for _a, _b, score, n in rows:
        merged[score] = merged.get(score, 0) + n
    return [(low, high, score, merged[score]) for score in sorted(merged)]


def responses(con: Any, filters: Filters, metric: str | None, page: int) -> dict[str, Any]:
    """One page of the listed responses (newest first) and how many there are in all."""
    records = None if metric is None else DRILLS[metric]
    scope, params, channel = _scope(con, filters, records)
    total = con.execute(f"SELECT count(*) {scope}", params).fetchone()[0]
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(page, pages)
    rows = con.execute(
        f"{_columns(channel)} {scope} ORDER BY {_order(records)} LIMIT ? OFFSET ?",
        [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE],
    ).fetchall()
    return {"total": int(total), "page": page, "pages": pages, "page_size": PAGE_SIZE,
            "rows": rows}  # fmt: skip


def all_responses(con: Any, filters: Filters, metric: str | None) -> list[tuple]:
    """Every listed response (all pages), in the page's order: the export's rows."""
    records = None if metric is None else DRILLS[metric]
    scope, params, channel = _scope(con, filters, records)
    query = f"{_columns(channel)} {scope} ORDER BY {_order(records)}"
    return con.execute(query, params).fetchall()


def _order(records: str | None) -> str:
    timed = "r.sent_at_local" if records == SENT else "r.responded_at_local"
    return f"{timed} DESC NULLS LAST, r.response_id"


def _columns(channel: str) -> str:
    """The listed columns; ``channel`` is one of ``_scope``'s constant expressions."""
    return (
        "SELECT r.response_id, r.responded_at_local, r.kind, r.score, "
        f"{channel} AS channel, r.agent_id, r.ticket_id, r.comment"
    )


def _no_rows() -> dict[str, Any]:
    return {"total": 0, "page": 1, "pages": 1, "page_size": PAGE_SIZE, "rows": []}


def responses_table(access: Any, filters: Filters, metric: str | None) -> dict[str, Any]:
    """The export: every response of the current list, the columns the page shows."""
    facts = access.cached(("survey-facts",), lambda: survey_facts(access))
    rows: list[tuple] = []
    if facts["kinds"]:
        with access.reading() as con:
            rows = all_responses(con, filters, metric)
    names = _agent_names(access)
    return _export([_row(row, names, filters) for row in rows], filters.lang)


# -- turning numbers into the page ------------------------------------------------------


def _kpis(access: Any, filters: Filters, facts: dict[str, Any]) -> dict[str, dict]:
    """The survey KPIs the warehouse supports, over the filters: ``{metric: figure}``."""
    from cxlens.metrics.compute import kpi_session

    wanted = [metric for kind in facts["kinds"] for metric in KIND_KPIS[kind]]
    if facts["sends_known"]:
        wanted.append("survey_response_rate")
    if not wanted:
        return {}
    with access.lock, kpi_session(access.warehouse, access.settings) as compute:
        frame = compute((), wanted, filters=filters.chosen, window=filters.window)
    plain = frame[["metric", "value", "n", "ci_low", "ci_high"]].astype(object)
    plain = plain.where(plain.notna(), None)
    return {
        metric: {"value": value, "n": int(n), "ci_low": low, "ci_high": high}
        for metric, value, n, low, high in plain.itertuples(index=False, name=None)
    }


def _agent_names(access: Any) -> dict[str, str]:
    from cxlens.insights.assemble import agent_names

    return access.cached(("agent-names",), lambda: agent_names(access.warehouse))


def _figure(metric: str, figures: dict[str, dict], filters: Filters, settings: Any) -> dict:
    """A KPI's value, n and interval as numbers and text, and the link to its records."""
    figure = figures.get(metric) or {"value": None, "n": 0, "ci_low": None, "ci_high": None}
    unit = catalogue.view(metric, settings).unit
    lang = filters.lang
    return {
        "metric": metric,
        "name": kpi_name(metric, lang),
        **figure,
        "value_text": format_value(figure["value"], unit, lang),
        "n_text": format_n(figure["n"]),
        "interval_text": format_interval(figure["ci_low"], figure["ci_high"], unit, lang),
        "link": f"/surveys?{filters.query(metric=metric)}",
    }


def _section(
    kind: str, counts: list[dict], figures: dict[str, dict], filters: Filters, settings: Any
) -> dict[str, Any]:
    """One kind's block: KPI figures, the formula, the distribution and its chart."""
    mine = [count for count in counts if count["kind"] == kind]
    scales = sorted({(count["low"], count["high"]) for count in mine}) or [_default_scale(kind)]
    bands = {scale: _bands(kind, scale, settings) for scale in scales}
    for count in mine:
        count["band"] = _band(kind, count["score"], bands[(count["low"], count["high"])])
        count["score_text"] = _number(count["score"])
    kpis = [_figure(metric, figures, filters, settings) for metric in KIND_KPIS[kind]]
    return {
        "kind": kind,
        "name": kpi_name(kind, filters.lang),
        "kpis": kpis,
        "formula": _formula(kind, scales, bands, filters.lang, settings),
        "distribution": mine,
        "charts": [
            {
                "id": f"chart-{kind}-{i}",
                "scale": _scale_text(scale),
                "figure": _chart(kind, scale, bands[scale], mine, filters),
            }
            for i, scale in enumerate(scales)
        ],  # fmt: skip
        "answers": sum(count["responses"] for count in mine),
    }


def _default_scale(kind: str) -> tuple[float, float]:
    low, high = DEFAULT_SCALES[kind]
    return float(low), float(high)


def satisfied_from(scale: tuple[float, float], settings: Any) -> float:
    """The lowest satisfied CSAT score on ``scale``: the setting, else the top boxes
    (one on 2- and 3-point scales, two on 4- to 7-point, three on longer ones)."""
    from cxlens.metrics.surveys import satisfied_thresholds

    low, high = scale
    overrides = satisfied_thresholds(settings)
    if (low, high) in overrides:
        return overrides[(low, high)]
    points = high - low + 1
    top_boxes = 1 if points <= 3 else 2 if points <= 7 else 3
    return high - top_boxes + 1


def _bands(kind: str, scale: tuple[float, float], settings: Any) -> float | None:
    """What splits the bands on one scale: the satisfied threshold (CSAT), else None."""
    return satisfied_from(scale, settings) if kind == "csat" else None


def _band(kind: str, score: float, threshold: float | None) -> str:
    if kind == "csat":
        return "satisfied" if score >= threshold else "unsatisfied"
    if kind == "nps":
        if score >= PROMOTERS_FROM:
            return "promoter"
        return "detractor" if score <= DETRACTORS_TO else "passive"
    return "score"


def _formula(kind: str, scales: list, bands: dict, lang: str, settings: Any) -> str:
    """The KPI's formula in words, with the thresholds in force on the scales shown."""
    if kind == "csat":
        parts = [
            word("surveys_satisfied_on", lang, satisfied=_range(bands[scale], scale[1]),
                 scale=_scale_text(scale))
            for scale in scales
        ]  # fmt: skip
        return word("surveys_formula_csat", lang, satisfied="; ".join(parts))
    if kind == "nps":
        return word("surveys_formula_nps", lang)
    easier = bool((getattr(settings, "ces", None) or {}).get("higher_is_easier", True))
    direction = word("surveys_ces_higher" if easier else "surveys_ces_lower", lang)
    scale_text = ", ".join(_scale_text(scale) for scale in scales)
    return word("surveys_formula_ces", lang, scale=scale_text, direction=direction)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _range(low: float, high: float) -> str:
    return _number(low) if low == high else f"{_number(low)}–{_number(high)}"


def _scale_text(scale: tuple[float, float]) -> str:
    return f"{_number(scale[0])}–{_number(scale[1])}"


def _chart(
    kind: str,
    scale: tuple[float, float],
    threshold: float | None,
    counts: list[dict],
    filters: Filters,
) -> dict:
    """A Plotly bar chart of one scale's scores, a trace per band; bars open the records."""
    lang = filters.lang
    answered = {c["score"]: c["responses"] for c in counts if (c["low"], c["high"]) == scale}
    scores = sorted(set(answered) | _whole_points(*scale))
    link = f"/surveys?{filters.query(metric=kind)}"
    traces = []
    for band in dict.fromkeys(_band(kind, score, threshold) for score in scores):
        xs = [score for score in scores if _band(kind, score, threshold) == band]
        traces.append(
            {
                "type": "bar",
                "name": word(f"surveys_band_{band}", lang),
                "x": xs,
                "y": [answered.get(score, 0) for score in xs],
                "marker": {"color": BAND_COLOURS[band]},
            }
        )
    layout = {
        "height": 260,
        "margin": {"l": 40, "r": 10, "t": 30, "b": 40},
        "barmode": "stack",
        "xaxis": {"title": {"text": word("surveys_score", lang)}, "dtick": 1},
        "yaxis": {"title": {"text": word("surveys_responses", lang)}},
        "legend": {"orientation": "h", "x": 0, "y": 1.15},
    }
    return {"data": traces, "layout": layout, "links": [[link] * len(t["x"]) for t in traces]}


def _whole_points(low: float, high: float) -> set[float]:
    """Every whole score of a short scale (so empty scores show as empty bars)."""
    if not (float(low).is_integer() and float(high).is_integer()) or high - low > 20:
        return set()
    return {float(point) for point in range(int(low), int(high) + 1)}


def _response_rate(figures: dict, facts: dict, filters: Filters) -> dict[str, Any]:
    if not facts["sends_known"]:
        return {"known": False, "note": word("surveys_sends_unknown", filters.lang)}
    return {"known": True, **_figure("survey_response_rate", figures, filters, None)}


def _drill_n(metric: str | None, figures: dict) -> int | None:
    if metric is None:
        return None
    figure = figures.get(metric)
    return None if figure is None else figure["n"]


def _list_title(metric: str | None, lang: str) -> str:
    if metric is None:
        return word("surveys_comments", lang)
    return word("surveys_behind", lang, kpi=kpi_name(metric, lang))


def _page_links(filters: Filters, metric: str | None, listed: dict) -> dict[str, str | None]:
    page, pages = listed["page"], listed["pages"]

    def link(number: int) -> str:
        return f"/surveys?{filters.query(metric=metric, page=number)}"

    return {
        "previous": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
    }


def _row(row: tuple, names: dict[str, str], filters: Filters) -> dict[str, Any]:
    """One listed response as JSON-ready values, with its agent's name and ticket link."""
    from cxlens.insights.assemble import agent_label

    response_id, responded, kind, score, channel, agent, ticket, comment = row
    return {
        "response_id": response_id,
        "responded_at": None if responded is None else responded.isoformat(sep=" "),
        "kind": kind,
        "score": None if score is None else (int(score) if score.is_integer() else score),
        "channel": channel,
        "agent": agent,
        "agent_label": None if agent is None else agent_label(agent, names, filters.lang),
        "ticket_id": ticket,
        "ticket_link": None
        if ticket is None
        else f"/tickets?ticket={_quoted(ticket)}&period=all&lang={filters.lang}",
        "comment": comment,
    }


def _quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(str(text), safe="")


def _export(rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """The responses as the export's table: the columns of the page's list."""
    keys = ("responded_at", "kind", "score", "channel", "agent", "ticket_id", "comment",
            "response_id")  # fmt: skip
    headers = [word(f"surveys_column_{key}", lang) for key in keys]
    return {"columns": headers, "rows": [[row[key] for key in keys] for row in rows]}
