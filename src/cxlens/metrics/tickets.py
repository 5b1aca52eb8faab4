"""Ticket KPIs: volume, backlog, response and resolution times, FCR, reopens, answer rate
and first-response SLA.

Merged tickets are left out of every ticket KPI (case RS-3). A ticket is *solved*
when the clean step marks it so (``is_solved``, i.e. its current status is solved or
closed); its solve time is ``solved_at_local``, the latest solve. Resolutions count
tickets that are solved now (case RS-1: solved 5 Jan, reopened 6 Jan, still open on
10 Jan counts no resolution over 1–10 Jan). A solved ticket whose solve time is
missing or before its creation is taken as solved at its creation.

Each period basis (created, solved, first solved, target due) is one grouped
aggregation that computes every KPI on that basis at once.
"""

from __future__ import annotations

import logging

from cxlens.metrics import rows
from cxlens.metrics.sla import SLA_IDS, sla_rows

log = logging.getLogger(__name__)

CREATED = {
    "tickets",
    "first_response_median_min",
    "first_response_p90_min",
    "first_response_mean_min",
    "first_response_business_median_min",
    "first_response_business_p90_min",
    "first_response_business_mean_min",
    "first_any_response_median_min",
    "answer_rate",
}
SOLVED = {
    "resolution_median_min",
    "resolution_p90_min",
    "resolution_mean_min",
    "resolution_business_median_min",
    "resolution_business_p90_min",
    "resolution_business_mean_min",
    "fcr",
    "reopen_rate",
}
FAMILY = CREATED | SOLVED | {"backlog", "first_resolution_median_min"} | SLA_IDS
# By agent, these KPIs credit the agent of the first reply (first response) or of the solve
# (resolution, FCR, reopens); the rest credit the assignee (docs/kpis.md, "Attribution").
CREDITS = {m for m in CREATED if m.startswith("first_response_")} | SOLVED
CREDITED = "credited_agent_id"
# The duration KPIs: catalogue stem → (measure prefix, minutes column).
CREATED_DURATIONS = {
    "first_response": ("fr", "first_response_min"),
    "first_response_business": ("frb", "first_response_business_min"),
    "first_any_response": ("fa", "first_any_response_min"),
}
SOLVED_DURATIONS = {
    "resolution": ("res", "resolution_min"),
    "resolution_business": ("resb", "resolution_business_min"),
}


def ticket_rows(request, wanted: set[str]) -> list:
    """KPI rows of the ticket family for the wanted ids the data supports."""
    wanted = wanted & FAMILY
    if not wanted:
        return []
    base = unmerged_tickets(request)
    out: list = []
    created = solved = None
    if wanted & (CREATED | {"backlog"}):
        responder = _credited(request, base, "first_response_agent_id")
        created, more = _basis(request, base, responder, wanted, CREATED, _created, _created_rows)
        out += more
    if wanted & (SOLVED | {"backlog"}):
        solver = _credited(request, base, "solved_by_agent_id")
        solved, more = _basis(request, base, solver, wanted, SOLVED, _solved, _solved_rows)
        out += more
    if "backlog" in wanted:
        out.append(_backlog_rows(request, base, created, solved))
    if "first_resolution_median_min" in wanted:
        first_solver = _credited(request, base, "first_solved_by_agent_id")
        out.append(_first_resolution(request, base if first_solver is None else first_solver))
    if wanted & SLA_IDS:
        out += sla_rows(request, base, wanted & SLA_IDS, _prepare)
    return out


def unmerged_tickets(request, columns=None):
    """Unmerged tickets, joined to their customer's segment (``c_segment``) where segments
    are grouped or filtered: the tickets every ticket KPI (and the dashboard's list of the
    records behind one) starts from. ``columns`` keeps only those ticket columns (less
    for Ibis to compile).

    Each query adds its period and ``g_<dimension>`` columns in one step
    (``_prepare``), so the compiled SQL is one flat select per query: less for Ibis to
    compile and for DuckDB to plan.
    """
    t = request.table("tickets")
    if columns is not None:
        t = t.select(*(c for c in t.columns if c in columns))
    if "is_merged" in t.columns:
        t = t.filter(~t.is_merged.fill_null(False))
    if request.has("customers.segment") and request.uses("segment"):
        customers = request.table("customers")
        segments = customers.select(
            c_customer_id=customers.customer_id, c_segment=customers.segment
        )
        t = t.left_join(segments, t.customer_id == segments.c_customer_id)
    return t


def _prepare(request, t, period_time):
    """``t`` with the period of ``period_time`` and the group columns."""
    return request.prepare(t, period_time, _groups(request, t))


