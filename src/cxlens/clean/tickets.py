"""Derived ticket columns: merged and solved marks, durations in minutes, quality flags.

Where ticket events are imported, the facts they carry (solves, reopens, replies,
contacts, merges, and who is credited) replace the ticket's own columns first
(``cxlens.clean.events``), so every figure below is computed from them.

Durations come from the timestamps where both ends exist (to the second, never by
calendar days: case RS-2), else from the export's own duration columns. Where both
exist and differ by more than a minute, the timestamps win and the rows are logged.

An impossible duration is never clipped to zero: its column is NULL, the row stays, and
``quality_flags`` names the fault (``;``-separated):

- ``first_response_before_creation``: first_response_at earlier than created_at;
- ``resolution_before_creation``: solved_at or first_solved_at earlier than created_at;
- ``resolution_before_first_response``: the resolution is shorter than the first response
  (NULLs ``resolution_min``; the first response is kept);
- ``negative_first_response_minutes`` / ``negative_resolution_minutes``: an export
  duration below zero where it is the only source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.clean.log import CleaningLog, stage_name
from cxlens.store import quote

if TYPE_CHECKING:
    import duckdb

TICKETS = stage_name("tickets")
# The staged tickets with their derived columns, computed as the table is published
# (a view, so that a million tickets are not copied once more only to add six columns).
DERIVED_VIEW = quote("_derived_tickets")
# Minutes between creation and an event, from the timestamps.
MEASURED = {
    "_fr_ts": "(epoch(first_response_at) - epoch(created_at)) / 60.0",
    "_res_ts": "(epoch(solved_at) - epoch(created_at)) / 60.0",
    "_fres_ts": "(epoch(first_solved_at) - epoch(created_at)) / 60.0",
}

FLAGS: dict[str, str] = {
    "first_response_before_creation": "_fr_ts < 0",
    "negative_first_response_minutes": "_fr_ts IS NULL AND first_response_minutes < 0",
    "resolution_before_creation": "_res_ts < 0 OR _fres_ts < 0",
    "negative_resolution_minutes": "_res_ts IS NULL AND resolution_minutes < 0",
    "resolution_before_first_response": "_res >= 0 AND _fr >= 0 AND _res < _fr",
}

DERIVED = """
    WITH measured AS (
        SELECT {tickets}.*, {measured}, {event_columns}
        FROM {tickets}{events_join}
    ), candidates AS (
        SELECT *,
            CASE WHEN _has_events THEN _fr_events
                ELSE coalesce(_fr_ts, first_response_minutes) END AS _fr,
            coalesce(_res_ts, resolution_minutes) AS _res
        FROM measured
    ), checked AS (
        SELECT *,
            CASE WHEN _fr >= 0 THEN _fr END AS _fr_ok,
            CASE WHEN _res >= 0 AND NOT coalesce(_fr >= 0 AND _res < _fr, false)
                THEN _res END AS _res_ok,
            nullif(concat_ws(';', {flag_cases}), '') AS quality_flags
        FROM candidates
    )
    SELECT * EXCLUDE (_fr_ts, _res_ts, _fr_ok, _res_ok, quality_flags, _fres_ts, _fr, _res,
            _has_events, _fr_events, first_any_response_min, _has_statuses, _fr_agent,
            _solver, _first_solver, _merged_by_event)
        REPLACE (
            -- never reopened: the first solve is the latest one (the export gave only that)
            coalesce(first_solved_at, CASE WHEN coalesce(reopens, 0) = 0 AND _res_ok IS NOT NULL
                THEN solved_at END) AS first_solved_at
        ),
        coalesce(trim(merged_into), '') <> '' OR coalesce(status = 'merged', false)
            OR _merged_by_event AS is_merged,
        CASE WHEN _has_statuses THEN solved_at IS NOT NULL
            ELSE solved_at IS NOT NULL OR closed_at IS NOT NULL
                OR coalesce(status IN ('solved', 'closed'), false) END AS is_solved,
        _fr_ok AS first_response_min,
        _res_ok AS resolution_min,
        CASE
            WHEN first_solved_at IS NOT NULL THEN CASE WHEN _fres_ts >= 0 THEN _fres_ts END
            WHEN coalesce(reopens, 0) = 0 THEN _res_ok
        END AS first_resolution_min,
        quality_flags,
        first_any_response_min,
        _has_events AS first_response_from_events,
        _has_statuses AS solves_from_events,
        CASE WHEN _has_events THEN coalesce(_fr_agent, agent_id) ELSE agent_id END
            AS first_response_agent_id,
        CASE WHEN _has_statuses THEN _solver ELSE agent_id END AS solved_by_agent_id,
        CASE WHEN _has_statuses THEN _first_solver ELSE agent_id END AS first_solved_by_agent_id
    FROM checked
