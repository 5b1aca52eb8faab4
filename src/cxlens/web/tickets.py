"""The tickets page (``/tickets``): the records behind every ticket figure.

Without ``metric=`` it lists the tickets created in the filter bar's period under its
dimension filters, newest first, a hundred a page. With ``metric=<KPI id>`` it lists the
records a ticket KPI's figure rests on, chosen the way the KPI chooses them (SCHEMA.md
"period by"): created, solved, first solved, open at the window's end, or SLA clocks due
in the window; the agent filter follows the KPI's credit rule (first responder for
response times, solver for resolutions). The page shows the number listed beside the
KPI's n from ``compute_kpis`` under the same filters, so a reader sees they agree.

The record sets are Ibis expressions built on ``metrics.request.Request``, so the window
and the dimension filters apply exactly as they do for the KPIs. The choice of records
per KPI is written here a second time, beside ``metrics.tickets``: that module keeps its
expressions private while another change is under way there, and the page's test checks
the two against each other (listed rows = KPI n) for every ticket KPI.

Below the list: SLA compliance per target with its breached and soon-due clocks, backlog
ageing (open tickets at the window's end by age, each bucket a link), and tickets by
channel and by category (each bar a link to the list filtered to it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Request

from cxlens.insights.labels import code_name, dimension_value, kpi_name, yes_no
from cxlens.metrics.sla import CLOCKS, SLA_IDS
from cxlens.metrics.tickets import FAMILY, unmerged_tickets
from cxlens.web.filters import FilterError, Filters
from cxlens.web.pages import access_of, page_filters, respond
from cxlens.web.words import word

router = APIRouter()

PAGE_SIZE = 100
MAX_PAGE = 100_000
# Backlog age buckets: URL key → (lowest age in days, highest age excluded or None).
AGE_BUCKETS = {
    "0-1": (0, 1),
    "1-3": (1, 3),
    "3-7": (3, 7),
    "7-30": (7, 30),
    "30+": (30, None),
}
SOON_HOURS = 4  # a running clock due within this long after the data's end is "about to breach"
SLA_LISTED = 100  # breached / soon-due clocks listed on the page (the count shows all)
CATEGORIES_CHARTED = 20

# Which time places a KPI's records (SCHEMA.md "period by") and which column must hold a
# value for a record to count; the KPI's n counts the same records.
CREATED_NEEDS = {
    "tickets": None,
    "answer_rate": "answered",
    **{f"first_response_{s}_min": "first_response_min" for s in ("median", "p90", "mean")},
    **{
        f"first_response_business_{s}_min": "first_response_business_min"
        for s in ("median", "p90", "mean")
    },
    "first_any_response_median_min": "first_any_response_min",
}
SOLVED_NEEDS = {
    **{f"resolution_{s}_min": "resolution_min" for s in ("median", "p90", "mean")},
    **{
        f"resolution_business_{s}_min": "resolution_business_min" for s in ("median", "p90", "mean")
    },
    "fcr": None,  # known replies or contacts, below
    "reopen_rate": None,
}
# The agent a KPI credits, where the cleaned tickets name one (docs/kpis.md, "Attribution").
CREDIT = {
    **{m: "first_response_agent_id" for m in CREATED_NEEDS if m.startswith("first_response_")},
    **dict.fromkeys(SOLVED_NEEDS, "solved_by_agent_id"),
    "first_resolution_median_min": "first_solved_by_agent_id",
}


# The ticket columns any list or section reads.
USED_COLUMNS = {
    "ticket_id", "created_at_local", "customer_id", "channel", "category", "priority",
    "status", "agent_id", "team", "reopens", "agent_replies", "customer_contacts", "answered",
    "solved_at_local", "first_solved_at_local", "is_merged", "is_solved", "first_response_min",
    "first_response_business_min", "first_any_response_min", "resolution_min",
    "resolution_business_min", "first_resolution_min", "first_response_agent_id",
    "solved_by_agent_id", "first_solved_by_agent_id",
}  # fmt: skip


@dataclass(frozen=True)
class Choice:
    """What the list holds beyond the filter bar: a KPI's records, an age bucket, a page."""

    metric: str = "tickets"
    age: str | None = None
    page: int = 1
    whole: bool = False  # every row (exports), not one page
    ticket: str | None = None  # one ticket, as a survey answer's link asks for

    def params(self) -> dict[str, Any]:
        """The query parameters that keep this choice (the default metric is left out)."""
        return {
            "metric": None if self.metric == "tickets" else self.metric,
            "age": self.age,
            "ticket": self.ticket,
        }