def _solved_now(t):
    """Solved now (the clean step's flag, else a solve time) and placed in time."""
    solved_flag = t.solved_at_local.notnull()
    if "is_solved" in t.columns:
        solved_flag = t.is_solved.fill_null(solved_flag)
    return solved_flag & (t.created_at_local.notnull() | t.solved_at_local.notnull())


def _solve_at(t):
    """The solve time of a solved ticket: its latest solve, or its creation when that is
    missing or earlier (read only on tickets solved now)."""
    import ibis

    created = t.created_at_local
    return ibis.greatest(t.solved_at_local.fill_null(created), created)


def _credited(request, t, column: str):
    """``t`` with ``CREDITED`` = ``column``, where the agent dimension is grouped or
    filtered and the cleaned tickets have that attribution column; else None (the
    assignee is credited)."""
    if not request.uses("agent") or column not in t.columns:
        return None
    return t.mutate(**{CREDITED: t[column]})


def _basis(request, base, credited, wanted, ids, compute, to_rows):
    """The frame and rows of one period basis (created or solved).

    Without ``credited`` one query serves every KPI. With it, the KPIs of ``CREDITS``
    among ``ids`` are grouped by the credited agent in a second query, and the first
    query, grouped by the assignee, serves the rest and the backlog's flows.
    """
    if credited is None:
        frame = compute(request, base, wanted)
        return frame, to_rows(request, frame, wanted)
    own, theirs = wanted - CREDITS, wanted & CREDITS & ids
    frame = compute(request, base, own) if own & (ids | {"backlog"}) else None
    out = [] if frame is None else to_rows(request, frame, own)
    if theirs:
        out += to_rows(request, compute(request, credited, theirs), theirs)
    return frame, out


def _groups(request, t) -> dict:
    """The ``g_<dimension>`` columns of the grouped and filtered dimensions; ``agent`` is
    the credited agent where ``t`` has one."""
    import ibis

    source = {
        "channel": "channel",
        "category": "category",
        "priority": "priority",
        "agent": CREDITED if CREDITED in t.columns else "agent_id",
        "team": "team",
        "segment": "c_segment",
    }
    groups = {}
    for dimension in request.used:
        column = source[dimension]
        value = t[column] if column in t.columns else ibis.null("string")
        groups[f"g_{dimension}"] = value.cast("string")
    return groups


def _created(request, t, wanted):
    t = _prepare(request, t, t.created_at_local)
    measures = {"tickets": t.count()}
    measures.update(_family_durations(CREATED_DURATIONS, t, wanted))
    if "answer_rate" in wanted:
        measures.update(calls=t.answered.count(), answered=t.answered.ifelse(1, 0).sum())
    return request.run(t, **measures)


def _family_durations(durations: dict, t, wanted) -> dict:
    """The measures of every duration KPI of a period basis whose column ``t`` has."""
    measures = {}
    for stem, (prefix, column) in durations.items():
        if column in t.columns:
            measures.update(_duration_measures(stem, prefix, t[column], wanted))
    return measures


def _duration_rows(durations: dict, frame, keys, wanted) -> list:
    """KPI rows of the duration measures ``_family_durations`` made."""
    out = []
    for stem, (prefix, _) in durations.items():
        if f"{prefix}_n" in frame:
            out += rows.durations(stem, frame, keys, prefix, _stats(stem, wanted))
    return out


def _stats(stem: str, wanted) -> tuple[str, ...]:
    """The duration statistics asked for of ``<stem>_<stat>_min``, in catalogue order."""
    return tuple(s for s in ("median", "p90", "mean") if f"{stem}_{s}_min" in wanted)


def _duration_measures(stem: str, prefix: str, minutes, wanted) -> dict:
    """Count, and the mean and quantiles asked for, of one duration column.

    The median and 90th percentile come from one sort of the values (one
    multi-quantile); ``rows.durations`` takes the pair apart.
    """
    stats = _stats(stem, wanted)
    if not stats:
        return {}
    measures = {f"{prefix}_n": minutes.count()}
    if "mean" in stats:
        measures[f"{prefix}_mean"] = minutes.mean()
    if {"median", "p90"} & set(stats):
        measures[f"{prefix}_quantiles"] = minutes.quantile([0.5, 0.9])
    return measures


def _created_rows(request, frame, wanted) -> list:
    keys = request.keys
    out = []
    if "tickets" in wanted:
        out.append(rows.count("tickets", frame, keys, "tickets"))
    out += _duration_rows(CREATED_DURATIONS, frame, keys, wanted)
    if "answer_rate" in wanted:
        out.append(rows.rate("answer_rate", frame, keys, "answered", "calls"))
    return out


