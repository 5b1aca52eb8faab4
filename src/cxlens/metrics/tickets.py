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
from cxlens.metrics.sla import first_response_targets

log = logging.getLogger(__name__)

CREATED = {
    "tickets",
    "first_response_median_min",
    "first_response_p90_min",
    "first_response_mean_min",
    "answer_rate",
}
SOLVED = {
    "resolution_median_min",
    "resolution_p90_min",
    "resolution_mean_min",
    "fcr",
    "reopen_rate",
}
FAMILY = CREATED | SOLVED | {"backlog", "first_resolution_median_min", "sla_first_response"}


def ticket_rows(request, wanted: set[str]) -> list:
    """KPI rows of the ticket family for the wanted ids the data supports."""
    wanted = wanted & FAMILY
    if not wanted:
        return []
    base = _base(request)
    out: list = []
    created = solved = None
    if wanted & (CREATED | {"backlog"}):
        created = _created(request, base, wanted)
        out += _created_rows(request, created, wanted)
    if wanted & (SOLVED | {"backlog"}):
        solved = _solved(request, base, wanted)
        out += _solved_rows(request, solved, wanted)
    if "backlog" in wanted:
        out.append(_backlog(request, created, solved))
    if "first_resolution_median_min" in wanted:
        out.append(_first_resolution(request, base))
    if "sla_first_response" in wanted:
        out.append(_sla(request, base))
    return out


# The ticket columns the KPIs read (besides the dimensions'); the rest are never scanned.
READS = (
    "created_at_local",
    "solved_at_local",
    "first_solved_at_local",
    "first_response_min",
    "resolution_min",
    "first_resolution_min",
    "reopens",
    "agent_replies",
    "customer_contacts",
    "answered",
    "priority",
)


def _base(request):
    """Unmerged tickets with their solve time and ``g_<dimension>`` group columns.

    Only the columns the ticket KPIs read are kept, in one projection, so that every
    query scans and compiles as little as it can.
    """
    import ibis

    t = request.table("tickets")
    if "is_merged" in t.columns:
        t = t.filter(~t.is_merged.fill_null(False))
    if request.has("customers.segment") and "segment" in request.dimensions:
        customers = request.table("customers")
        segments = customers.select(
            c_customer_id=customers.customer_id, c_segment=customers.segment
        )
        t = t.left_join(segments, t.customer_id == segments.c_customer_id)
    solved_flag = t.solved_at_local.notnull()
    if "is_solved" in t.columns:
        solved_flag = t.is_solved.fill_null(solved_flag)
    created = t.created_at_local
    # solved now and placed in time (a plain flag is cheaper to filter on than solve_at)
    solved_now = solved_flag & (created.notnull() | t.solved_at_local.notnull())
    solve_at = ibis.greatest(t.solved_at_local.fill_null(created), created)
    groups = _groups(request, t)
    kept = [c for c in READS if c in t.columns]
    t = t.select(
        *kept,
        solved_now=solved_now,
        solve_at=ibis.ifelse(solved_now, solve_at, ibis.null("timestamp")),
        **groups,
    )
    return t


def _groups(request, t) -> dict:
    import ibis

    source = {
        "channel": "channel",
        "category": "category",
        "priority": "priority",
        "agent": "agent_id",
        "team": "team",
        "segment": "c_segment",
    }
    groups = {}
    for dimension in request.dimensions:
        column = source[dimension]
        value = t[column] if column in t.columns else ibis.null("string")
        groups[f"g_{dimension}"] = value.cast("string")
    return groups


def _created(request, t, wanted):
    t = request.prepare(t, t.created_at_local)
    measures = {"tickets": t.count()}
    if wanted & {m for m in CREATED if m.startswith("first_response")}:
        minutes = t.first_response_min
        measures.update(fr_n=minutes.count(), fr_mean=minutes.mean(), **_median_p90("fr", minutes))
    if "answer_rate" in wanted:
        measures.update(calls=t.answered.count(), answered=t.answered.ifelse(1, 0).sum())
    return request.run(t, **measures)


def _median_p90(prefix: str, minutes) -> dict:
    """The median and 90th percentile from one sort of the values (one multi-quantile).

    ``rows.durations`` takes the pair apart into ``<prefix>_median`` and ``<prefix>_p90``.
    """
    return {f"{prefix}_quantiles": minutes.quantile([0.5, 0.9])}


def _created_rows(request, frame, wanted) -> list:
    keys = request.keys
    out = []
    if "tickets" in wanted:
        out.append(rows.count("tickets", frame, keys, "tickets"))
    if "fr_n" in frame:
        out += rows.durations("first_response", frame, keys, "fr")
    if "answer_rate" in wanted:
        out.append(rows.rate("answer_rate", frame, keys, "answered", "calls"))
    return out


def _solved(request, t, wanted):
    t = t.filter(t.solved_now)
    t = request.prepare(t, t.solve_at)
    reopens = t.reopens.fill_null(0) if "reopens" in t.columns else None
    measures = {"solved": t.count()}
    if wanted & {"resolution_median_min", "resolution_p90_min", "resolution_mean_min"}:
        minutes = t.resolution_min
        measures.update(
            res_n=minutes.count(), res_mean=minutes.mean(), **_median_p90("res", minutes)
        )
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
    out = []
    if "res_n" in frame:
        out += rows.durations("resolution", frame, keys, "res")
    if "fcr" in wanted:
        out.append(rows.rate("fcr", frame, keys, "fcr_k", "fcr_n"))
    if "reopen_rate" in wanted:
        out.append(rows.rate("reopen_rate", frame, keys, "reopened", "solved"))
    return out


def _backlog(request, created, solved):
    """Open tickets at each period's end: all created by then minus all solved by then."""
    import pandas as pd

    keys = request.keys
    flows = pd.concat(
        [
            created[keys].assign(opened=created["tickets"], closed=0),
            solved[keys].assign(opened=0, closed=solved["solved"]),
        ]
    )
    flows = flows.groupby(keys, as_index=False)[["opened", "closed"]].sum()
    flows = rows.on_grid(flows, request, ["opened", "closed"])
    flow = flows[["opened", "closed"]]
    if request.group_columns:
        flow = flows.groupby(request.group_columns, sort=False)[["opened", "closed"]]
    running = flow.cumsum()
    flows["open"] = running["opened"] - running["closed"]
    flows["created_by_then"] = running["opened"]
    return rows.build("backlog", flows, keys, flows["open"], flows["created_by_then"])


def _first_resolution(request, t):
    t = t.filter(t.first_solved_at_local.notnull())
    t = request.prepare(t, t.first_solved_at_local)
    minutes = t.first_resolution_min
    frame = request.run(
        t,
        fres_n=minutes.count(),
        fres_median=minutes.quantile(0.5),
    )
    return rows.durations("first_resolution", frame, request.keys, "fres", ("median",))[0]


def _sla(request, t):
    """First-response SLA by the period its target falls due (case SL-4)."""
    target = first_response_targets(request.settings, t.priority)
    due = t.created_at_local + target.as_interval("m")
    minutes = t.first_response_min
    t = t.mutate(sla_due=due, sla_target=target)
    t = t.filter(minutes.notnull() | (t.sla_due <= request.end_literal()))
    t = request.prepare(t, t.sla_due)
    met = (t.first_response_min <= t.sla_target).fill_null(False)
    frame = request.run(t, sla_n=t.count(), sla_met=met.ifelse(1, 0).sum())
    return rows.rate("sla_first_response", frame, request.keys, "sla_met", "sla_n")
