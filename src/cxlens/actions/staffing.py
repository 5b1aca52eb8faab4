"""Staffing for the service level: from arrivals and handle time to the agents needed.

Erlang C is the queue of a phone line or a live chat: contacts arrive at random (Poisson),
handle times are exponential, N agents answer in turn and nobody hangs up. For one
interval:

- traffic A = calls × average handle time (AHT) / interval length, in erlangs (the
  agents kept busy on average);
- the probability that a contact waits, P_wait = C(N, A), comes from Erlang B, which is
  the Poisson ratio B(N, A) = P(X = N) / P(X ≤ N) for X ~ Poisson(A), then
  C = N·B / (N − A·(1 − B)). The Poisson terms come from scipy in logarithms and the
  regularised gamma function, so no A^N or N! is formed (they overflow a float past about
  170 agents) and one agent count costs the same at 5 agents as at 50,000;
- service level within T seconds = 1 − P_wait · exp(−(N − A) · T / AHT);
- average speed of answer ASA = P_wait · AHT / (N − A); occupancy = A / N.

The agents needed are the smallest N above A whose service level reaches the target.
The service level rises with N, so the search halves the range [⌊A⌋ + 1, N_high] until
it holds one count, every interval at once (N_high doubles its distance from A until it
meets the target); a few dozen steps even at 100,000 erlangs, the largest traffic planned
(more is a typing slip, and is refused). Two separate, optional
inputs change the count a manager plans for: a maximum occupancy (N ≥ A / maximum) and
shrinkage (the share of paid time not spent answering: rostered = ⌈N / (1 − shrinkage)⌉).
No contacts need no agents; while the desk is open a live queue still needs
``[staffing] min_agents`` (default 1) on it, so the week's plan never leaves an open queue
empty.

Written here rather than taken from pyworkforce: its Erlang C is a handful of lines but
the package brings OR-Tools, pandas and joblib into the base install, and the version
here runs every interval of the week at once on numpy arrays. The tests check it
against published tables and against the direct sum in exact fractions.

From the warehouse, ``weekly_staffing`` learns the week's pattern: tickets created per
local weekday × interval, averaged over the last ``[staffing] weeks`` full weeks ending
at the scope's last day (a week with no ticket in an interval counts as 0), per channel
of ``[staffing] channels``. The warehouse holds no handle time, so the AHT comes from
``[staffing] aht_seconds``. Where ticket events show agents' public replies, the
distinct agents replying in an interval, averaged over the same weeks, say how many were
on shift: the gap to the agents needed is what to change.

Only the desk's open intervals are queues. Where ``[business_hours]`` sets opening hours
(and ``[staffing] open_hours`` is ``"business_hours"``, the default), an interval at
least partly open is planned; a contact that arrives while the desk is closed waits for
opening, so it is moved to the first open interval after it and added to that interval's
arrivals (the opening interval carries the night's work). Holidays are closed dates: they
are left out of the days averaged, so each weekday's mean is over its working days. With
``open_hours = "always"``, or no opening hours, every interval of every day is planned.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import gammaln, pdtr, xlogy

from cxlens.clean.business import business_calendar
from cxlens.errors import ConfigError, ModelError, WarehouseError
from cxlens.store import has_table

if TYPE_CHECKING:
    import duckdb

    from cxlens.clean.business import BusinessCalendar
    from cxlens.insights.actions import Scope
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

log = logging.getLogger(__name__)

__all__ = [
    "Staffing",
    "WeeklyStaffing",
    "agents_needed",
    "average_speed_of_answer",
    "check_settings",
    "rostered_agents",
    "service_level",
    "staff_interval",
    "traffic_erlangs",
    "wait_probability",
    "weekly_staffing",
]

MINUTES_PER_DAY = 24 * 60
# The largest offered load planned, in erlangs: 100,000 agents busy at once is beyond any
# contact centre, so more is a slip in the calls, the handle time or the interval.
MAX_TRAFFIC = 100_000.0
# Handle times (seconds) when [staffing] aht_seconds names none for a channel: a typical
# service call and a typical chat (an agent holds a chat longer, often two at once).
DEFAULT_AHT = {"phone": 360.0, "chat": 600.0}
DEFAULTS: dict[str, Any] = {
    "interval_minutes": 30,
    "weeks": 8,
    # Queues answered while the customer waits; email is answered later and is no Erlang
    # queue, so it stays out unless listed.
    "channels": ["phone", "chat"],
    "aht_seconds": DEFAULT_AHT,
    "target": 0.8,
    "within_seconds": 20.0,
    "shrinkage": 0.0,  # 0: plan on-queue agents only
    "max_occupancy": 1.0,  # 1: no cap beyond the service level
    "min_agents": 1,  # on every open interval of a live queue, even one with no contacts
    # "business_hours": plan the open intervals of [business_hours] (every interval when
    # the project sets none); "always": plan every interval of every day.
    "open_hours": "business_hours",
}
OPEN_HOURS = ("business_hours", "always")
# Dimension filters that apply to arrivals (ticket columns); agent and segment do not
# say which queue a contact joins and are left out.
TICKET_FILTERS = ("channel", "category", "priority", "team")


# ---------------------------------------------------------------------------------------
# Erlang C


def traffic_erlangs(calls: Any, interval_minutes: Any, aht_seconds: Any) -> Any:
    """Offered load in erlangs: calls × AHT / interval (arrays or numbers)."""
    return np.asarray(calls, dtype=float) * aht_seconds / (np.asarray(interval_minutes) * 60.0)


def wait_probability(traffic: Any, agents: Any) -> np.ndarray:
    """Erlang C: the probability that a contact waits, per (traffic, agents) pair.

    Arrays broadcast; agents are whole numbers. With agents ≤ traffic the queue grows
    without end and every contact waits (1.0); with no traffic nobody waits (0.0).
    """
    traffic, agents = np.broadcast_arrays(
        np.asarray(traffic, dtype=float), np.asarray(agents, dtype=int)
    )
    blocking = _erlang_b(traffic, agents)
    with np.errstate(divide="ignore", invalid="ignore"):
        waiting = agents * blocking / (agents - traffic * (1.0 - blocking))
    waiting = np.where(agents <= traffic, 1.0, waiting)
    return np.where(traffic == 0, 0.0, waiting)


def _erlang_b(traffic: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """Erlang B at each pair's own agent count: the Poisson probability of exactly N over
    that of at most N, the first in logarithms (xlogy makes 0·log 0 = 0 for no traffic).
    Where the desk is overloaded (N ≤ A, the callers mask it) both may underflow to 0."""
    agents = agents.astype(float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        exactly = np.exp(xlogy(agents, traffic) - traffic - gammaln(agents + 1.0))
        return exactly / pdtr(agents, traffic)


def service_level(traffic: Any, agents: Any, aht_seconds: Any, within_seconds: Any) -> np.ndarray:
    """The share of contacts answered within ``within_seconds``; 0 when agents ≤ traffic."""
    traffic = np.asarray(traffic, dtype=float)
    agents = np.asarray(agents, dtype=int)
    waiting = wait_probability(traffic, agents)
    level = 1.0 - waiting * np.exp(-(agents - traffic) * within_seconds / aht_seconds)
    return np.where((agents <= traffic) & (traffic > 0), 0.0, level)


def average_speed_of_answer(traffic: Any, agents: Any, aht_seconds: Any) -> np.ndarray:
    """Mean wait in seconds over all contacts (answered at once count 0); inf when overloaded."""
    traffic = np.asarray(traffic, dtype=float)
    agents = np.asarray(agents, dtype=int)
    waiting = wait_probability(traffic, agents)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = waiting * aht_seconds / (agents - traffic)
    speed = np.where(agents <= traffic, np.inf, speed)
    return np.where(traffic == 0, 0.0, speed)


def agents_needed(
    traffic: Any,
    aht_seconds: Any,
    target: float,
    within_seconds: float,
    max_occupancy: float = 1.0,
) -> np.ndarray:
    """The smallest N above the traffic whose service level reaches ``target`` and whose
    occupancy stays at most ``max_occupancy``; 0 where there is no traffic.

    Both conditions hold from some N on, so every interval searches at once: first the
    distance above ⌊A⌋ doubles until N meets them, then the range between the last count
    that misses and the first that meets is halved until they are neighbours. Raises
    ModelError for traffic that is not a finite number from 0 to ``MAX_TRAFFIC``.
    """
    traffic = np.atleast_1d(np.asarray(traffic, dtype=float))
    check_traffic(traffic)
    aht = np.broadcast_to(np.asarray(aht_seconds, dtype=float), traffic.shape)

    def meets(agents: np.ndarray) -> np.ndarray:
        level = service_level(traffic, agents, aht, within_seconds)
        return (agents > traffic) & (level >= target) & (traffic <= max_occupancy * agents)

    missing = np.floor(traffic).astype(np.int64)  # N ≤ A never meets the target
    step = np.ones_like(missing)
    enough = missing + step
    while not (met := meets(enough)).all():
        missing = np.where(met, missing, enough)
        step = np.where(met, step, 2 * step)
        enough = np.where(met, enough, enough + step)

    while (wide := enough - missing > 1).any():
        middle = (missing + enough) // 2
        met = meets(middle)
        enough = np.where(wide & met, middle, enough)
        missing = np.where(wide & ~met, middle, missing)
    return np.where(traffic == 0, 0, enough)


def check_traffic(traffic: np.ndarray) -> None:
    """Refuse traffic no queue can mean: not a number, infinite, negative or beyond
    ``MAX_TRAFFIC`` erlangs, saying which inputs make it."""
    if not np.isfinite(traffic).all() or (traffic < 0).any():
        raise ModelError(
            "the traffic (calls × handle time ÷ interval) is not a finite number of 0 or "
            "more; give the calls, handle time and interval as finite numbers"
        )
    if traffic.size and traffic.max() > MAX_TRAFFIC:
        raise ModelError(
            f"the traffic, {traffic.max():,.0f} erlangs (calls × handle time ÷ interval), "
            f"is beyond the {MAX_TRAFFIC:,.0f} erlangs this plans; check the calls, the "
            "handle time (in seconds) and the interval (in minutes)"
        )


def rostered_agents(agents: Any, shrinkage: float) -> np.ndarray:
    """Agents to roster so that ``agents`` are answering after shrinkage: ⌈N / (1 − s)⌉."""
    return _ceil(np.asarray(agents, dtype=float) / (1.0 - shrinkage))


def _ceil(values: Any) -> np.ndarray:
    """Ceiling that ignores float dust (14 / 0.7 is 20.000000000000004 in binary)."""
    return np.ceil(np.round(np.asarray(values, dtype=float), 9)).astype(int)


@dataclass
class Staffing:
    """One interval's staffing: the agents needed and what they achieve.

    ``agents`` meets the target (and the occupancy cap when one is given);
    ``agents_for_target`` is the count for the target alone, ``agents_rostered`` the
    count after shrinkage, each ``None`` when its input was not given.
    """

    agents: int
    service_level: float
    occupancy: float
    asa_seconds: float
    traffic: float
    wait_probability: float
    agents_for_target: int | None = None
    agents_rostered: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The four answers, plus the counts whose inputs were given."""
        result: dict[str, Any] = {
            "agents": self.agents,
            "service_level": self.service_level,
            "occupancy": self.occupancy,
            "asa_seconds": self.asa_seconds,
        }
        if self.agents_for_target is not None:
            result["agents_for_target"] = self.agents_for_target
        if self.agents_rostered is not None:
            result["agents_rostered"] = self.agents_rostered
        return result


