"""Survey KPIs: CSAT (share satisfied), CSAT mean, NPS and CES by response period, and
the survey response rate by send period.

A response is *valid* when its score is present and lies on its scale
(``scale_min``…``scale_max``, defaulting by kind); for NPS only the integers 0–10
are valid. Unanswered and invalid responses are left out of every figure but the
response rate.

*Satisfied* (CSAT) depends on the number of points on the scale: the top box on 2-
and 3-point scales (Good on Good/Bad, stored 0–1), the top two boxes on 4- to
7-point scales, the top three on 8-point and longer scales (the 10-point case).
``[csat] satisfied_from`` overrides the threshold for the 1–5 scale, and
``[csat] satisfied_from_by_scale`` (``{ "1-7" = 6, "0-10" = 9 }``) for any scale.

A mean (``csat_mean``, ``ces``) is only a number on one scale: a cell (period and
group) whose valid responses come on more than one scale (Good/Bad 0–1 next to a
1–5 form) gets a null value with its ``n``, and a warning, instead of an average of
unlike numbers. The ``csat`` rate puts every scale on one footing and stays defined.
A mean's interval is Student's t (survey cells are often small: per agent and month),
clipped to the scale; null bounds below two answers. CES is reported on the file's
own scale; ``[ces] higher_is_easier`` tells readers (and the report's arrows) which
way is better.

The response rate counts the rows that record a send (``sent_at``): answered ones
(a score present) over all of them, by the send's period, every kind together.

One grouped aggregation computes the response-time KPIs, another the response rate.
Dimensions: channel is the response's, else its ticket's; agent is the response's
``agent_id``; category, priority and team come from the linked ticket; segment from
the customer.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from cxlens.errors import ConfigError
from cxlens.metrics import rows
from cxlens.metrics.intervals import Z95
from cxlens.metrics.request import NULL_KEY
from cxlens.schema import DEFAULT_SCALES

log = logging.getLogger(__name__)

RESPONSE_RATE = "survey_response_rate"
ANSWERS = {"csat", "csat_mean", "nps", "ces"}
FAMILY = ANSWERS | {RESPONSE_RATE}
TICKET_SIDE = {"channel", "category", "priority", "team"}


def survey_rows(request, wanted: set[str]) -> list:
    """KPI rows of the survey family for the wanted ids the data supports."""
    out = []
    if wanted & ANSWERS:
        out += _answer_rows(request, wanted & ANSWERS)
    if RESPONSE_RATE in wanted:
        out.append(_response_rate(request))
    return out


def _answer_rows(request, wanted: set[str]) -> list:
    """CSAT, CSAT mean, NPS and CES of the answered responses, by response period."""
    r, groups = _base(request)
    r = r.filter(r.responded_at_local.notnull())
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


def _response_rate(request):
    """Answered sends / sends, both by the send's period, with the Wilson interval."""
    r, groups = _base(request)
    r = r.filter(r.sent_at_local.notnull())
    r = request.prepare(r, r.sent_at_local, groups)
    frame = request.run(r, sent=r.count(), answered=r.score.notnull().ifelse(1, 0).sum())
    return rows.rate(RESPONSE_RATE, frame, request.keys, "answered", "sent")


def _base(request):
    """Responses joined to their ticket and customer where a grouped or filtered dimension
    needs them, and the ``g_<dimension>`` expressions of those dimensions."""
    import ibis

    r = request.table("survey_responses")
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
    if request.uses("segment") and request.has("customers.segment"):
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
    groups = {f"g_{d}": source[d].cast("string") for d in request.used}
    return r, groups


def _ticket_side(request) -> set[str]:
    """Dimensions to read from the linked ticket: channel only where a response lacks one."""
    wanted = TICKET_SIDE & set(request.used)
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


def csat_answers(r, settings):
    """(valid, satisfied) Ibis expressions for the rows of ``r``: the CSAT KPI's one rule,
    for any other reader of satisfaction (the key-drivers model)."""
    low, high = _scale(r, "csat")
    return _valid(r, "csat"), r.score >= _threshold(settings, low, high)


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
    for (scale_low, scale_high), satisfied_from in satisfied_thresholds(settings).items():
        on_scale = (low == scale_low) & (high == scale_high)
        threshold = ibis.ifelse(on_scale, float(satisfied_from), threshold)
    return threshold


