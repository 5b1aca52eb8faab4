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
        SELECT *, {measured}
        FROM {tickets}
    ), candidates AS (
        SELECT *,
            coalesce(_fr_ts, first_response_minutes) AS _fr,
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
    SELECT * EXCLUDE (_fr_ts, _res_ts, _fres_ts, _fr, _res, _fr_ok, _res_ok, quality_flags),
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
        quality_flags
    FROM checked
"""


def derive_ticket_columns(con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog) -> None:
    """Fill solved_at, define the derived columns, and log fills, flags and disagreements.

    The derived columns live in ``DERIVED_VIEW`` over the staging table; ``publish``
    reads the view. Disagreements, flags and merges are counted in one scan of it.
    """
    _fill_solved_at(con, cleaning_log)
    flag_cases = ", ".join(f"CASE WHEN {test} THEN '{flag}' END" for flag, test in FLAGS.items())
    measured = ", ".join(f"{sql} AS {name}" for name, sql in MEASURED.items())
    derived = DERIVED.format(tickets=TICKETS, flag_cases=flag_cases, measured=measured)
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
    rules.append(
        (
            "merged_ticket",
            "is_merged",
            "tickets merged into another (merged_into set or status 'merged'); kept, marked "
            "is_merged so that the metrics leave them out",
        )
    )
    cleaning_log.count_all(con, "tickets", rules, relation=DERIVED_VIEW)


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