def staff_interval(
    calls: float,
    interval_minutes: float,
    aht_seconds: float,
    target: float = 0.8,
    within_seconds: float = 20.0,
    *,
    shrinkage: float | None = None,
    max_occupancy: float | None = None,
) -> Staffing:
    """The agents one interval needs for ``target`` of contacts answered within
    ``within_seconds``, with the resulting service level, occupancy and ASA."""
    check_inputs(calls, interval_minutes, aht_seconds, target, within_seconds)
    _check_fraction("shrinkage", shrinkage, 0.0, 1.0, closed_high=False)
    _check_fraction("max_occupancy", max_occupancy, 0.0, 1.0, closed_low=False)

    traffic = float(traffic_erlangs(calls, interval_minutes, aht_seconds))
    for_target = int(agents_needed(traffic, aht_seconds, target, within_seconds)[0])
    agents = for_target
    if max_occupancy is not None:
        agents = int(agents_needed(traffic, aht_seconds, target, within_seconds, max_occupancy)[0])

    return Staffing(
        agents=agents,
        service_level=float(service_level(traffic, agents, aht_seconds, within_seconds)),
        occupancy=traffic / agents if agents else 0.0,
        asa_seconds=float(average_speed_of_answer(traffic, agents, aht_seconds)),
        traffic=traffic,
        wait_probability=float(wait_probability(traffic, agents)),
        agents_for_target=for_target if max_occupancy is not None else None,
        agents_rostered=(
            int(rostered_agents(agents, shrinkage)) if shrinkage is not None else None
        ),
    )