def read_choice(params: Any) -> Choice:
    """The list's ``metric``, ``age`` and ``page`` from the query; FilterError when unusable."""
    metric = params.get("metric") or None
    age = params.get("age") or None
    if age is not None and age not in AGE_BUCKETS:
        raise FilterError(f"age must be one of {', '.join(AGE_BUCKETS)}, not {age!r}")
    if age is not None and metric not in (None, "backlog"):
        raise FilterError("age applies to the backlog only; use metric=backlog or leave it out")
    metric = metric or ("backlog" if age else "tickets")
    if metric not in FAMILY:
        raise FilterError(
            f"metric {metric!r} is not a ticket KPI; the ticket page lists the records of "
            f"{', '.join(sorted(FAMILY))} (survey KPIs on /surveys, customer KPIs on /customers)"
        )
    text = params.get("page") or "1"
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise FilterError(f"page must be a whole number from 1 to {MAX_PAGE}, not {text!r}")
    whole = params.get("format") in ("csv", "xlsx")
    ticket = params.get("ticket") or None
    if ticket is not None and len(ticket) > 200:
        raise FilterError("ticket: a ticket id of at most 200 characters")
    return Choice(metric, age, 1 if whole else int(text), whole, ticket)


@router.get("/tickets", summary="Tickets page (HTML; ?format=json|csv|xlsx)")
def tickets_page(request: Request):
    filters = page_filters(request)
    choice = read_choice(request.query_params)
    access = access_of(request)
    view = access.cached(
        ("tickets", filters.key(), choice), lambda: tickets_view(access, filters, choice)
    )
    return respond(request, "tickets.html", view, filters, table="tickets_table", name="tickets")


