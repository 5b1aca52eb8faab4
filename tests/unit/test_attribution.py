"""Who gets the credit: one rule per metric (case SV-1 and docs/kpis.md, "Attribution").

First responses go to the agent of the first human public reply, resolutions (and FCR,
reopens) to the human agent of the solving status event, ratings to the last human agent
who served the ticket before the survey; ticket counts, the backlog and the SLA to the
assignee. Without events every column falls back to the ticket's ``agent_id``. The
expected values are worked out by hand from the times written here.
"""

from __future__ import annotations

import pytest

from helpers_raw import clean_rows, event, fetch, rule_rows


def _response(response_id, ticket_id, responded_at, score, agent_id=None):
    return {
        "response_id": response_id,
        "kind": "csat",
        "score": score,
        "ticket_id": ticket_id,
        "agent_id": agent_id,
        "responded_at": responded_at,
    }


def _kpis(warehouse, tmp_path, metrics, by=("agent",)):
    from cxlens.metrics import compute_kpis
    from cxlens.settings import Settings

    frame = compute_kpis(warehouse, Settings(root=tmp_path), by=list(by), metrics=metrics)
    return {
        (row["metric"], row["group"].get("agent")): (row["value"], row["n"])
        for row in frame.to_dict("records")
    }


def test_rating_is_credited_to_the_last_human_who_served_the_ticket(tmp_path):
    # case SV-1: A replies and solves at 10:00, an automation unassigns at 10:00, the
    # customer rates 5 at 11:00 → A's rating, although the ticket ends with no assignee
    tickets = [{"ticket_id": "sv1", "created_at": "2024-03-04 09:00"}]
    events = [
        event("sv1", "2024-03-04 09:00", 1, "customer"),
        event("sv1", "2024-03-04 10:00", 2, "agent", actor_id="A"),
        event("sv1", "2024-03-04 10:00", 3, "agent", "status", actor_id="A", status_to="solved"),
        event("sv1", "2024-03-04 10:00", 4, "system", "assign"),
    ]
    responses = [_response("r1", "sv1", "2024-03-04 11:00", 5)]
    warehouse, rules = clean_rows(
        tmp_path, {"tickets": tickets, "ticket_events": events, "survey_responses": responses}
    )
    assert fetch(warehouse, "SELECT agent_id FROM survey_responses") == [("A",)]
    assert rule_rows(rules, "agent_id_from_events", "survey_responses") == (1, ["r1"])
    assert _kpis(warehouse, tmp_path, ["csat"]) == {("csat", "A"): (1.0, 1)}


def test_rating_goes_to_whoever_served_last_before_the_survey_not_after(tmp_path):
    tickets = [
        {"ticket_id": "t", "created_at": "2024-03-04 09:00", "agent_id": "C"},
        {"ticket_id": "quiet", "created_at": "2024-03-04 09:00", "agent_id": "C"},
    ]
    events = [
        event("t", "2024-03-04 09:10", 1, "agent", actor_id="A"),
        event("t", "2024-03-04 09:20", 2, "agent", "note", actor_id="B"),  # a note is service too
        event("t", "2024-03-04 09:30", 3, "bot", actor_id="bot-1"),  # a bot serves no one
        event("t", "2024-03-04 12:00", 4, "agent", actor_id="D"),  # after the first survey
        event("quiet", "2024-03-04 09:00", 1, "customer", actor_id="cust"),
    ]
    responses = [
        _response("early", "t", "2024-03-04 10:00", 4, agent_id="C"),
        _response("late", "t", "2024-03-04 13:00", 2, agent_id="C"),
        # no human served "quiet" before its survey: the file's agent stays
        _response("kept", "quiet", "2024-03-04 10:00", 3, agent_id="Z"),
        # no ticket at all: the file's agent stays
        _response("loose", None, "2024-03-04 10:00", 3, agent_id="Y"),
    ]
    warehouse, rules = clean_rows(
        tmp_path, {"tickets": tickets, "ticket_events": events, "survey_responses": responses}
    )
    got = fetch(warehouse, "SELECT response_id, agent_id FROM survey_responses")
    assert sorted(got) == [("early", "B"), ("kept", "Z"), ("late", "D"), ("loose", "Y")]
    assert rule_rows(rules, "agent_id_from_events", "survey_responses") == (2, ["early", "late"])


# t1: assigned to C at the export, first answered by A, solved by B
# t2: B answers and solves; t3: A answers, still open; t4: no events (ticket columns, A)
TICKETS = [
    {"ticket_id": "t1", "created_at": "2024-01-01 09:00", "agent_id": "C"},
    {"ticket_id": "t2", "created_at": "2024-01-01 09:00", "agent_id": "B"},
    {"ticket_id": "t3", "created_at": "2024-01-01 09:00", "agent_id": "A"},
    {
        "ticket_id": "t4",
        "created_at": "2024-01-01 09:00",
        "agent_id": "A",
        "first_response_at": "2024-01-01 09:40",
        "solved_at": "2024-01-01 10:40",
    },
]
EVENTS = [
    event("t1", "2024-01-01 09:00", 1, "customer"),
    event("t1", "2024-01-01 09:10", 2, "agent", actor_id="A"),
    event("t1", "2024-01-01 09:50", 3, "system", "assign"),
    event("t1", "2024-01-01 10:00", 4, "agent", "status", actor_id="B", status_to="solved"),
    event("t2", "2024-01-01 09:00", 1, "customer"),
    event("t2", "2024-01-01 09:20", 2, "agent", actor_id="B"),
    event("t2", "2024-01-01 11:00", 3, "agent", "status", actor_id="B", status_to="solved"),
    event("t3", "2024-01-01 09:00", 1, "customer"),
    event("t3", "2024-01-01 09:30", 2, "agent", actor_id="A"),
]


