"""Survey KPIs: CSAT (share satisfied), CSAT mean, NPS and CES, all by response period.

A response is *valid* when its score is present and lies on its scale
(``scale_min``…``scale_max``, defaulting by kind); for NPS only the integers 0–10
are valid. Unanswered and invalid responses are left out of every figure.

*Satisfied* (CSAT) depends on the number of points on the scale: the top box on 2-
and 3-point scales (Good on Good/Bad, stored 0–1), the top two boxes on 4- to
7-point scales, the top three on 8-point and longer scales (the 10-point case);
``[csat] satisfied_from`` overrides the threshold for the 1–5 scale.

A mean (``csat_mean``, ``ces``) is only a number on one scale: a cell (period and
group) whose valid responses come on more than one scale (Good/Bad 0–1 next to a
1–5 form) gets a null value with its ``n``, and a warning, instead of an average of
unlike numbers. The ``csat`` rate puts every scale on one footing and stays defined.

One grouped aggregation computes all four KPIs. Dimensions: channel is the
response's, else its ticket's; agent is the response's ``agent_id``; category,
priority and team come from the linked ticket; segment from the customer.
"""

from __future__ import annotations

import logging

from cxlens.metrics import rows
from cxlens.metrics.request import NULL_KEY
from cxlens.schema import DEFAULT_SCALES

log = logging.getLogger(__name__)

FAMILY = {"csat", "csat_mean", "nps", "ces"}
TICKET_SIDE = {"channel", "category", "priority", "team"}


def survey_rows(request, wanted: set[str]) -> list:
    """KPI rows of the survey family for the wanted ids the data supports."""
    wanted = wanted & FAMILY
    if not wanted:
        return []
    r, groups = _base(request)
    r = request.prepare(r, r.responded_at_local, groups)
    measures = {}
    if wanted & {"csat", "csat_mean"}:
        measures.update(_csat_measures(request, r))
    if "nps" in wanted:
        measures.update(_nps_measures(r))
    if "ces" in wanted:
        measures.update(_mean_measures(r, "ces"))
    frame = request.run(r, **measures)
    return _rows(request, frame, wanted)


def _base(request):
    """Responses joined to their ticket and customer where a dimension needs them."""
    import ibis

    r = request.table("survey_responses")
    r = r.filter(r.responded_at_local.notnull())
    wants_ticket = bool(_ticket_side(request)) and request.has_table("tickets")
    if wants_ticket:
        t = request.table("tickets")
        side = t.select(
            t_ticket_id=t.ticket_id,
            t_channel=_column(t, "channel"),
            t_category=_column(t, "category"),
            t_priority=_column(t, "priority"),
            t_team=_column(t, "team"),
        )
        r = r.left_join(side, r.ticket_id == side.t_ticket_id)
    if "segment" in request.dimensions and request.has("customers.segment"):
        c = request.table("customers")
        segments = c.select(c_customer_id=c.customer_id, c_segment=c.segment)
        r = r.left_join(segments, r.customer_id == segments.c_customer_id)
    none = ibis.null("string")
    source = {
        "channel": r.channel.fill_null(r.t_channel) if wants_ticket else r.channel,
        "category": r.t_category if wants_ticket else none,
        "priority": r.t_priority if wants_ticket else none,
        "team": r.t_team if wants_ticket else none,
        "agent": r.agent_id,
        "segment": r.c_segment if "c_segment" in r.columns else none,
    }
    groups = {f"g_{d}": source[d].cast("string") for d in request.dimensions}
    return r, groups


def _ticket_side(request) -> set[str]:
    """Dimensions to read from the linked ticket: channel only where a response lacks one."""
    wanted = TICKET_SIDE & set(request.dimensions)
    if request.complete("survey_responses.channel"):
        wanted.discard("channel")
    return wanted


def _column(t, name):
    import ibis

    return t[name].cast("string") if name in t.columns else ibis.null("string")


def _scale(r, kind: str):
    low, high = DEFAULT_SCALES[kind]
    return r.scale_min.fill_null(low), r.scale_max.fill_null(high)


def _valid(r, kind: str):
    low, high = _scale(r, kind)
    return (r.kind == kind) & r.score.notnull() & (r.score >= low) & (r.score <= high)


