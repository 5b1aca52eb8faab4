"""Derived ticket columns: merged and solved marks, durations in minutes, quality flags.

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
    SELECT * EXCLUDE (_fr_ts, _res_ts, _fres_ts, _fr, _res, _fr_ok, _res_ok, quality_flags,
            _has_events, _fr_events, first_any_response_min),
        coalesce(trim(merged_into), '') <> '' OR coalesce(status = 'merged', false)
            AS is_merged,
        solved_at IS NOT NULL OR closed_at IS NOT NULL
            OR coalesce(status IN ('solved', 'closed'), false) AS is_solved,
        _fr_ok AS first_response_min,
        _res_ok AS resolution_min,
        CASE
            WHEN first_solved_at IS NOT NULL THEN CASE WHEN _fres_ts >= 0 THEN _fres_ts END
            WHEN coalesce(reopens, 0) = 0 THEN _res_ok
        END AS first_resolution_min,
        quality_flags,
        first_any_response_min,
        _has_events AS first_response_from_events
    FROM checked
"""
# The first-response figures from the events (``cxlens.clean.events``), where measured.
EVENT_COLUMNS = (
    "coalesce(_e._has_events, false) AS _has_events, _e.events_first_response_min AS _fr_events, "
    "_e.first_any_response_min"
)
EVENTS_JOIN = """
        LEFT JOIN (SELECT *, true AS _has_events FROM {first_responses}) _e
            ON _e.ticket_id = {tickets}.ticket_id"""
# Without events every ticket keeps its own columns.
NO_EVENT_COLUMNS = (
    "false AS _has_events, NULL::DOUBLE AS _fr_events, NULL::DOUBLE AS first_any_response_min"
)


def derive_ticket_columns(
    con: duckdb.DuckDBPyConnection,
    cleaning_log: CleaningLog,
    first_responses: str | None = None,
) -> None:
    """Fill solved_at, define the derived columns, and log fills, flags and disagreements.

    The derived columns live in ``DERIVED_VIEW`` over the staging table; ``publish``
    reads the view. Disagreements, flags and merges are counted in one scan of it.
    ``first_responses`` is the table of first responses measured from the events
    (``cxlens.clean.events``); its tickets take their first response from it.
    """
    _fill_solved_at(con, cleaning_log)
    flag_cases = ", ".join(f"CASE WHEN {test} THEN '{flag}' END" for flag, test in FLAGS.items())
    measured = ", ".join(f"{sql} AS {name}" for name, sql in MEASURED.items())
    events_join = (
        EVENTS_JOIN.format(first_responses=first_responses, tickets=TICKETS)
        if first_responses
        else ""
    )
    derived = DERIVED.format(
        tickets=TICKETS,
        flag_cases=flag_cases,
        measured=measured,
        event_columns=EVENT_COLUMNS if first_responses else NO_EVENT_COLUMNS,
        events_join=events_join,
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {DERIVED_VIEW} AS {derived}")

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
    if first_responses:
        rules.append(_events_rule(con, first_responses))
    rules.append(
        (
            "merged_ticket",
            "is_merged",
            "tickets merged into another (merged_into set or status 'merged'); kept, marked "
            "is_merged so that the metrics leave them out",
        )
    )
    cleaning_log.count_all(con, "tickets", rules, relation=DERIVED_VIEW)


def _events_rule(con: duckdb.DuckDBPyConnection, first_responses: str) -> tuple[str, str, str]:
    """The log rule of tickets whose first response the events changed."""
    measured = con.execute(f"SELECT count(*) FROM {first_responses}").fetchone()[0]
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
