"""Team training needs against the rest of the desk, cell by cell (category × channel),
and the CSAT records the plan reads, on small hand-computed desks."""

from __future__ import annotations

import math
from datetime import date

import pytest
from test_coaching import wilson
from test_metrics_fixtures import settings, warehouse_with

from cxlens.actions import coaching, coaching_desk
from cxlens.actions.coaching import coaching_plan
from cxlens.store import Warehouse


def tickets(agent: str, team: str, channel: str, n: int, first_contact: int) -> list[dict]:
    """``n`` solved refund tickets of ``agent`` on ``channel``; the first ``first_contact``
    solved at first contact (one reply), the rest after three replies."""
    return [
        {
            "ticket_id": f"{agent}-{channel}-{i}",
            "created_at_local": "2024-03-01 09:00",
            "solved_at_local": "2024-03-01 10:00",
            "agent_id": agent,
            "team": team,
            "category": "refund",
            "channel": channel,
            "reopens": 0,
            "agent_replies": 1 if i < first_contact else 3,
        }
        for i in range(n)
    ]


def mail_and_chat_desk(tmp_path, mail_email: int, mail_chat: int):
    """Team Mail answers mostly e-mail (200 e-mails and 50 chats per agent, ``mail_email``
    and ``mail_chat`` of them at first contact); team Chat mostly chat (50 e-mails at
    first contact half the time, 200 chats nine times in ten)."""
    rows = []
    for agent in ("M1", "M2"):
        rows += tickets(agent, "Mail", "email", 200, mail_email)
        rows += tickets(agent, "Mail", "chat", 50, mail_chat)
    for agent in ("C1", "C2"):
        rows += tickets(agent, "Chat", "email", 50, 25) + tickets(agent, "Chat", "chat", 200, 180)
    return warehouse_with(tmp_path, tickets=rows)


def plain():
    return settings(coaching={"correction": "none"})


