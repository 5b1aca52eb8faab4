"""The sample's ticket events: who did what when, consistent with the tickets.

Each ticket opens with the customer's message (the order system writes API tickets).
A bot acknowledges most written tickets within seconds, the helpdesk assigns the ticket,
agents sometimes leave an internal note before answering, and the first public message
of a human agent is exactly the ticket's ``first_response_at``. Solves, reopens (a new
customer message), merges and the automatic close follow. The tickets' counts of agent
replies and customer contacts are counted from these events, so the two files agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample.timeline import EXPORT_AT, MISSING

BOT_ID = "bot-autoreply"
ACKNOWLEDGED = ("email", "chat", "wechat", "weibo", "help_center", "feedback_widget")
COLUMNS = ["ticket", "at", "order", "actor", "actor_id", "kind", "public", "status_to"]


def make_events(tickets: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """All events, sorted per ticket by time, with ``seq`` counting from 1 in each ticket."""
    parts = [
        _openings(tickets),
        _acknowledgements(tickets, rng),
        _assignments(tickets, rng),
        _notes(tickets, rng),
        *_replies_and_solves(tickets, rng),
        *_reopens(tickets),
        *_merges_and_closes(tickets),
    ]
    events = pd.concat([p for p in parts if len(p)], ignore_index=True)
    events = events[events["at"] < EXPORT_AT]
    events = events.sort_values(["ticket", "at", "order"], kind="stable", ignore_index=True)
    events["seq"] = events.groupby("ticket").cumcount() + 1
    events["ticket_id"] = tickets["ticket_id"].to_numpy()[events["ticket"].to_numpy()]
    return events


def _frame(rows: np.ndarray, at: np.ndarray, order: int, actor, actor_id, kind, public, status_to):
    n = rows.size
    return pd.DataFrame(
        {
            "ticket": rows,
            "at": np.asarray(at, dtype=np.int64),
            "order": order,
            "actor": actor,
            "actor_id": np.broadcast_to(np.asarray(actor_id, dtype=object), (n,)),
            "kind": kind,
            "public": public,
            "status_to": status_to,
        },
        columns=COLUMNS,
    )


def _openings(tickets: pd.DataFrame) -> pd.DataFrame:
    """The opening message: the customer's, or the order system's for API tickets.

    Tickets an agent enters for a caller carry the caller's words as the requester's
    message, as helpdesks record tickets created on someone's behalf.
    """
    rows = np.arange(len(tickets))
    system = (tickets["created_by"] == "system").to_numpy()
    actor = np.where(system, "system", "customer")
    actor_id = np.where(system, None, tickets["customer_id"].to_numpy(dtype=object))
    return _frame(rows, tickets["created"], 0, actor, actor_id, "message", True, None)


def _acknowledgements(tickets: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The bot's automatic "we got your message" reply, seconds after most written tickets."""
    written = tickets["channel"].isin(ACKNOWLEDGED).to_numpy()
    written = written & (tickets["created_by"] == "customer").to_numpy()
    rows = np.flatnonzero(written & (rng.random(len(tickets)) < 0.9))
    at = tickets["created"].to_numpy()[rows] + rng.integers(2, 40, rows.size)
    return _frame(rows, at, 1, "bot", BOT_ID, "message", True, None)


def _assignments(tickets: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Routing to the agent, before the first reply."""
    rows = np.flatnonzero(tickets["agent_id"].ne("").to_numpy() & ~tickets["missed"].to_numpy())
    created = tickets["created"].to_numpy()[rows]
    replied = tickets["first_response"].to_numpy()[rows]
    at = created + rng.integers(30, 300, rows.size)
    at = np.where(replied != MISSING, np.minimum(at, np.maximum(replied - 1, created)), at)
    return _frame(rows, at, 2, "system", None, "assign", False, None)


def _notes(tickets: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Internal notes some agents leave before their first public reply."""
    created = tickets["created"].to_numpy()
    replied = tickets["first_response"].to_numpy()
    slow = (replied != MISSING) & (replied - created > 15 * 60)
    rows = np.flatnonzero(slow & (rng.random(len(tickets)) < 0.25))
    span = replied[rows] - created[rows]
    at = created[rows] + (span * rng.uniform(0.3, 0.9, rows.size)).astype(np.int64)
    agent = tickets["agent_id"].to_numpy(dtype=object)[rows]
    return _frame(rows, at, 3, "agent", agent, "note", False, None)


def _replies_and_solves(tickets: pd.DataFrame, rng: np.random.Generator) -> list[pd.DataFrame]:
    """Each cycle's first agent reply, the back-and-forth after it, and its solve."""
    agent = tickets["agent_id"].to_numpy(dtype=object)
    starts = ("first_response", "reply2", "reply3")
    parts = []
    for k, start_column in enumerate(starts):
        start = tickets[start_column].to_numpy()
        solve = tickets[f"solve{k + 1}"].to_numpy()
        rows = np.flatnonzero(start != MISSING)
        parts.append(_frame(rows, start[rows], 4, "agent", agent[rows], "message", True, None))
        end = np.where(solve != MISSING, solve, np.minimum(start + 10 * 86_400, EXPORT_AT - 1))
        for actor, column in (("agent", "extra_replies"), ("customer", "extra_contacts")):
            count = np.where(start != MISSING, tickets[f"{column}_{k}"].to_numpy(), 0)
            extra = np.repeat(np.arange(len(tickets)), count)
            at = start[extra] + (rng.random(extra.size) * (end[extra] - start[extra]))
            who = agent[extra] if actor == "agent" else tickets["customer_id"].to_numpy()[extra]
            parts.append(_frame(extra, at, 5, actor, who, "message", True, None))
        solved = np.flatnonzero(solve != MISSING)
        parts.append(
            _frame(solved, solve[solved], 7, "agent", agent[solved], "status", False, "solved")
        )
    return parts


def _reopens(tickets: pd.DataFrame) -> list[pd.DataFrame]:
    """The customer writes again after a solve: a message, and the ticket is open again."""
    customer = tickets["customer_id"].to_numpy(dtype=object)
    parts = []
    for k in (1, 2):
        reopen = tickets[f"reopen{k}"].to_numpy()
        rows = np.flatnonzero(reopen != MISSING)
        parts.append(
            _frame(rows, reopen[rows], 8, "customer", customer[rows], "message", True, None)
        )
        parts.append(_frame(rows, reopen[rows], 9, "system", None, "status", False, "open"))
    return parts


def _merges_and_closes(tickets: pd.DataFrame) -> list[pd.DataFrame]:
    """Merges into the customer's earlier ticket, and every close."""
    merged_at = tickets["merged_at"].to_numpy()
    rows = np.flatnonzero(merged_at != MISSING)
    agent = tickets["agent_id"].to_numpy(dtype=object)[rows]
    merge = _frame(rows, merged_at[rows], 10, "agent", agent, "merge", False, None)
    closed_at = tickets["closed"].to_numpy()
    closed = np.flatnonzero(closed_at != MISSING)
    close = _frame(closed, closed_at[closed], 11, "system", None, "status", False, "closed")
    return [merge, close]