def check_inputs(
    calls: float, interval_minutes: float, aht_seconds: float, target: float, within: float
) -> None:
    """Refuse inputs the formula cannot mean, saying what is allowed."""
    for name, value in (
        ("calls", calls),
        ("the interval", interval_minutes),
        ("the average handle time", aht_seconds),
        ("the answer time", within),
    ):
        if not math.isfinite(value):
            raise ModelError(f"{name} must be a finite number, not {value}")
    if not calls >= 0:
        raise ModelError(f"calls must be 0 or more, not {calls}")
    if not interval_minutes > 0:
        raise ModelError(f"the interval must be longer than 0 minutes, not {interval_minutes}")
    if not aht_seconds > 0:
        raise ModelError(f"the average handle time must be more than 0 seconds, not {aht_seconds}")
    _check_fraction("target", target, 0.0, 1.0, closed_low=False, closed_high=False)
    if not within >= 0:
        raise ModelError(f"the answer time must be 0 seconds or more, not {within}")


def _check_fraction(
    name: str,
    value: float | None,
    low: float,
    high: float,
    *,
    closed_low: bool = True,
    closed_high: bool = True,
) -> None:
    if value is None:
        return
    above = value >= low if closed_low else value > low
    below = value <= high if closed_high else value < high
    if not (above and below):
        left = "[" if closed_low else "("
        right = "]" if closed_high else ")"
        raise ModelError(f"{name} must lie in {left}{low:g}, {high:g}{right}, not {value}")