SCALE_KEY = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*[-–]\s*(-?\d+(?:\.\d+)?)\s*")


def satisfied_thresholds(settings) -> dict[tuple[float, float], float]:
    """Satisfied thresholds set per scale: ``satisfied_from`` (1–5), ``satisfied_from_by_scale``.

    A threshold must lie on its scale; a bad key or value is a ConfigError naming it.
    """
    section = settings.csat or {}
    given = section.get("satisfied_from_by_scale") or {}
    if not isinstance(given, dict):
        raise ConfigError('[csat] satisfied_from_by_scale must be a table such as { "1-7" = 6 }')
    overrides = {}
    if section.get("satisfied_from") is not None:
        overrides[(1.0, 5.0)] = float(section["satisfied_from"])
    for key, value in given.items():
        match = SCALE_KEY.fullmatch(str(key))
        low, high = (float(match[1]), float(match[2])) if match else (None, None)
        if low is None or low >= high:
            raise ConfigError(
                f"[csat] satisfied_from_by_scale: {key!r} is not a scale; write its lowest and "
                'highest points, such as "1-7" or "0-10"'
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise ConfigError(
                f"[csat] satisfied_from_by_scale: {key} = {value!r} must be a score on that "
                f"scale ({_text(low)} to {_text(high)}), the lowest one that counts as satisfied"
            )
        overrides[(low, high)] = float(value)
    return overrides


def _text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _mean_measures(r, kind: str, valid=None) -> dict:
    """Count, sum and sum of squares of valid scores, and the scales they come on.

    ``<kind>_nscales`` counts the distinct scales per cell (more than one: no mean);
    ``<kind>_scales`` lists them, for the warning only; ``<kind>_low`` and ``_high``
    are the scale's ends, which bound the mean's interval.
    """
    valid = _valid(r, kind) if valid is None else valid
    score = r.score
    low, high = _scale(r, kind)
    label = _scale_label(low, high)
    return {
        f"{kind}_n": valid.ifelse(1, 0).sum(),
        f"{kind}_low": low.min(where=valid),
        f"{kind}_high": high.max(where=valid),
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
    """Mean rows with a t interval clipped to the scale; null (``n`` kept) where scales mix.

    The first mixed cell is named in one warning, with the ways out.
    """
    out = rows.mean(metric, frame, request.keys, kind)
    low, high = t_interval(frame[f"{kind}_sum"], frame[f"{kind}_sumsq"], frame[f"{kind}_n"])
    out["ci_low"] = np.clip(low, frame[f"{kind}_low"].to_numpy(dtype=float), None)
    out["ci_high"] = np.clip(high, None, frame[f"{kind}_high"].to_numpy(dtype=float))
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


# Student's t, 97.5 % point, for 1–30 degrees of freedom; beyond, the Cornish–Fisher
# series in 1/df (Abramowitz & Stegun 26.7.5), within 3e-8 of the exact value there.
T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)  # fmt: skip


def t975(df) -> np.ndarray:
    """The two-sided 95 % point of Student's t for each ``df`` (NaN below 1)."""
    df = np.asarray(df, dtype=float)
    z = Z95
    terms = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        series = z + sum(term / df ** (power + 1) for power, term in enumerate(terms))
    table = np.asarray(T975)[np.clip(np.nan_to_num(df), 1, 30).astype(int) - 1]
    return np.where(df < 1, np.nan, np.where(df <= 30, table, series))


def t_interval(total, total_squares, count):
    """95 % bounds ``mean ± t(n−1)·s/√n`` from sums; NaN below two values."""
    n = np.asarray(count, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.asarray(total, dtype=float) / n
        spread = np.asarray(total_squares, dtype=float) - n * mean**2
        half = t975(n - 1) * np.sqrt(np.maximum(spread, 0) / (n - 1)) / np.sqrt(n)
    return np.where(n > 1, mean - half, np.nan), np.where(n > 1, mean + half, np.nan)
