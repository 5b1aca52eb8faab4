"""Agent names in exports become the agents table's ids, so one person is one group."""

from helpers_raw import clean_rows, fetch, rule_rows


def test_names_become_ids_and_by_agent_figures_join_up(tmp_path):
    # The ticket export names the assignee ("Anna Schmidt", " anna schmidt " once);
    # the events name the author by id (9001). Two agents share the name "Sam Lee":
    # that name stays as written. Ben is named by his id already.
    from cxlens.metrics import compute_kpis
    from cxlens.settings import Settings

    warehouse, rules = clean_rows(
        tmp_path,
        {
            "agents": [
                {"agent_id": "9001", "name": "Anna Schmidt"},
                {"agent_id": "9002", "name": "Ben Ode"},
                {"agent_id": "9003", "name": "Sam Lee"},
                {"agent_id": "9004", "name": "Sam Lee"},
            ],
            "tickets": [
                {"ticket_id": "T1", "created_at": "2024-03-04 10:00", "agent_id": "Anna Schmidt"},
                {"ticket_id": "T2", "created_at": "2024-03-04 11:00", "agent_id": " anna schmidt "},
                {"ticket_id": "T3", "created_at": "2024-03-04 12:00", "agent_id": "9002"},
                {"ticket_id": "T4", "created_at": "2024-03-04 13:00", "agent_id": "Sam Lee"},
            ],
            "ticket_events": [
                {"ticket_id": "T1", "at": "2024-03-04 10:00", "seq": 1, "actor": "customer",
                 "actor_id": "Anna Schmidt", "kind": "message"},
                {"ticket_id": "T1", "at": "2024-03-04 10:30", "seq": 2, "actor": "agent",
                 "actor_id": "Anna Schmidt", "kind": "message", "public": True},
                {"ticket_id": "T2", "at": "2024-03-04 11:00", "seq": 1, "actor": "customer",
                 "actor_id": "c2", "kind": "message"},
                {"ticket_id": "T2", "at": "2024-03-04 11:20", "seq": 2, "actor": "agent",
                 "actor_id": "9001", "kind": "message", "public": True},
            ],
            "survey_responses": [
                {"response_id": "R1", "kind": "csat", "score": 5, "ticket_id": "T3",
                 "agent_id": "Ben Ode", "responded_at": "2024-03-05 09:00"},
            ],
        },
    )  # fmt: skip

    tickets = fetch(warehouse, "SELECT ticket_id, agent_id FROM tickets ORDER BY 1")
    assert tickets == [("T1", "9001"), ("T2", "9001"), ("T3", "9002"), ("T4", "Sam Lee")]
    # a customer named like an agent is not an agent: only the agent's event changes
    events = fetch(warehouse, "SELECT actor, actor_id FROM ticket_events ORDER BY ticket_id, seq")
    assert events[:2] == [("customer", "Anna Schmidt"), ("agent", "9001")]
    assert fetch(warehouse, "SELECT agent_id FROM survey_responses") == [("9002",)]
    assert rule_rows(rules, "agent_name_to_id_tickets", "tickets")[0] == 2
    assert rule_rows(rules, "agent_name_ambiguous_tickets", "tickets")[0] == 1
    assert rule_rows(rules, "agent_name_to_id_ticket_events", "ticket_events")[0] == 1
    assert rule_rows(rules, "agent_name_to_id_survey_responses", "survey_responses")[0] == 1

    # first responses by agent: Anna (9001) answered T1 in 30 and T2 in 20 → one group,
    # median 25 over n 2
    kpis = compute_kpis(
        warehouse, Settings(root=tmp_path), by=["agent"], metrics=["first_response_median_min"]
    )
    found = {row.group["agent"]: (row.value, row.n) for row in kpis.itertuples() if row.n}
    assert found == {"9001": (25.0, 2)}