# ---------------------------------------------------------------------------------------
# [staffing] settings


def check_settings(section: dict[str, Any]) -> dict[str, Any]:
    """``[staffing]`` completed with its defaults; unknown keys and bad values refused.

    ``aht_seconds`` may be one number for every channel or a table per channel; it is
    returned as a table covering every channel of ``channels``.
    """
    unknown = sorted(set(section) - set(DEFAULTS))
    if unknown:
        raise ConfigError(
            f"[staffing] has no key {', '.join(unknown)}; the keys are "
            f"{', '.join(DEFAULTS)} (see docs/staffing.md)"
        )
    completed = {**DEFAULTS, **section}

    completed["interval_minutes"] = _interval_setting(completed["interval_minutes"])
    completed["weeks"] = _whole_setting("weeks", completed["weeks"], 1, 52)
    completed["channels"] = _channels_setting(completed["channels"])
    completed["target"] = _number_setting("target", completed["target"], 0.0, 1.0, "(0, 1)")
    completed["within_seconds"] = _number_setting(
        "within_seconds", completed["within_seconds"], 0.0, math.inf, "[0, ∞)"
    )
    completed["shrinkage"] = _number_setting(
        "shrinkage", completed["shrinkage"], 0.0, 1.0, "[0, 1)"
    )
    completed["max_occupancy"] = _number_setting(
        "max_occupancy", completed["max_occupancy"], 0.0, 1.0, "(0, 1]"
    )
    completed["min_agents"] = _whole_setting("min_agents", completed["min_agents"], 0, 1000)
    completed["aht_seconds"] = _aht_setting(completed["aht_seconds"], completed["channels"])
    if completed["open_hours"] not in OPEN_HOURS:
        raise ConfigError(
            f'[staffing] open_hours must be "business_hours" (plan the opening hours) or '
            f'"always" (plan every hour), not {completed["open_hours"]!r}'
        )
    return completed


def _interval_setting(value: Any) -> int:
    minutes = _whole_setting("interval_minutes", value, 5, 240)
    if MINUTES_PER_DAY % minutes:
        raise ConfigError(
            f"[staffing] interval_minutes = {minutes} does not divide a day into equal "
            "intervals; use a divisor of 1440 such as 15, 30 or 60"
        )
    return minutes


def _whole_setting(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            f"[staffing] {key} must be a whole number from {low} to {high}, not {value!r}"
        )
    return value


def _number_setting(key: str, value: Any, low: float, high: float, allowed: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"[staffing] {key} must be a number in {allowed}, not {value!r}")
    inside = {
        "(0, 1)": low < value < high,
        "[0, 1)": low <= value < high,
        "(0, 1]": low < value <= high,
        "[0, ∞)": low <= value < high,
    }[allowed]
    if not inside:
        raise ConfigError(f"[staffing] {key} must be a number in {allowed}, not {value!r}")
    return float(value)


