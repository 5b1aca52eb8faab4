"""Process bottlenecks: where a ticket's time goes, where tickets bounce, where they come back.

Each ticket in scope is followed from its creation to its last solve (a ticket still
open: to the data's end) and that time is split, from its events ordered by
``(at, seq)``, into four stages (docs/bottlenecks.md has the rules with examples):

- ``first_reply``: waiting for the first public reply of a human agent (bots, notes and
  automations do not count; a ticket whose events hold no message at all is answered by
  its first status other than new, as a status-only log takes a ticket in hand);
- ``agent_work``: the ball in the agent's court after the first reply (a customer wrote,
  the ticket reopened, or it was set open again);
- ``customer``: waiting on the customer after a public agent reply, until the customer
  writes or the ticket is solved. Where the events carry a ``pending`` status (Zendesk,
  Freshdesk, ServiceNow's "awaiting user info"), that status alone decides it, and an
  open ticket is agent work; ``[bottlenecks] waiting_on_customer`` can force either rule;
- ``on_hold``: status ``on_hold`` (Zendesk's ``hold``, a third party holds the ticket).

Time while a ticket is solved (before a reopen) or closed is not ticket time. Every
instant of a ticket's life falls in exactly one stage, so the stages add up to its
total: both are sums of whole microseconds.

Bounces come from the same events: reassignments are ``assign`` events after the first;
a transfer is a change of the agent acting on the ticket (message, note or status) to an
agent of another team (the ``agents`` table gives teams; the contract's ``assign`` event
names who assigned, not to whom). Re-contacts: a solved ticket whose customer opens
another ticket within ``recontact_days`` of the solve.

One SQL query computes every ticket's stages and bounces with window functions over its
events; the groupings (Pareto, shares, bounce rates) are pandas group-bys of that frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.errors import ConfigError, WarehouseError
from cxlens.store import has_table, table_columns

if TYPE_CHECKING:
    import duckdb

    from cxlens.insights.actions import Scope
    from cxlens.settings import Settings

log = logging.getLogger(__name__)

STAGES = ("first_reply", "agent_work", "customer", "on_hold")
DIMENSIONS = ("category", "channel", "priority")
US_PER_HOUR = 3_600_000_000
WAITING_RULES = ("auto", "pending", "replies")
DEFAULTS: dict[str, Any] = {
    "by": "category",
    "vital_share": 0.8,
    "waiting_on_customer": "auto",
    "recontact_days": 7,
}
# Scope filters (the dimensions compute_kpis takes) onto the tickets' columns; agent is
# the assignee, segment the customer's.
FILTER_COLUMNS = {
    "channel": "t.channel",
    "category": "t.category",
    "priority": "t.priority",
    "team": "t.team",
    "agent": "t.agent_id",
    "segment": "c.segment",
}


def check_settings(section: dict[str, Any]) -> dict[str, Any]:
    """``[bottlenecks]`` checked and completed with its defaults (docs/bottlenecks.md)."""
    for key in section:
        if key not in DEFAULTS:
            raise ConfigError(
                f"unknown key {key!r} in [bottlenecks]; the keys are: {', '.join(DEFAULTS)}"
            )
    settings = DEFAULTS | section
    if settings["by"] not in DIMENSIONS:
        raise ConfigError(
            f"[bottlenecks] by = {settings['by']!r}: use one of {', '.join(DIMENSIONS)}"
        )
    if settings["waiting_on_customer"] not in WAITING_RULES:
        raise ConfigError(
            f"[bottlenecks] waiting_on_customer = {settings['waiting_on_customer']!r}: use "
            "auto (the pending status where the events carry one, else replies), pending "
            "or replies"
        )
    share = settings["vital_share"]
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        raise ConfigError(
            f"[bottlenecks] vital_share = {share!r} must be a number between 0 and 1 "
            "(0.8: the groups that make 80 % of ticket time)"
        )
    days = settings["recontact_days"]
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigError(f"[bottlenecks] recontact_days = {days!r} must be a whole number from 1")
    return settings


@dataclass
class Bottlenecks:
    """Every ticket in scope with its stage times and bounces.

    ``tickets``: one row per ticket with ``ticket_id, channel, category, priority,
    still_open``, whole microseconds per stage (``<stage>_us``) and in all
    (``total_us``), ``assignments, reassignments, handovers, transfers`` (null without
    an agents table), ``reopens`` (the cleaned ticket's) and ``recontacted`` (null for
    tickets not solved at least ``recontact_days`` before the data's end).
    ``waiting_rule``: ``pending`` or ``replies``, how waiting on the customer was read.
    ``without_events``: tickets in scope left out because no event of theirs is loaded.
    """

    tickets: pd.DataFrame
    waiting_rule: str
    data_end: datetime
    without_events: int
    recontact_days: int
    vital_share: float
    has_teams: bool

    def pareto(self, by: str) -> pd.DataFrame:
        """Stage × ``by`` ranked by total hours, with shares and the vital few."""
        return pareto(self.tickets, by, self.vital_share)

    def stage_shares(self, dimension: str) -> pd.DataFrame:
        """Each group of ``dimension``: its tickets, hours and the share of each stage."""
        return stage_shares(self.tickets, dimension)

    def bounces(self, by: str) -> pd.DataFrame:
        """Each group of ``by``: the shares of tickets reassigned, transferred, re-contacted."""
        return bounces(self.tickets, by)


def process_bottlenecks(
    con: duckdb.DuckDBPyConnection, settings: Settings, scope: Scope
) -> Bottlenecks:
    """The stages and bounces of every ticket created in ``scope`` (window and filters).

    Raises WarehouseError when tickets or ticket events are missing, or when no ticket of
    the scope has events.
    """
    for table in ("tickets", "ticket_events"):
        if not has_table(con, table):
            raise WarehouseError(
                f"process bottlenecks need the {table} table; import your helpdesk's "
                f"{'ticket' if table == 'tickets' else 'event'} export (see docs/import.md) "
                "and run cxlens run"
            )
    options = settings.bottlenecks or check_settings({})
    codes, waiting_rule = _status_codes(con, options["waiting_on_customer"])
    data_end = _data_end(con)
    has_teams = has_table(con, "agents") and "team" in table_columns(con, "agents")
    sql, params = _ticket_query(con, scope, has_teams)
    params |= {
        "values": list(codes),
        "codes": list(codes.values()),
        "pending_rule": waiting_rule == "pending",
        "data_end": data_end,
        "recontact_days": options["recontact_days"],
    }
    frame = con.execute(sql, params).df()

    with_events = frame[frame["has_events"]].drop(columns="has_events")
    if with_events.empty:
        raise WarehouseError(
            "no ticket in this scope has ticket events: widen the dates or filters, or import "
            "the helpdesk's event export (docs/import.md, 'Event exports')"
        )
    log.debug("bottlenecks: %d tickets, waiting rule %s", len(with_events), waiting_rule)
    return Bottlenecks(
        tickets=with_events.reset_index(drop=True),
        waiting_rule=waiting_rule,
        data_end=data_end,
        without_events=int((~frame["has_events"]).sum()),
        recontact_days=options["recontact_days"],
        vital_share=float(options["vital_share"]),
        has_teams=has_teams,
    )


def _status_codes(con: duckdb.DuckDBPyConnection, rule: str) -> tuple[dict[str, str], str]:
    """The events' status values read as ticket status codes, and the waiting rule.

    ``auto`` becomes ``pending`` when any event sets a status that reads as pending.
    """
    from cxlens.clean.codes import TICKET_STATUSES, vocabulary_mapper

    standard = vocabulary_mapper(TICKET_STATUSES)
    values = con.execute(
        "SELECT DISTINCT status_to FROM ticket_events WHERE status_to IS NOT NULL"
    ).fetchall()
    codes = {}
    for (value,) in values:
        code, known = standard(str(value))
        if known and code is not None:
            codes[value] = code
    if rule == "auto":
        rule = "pending" if "pending" in codes.values() else "replies"
    return codes, rule


def _data_end(con: duckdb.DuckDBPyConnection) -> datetime:
    """The latest instant in tickets and events (UTC): where an open ticket's time stops."""
    columns = table_columns(con, "tickets") & {"created_at", "solved_at", "closed_at"}
    moments = ", ".join(f"max({c})" for c in sorted(columns))
    (ticket_end,) = con.execute(f"SELECT greatest({moments}) FROM tickets").fetchone()
    (event_end,) = con.execute('SELECT max("at") FROM ticket_events').fetchone()
    ends = [moment for moment in (ticket_end, event_end) if moment is not None]
    if not ends:
        raise WarehouseError("the tickets and their events carry no time; check the import")
    return max(ends)


def _ticket_query(
    con: duckdb.DuckDBPyConnection, scope: Scope, has_teams: bool
) -> tuple[str, dict[str, Any]]:
    """The query of ``TICKETS`` for this scope, with its window and filter parameters."""
    columns = table_columns(con, "tickets")
    conditions = ["t.created_at IS NOT NULL"]
    if "is_merged" in columns:
        conditions.append("NOT coalesce(t.is_merged, false)")
    params: dict[str, Any] = {}

    lower, upper = _window_bounds(scope)
    created = "t.created_at_local" if "created_at_local" in columns else "t.created_at"
    if lower is not None:
        conditions.append(f"{created} >= $lower")
        params["lower"] = lower
    if upper is not None:
        conditions.append(f"{created} < $upper")
        params["upper"] = upper

    for dimension, values in (scope.filters or {}).items():
        if not values:
            continue
        if dimension not in FILTER_COLUMNS:
            raise ConfigError(
                f"cannot filter bottlenecks by {dimension!r}; use {', '.join(FILTER_COLUMNS)}"
            )
        conditions.append(f"{FILTER_COLUMNS[dimension]} IN (SELECT unnest($f_{dimension}))")
        params[f"f_{dimension}"] = [str(v) for v in values]

    segments = "segment" in (scope.filters or {}) and "segment" in table_columns(con, "customers")
    join = "LEFT JOIN customers c ON c.customer_id = t.customer_id" if segments else ""
    if "segment" in params and not segments:
        conditions.append("false")  # no segment known: a segment filter keeps nothing
    solved_now = (
        "coalesce(t.is_solved, t.solved_at IS NOT NULL)"
        if "is_solved" in columns
        else "t.solved_at IS NOT NULL"
    )
    scoped = SCOPED.format(solved_now=solved_now, join=join, where=" AND ".join(conditions))
    teams = TRANSFERS if has_teams else NO_TRANSFERS
    return TICKETS.format(scoped=scoped, transfers=teams, stages=_stage_sums()), params


def _window_bounds(scope: Scope) -> tuple[datetime | None, datetime | None]:
    """Local midnights: the first day's start and the day after the last day's start."""
    first, last = scope.first, scope.last
    lower = None if first is None else datetime.combine(first, time())
    upper = None if last is None else datetime.combine(last + timedelta(days=1), time())
    return lower, upper


def _stage_sums() -> str:
    return ",\n".join(
        f"coalesce(sum(span_us) FILTER (WHERE phase = '{stage}'), 0)::BIGINT AS {stage}_us"
        for stage in STAGES
    )


SCOPED = """
    SELECT t.ticket_id, t.created_at, t.customer_id, t.solved_at, {solved_now} AS solved_now,
        t.channel, t.category, t.priority, coalesce(t.reopens, 0) AS reopens
    FROM tickets t {join}
    WHERE {where}
"""

# The ball's place after each row of a ticket's timeline (its creation, its events, the
# ticket row's solve where no event carries a status, and the data's end) decides the
# stage of the time until the next row. See the module docstring for the rules.
TICKETS = """
WITH scoped AS ({scoped}),
codes AS (SELECT unnest($values::VARCHAR[]) AS value, unnest($codes::VARCHAR[]) AS code),
events AS (
    SELECT e.ticket_id, greatest(e."at", s.created_at) AS event_at, 1 AS part, e.seq,
        e.actor, e.actor_id, e.kind, e.public,
        CASE WHEN e.kind = 'status' THEN c.code END AS status_code
    FROM ticket_events e JOIN scoped s USING (ticket_id)
    LEFT JOIN codes c ON c.value = e.status_to
    WHERE e."at" IS NOT NULL
),
carried AS (
    SELECT ticket_id, bool_or(status_code IS NOT NULL) AS has_statuses,
        bool_or(kind = 'message') AS has_messages,
        count(*) FILTER (WHERE kind = 'assign') AS assignments
    FROM events GROUP BY ticket_id
),
timeline AS (
    SELECT ticket_id, event_at, part, seq, actor, kind, public, status_code FROM events
    UNION ALL
    SELECT ticket_id, created_at, 0, 0, NULL, 'start', NULL, NULL
    FROM scoped JOIN carried USING (ticket_id)
    UNION ALL
    SELECT ticket_id, greatest(solved_at, created_at), 1, 9223372036854775807, 'system',
        'status', NULL, 'solved'
    FROM scoped JOIN carried USING (ticket_id)
    WHERE NOT has_statuses AND solved_now AND solved_at IS NOT NULL
    UNION ALL
    SELECT ticket_id, $data_end::TIMESTAMP, 2, 0, NULL, 'end', NULL, NULL FROM carried
),
marked AS (
    SELECT t.*, c.has_messages,
        t.actor = 'customer' AND t.kind = 'message' AS customer_message,
        t.actor = 'agent' AND t.kind = 'message' AND coalesce(t.public, true) AS human_reply
    FROM timeline t JOIN carried c USING (ticket_id)
),
states AS (
    SELECT ticket_id, kind, event_at,
        last_value(status_code IGNORE NULLS) OVER so_far AS status_now,
        last_value(CASE WHEN status_code IS NOT NULL THEN 'status'
            WHEN customer_message THEN 'customer' END IGNORE NULLS) OVER so_far AS latest,
        bool_or(CASE WHEN has_messages THEN human_reply
            ELSE coalesce(status_code <> 'new', false) END) OVER so_far AS replied,
        last_value(CASE WHEN human_reply THEN 'customer'
            WHEN customer_message OR status_code IN ('new', 'open') THEN 'agent' END
            IGNORE NULLS) OVER so_far AS court,
        lead(event_at) OVER so_far AS next_at
    FROM marked
    WINDOW so_far AS (PARTITION BY ticket_id ORDER BY event_at, part, seq
                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
phases AS (
    SELECT ticket_id, kind, epoch_us(next_at) - epoch_us(event_at) AS span_us,
        CASE
            WHEN status_now = 'closed' OR (status_now = 'solved' AND latest = 'status')
                THEN 'solved'
            WHEN status_now = 'on_hold' THEN 'on_hold'
            WHEN status_now = 'pending' AND latest = 'status' THEN 'customer'
            WHEN NOT replied THEN 'first_reply'
            WHEN $pending_rule THEN 'agent_work'
            WHEN court = 'customer' THEN 'customer'
            ELSE 'agent_work'
        END AS phase
    FROM states
),
stages AS (
    SELECT ticket_id, {stages},
        coalesce(sum(span_us) FILTER (WHERE phase <> 'solved'), 0)::BIGINT AS total_us,
        bool_or(kind = 'end' AND phase <> 'solved') AS still_open
    FROM phases GROUP BY ticket_id
),
acting AS (
    SELECT e.ticket_id, e.actor_id,
        lag(e.actor_id) OVER (PARTITION BY e.ticket_id ORDER BY e.event_at, e.seq) AS previous
    FROM events e
    WHERE e.actor = 'agent' AND e.actor_id IS NOT NULL AND e.kind IN ('message', 'note', 'status')
),
handovers AS ({transfers}),
recontacts AS (
    SELECT s.ticket_id, count(o.ticket_id) > 0 AS recontacted
    FROM scoped s LEFT JOIN tickets o
        ON o.customer_id = s.customer_id AND o.ticket_id <> s.ticket_id
        AND o.created_at > s.solved_at
        AND o.created_at <= s.solved_at + to_days($recontact_days::INTEGER)
    WHERE s.solved_now AND s.customer_id IS NOT NULL AND s.solved_at IS NOT NULL
        AND s.solved_at + to_days($recontact_days::INTEGER) <= $data_end::TIMESTAMP
    GROUP BY s.ticket_id
)
SELECT s.ticket_id, s.channel, s.category, s.priority,
    c.ticket_id IS NOT NULL AS has_events, coalesce(g.still_open, false) AS still_open,
    {stage_columns}, coalesce(g.total_us, 0)::BIGINT AS total_us,
    coalesce(c.assignments, 0) AS assignments,
    greatest(coalesce(c.assignments, 0) - 1, 0) AS reassignments,
    coalesce(h.handovers, 0) AS handovers, h.transfers, s.reopens, r.recontacted
FROM scoped s
LEFT JOIN carried c USING (ticket_id)
LEFT JOIN stages g USING (ticket_id)
LEFT JOIN handovers h USING (ticket_id)
LEFT JOIN recontacts r USING (ticket_id)
ORDER BY s.ticket_id
""".replace(
    "{stage_columns}", ", ".join(f"coalesce(g.{s}_us, 0)::BIGINT AS {s}_us" for s in STAGES)
)

TRANSFERS = """
    SELECT a.ticket_id, count(*) FILTER (WHERE a.previous <> a.actor_id) AS handovers,
        count(*) FILTER (WHERE a.previous <> a.actor_id AND now_team.team <> before.team)
            AS transfers
    FROM acting a
    LEFT JOIN (SELECT agent_id, any_value(team) AS team FROM agents GROUP BY agent_id) now_team
        ON now_team.agent_id = a.actor_id
    LEFT JOIN (SELECT agent_id, any_value(team) AS team FROM agents GROUP BY agent_id) before
        ON before.agent_id = a.previous
    GROUP BY a.ticket_id
"""
NO_TRANSFERS = """
    SELECT ticket_id, count(*) FILTER (WHERE previous <> actor_id) AS handovers,
        NULL::BIGINT AS transfers
    FROM acting GROUP BY ticket_id
"""


def pareto(tickets: pd.DataFrame, by: str, vital_share: float = 0.8) -> pd.DataFrame:
    """Stage × ``by`` rows ranked by total hours (tickets × mean hours), largest first.

    Columns: ``stage, group, tickets`` (tickets with time in that stage), ``total_hours,
    mean_hours, share`` (of all ticket time in scope), ``cumulative_share`` and ``vital``
    (the rows needed to reach ``vital_share`` of all ticket time, the one crossing it
    included).
    """
    _check_dimension(by)
    stage_columns = [f"{stage}_us" for stage in STAGES]
    long = tickets.melt(id_vars=[by], value_vars=stage_columns, var_name="stage", value_name="us")
    long = long[long["us"] > 0].assign(stage=lambda f: f["stage"].str.removesuffix("_us"))
    rows = (
        long.groupby(["stage", by], dropna=False)
        .agg(tickets=("us", "size"), us=("us", "sum"))
        .reset_index()
        .rename(columns={by: "group"})
    )
    everything = int(tickets["total_us"].sum())
    rows["total_hours"] = rows["us"] / US_PER_HOUR
    rows["mean_hours"] = rows["total_hours"] / rows["tickets"]
    rows["share"] = rows["us"] / everything if everything else float("nan")

    rows = rows.sort_values("us", ascending=False, kind="stable").reset_index(drop=True)
    rows["cumulative_share"] = rows["us"].cumsum() / everything if everything else float("nan")
    rows["vital"] = rows["cumulative_share"].shift(fill_value=0.0) < vital_share
    return rows[
        ["stage", "group", "tickets", "total_hours", "mean_hours", "share"]
        + ["cumulative_share", "vital"]
    ]


def stage_shares(tickets: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Per group of ``dimension``: ``tickets, total_hours, mean_hours`` and each stage's
    share of the group's ticket time (``<stage>_share``), largest group first."""
    _check_dimension(dimension)
    stage_columns = [f"{stage}_us" for stage in STAGES]
    grouped = tickets.groupby(dimension, dropna=False)
    rows = grouped[[*stage_columns, "total_us"]].sum()
    out = pd.DataFrame({"tickets": grouped.size(), "total_hours": rows["total_us"] / US_PER_HOUR})
    out["mean_hours"] = out["total_hours"] / out["tickets"]
    total = rows["total_us"].where(rows["total_us"] > 0)
    for stage in STAGES:
        out[f"{stage}_share"] = rows[f"{stage}_us"] / total
    out = out.reset_index().rename(columns={dimension: "group"})
    return out.sort_values("total_hours", ascending=False, kind="stable").reset_index(drop=True)


def bounces(tickets: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per group of ``by``: ``tickets``, the shares ``reassigned`` (at least one
    reassignment), ``handed_over`` (another agent took over), ``transferred`` (to an agent
    of another team; null without teams), ``recontact_rate`` over ``recontact_n`` solved
    tickets whose follow-up window has passed, and ``reopens`` in all."""
    _check_dimension(by)
    transfers = pd.to_numeric(tickets["transfers"])
    flags = pd.DataFrame(
        {
            by: tickets[by],
            "reassigned": tickets["reassignments"] > 0,
            "handed_over": tickets["handovers"] > 0,
            "transferred": (transfers > 0).astype("float").where(transfers.notna()),
            "recontacted": tickets["recontacted"].astype("float"),
            "reopens": tickets["reopens"],
        }
    )
    grouped = flags.groupby(by, dropna=False)
    out = pd.DataFrame(
        {
            "tickets": grouped.size(),
            "reassigned": grouped["reassigned"].mean(),
            "handed_over": grouped["handed_over"].mean(),
            "transferred": grouped["transferred"].mean(),
            "recontact_rate": grouped["recontacted"].mean(),
            "recontact_n": grouped["recontacted"].count(),
            "reopens": grouped["reopens"].sum(),
        }
    )
    out = out.reset_index().rename(columns={by: "group"})
    return out.sort_values("tickets", ascending=False, kind="stable").reset_index(drop=True)


def _check_dimension(dimension: str) -> None:
    if dimension not in DIMENSIONS:
        raise ConfigError(f"bottlenecks compare by {', '.join(DIMENSIONS)}, not {dimension!r}")