def test_a_team_worse_only_by_its_channel_mix_is_not_a_need(tmp_path):
    # Mail: e-mail 200/400 = 0.5, chat 90/100 = 0.9, as Chat's e-mail 50/100 and chat
    # 360/400. Overall Mail is 290/500 = 0.58 against Chat's 410/500 = 0.82: 24 points
    # worse, a material gap that the channel mix alone makes.
    crude_gap = 290 / 500 - 410 / 500
    assert crude_gap == pytest.approx(-0.24) and abs(crude_gap) >= 0.05
    plan = coaching_plan(mail_and_chat_desk(tmp_path, 100, 45), plain())
    assert plan.team_needs.empty

    desk = _against_desk(plan, tmp_path)
    mail = desk[(desk["team"] == "Mail") & (desk["dimension"] == "all") & (desk["kpi"] == "fcr")]
    # the rest of the desk on Mail's mix: 0.8 × 0.5 + 0.2 × 0.9 = 0.58, Mail's own rate
    assert mail["value"].iloc[0] == pytest.approx(0.58)
    assert mail["team_value"].iloc[0] == pytest.approx(0.58)
    assert mail["gap"].iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_a_team_worse_within_each_channel_is_a_need(tmp_path):
    # Mail: e-mail 120/400 = 0.3 (Chat 0.5), chat 70/100 = 0.7 (Chat 0.9): 20 points
    # worse in each channel. Weights from Mail's records: 0.8 e-mail, 0.2 chat.
    plan = coaching_plan(mail_and_chat_desk(tmp_path, 60, 35), plain())
    needs = plan.team_needs[plan.team_needs["kpi"] == "fcr"]
    found = set(zip(needs["team"], needs["dimension"], needs["item"], needs["rule"], strict=True))
    assert found == {
        ("Mail", "category", "refund", "team_vs_desk"),
        ("Mail", "channel", "email", "team_vs_desk"),
        ("Mail", "channel", "chat", "team_vs_desk"),
        ("Mail", "all", "all", "team_vs_desk"),
    }

    whole = needs[needs["dimension"] == "all"].iloc[0]
    value, expected = 190 / 500, 0.8 * 0.5 + 0.2 * 0.9
    assert (whole["n"], whole["value"]) == (500, pytest.approx(value))
    assert whole["desk_value"] == pytest.approx(expected)  # 0.58
    assert whole["gap"] == pytest.approx(-0.2)
    assert whole["impact"] == pytest.approx(500 * 0.2)
    # Mail's interval: Wilson on its 190/500; the rest's: MOVER over its two cells'
    # Wilson intervals with Mail's weights; the gap's: MOVER of the two.
    low, high = wilson(190, 500)
    (email_low, email_high), (chat_low, chat_high) = wilson(50, 100), wilson(360, 400)
    rest_low = expected - math.hypot(0.8 * (0.5 - email_low), 0.2 * (0.9 - chat_low))
    rest_high = expected + math.hypot(0.8 * (email_high - 0.5), 0.2 * (chat_high - 0.9))
    assert (whole["ci_low"], whole["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    gap_high = -0.2 + math.hypot(high - value, expected - rest_low)
    gap_low = -0.2 - math.hypot(value - low, rest_high - expected)
    assert whole["gap_high"] == pytest.approx(gap_high) and gap_high < 0
    assert whole["gap_low"] == pytest.approx(gap_low)


def _against_desk(plan, tmp_path):
    """Every team's comparison with the rest of the desk, flagged or not."""
    with Warehouse(tmp_path / "w.duckdb").connect(read_only=True) as con:
        records = coaching._records(con, coaching._columns(con), plain(), plan.window, {})
    return coaching_desk._team_against_desk(records, plan.settings)


def survey_desk(tmp_path):
    """Agents A1 and A2 of team T answered on three scales: 1–5, Good/Bad (0–1), 1–10."""
    answers = [("A1", score, 1, 5) for score in (5, 4, 3, 2, 1, 5, 4, 3, 2, 1)]
    answers += [("A1", 1, 0, 1), ("A1", 0, 0, 1), ("A1", 8, 1, 10), ("A1", 7, 1, 10)]
    answers += [("A2", score, 1, 5) for score in (5, 5, 5, 4, 4, 4, 3, 3, 2, 1)]
    responses, linked = [], []
    for i, (agent, score, low, high) in enumerate(answers):
        linked.append({"ticket_id": f"T{i}", "created_at_local": "2024-03-01 09:00",
                       "agent_id": agent, "team": "T", "category": "refund",
                       "channel": "email"})  # fmt: skip
        responses.append({"response_id": f"R{i}", "kind": "csat", "score": score,
                          "scale_min": low, "scale_max": high, "ticket_id": f"T{i}",
                          "agent_id": agent, "responded_at_local": "2024-03-02 09:00"})  # fmt: skip
    return warehouse_with(tmp_path, tickets=linked, survey_responses=responses)


def satisfied_by_agent(warehouse, project) -> dict:
    with warehouse.connect(read_only=True) as con:
        span = (date(2024, 1, 1), date(2024, 3, 31))
        records = coaching._records(con, coaching._columns(con), project, span, {})
    csat = records[records["kpi"] == "csat"]
    return {agent: (int(g["outcome"].sum()), len(g)) for agent, g in csat.groupby("agent")}


def test_csat_records_without_csat_settings(tmp_path):
    # Regression: with no [csat] satisfied_from the records' SQL read `CASE ELSE ...`, a
    # syntax error. Default rule (cxlens.metrics.surveys docstring): top two boxes on 1–5 (4, 5), the top box
    # on Good/Bad (1), the top three on 1–10 (8, 9, 10).
    warehouse = survey_desk(tmp_path)
    project = settings()
    assert not project.csat.get("satisfied_from")
    # A1: 1–5 → 4 of 10 (5, 4, 5, 4); Good/Bad → 1 of 2; 1–10 → 1 of 2 (8, not 7)
    # A2: 1–5 → 6 of 10
    assert satisfied_by_agent(warehouse, project) == {"A1": (6, 14), "A2": (6, 10)}
    plan = coaching_plan(warehouse, settings(coaching={"correction": "none", "min_n": 5}))
    assert set(plan.comparisons["kpi"]) == {"csat"}


def test_csat_records_follow_the_satisfied_from_override(tmp_path):
    # satisfied_from = 5 on 1–5: A1 keeps 2 of 10 there (the two 5s), other scales unchanged
    warehouse = survey_desk(tmp_path)
    assert satisfied_by_agent(warehouse, settings(csat={"satisfied_from": 5})) == {
        "A1": (4, 14),
        "A2": (3, 10),
    }
