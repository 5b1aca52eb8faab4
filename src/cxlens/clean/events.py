"""First responses measured from the ticket events, in one SQL pass over them.

The KPI contract times a first response from the ticket's creation, or from the latest
reopen or bot hand-off while no human has replied yet, to the first public reply of a
human agent; bots, automations and internal notes do not count (cases FR-1, FR-2, FR-3).
A ticket-level ``first_response_at`` cannot say any of that; the events can.

Per ticket, events ordered by ``(at, seq)``:

- the clock starts at creation; for tickets an agent created, at the customer's first
  message (an agent typing in a caller's ticket is not the caller waiting), else creation;
- the first human response is the first event with actor ``agent``, kind ``message`` and
  ``public`` true or missing, at or after that start;
- before it, the clock restarts at every reopen (a status event to a status that is not
  solved, closed or merged, or a customer message, after a solved or closed status) and
  every bot hand-off (an ``assign`` event by a bot); the latest restart wins. A bot's
  acknowledgement is not a hand-off (case FR-2: 30 minutes, not 29 minutes 55 seconds);
- the first *any* response is the first public message by an agent or a bot at or after
  the start, without restarts.

Event statuses are read through the ticket status vocabulary (已解决 is solved) without
rewriting the events table. Only tickets whose events include a message are measured
here; the others keep the ticket-level columns (``cxlens.clean.tickets``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.clean.log import stage_name
from cxlens.store import quote

if TYPE_CHECKING:
    import duckdb

EVENTS = stage_name("ticket_events")
TICKETS = stage_name("tickets")
# One row per measured ticket: ticket_id, events_first_response_min, first_any_response_min.
FIRST_RESPONSES = quote("_event_first_responses")

MEASURE = """
    WITH statuses AS (
        SELECT e.*, m.standard AS status_code
        FROM {events} e LEFT JOIN {status_map} m ON m.value = e.status_to
    ), marked AS (
        SELECT e.ticket_id, e."at" AS event_at, e.seq,
            t.created_at,
            coalesce(t.created_by = 'agent', false) AS agent_created,
            e.kind = 'message' AND coalesce(e.public, true) AS public_message,
            e.actor = 'agent' AND e.kind = 'message' AND coalesce(e.public, true)
                AS human_reply,
            e.actor = 'customer' AND e.kind = 'message' AS customer_message,
            e.actor = 'bot' AND e.kind = 'assign' AS bot_handoff,
            e.actor, e.kind, e.status_code,
            last_value(CASE WHEN e.kind = 'status' THEN e.status_code END IGNORE NULLS)
                OVER (PARTITION BY e.ticket_id ORDER BY e."at", e.seq
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS status_before
        FROM statuses e JOIN {tickets} t ON t.ticket_id = e.ticket_id
        WHERE e.ticket_id IS NOT NULL AND e."at" IS NOT NULL
    ), restarts AS (
        SELECT *,
            coalesce(status_before IN ('solved', 'closed'), false) AND (
                (kind = 'status' AND status_code NOT IN ('solved', 'closed', 'merged'))
                OR customer_message
            ) OR bot_handoff AS restart,
            CASE WHEN agent_created THEN
                min(CASE WHEN customer_message THEN event_at END) OVER (PARTITION BY ticket_id)
            END AS first_customer_at
        FROM marked
    ), started AS (
        SELECT *, coalesce(first_customer_at, created_at) AS base_start
        FROM restarts
    ), answered AS (
        SELECT *,
            min(CASE WHEN human_reply AND event_at >= base_start THEN {at_seq} END)
                OVER (PARTITION BY ticket_id) AS first_human
        FROM started
    ), clocked AS (
        SELECT ticket_id,
            any_value(base_start) AS base_start,
            bool_or(kind = 'message') AS has_messages,
            any_value(first_human)."at" AS first_human_at,
            coalesce(
                max(event_at) FILTER (WHERE restart AND event_at >= base_start
                    AND (first_human IS NULL OR {at_seq} < first_human)),
                any_value(base_start)
            ) AS clock_start,
            min(event_at) FILTER (WHERE public_message AND actor IN ('agent', 'bot')
                AND event_at >= base_start) AS first_any_at
        FROM answered
        GROUP BY ticket_id
    )
    SELECT ticket_id,
        (epoch(first_human_at) - epoch(clock_start)) / 60.0 AS events_first_response_min,
        (epoch(first_any_at) - epoch(base_start)) / 60.0 AS first_any_response_min
    FROM clocked
    WHERE has_messages
"""


def measure_first_responses(con: duckdb.DuckDBPyConnection) -> str:
    """Build ``FIRST_RESPONSES`` from the staged events and tickets; return its name."""
    from cxlens.clean.codes import TICKET_STATUSES, vocabulary_mapper
    from cxlens.clean.mapping import build_value_map

    status_map = build_value_map(
        con, EVENTS, "status_to", vocabulary_mapper(TICKET_STATUSES), "status_to_ticket_events"
    )
    at_seq = "struct_pack(at := event_at, seq := seq)"
    sql = MEASURE.format(events=EVENTS, tickets=TICKETS, status_map=status_map, at_seq=at_seq)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FIRST_RESPONSES} AS {sql}")
    con.execute(f"DROP TABLE {status_map}")
    return FIRST_RESPONSES
