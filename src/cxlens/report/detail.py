"""What the report reads straight from the cleaned tables: shapes, not KPIs.

The KPIs come from ``cxlens.metrics``; the cleaned tables give only what no KPI
holds: the distribution of durations in the month, when tickets arrive, the
tickets themselves, their data-quality flags, the cleaning log and a few survey
comments. Every query runs in DuckDB on local time (the ``*_local`` columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from cxlens.store import quote, table_columns

HISTOGRAM_BINS = 30
COMMENTS_EACH_END = 6

TICKET_COLUMNS = (
    "ticket_id",
    "created_at_local",
    "channel",
    "category",
    "priority",
    "status",
    "agent_id",
    "team",
    "customer_id",
    "first_response_min",
    "resolution_min",
    "solved_at_local",
    "reopens",
    "is_merged",
    "quality_flags",
)


@dataclass
class Details:
    """The cleaned-table extracts of one report month."""

    tickets: pd.DataFrame
    first_response_bins: pd.DataFrame
    resolution_bins: pd.DataFrame
    arrivals: pd.DataFrame
    quality_flags: pd.DataFrame
    cleaning_log: pd.DataFrame
    comments: pd.DataFrame
    all_comments: pd.DataFrame
    sla_breaches: pd.DataFrame | None = None


def read_details(warehouse: Any, bounds: tuple[datetime, datetime]) -> Details:
    """Read every extract of the month ``bounds`` (local start inclusive, end exclusive)."""
    with warehouse.connect(read_only=True) as con:
        ticket_columns = table_columns(con, "tickets")
        survey_columns = table_columns(con, "survey_responses")
        return Details(
            tickets=month_tickets(con, ticket_columns, bounds),
            first_response_bins=duration_bins(
                con, ticket_columns, "first_response_min", "created_at_local", bounds
            ),
            resolution_bins=duration_bins(
                con, ticket_columns, "resolution_min", "solved_at_local", bounds
            ),
            arrivals=arrivals(con, ticket_columns, bounds),
            quality_flags=quality_flags(con, ticket_columns, bounds),
            cleaning_log=cleaning_log(con),
            comments=sample_comments(con, survey_columns, bounds),
            all_comments=month_comments(con, survey_columns, bounds),
            sla_breaches=sla_breaches(con, bounds),
        )


def _not_merged(columns: set[str]) -> str:
    return "NOT coalesce(is_merged, false)" if "is_merged" in columns else "true"


def month_tickets(con: Any, columns: set[str], bounds: tuple[datetime, datetime]) -> pd.DataFrame:
    """Every ticket created in the month (merged ones too, marked), oldest first."""
    present = [name for name in TICKET_COLUMNS if name in columns]
    if "created_at_local" not in columns:
        return pd.DataFrame(columns=present)
    selected = ", ".join(quote(name) for name in present)
    return con.execute(
        f"SELECT {selected} FROM tickets WHERE created_at_local >= ? AND created_at_local < ? "
        "ORDER BY created_at_local, ticket_id",
        list(bounds),
    ).df()


def duration_bins(
    con: Any, columns: set[str], duration: str, dated_by: str, bounds: tuple[datetime, datetime]
) -> pd.DataFrame:
    """Equal-width bins of ``duration`` over the tickets the month's KPI counts.

    The bins span 0 to the 99th percentile; longer durations fall in the last bin
    (``overflow`` true), so one extreme ticket does not flatten the picture.
    Columns: bin_start, bin_end, tickets, overflow.
    """
    empty = pd.DataFrame(columns=["bin_start", "bin_end", "tickets", "overflow"])
    if not {duration, dated_by} <= columns:
        return empty
    frame = con.execute(
        f"""
        WITH month AS (
            SELECT {quote(duration)} AS minutes FROM tickets
            WHERE {quote(dated_by)} >= ? AND {quote(dated_by)} < ?
              AND {quote(duration)} IS NOT NULL AND {_not_merged(columns)}
        ),
        width AS (
            SELECT greatest(quantile_cont(minutes, 0.99), 1e-9) / {HISTOGRAM_BINS} AS size
            FROM month
        )
        SELECT least(floor(minutes / size), {HISTOGRAM_BINS})::INTEGER AS bin,
               any_value(size) AS size, count(*) AS tickets
        FROM month, width GROUP BY bin ORDER BY bin
        """,
        list(bounds),
    ).df()
    if frame.empty:
        return empty
    return pd.DataFrame(
        {
            "bin_start": frame["bin"] * frame["size"],
            "bin_end": (frame["bin"] + 1) * frame["size"],
            "tickets": frame["tickets"].astype(int),
            "overflow": frame["bin"] >= HISTOGRAM_BINS,
        }
    )


def arrivals(con: Any, columns: set[str], bounds: tuple[datetime, datetime]) -> pd.DataFrame:
    """Tickets created in the month by local weekday (0 = Monday) and hour: a 7 × 24 grid."""
    grid = pd.DataFrame(0, index=range(7), columns=range(24))
    if "created_at_local" not in columns:
        return grid
    counts = con.execute(
        f"""
        SELECT isodow(created_at_local) - 1 AS weekday, hour(created_at_local) AS hour,
               count(*) AS tickets
        FROM tickets
        WHERE created_at_local >= ? AND created_at_local < ? AND {_not_merged(columns)}
        GROUP BY ALL
        """,
        list(bounds),
    ).df()
    if counts.empty:
        return grid
    table = counts.pivot(index="weekday", columns="hour", values="tickets")
    return table.reindex(index=range(7), columns=range(24)).fillna(0).astype(int)


def quality_flags(con: Any, columns: set[str], bounds: tuple[datetime, datetime]) -> pd.DataFrame:
    """How many tickets of the month carry each data-quality flag (columns flag, tickets)."""
    if not {"quality_flags", "created_at_local"} <= columns:
        return pd.DataFrame(columns=["flag", "tickets"])
    return con.execute(
        """
        SELECT trim(flag) AS flag, count(DISTINCT ticket_id) AS tickets
        FROM (
            SELECT ticket_id, unnest(string_split(quality_flags, ';')) AS flag FROM tickets
            WHERE created_at_local >= ? AND created_at_local < ? AND quality_flags IS NOT NULL
        )
        WHERE trim(flag) <> ''
        GROUP BY ALL ORDER BY tickets DESC, flag
        """,
        list(bounds),
    ).df()


SLA_BREACH_COLUMNS = ("ticket_id", "metric AS clock_metric", "clock_no", "priority", "target_min",
                      "business AS business_time", "started_at_local", "due_at_local",
                      "stopped_at_local", "elapsed_min")  # fmt: skip


def sla_breaches(con: Any, bounds: tuple[datetime, datetime]) -> pd.DataFrame:
    """The breached SLA clocks whose target fell due in the month, earliest due first."""
    if not table_columns(con, "sla_clocks"):
        return pd.DataFrame(columns=[c.split(" AS ")[-1] for c in SLA_BREACH_COLUMNS])
    return con.execute(
        f"SELECT {', '.join(SLA_BREACH_COLUMNS)} FROM sla_clocks WHERE breached "
        "AND due_at_local >= ? AND due_at_local < ? ORDER BY due_at_local, ticket_id, metric",
        list(bounds),
    ).df()


def cleaning_log(con: Any) -> pd.DataFrame:
    """The cleaning log, with example keys joined into one text."""
    columns = ["rule", "table_name", "rows", "example_keys", "description"]
    if not table_columns(con, "cleaning_log"):
        return pd.DataFrame(columns=columns)
    return con.execute(
        "SELECT rule, table_name, rows, array_to_string(example_keys, ', ') AS example_keys, "
        "description FROM cleaning_log ORDER BY table_name, rule"
    ).df()


def sample_comments(con: Any, columns: set[str], bounds: tuple[datetime, datetime]) -> pd.DataFrame:
    """Survey comments of the month: the lowest-scored and the highest-scored few.

    Scores are compared on a 0–1 position within each response's own scale, so a
    CSAT 1 and an NPS 0 both count as the bottom.
    """
    wanted = ["kind", "score", "scale_max", "channel", "responded_at_local", "comment"]
    if not {"comment", "responded_at_local", "score"} <= columns:
        return pd.DataFrame(columns=wanted)
    channel = "channel" if "channel" in columns else "NULL AS channel"
    return con.execute(
        f"""
        WITH month AS (
            SELECT kind, score, scale_max, {channel}, responded_at_local, comment, response_id,
                   (score - scale_min) / nullif(scale_max - scale_min, 0) AS position
            FROM survey_responses
            WHERE responded_at_local >= ? AND responded_at_local < ?
              AND comment IS NOT NULL AND trim(comment) <> ''
        ),
        ranked AS (
            SELECT *,
                   row_number() OVER (ORDER BY position ASC NULLS LAST, response_id) AS low,
                   row_number() OVER (ORDER BY position DESC NULLS LAST, response_id) AS high
            FROM month
        )
        SELECT kind, score, scale_max, channel, responded_at_local, comment FROM ranked
        WHERE low <= {COMMENTS_EACH_END} OR high <= {COMMENTS_EACH_END}
        ORDER BY position NULLS LAST, response_id
        """,
        list(bounds),
    ).df()


COMMENT_COLUMNS = (
    "response_id",
    "responded_at_local",
    "kind",
    "score",
    "scale_max",
    "channel",
    "agent_id",
    "ticket_id",
    "comment",
)


def month_comments(con: Any, columns: set[str], bounds: tuple[datetime, datetime]) -> pd.DataFrame:
    """Every survey response of the month that carries a comment, oldest first."""
    present = [name for name in COMMENT_COLUMNS if name in columns]
    if not {"comment", "responded_at_local"} <= columns:
        return pd.DataFrame(columns=present)
    selected = ", ".join(quote(name) for name in present)
    return con.execute(
        f"SELECT {selected} FROM survey_responses "
        "WHERE responded_at_local >= ? AND responded_at_local < ? "
        "AND comment IS NOT NULL AND trim(comment) <> '' ORDER BY responded_at_local, response_id",
        list(bounds),
    ).df()
