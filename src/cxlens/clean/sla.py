"""SLA clocks: one row per ticket and clock, with its target, due time and state.

Targets come from ``[sla]``: ``first_response``, ``next_response`` and ``resolution``
(durations such as ``"24h"``), in calendar time unless ``business_hours = true``;
``[sla.priority.<p>]`` overrides any of them, and ``business_hours``, for tickets of
priority ``p`` (names read through the priority vocabulary, so ``critical`` is
``urgent``). ``first_response`` defaults to 24h; a metric with no target has no clocks.

When each clock runs (merged tickets have none):

- ``first_response``: from creation, or from the restart the events give (a reopen or bot
  hand-off while no human had replied, ``cxlens.clean.events``), to the first public
  human reply; solving the ticket first stops it too (the customer is not waiting);
- ``next_response`` (from ticket events only): from a customer message sent after the
  first human reply and not yet answered, to the next public human reply or a solve
  (cases SL-2, SL-3); the customer's further messages before that reply belong to the
  same clock;
- ``resolution``: from creation to the latest solve; while the ticket's status is pending
  or on hold (waiting on the customer) or solved (until it reopens), the clock is paused.

Each clock's ``elapsed_min`` is its running time in its own time (calendar or business),
up to its stop, or up to the data's end (the latest timestamp in tickets and events) for
clocks still running. ``due_at`` is the instant at which the running time reaches the
target (a stopped clock is taken as running on after its stop, so every clock has a due
time; a clock paused at the data's end before reaching its target has none yet).
``state`` is ``breached`` when the running time exceeded the target before the stop or
the data's end, else ``met`` for stopped clocks and ``running`` for the others;
``fell_due`` says whether the due time is at or before the data's end, which is what
compliance counts (a target that falls due later is not judged yet).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cxlens.clean.business import (
    INTERVALS,
    MINUTE_US,
    asof_sql,
    clock_sql,
    due_join_sql,
    due_sql,
    require_calendar,
)
from cxlens.settings import parse_duration
from cxlens.store import literal, quote

if TYPE_CHECKING:
    import duckdb

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

SLA_CLOCKS = "sla_clocks"
METRICS = ("first_response", "next_response", "resolution")
DEFAULT_FIRST_RESPONSE = "24h"
# Statuses in which the resolution clock does not run.
PAUSED = ("pending", "on_hold", "solved", "closed")
SPANS = quote("_sla_spans")
PAUSES = quote("_sla_pauses")
# The events of unmerged tickets, marked (reply, customer message, solve, status code).
EVENTS = quote("_sla_events")
STATUS_MAP_NAME = "status_to_sla"


@dataclass(frozen=True)
class Target:
    """One SLA target: a metric's minutes, for one priority (None: the default)."""

    metric: str
    priority: str | None
    minutes: int
    business: bool


def sla_targets(settings: Settings) -> list[Target]:
    """Every target ``[sla]`` sets: the defaults, then one set per named priority."""
    from cxlens.clean.codes import PRIORITIES, vocabulary_mapper

    sla = settings.sla or {}
    business = bool(sla.get("business_hours", False))
    given = {"first_response": DEFAULT_FIRST_RESPONSE} | {m: sla[m] for m in METRICS if m in sla}
    out = [
        Target(metric, None, parse_duration(text, f"[sla] {metric}"), business)
        for metric, text in given.items()
    ]
    standard = vocabulary_mapper(PRIORITIES)
    for name, section in (sla.get("priority") or {}).items():
        priority = standard(str(name))[0]
        own_business = bool(section.get("business_hours", business))
        for metric in METRICS:
            text = section.get(metric, given.get(metric))
            if text is not None:
                where = f"[sla.priority.{name}] {metric}"
                out.append(Target(metric, priority, parse_duration(text, where), own_business))
    return out


def business_ahead_minutes(settings: Settings) -> int:
    """The longest business-time target (the calendar must reach that far past the data).

    Fails when a target asks for business hours and ``[business_hours]`` sets none.
    """
    business = [t.minutes for t in sla_targets(settings) if t.business]
    if business:
        require_calendar(settings, "[sla] business_hours = true")
    return max(business, default=0)


