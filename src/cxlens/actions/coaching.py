"""The agent coaching plan: where an agent is reliably and materially worse than their team.

For every agent, within each team whose tickets they handled, five KPIs are compared
with the rest of that team: CSAT, FCR and reopen rate (rates), median first response and
median resolution (minutes), overall and by category and by channel. The agent's values
and ``n`` come from ``compute_kpis`` (grouped by agent and team, with the KPI engine's
credit rules: the first responder, the solver, the agent on the survey), so the plan
shows the numbers the KPI tables show.

- **Rates**: the rest of the team is exact: the team's successes and n minus the
  agent's. The agent's interval is Wilson's (statsmodels ``proportion_confint``) on
  their own record; the shrunk value is the empirical-Bayes beta-binomial mean
  (k + m·p_rest) / (n + m), a Beta prior centred on the rest of the team with a prior
  strength of m pseudo-records.
- **Medians**: the rest of the team's median comes from the same records as the KPI
  (SQL over the cleaned tables, the team's records minus the agent's). The agent's
  interval is the distribution-free one from binomial order statistics: the sorted
  durations x(l) and x(n − l + 1) with l the largest rank for which P(B ≤ l − 1) ≤ α/2,
  B ~ Binomial(n, ½), so it holds the true median with at least the confidence asked
  whatever the durations' shape (none below six durations at 95 %). The shrunk value
  moves the agent's median toward the rest of the team by n / (n + m).
- **The prior strength** m is a setting (``prior_strength``, default 20 pseudo-records),
  not estimated: a team holds a handful of agents, too few to estimate the spread of
  their true rates, and a fixed m reads the same in every month and team. The shrunk
  value is shown beside the raw one so a small n is visibly pulled toward the team; the
  decision to flag rests on the interval, not on the shrunk value.

A KPI is **flagged** only where it is worse than the rest of the team; reliable: the
agent's interval excludes the rest of the team's value and the gap's interval (MOVER,
Zou & Donner 2008, which for rates is Newcombe's hybrid score interval) excludes 0, so a
small rest of the team cannot make a gap look certain; material: at least ``rate_gap``
(rates, as a fraction: 0.05 = 5 points) or ``time_gap`` (a share slower: 0.25 = 25 %);
and the agent has at least ``min_n`` records. An agent is compared up to 5 KPIs × (1 +
categories + channels) times, so at 95 % each, an agent with no real gap would be
flagged somewhere most months: with ``correction = "bonferroni"`` (the default) each
interval is at 1 − α / m for the agent's m comparisons with ``min_n`` records, which
keeps the chance of any false flag for such an agent under α. Nothing else is ranked:
agents without a flag have "no reliable gap". Each flagged agent gets at most three
training topics, the category and channel flags with the largest impact; an agent
flagged only overall gets those flags as topics. Impact counts tickets: for a rate, n ×
gap (the tickets that went the wrong way beyond the team's rate); for a time, the
agent's tickets slower than the rest of the team's median beyond the half expected.

A team's training needs (against the rest of the desk in the same category × channel
cells, or half its agents flagged) are worked out in ``cxlens.actions.coaching_desk``.

The plan looks at ``lookback_days`` (default 90) days at least, ending at the window's
last day (the data's last day when the window is open), so one quiet month does not
hide a pattern and one busy month does not make one.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlens.errors import ConfigError, WarehouseError

if TYPE_CHECKING:
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULTS",
    "MEASURES",
    "CoachingPlan",
    "Measure",
    "check_settings",
    "coaching_plan",
    "coaching_window",
    "median_interval",
    "plan_rows",
    "shrink_rate",
    "shrink_median",
]

DEFAULTS: dict[str, Any] = {
    "min_n": 10,
    "rate_gap": 0.05,
    "time_gap": 0.25,
    "prior_strength": 20.0,
    "lookback_days": 90,
    "confidence": 0.95,
    "correction": "bonferroni",
}
CORRECTIONS = ("bonferroni", "none")
MAX_TOPICS = 3
EXAMPLES = 3
BREAKDOWNS = ("category", "channel", "all")
ALL = "all"  # the item of the overall comparison


@dataclass(frozen=True)
class Measure:
    """A KPI the plan compares: its ``compute_kpis`` id, ``rate`` or ``time``, and which
    way is better."""

    kpi: str
    kind: str
    higher_is_better: bool


MEASURES = (
    Measure("csat", "rate", True),
    Measure("fcr", "rate", True),
    Measure("reopen_rate", "rate", False),
    Measure("first_response_median_min", "time", False),
    Measure("resolution_median_min", "time", False),
)
BY_KPI = {m.kpi: m for m in MEASURES}
RATES = [m.kpi for m in MEASURES if m.kind == "rate"]
TIMES = [m.kpi for m in MEASURES if m.kind == "time"]
KEYS = ["team", "dimension", "item", "kpi"]


def check_settings(section: dict) -> dict:
    """``[coaching]`` completed with its defaults; a ConfigError for an unknown key or a
    bad value, naming the key and what is allowed."""
    unknown = sorted(set(section) - set(DEFAULTS))
    if unknown:
        raise ConfigError(
            f"[coaching] {', '.join(unknown)}: unknown key(s); the keys are " + ", ".join(DEFAULTS)
        )
    checked = {**DEFAULTS, **section}
    if checked["correction"] not in CORRECTIONS:
        raise ConfigError(
            f"[coaching] correction = {checked['correction']!r}: it must be "
            + " or ".join(f'"{c}"' for c in CORRECTIONS)
        )
    rules = {
        "min_n": ("a whole number of records, at least 1", True, 1, None),
        "lookback_days": ("a whole number of days, at least 1", True, 1, None),
        "rate_gap": ("a fraction above 0 and below 1 (0.05 = 5 points)", False, 0, 1),
        "time_gap": ("a share above 0 (0.25 = 25 % slower)", False, 0, None),
        "prior_strength": ("a number of pseudo-records, 0 or more", False, None, None),
        "confidence": ("a level above 0.5 and below 1, such as 0.95", False, 0.5, 1),
    }
    for key, (allowed, whole, above, below) in rules.items():
        value = checked[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        bad = (
            not number
            or not math.isfinite(value)
            or (whole and not float(value).is_integer())
            or (whole and value < above)
            or (not whole and above is not None and value <= above)
            or (below is not None and value >= below)
            or (key == "prior_strength" and value < 0)
        )
        if bad:
            raise ConfigError(f"[coaching] {key} = {value!r}: it must be {allowed}")
        checked[key] = int(value) if whole else float(value)
    return checked


@dataclass
class CoachingPlan:
    """The coaching plan over ``window`` (first, last local day, both included).

    ``comparisons``: every agent × team × breakdown × KPI with a rest of the team to
    compare with (columns in ``COMPARISON_COLUMNS``); ``flags``: the flagged ones, with
    ``topic_rank`` (1–3 for the agent's training topics, else NaN) and ``examples``
    (ticket ids); ``team_needs``: team × breakdown × KPI where the team needs training;
    ``agents``: one row per agent compared: their team(s), largest n, comparisons with
    ``min_n`` records (those that can flag), flags and training topics.
    """

    comparisons: pd.DataFrame
    flags: pd.DataFrame
    team_needs: pd.DataFrame
    agents: pd.DataFrame
    window: tuple[date, date]
    settings: dict


COMPARISON_COLUMNS = [
    "agent", "name", "team", "dimension", "item", "kpi", "kind", "n", "value", "shrunk",
    "team_value", "team_n", "gap", "gap_share", "confidence", "ci_low", "ci_high", "gap_low",
    "gap_high", "impact",
    "worse",
    "reliable", "material", "enough", "flagged",
]  # fmt: skip


def coaching_plan(
    warehouse: Warehouse,
    settings: Settings,
    window: tuple[date | None, date | None] | None = None,
    filters: dict[str, list[str]] | None = None,
) -> CoachingPlan:
    """The coaching plan of the agents in ``filters`` (all without an agent filter).

    The other filters (channel, category, priority, team, segment) narrow every figure,
    the team's and the desk's too; an agent filter only chooses whom to show, so an
    agent is still compared with their whole team.
    """
    from cxlens.actions import coaching_desk  # it builds on this module's comparisons

    config = check_settings(dict(settings.coaching))
    filters = {d: [str(v) for v in vs] for d, vs in (filters or {}).items() if vs}
    agents_kept = filters.pop("agent", None)
    with warehouse.connect(read_only=True) as con:
        columns = _columns(con)
        span = coaching_window(_data_last_day(con, columns), window, config["lookback_days"])
        records = _records(con, columns, settings, span, filters)
        names = _agent_names(con, columns)
    kpis = _kpi_rows(warehouse, settings, span, filters)

    comparisons = _compare(kpis, records, config, names)
    if agents_kept is not None:
        _check_agents_known(agents_kept, comparisons, names, span)
        comparisons = comparisons[comparisons["agent"].isin(agents_kept)]
    flags = _with_examples(_topics(comparisons[comparisons["flagged"]]), records)
    team_needs = coaching_desk.team_needs(kpis, records, comparisons, config)
    agents = _agent_summary(comparisons, flags)
    log.info("coaching: %d flags, %d team needs over %s", len(flags), len(team_needs), span)
    return CoachingPlan(comparisons, flags, team_needs, agents, span, config)


AGENTS_NAMED = 5  # agents listed when an --agent filter names none of them


def _check_agents_known(
    wanted: list[str], comparisons: pd.DataFrame, names: dict[str, str], span
) -> None:
    """Refuse an agent filter naming an agent the plan did not compare (a typo, or an
    agent without tickets in the window), listing a few agents it did compare."""
    known = sorted(comparisons["agent"].astype(str).unique())
    unknown = [agent for agent in wanted if agent not in known]
    if not unknown or not known:
        return
    listed = ", ".join(
        f"{agent} ({names[agent]})" if agent in names else agent for agent in known[:AGENTS_NAMED]
    )
    more = f", … ({len(known)} in all)" if len(known) > AGENTS_NAMED else ""
    raise WarehouseError(
        f"unknown agent {', '.join(unknown)}: no tickets of that agent with a team in "
        f"{span[0]} to {span[1]}; give an agent id (--agent), such as {listed}{more}"
    )


def coaching_window(
    data_last: date, window: tuple[date | None, date | None] | None, lookback_days: int
) -> tuple[date, date]:
    """(first, last) day the plan looks at: the window, widened to ``lookback_days``
    ending at its last day (the data's last day where the window leaves it open).

    A window starting after the data's last day is refused: widened, it would silently
    give the plan of the data's last ``lookback_days``.
    """
    first, last = window or (None, None)
    if first is not None and first > data_last:
        raise WarehouseError(
            f"the window starts on {first}, after the data's last day {data_last}; give a "
            f"first day (--from) on or before {data_last}"
        )
    last = last or data_last
    earliest = last - timedelta(days=lookback_days - 1)
    return (earliest if first is None else min(first, earliest), last)


def shrink_rate(successes, n, team_rate, strength: float) -> np.ndarray:
    """Beta-binomial posterior mean: (k + m·p_team) / (n + m) with a prior of ``strength``
    pseudo-records at the team's rate; the team's rate itself where n + m is 0."""
    k, n, p = (np.asarray(v, dtype=float) for v in (successes, n, team_rate))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n + strength > 0, (k + strength * p) / (n + strength), p)


def shrink_median(median, n, team_median, strength: float) -> np.ndarray:
    """The agent's median moved toward the team's by the weight n / (n + m)."""
    x, n, team = (np.asarray(v, dtype=float) for v in (median, n, team_median))
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(n + strength > 0, n / (n + strength), 0.0)
    return team + weight * (x - team)


def median_interval(
    durations: pd.DataFrame,
    keys: list[str],
    value: str = "minutes",
    confidence: float = 0.95,
    levels: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per group of ``keys``: n, the median (linear interpolation) and the distribution-free
    interval [x(l), x(n − l + 1)] from binomial order statistics (see the module
    docstring); NaN bounds where n is too small for the confidence asked.

    ``levels`` (``keys`` and ``confidence``) gives a group its own level; groups it does
    not name use ``confidence``. The durations are sorted once and each group's order
    statistics are read at their positions, so the cost is that of one sort.
    """
    ordered = durations.dropna(subset=[value])
    group = ordered.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()
    minutes = ordered[value].to_numpy(dtype=float)
    order = np.lexsort((minutes, group))
    minutes, group = minutes[order], group[order]
    start = np.flatnonzero(np.diff(group, prepend=-1))
    n = np.diff(np.append(start, len(group)))

    summary = ordered[keys].iloc[order[start]].reset_index(drop=True)
    summary["n"] = n.astype("int64")
    summary["median"] = (minutes[start + (n - 1) // 2] + minutes[start + n // 2]) / 2
    level = _group_levels(summary, keys, levels, confidence)
    low, high = _order_ranks(n, level)
    summary["ci_low"], summary["ci_high"] = _at_ranks(minutes, start, low, high)
    return summary


def _group_levels(summary, keys, levels, confidence) -> np.ndarray:
    """Each group's confidence level: its own in ``levels``, else ``confidence``."""
    if levels is None:
        return np.full(len(summary), confidence)
    given = summary[keys].merge(levels[[*keys, "confidence"]], on=keys, how="left")
    return given["confidence"].fillna(confidence).to_numpy(dtype=float)


def _order_ranks(n: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """0-based ranks of x(l) and x(n − l + 1) in n sorted durations: l is the largest rank
    with P(B ≤ l − 1) ≤ α/2, B ~ Binomial(n, ½); the low rank is −1 where no l exists."""
    from scipy.stats import binom

    tail = (1 - level) / 2
    k0 = binom.ppf(tail, n, 0.5)
    lowest = np.where(binom.cdf(k0, n, 0.5) <= tail, k0 + 1, k0).astype("int64")  # l
    return lowest - 1, n - lowest


def _at_ranks(sorted_minutes, start, low, high) -> tuple[np.ndarray, np.ndarray]:
    """The values at ranks ``low`` and ``high`` of the runs beginning at ``start`` in
    ``sorted_minutes``; NaN where the low rank is −1 (too few for an interval)."""
    usable = low >= 0
    at_low = sorted_minutes[start + np.where(usable, low, 0)]
    at_high = sorted_minutes[start + np.where(usable, high, 0)]
    return np.where(usable, at_low, np.nan), np.where(usable, at_high, np.nan)


def _columns(con) -> dict[str, set[str]]:
    """The columns of each loaded table (their names, for the SQL below)."""
    rows = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = current_schema()"
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    if "tickets" not in columns:
        raise WarehouseError(
            "the coaching plan needs tickets with agents; import a ticket export "
            "(cxlens import or cxlens run) first"
        )
    return columns


def _data_last_day(con, columns) -> date:
    """The last local day holding a ticket, a solve or a survey answer."""
    times = [
        f"max({c})" for c in ("created_at_local", "solved_at_local") if c in columns["tickets"]
    ]
    query = f"SELECT greatest({', '.join(times)}) FROM tickets"
    if "responded_at_local" in columns.get("survey_responses", set()):
        query = (
            f"SELECT greatest(({query}), (SELECT max(responded_at_local) FROM survey_responses))"
        )
    (last,) = con.execute(query).fetchone()
    if last is None:
        raise WarehouseError(
            "the tickets have no dates; the coaching plan needs tickets with creation times"
        )
    return pd.Timestamp(last).date()


def _agent_names(con, columns) -> dict[str, str]:
    """Agent id → name from the agents table, where it has names."""
    if not {"agent_id", "name"} <= columns.get("agents", set()):
        return {}
    rows = con.execute(
        "SELECT agent_id, name FROM agents WHERE agent_id IS NOT NULL AND name IS NOT NULL"
    ).fetchall()
    return {str(agent): str(name) for agent, name in rows}


def _kpi_rows(warehouse, settings, span, filters) -> pd.DataFrame:
    """KPI rows of agents (by team), teams and the desk, overall and by category and
    channel: level, agent, team, dimension, item, kpi, value, n, ci_low, ci_high."""
    from cxlens.metrics.compute import kpi_session

    wanted = [m.kpi for m in MEASURES]
    parts = []
    with kpi_session(warehouse, settings) as compute:
        for dimension in BREAKDOWNS:
            extra = [] if dimension == ALL else [dimension]
            for level, by in (("agent", ["agent", "team"]), ("team", ["team"]), ("desk", [])):
                frame = compute([*by, *extra], wanted, filters=filters, window=span)
                parts.append(_flatten(frame, level, dimension))
    return pd.concat(parts, ignore_index=True)


def _flatten(frame: pd.DataFrame, level: str, dimension: str) -> pd.DataFrame:
    """KPI rows with their group dict spread into agent, team and item columns; groups
    with a missing agent, team or item are left out (no one to coach, nothing to name)."""
    groups = pd.DataFrame(list(frame["group"]), index=frame.index)
    out = pd.DataFrame(
        {
            "level": level,
            "agent": groups["agent"] if "agent" in groups else ALL,
            "team": groups["team"] if "team" in groups else ALL,
            "dimension": dimension,
            "item": groups[dimension] if dimension in groups else ALL,
            "kpi": frame["metric"],
            "value": frame["value"].astype(float),
            "n": frame["n"].astype("int64"),
        }
    )
    named = out[["agent", "team", "item"]].notna().all(axis=1)
    return out[named & (out["n"] > 0)].astype({"agent": str, "team": str, "item": str})


def _records(con, columns, settings, span, filters) -> pd.DataFrame:
    """The records behind each KPI, one row each: kpi, agent, team, category, channel,
    ticket_id, at (the time placing it in the window), outcome (1/0 success for rates:
    satisfied, first contact, reopened; minutes for times).

    The same records the KPI engine counts (docs/kpis.md): unmerged tickets, first
    responses by creation, solved tickets by their latest solve, valid CSAT answers by
    response, each credited as the engine credits it. A test checks their n against
    ``compute_kpis``.
    """
    tickets = _ticket_records(con, columns, span, filters)
    surveys = _survey_records(con, columns, settings, span, filters)
    return pd.concat([tickets, surveys], ignore_index=True)


def _bounds(span) -> tuple[datetime, datetime]:
    first, last = span
    return datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())


def _where(filters, source: dict[str, str]) -> tuple[str, list]:
    """SQL conditions keeping the filtered dimensions' values, and their parameters (each
    a list of values bound to one ``?``)."""
    conditions, params = [], []
    for dimension, values in filters.items():
        if dimension not in source:
            raise ConfigError(
                f"the coaching plan cannot filter by {dimension}; filter by "
                + ", ".join(["agent", *source])
            )
        conditions.append(f"list_contains(?, CAST({source[dimension]} AS VARCHAR))")
        params.append(list(values))
    return "".join(f" AND {c}" for c in conditions), params


def _ticket_records(con, columns, span, filters) -> pd.DataFrame:
    has = columns["tickets"]

    def column(name: str, fallback: str = "NULL") -> str:
        return f"t.{name}" if name in has else fallback

    responder = column("first_response_agent_id", "t.agent_id")
    solver = column("solved_by_agent_id", "t.agent_id")
    solved_flag = f"coalesce({column('is_solved')}, t.solved_at_local IS NOT NULL)"
    contacts, replies = column("customer_contacts"), column("agent_replies")
    segment = "c.segment" if "segment" in columns.get("customers", set()) else "NULL"
    join = " LEFT JOIN customers c ON c.customer_id = t.customer_id" if segment != "NULL" else ""
    lower, upper = _bounds(span)
    where, params = _where(
        filters,
        {
            "channel": column("channel"),
            "category": column("category"),
            "priority": column("priority"),
            "team": column("team"),
            "segment": segment,
        },
    )
    query = f"""
        WITH base AS (
            SELECT t.ticket_id, {responder} AS responder, {solver} AS solver,
                   {column("team")} AS team, {column("category")} AS category,
                   {column("channel")} AS channel, t.created_at_local,
                   {solved_flag} AND (t.created_at_local IS NOT NULL
                       OR t.solved_at_local IS NOT NULL) AS solved_now,
                   greatest(coalesce(t.solved_at_local, t.created_at_local),
                            t.created_at_local) AS solve_at,
                   {column("first_response_min")} AS first_response,
                   {column("resolution_min")} AS resolution,
                   {contacts} IS NOT NULL OR {replies} IS NOT NULL AS contact_known,
                   CASE WHEN {contacts} IS NOT NULL THEN {contacts} <= 1
                        ELSE {replies} <= 1 END AS one_touch,
                   coalesce({column("reopens")}, 0) AS reopens
            FROM tickets t{join}
            WHERE NOT coalesce({column("is_merged")}, false){where}
        )
        SELECT 'first_response_median_min' AS kpi, responder AS agent, team, category,
               channel, ticket_id, created_at_local AS at, first_response AS outcome
        FROM base WHERE created_at_local >= ? AND created_at_local < ?
              AND first_response IS NOT NULL
        UNION ALL
        SELECT unnest(['resolution_median_min', 'fcr', 'reopen_rate']) AS kpi,
               solver, team, category, channel, ticket_id, solve_at,
               unnest([resolution,
                       CASE WHEN contact_known THEN
                           CAST(coalesce(one_touch, false) AND reopens = 0 AS DOUBLE) END,
                       CAST(reopens >= 1 AS DOUBLE)])
        FROM base WHERE solved_now AND solve_at >= ? AND solve_at < ?
    """
    frame = con.execute(query, [*params, lower, upper, lower, upper]).df()
    return frame[frame["outcome"].notna()]


def _survey_records(con, columns, settings, span, filters) -> pd.DataFrame:
    """Valid CSAT answers: outcome 1 satisfied, 0 not, by the CSAT KPI's own rule
    (``cxlens.metrics.surveys.csat_answers``, compiled into this query, so the threshold
    per scale and the ``[csat]`` overrides are written in one place)."""
    has = columns.get("survey_responses", set())
    if not {"kind", "score", "responded_at_local"} <= has:
        return pd.DataFrame(columns=["kpi", "agent", "team", "category", "channel"])
    ticket_side = "tickets" in columns and "ticket_id" in has

    def ticket(name: str) -> str:
        return f"t.{name}" if ticket_side and name in columns["tickets"] else "NULL"

    channel = f"coalesce(r.channel, {ticket('channel')})"
    segment = "c.segment" if "segment" in columns.get("customers", set()) else "NULL"
    joins = " LEFT JOIN tickets t ON t.ticket_id = r.ticket_id" if ticket_side else ""
    if segment != "NULL":
        joins += " LEFT JOIN customers c ON c.customer_id = r.customer_id"
    lower, upper = _bounds(span)
    where, params = _where(
        filters,
        {
            "channel": channel,
            "category": ticket("category"),
            "priority": ticket("priority"),
            "team": ticket("team"),
            "segment": segment,
        },
    )
    query = f"""
        SELECT 'csat' AS kpi, r.agent_id AS agent, {ticket("team")} AS team,
               {ticket("category")} AS category, {channel} AS channel,
               coalesce(r.ticket_id, r.response_id) AS ticket_id, r.responded_at_local AS at,
               r.satisfied AS outcome
        FROM ({_csat_answers(con, has, settings)}) r{joins}
        WHERE r.responded_at_local >= ? AND r.responded_at_local < ?{where}
    """
    return con.execute(query, [lower, upper, *params]).df()


def _csat_answers(con, has: set[str], settings) -> str:
    """SQL of the valid CSAT answers with ``satisfied`` (1.0 or 0.0), the columns the
    query above reads (null where the table lacks them)."""
    import ibis

    from cxlens.metrics.surveys import csat_answers

    r = ibis.duckdb.from_connection(con).table("survey_responses")
    optional = {"scale_min": "float64", "scale_max": "float64", "response_id": "string",
                "ticket_id": "string", "agent_id": "string", "channel": "string",
                "customer_id": "string"}  # fmt: skip
    absent = {name: ibis.null(kind) for name, kind in optional.items() if name not in has}
    r = r.mutate(**absent) if absent else r
    valid, satisfied = csat_answers(r, settings)
    answers = r.filter(valid).select(
        "response_id",
        "ticket_id",
        "agent_id",
        "channel",
        "customer_id",
        "responded_at_local",
        satisfied=satisfied.cast("float64"),
    )
    return ibis.to_sql(answers)


def _compare(kpis: pd.DataFrame, records: pd.DataFrame, config: dict, names) -> pd.DataFrame:
    """Every agent's KPI against the rest of their team, with interval, shrunk value,
    gap and the four tests of a flag (see the module docstring)."""
    agents = kpis[kpis["level"] == "agent"].drop(columns="level")
    teams = kpis[kpis["level"] == "team"].drop(columns=["level", "agent"])
    frame = agents.merge(teams, on=KEYS, suffixes=("", "_whole"))
    frame["kind"] = frame["kpi"].map(lambda kpi: BY_KPI[kpi].kind)
    frame["confidence"] = _family_levels(frame, "agent", config)
    durations = _by_breakdown(records[records["kpi"].isin(TIMES)])
    rates = _compare_rates(frame[frame["kind"] == "rate"], config)
    times = _compare_times(frame[frame["kind"] == "time"], durations, "agent", KEYS, config)
    frame = pd.concat([rates, times], ignore_index=True)
    frame = frame[frame["team_n"] > 0]
    frame["name"] = frame["agent"].map(lambda agent: names.get(agent, agent))
    return _judge(frame, config)[COMPARISON_COLUMNS].reset_index(drop=True)


def _compare_rates(frame: pd.DataFrame, config: dict) -> pd.DataFrame:
    """The rest of the team exactly (team's successes and n minus the agent's), the
    agent's Wilson interval and the beta-binomial shrunk value."""
    from statsmodels.stats.proportion import proportion_confint

    frame = frame.copy()
    successes = np.round(frame["value"] * frame["n"])
    team_successes = np.round(frame["value_whole"] * frame["n_whole"])
    frame["team_n"] = frame["n_whole"] - frame["n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["team_value"] = (team_successes - successes) / frame["team_n"]
    alpha = 1 - frame["confidence"].to_numpy()
    low, high = proportion_confint(successes, frame["n"], alpha=alpha, method="wilson")
    frame["ci_low"], frame["ci_high"] = np.asarray(low, float), np.asarray(high, float)
    rest_n = frame["team_n"].where(frame["team_n"] > 0)  # no interval without records
    rest_low, rest_high = proportion_confint(
        team_successes - successes, rest_n, alpha=alpha, method="wilson"
    )
    frame["gap"] = frame["value"] - frame["team_value"]
    frame = _gap_interval(frame, np.asarray(rest_low, float), np.asarray(rest_high, float))
    frame["shrunk"] = shrink_rate(
        successes, frame["n"], frame["team_value"], config["prior_strength"]
    )
    return frame


def _compare_times(
    frame: pd.DataFrame, durations: pd.DataFrame, who: str, within: list[str], config: dict
) -> pd.DataFrame:
    """The median of the rest's records (the group's minus those of ``who``), the
    order-statistic interval of ``who``'s durations, the shrunk median, and ``excess``:
    the records of ``who`` slower than the rest's median beyond the half expected."""
    keys = list(dict.fromkeys([who, *within]))
    levels = frame[[*keys, "confidence"]]
    own = median_interval(durations, keys, levels=levels)
    rest = _rest_medians(durations, who, [k for k in within if k != who], levels)
    slower = durations.merge(rest[[*keys, "rest_median"]], on=keys)
    above = (slower["minutes"] > slower["rest_median"]).astype(float)
    ties = (slower["minutes"] == slower["rest_median"]).astype(float)
    slower = (above + ties / 2).groupby([slower[k] for k in keys]).sum().rename("_slower")

    frame = frame.merge(own.drop(columns=["n", "median"]), on=keys, how="left")
    frame = frame.merge(rest, on=keys, how="left")
    frame = frame.merge(slower.reset_index(), on=keys, how="left")
    frame["team_n"] = frame["rest_n"].fillna(0).astype("int64")
    frame["team_value"] = frame["rest_median"]
    frame["shrunk"] = shrink_median(
        frame["value"], frame["n"], frame["team_value"], config["prior_strength"]
    )
    frame["excess"] = frame["_slower"] - frame["n"] / 2
    frame["gap"] = frame["value"] - frame["team_value"]
    frame = _gap_interval(frame, frame["rest_low"], frame["rest_high"])
    return frame.drop(columns=["rest_n", "rest_median", "rest_low", "rest_high", "_slower"])


def _family_levels(frame: pd.DataFrame, who: str, config: dict) -> np.ndarray:
    """Each comparison's confidence level: with the Bonferroni correction, 1 − α / m for
    the m comparisons of the same agent (or team) with ``min_n`` records, so that an
    agent with no real gap anywhere is flagged somewhere with probability at most α."""
    alpha = 1 - config["confidence"]
    if config["correction"] == "none":
        return np.full(len(frame), config["confidence"])
    judged = (frame["n"] >= config["min_n"]).groupby(frame[who]).transform("sum")
    return 1 - alpha / judged.clip(lower=1).to_numpy(dtype=float)


def _by_breakdown(records: pd.DataFrame) -> pd.DataFrame:
    """Each record three times: under its category, its channel and ``all``."""
    parts = [
        records.assign(dimension=dimension, item=records[dimension] if dimension != ALL else ALL)
        for dimension in BREAKDOWNS
    ]
    out = pd.concat(parts, ignore_index=True)
    out = out[out["item"].notna() & out["team"].notna()]
    return out.astype({"item": str, "team": str}).rename(columns={"outcome": "minutes"})


def _rest_medians(
    durations: pd.DataFrame, who: str, within: list[str], levels: pd.DataFrame
) -> pd.DataFrame:
    """For each ``who`` (agent or team) in each group of ``within``: n, median and interval
    of the group's records that are not theirs (``rest_n``, ``rest_median``,
    ``rest_low``, ``rest_high``); no row where the group holds nothing else.

    The rest's records are never built (they would be agents × records rows). Each
    group's durations are sorted once; the s-th smallest (0-based) of the rest is the
    group's sorted value at position s + j, where j counts ``who``'s own records before
    it: their k-th (0-based) at sorted position p_k has p_k − k of the rest's records
    before it, so it comes first exactly when p_k − k ≤ s, and j is one searchsorted over
    the ascending p_k − k. The median interpolates the two middle ranks, as np.median.
    """
    rows = durations.dropna(subset=within)
    group = rows.groupby(within, sort=False).ngroup().to_numpy()
    member = rows.groupby([*within, who], sort=False).ngroup()
    member = member.fillna(-1).to_numpy(dtype="int64")  # −1: a record without a ``who``
    members = rows[[who, *within]].iloc[_first_rows(member)].reset_index(drop=True)
    member_group = group[_first_rows(member)]

    minutes = rows["minutes"].to_numpy(dtype=float)
    timed = ~np.isnan(minutes)
    minutes, group, member = minutes[timed], group[timed], member[timed]
    order = np.lexsort((minutes, group))  # each group's durations, ascending, in one array
    minutes, group, member = minutes[order], group[order], member[order]
    group_n = np.bincount(group, minlength=member_group.max(initial=-1) + 1)
    group_start = np.cumsum(group_n) - group_n
    position = np.arange(len(group)) - group_start[group]

    own = member >= 0
    by_member = np.argsort(member[own], kind="stable")  # positions stay ascending
    mine, position = member[own][by_member], position[own][by_member]
    own_n = np.bincount(mine, minlength=len(members))
    own_start = np.cumsum(own_n) - own_n
    width = int(group_n.max(initial=0)) + 1
    ahead = mine * width + (position - (np.arange(len(mine)) - own_start[mine]))

    rest_n = group_n[member_group] - own_n
    kept = np.flatnonzero(rest_n > 0)
    rest_n, first = rest_n[kept], group_start[member_group[kept]]

    def rest_rank(s: np.ndarray) -> np.ndarray:
        """Position, in the sorted array, of each kept member's rest's s-th duration."""
        before = np.searchsorted(ahead, kept * width + s, side="right") - own_start[kept]
        return first + s + before

    rest = members.iloc[kept].reset_index(drop=True)
    rest["rest_n"] = rest_n.astype("int64")
    middle = (minutes[rest_rank((rest_n - 1) // 2)] + minutes[rest_rank(rest_n // 2)]) / 2
    rest["rest_median"] = middle
    level = _group_levels(rest, [who, *within], levels, 0.95)
    low, high = _order_ranks(rest_n, level)
    usable = low >= 0
    at_low = minutes[rest_rank(np.where(usable, low, 0))]
    at_high = minutes[rest_rank(np.where(usable, high, 0))]
    rest["rest_low"] = np.where(usable, at_low, np.nan)
    rest["rest_high"] = np.where(usable, at_high, np.nan)
    return rest


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The row where each code 0, 1, … first appears (codes below 0 are skipped)."""
    seen, first = np.unique(codes, return_index=True)
    return first[seen >= 0]


def _gap_interval(frame: pd.DataFrame, rest_low, rest_high) -> pd.DataFrame:
    """The gap's interval by MOVER (Zou & Donner 2008; for rates it is Newcombe's hybrid
    score interval): each end of the gap moves by the root of the squared distances to
    the two estimates' interval ends, so a small rest of the team widens it."""
    own, rest = frame["value"], frame["team_value"]
    frame["gap_low"] = frame["gap"] - np.sqrt(
        (own - frame["ci_low"]) ** 2 + (rest_high - rest) ** 2
    )
    frame["gap_high"] = frame["gap"] + np.sqrt(
        (frame["ci_high"] - own) ** 2 + (rest - rest_low) ** 2
    )
    return frame


def _judge(frame: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Gap, share, impact and the four tests: worse, reliable, material, enough n."""
    frame = frame.copy()
    better_high = frame["kpi"].map(lambda kpi: BY_KPI[kpi].higher_is_better)
    frame["gap"] = frame["value"] - frame["team_value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["gap_share"] = frame["gap"] / frame["team_value"]
    frame["worse"] = np.where(better_high, frame["gap"] < 0, frame["gap"] > 0)
    outside = (frame["team_value"] < frame["ci_low"]) | (frame["team_value"] > frame["ci_high"])
    gap_excludes_zero = (frame["gap_low"] > 0) | (frame["gap_high"] < 0)
    frame["reliable"] = (outside & gap_excludes_zero).fillna(False).astype(bool)
    is_rate = frame["kind"] == "rate"
    tolerance = 1e-9  # a gap of exactly the threshold counts despite float rounding
    frame["material"] = np.where(
        is_rate,
        frame["gap"].abs() >= config["rate_gap"] - tolerance,
        frame["gap_share"].abs() >= config["time_gap"] - tolerance,
    )
    frame["material"] = frame["material"] & frame["gap"].notna()
    frame["enough"] = frame["n"] >= config["min_n"]
    frame["flagged"] = frame[["worse", "reliable", "material", "enough"]].all(axis=1)
    frame["impact"] = np.where(is_rate, frame["n"] * frame["gap"].abs(), frame["excess"])
    return frame


def _topics(flags: pd.DataFrame) -> pd.DataFrame:
    """Flags with ``topic_rank``: an agent's category and channel flags by impact, at most
    three; an agent flagged only overall gets those as topics."""
    flags = flags.copy()
    specific = flags["dimension"] != ALL
    has_specific = specific.groupby([flags["agent"], flags["team"]]).transform("any")
    candidate = specific | ~has_specific
    flags["_candidate"] = candidate
    flags = flags.sort_values(
        ["agent", "team", "_candidate", "impact"], ascending=[True, True, False, False]
    )
    rank = flags.groupby(["agent", "team"]).cumcount() + 1
    flags["topic_rank"] = rank.where(candidate & (rank <= MAX_TOPICS)).astype("float")
    return flags.drop(columns="_candidate").reset_index(drop=True)


def _with_examples(flags: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Up to three ticket ids behind each flag: the agent's most recent failures there
    (not satisfied, not first contact, reopened) or their slowest tickets."""
    flags = flags.copy()
    if flags.empty:
        flags["examples"] = pd.Series(dtype=object)
        return flags
    spread = _by_breakdown(records)
    keys = ["agent", *KEYS]
    mine = spread.merge(flags[keys], on=keys)
    kind = mine["kpi"].map(lambda kpi: BY_KPI[kpi].kind)
    failure = mine["kpi"].map(lambda kpi: 1.0 if kpi == "reopen_rate" else 0.0)
    mine = mine[(kind == "time") | (mine["minutes"] == failure)]
    mine = mine.assign(_order=np.where(kind.loc[mine.index] == "time", mine["minutes"], 0.0))
    mine = mine.sort_values(["_order", "at", "ticket_id"], ascending=False)
    examples = mine.groupby(keys, sort=False)["ticket_id"].agg(
        lambda ids: [str(i) for i in ids.head(EXAMPLES)]
    )
    flags = flags.merge(examples.rename("examples").reset_index(), on=keys, how="left")
    flags["examples"] = flags["examples"].map(lambda ids: ids if isinstance(ids, list) else [])
    return flags


def _agent_summary(comparisons: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """One row per agent compared (by team, then name; never by performance): agent,
    name, team (their teams, joined), n (their largest over the overall KPIs),
    comparisons (those with ``min_n`` records), flags and topics (training topics)."""
    by_agent = comparisons.groupby("agent")
    summary = by_agent.agg(
        name=("name", "first"), comparisons=("enough", "sum"), flags=("flagged", "sum")
    )
    teams = comparisons[["agent", "team"]].drop_duplicates().sort_values("team")
    summary["team"] = teams.groupby("agent")["team"].agg(", ".join)
    overall = comparisons[comparisons["dimension"] == ALL].groupby("agent")["n"].max()
    summary["n"] = overall.reindex(summary.index).fillna(0).astype("int64")
    topics = flags[flags["topic_rank"].notna()].groupby("agent").size()
    summary["topics"] = topics.reindex(summary.index).fillna(0).astype("int64")
    summary = summary.astype({"comparisons": "int64", "flags": "int64"}).reset_index()
    columns = ["agent", "name", "team", "n", "comparisons", "flags", "topics"]
    return summary[columns].sort_values(["team", "name"]).reset_index(drop=True)


EXPORT_COLUMNS = [
    "level", "agent", "name", "team", "dimension", "item", "kpi", "kind", "n", "value",
    "shrunk", "team_value", "gap", "gap_share", "confidence", "ci_low", "ci_high", "gap_low",
    "gap_high", "impact", "topic_rank", "agents_flagged", "agents_enough", "rule", "examples",
    "team_n", "worse", "reliable", "material", "enough", "flagged",
]  # fmt: skip


def plan_rows(plan: CoachingPlan) -> pd.DataFrame:
    """The whole plan as one table for export (``coaching_plan.csv``): the agents' flags
    (``level`` agent), the team needs (``level`` team, ``team_value`` the rest of the
    desk's), then every comparison made, flagged or not (``level`` comparison, by team,
    agent, breakdown and KPI), under stable English column names, example ticket ids
    joined by spaces. The view shows one row per agent; this file has the detail."""
    agents = plan.flags.assign(
        level="agent", examples=plan.flags["examples"].map(lambda ids: " ".join(ids))
    )
    teams = plan.team_needs.rename(columns={"desk_value": "team_value"}).assign(level="team")
    every = plan.comparisons.sort_values(["team", "agent", "dimension", "item", "kpi"])
    rows = pd.concat([agents, teams, every.assign(level="comparison")], ignore_index=True)
    return rows.reindex(columns=EXPORT_COLUMNS)
