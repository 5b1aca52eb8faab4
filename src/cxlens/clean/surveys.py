"""Survey responses: fill the scale from the kind, and agent and channel from the ticket.

A response without ``scale_min``/``scale_max`` gets its kind's default scale
(``schema.DEFAULT_SCALES``: CSAT 1–5, NPS 0–10, CES 1–7). A response linked to a ticket
but missing its agent or channel takes the ticket's (after the ticket's channel is
standardised), so that ratings can be broken down by agent and channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.clean.log import CleaningLog, stage_name
from cxlens.schema import DEFAULT_SCALES

if TYPE_CHECKING:
    import duckdb

RESPONSES = stage_name("survey_responses")


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
