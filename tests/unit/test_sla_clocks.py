"""SLA clocks (cases SL-1..SL-4): when each clock runs, stops, pauses and breaches.

Every expected value is worked out by hand from the times written in the test. Times are
UTC (the project's zone defaults to UTC in these tests), so local equals UTC.
"""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from cxlens.errors import ConfigError
from cxlens.metrics import compute_kpis
from cxlens.settings import Settings
from helpers_raw import clean_rows, event, fetch

OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def clocks(warehouse, metric):
    """``{(ticket_id, clock_no): row}`` of one metric's clocks."""
    rows = fetch(
        warehouse,
        "SELECT ticket_id, clock_no, target_min, business, started_at, due_at, stopped_at, "
        f"elapsed_min, state, breached, fell_due FROM sla_clocks WHERE metric = '{metric}'",
    )
    names = ("target_min", "business", "started_at", "due_at", "stopped_at", "elapsed_min",
             "state", "breached", "fell_due")  # fmt: skip
    return {(r[0], r[1]): dict(zip(names, r[2:], strict=True)) for r in rows}


def clean(tmp_path, tickets, events=None, **settings):
    tables = {"tickets": tickets} | ({"ticket_events": events} if events else {})
    warehouse, _ = clean_rows(tmp_path, tables, **settings)
    return warehouse, Settings(root=tmp_path, **settings)


def test_business_hours_first_response_target_is_met_after_a_weekend(tmp_path):
    # case SL-1: 1 business hour, Mon–Fri 09:00–17:00; created Fri 16:30, replied Mon
    # 09:20: 30 + 20 = 50 business minutes, met; due Mon 09:30.
    sla = {"first_response": "1h", "business_hours": True}
    ticket = {"ticket_id": "sl1", "created_at": "2024-03-01 16:30",
              "first_response_at": "2024-03-04 09:20", "solved_at": "2024-03-04 12:00"}  # fmt: skip
    warehouse, settings = clean(tmp_path, [ticket], business_hours=OFFICE, sla=sla)
    clock = clocks(warehouse, "first_response")[("sl1", 1)]
    assert clock["elapsed_min"] == pytest.approx(50)
    assert (clock["state"], clock["breached"], clock["business"]) == ("met", False, True)
    assert clock["due_at"] == datetime(2024, 3, 4, 9, 30)
    sla_kpi = compute_kpis(warehouse, settings, metrics=["sla_first_response"])
    assert list(zip(sla_kpi.value, sla_kpi.n, strict=True)) == [(1.0, 1)]


def test_business_target_without_business_hours_is_refused(tmp_path):
    sla = {"first_response": "1h", "business_hours": True}
    with pytest.raises(ConfigError, match=r"\[business_hours\]"):
        clean(tmp_path, [{"ticket_id": "T", "created_at": "2024-03-01 16:30"}], sla=sla)


def test_solving_without_a_reply_stops_the_next_response_clock(tmp_path):
    # case SL-2: next-response target 1 h. After a first reply at 09:10, the customer
    # writes at 10:00; the agent solves at 10:01 without replying; the data ends at 12:00
    # (another ticket). The clock ran 1 minute and is met, not breached.
    events = [
        event("sl2", "2024-03-04 09:00", 1, "customer"),
        event("sl2", "2024-03-04 09:10", 2, "agent"),
        event("sl2", "2024-03-04 10:00", 3, "customer"),
        event("sl2", "2024-03-04 10:01", 4, "agent", "status", status_to="solved"),
    ]
    tickets = [{"ticket_id": "sl2", "created_at": "2024-03-04 09:00"},
               {"ticket_id": "end", "created_at": "2024-03-04 12:00"}]  # fmt: skip
    warehouse, settings = clean(tmp_path, tickets, events, sla={"next_response": "1h"})
    found = clocks(warehouse, "next_response")
    assert list(found) == [("sl2", 1)]
    clock = found[("sl2", 1)]
    assert (clock["state"], clock["breached"], clock["elapsed_min"]) == ("met", False, 1)
    assert clock["stopped_at"] == datetime(2024, 3, 4, 10, 1)
    kpi = compute_kpis(warehouse, settings, metrics=["sla_next_response"])
    assert list(zip(kpi.value, kpi.n, strict=True)) == [(1.0, 1)]


def test_solving_before_any_reply_stops_the_first_response_clock(tmp_path):
    # The same rule for the first response: created 10:00, solved 10:01 with no reply,
    # target 1 h, data ends 12:00: met (the customer is not waiting).
    events = [event("s", "2024-03-04 10:00", 1, "customer"),
              event("s", "2024-03-04 10:01", 2, "agent", "status", status_to="solved")]  # fmt: skip
    tickets = [{"ticket_id": "s", "created_at": "2024-03-04 10:00"},
               {"ticket_id": "end", "created_at": "2024-03-04 12:00"}]  # fmt: skip
    warehouse, _ = clean(tmp_path, tickets, events, sla={"first_response": "1h"})
    clock = clocks(warehouse, "first_response")[("s", 1)]
    assert (clock["state"], clock["elapsed_min"]) == ("met", 1)


