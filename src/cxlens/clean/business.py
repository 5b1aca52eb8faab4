"""Business time: the opening hours of ``[business_hours]`` as a clock that SQL can read.

A service desk open Mon–Fri 09:00–17:00 has not kept a customer waiting over the
weekend; response and resolution times "in business hours" count only the minutes the
desk was open (cases FR-4, FR-5, SL-1). The calendar is local to the project's IANA zone:

- each weekday lists local intervals, end-exclusive (``"09:00-17:00"`` covers 09:00 up to,
  not including, 17:00; ``"24:00"`` is the next midnight); a missing weekday is closed;
- ``holidays`` are local dates on which the desk is closed all day;
- ``always = true`` opens every day 00:00–24:00 (24/7): business time is then calendar
  time, with no minute lost at midnight (holidays, if listed, stay closed).

An interval's bounds are wall-clock times turned into UTC instants with the zone's own
rules, so a 09:00–17:00 day is 8 hours of elapsed time on the day daylight saving
starts, and a 00:00–24:00 day is 23 or 25 hours on the days it changes.

How it is computed without a loop over tickets: Python walks the *days* of the data's
span once and writes ``INTERVALS``, one row per working interval with its UTC start and
end and the business time before it (all in microseconds, so sums are exact). The
business clock of an instant ``t`` is then read with one DuckDB ``ASOF JOIN`` to the
interval starting at or before ``t``::

    clock(t) = before + min(t − start, length)

and the business time between two instants is ``clock(end) − clock(start)``. The
inverse (the instant at which a business-time target falls due) is an ``ASOF JOIN``
on ``before``. With no ``[business_hours]`` the business columns stay NULL and the
business KPIs are left out: they are never quietly replaced by calendar time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cxlens.clean.log import stage_name
from cxlens.errors import ConfigError
from cxlens.store import quote

if TYPE_CHECKING:
    import duckdb

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# One row per working interval: start_at, end_at (naive UTC), length_us, before_us.
INTERVALS = quote("_business_intervals")
# The published tickets' source: the derived ticket columns plus the business minutes.
BUSINESS_VIEW = quote("_business_tickets")
# ticket_id and its business minutes (fr, res, fres), joined into BUSINESS_VIEW.
MINUTES = quote("_business_minutes")
# How far past the data the calendar may reach looking for enough working time.
MOST_DAYS_AHEAD = 5 * 366
MINUTE_US = 60_000_000


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly opening hours (minutes after local midnight), holidays and the zone."""

    timezone: str
    weekly: tuple[tuple[tuple[int, int], ...], ...]  # Monday first
    holidays: frozenset[date] = frozenset()

    def working_intervals(self, first: date, last: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of the local days ``first``..``last`` as naive UTC pairs.

        Overlapping or touching intervals (an overnight shift running into the next
        day's hours) are merged, so no instant is counted twice.
        """
        zone = ZoneInfo(self.timezone)
        spans = []
        day = first
        while day <= last:
            if day not in self.holidays:
                for start, end in self.weekly[day.weekday()]:
                    spans.append((_instant(day, start, zone), _instant(day, end, zone)))
            day += timedelta(days=1)
        merged: list[list[datetime]] = []
        for start, end in sorted(s for s in spans if s[0] < s[1]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [(start, end) for start, end in merged]

    @property
    def weekly_minutes(self) -> int:
        return sum(end - start for day in self.weekly for start, end in day)


def business_calendar(settings: Settings) -> BusinessCalendar | None:
    """The calendar of ``[business_hours]``; None when the section sets no working time."""
    hours = settings.business_hours or {}
    holidays = frozenset(date.fromisoformat(str(d)) for d in hours.get("holidays") or ())
    if hours.get("always"):
        weekly = tuple(((0, 1440),) for _ in WEEKDAYS)
    else:
        weekly = tuple(_day_intervals(hours.get(day)) for day in WEEKDAYS)
    if not any(weekly):
        return None
    return BusinessCalendar(settings.timezone, weekly, holidays)


def _day_intervals(value) -> tuple[tuple[int, int], ...]:
    """Minutes after midnight of ``["09:00-12:00", ...]``; an end before its start runs
    into the next day (``"22:00-06:00"``)."""
    if value is None:
        return ()
    texts = value if isinstance(value, list) else [value]
    out = []
    for text in texts:
        start, end = (_minutes(part) for part in text.replace(" ", "").split("-"))
        out.append((start, end + 1440 if end <= start else end))
    return tuple(out)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The naive UTC instant of local wall-clock ``minutes`` after ``day``'s midnight.

    A wall-clock time skipped by a daylight-saving change (02:30 on a spring-forward
    night) is read with the offset before the change, which lands after the gap.
    """
    day = day + timedelta(days=minutes // 1440)
    minutes %= 1440
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def write_intervals(
    con: duckdb.DuckDBPyConnection,
    calendar: BusinessCalendar,
    first: datetime,
    last: datetime,
    ahead_minutes: int = 0,
    name: str = INTERVALS,
) -> str:
    """Write the calendar's intervals from ``first`` to ``last`` (naive UTC) as ``name``.

    The table also reaches past ``last`` until it holds ``ahead_minutes`` of working
    time, so that targets started before the data's end can fall due. A day either side
    is added so that no local day of the span is cut by its UTC offset.
    """
    first_day = (first - timedelta(days=2)).date()
    last_day = _last_day(calendar, (last + timedelta(days=2)).date(), ahead_minutes)
    spans = calendar.working_intervals(first_day, last_day)
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT start_at, end_at, epoch_us(end_at) - epoch_us(start_at) AS length_us,
            coalesce(sum(epoch_us(end_at) - epoch_us(start_at)) OVER (
                ORDER BY start_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT
                AS before_us
        FROM (SELECT unnest(?::TIMESTAMP[]) AS start_at, unnest(?::TIMESTAMP[]) AS end_at)
        ORDER BY start_at""",
        [starts, ends],
    )
    log.debug("business calendar: %d working intervals", len(spans))
    return name


def _last_day(calendar: BusinessCalendar, last_day: date, ahead_minutes: int) -> date:
    """``last_day`` moved on until the days after it hold ``ahead_minutes`` of working time."""
    have, day = 0, last_day
    while have < ahead_minutes and day - last_day < timedelta(days=MOST_DAYS_AHEAD):
        day += timedelta(days=1)
        have += sum((e - s).total_seconds() / 60 for s, e in calendar.working_intervals(day, day))
    return day


def clock_sql(column: str, alias: str) -> str:
    """SQL for the business clock (microseconds) of ``column`` read through the ASOF alias.

    Before the first interval the clock is 0; a NULL instant has a NULL clock.
    """
    return (
        f"CASE WHEN {column} IS NOT NULL THEN coalesce({alias}.before_us + least("
        f"epoch_us({column}) - epoch_us({alias}.start_at), {alias}.length_us), 0) END"
    )


def asof_sql(column: str, alias: str, intervals: str = INTERVALS) -> str:
    """The ``ASOF LEFT JOIN`` that finds the interval starting at or before ``column``."""
    return f" ASOF LEFT JOIN {intervals} {alias} ON {column} >= {alias}.start_at"


def due_sql(clock_column: str, alias: str) -> str:
    """SQL for the instant at which the business clock reaches ``clock_column`` (µs).

    Read through ``due_join_sql``; NULL when the calendar ends before that.
    """
    return (
        f"CASE WHEN {clock_column} <= {alias}.before_us + {alias}.length_us THEN "
        f"{alias}.start_at + to_microseconds(({clock_column} - {alias}.before_us)::BIGINT) END"
    )


def due_join_sql(clock_column: str, alias: str, intervals: str = INTERVALS) -> str:
    """The ``ASOF LEFT JOIN`` to the interval in which the clock passes ``clock_column``."""
    return f" ASOF LEFT JOIN {intervals} {alias} ON {clock_column} > {alias}.before_us"


def business_minutes(
    con: duckdb.DuckDBPyConnection, relation: str, start: str, end: str, intervals: str = INTERVALS
) -> str:
    """SQL selecting ``relation``'s rows with ``business_min`` between two timestamp columns.

    NULL where either end is NULL; negative where the end is before the start.
    """
    return (
        f"SELECT r.*, ({clock_sql('r.' + quote(end), '_e')} - "
        f"{clock_sql('r.' + quote(start), '_s')}) / {MINUTE_US}.0 AS business_min "
        f"FROM {relation} r"
        + asof_sql("r." + quote(start), "_s", intervals)
        + asof_sql("r." + quote(end), "_e", intervals)
    )


def data_span(con: duckdb.DuckDBPyConnection, has_events: bool) -> tuple[datetime, datetime]:
    """The first and last instant in the staged tickets (and events): the calendar's span."""
    tickets = stage_name("tickets")
    columns = ("created_at", "first_response_at", "first_solved_at", "solved_at", "closed_at")
    parts = [f"SELECT least({', '.join(columns)}) AS lo, greatest({', '.join(columns)}) AS hi "
             f"FROM {tickets}"]  # fmt: skip
    if has_events:
        parts.append(f'SELECT "at", "at" FROM {stage_name("ticket_events")}')
    first, last = con.execute(
        f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)})"
    ).fetchall()[0]
    return first, last


def add_business_columns(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    first_responses: str | None,
    ahead_minutes: int | None = None,
) -> bool:
    """Define ``BUSINESS_VIEW``: the derived tickets plus business-time minutes.

    Adds ``first_response_business_min``, ``resolution_business_min`` and
    ``first_resolution_business_min``, measured between the same instants as their
    calendar twins: the first response from the clock start the events give (a reopen
    or bot hand-off) or creation, to the reply; resolutions from creation to the
    (first) solve. Where a calendar twin is NULL (impossible, or only an export's
    duration without timestamps) the business figure is NULL too. Returns whether a
    calendar is configured (the columns are NULL otherwise).
    """
    from cxlens.clean.sla import business_ahead_minutes
    from cxlens.clean.tickets import DERIVED_VIEW

    if ahead_minutes is None:  # the longest business-time SLA target must fit past the data
        ahead_minutes = business_ahead_minutes(settings)
    calendar = business_calendar(settings)
    names = ("first_response_business_min", "resolution_business_min",
             "first_resolution_business_min")  # fmt: skip
    if calendar is None:
        nulls = ", ".join(f"NULL::DOUBLE AS {n}" for n in names)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {BUSINESS_VIEW} AS "
                    f"SELECT *, {nulls} FROM {DERIVED_VIEW}")  # fmt: skip
        log.info("no [business_hours]: business-time KPIs are not computed")
        return False
    first, last = data_span(con, first_responses is not None)
    if first is None:
        first = last = datetime(2000, 1, 1)
    write_intervals(con, calendar, first, last, ahead_minutes)
    _write_minutes(con, first_responses)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {BUSINESS_VIEW} AS {_business_select(first_responses)}"
    )
    return True


