"""Business time: minutes counted only while the desk is open (cases FR-4, FR-5).

Expected values are worked out by hand from the hours written in each test, or, for the
random sample, by walking the minutes one by one in plain Python (an independent oracle
that knows nothing of intervals, ASOF joins or cumulative sums).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.helpers_raw import clean_rows, fetch

from cxlens.clean.business import BusinessCalendar, business_calendar
from cxlens.metrics import compute_kpis, kpi_records
from cxlens.settings import Settings

UTC = ZoneInfo("UTC")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def office(hours: str, days=WEEKDAYS[:5], **extra) -> dict:
    return {day: [hours] for day in days} | extra


def utc(local: str, zone: str) -> str:
    """The naive UTC text of a local wall-clock time (raw tables hold UTC)."""
    moment = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def business_minutes(tmp_path, tickets, hours, timezone="UTC", column="first_response"):
    """``{ticket_id: (calendar, business)}`` minutes of ``column`` after a clean."""
    warehouse, _ = clean_rows(
        tmp_path, {"tickets": tickets}, business_hours=hours, timezone=timezone
    )
    found = fetch(warehouse, f"SELECT ticket_id, {column}_min, {column}_business_min FROM tickets")
    return {ticket: (calendar, business) for ticket, calendar, business in found}


def answered(ticket_id, created, replied, zone="UTC"):
    return {
        "ticket_id": ticket_id,
        "created_at": utc(created, zone),
        "first_response_at": utc(replied, zone),
    }


def test_ticket_created_on_a_closed_day_waits_only_from_opening(tmp_path):
    # case FR-4: Mon–Fri 10:00–18:00; created Sat 12:00, replied Mon 10:30 → 30 minutes.
    found = business_minutes(
        tmp_path,
        [answered("fr4", "2024-03-02 12:00", "2024-03-04 10:30")],
        office("10:00-18:00"),
    )
    assert found["fr4"] == (pytest.approx(46 * 60 + 30), pytest.approx(30))


def test_weekend_is_not_waiting_time_in_every_output(tmp_path):
    # case FR-5: Mon–Fri 09:00–17:00; created Fri 16:00, replied Mon 10:00.
    # Calendar: 66 h = 3960 min; business: Fri 16–17 + Mon 9–10 = 120 min.
    hours = office("09:00-17:00")
    warehouse, _ = clean_rows(
        tmp_path,
        {"tickets": [answered("fr5", "2024-03-01 16:00", "2024-03-04 10:00")]},
        business_hours=hours,
    )
    settings = Settings(root=tmp_path, business_hours=hours)
    metrics = ["first_response_median_min", "first_response_business_median_min",
               "first_response_business_mean_min"]  # fmt: skip
    records = kpi_records(compute_kpis(warehouse, settings, metrics=metrics))
    values = {r["metric"]: (r["value"], r["n"]) for r in records}
    assert values == {
        "first_response_median_min": (3960, 1),
        "first_response_business_median_min": (120, 1),
        "first_response_business_mean_min": (120, 1),
    }


def test_business_resolution_skips_nights_and_is_grouped_by_solve(tmp_path):
    # Mon–Fri 09:00–17:00. T1: Mon 16:00 → Tue 10:00 = 60 + 60 = 120 min.
    # T2: Tue 08:00 → Tue 08:30, before opening = 0 min. Median (0, 120) = 60.
    hours = office("09:00-17:00")
    tickets = [
        {"ticket_id": "T1", "created_at": "2024-03-04 16:00", "solved_at": "2024-03-05 10:00"},
        {"ticket_id": "T2", "created_at": "2024-03-05 08:00", "solved_at": "2024-03-05 08:30"},
    ]
    warehouse, _ = clean_rows(tmp_path, {"tickets": tickets}, business_hours=hours)
    settings = Settings(root=tmp_path, business_hours=hours)
    frame = compute_kpis(warehouse, settings, metrics=["resolution_business_median_min"])
    assert list(zip(frame.value, frame.n, strict=True)) == [(60, 2)]
    stored = dict(fetch(warehouse, "SELECT ticket_id, resolution_business_min FROM tickets"))
    assert stored == {"T1": 120, "T2": 0}


def test_spring_forward_day_is_23_hours_around_the_clock_in_berlin(tmp_path):
    # 2024-03-31 Europe/Berlin skips 02:00–03:00. Sun 00:00 → Mon 00:00 local is 23 h,
    # both as 24/7 and as explicit 00:00–24:00 days.
    zone = "Europe/Berlin"
    tickets = [answered("dst", "2024-03-31 00:00", "2024-04-01 00:00", zone)]
    for hours in ({"always": True}, office("00:00-24:00", WEEKDAYS)):
        found = business_minutes(tmp_path / str(len(hours)), tickets, hours, zone)
        assert found["dst"] == (pytest.approx(23 * 60), pytest.approx(23 * 60))


def test_hours_spanning_the_spring_gap_hold_three_hours_of_time(tmp_path):
    # Sunday hours 01:00–05:00 on 2024-03-31 in Berlin: 01:00–02:00 CET and 03:00–05:00
    # CEST = 3 h elapsed. Created Sun 00:00, replied Sun 06:00.
    found = business_minutes(
        tmp_path,
        [answered("gap", "2024-03-31 00:00", "2024-03-31 06:00", "Europe/Berlin")],
        {"sun": ["01:00-05:00"]},
        "Europe/Berlin",
    )
    assert found["gap"] == (pytest.approx(5 * 60), pytest.approx(3 * 60))


def test_office_hours_over_a_dst_weekend_count_like_any_weekend(tmp_path):
    # Mon–Fri 09:00–17:00, created Fri 16:00, replied Mon 10:00: 120 business minutes,
    # whether or not the clocks changed that weekend (calendar: 65 h instead of 66 h).
    for zone, friday, monday in (
        ("Europe/Berlin", "2024-03-29", "2024-04-01"),  # spring forward on Sun 31 Mar
        ("America/New_York", "2024-03-08", "2024-03-11"),  # spring forward on Sun 10 Mar
    ):
        found = business_minutes(
            tmp_path / zone.replace("/", "_"),
            [answered("w", f"{friday} 16:00", f"{monday} 10:00", zone)],
            office("09:00-17:00"),
            zone,
        )
        assert found["w"] == (pytest.approx(65 * 60), pytest.approx(120))


def test_fall_back_day_is_25_hours_around_the_clock_in_new_york(tmp_path):
    # 2024-11-03 America/New_York repeats 01:00–02:00: Sun 00:00 → Mon 00:00 is 25 h.
    zone = "America/New_York"
    found = business_minutes(
        tmp_path,
        [answered("fall", "2024-11-03 00:00", "2024-11-04 00:00", zone)],
        {"always": True},
        zone,
    )
    assert found["fall"] == (pytest.approx(25 * 60), pytest.approx(25 * 60))


def test_a_holiday_is_closed_all_day(tmp_path):
    # Mon–Fri 09:00–17:00, holiday Tue 2024-10-01. Created Mon 16:00, replied Wed 10:00:
    # Mon 16–17 + Wed 9–10 = 120 min (Tuesday's 480 minutes do not count).
    found = business_minutes(
        tmp_path,
        [answered("hol", "2024-09-30 16:00", "2024-10-02 10:00")],
        office("09:00-17:00", holidays=["2024-10-01"]),
    )
    assert found["hol"] == (pytest.approx(42 * 60), pytest.approx(120))


def test_always_open_equals_calendar_minutes_across_dst(tmp_path):
    # 24/7 in Berlin over the autumn change: business minutes equal calendar minutes.
    rng = random.Random(7)
    start = datetime(2024, 10, 20)
    tickets = []
    for index in range(40):
        created = start + timedelta(minutes=rng.randrange(14 * 1440))
        replied = created + timedelta(minutes=rng.randrange(1, 4 * 1440), seconds=rng.randrange(60))
        tickets.append({"ticket_id": f"T{index}", "created_at": str(created),
                        "first_response_at": str(replied)})  # fmt: skip
    found = business_minutes(tmp_path, tickets, {"always": True}, "Europe/Berlin")
    for calendar, business in found.values():
        assert business == pytest.approx(calendar, abs=1e-9)


def walk_minutes(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Oracle: count the UTC minutes in [start, end) whose local wall time is open."""
    zone = ZoneInfo(calendar.timezone)
    count, moment = 0, start
    while moment < end:
        local = moment.replace(tzinfo=UTC).astimezone(zone)
        minute = local.hour * 60 + local.minute
        if local.date() not in calendar.holidays:
            spans = calendar.weekly[local.weekday()]
            count += any(lo <= minute < hi for lo, hi in spans)
        moment += timedelta(minutes=1)
    return count