def test_waiting_on_the_customer_starts_no_next_response_clock(tmp_path):
    # case SL-3: update target 2 h; customer 09:00, agent 09:30, nothing after; checked
    # at 12:00 (another ticket): no next-response clock, so nothing is breached.
    # Beside it, "asked": a customer message at 09:45 after the reply, unanswered: its
    # clock is due 11:45 and has breached by 12:00 (135 minutes elapsed).
    events = [
        event("sl3", "2024-03-04 09:00", 1, "customer"),
        event("sl3", "2024-03-04 09:30", 2, "agent"),
        event("asked", "2024-03-04 09:00", 1, "customer"),
        event("asked", "2024-03-04 09:30", 2, "agent"),
        event("asked", "2024-03-04 09:45", 3, "customer"),
    ]
    tickets = [{"ticket_id": "sl3", "created_at": "2024-03-04 09:00"},
               {"ticket_id": "asked", "created_at": "2024-03-04 09:00"},
               {"ticket_id": "end", "created_at": "2024-03-04 12:00"}]  # fmt: skip
    warehouse, _ = clean(tmp_path, tickets, events, sla={"next_response": "2h"})
    found = clocks(warehouse, "next_response")
    assert list(found) == [("asked", 1)]
    assert found[("asked", 1)]["due_at"] == datetime(2024, 3, 4, 11, 45)
    assert found[("asked", 1)]["elapsed_min"] == 135
    assert (found[("asked", 1)]["state"], found[("asked", 1)]["breached"]) == ("breached", True)
    assert clocks(warehouse, "first_response")[("sl3", 1)]["state"] == "met"


def test_several_unanswered_messages_make_one_clock_from_the_first(tmp_path):
    # After the first reply, the customer writes at 10:00 and 10:20; the agent replies at
    # 10:50, the customer writes at 11:00, the ticket is solved at 11:05: two clocks,
    # 50 and 5 minutes.
    events = [
        event("T", "2024-03-04 09:00", 1, "customer"),
        event("T", "2024-03-04 09:05", 2, "agent"),
        event("T", "2024-03-04 10:00", 3, "customer"),
        event("T", "2024-03-04 10:20", 4, "customer"),
        event("T", "2024-03-04 10:50", 5, "agent"),
        event("T", "2024-03-04 11:00", 6, "customer"),
        event("T", "2024-03-04 11:05", 7, "system", "status", status_to="solved"),
    ]
    warehouse, _ = clean(tmp_path, [{"ticket_id": "T", "created_at": "2024-03-04 09:00"}],
                         events, sla={"next_response": "1h"})  # fmt: skip
    found = clocks(warehouse, "next_response")
    assert {k: v["elapsed_min"] for k, v in found.items()} == {("T", 1): 50, ("T", 2): 5}


def test_nothing_due_in_a_period_gives_null_compliance(tmp_path):
    # case SL-4: target 24 h. T1 created 10 Jan (due 11 Jan, answered in 1 h), T2 created
    # 15 Mar (due 16 Mar, answered in 2 h), T3 on 20 Mar ends the data. February: no
    # target fell due → null with n = 0, not 100 %.
    tickets = [
        {
            "ticket_id": "T1",
            "created_at": "2024-01-10 10:00",
            "first_response_at": "2024-01-10 11:00",
        },
        {
            "ticket_id": "T2",
            "created_at": "2024-03-15 10:00",
            "first_response_at": "2024-03-15 12:00",
        },
        {
            "ticket_id": "T3",
            "created_at": "2024-03-20 10:00",
            "first_response_at": "2024-03-20 10:05",
        },
    ]
    warehouse, settings = clean(tmp_path, tickets)
    frame = compute_kpis(warehouse, settings, by=["month"], metrics=["sla_first_response"])
    by_month = {p: (v, n) for p, v, n in zip(frame.period, frame.value, frame.n, strict=True)}
    assert by_month["2024-01"] == (1.0, 1)
    assert math.isnan(by_month["2024-02"][0]) and by_month["2024-02"][1] == 0
    assert by_month["2024-03"] == (1.0, 1)  # T3 falls due on 21 Mar, after the data's end


