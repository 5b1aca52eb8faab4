"""SLA compliance from the ``sla_clocks`` table the clean step builds.

``sla_first_response``, ``sla_next_response`` and ``sla_resolution`` are clocks met /
clocks whose target fell due, each clock placed in the period of its due time (local).
A clock counts once its due time is at or before the data's end (``fell_due``): a
target that falls due later is not judged yet, and a period in which no target fell
due has no value, never 100 % (case SL-4). Targets, business hours, pauses and what
stops each clock are the clean step's (``cxlens.clean.sla``); all three KPIs come from
one grouped aggregation.

A warehouse without ``sla_clocks`` (tables written by hand or cleaned by an earlier
version) gets ``sla_first_response`` from the ticket columns, in calendar time: a
ticket meets its target when answered or first solved within it.
"""

from __future__ import annotations

import logging

from cxlens.clean.sla import DEFAULT_FIRST_RESPONSE, sla_targets
from cxlens.metrics import rows
from cxlens.settings import parse_duration

__all__ = ["SLA_IDS", "first_response_targets", "parse_duration", "sla_rows", "target_minutes"]

log = logging.getLogger(__name__)

SLA_IDS = {"sla_first_response", "sla_next_response", "sla_resolution"}
# KPI id → (clock metric in sla_clocks, measure prefix)
CLOCKS = {
    "sla_first_response": ("first_response", "slafr"),
    "sla_next_response": ("next_response", "slanr"),
    "sla_resolution": ("resolution", "slars"),
}


def sla_rows(request, base, wanted: set[str], prepare) -> list:
    """KPI rows of the wanted SLA ids over the unmerged tickets ``base``.

    ``prepare(request, t, period_time)`` adds the period and group columns (the ticket
    family's own, so SLA rows split by the same dimensions as every ticket KPI).
    """
    if not request.has_table("sla_clocks"):
        return (
            [_first_response_from_tickets(request, base, prepare)]
            if ("sla_first_response" in wanted)
            else []
        )
    clocks = request.table("sla_clocks")
    metrics = [CLOCKS[kpi][0] for kpi in sorted(wanted)]
    clocks = clocks.filter(clocks.fell_due & clocks.metric.isin(metrics))
    clocks = clocks.select(
        s_ticket_id=clocks.ticket_id,
        s_metric=clocks.metric,
        s_due=clocks.due_at_local,
        s_met=clocks.state == "met",
    )
    t = base.join(clocks, base.ticket_id == clocks.s_ticket_id)
    t = prepare(request, t, t.s_due)
    measures = {}
    for kpi in wanted:
        metric, prefix = CLOCKS[kpi]
        mine = t.s_metric == metric
        measures[f"{prefix}_n"] = mine.ifelse(1, 0).sum()
        measures[f"{prefix}_met"] = (mine & t.s_met).ifelse(1, 0).sum()
    frame = request.run(t, **measures)
    return [
        rows.rate(kpi, frame, request.keys, f"{CLOCKS[kpi][1]}_met", f"{CLOCKS[kpi][1]}_n")
        for kpi in sorted(wanted)
    ]


def target_minutes(settings) -> tuple[int, dict[str, int]]:
    """The default first-response target and the per-priority overrides, in minutes."""
    default, overrides = None, {}
    for target in sla_targets(settings):
        if target.metric != "first_response":
            continue
        if target.priority is None:
            default = target.minutes
        else:
            overrides[target.priority] = target.minutes
    if default is None:
        default = parse_duration(DEFAULT_FIRST_RESPONSE)
    return default, overrides


def first_response_targets(settings, priority):
    """An Ibis integer expression: each ticket's first-response target in minutes."""
    import ibis

    default, overrides = target_minutes(settings)
    if not overrides:
        return ibis.literal(default, type="int64")
    key = priority.lower()
    cases = [(key == name, minutes) for name, minutes in overrides.items()]
    return ibis.cases(*cases, else_=default).cast("int64")


def _first_response_from_tickets(request, t, prepare):
    """First-response SLA from ticket columns, in calendar time (no ``sla_clocks``).

    Only targets that fell due by the data's end count, answered or not.
    """
    if any(target.business for target in sla_targets(request.settings)):
        log.warning(
            "sla_first_response: this warehouse has no sla_clocks table, so its targets "
            "run in calendar time; run `cxlens run` (or clean again) for business hours"
        )
    target = first_response_targets(request.settings, t.priority)
    # due = created + target ≤ end, written so that the filter adds nothing per row
    t = t.filter(t.created_at_local <= request.end_literal() - target.as_interval("m"))
    target = first_response_targets(request.settings, t.priority)
    t = prepare(request, t, t.created_at_local + target.as_interval("m"))
    met = (t.first_response_min <= target).fill_null(False)
    if "first_resolution_min" in t.columns:
        met = met | (t.first_resolution_min <= target).fill_null(False)
    frame = request.run(t, sla_n=t.count(), sla_met=met.ifelse(1, 0).sum())
    return rows.rate("sla_first_response", frame, request.keys, "sla_met", "sla_n")