def _business_select(first_responses: str | None) -> str:
    """The view's SQL: the derived tickets joined to their business minutes by key.

    The minutes are computed once into ``MINUTES`` from a narrow table of each staged
    ticket's instants (an ASOF join sorts its probe side: a narrow row sorts fast, the
    full ticket row would not), then joined back; a figure is kept only where its
    calendar twin is valid.
    """
    from cxlens.clean.tickets import DERIVED_VIEW

    return (
        "SELECT d.*, "
        "CASE WHEN d.first_response_min IS NOT NULL THEN m.fr END AS first_response_business_min, "
        "CASE WHEN d.resolution_min IS NOT NULL THEN m.res END AS resolution_business_min, "
        "CASE WHEN d.first_resolution_min IS NOT NULL THEN m.fres END "
        "AS first_resolution_business_min "
        f"FROM {DERIVED_VIEW} d LEFT JOIN {MINUTES} m ON m.ticket_id = d.ticket_id"
    )


def _write_minutes(con: duckdb.DuckDBPyConnection, first_responses: str | None) -> None:
    """``MINUTES``: ticket_id and the business minutes between each ticket's instants.

    The first response runs from the clock start the events give (tickets whose events
    hold a message, as ``cxlens.clean.tickets`` decides) or creation, to the reply.
    """
    tickets = stage_name("tickets")
    if first_responses:
        events = "coalesce(e.has_messages, false)"
        fr_start = f"CASE WHEN {events} THEN e.clock_start ELSE t.created_at END"
        fr_end = f"CASE WHEN {events} THEN e.first_human_at ELSE t.first_response_at END"
        join = f" LEFT JOIN {first_responses} e ON e.ticket_id = t.ticket_id"
    else:
        fr_start, fr_end, join = "t.created_at", "t.first_response_at", ""
    instants = (
        f"SELECT t.ticket_id, {fr_start} AS fr0, {fr_end} AS fr1, t.created_at AS cr, "
        f"t.solved_at AS sv, coalesce(t.first_solved_at, t.solved_at) AS fs "
        f"FROM {tickets} t{join}"
    )
    ends = ("fr0", "fr1", "cr", "sv", "fs")
    joins = "".join(asof_sql(f"b.{column}", f"a_{column}") for column in ends)

    def minutes(start: str, end: str) -> str:
        return (
            f"({clock_sql('b.' + end, 'a_' + end)} - {clock_sql('b.' + start, 'a_' + start)})"
            f" / {MINUTE_US}.0"
        )

    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MINUTES} AS SELECT b.ticket_id, "
        f"{minutes('fr0', 'fr1')} AS fr, {minutes('cr', 'sv')} AS res, "
        f"{minutes('cr', 'fs')} AS fres FROM ({instants}) b{joins}"
    )


def require_calendar(settings: Settings, where: str) -> BusinessCalendar:
    """The calendar, or an error that says to write ``[business_hours]``."""
    calendar = business_calendar(settings)
    if calendar is None:
        raise ConfigError(
            f"{where} asks for business hours, but [business_hours] sets no working time; "
            'add the opening hours (e.g. mon = ["09:00-17:00"]) or set business_hours = false'
        )
    return calendar