@pytest.fixture(scope="module")
def credited(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("credit")
    warehouse, rules = clean_rows(tmp_path, {"tickets": TICKETS, "ticket_events": EVENTS})
    return warehouse, rules, tmp_path


def test_cleaned_tickets_name_the_responder_and_the_solver(credited):
    got = fetch(
        credited[0],
        "SELECT ticket_id, agent_id, first_response_agent_id, solved_by_agent_id FROM tickets",
    )
    assert sorted(got) == [
        ("t1", "C", "A", "B"),
        ("t2", "B", "B", "B"),
        ("t3", "A", "A", "A"),  # events without a status: the ticket columns, the assignee
        ("t4", "A", "A", "A"),  # no events: the assignee
    ]
    assert rule_rows(credited[1], "first_response_agent_from_events", "tickets") == (1, ["t1"])
    assert rule_rows(credited[1], "solved_by_agent_from_events", "tickets") == (1, ["t1"])


def test_kpis_by_agent_credit_each_metric_by_its_own_rule(credited):
    warehouse, _, tmp_path = credited
    metrics = ["tickets", "first_response_median_min", "resolution_median_min", "backlog"]
    got = _kpis(warehouse, tmp_path, metrics)
    # tickets by assignee: A t3, t4; B t2; C t1
    assert {a: got[("tickets", a)] for a in "ABC"} == {"A": (2, 2), "B": (1, 1), "C": (1, 1)}
    # first responses by the responder: A 10 (t1), 30 (t3), 40 (t4) → median 30; B 20 (t2)
    assert got[("first_response_median_min", "A")] == (pytest.approx(30.0), 3)
    assert got[("first_response_median_min", "B")] == (pytest.approx(20.0), 1)
    # resolutions by the solver: A 100 (t4); B 60 (t1), 120 (t2) → median 90
    assert got[("resolution_median_min", "A")] == (pytest.approx(100.0), 1)
    assert got[("resolution_median_min", "B")] == (pytest.approx(90.0), 2)
    assert got.get(("resolution_median_min", "C"), (None, 0))[1] == 0
    # the backlog stays with the assignee: C's t1 is solved (by B), A's t3 is open
    assert {a: got[("backlog", a)][0] for a in "ABC"} == {"A": 1, "B": 0, "C": 0}


def test_kpis_without_the_agent_dimension_are_unchanged_by_attribution(credited):
    warehouse, _, tmp_path = credited
    got = _kpis(warehouse, tmp_path, ["first_response_median_min", "resolution_median_min"], ())
    # all four first responses 10, 20, 30, 40 → 25; resolutions 60, 100, 120 → 100
    assert got == {
        ("first_response_median_min", None): (pytest.approx(25.0), 4),
        ("resolution_median_min", None): (pytest.approx(100.0), 3),
    }


def test_without_events_every_figure_is_credited_to_the_assignee(tmp_path):
    tickets = [dict(t, first_response_at="2024-01-01 09:30") for t in TICKETS[:3]]
    responses = [_response("r", "t1", "2024-01-02 09:00", 5, agent_id="Z")]
    warehouse, rules = clean_rows(tmp_path, {"tickets": tickets, "survey_responses": responses})
    got = fetch(
        warehouse,
        "SELECT count(*) FILTER (WHERE first_response_agent_id = agent_id "
        "AND solved_by_agent_id = agent_id), count(*) FROM tickets",
    )
    assert got == [(3, 3)]
    assert fetch(warehouse, "SELECT agent_id FROM survey_responses") == [("Z",)]
    assert not [r for r in rules if r.rule.endswith("_from_events")]
    by_agent = _kpis(warehouse, tmp_path, ["first_response_median_min"])
    assert by_agent == {(("first_response_median_min", a)): (pytest.approx(30.0), 1) for a in "ABC"}


def test_a_solve_by_a_bot_is_credited_to_no_agent(tmp_path):
    tickets = [{"ticket_id": "b", "created_at": "2024-03-04 09:00", "agent_id": "A"}]
    events = [
        event("b", "2024-03-04 09:00", 1, "customer"),
        event("b", "2024-03-04 09:05", 2, "bot", "status", actor_id="bot-1", status_to="solved"),
    ]
    warehouse, _ = clean_rows(tmp_path, {"tickets": tickets, "ticket_events": events})
    got = fetch(warehouse, "SELECT is_solved, solved_by_agent_id FROM tickets")
    assert got == [(True, None)]
    # by agent the bot's resolution (5 minutes) sits in the no-agent group
    by_agent = _kpis(warehouse, tmp_path, ["resolution_median_min"])
    assert by_agent[("resolution_median_min", None)] == (pytest.approx(5.0), 1)
