"""When the sample's tickets are answered, solved, reopened, merged and closed.

Waiting and working times are log-normal. Replies and solves happen only while the desk
is open, so a ticket written at 23:00 waits for the morning. Busy days (the days after a
promotion) and the month with too few agents slow everyone down; slow agents are slow
on every ticket. The state of each ticket is then read off at the moment of the export:
whatever had not happened by then is blank, which leaves a backlog of open tickets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import timeline
from cxlens.sample.timeline import DAY, EXPORT_AT, HOUR, MISSING, next_open

NEVER = np.int64(2**62)  # "has not happened (yet)" while computing
MINUTE = 60

# Median minutes to the first human reply, by channel.
RESPONSE_MINUTES = {
    "email": 150, "phone": 1.2, "chat": 2.5, "wechat": 9, "weibo": 70, "help_center": 200,
    "api": 240, "manual": 1.0, "feedback_widget": 300,
}  # fmt: skip
# Median hours of work from the first reply to the solve, by category.
WORK_HOURS = {
    "delivery": 18, "installation": 50, "defect": 90, "refund": 36, "billing": 5,
    "account": 1.5,
}  # fmt: skip
PRIORITY_SPEED = {"low": 1.4, "normal": 1.0, "high": 0.6, "urgent": 0.3}
EXTRA_REPLIES = {
    "delivery": 0.6, "installation": 1.3, "defect": 1.8, "refund": 1.0, "billing": 0.5,
    "account": 0.3,
}  # fmt: skip
AUTO_CLOSE = 4 * DAY


def add_timing(tickets: pd.DataFrame, agents: pd.DataFrame, rng: np.random.Generator) -> None:
    """Add every moment (seconds; ``MISSING`` where it never happened) and the status."""
    speed = tickets["agent_id"].map(agents.set_index("agent_id")["speed"]).to_numpy(dtype=float)
    staffing = timeline.month_index(tickets["created"].to_numpy()) == (
        timeline.staffing_month_index()
    )
    tickets["speed"] = speed
    tickets["short_staffed"] = staffing
    load = _daily_load(tickets["created"].to_numpy())

    _first_response(tickets, speed, staffing, load, rng)
    _solves_and_reopens(tickets, speed, staffing, rng)
    _merges(tickets, rng)
    _state_at_export(tickets, rng)


def _daily_load(created: np.ndarray) -> np.ndarray:
    """How busy the desk was on each ticket's day, relative to a typical day (≥ 0.8)."""
    day = created // DAY
    per_day = np.bincount(day, minlength=day.max() + 1)
    typical = np.median(per_day[per_day > 0])
    return np.clip(per_day[day] / typical, 0.8, 4.0) ** 0.8


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * rng.lognormal(0.0, sigma, median.size)


