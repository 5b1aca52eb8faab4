"""Survey responses: fill the scale from the kind, and agent and channel from the ticket.

A response without ``scale_min``/``scale_max`` gets its kind's default scale
(``schema.DEFAULT_SCALES``: CSAT 1–5, NPS 0–10, CES 1–7). A response linked to a ticket
but missing its agent or channel takes the ticket's (after the ticket's channel is
standardised), so that ratings can be broken down by agent and channel.

Where ticket events exist, a rating is credited to the last human agent who served its
ticket at or before the survey was answered: the actor of the latest message, note,
status or assign event by an ``agent`` (case SV-1: agent A replies and solves at 10:00,
an automation unassigns the ticket at 10:00, the customer rates at 11:00: A's rating).
Events by bots and the system serve no one. That agent replaces the file's ``agent_id``;
responses whose ticket no human served before the survey keep theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.clean.log import CleaningLog, stage_name
from cxlens.schema import DEFAULT_SCALES
from cxlens.store import quote

if TYPE_CHECKING:
    import duckdb

RESPONSES = stage_name("survey_responses")
EVENTS = stage_name("ticket_events")
CREDITED = quote("_survey_credit")

# Per ticket and instant, the human agent who served it then (the latest seq wins a tie).
SERVED = """
    SELECT ticket_id, "at" AS served_at, arg_max(actor_id, seq) AS served_by
    FROM {events}
    WHERE actor = 'agent' AND kind IN ('message', 'note', 'status', 'assign')
        AND actor_id IS NOT NULL AND ticket_id IS NOT NULL AND "at" IS NOT NULL
    GROUP BY ticket_id, "at"
"""
# Each response joined to the latest service at or before its answer.
CREDIT = """
    SELECT r.rowid AS row_ref, s.served_by
    FROM {responses} r ASOF JOIN ({served}) s
        ON s.ticket_id = r.ticket_id AND r.responded_at >= s.served_at
"""


def fill_scales(con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog) -> None:
    """Fill a missing scale end from the kind's default scale."""
    for end, index in (("scale_min", 0), ("scale_max", 1)):
        default = " ".join(
            f"WHEN '{kind}' THEN {scale[index]}" for kind, scale in DEFAULT_SCALES.items()
        )
        value = f"CASE lower(trim(kind)) {default} END"
        missing = f"{end} IS NULL AND {value} IS NOT NULL"
        cleaning_log.count(
            con,
            f"{end}_from_kind",
            "survey_responses",
            missing,
            f"{end} missing; the kind's default scale used (CSAT 1–5, NPS 0–10, CES 1–7)",
        )
        con.execute(f"UPDATE {RESPONSES} SET {end} = {value} WHERE {missing}")


def fill_from_tickets(con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog) -> None:
    """Take agent_id and channel from the linked (cleaned) ticket where the response lacks them."""
    tickets = stage_name("tickets")
    for column in ("agent_id", "channel"):
        linked = (
            f"FROM {tickets} t WHERE t.ticket_id = {RESPONSES}.ticket_id AND t.{column} IS NOT NULL"
        )
        missing = f"{RESPONSES}.{column} IS NULL"
        cleaning_log.count(
            con,
            f"{column}_from_ticket",
            "survey_responses",
            f"{missing} AND EXISTS (SELECT 1 {linked})",
            f"{column} missing; taken from the linked ticket",
        )
        con.execute(f"UPDATE {RESPONSES} SET {column} = t.{column} {linked} AND {missing}")


def credit_from_events(con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog) -> None:
    """Set agent_id to the last human agent who served the ticket before the survey."""
    served = SERVED.format(events=EVENTS)
    credit = CREDIT.format(responses=RESPONSES, served=served)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CREDITED} AS {credit}")
    credited = con.execute(f"SELECT count(*) FROM {CREDITED}").fetchone()[0]
    cleaning_log.count(
        con,
        "agent_id_from_events",
        "survey_responses",
        "agent_id IS DISTINCT FROM served_by",
        f"{credited} response(s) credited to the last human agent who served the ticket at "
        "or before the survey (ticket_events); counted: responses whose agent_id changed",
        relation=f"(SELECT r.*, c.served_by FROM {RESPONSES} r "
        f"JOIN {CREDITED} c ON c.row_ref = r.rowid)",
    )
    con.execute(
        f"UPDATE {RESPONSES} SET agent_id = c.served_by FROM {CREDITED} c "
        f"WHERE c.row_ref = {RESPONSES}.rowid"
    )
    con.execute(f"DROP TABLE {CREDITED}")