def build_sla_clocks(con: duckdb.DuckDBPyConnection, settings: Settings, staged: set[str]) -> None:
    """Rebuild ``sla_clocks`` from the published tickets (and events); drop it without."""
    if "tickets" not in staged:
        con.execute(f"DROP TABLE IF EXISTS {SLA_CLOCKS}")
        return
    from cxlens.clean.business import MINUTES

    targets = sla_targets(settings)
    metrics = {t.metric for t in targets}
    has_events = "ticket_events" in staged
    business = any(t.business for t in targets)
    if business and not _has_temp(con, INTERVALS):
        require_calendar(settings, "[sla] business_hours = true")
    data_end = _data_end(con, has_events)
    if has_events:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {EVENTS} AS {_events_sql(con)}")
    _write_spans(con, has_events, metrics)
    _write_pauses(con, has_events and "resolution" in metrics)
    sql = _clocks_sql(targets, data_end, settings.timezone, business)
    con.execute(f"CREATE OR REPLACE TABLE {SLA_CLOCKS} AS {sql}")
    for name in (SPANS, PAUSES, EVENTS, INTERVALS, MINUTES, quote(f"_map_{STATUS_MAP_NAME}")):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    counts = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE breached) FROM {SLA_CLOCKS}"
    ).fetchall()[0]
    log.info("sla_clocks: %d clock(s), %d breached", *counts)


def _has_temp(con: duckdb.DuckDBPyConnection, quoted: str) -> bool:
    """Whether this clean's temporary table ``quoted`` (a quoted name) exists."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?",
        [quoted.strip('"')],
    ).fetchall()
    return bool(rows[0][0])


def _data_end(con: duckdb.DuckDBPyConnection, has_events: bool):
    """The latest timestamp in the tickets and events: where running clocks are judged."""
    columns = "created_at, first_response_at, first_solved_at, solved_at, closed_at"
    parts = [f"SELECT greatest({columns}) AS t FROM tickets"]
    if has_events:
        parts.append('SELECT "at" FROM ticket_events')
    return con.execute(f"SELECT max(t) FROM ({' UNION ALL '.join(parts)})").fetchall()[0][0]


def _events_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The events of unmerged tickets, marked: reply, customer message, solve, status code."""
    from cxlens.clean.codes import TICKET_STATUSES, vocabulary_mapper
    from cxlens.clean.mapping import build_value_map

    status_map = build_value_map(
        con, "ticket_events", "status_to", vocabulary_mapper(TICKET_STATUSES), STATUS_MAP_NAME
    )
    return f"""
        SELECT e.ticket_id, e."at" AS event_at, e.seq,
            e.actor = 'agent' AND e.kind = 'message' AND coalesce(e.public, true) AS reply,
            e.actor = 'customer' AND e.kind = 'message' AS customer_message,
            coalesce(e.kind = 'status' AND m.standard IN ('solved', 'closed'), false) AS solve,
            CASE WHEN e.kind = 'status' THEN m.standard END AS status_code
        FROM ticket_events e
        JOIN tickets t ON t.ticket_id = e.ticket_id AND NOT coalesce(t.is_merged, false)
        LEFT JOIN {status_map} m ON m.value = e.status_to
        WHERE e."at" IS NOT NULL"""


def _write_spans(con: duckdb.DuckDBPyConnection, has_events: bool, metrics: set[str]) -> None:
    """``SPANS``: ticket_id, metric, clock_no, priority, started_at, stopped_at.

    Only the metrics that have a target get spans.
    """
    from cxlens.clean.events import TICKET_FACTS

    from_events = has_events and _has_temp(con, TICKET_FACTS)
    solved_at = "greatest(coalesce(t.solved_at, t.created_at), t.created_at)"
    if from_events:
        start = "CASE WHEN t.first_response_from_events THEN f.clock_start ELSE t.created_at END"
        reply = (
            "CASE WHEN t.first_response_from_events THEN f.first_human_at ELSE t.created_at + "
            f"to_microseconds(round(t.first_response_min * {MINUTE_US})::BIGINT) END"
        )
        join = f" LEFT JOIN {TICKET_FACTS} f ON f.ticket_id = t.ticket_id"
    else:
        start = "t.created_at"
        reply = f"t.created_at + to_microseconds(round(t.first_response_min * {MINUTE_US})::BIGINT)"
        join = ""
    # the first solve at or after the clock's start: one ASOF join per ticket
    first_solve, solves = "NULL::TIMESTAMP", ""
    if has_events:
        first_solve = "sv.event_at"
        solves = (
            f" ASOF LEFT JOIN (SELECT ticket_id, event_at FROM {EVENTS} WHERE solve) sv "
            "ON sv.ticket_id = s.ticket_id AND s.started_at <= sv.event_at"
        )
    ticket_solve = "coalesce(s.first_solved_at, s.solved_at)"
    parts = []
    if "first_response" in metrics:
        parts.append(
            f"""SELECT s.ticket_id, 'first_response' AS metric, 1 AS clock_no, s.priority,
            s.started_at, least(s.reply_at, coalesce({first_solve},
                CASE WHEN {ticket_solve} >= s.started_at THEN {ticket_solve} END)) AS stopped_at
        FROM (SELECT t.ticket_id, t.priority, t.first_solved_at, t.solved_at,
                {start} AS started_at, {reply} AS reply_at FROM tickets t{join}
              WHERE NOT coalesce(t.is_merged, false) AND t.created_at IS NOT NULL) s{solves}"""
        )
    if "resolution" in metrics:
        parts.append(
            f"""SELECT ticket_id, 'resolution', 1, priority, created_at,
            CASE WHEN is_solved THEN {solved_at} END
        FROM tickets t WHERE NOT coalesce(is_merged, false) AND created_at IS NOT NULL"""
        )
    if has_events and "next_response" in metrics:
        parts.append(_next_response_sql())
    if not parts:  # first_response always has a target; kept for safety
        parts.append("SELECT NULL::VARCHAR, NULL, NULL::INTEGER, NULL, NULL::TIMESTAMP, "
                     "NULL::TIMESTAMP WHERE false")  # fmt: skip
    con.execute(f"CREATE OR REPLACE TEMP TABLE {SPANS} AS {' UNION ALL '.join(parts)}")


