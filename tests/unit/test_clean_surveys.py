"""Survey responses: default scales by kind; agent and channel from the linked ticket."""

from helpers_raw import clean_rows, fetch, rule_rows


def response(response_id, kind, score, **columns):
    return {"response_id": response_id, "kind": kind, "score": score,
            "responded_at": "2024-03-05 09:00", **columns}  # fmt: skip


def test_missing_scales_come_from_the_kind(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "survey_responses": [
                response("R1", "csat", 5),
                response("R2", "nps", 9),
                response("R3", "ces", 2),
                response("R4", "csat", 2, scale_min=1, scale_max=3),
            ]
        },
    )
    rows = fetch(warehouse, "SELECT response_id, scale_min, scale_max FROM survey_responses "
                 "ORDER BY 1")  # fmt: skip
    assert rows == [("R1", 1, 5), ("R2", 0, 10), ("R3", 1, 7), ("R4", 1, 3)]
    assert rule_rows(rules, "scale_max_from_kind", "survey_responses") == (3, ["R1", "R2", "R3"])


def test_agent_and_channel_come_from_the_ticket_where_missing(tmp_path):
    warehouse, rules = clean_rows(
        tmp_path,
        {
            "tickets": [
                {"ticket_id": "T1", "created_at": "2024-03-04", "agent_id": "A", "channel": "邮箱"},
                {"ticket_id": "T2", "created_at": "2024-03-04"},
            ],
            "survey_responses": [
                response("R1", "csat", 5, ticket_id="T1"),
                response("R2", "csat", 4, ticket_id="T1", agent_id="B", channel="电话"),
                response("R3", "csat", 3, ticket_id="T2"),
                response("R4", "csat", 3, ticket_id="T9"),
            ],
        },
    )
    rows = fetch(warehouse, "SELECT response_id, agent_id, channel FROM survey_responses "
                 "ORDER BY 1")  # fmt: skip
    assert rows == [("R1", "A", "email"), ("R2", "B", "phone"), ("R3", None, None),
                    ("R4", None, None)]  # fmt: skip
    assert rule_rows(rules, "agent_id_from_ticket", "survey_responses") == (1, ["R1"])
    assert rule_rows(rules, "channel_from_ticket", "survey_responses") == (1, ["R1"])