def _solved(request, t, wanted):
    t = t.filter(_solved_now(t))
    t = _prepare(request, t, _solve_at(t))
    reopens = t.reopens.fill_null(0) if "reopens" in t.columns else None
    measures = {"solved": t.count()}
    measures.update(_family_durations(SOLVED_DURATIONS, t, wanted))
    if "fcr" in wanted:
        known, one_touch = _one_touch(t)
        first_contact = (
            known & one_touch.fill_null(False) & (reopens == 0 if reopens is not None else True)
        )
        measures.update(fcr_n=known.ifelse(1, 0).sum(), fcr_k=first_contact.ifelse(1, 0).sum())
    if "reopen_rate" in wanted:
        measures.update(reopened=(reopens >= 1).ifelse(1, 0).sum())
    return request.run(t, **measures)


def _one_touch(t):
    """Whether replies or contacts are known, and whether there was at most one.

    Customer contacts decide where an export gives them; agent replies otherwise.
    """
    import ibis

    contacts = t.customer_contacts if "customer_contacts" in t.columns else ibis.null("int64")
    replies = t.agent_replies if "agent_replies" in t.columns else ibis.null("int64")
    known = contacts.notnull() | replies.notnull()
    one_touch = ibis.ifelse(contacts.notnull(), contacts <= 1, replies <= 1)
    return known, one_touch


def _solved_rows(request, frame, wanted) -> list:
    keys = request.keys
    out = _duration_rows(SOLVED_DURATIONS, frame, keys, wanted)
    if "fcr" in wanted:
        out.append(rows.rate("fcr", frame, keys, "fcr_k", "fcr_n"))
    if "reopen_rate" in wanted:
        out.append(rows.rate("reopen_rate", frame, keys, "reopened", "solved"))
    return out


def _backlog_rows(request, base, created, solved):
    """Backlog rows: from the flows already computed, unless the window opens later.

    The backlog is a stock: tickets created before the window and still open count. So
    with a window's first day the flows are counted again from the data's start to the
    window's end; the periods before the window leave the output with the grid.
    """
    stock = request.from_the_start()
    if stock is not request:
        created = _created(stock, base, {"backlog"})
        solved = _solved(stock, base, {"backlog"})
    return _backlog(stock, created, solved)


def _backlog(request, created, solved):
    """Open tickets at each period's end: all created by then minus all solved by then.

    Running totals over a groups × periods matrix in numpy (no loop over groups or
    periods); every grid period of every group seen gets a row.
    """
    import numpy as np
    import pandas as pd

    keys, groups = request.keys, request.group_columns
    flows = pd.concat(
        [
            created[keys].assign(opened=created["tickets"].to_numpy(float), closed=0.0),
            solved[keys].assign(opened=0.0, closed=solved["solved"].to_numpy(float)),
        ],
        ignore_index=True,
    )
    flows = flows[flows["period"].notna()]
    labels = np.array(sorted(set(request.grid()) | set(flows["period"])), dtype=object)
    where = np.searchsorted(labels, flows["period"].to_numpy(dtype=object))
    if groups:
        group = flows.groupby(groups, sort=False).ngroup().to_numpy()
        members = flows[groups].drop_duplicates()  # in ngroup's order (first seen)
    else:
        group, members = np.zeros(len(flows), dtype=int), pd.DataFrame(index=[0])
    shape = (len(members), len(labels))
    opened, closed = np.zeros(shape), np.zeros(shape)
    np.add.at(opened, (group, where), flows["opened"].to_numpy())
    np.add.at(closed, (group, where), flows["closed"].to_numpy())
    created_by_then = opened.cumsum(axis=1)
    grid = members.loc[members.index.repeat(len(labels))].reset_index(drop=True)
    grid["period"] = np.tile(labels, len(members))
    grid["open"] = (created_by_then - closed.cumsum(axis=1)).ravel()
    # before a group's first ticket the backlog is unknown (null), not 0
    return rows.count("backlog", grid, keys, "open", defined=created_by_then.ravel() > 0)


def _first_resolution(request, t):
    t = t.filter(t.first_solved_at_local.notnull())
    t = _prepare(request, t, t.first_solved_at_local)
    minutes = t.first_resolution_min
    frame = request.run(
        t,
        fres_n=minutes.count(),
        fres_median=minutes.quantile(0.5),
    )
    return rows.durations("first_resolution", frame, request.keys, "fres", ("median",))[0]