def _next_response_sql() -> str:
    """Next-response clocks: customer messages after the first reply, grouped by the reply
    or solve that answers them (NULL: unanswered at the data's end)."""
    pos = "struct_pack(a := event_at, s := seq)"
    return f"""SELECT n.ticket_id, 'next_response',
            row_number() OVER (PARTITION BY n.ticket_id ORDER BY min(n.event_at))::INTEGER,
            any_value(t.priority), min(n.event_at), n.next_stop.a
        FROM (
            SELECT *, {pos} AS pos,
                min(CASE WHEN reply THEN {pos} END) OVER (PARTITION BY ticket_id) AS first_reply,
                min(CASE WHEN reply OR solve THEN {pos} END) OVER (
                    PARTITION BY ticket_id ORDER BY event_at, seq
                    ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_stop
            FROM {EVENTS}
        ) n JOIN tickets t ON t.ticket_id = n.ticket_id
        WHERE n.customer_message AND n.pos > n.first_reply
        GROUP BY n.ticket_id, n.next_stop"""


def _write_pauses(con: duckdb.DuckDBPyConnection, has_events: bool) -> None:
    """``PAUSES``: the spans in which a resolution clock does not run, cut to the clock.

    A pause runs from a status event to a paused status until the next status event
    (NULL: still paused at the data's end).
    """
    if not has_events:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {PAUSES} (ticket_id VARCHAR, metric VARCHAR, "
            "clock_no INTEGER, p_start TIMESTAMP, p_end TIMESTAMP)"
        )
        return
    paused = ", ".join(literal(s) for s in PAUSED)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {PAUSES} AS
        WITH runs AS (
            SELECT ticket_id, event_at AS pause_start, status_code,
                lead(event_at) OVER (PARTITION BY ticket_id ORDER BY event_at, seq) AS pause_end
            FROM {EVENTS} WHERE status_code IS NOT NULL
        ), cut AS (
            SELECT s.ticket_id, s.metric, s.clock_no,
                greatest(r.pause_start, s.started_at) AS p_start,
                CASE WHEN s.stopped_at IS NULL THEN r.pause_end
                    ELSE least(coalesce(r.pause_end, s.stopped_at), s.stopped_at) END AS p_end,
                s.stopped_at
            FROM runs r JOIN {SPANS} s ON s.ticket_id = r.ticket_id AND s.metric = 'resolution'
            WHERE r.status_code IN ({paused})
        )
        SELECT ticket_id, metric, clock_no, p_start, p_end FROM cut
        WHERE (stopped_at IS NULL OR p_start < stopped_at) AND (p_end IS NULL OR p_start < p_end)"""
    )


def _targets_sql(targets: list[Target]) -> str:
    rows = ", ".join(
        f"({literal(t.metric)}, {literal(t.priority) if t.priority else 'NULL'}, "
        f"{t.minutes}::BIGINT, {str(t.business).lower()})"
        for t in targets
    )
    return f"SELECT * FROM (VALUES {rows}) v(metric, priority, target_min, business)"


def _clocks_sql(targets: list[Target], data_end, timezone: str, business: bool) -> str:
    """The ``sla_clocks`` SELECT: segments between pauses, their clocks, due and state."""
    from cxlens.clean.local import local_time_sql

    end = f"{literal(str(data_end))}::TIMESTAMP" if data_end is not None else "NULL::TIMESTAMP"

    def clock(column: str, alias: str) -> str:
        calendar = f"epoch_us({column})"
        if not business:
            return calendar
        return f"CASE WHEN business THEN {clock_sql(column, alias)} ELSE {calendar} END"

    joins = ""
    if business:
        joins = (
            asof_sql("g.seg_start", "a0")
            + asof_sql("g.seg_end", "a1")
            + asof_sql("g.seg_cut", "a2")
        )
    due_business = f"WHEN business THEN {due_sql('c.due_clock', 'd0')}" if business else ""
    due_join = due_join_sql("c.due_clock", "d0") if business else ""
    locals_ = ", ".join(
        f"{local_time_sql(c, timezone)} AS {c}_local"
        for c in ("started_at", "due_at", "stopped_at")
    )
    return f"""
    WITH targets AS ({_targets_sql(targets)}),
    clocks AS (
        SELECT s.*, coalesce(p.target_min, d.target_min) AS target_min,
            coalesce(p.business, d.business) AS business,
            coalesce(s.stopped_at, {end}) AS horizon
        FROM {SPANS} s
        LEFT JOIN targets p ON p.metric = s.metric AND p.priority = s.priority
        LEFT JOIN targets d ON d.metric = s.metric AND d.priority IS NULL
        WHERE coalesce(p.target_min, d.target_min) IS NOT NULL AND s.started_at IS NOT NULL
    ), bounds AS (
        SELECT ticket_id, metric, clock_no, p_start, p_end FROM {PAUSES}
        UNION ALL
        SELECT ticket_id, metric, clock_no, NULL, NULL FROM clocks
    ), segments AS (
        SELECT c.ticket_id, c.metric, c.clock_no, c.business, c.target_min, c.horizon,
            CASE WHEN row_number() OVER w = 1 THEN c.started_at ELSE lag(b.p_end) OVER w END
                AS seg_start,
            b.p_start AS seg_end
        FROM bounds b JOIN clocks c USING (ticket_id, metric, clock_no)
        WINDOW w AS (PARTITION BY b.ticket_id, b.metric, b.clock_no ORDER BY b.p_start NULLS LAST)
    ), cut AS (
        SELECT *, least(coalesce(seg_end, horizon), horizon) AS seg_cut
        FROM segments WHERE seg_start IS NOT NULL AND (seg_end IS NULL OR seg_start < seg_end)
    ), measured AS (
        SELECT g.ticket_id, g.metric, g.clock_no, g.business, g.target_min, g.seg_start,
            {clock("g.seg_start", "a0")} AS c_start,
            {clock("g.seg_end", "a1")} - {clock("g.seg_start", "a0")} AS len,
            CASE WHEN g.seg_start < g.horizon
                THEN greatest({clock("g.seg_cut", "a2")} - {clock("g.seg_start", "a0")}, 0)
                ELSE 0 END AS ran
        FROM cut g{joins}
    ), summed AS (
        SELECT *, coalesce(sum(len) OVER (PARTITION BY ticket_id, metric, clock_no
            ORDER BY seg_start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
        FROM measured
    ), per_clock AS (
        SELECT ticket_id, metric, clock_no, sum(ran) AS elapsed_us,
            max(CASE WHEN before < target_min * {MINUTE_US}
                AND (len IS NULL OR before + len >= target_min * {MINUTE_US})
                THEN c_start + target_min * {MINUTE_US} - before END)::BIGINT AS due_clock
        FROM summed GROUP BY ticket_id, metric, clock_no
    ), dated AS (
        SELECT k.ticket_id, k.metric, k.clock_no, k.priority, k.target_min, k.business,
            k.started_at, k.stopped_at, c.elapsed_us,
            CASE {due_business} WHEN c.due_clock IS NOT NULL
                THEN make_timestamp(c.due_clock) END AS due_at
        FROM per_clock c JOIN clocks k USING (ticket_id, metric, clock_no){due_join}
    )
    SELECT ticket_id, metric, clock_no, priority, target_min, business,
        started_at, due_at, stopped_at, {locals_},
        elapsed_us / {MINUTE_US}.0 AS elapsed_min,
        CASE WHEN elapsed_us > target_min * {MINUTE_US} THEN 'breached'
            WHEN stopped_at IS NOT NULL THEN 'met' ELSE 'running' END AS state,
        elapsed_us > target_min * {MINUTE_US} AS breached,
        coalesce(due_at <= {end}, false) AS fell_due
    FROM dated
    """