def test_resolution_clock_pauses_while_pending(tmp_path):
    # Target 2 h. P: created 09:00, pending 09:30, open again 11:30 (customer answers),
    # solved 12:00: 30 + 30 = 60 minutes, met; due 13:00 (2 h + the 2 h pause).
    # W: created 09:00, pending 09:30 and still pending when the data ends at 18:00:
    # 30 minutes ran, no due time yet, running, not breached.
    # R: created 09:00, never pending, open at 18:00: 540 minutes, breached.
    events = [
        event("P", "2024-03-04 09:30", 1, "agent", "status", status_to="pending"),
        event("P", "2024-03-04 11:30", 2, "customer", "status", status_to="open"),
        event("P", "2024-03-04 12:00", 3, "agent", "status", status_to="solved"),
        event("W", "2024-03-04 09:30", 1, "agent", "status", status_to="Waiting on customer"),
    ]
    tickets = [{"ticket_id": t, "created_at": "2024-03-04 09:00"} for t in ("P", "W", "R")]
    tickets.append({"ticket_id": "end", "created_at": "2024-03-04 18:00"})
    warehouse, settings = clean(tmp_path, tickets, events, sla={"resolution": "2h"})
    found = clocks(warehouse, "resolution")
    p, w, r = found[("P", 1)], found[("W", 1)], found[("R", 1)]
    assert (p["elapsed_min"], p["state"], p["due_at"]) == (60, "met", datetime(2024, 3, 4, 13))
    assert (w["elapsed_min"], w["state"], w["breached"], w["due_at"]) == (
        30,
        "running",
        False,
        None,
    )
    assert (r["elapsed_min"], r["state"], r["due_at"]) == (
        540,
        "breached",
        datetime(2024, 3, 4, 11),
    )
    # compliance: P met and R breached fell due; W has no due time; "end" is due later
    kpi = compute_kpis(warehouse, settings, metrics=["sla_resolution"])
    assert list(zip(kpi.value, kpi.n, strict=True)) == [(0.5, 2)]


def test_targets_and_business_hours_follow_the_priority(tmp_path):
    # Default 24 h in calendar time; urgent ("Critical" in the export) 1 business hour.
    # U: urgent, created Fri 16:30, replied Mon 09:20: 50 business minutes, met.
    # N: normal, same times: 3890 calendar minutes > 1440, breached.
    sla = {"first_response": "24h", "priority": {"urgent": {"first_response": "1h",
                                                            "business_hours": True}}}  # fmt: skip
    times = {"created_at": "2024-03-01 16:30", "first_response_at": "2024-03-04 09:20"}
    tickets = [{"ticket_id": "U", "priority": "Critical", **times},
               {"ticket_id": "N", "priority": "Normal", **times},
               {"ticket_id": "end", "priority": "Low", "created_at": "2024-03-04 12:00"}]  # fmt: skip
    warehouse, settings = clean(tmp_path, tickets, business_hours=OFFICE, sla=sla)
    found = clocks(warehouse, "first_response")
    u, n = found[("U", 1)], found[("N", 1)]
    assert (u["target_min"], u["business"], u["elapsed_min"], u["state"]) == (60, True, 50, "met")
    assert (n["target_min"], n["business"], n["elapsed_min"], n["state"]) == (
        1440, False, 3890, "breached")  # fmt: skip
    frame = compute_kpis(warehouse, settings, by=["priority"], metrics=["sla_first_response"])
    by_priority = {g["priority"]: (v, n) for g, v, n in zip(frame.group, frame.value, frame.n,
                                                                strict=True)}  # fmt: skip
    assert (by_priority["urgent"], by_priority["normal"]) == ((1.0, 1), (0.0, 1))
    assert "low" not in by_priority  # due 5 Mar 12:00, after the data's end: no row


def test_merged_tickets_have_no_clocks(tmp_path):
    tickets = [{"ticket_id": "A", "created_at": "2024-03-04 09:00"},
               {"ticket_id": "B", "created_at": "2024-03-04 09:00", "merged_into": "A"}]  # fmt: skip
    warehouse, _ = clean(tmp_path, tickets)
    assert fetch(warehouse, "SELECT DISTINCT ticket_id FROM sla_clocks") == [("A",)]


def test_breaches_of_the_month_are_listed_for_drill_down(tmp_path):
    # The report's "SLA breaches" sheet: breached clocks due in the month, earliest first.
    # Target 1 h: A answered in 2 h (breached, due 10:00), B in 30 min (met), C never
    # answered (breached, due 12:00); the data ends at 18:00 (D).
    tickets = [
        {
            "ticket_id": "A",
            "created_at": "2024-03-04 09:00",
            "first_response_at": "2024-03-04 11:00",
        },
        {
            "ticket_id": "B",
            "created_at": "2024-03-04 09:00",
            "first_response_at": "2024-03-04 09:30",
        },
        {"ticket_id": "C", "created_at": "2024-03-04 11:00"},
        {
            "ticket_id": "D",
            "created_at": "2024-03-04 18:00",
            "first_response_at": "2024-03-04 18:05",
        },
    ]
    warehouse, _ = clean(tmp_path, tickets, sla={"first_response": "1h"})
    from cxlens.report.detail import sla_breaches

    with warehouse.connect(read_only=True) as con:
        march = sla_breaches(con, (datetime(2024, 3, 1), datetime(2024, 4, 1)))
        april = sla_breaches(con, (datetime(2024, 4, 1), datetime(2024, 5, 1)))
    assert list(march.ticket_id) == ["A", "C"]
    assert list(march.elapsed_min) == [120, 425]  # C: 11:00 → the data's end, 18:05
    assert list(march.due_at_local) == [datetime(2024, 3, 4, 10), datetime(2024, 3, 4, 12)]
    assert april.empty