def _channels_setting(value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise ConfigError(
            f"[staffing] channels must be a list of channel names such as "
            f'["phone", "chat"], not {value!r}'
        )
    return list(dict.fromkeys(v.strip() for v in value))


def _aht_setting(value: Any, channels: list[str]) -> dict[str, float]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        table = {channel: value for channel in channels}
    elif isinstance(value, dict):
        table = {**DEFAULT_AHT, **value}
    else:
        raise ConfigError(
            "[staffing] aht_seconds must be seconds (one number for every channel) or a "
            f"table per channel such as {{ phone = 360, chat = 600 }}, not {value!r}"
        )
    for channel, seconds in table.items():
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 < seconds < math.inf
        ):
            raise ConfigError(
                f"[staffing] aht_seconds for {channel} must be a finite number of seconds "
                f"above 0, not {seconds!r}"
            )
    missing = [channel for channel in channels if channel not in table]
    if missing:
        raise ConfigError(
            f"[staffing] aht_seconds gives no handle time for {', '.join(missing)}; add "
            f"{missing[0]} = <seconds> to [staffing.aht_seconds]"
        )
    return {channel: float(seconds) for channel, seconds in table.items()}


# ---------------------------------------------------------------------------------------
# The week's pattern from the warehouse


@dataclass
class WeeklyStaffing:
    """Agents needed per channel × local weekday × interval, learned from recent weeks.

    ``table``: one row per channel, weekday (1 = Monday … 7 = Sunday) and interval
    start (minutes after midnight), with ``open`` (planned: the desk is open in at least
    part of it), ``arrivals`` (mean tickets created in it), ``waiting`` (mean tickets
    that arrived while the desk was closed and wait for it: the first open interval after
    them), ``calls`` (arrivals + waiting where open, 0 where closed), ``aht_seconds``,
    ``traffic``, ``agents`` (needed), ``agents_without_waiting`` (for the arrivals alone),
    ``service_level``, ``occupancy``, ``asa_seconds``, ``agents_rostered`` (after
    shrinkage), ``observed_agents`` (mean distinct agents replying; NaN without events)
    and ``gap`` (agents − observed_agents, positive means short). Service level,
    occupancy, ASA and gap are NaN where the desk is closed. ``holidays``: the closed
    dates left out of the days averaged; ``open_hours``: whether opening hours decided
    which intervals are planned. ``since``: the day the full weeks were counted from (the
    window's first day or --from), None when ``[staffing] weeks`` set them;
    ``window_first``: the scope's first day. ``silent``: staffed channels with no contact
    in the weeks, not planned. ``days`` and ``days_with_contacts``: the working days of the
    weeks, and how many of them hold a contact on the planned channels.
    """

    table: pd.DataFrame
    first: date
    last: date
    weeks: int
    channels: list[str]
    section: dict[str, Any]
    left_out: list[str] = field(default_factory=list)
    holidays: list[date] = field(default_factory=list)
    open_hours: bool = False
    since: date | None = None
    window_first: date | None = None
    silent: list[str] = field(default_factory=list)
    days: int = 0
    days_with_contacts: int = 0

    @property
    def sparse(self) -> bool:
        """Fewer than half the working days hold a contact: the means per weekday are
        diluted by days the export may simply not cover."""
        return self.days_with_contacts * 2 < self.days

    @property
    def has_observed(self) -> bool:
        return bool(self.table["observed_agents"].notna().any())


def weekly_staffing(
    warehouse: Warehouse,
    settings: Settings,
    scope: Scope | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    since: date | None = None,
) -> WeeklyStaffing:
    """The week's staffing plan from the warehouse's recent history.

    ``overrides`` replace ``[staffing]`` keys (the command's flags). ``since`` (the
    command's --from) replaces ``[staffing] weeks`` by the full weeks from that day to the
    last day, the weeks ending at the last day. A scope whose window has a first day and
    holds at least ``[staffing] weeks`` full weeks is learned from all of them; a shorter
    window from the ``[staffing] weeks`` ending at its last day, a longer history than it.
    Staffed channels with no contact in the weeks are left out (``silent``). Raises
    WarehouseError when there are no tickets, under one full week of them, or no contact
    on any of the staffed channels.
    """
    section = check_settings({**settings.staffing, **(overrides or {})})
    calendar = business_calendar(settings) if section["open_hours"] == "business_hours" else None
    filters = {k: list(v) for k, v in (scope.filters if scope else {}).items() if v}
    window = (scope.first, scope.last) if scope else (None, None)

    with warehouse.connect(read_only=True) as con:
        first, last, weeks, since = _history(con, section["weeks"], window, since)
        holidays = sorted(d for d in calendar.holidays if first <= d <= last) if calendar else []
        listed, left_out = _channels(con, section["channels"], filters.get("channel"))
        days = _working_days(first, last, holidays)
        arrivals = _arrivals(con, section, listed, filters, first, last, holidays)
        channels, silent = _with_contacts(arrivals, listed, first, last)
        active = _days_with_contacts(con, channels, filters, first, last, holidays)
        observed = _observed_agents(con, section, channels, filters, first, last, holidays)

    arrivals = _per_day(arrivals[arrivals.index.isin(channels, level="channel")], days)
    observed = _per_day(observed, days) if observed is not None else None
    open_slots = _open_slots(calendar, section["interval_minutes"]) if calendar else None
    table = _plan(arrivals, observed, open_slots, section)
    return WeeklyStaffing(
        table,
        first,
        last,
        weeks,
        channels,
        section,
        left_out,
        holidays,
        calendar is not None,
        since=since,
        window_first=window[0],
        silent=silent,
        days=int(days.sum()),
        days_with_contacts=active,
    )