def test_random_tickets_agree_with_a_minute_by_minute_walk(tmp_path):
    # Split days, a Saturday shift, a holiday, across Berlin's spring change; bounds kept
    # out of the skipped hour so that every wall-clock bound names one instant.
    hours = {
        "mon": ["08:30-12:00", "13:00-17:45"],
        "tue": ["09:00-18:00"],
        "wed": ["07:15-11:00", "12:00-20:00"],
        "thu": ["09:00-17:00"],
        "fri": ["09:00-16:00"],
        "sat": ["10:00-14:00"],
        "sun": ["00:00-01:30", "04:00-06:00"],
        "holidays": ["2024-03-29", "2024-04-01"],
    }
    zone = "Europe/Berlin"
    rng = random.Random(2024)
    start = datetime(2024, 3, 22)
    rows = []
    for index in range(30):
        created = start + timedelta(minutes=rng.randrange(16 * 1440))
        replied = created + timedelta(minutes=rng.randrange(0, 5 * 1440))
        rows.append((f"T{index}", created, replied))
    tickets = [{"ticket_id": t, "created_at": str(c), "first_response_at": str(r)}
               for t, c, r in rows]  # fmt: skip
    found = business_minutes(tmp_path, tickets, hours, zone)
    calendar = business_calendar(Settings(root=tmp_path, timezone=zone, business_hours=hours))
    assert calendar.holidays == {date(2024, 3, 29), date(2024, 4, 1)}
    for ticket, created, replied in rows:
        assert found[ticket][1] == walk_minutes(calendar, created, replied), ticket