def tickets_view(access: Any, filters: Filters, choice: Choice) -> dict[str, Any]:
    """The page as plain JSON-ready values: the list, the KPI check and the sections.

    The list, the sections (which do not depend on the KPI, age or page) and the KPIs
    are cached apart, so paging or drilling into another KPI reuses the rest.
    """
    lang, key = filters.lang, filters.key()
    found = access.cached(("tickets-list", key, choice), lambda: _listing(access, filters, choice))
    sections = access.cached(("tickets-sections", key), lambda: _sections(access, filters))
    kpis = access.cached(
        ("tickets-kpis", key, choice.metric), lambda: _kpis(access, filters, choice.metric)
    )

    keep = choice.params()
    return {
        "page": "tickets",
        "title": word("tickets_heading", lang),
        "covering": filters.covering(),
        "metric": choice.metric,
        "metric_name": kpi_name(choice.metric, lang),
        "age": choice.age,
        "total": found["total"],
        "page_number": choice.page,
        "pages": max(1, -(-found["total"] // PAGE_SIZE)),
        "page_size": PAGE_SIZE,
        "check": _check(
            choice.metric, kpis, found["total"], choice.age, lang, narrowed=bool(choice.ticket)
        ),
        "tickets_table": _table(found["rows"], choice.metric, sections["names"], lang),
        "paging": _paging(filters, choice, found["total"]),
        "keep": [(k, v) for k, v in keep.items() if v is not None],
        "sla": _sla_section(sections, kpis, filters, lang),
        "backlog_ageing": _ageing_section(sections["ages"], filters, lang),
        "breakdown": _breakdown_section(sections["breakdown"], filters, lang),
    }


# --- the queries --------------------------------------------------------------------------


@contextmanager
def opened(access: Any, filters: Filters) -> Iterator[Any]:
    """A ``metrics.request.Request`` under the filter bar, on a read-only connection held
    under the server's lock (None when the warehouse holds no dated tickets).

    The profile of the loaded tables is cached under the warehouse's version.
    """
    from cxlens.metrics.request import Request as KpiRequest

    chosen = {dimension: values for dimension, values in filters.values.items() if values}
    with access.lock, access.warehouse.metrics() as backend:
        known = access.cached(("tickets-profile",), lambda: _profile(backend, access.settings))
        if "tickets" not in known["present"] or known["end"] is None:
            yield None
            return
        yield KpiRequest(backend, access.settings, None, [], filters=chosen,
                         window=filters.window, filled=known["filled"], start=known["start"],
                         end=known["end"], built_for=known["built_for"])  # fmt: skip


def _profile(backend: Any, settings: Any) -> dict[str, Any]:
    from cxlens.metrics.request import Request as KpiRequest
    from cxlens.metrics.request import loaded_tables, profile

    request = KpiRequest(backend, settings, None, [])
    profile(request)
    return {"filled": request.filled, "start": request.start, "end": request.end,
            "built_for": request.built_for, "present": loaded_tables(backend)}  # fmt: skip


def _listing(access: Any, filters: Filters, choice: Choice) -> dict[str, Any]:
    """The records behind the chosen KPI: their number and one page (all for exports)."""
    with opened(access, filters) as request:
        if request is None:
            return {"total": 0, "rows": pd.DataFrame()}
        records = records_behind(request, choice.metric, age=choice.age)
        if choice.ticket is not None:
            records = records.filter(records.ticket_id.cast("string") == choice.ticket)
        total = int(request.execute(records.aggregate(n=records.count()))["n"].iloc[0])
        ordered = records.order_by([records.created_at_local.desc(), records.ticket_id.desc(),
                                    records.clock_no.asc()])  # fmt: skip
        if not choice.whole:
            ordered = ordered.limit(PAGE_SIZE, offset=(choice.page - 1) * PAGE_SIZE)
        return {"total": total, "rows": request.execute(_with_csat(request, ordered))}


def _sections(access: Any, filters: Filters) -> dict[str, Any]:
    """Agent names, backlog ages, breakdowns and the SLA clock lists under the filters."""
    with opened(access, filters) as request:
        if request is None:
            return {"names": {}, "ages": {}, "breakdown": {}, "breached": None, "soon": None}
        sla = request.has_table("sla_clocks")
        return {
            "names": _agent_names(request),
            "ages": _ages(request),
            "breakdown": _breakdown(request),
            "breached": _clock_list(request, "breached") if sla else None,
            "soon": _clock_list(request, "soon") if sla else None,
        }


def records_behind(request: Any, metric: str, *, age: str | None = None):
    """The Ibis relation of the records behind ``metric`` under the request's filters and
    window: one row per ticket (per SLA clock for the SLA KPIs), with the columns the list
    shows. Its row count is the KPI's n (``compute_kpis`` with the same filters/window)."""
    t = _tickets(request)
    if metric in SLA_IDS:
        return _clock_records(request, t, metric)
    if metric == "backlog":
        return _open_records(request, t, age)
    if metric in CREATED_NEEDS:
        t = _keep(t, CREATED_NEEDS[metric])
        placed = t.created_at_local
    elif metric in SOLVED_NEEDS:
        t = t.filter(_solved_now(t))
        t = _keep(t, SOLVED_NEEDS[metric])
        placed = _solve_at(t)
        if metric == "fcr":
            t = t.filter(_first_contact(t)[0])
    else:  # first_resolution_median_min
        t = _keep(t.filter(t.first_solved_at_local.notnull()), "first_resolution_min")
        placed = t.first_solved_at_local
    credited = CREDIT.get(metric)
    t = t.mutate(placed_at=placed, credited_agent=_column(t, credited or "agent_id", "string"))
    t = request.prepare(t, t.placed_at, _groups(request, t, credited))
    return _shown(t, flag=_flag(t, metric))


def _tickets(request: Any):
    """Unmerged tickets (the metrics' own starting relation) with the columns listed."""
    return unmerged_tickets(request, USED_COLUMNS)


def _column(t, name: str | None, kind: str):
    import ibis

    return t[name] if name is not None and name in t.columns else ibis.null(kind)


def _keep(t, column: str | None):
    """Only the tickets holding a value in ``column`` (none where the column is missing)."""
    import ibis

    if column is None:
        return t
    if column not in t.columns:
        return t.filter(ibis.literal(False))
    return t.filter(t[column].notnull())


def _groups(request: Any, t, credited: str | None) -> dict[str, Any]:
    """``g_<dimension>`` for the filtered dimensions; the agent is the credited one."""
    agent = credited if credited is not None and credited in t.columns else "agent_id"
    source = {"channel": "channel", "category": "category", "priority": "priority",
              "agent": agent, "team": "team", "segment": "c_segment"}  # fmt: skip
    return {f"g_{d}": _column(t, source[d], "string").cast("string") for d in request.used}


def _solved_now(t):
    """Solved now (the clean step's flag, else a solve time) and placed in time."""
    solved = t.solved_at_local.notnull()
    if "is_solved" in t.columns:
        solved = t.is_solved.fill_null(solved)
    return solved & (t.created_at_local.notnull() | t.solved_at_local.notnull())


def _solve_at(t):
    """The latest solve, or the creation where the solve is missing or earlier."""
    import ibis

    return ibis.greatest(t.solved_at_local.fill_null(t.created_at_local), t.created_at_local)


def _first_contact(t):
    """(replies or contacts known, resolved at first contact): no reopen, one touch."""
    import ibis

    contacts = _column(t, "customer_contacts", "int64")
    replies = _column(t, "agent_replies", "int64")
    known = contacts.notnull() | replies.notnull()
    one_touch = ibis.ifelse(contacts.notnull(), contacts <= 1, replies <= 1).fill_null(False)
    reopens = _column(t, "reopens", "int64").fill_null(0)
    return known, known & one_touch & (reopens == 0)


def _flag(t, metric: str):
    if metric == "fcr":
        return _first_contact(t)[1]
    if metric == "reopen_rate":
        return _column(t, "reopens", "int64").fill_null(0) >= 1
    return None


def _open_records(request: Any, t, age: str | None):
    """Tickets open at the window's end (at the data's end without one): created by then
    and not solved by then, as the backlog counts them; ``age`` keeps one age bucket."""
    import ibis

    _, upper = request.window_bounds()
    solved_by_then = _solved_now(t)
    t = t.filter(t.created_at_local.notnull())
    if upper is not None:
        t = t.filter(t.created_at_local < upper)
        solved_by_then = solved_by_then & (_solve_at(t) < upper)
    t = t.filter(~solved_by_then)
    reference = upper if upper is not None else request.end_literal()
    days = (reference.epoch_seconds() - t.created_at_local.epoch_seconds()) / 86400
    t = t.mutate(placed_at=t.created_at_local, credited_agent=ibis.null("string"), age_days=days)
    t = request.narrow(t.mutate(**_groups(request, t, None)))
    if age is not None:
        low, high = AGE_BUCKETS[age]
        t = t.filter(t.age_days >= low)
        if high is not None:
            t = t.filter(t.age_days < high)
    return _shown(t, age_days=t.age_days)


def _clock_records(request: Any, t, metric: str):
    """The SLA clocks of ``metric`` that fell due in the window, one row per clock."""
    if not request.has_table("sla_clocks"):
        return _first_response_due(request, t)
    clocks = request.table("sla_clocks")
    clocks = clocks.filter(clocks.fell_due & (clocks.metric == CLOCKS[metric][0]))
    clocks = clocks.select(s_ticket_id=clocks.ticket_id, s_clock_no=clocks.clock_no,
                           s_due=clocks.due_at_local, s_state=clocks.state)  # fmt: skip
    t = t.join(clocks, t.ticket_id == clocks.s_ticket_id)
    t = t.mutate(placed_at=t.s_due, credited_agent=_column(t, "agent_id", "string"))
    t = request.prepare(t, t.placed_at, _groups(request, t, None))
    return _shown(t, clock_no=t.s_clock_no, state=t.s_state)


def _first_response_due(request: Any, t):
    """Without ``sla_clocks``: tickets whose first-response target fell due (calendar time),
    met when answered or first solved within it, as ``metrics.sla`` counts them."""
    import ibis

    from cxlens.metrics.sla import first_response_targets

    target = first_response_targets(request.settings, t.priority)
    t = t.filter(t.created_at_local <= request.end_literal() - target.as_interval("m"))
    target = first_response_targets(request.settings, t.priority)
    met = (t.first_response_min <= target).fill_null(False)
    if "first_resolution_min" in t.columns:
        met = met | (t.first_resolution_min <= target).fill_null(False)
    due = t.created_at_local + target.as_interval("m")
    t = t.mutate(placed_at=due, credited_agent=ibis.null("string"),
                 s_state=ibis.ifelse(met, "met", "breached"))  # fmt: skip
    t = request.prepare(t, t.placed_at, _groups(request, t, None))
    return _shown(t, state=t.s_state)


def _shown(t, *, flag=None, age_days=None, clock_no=None, state=None):
    """The columns the list shows, in a fixed shape whatever the KPI."""
    import ibis

    return t.select(
        ticket_id=t.ticket_id.cast("string"),
        created_at_local=t.created_at_local,
        channel=_column(t, "channel", "string"),
        category=_column(t, "category", "string"),
        priority=_column(t, "priority", "string"),
        team=_column(t, "team", "string"),
        agent_id=_column(t, "agent_id", "string"),
        status=_column(t, "status", "string"),
        first_response_min=_column(t, "first_response_min", "float64"),
        resolution_min=_column(t, "resolution_min", "float64"),
        reopens=_column(t, "reopens", "int64"),
        placed_at=t.placed_at,
        credited_agent=t.credited_agent,
        flag=ibis.null("boolean") if flag is None else flag,
        age_days=ibis.null("float64") if age_days is None else age_days,
        clock_no=ibis.null("int64") if clock_no is None else clock_no.cast("int64"),
        state=ibis.null("string") if state is None else state,
    )


def _with_csat(request: Any, records):
    """``records`` with the ticket's CSAT score (its latest CSAT response), if any."""
    import ibis

    if not request.has_table("survey_responses"):
        return records.mutate(csat=ibis.null("float64"))
    s = request.table("survey_responses")
    s = s.filter((s.kind == "csat") & s.ticket_id.notnull())
    latest = s.group_by(r_ticket_id=s.ticket_id.cast("string")).aggregate(
        csat=s.score.cast("float64").argmax(s.responded_at_local)
    )
    joined = records.left_join(latest, records.ticket_id == latest.r_ticket_id)
    return joined.drop("r_ticket_id").order_by(
        [joined.created_at_local.desc(), joined.ticket_id.desc(), joined.clock_no.asc()]
    )


def _agent_names(request: Any) -> dict[str, str]:
    from cxlens.metrics.request import loaded_tables

    if "agents" not in loaded_tables(request.backend):
        return {}
    agents = request.table("agents")
    named = (
        agents.filter(agents.name.notnull()).group_by("agent_id").aggregate(name=agents.name.max())
    )
    frame = request.execute(named)
    return dict(zip(frame["agent_id"].astype(str), frame["name"].astype(str), strict=True))


def _ages(request: Any) -> dict[str, int]:
    """Open tickets at the window's end per age bucket."""
    import ibis

    t = records_behind(request, "backlog")
    cases = [
        ((t.age_days >= low) & (t.age_days < high) if high is not None else t.age_days >= low,
         key)
        for key, (low, high) in AGE_BUCKETS.items()
    ]  # fmt: skip
    bucketed = t.mutate(bucket=ibis.cases(*cases, else_=ibis.null("string")))
    frame = request.execute(bucketed.group_by("bucket").aggregate(n=bucketed.count()))
    counts = dict(zip(frame["bucket"], frame["n"].astype(int), strict=True))
    return {key: int(counts.get(key, 0)) for key in AGE_BUCKETS}


def _breakdown(request: Any) -> dict[str, pd.DataFrame]:
    """Tickets created in the window under the filters, by channel and by category."""
    t = records_behind(request, "tickets")
    out = {}
    for dimension in ("channel", "category"):
        grouped = t.group_by(value=t[dimension]).aggregate(n=t.count())
        out[dimension] = request.execute(grouped.order_by([grouped.n.desc(), grouped.value]))
    return out


def _clock_list(request: Any, which: str) -> dict[str, Any]:
    """Breached clocks due in the window, or running clocks due within ``SOON_HOURS`` of
    the data's end (any window): their count and the first ``SLA_LISTED``, soonest due
    first for the latter, latest due first for the former."""
    import ibis

    t = _tickets(request)
    clocks = request.table("sla_clocks")
    if which == "breached":
        clocks = clocks.filter(clocks.fell_due & (clocks.state == "breached"))
    else:
        end = _clock_end(request)
        soon = ibis.literal(end + timedelta(hours=SOON_HOURS), type="timestamp")
        clocks = clocks.filter(
            (clocks.state == "running") & (clocks.due_at_local > ibis.literal(end))
            & (clocks.due_at_local <= soon)
        )  # fmt: skip
    clocks = clocks.select(s_ticket_id=clocks.ticket_id, s_metric=clocks.metric,
                           s_due=clocks.due_at_local, s_priority=clocks.priority)  # fmt: skip
    t = t.join(clocks, t.ticket_id == clocks.s_ticket_id)
    groups = _groups(request, t, None)
    if which == "breached":
        t = request.prepare(t, t.s_due, groups)
    else:
        t = request.narrow(t.mutate(**groups))
    listed = t.select(ticket_id=t.ticket_id.cast("string"), target=t.s_metric, due=t.s_due,
                      priority=t.s_priority, agent_id=_column(t, "agent_id", "string"))  # fmt: skip
    order = listed.due.desc() if which == "breached" else listed.due.asc()
    total = int(request.execute(listed.aggregate(n=listed.count()))["n"].iloc[0])
    rows = request.execute(listed.order_by([order, listed.ticket_id]).limit(SLA_LISTED))
    return {"total": total, "rows": rows}


def _clock_end(request: Any):
    """The data's end as the clean step judged the clocks: the latest ticket or event time."""
    from cxlens.metrics.request import EVENT_TIMES

    latest = []
    for name in ("tickets", "ticket_events"):
        if not request.has_table(name):
            continue
        table = request.table(name)
        columns = [c for c in EVENT_TIMES[name] if c in table.columns]
        frame = request.execute(table.aggregate(**{c: table[c].max() for c in columns}))
        latest += [pd.Timestamp(v) for v in frame.iloc[0] if pd.notna(v)]
    return max(latest).to_pydatetime()


def _kpis(access: Any, filters: Filters, metric: str) -> pd.DataFrame:
    """The asked KPI and the SLA KPIs under the same filters and window."""
    from cxlens.metrics.compute import kpi_session

    with access.lock, kpi_session(access.warehouse, access.settings) as compute:
        return compute(
            (),
            sorted({metric} | SLA_IDS),
            filters=filters.chosen,
            window=filters.window,
        )


# --- the view -----------------------------------------------------------------------------

COLUMN_KEYS = ("ticket_id", "created", "channel", "category", "priority", "team", "agent",
               "status", "first_response_min", "resolution_min", "reopens", "csat")  # fmt: skip


def _extra_columns(metric: str) -> tuple[str, ...]:
    """The columns a KPI's records add to the list: when placed, whom credited, the flag."""
    if metric in SLA_IDS:
        return ("clock_no", "due", "state")
    if metric == "backlog":
        return ("age_days",)
    extra: tuple[str, ...] = ()
    if metric in SOLVED_NEEDS:
        extra += ("solved",)
    if metric == "first_resolution_median_min":
        extra += ("first_solved",)
    if metric in CREDIT:
        extra += ("credited_agent",)
    if metric in ("fcr", "reopen_rate"):
        extra += (metric,)
    return extra


def _table(rows: pd.DataFrame, metric: str, names: dict[str, str], lang: str) -> dict[str, Any]:
    """The list as ``{"columns", "keys", "rows"}``: display values, headers in ``lang``."""
    keys = COLUMN_KEYS + _extra_columns(metric)
    columns = [word(f"tickets_col_{key}", lang) for key in keys]
    if rows.empty:
        return {"columns": columns, "keys": list(keys), "rows": []}
    shown = {
        "ticket_id": rows["ticket_id"],
        "created": _times(rows["created_at_local"]),
        "channel": _coded(rows["channel"], lambda v: dimension_value("channel", v, lang)),
        "category": rows["category"],
        "priority": _coded(rows["priority"], lambda v: code_name("priority", v, lang)),
        "team": rows["team"],
        "agent": _agents(rows["agent_id"], names),
        "status": _coded(rows["status"], lambda v: code_name("status", v, lang)),
        "first_response_min": rows["first_response_min"].round(1),
        "resolution_min": rows["resolution_min"].round(1),
        "reopens": rows["reopens"],
        "csat": rows["csat"],
        "clock_no": rows["clock_no"],
        "due": _times(rows["placed_at"]),
        "state": _coded(rows["state"], lambda v: word(f"sla_state_{v}", lang)),
        "age_days": rows["age_days"].round(1),
        "solved": _times(rows["placed_at"]),
        "first_solved": _times(rows["placed_at"]),
        "credited_agent": _agents(rows["credited_agent"], names),
        "fcr": _coded(rows["flag"], lambda v: yes_no(v, lang)),
        "reopen_rate": _coded(rows["flag"], lambda v: yes_no(v, lang)),
    }
    frame = pd.DataFrame({key: shown[key] for key in keys}).astype(object)
    frame = frame.where(frame.notna(), None)
    return {"columns": columns, "keys": list(keys), "rows": _plain_rows(frame)}


def _plain_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of JSON-ready values (numpy numbers as Python numbers)."""
    return [[v.item() if hasattr(v, "item") else v for v in row] for row in frame.to_numpy()]


def _times(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column).dt.strftime("%Y-%m-%d %H:%M")


def _coded(column: pd.Series, name) -> pd.Series:
    """Display names of a coded column, looked up once per distinct value."""
    present = column.dropna().unique()
    return column.map({value: name(value) for value in present})


def _agents(column: pd.Series, names: dict[str, str]) -> pd.Series:
    """ "name (id)" where the agents table names the agent, else the id."""
    named = column.map(names).astype("string")  # all missing when no agent is named
    labelled = named + " (" + column.astype("string") + ")"
    return labelled.astype(object).where(named.notna(), column)


def _check(
    metric: str,
    kpis: pd.DataFrame,
    listed: int,
    age: str | None,
    lang: str,
    *,
    narrowed: bool = False,
) -> dict:
    """The KPI's value and n beside the number of records listed (no agreement to claim
    when an age bucket or one ticket narrows the list)."""
    row = kpis[kpis["metric"] == metric]
    value = n = None
    if len(row):
        value = _number(row["value"].iloc[0])
        n = int(row["n"].iloc[0])
    return {
        "metric": metric,
        "name": kpi_name(metric, lang),
        "value": value,
        "n": n,
        "listed": listed,
        "agrees": None if age is not None or narrowed or n is None else n == listed,
        "age": age,
    }


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


def _paging(filters: Filters, choice: Choice, total: int) -> dict[str, Any]:
    pages = max(1, -(-total // PAGE_SIZE))
    keep = choice.params()

    def link(page: int) -> str | None:
        if not 1 <= page <= pages or page == choice.page:
            return None
        return f"/tickets?{filters.query(**keep, page=page)}"

    return {"previous": link(choice.page - 1), "next": link(choice.page + 1),
            "export_extra": _export_extra(keep)}  # fmt: skip


def _export_extra(keep: dict[str, Any]) -> str:
    params = [(k, v) for k, v in keep.items() if v is not None]
    return f"&{urlencode(params)}" if params else ""


def _sla_section(sections: dict, kpis: pd.DataFrame, filters: Filters, lang: str) -> dict | None:
    """Met share per target with n and interval; breached and soon-due clocks."""
    if sections["breached"] is None and not (kpis["metric"].isin(SLA_IDS)).any():
        return None
    targets = []
    for metric in ("sla_first_response", "sla_next_response", "sla_resolution"):
        row = kpis[kpis["metric"] == metric]
        if not len(row):
            continue
        targets.append({
            "metric": metric,
            "name": kpi_name(metric, lang),
            "value": _number(row["value"].iloc[0]),
            "n": int(row["n"].iloc[0]),
            "ci_low": _number(row["ci_low"].iloc[0]),
            "ci_high": _number(row["ci_high"].iloc[0]),
            "link": f"/tickets?{filters.query(metric=metric, age=None, page=None)}",
        })  # fmt: skip
    return {
        "targets": targets,
        "breached": _clocks_shown(sections["breached"], sections["names"], lang),
        "soon": _clocks_shown(sections["soon"], sections["names"], lang),
        "soon_hours": SOON_HOURS,
    }


def _clocks_shown(listed: dict | None, names: dict[str, str], lang: str) -> dict | None:
    if listed is None:
        return None
    rows = listed["rows"]
    frame = pd.DataFrame({
        "ticket_id": rows["ticket_id"],
        "target": _coded(rows["target"], lambda v: word(f"sla_target_{v}", lang)),
        "due": _times(rows["due"]),
        "priority": _coded(rows["priority"], lambda v: code_name("priority", v, lang)),
        "agent": _agents(rows["agent_id"], names),
    }).astype(object)  # fmt: skip
    frame = frame.where(frame.notna(), None)
    return {"total": listed["total"], "shown": len(frame), "rows": _plain_rows(frame)}


def _ageing_section(ages: dict[str, int], filters: Filters, lang: str) -> dict[str, Any]:
    """Open tickets at the window's end by age, each bucket linked to its tickets."""
    buckets = [
        {
            "age": key,
            "label": word(f"age_{key}", lang),
            "n": ages.get(key, 0),
            "link": f"/tickets?{filters.query(metric='backlog', age=key, page=None)}",
        }
        for key in AGE_BUCKETS
    ]
    figure = _bar_figure(
        [b["label"] for b in buckets],
        [b["n"] for b in buckets],
        [b["link"] for b in buckets],
        word("backlog_ageing_heading", lang),
    )
    return {"buckets": buckets, "total": sum(ages.values()), "figure": figure}


def _breakdown_section(frames: dict, filters: Filters, lang: str) -> list[dict[str, Any]]:
    """Tickets by channel and by category; each bar links to the list filtered to it."""
    sections = []
    for dimension, frame in frames.items():
        frame = frame.head(CATEGORIES_CHARTED)
        values = frame["value"].astype(object).where(frame["value"].notna(), None).tolist()
        labels = [dimension_value(dimension, value, lang) for value in values]
        links = [
            None if value is None
            else f"/tickets?{filters.query(**{dimension: value}, metric=None, age=None, page=None)}"
            for value in values
        ]  # fmt: skip
        counts = [int(n) for n in frame["n"]]
        title = word(f"tickets_by_{dimension}", lang)
        sections.append({
            "dimension": dimension,
            "title": title,
            "bars": [{"label": lb, "value": v, "n": n, "link": lk}
                     for lb, v, n, lk in zip(labels, values, counts, links, strict=True)],
            "figure": _bar_figure(labels, counts, links, title),
        })  # fmt: skip
    return sections


def _bar_figure(labels: list[str], counts: list[int], links: list, title: str) -> dict:
    """A Plotly bar chart whose bars follow ``links`` when clicked (static/app.js)."""
    return {
        "data": [{"type": "bar", "x": labels, "y": counts, "marker": {"color": "#2557a7"},
                  "hovertemplate": "%{x}: %{y}<extra></extra>"}],
        "layout": {"title": {"text": title}, "height": 280,
                   "margin": {"l": 40, "r": 10, "t": 40, "b": 80}},
        "links": [links],
    }  # fmt: skip
