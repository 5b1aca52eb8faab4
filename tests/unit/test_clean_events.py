"""Ticket facts measured from ticket events: first responses (cases FR-1, FR-2, FR-3),
solves and reopens (case RS-1), replies, contacts and merges (case RS-3).

Every expected value is worked out by hand from the event times written here.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from helpers_raw import clean_rows, event, fetch, rule_rows


def _ticket(ticket_id, created_at, **columns):
    return {"ticket_id": ticket_id, "created_at": created_at, **columns}


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
    event("fr1", "2024-03-04 09:00", 1, "customer"),
    event("fr1", "2024-03-04 09:05", 2, "bot", "status", False, "solved"),
    event("fr1", "2024-03-08 14:00", 3, "customer"),
    event("fr1", "2024-03-08 14:00", 4, "system", "status", False, "open"),
    event("fr1", "2024-03-08 14:10", 5, "agent"),
    event("fr2", "2024-03-04 10:00:00", 1, "customer"),
    event("fr2", "2024-03-04 10:00:05", 2, "bot"),
    event("fr2", "2024-03-04 10:30:00", 3, "agent"),
    event("fr3", "2024-03-04 09:00", 1, "customer"),
    event("fr3", "2024-03-04 09:05", 2, "agent", "note", False),
    event("fr3", "2024-03-04 11:00", 3, "agent", public=None),
    event("agent", "2024-03-04 08:01", 1, "agent"),
    event("agent", "2024-03-04 08:20", 2, "customer"),
    event("agent", "2024-03-04 08:50", 3, "agent"),
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
        event("h", "2024-03-04 09:00", 1, "customer"),
        event("h", "2024-03-04 09:01", 2, "bot"),
        event("h", "2024-03-04 09:40", 3, "bot", "assign", False),
        event("h", "2024-03-04 10:00", 4, "agent"),
        event("h", "2024-03-04 11:00", 5, "agent", "status", False, "solved"),
        event("h", "2024-03-05 09:00", 6, "customer"),
        event("h", "2024-03-05 09:30", 7, "agent"),
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


# One ticket's whole life, with the export's counts deliberately wrong: the events win.
LIFE = [
    event("life", "2024-01-01 09:00", 1, "customer"),  # contact 1
    event("life", "2024-01-01 09:05", 2, "customer"),  # still contact 1: nobody answered
    event("life", "2024-01-01 09:10", 3, "bot"),  # an acknowledgement ends no contact
    event("life", "2024-01-01 09:30", 4, "agent", actor_id="A"),  # reply 1
    event("life", "2024-01-01 09:40", 5, "customer"),  # contact 2
    event("life", "2024-01-01 09:50", 6, "agent", "note", False, actor_id="A"),  # not a reply
    event("life", "2024-01-01 10:00", 7, "agent", actor_id="A"),  # reply 2
    event("life", "2024-01-01 10:05", 8, "agent", "status", False, "solved", "A"),  # solve 1
    event("life", "2024-01-02 08:00", 9, "customer"),  # reopen 1, contact 3
    event("life", "2024-01-02 08:00", 10, "system", "status", False, "open"),  # same reopen
    event("life", "2024-01-02 09:00", 11, "agent", actor_id="B"),  # reply 3
    event("life", "2024-01-02 09:30", 12, "agent", "status", False, "已解决", "B"),  # solve 2
    event("life", "2024-01-05 09:30", 13, "system", "status", False, "closed"),  # same solve
    event("life", "2024-01-06 10:00", 14, "customer"),  # to the closed ticket: contact 4
]
LIFE_TICKET = _ticket(
    "life",
    "2024-01-01 09:00",
    agent_id="Z",
    status="closed",
    solved_at="2024-01-05 09:30",
    reopens=0,
    agent_replies=7,
    customer_contacts=9,
)
FACTS = (
    "SELECT agent_replies, customer_contacts, reopens, first_solved_at, solved_at, is_solved, "
    "solves_from_events FROM tickets"
)


@pytest.fixture(scope="module")
def life(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("life")
    warehouse, rules = clean_rows(tmp_path, {"tickets": [LIFE_TICKET], "ticket_events": LIFE})
    return fetch(warehouse, FACTS)[0], rules


def test_replies_count_public_human_messages_and_a_run_of_customer_messages_is_one_contact(life):
    replies, contacts = life[0][:2]
    assert (replies, contacts) == (3, 4)


def test_a_reopen_is_counted_once_and_a_close_after_a_solve_is_the_same_resolution(life):
    reopens, first_solved, solved, is_solved, from_events = life[0][2:]
    assert reopens == 1
    assert first_solved == datetime(2024, 1, 1, 10, 5)
    # the resolution in force began at the second solve, not at the close on 5 Jan
    assert solved == datetime(2024, 1, 2, 9, 30)
    assert (is_solved, from_events) == (True, True)


def test_each_column_the_events_changed_is_logged(life):
    rules = life[1]
    for rule in (
        "agent_replies_from_events",
        "customer_contacts_from_events",
        "reopens_from_events",
        "solved_at_from_events",
        "first_solved_at_from_events",
    ):
        assert rule_rows(rules, rule, "tickets") == (1, ["life"]), rule
    assert rule_rows(rules, "merged_from_events", "tickets") == (0, [])


def test_reopened_and_still_open_is_not_solved_and_counts_no_resolution(tmp_path):
    # case RS-1: solved 5 Jan, reopened 6 Jan, open on 10 Jan; the export still says solved
    tickets = [
        _ticket("rs1", "2024-01-01 09:00", status="solved", solved_at="2024-01-05 12:00"),
        # a ticket solved after the window, so that resolutions are measured at all
        _ticket("late", "2024-01-10 09:00", solved_at="2024-01-11 09:00"),
    ]
    events = [
        event("rs1", "2024-01-01 09:00", 1, "customer"),
        event("rs1", "2024-01-02 09:00", 2, "agent", actor_id="A"),
        event("rs1", "2024-01-05 12:00", 3, "agent", "status", False, "solved", "A"),
        event("rs1", "2024-01-06 08:00", 4, "system", "status", False, "open"),
    ]
    warehouse, _ = clean_rows(tmp_path, {"tickets": tickets, "ticket_events": events})
    got = fetch(
        warehouse,
        "SELECT reopens, solved_at, first_solved_at, is_solved FROM tickets "
        "WHERE ticket_id = 'rs1'",
    )
    assert got == [(1, None, datetime(2024, 1, 5, 12), False)]

    frame = _kpis(warehouse, tmp_path, ["day"], ["resolution_median_min", "reopen_rate"])
    # over 1–10 Jan no day has a resolution (nor a reopen rate): RS-1 counts solved-now
    window = frame[frame["period"] <= "2024-01-10"]
    assert len(window) == 20
    assert window["value"].isna().all() and (window["n"] == 0).all()
    assert frame.loc[frame["period"] == "2024-01-11", "n"].tolist() == [1, 1]
    first = _kpis(warehouse, tmp_path, [], ["first_resolution_median_min"])
    # the first solve of rs1 (5 Jan) still counts there, beside late's only solve
    assert first["n"].tolist() == [2]


def test_merge_event_excludes_the_ticket_from_created_solved_and_resolution(tmp_path):
    # case RS-3: T2 created 10:00 is merged into T1 at 12:00; only the events say so
    tickets = [
        _ticket("T1", "2024-03-04 10:00"),
        _ticket("T2", "2024-03-04 10:00", status="closed", closed_at="2024-03-04 12:00"),
    ]
    events = [
        event("T1", "2024-03-04 10:00", 1, "customer"),
        event("T1", "2024-03-04 10:30", 2, "agent", actor_id="A"),
        event("T1", "2024-03-04 11:00", 3, "agent", "status", False, "solved", "A"),
        event("T2", "2024-03-04 10:00", 1, "customer"),
        event("T2", "2024-03-04 12:00", 2, "agent", "merge", False, actor_id="A"),
        event("T2", "2024-03-04 12:00", 3, "system", "status", False, "closed"),
    ]
    warehouse, rules = clean_rows(tmp_path, {"tickets": tickets, "ticket_events": events})
    assert fetch(warehouse, "SELECT ticket_id FROM tickets WHERE is_merged") == [("T2",)]
    assert rule_rows(rules, "merged_from_events", "tickets") == (1, ["T2"])

    frame = _kpis(warehouse, tmp_path, [], ["tickets", "resolution_mean_min", "reopen_rate"])
    got = {row["metric"]: (row["value"], row["n"]) for row in frame.to_dict("records")}
    # T1 alone: created 1, solved 1 after 60 minutes (T2's close at 12:00 is no resolution)
    assert got == {
        "tickets": (1, 1),
        "resolution_mean_min": (pytest.approx(60.0), 1),
        "reopen_rate": (0.0, 1),
    }


def test_fcr_counts_solved_tickets_with_one_contact_and_no_reopen(tmp_path):
    tickets = [_ticket(t, "2024-03-04 09:00", customer_contacts=1, reopens=0) for t in "XYZ"]
    events = [
        # X: two lines before anyone answers are one contact → first contact resolution
        event("X", "2024-03-04 09:00", 1, "customer"),
        event("X", "2024-03-04 09:01", 2, "customer"),
        event("X", "2024-03-04 09:30", 3, "agent", actor_id="A"),
        event("X", "2024-03-04 09:31", 4, "agent", "status", False, "solved", "A"),
        # Y: the customer had to write again after the answer → two contacts
        event("Y", "2024-03-04 09:00", 1, "customer"),
        event("Y", "2024-03-04 09:30", 2, "agent", actor_id="A"),
        event("Y", "2024-03-04 10:00", 3, "customer"),
        event("Y", "2024-03-04 10:30", 4, "agent", actor_id="A"),
        event("Y", "2024-03-04 10:31", 5, "agent", "status", False, "solved", "A"),
        # Z: solved, the customer writes again (a reopen), solved again
        event("Z", "2024-03-04 09:00", 1, "customer"),
        event("Z", "2024-03-04 09:30", 2, "agent", actor_id="A"),
        event("Z", "2024-03-04 09:31", 3, "agent", "status", False, "solved", "A"),
        event("Z", "2024-03-04 11:00", 4, "customer"),
        event("Z", "2024-03-04 11:30", 5, "agent", "status", False, "solved", "A"),
    ]
    warehouse, _ = clean_rows(tmp_path, {"tickets": tickets, "ticket_events": events})
    got = fetch(warehouse, "SELECT ticket_id, customer_contacts, reopens FROM tickets")
    assert sorted(got) == [("X", 1, 0), ("Y", 2, 0), ("Z", 2, 1)]

    frame = _kpis(warehouse, tmp_path, [], ["fcr", "reopen_rate"])
    got = {row["metric"]: (row["value"], row["n"]) for row in frame.to_dict("records")}
    assert got == {"fcr": (pytest.approx(1 / 3), 3), "reopen_rate": (pytest.approx(1 / 3), 3)}


def test_a_customer_message_reopens_a_solved_ticket_but_not_a_closed_one(tmp_path):
    tickets = [_ticket("s", "2024-03-04 09:00"), _ticket("c", "2024-03-04 09:00")]
    events = [
        event("s", "2024-03-04 09:30", 1, "agent", "status", False, "solved", "A"),
        event("s", "2024-03-05 09:00", 2, "customer"),
        event("c", "2024-03-04 09:30", 1, "agent", "status", False, "closed", "A"),
        event("c", "2024-03-05 09:00", 2, "customer"),
    ]
    warehouse, _ = clean_rows(tmp_path, {"tickets": tickets, "ticket_events": events})
    got = fetch(warehouse, "SELECT ticket_id, reopens, is_solved, solved_at FROM tickets")
    assert sorted(got) == [
        ("c", 0, True, datetime(2024, 3, 4, 9, 30)),
        ("s", 1, False, None),
    ]


def test_tickets_whose_events_carry_no_status_keep_their_own_solve_columns(cleaned):
    got = fetch(
        cleaned[2],
        "SELECT ticket_id, reopens, solves_from_events FROM tickets WHERE ticket_id IN "
        "('fr1', 'plain')",
    )
    # fr1 has status events (bot solve, reopen): 1 reopen from them; plain has no events
    assert sorted(got) == [("fr1", 1, True), ("plain", None, False)]


def _kpis(warehouse, tmp_path, by, metrics):
    from cxlens.metrics import compute_kpis
    from cxlens.settings import Settings

    return compute_kpis(warehouse, Settings(root=tmp_path), by=by, metrics=metrics)
