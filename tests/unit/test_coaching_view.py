"""The coaching plan's view: both languages, the sentence's numbers, no ranking."""

from __future__ import annotations

import pytest
from test_coaching import desk, plain

from cxlens.actions.coaching import coaching_plan
from cxlens.errors import WarehouseError
from cxlens.insights.actions import Scope
from cxlens.insights.coaching import WORDS, coaching_view, plan_view


def test_every_word_in_both_languages():
    assert set(WORDS["en"]) == set(WORDS["zh"])
    assert all(WORDS["zh"][key].strip() for key in WORDS["zh"])


@pytest.fixture
def plan(tmp_path):
    warehouse = desk(tmp_path, [("A1", "Gap", 40, 20), ("G2", "Gap", 200, 160)])
    return coaching_plan(warehouse, plain())


def test_the_agent_sentence_carries_the_evidence(plan):
    view = plan_view(plan, "en")
    line = next(line for line in view.lines if line.startswith("Agent A1"))
    # FCR 20/40 = 50 % against the rest of the team's 160/200 = 80 %: −30 points, n 40;
    # Wilson 95 % of 20/40 is 35.2 %–64.8 %, shown rounded
    assert "coach on category refund — FCR 50% vs team 80% (−30 pp, n 40, 95.0% 35%–65%)" in line
    assert view.lines[-1] == "1 of 2 agents compared show no reliable gap."
    assert [t.key for t in view.tables] == [
        "coaching_flags_rates", "coaching_flags_times", "coaching_team_needs", "coaching_agents",
    ]  # fmt: skip
    rates = view.tables[0].frame
    assert list(rates["Agent value"]) == [0.5, 0.5, 0.5]
    assert list(rates["Gap"]) == pytest.approx([-30.0] * 3)
    agents = view.tables[3].frame
    assert list(agents["Status"]) == ["coach on 2 topic(s)", "no reliable gap"]
    assert len(view.figures) == 1  # rates only: no time was flagged


def test_the_view_in_chinese(plan):
    view = plan_view(plan, "zh")
    assert view.title == "坐席辅导计划"
    assert any(
        line.startswith("坐席 A1（Gap）：重点辅导 类别 refund——首次解决率 50%")
        for line in view.lines
    )
    assert "坐席值" in view.tables[0].frame.columns
    assert "Bonferroni" not in view.method and "未按比较次数校正" in view.method


def test_no_agents_is_a_reason_to_show(tmp_path):
    warehouse = desk(tmp_path, [("A1", "Solo", 40, 20)])  # alone in the team: no comparison
    with pytest.raises(WarehouseError, match="no agent with a team to compare with"):
        coaching_view(warehouse, plain(), "en", Scope())


def test_one_row_per_agent_and_every_comparison_in_the_export(tmp_path):
    # A1 works in two teams, 20 of 40 at first contact in each against 160 of 200 for the
    # rest of the team (as in test_coaching). Each agent-team pair has 6 comparisons
    # (FCR and reopen rate × category, channel, all; the tickets carry no durations);
    # A1 is flagged on FCR thrice per team, with two topics per team (category, channel).
    from cxlens.actions.coaching import plan_rows

    warehouse = desk(
        tmp_path,
        [("A1", "P", 40, 20), ("P2", "P", 200, 160), ("A1", "Q", 40, 20), ("Q2", "Q", 200, 160)],
    )
    plan = coaching_plan(warehouse, plain())
    agents = plan_view(plan, "en").tables[3]
    assert agents.frame.to_dict("list") == {  # by team ("P" < "P, Q" < "Q"), then name
        "Agent": ["P2", "A1", "Q2"],
        "Team": ["P", "P, Q", "Q"],
        "Comparisons": [6, 12, 6],
        "Flags": [0, 6, 0],
        "Topics": [0, 4, 0],
        "Status": ["no reliable gap", "coach on 4 topic(s)", "no reliable gap"],
    }
    assert "at least 10 records" in agents.note and "--format csv" in agents.note

    rows = plan_rows(plan)
    compared = rows[rows["level"] == "comparison"]
    assert len(compared) == 24
    assert compared.groupby("agent").size().to_dict() == {"A1": 12, "P2": 6, "Q2": 6}
    assert int(compared["flagged"].sum()) == 6
    assert set(compared.loc[compared["flagged"], "kpi"]) == {"fcr"}
    assert len(rows[rows["level"] == "agent"]) == 6  # the flags, with topics and examples