def _csat_measures(request, r) -> dict:
    valid = _valid(r, "csat")
    low, high = _scale(r, "csat")
    satisfied = r.score >= _threshold(request.settings, low, high)
    measures = {"csat_sat": (valid & satisfied).ifelse(1, 0).sum()}
    measures.update(_mean_measures(r, "csat", valid))
    return measures


def _threshold(settings, low, high):
    """The lowest satisfied score for each response's scale (see the module docstring)."""
    import ibis

    points = high - low + 1
    top_boxes = ibis.cases((points <= 3, 1), (points <= 7, 2), else_=3)
    threshold = high - top_boxes + 1
    override = (settings.csat or {}).get("satisfied_from")
    if override is None:
        return threshold
    return ibis.ifelse((low == 1) & (high == 5), float(override), threshold)


def _mean_measures(r, kind: str, valid=None) -> dict:
    """Count, sum and sum of squares of valid scores, and the scales they come on.

    ``<kind>_nscales`` counts the distinct scales per cell (more than one: no mean);
    ``<kind>_scales`` lists them, for the warning only.
    """
    valid = _valid(r, kind) if valid is None else valid
    score = r.score
    label = _scale_label(*_scale(r, kind))
    return {
        f"{kind}_n": valid.ifelse(1, 0).sum(),
        f"{kind}_sum": score.sum(where=valid),
        f"{kind}_sumsq": (score * score).sum(where=valid),
        f"{kind}_nscales": label.nunique(where=valid),
        f"{kind}_scales": label.collect(where=valid, distinct=True),
    }


def _scale_label(low, high):
    """A scale as text, ``1–5``; whole bounds without a trailing ``.0``."""
    import ibis

    def text(bound):
        return ibis.ifelse(bound == bound.floor(), bound.cast("int64").cast("string"),
                           bound.cast("string"))  # fmt: skip

    return text(low) + "–" + text(high)


def _nps_measures(r) -> dict:
    score = r.score
    valid = (r.kind == "nps") & score.notnull() & (score == score.floor())
    valid = valid & (score >= 0) & (score <= 10)
    return {
        "nps_n": valid.ifelse(1, 0).sum(),
        "nps_pro": (valid & (score >= 9)).ifelse(1, 0).sum(),
        "nps_det": (valid & (score <= 6)).ifelse(1, 0).sum(),
    }


def _rows(request, frame, wanted) -> list:
    keys = request.keys
    out = []
    if "csat" in wanted:
        out.append(rows.rate("csat", frame, keys, "csat_sat", "csat_n"))
    if "csat_mean" in wanted:
        out.append(_one_scale_mean("csat_mean", frame, request, "csat"))
    if "nps" in wanted:
        out.append(rows.nps("nps", frame, keys))
    if "ces" in wanted:
        out.append(_one_scale_mean("ces", frame, request, "ces"))
    return out


def _shown(key) -> str:
    return "(none)" if key == NULL_KEY else str(key)


ADVICE = {
    "csat": "or use the csat rate, which counts satisfied answers on every scale",
    "ces": "or keep one CES scale per project",
}


def _one_scale_mean(metric: str, frame, request, kind: str):
    """Mean rows, null (with ``n`` kept) in cells whose responses mix scales.

    The first mixed cell is named in one warning, with the ways out.
    """
    import numpy as np

    out = rows.mean(metric, frame, request.keys, kind)
    mixed = frame[f"{kind}_nscales"].fillna(0).to_numpy() > 1
    if not mixed.any():
        return out
    out.loc[mixed, ["value", "ci_low", "ci_high"]] = np.nan
    first = frame.loc[mixed].iloc[0]
    where = ", ".join(f"{key.removeprefix('g_')} {_shown(first[key])}" for key in request.keys)
    log.warning(
        "%s: %s responses come on more than one scale (%s in %s), so %d of %d cells have "
        "no mean; add --by a dimension that separates the scales (e.g. channel) %s",
        metric, kind.upper(), ", ".join(sorted(first[f"{kind}_scales"])), where,
        int(mixed.sum()), len(mixed), ADVICE[kind],
    )  # fmt: skip
    return out