def _with_contacts(
    arrivals: pd.Series, listed: list[str], first: date, last: date
) -> tuple[list[str], list[str]]:
    """The staffed channels with at least one contact in the weeks, and those with none:
    a queue nobody contacted gives no pattern to plan (min_agents alone would staff it)."""
    counted = arrivals.groupby(level="channel").sum()
    kept = [c for c in listed if counted.get(c, 0) > 0]
    if not kept:
        raise WarehouseError(
            f"no contact on the staffed channels ({', '.join(listed)}) from {first} to "
            f"{last}, the weeks learned; choose a window or --from that holds contacts"
        )
    return kept, [c for c in listed if c not in kept]


def _days_with_contacts(
    con: duckdb.DuckDBPyConnection,
    channels: list[str],
    filters: dict[str, list[str]],
    first: date,
    last: date,
    holidays: list[date],
) -> int:
    """Working days of the weeks on which at least one contact arrived on the channels."""
    where, params = _ticket_filters(filters)
    found = con.execute(
        f"""
        SELECT count(DISTINCT created_at_local::DATE)
        FROM tickets
        WHERE NOT coalesce(is_merged, false)
          AND list_contains(?, channel)
          AND created_at_local >= ? AND created_at_local < ?
          AND NOT list_contains(?::DATE[], created_at_local::DATE)
          {where}
        """,
        [channels, first, last + timedelta(days=1), holidays, *params],
    ).fetchone()
    return int(found[0]) if found else 0