"""
# The facts measured from the events (``cxlens.clean.events``), where the events carry them.
EVENT_COLUMNS = (
    "coalesce(_e.has_messages, false) AS _has_events, _e.events_first_response_min AS _fr_events, "
    "_e.first_any_response_min, coalesce(_e.has_statuses, false) AS _has_statuses, "
    "_e.first_human_agent AS _fr_agent, _e.ev_solved_by AS _solver, "
    "_e.ev_first_solved_by AS _first_solver, coalesce(_e.ev_merged, false) AS _merged_by_event"
)
EVENTS_JOIN = """
        LEFT JOIN {facts} _e ON _e.ticket_id = {tickets}.ticket_id"""
# Without events every ticket keeps its own columns.
NO_EVENT_COLUMNS = (
    "false AS _has_events, NULL::DOUBLE AS _fr_events, NULL::DOUBLE AS first_any_response_min, "
    "false AS _has_statuses, NULL::VARCHAR AS _fr_agent, NULL::VARCHAR AS _solver, "
    "NULL::VARCHAR AS _first_solver, false AS _merged_by_event"
)


# Credit that the events moved away from the assignee (logged only where events exist).
ATTRIBUTION_RULES = [
    (
        "first_response_agent_from_events",
        "first_response_from_events AND first_response_min IS NOT NULL "
        "AND first_response_agent_id IS DISTINCT FROM agent_id",
        "first responses credited to the agent who sent the first human public reply "
        "(first_response_agent_id, from ticket_events); counted: tickets where that agent is "
        "not the assignee (agent_id)",
    ),
    (
        "solved_by_agent_from_events",
        "solves_from_events AND is_solved AND solved_by_agent_id IS DISTINCT FROM agent_id",
        "resolutions credited to the human agent of the solving status event "
        "(solved_by_agent_id, from ticket_events; a bot's or the system's solve to no agent); "
        "counted: solved tickets where that is not the assignee (agent_id)",
    ),
]


def derive_ticket_columns(
    con: duckdb.DuckDBPyConnection,
    cleaning_log: CleaningLog,
    facts: str | None = None,
) -> None:
    """Fill solved_at, define the derived columns, and log fills, flags and disagreements.

    The derived columns live in ``DERIVED_VIEW`` over the staging table; ``publish``
    reads the view. Disagreements, flags and merges are counted in one scan of it.
    ``facts`` is the table of facts measured from the events (``cxlens.clean.events``):
    where a ticket's events carry a fact, it replaces the ticket's own column.
    """
    _fill_solved_at(con, cleaning_log)
    if facts:
        from cxlens.clean.events import apply_event_facts

        apply_event_facts(con, cleaning_log, facts)
    flag_cases = ", ".join(f"CASE WHEN {test} THEN '{flag}' END" for flag, test in FLAGS.items())
    measured = ", ".join(f"{sql} AS {name}" for name, sql in MEASURED.items())
    derived = DERIVED.format(
        tickets=TICKETS,
        flag_cases=flag_cases,
        measured=measured,
        event_columns=EVENT_COLUMNS if facts else NO_EVENT_COLUMNS,
        events_join=EVENTS_JOIN.format(facts=facts, tickets=TICKETS) if facts else "",
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {DERIVED_VIEW} AS {derived}")
    cleaning_log.count_all(con, "tickets", _derived_rules(con, facts), relation=DERIVED_VIEW)


def _derived_rules(con: duckdb.DuckDBPyConnection, facts: str | None) -> list[tuple[str, str, str]]:
    """The log rules counted on the derived view: disagreements, flags, events, merges."""
    rules = [
        (
            f"{given}_disagree",
            f"abs({MEASURED[minutes]} - {given}) > 1",
            f"the export's {given} differs from the timestamps by more than a minute; "
            "the timestamps win",
        )
        for minutes, given in (
            ("_fr_ts", "first_response_minutes"),
            ("_res_ts", "resolution_minutes"),
        )
    ]
    rules += [
        (
            flag,
            f"list_contains(string_split(quality_flags, ';'), '{flag}')",
            "impossible duration: the minute column is NULL, the row is kept and flagged",
        )
        for flag in FLAGS
    ]
    if facts:
        rules += [_events_rule(con, facts), *ATTRIBUTION_RULES]
    rules.append(
        (
            "merged_ticket",
            "is_merged",
            "tickets merged into another (merged_into set, status 'merged', or a merge event); "
            "kept, marked is_merged so that the metrics leave them out",
        )
    )
    return rules


def _events_rule(con: duckdb.DuckDBPyConnection, facts: str) -> tuple[str, str, str]:
    """The log rule of tickets whose first response the events changed."""
    measured = con.execute(f"SELECT count(*) FROM {facts} WHERE has_messages").fetchone()[0]
    given = f"coalesce({MEASURED['_fr_ts']}, first_response_minutes)"
    given_ok = f"CASE WHEN {given} >= 0 THEN {given} END"
    unchanged = (
        f"coalesce(abs(first_response_min - {given_ok}) < 0.001, "
        f"first_response_min IS NULL AND {given_ok} IS NULL)"
    )
    return (
        "first_response_from_events",
        f"first_response_from_events AND NOT {unchanged}",
        f"first response measured from ticket_events for {measured} ticket(s) with messages "
        "(the ticket columns for the rest); counted: tickets whose first_response_min differs "
        "from the ticket columns' value",
    )


def _fill_solved_at(con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog) -> None:
    missing = "solved_at IS NULL AND closed_at IS NOT NULL"
    cleaning_log.count(
        con,
        "solved_at_from_closed_at",
        "tickets",
        missing,
        "closed tickets without a solve time take their close time as solved_at",
    )
    con.execute(f"UPDATE {TICKETS} SET solved_at = closed_at WHERE {missing}")
