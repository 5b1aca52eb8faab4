"""First responses measured from ticket events (cases FR-1, FR-2, FR-3).

Every expected value is worked out by hand from the event times written here.
"""

from __future__ import annotations

import pytest
from tests.helpers_raw import clean_rows, fetch, rule_rows


def _ticket(ticket_id, created_at, **columns):
    return {"ticket_id": ticket_id, "created_at": created_at, **columns}


def _event(ticket_id, at, seq, actor, kind="message", public=True, status_to=None):
    return {
        "ticket_id": ticket_id,
        "at": at,
        "seq": seq,
        "actor": actor,
        "kind": kind,
        "public": public,
        "status_to": status_to,
    }


TICKETS = [
    # case FR-1: the export's own first_response_at is the bot's solve, 5 minutes
    _ticket("fr1", "2024-03-04 09:00", first_response_at="2024-03-04 09:05", reopens=1),
    # case FR-2: the export says 30 minutes too
    _ticket("fr2", "2024-03-04 10:00:00", first_response_at="2024-03-04 10:30:00"),
    # case FR-3: the export counted the private note, 5 minutes
    _ticket("fr3", "2024-03-04 09:00", first_response_at="2024-03-04 09:05"),
    # an agent enters a caller's ticket at 08:00; the caller's message is logged at 08:20
    _ticket("agent", "2024-03-04 08:00", created_by="agent", first_response_at="2024-03-04 08:01"),
    # no events: the ticket's own 42 minutes stay
    _ticket("plain", "2024-03-04 12:00", first_response_minutes=42.0),
]

EVENTS = [
    _event("fr1", "2024-03-04 09:00", 1, "customer"),
    _event("fr1", "2024-03-04 09:05", 2, "bot", "status", False, "solved"),
    _event("fr1", "2024-03-08 14:00", 3, "customer"),
    _event("fr1", "2024-03-08 14:00", 4, "system", "status", False, "open"),
    _event("fr1", "2024-03-08 14:10", 5, "agent"),
    _event("fr2", "2024-03-04 10:00:00", 1, "customer"),
    _event("fr2", "2024-03-04 10:00:05", 2, "bot"),
    _event("fr2", "2024-03-04 10:30:00", 3, "agent"),
    _event("fr3", "2024-03-04 09:00", 1, "customer"),
    _event("fr3", "2024-03-04 09:05", 2, "agent", "note", False),
    _event("fr3", "2024-03-04 11:00", 3, "agent", public=None),
    _event("agent", "2024-03-04 08:01", 1, "agent"),
    _event("agent", "2024-03-04 08:20", 2, "customer"),
    _event("agent", "2024-03-04 08:50", 3, "agent"),
]


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("events")
    warehouse, rules = clean_rows(tmp_path, {"tickets": TICKETS, "ticket_events": EVENTS})
    got = fetch(
        warehouse,
        "SELECT ticket_id, first_response_min, first_any_response_min, "
        "first_response_from_events FROM tickets",
    )
    return {row[0]: row[1:] for row in got}, rules, warehouse


def test_clock_restarts_at_reopen_when_only_a_bot_had_answered(cleaned):
    # case FR-1: Fri 14:00 reopen → Fri 14:10 human reply
    assert cleaned[0]["fr1"][0] == pytest.approx(10.0)


def test_bot_acknowledgement_is_not_a_first_response_but_is_a_first_any_response(cleaned):
    # case FR-2: human at 10:30:00 → 30 min; the bot at 10:00:05 → 5 s
    fr, any_response, from_events = cleaned[0]["fr2"]
    assert fr == pytest.approx(30.0)
    assert any_response == pytest.approx(5 / 60)
    assert from_events is True


def test_private_note_does_not_count_and_missing_public_counts_as_public(cleaned):
    # case FR-3: 09:00 → public reply 11:00 (public left blank) = 120 min
    assert cleaned[0]["fr3"][0] == pytest.approx(120.0)


def test_agent_created_ticket_is_timed_from_the_first_customer_message(cleaned):
    # caller's message 08:20 → agent reply 08:50 = 30 min (not 08:00 → 08:01)
    fr, any_response, _ = cleaned[0]["agent"]
    assert fr == pytest.approx(30.0)
    assert any_response == pytest.approx(30.0)


def test_ticket_without_events_keeps_its_own_first_response(cleaned):
    assert cleaned[0]["plain"] == (pytest.approx(42.0), None, False)


def test_cleaning_log_counts_tickets_whose_first_response_changed(cleaned):
    # fr1 (5 → 10), fr3 (5 → 120), agent (1 → 30) changed; fr2 (30 → 30) did not
    rows, examples = rule_rows(cleaned[1], "first_response_from_events", "tickets")
    assert rows == 3
    assert examples == ["agent", "fr1", "fr3"]


def test_events_table_keeps_its_values(cleaned):
    got = fetch(
        cleaned[2], "SELECT count(*), count(*) FILTER (WHERE status_to = 'open') FROM ticket_events"
    )
    assert got == [(len(EVENTS), 1)]


def test_bot_hand_off_restarts_the_clock_and_a_later_reopen_does_not(tmp_path):
    tickets = [_ticket("h", "2024-03-04 09:00")]
    events = [
        _event("h", "2024-03-04 09:00", 1, "customer"),
        _event("h", "2024-03-04 09:01", 2, "bot"),
        _event("h", "2024-03-04 09:40", 3, "bot", "assign", False),
        _event("h", "2024-03-04 10:00", 4, "agent"),
        _event("h", "2024-03-04 11:00", 5, "agent", "status", False, "solved"),
        _event("h", "2024-03-05 09:00", 6, "customer"),
        _event("h", "2024-03-05 09:30", 7, "agent"),
    ]
    warehouse, _ = clean_rows(tmp_path, {"tickets": tickets, "ticket_events": events})
    got = fetch(warehouse, "SELECT first_response_min, first_any_response_min FROM tickets")
    # hand-off 09:40 → human 10:00 = 20 min; the reopen after the human reply changes nothing
    assert got == [(pytest.approx(20.0), pytest.approx(1.0))]


def test_first_any_response_median_is_computed_from_the_events(cleaned, tmp_path):
    from cxlens.metrics import compute_kpis
    from cxlens.settings import Settings

    frame = compute_kpis(
        cleaned[2], Settings(root=tmp_path), metrics=["first_any_response_median_min"]
    )
    # fr1: Mon 09:00 → Fri 14:10 = 6070 min; fr2: 5 s; fr3: 120; agent: 30 → median 75
    (row,) = frame.to_dict("records")
    assert row["value"] == pytest.approx(75.0)
    assert row["n"] == 4