def _history(
    con: duckdb.DuckDBPyConnection,
    weeks: int,
    window: tuple[date | None, date | None],
    since: date | None,
) -> tuple[date, date, int, date | None]:
    """(first day, last day, full weeks, the day they were counted from or None): the last
    ``weeks`` full weeks of tickets that end at the window's last day, or at the data's end
    when that comes earlier; with ``since``, or a window whose first day leaves at least
    ``weeks`` full weeks, as many full weeks as fit from that day to the last day."""
    first_asked, last_asked = window
    if not has_table(con, "tickets"):
        raise WarehouseError("the warehouse has no tickets; import tickets first (cxlens run)")
    start, end = con.execute(
        "SELECT min(created_at_local)::DATE, max(created_at_local)::DATE FROM tickets"
    ).fetchone()
    if end is None:
        raise WarehouseError("the warehouse has no tickets; import tickets first (cxlens run)")
    last = min(last_asked, end) if last_asked else end
    if since is None and first_asked is not None and ((last - first_asked).days + 1) // 7 >= weeks:
        since = first_asked  # the window holds the weeks asked or more: learn from all of it
    if since is not None:
        weeks = ((last - since).days + 1) // 7
        if weeks < 1:
            raise WarehouseError(
                f"staffing learns from full weeks, and {since} to {last} hold none; start at "
                "least seven days before the last day (or leave the first day out to learn "
                "from the [staffing] weeks)"
            )
    full_weeks = min(weeks, ((last - start).days + 1) // 7)
    if full_weeks < 1:
        raise WarehouseError(
            f"staffing learns the week's pattern from full weeks of tickets, and the data "
            f"from {start} to {last} hold less than one; import at least seven days"
        )
    return last - timedelta(days=7 * full_weeks - 1), last, full_weeks, since


def _working_days(first: date, last: date, holidays: list[date]) -> pd.Series:
    """Days per weekday (1 = Monday … 7) from ``first`` to ``last``, holidays left out: what
    each weekday's sums are divided by."""
    days = pd.Series(pd.date_range(first, last, freq="D"))
    kept = days[~days.dt.date.isin(holidays)]
    return kept.dt.dayofweek.add(1).value_counts().reindex(range(1, 8), fill_value=0)


def _per_day(sums: pd.Series, days: pd.Series) -> pd.Series:
    """Sums per (channel, weekday, start) as means per working day of that weekday; 0 for
    a weekday with no working day in the weeks (every one a holiday)."""
    divisor = days.reindex(sums.index.get_level_values("weekday")).to_numpy(dtype=float)
    values = np.divide(
        sums.to_numpy(), divisor, out=np.zeros(len(sums), dtype=float), where=divisor > 0
    )
    return pd.Series(values, index=sums.index, name=sums.name)


def _open_slots(calendar: BusinessCalendar, minutes: int) -> np.ndarray:
    """Whether each interval of the week (Monday 00:00 first) is at least partly open.

    The opening hours are local wall-clock minutes; an evening shift running past
    midnight (``"22:00-06:00"``, stored as 1320–1800) opens the next weekday's early
    intervals, and Sunday's runs into Monday.
    """
    week = 7 * MINUTES_PER_DAY
    open_minutes = np.zeros(week, dtype=bool)
    for weekday, spans in enumerate(calendar.weekly):
        for start, end in spans:
            minute = weekday * MINUTES_PER_DAY + np.arange(start, end)
            open_minutes[minute % week] = True
    return open_minutes.reshape(-1, minutes).any(axis=1)


def _channels(
    con: duckdb.DuckDBPyConnection, listed: list[str], filtered: list[str] | None
) -> tuple[list[str], list[str]]:
    """The listed channels that hold tickets (and pass the scope's channel filter), and the
    listed ones left out."""
    present = {row[0] for row in con.execute("SELECT DISTINCT channel FROM tickets").fetchall()}
    kept = [c for c in listed if c in present and (not filtered or c in filtered)]
    if not kept and filtered:
        raise WarehouseError(
            f"the channel filter ({', '.join(filtered)}) keeps none of the staffed channels "
            f"({', '.join(listed)}); list it in [staffing] channels (or --channel) to staff it"
        )
    if not kept:
        raise WarehouseError(
            f"no tickets on the staffed channels ({', '.join(listed)}); the data have "
            f"{', '.join(sorted(str(c) for c in present if c)) or 'none'}: list the live "
            "queues in [staffing] channels"
        )
    return kept, [c for c in listed if c not in kept]


def _arrivals(
    con: duckdb.DuckDBPyConnection,
    section: dict[str, Any],
    channels: list[str],
    filters: dict[str, list[str]],
    first: date,
    last: date,
    holidays: list[date],
) -> pd.Series:
    """Tickets created per (channel, weekday, interval start) over the days, merged tickets
    and holidays excluded (merged ones as the tickets KPI counts them); every interval
    present, empty ones 0."""
    where, params = _ticket_filters(filters)
    frame = con.execute(
        f"""
        SELECT channel, isodow(created_at_local) AS weekday,
               (hour(created_at_local) * 60 + minute(created_at_local)) // ? * ? AS start,
               count(*) AS tickets
        FROM tickets
        WHERE NOT coalesce(is_merged, false)
          AND list_contains(?, channel)
          AND created_at_local >= ? AND created_at_local < ?
          AND NOT list_contains(?::DATE[], created_at_local::DATE)
          {where}
        GROUP BY ALL
        """,
        [
            section["interval_minutes"],
            section["interval_minutes"],
            channels,
            first,
            last + timedelta(days=1),
            holidays,
            *params,
        ],
    ).df()
    return _on_grid(frame, "tickets", channels, section["interval_minutes"])


def _observed_agents(
    con: duckdb.DuckDBPyConnection,
    section: dict[str, Any],
    channels: list[str],
    filters: dict[str, list[str]],
    first: date,
    last: date,
    holidays: list[date],
) -> pd.Series | None:
    """Distinct agents with a public reply per (channel, weekday, interval), summed over the
    days (holidays left out); None when the events name no replying agent in the days."""
    if not has_table(con, "ticket_events"):
        return None
    where, params = _ticket_filters(filters, prefix="t.")
    frame = con.execute(
        f"""
        SELECT channel, weekday, start, sum(agents) AS agents
        FROM (
            SELECT t.channel, isodow(e.at_local) AS weekday,
                   (hour(e.at_local) * 60 + minute(e.at_local)) // ? * ? AS start,
                   e.at_local::DATE AS day, count(DISTINCT e.actor_id) AS agents
            FROM ticket_events e JOIN tickets t USING (ticket_id)
            WHERE e.actor = 'agent' AND e.kind = 'message' AND e.public
              AND e.actor_id IS NOT NULL
              AND list_contains(?, t.channel)
              AND e.at_local >= ? AND e.at_local < ?
              AND NOT list_contains(?::DATE[], e.at_local::DATE)
              {where}
            GROUP BY ALL
        )
        GROUP BY ALL
        """,
        [
            section["interval_minutes"],
            section["interval_minutes"],
            channels,
            first,
            last + timedelta(days=1),
            holidays,
            *params,
        ],
    ).df()
    if frame.empty:
        return None
    return _on_grid(frame, "agents", channels, section["interval_minutes"])


def _ticket_filters(filters: dict[str, list[str]], prefix: str = "") -> tuple[str, list[Any]]:
    """SQL conditions (and their parameters) for the scope's ticket-column filters."""
    kept = [(d, v) for d, v in filters.items() if d in TICKET_FILTERS and d != "channel"]
    sql = "".join(f" AND list_contains(?, {prefix}{dimension})" for dimension, _ in kept)
    return sql, [values for _, values in kept]


def _on_grid(frame: pd.DataFrame, column: str, channels: list[str], minutes: int) -> pd.Series:
    """``column`` on every (channel, weekday, start) of the week, 0 where absent."""
    grid = pd.MultiIndex.from_product(
        [channels, range(1, 8), range(0, MINUTES_PER_DAY, minutes)],
        names=["channel", "weekday", "start"],
    )
    values = frame.astype({"weekday": int, "start": int}).set_index(["channel", "weekday", "start"])
    return values[column].astype(float).reindex(grid, fill_value=0.0)


def _waiting(arrivals: np.ndarray, open_slots: np.ndarray) -> np.ndarray:
    """Arrivals of closed intervals moved to the first open interval after them, the week
    wrapping round (Sunday night's wait ends on Monday): one row per channel."""
    slots = np.arange(open_slots.size)
    opens = np.flatnonzero(open_slots)
    next_open = opens[np.searchsorted(opens, slots) % opens.size]
    closed = ~open_slots
    return np.stack(
        [
            np.bincount(next_open[closed], weights=row[closed], minlength=open_slots.size)
            for row in arrivals
        ]
    )


def _plan(
    arrivals: pd.Series,
    observed: pd.Series | None,
    open_slots: np.ndarray | None,
    section: dict[str, Any],
) -> pd.DataFrame:
    """Erlang C on every open interval at once, beside the agents observed on shift."""
    table = arrivals.rename("arrivals").reset_index()
    week = arrivals.to_numpy().reshape(-1, 7 * MINUTES_PER_DAY // section["interval_minutes"])
    if open_slots is None:
        open_slots = np.ones(week.shape[1], dtype=bool)
    table["open"] = np.tile(open_slots, week.shape[0])
    table["waiting"] = _waiting(week, open_slots).ravel()
    table["calls"] = np.where(table["open"], table["arrivals"] + table["waiting"], 0.0)

    table["aht_seconds"] = table["channel"].map(section["aht_seconds"]).astype(float)
    minutes = section["interval_minutes"]
    table["traffic"] = traffic_erlangs(table["calls"], minutes, table["aht_seconds"])

    traffic = table["traffic"].to_numpy()
    aht = table["aht_seconds"].to_numpy()
    target, within, cap = section["target"], section["within_seconds"], section["max_occupancy"]
    least = np.where(table["open"], section["min_agents"], 0)  # an open queue is staffed
    agents = np.maximum(agents_needed(traffic, aht, target, within, cap), least)
    table["agents"] = agents
    alone = traffic_erlangs(np.where(table["open"], table["arrivals"], 0.0), minutes, aht)
    table["agents_without_waiting"] = np.maximum(
        agents_needed(alone, aht, target, within, cap), least
    )
    table["service_level"] = service_level(traffic, agents, aht, within)
    table["occupancy"] = np.divide(traffic, agents, out=np.zeros_like(traffic), where=agents > 0)
    table["asa_seconds"] = average_speed_of_answer(traffic, agents, aht)
    table["agents_rostered"] = rostered_agents(agents, section["shrinkage"])

    table["observed_agents"] = observed.to_numpy() if observed is not None else np.nan
    table["gap"] = table["agents"] - table["observed_agents"]
    unplanned = ["service_level", "occupancy", "asa_seconds", "gap"]
    table[unplanned] = table[unplanned].where(table["open"])  # closed: no queue to measure
    return table