def test_first_response_from_events_is_timed_from_the_reopen_in_business_hours(tmp_path):
    # Mon–Fri 09:00–17:00 (case FR-1 in business time): created Mon 09:00, a bot solves
    # at 09:05; the customer writes again Fri 16:50 (reopen); the first human reply is
    # Mon 09:10. Business first response: Fri 16:50–17:00 + Mon 09:00–09:10 = 20 min.
    def event(at, seq, actor, kind="message", status_to=None):
        return {"ticket_id": "T", "at": at, "seq": seq, "actor": actor, "kind": kind,
                "public": True, "status_to": status_to}  # fmt: skip

    events = [
        event("2024-03-04 09:00", 1, "customer"),
        event("2024-03-04 09:05", 2, "bot", "status", "solved"),
        event("2024-03-08 16:50", 3, "customer"),
        event("2024-03-11 09:10", 4, "agent"),
    ]
    warehouse, _ = clean_rows(
        tmp_path,
        {"tickets": [{"ticket_id": "T", "created_at": "2024-03-04 09:00"}],
         "ticket_events": events},
        business_hours=office("09:00-17:00"),
    )  # fmt: skip
    [(calendar, business)] = fetch(
        warehouse, "SELECT first_response_min, first_response_business_min FROM tickets"
    )
    assert (calendar, business) == (pytest.approx(2 * 1440 + 16 * 60 + 20), pytest.approx(20))


def test_without_business_hours_business_kpis_are_not_computed(tmp_path):
    # No [business_hours]: the business columns stay empty and the KPIs are left out,
    # never filled with calendar time.
    warehouse, _ = clean_rows(
        tmp_path, {"tickets": [answered("T", "2024-03-01 16:00", "2024-03-04 10:00")]}
    )
    assert fetch(warehouse, "SELECT first_response_business_min FROM tickets") == [(None,)]
    frame = compute_kpis(warehouse, Settings(root=tmp_path))
    assert "first_response_median_min" in set(frame.metric)
    assert not {m for m in frame.metric if "business" in m}