def _first_response(tickets, speed, staffing, load, rng) -> None:
    """The first public reply by a human, and which phone calls were never picked up."""
    n = len(tickets)
    created = tickets["created"].to_numpy()
    channel = tickets["channel"].to_numpy()
    weekend = timeline.weekday(created // DAY) >= 5
    median = (
        tickets["channel"].map(RESPONSE_MINUTES).to_numpy(dtype=float)
        * tickets["priority"].map(PRIORITY_SPEED).to_numpy(dtype=float)
        * speed
        * np.where(staffing, 3.5, 1.0)
        * load
        * np.where(weekend, 1.25, 1.0)
    )
    wait = (_lognormal(rng, median, 0.9) * MINUTE).astype(np.int64)
    replied = next_open(next_open(created) + wait)

    by_agent = channel == "manual"  # the agent logs the call and confirms at once
    replied = np.where(by_agent, created + rng.integers(60, 300, n), replied)
    missed_rate = np.clip(0.04 * load * np.where(staffing, 3.0, 1.0), 0, 0.5)
    missed = (channel == "phone") & (rng.random(n) < missed_rate)
    tickets["missed"] = missed
    tickets["answered"] = np.where(channel == "phone", ~missed, None)
    tickets["first_response"] = np.where(missed, NEVER, replied)
    tickets["agent_id"] = np.where(missed, "", tickets["agent_id"])  # nobody picked up


def _solves_and_reopens(tickets, speed, staffing, rng) -> None:
    """Up to three solves with up to two reopens between them."""
    n = len(tickets)
    category = tickets["category"]
    work = (
        category.map(WORK_HOURS).to_numpy(dtype=float)
        * tickets["priority"].map(PRIORITY_SPEED).to_numpy(dtype=float)
        * speed**0.7
        * np.where(staffing, 1.5, 1.0)
        * np.where((category == "defect").to_numpy() & (rng.random(n) < 0.06), 6.0, 1.0)
    )
    quick = category.isin(["account", "billing", "delivery"]).to_numpy().copy()
    quick &= tickets["channel"].isin(["phone", "chat", "wechat"]).to_numpy()
    quick &= rng.random(n) < 0.45
    tickets["solved_on_reply"] = quick
    seconds = np.where(quick, rng.integers(60, 600, n), _lognormal(rng, work, 0.9) * HOUR)
    start = tickets["first_response"].to_numpy()
    tickets["solve1"] = _after(start, next_open(start + seconds.astype(np.int64)))

    reopen_rate = 0.063 * np.select([speed > 1.5, speed < 0.7], [2.6, 0.3], 1.0)
    reopen_rate *= category.map({"defect": 1.8, "installation": 1.4}).fillna(1.0).to_numpy()
    reopen_rate *= np.where(staffing, 1.4, 1.0)
    reopened = rng.random(n) < reopen_rate
    cycles = reopened + (reopened & (rng.random(n) < 0.15))
    for k in (1, 2):
        _reopen_cycle(tickets, k, cycles >= k, work, speed, rng)
    tickets["extra_replies_0"] = rng.poisson(category.map(EXTRA_REPLIES).to_numpy() * ~quick)
    tickets["extra_contacts_0"] = rng.poisson(0.6 * category.map(EXTRA_REPLIES).to_numpy())


def _after(base: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """``moment`` where ``base`` happened, else ``NEVER``."""
    return np.where(base >= NEVER, NEVER, moment)


def _reopen_cycle(tickets, k: int, happens: np.ndarray, work, speed, rng) -> None:
    """The customer writes again after solve ``k``; an agent replies and solves again."""
    n = len(tickets)
    solved = tickets[f"solve{k}"].to_numpy()
    reopen = solved + (HOUR + rng.exponential(2.5 * DAY, n)).astype(np.int64)
    reopen = np.where(happens, _after(solved, reopen), NEVER)
    reply = next_open(np.minimum(reopen, EXPORT_AT + 100 * DAY))
    reply += (_lognormal(rng, 30 * speed, 1.0) * MINUTE).astype(np.int64)
    again = next_open(reply + (_lognormal(rng, work / 2, 0.9) * HOUR).astype(np.int64))
    tickets[f"reopen{k}"] = reopen
    tickets[f"reply{k + 1}"] = _after(reopen, reply)
    tickets[f"solve{k + 1}"] = _after(reopen, again)
    tickets[f"extra_replies_{k}"] = rng.poisson(0.4, n)
    tickets[f"extra_contacts_{k}"] = rng.poisson(0.3, n)


def _merges(tickets: pd.DataFrame, rng: np.random.Generator) -> None:
    """About 1 % of tickets repeat the customer's ticket of the last two days: merged."""
    created = tickets["created"].to_numpy()
    customer = tickets["customer"].to_numpy()
    order = np.lexsort((created, customer))
    previous = np.full(len(tickets), -1)
    same = customer[order][1:] == customer[order][:-1]
    previous[order[1:][same]] = order[:-1][same]

    recent = (previous >= 0) & (customer >= 0)
    recent &= created - created[np.maximum(previous, 0)] < 2 * DAY
    recent &= (tickets["channel"] != "phone").to_numpy()
    merged = recent & (rng.random(len(tickets)) < 0.1)
    delay = _lognormal(rng, np.full(len(tickets), 40.0), 0.8) * MINUTE
    merged_at = next_open(created + delay.astype(np.int64))
    merged &= merged_at < EXPORT_AT

    tickets["merged_into"] = np.where(
        merged, tickets["ticket_id"].to_numpy()[np.maximum(previous, 0)], None
    )
    tickets["merged_at"] = np.where(merged, merged_at, NEVER)
    target = np.maximum(previous, 0)
    for column in ("agent_id", "team"):
        tickets[column] = np.where(merged, tickets[column].to_numpy()[target], tickets[column])
    for column in ("first_response", "solve1", "reopen1", "reply2", "solve2", "reopen2"):
        tickets[column] = np.where(merged, NEVER, tickets[column])
    for column in ("reply3", "solve3"):
        tickets[column] = np.where(merged, NEVER, tickets[column])


def _state_at_export(tickets: pd.DataFrame, rng: np.random.Generator) -> None:
    """Blank what had not happened at the export; derive solved, closed and status."""
    for column in ("first_response", "solve1", "reopen1", "reply2", "solve2", "reopen2"):
        tickets[column] = _seen(tickets[column].to_numpy())
    for column in ("reply3", "solve3", "merged_at"):
        tickets[column] = _seen(tickets[column].to_numpy())

    solves = tickets[["solve1", "solve2", "solve3"]].to_numpy()
    reopens = tickets[["reopen1", "reopen2"]].to_numpy()
    tickets["reopens"] = (reopens != MISSING).sum(axis=1)
    solved_now = (solves != MISSING).sum(axis=1) > tickets["reopens"].to_numpy()
    latest = np.take_along_axis(solves, tickets[["reopens"]].to_numpy(), axis=1)[:, 0]
    tickets["first_solved"] = tickets["solve1"]
    tickets["solved"] = np.where(solved_now, latest, MISSING)

    merged = tickets["merged_at"].to_numpy() != MISSING
    missed = tickets["missed"].to_numpy()
    closed = np.where(solved_now, latest + AUTO_CLOSE, MISSING)
    closed = np.where(merged, tickets["merged_at"], closed)
    hang_up = tickets["created"].to_numpy() + rng.integers(20, 120, len(tickets))
    closed = np.where(missed, hang_up, closed)
    tickets["closed"] = _seen(np.where(closed == MISSING, NEVER, closed))
    tickets["status"] = _status(tickets, solved_now, rng)


def _seen(moment: np.ndarray) -> np.ndarray:
    """``MISSING`` for moments after the export (or never)."""
    return np.where(moment < EXPORT_AT, moment, MISSING).astype(np.int64)


def _status(tickets: pd.DataFrame, solved_now: np.ndarray, rng) -> np.ndarray:
    """Closed, solved, open, pending, on hold or new, as the helpdesk showed at the export."""
    replied = tickets["first_response"].to_numpy() != MISSING
    waiting = rng.random(len(tickets)) < 0.35
    parts = (tickets["category"] == "defect").to_numpy() & (rng.random(len(tickets)) < 0.3)
    return np.select(
        [
            tickets["closed"].to_numpy() != MISSING,
            solved_now,
            replied & parts,
            replied & waiting,
            replied,
        ],
        ["closed", "solved", "on_hold", "pending", "open"],
        "new",
    )
