"""The coaching plan's view: both languages, the sentence's numbers, no ranking."""

from __future__ import annotations

import pandas as pd
import pytest
from test_coaching import desk, plain

from cxlens.actions.coaching import coaching_plan
from cxlens.errors import WarehouseError
from cxlens.insights.actions import Scope
from cxlens.insights.coaching import WORDS, _agent_line, coaching_view, plan_view


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
    # three FCR flags (category, channel, all tickets), two of them topics, all −30 points:
    # the largest rate gap is a topic already, so only the count of the rest is added
    assert line.endswith("(1 more flag in the table)") and "largest rate gap" not in line
    assert view.lines[-2].startswith("No team training need: ")
    assert view.lines[-1] == "1 of 2 agents compared show no reliable gap."
    # no time was flagged and no team need: those tables are left out, not shown empty
    assert [t.key for t in view.tables] == ["coaching_flags_rates", "coaching_agents"]
    rates = view.tables[0].frame
    assert list(rates["Agent value"]) == [0.5, 0.5, 0.5]
    assert list(rates["Gap"]) == pytest.approx([-30.0] * 3)
    agents = view.tables[1].frame
    assert list(agents["Status"]) == ["coach on 2 topics", "no reliable gap"]
    # the default window: 90 days ending on the data's last day
    first, last = (day.isoformat() for day in plan.window)
    assert view.covering == f"tickets and survey answers {first} to {last}, at least 90 days"
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
    agents = plan_view(plan, "en").tables[-1]
    assert agents.frame.to_dict("list") == {  # by team ("P" < "P, Q" < "Q"), then name
        "Agent": ["P2", "A1", "Q2"],
        "Team": ["P", "P, Q", "Q"],
        "Comparisons": [6, 12, 6],
        "Flags": [0, 6, 0],
        "Topics": [0, 4, 0],
        "Status": ["no reliable gap", "coach on 4 topics", "no reliable gap"],
    }
    assert "at least 10 records" in agents.note and "--format csv" in agents.note

    rows = plan_rows(plan)
    compared = rows[rows["level"] == "comparison"]
    assert len(compared) == 24
    assert compared.groupby("agent").size().to_dict() == {"A1": 12, "P2": 6, "Q2": 6}
    assert int(compared["flagged"].sum()) == 6
    assert set(compared.loc[compared["flagged"], "kpi"]) == {"fcr"}
    assert len(rows[rows["level"] == "agent"]) == 6  # the flags, with topics and examples


def flag(kpi, kind, dimension, item, value, team, n, rank, low, high, share=None) -> dict:
    return {"name": "Feng", "kpi": kpi, "kind": kind, "dimension": dimension, "item": item,
            "value": value, "team_value": team, "gap": value - team, "gap_share": share,
            "n": n, "confidence": 0.999, "ci_low": low, "ci_high": high, "topic_rank": rank}  # fmt: skip


def test_the_largest_rate_gap_is_named_when_it_is_not_a_topic():
    # Three time topics by impact; CSAT over all 40 % vs 80.7 % (−40.7 points, n 81) is
    # flagged but not a topic, and one more time flag is in the table only.
    flags = pd.DataFrame([
        flag("resolution_median_min", "time", "category", "install", 7200, 3600, 200, 1.0,
             6000, 9000, 1.0),
        flag("resolution_median_min", "time", "category", "defect", 10800, 5400, 120, 2.0,
             7200, 17000, 1.0),
        flag("first_response_median_min", "time", "category", "install", 51, 16, 211, 3.0,
             20, 160, 2.19),
        flag("csat", "rate", "all", "all", 0.40, 0.807, 81, None, 0.25, 0.57),
        flag("first_response_median_min", "time", "all", "all", 40, 20, 500, None, 30, 60, 1.0),
    ])  # fmt: skip
    topics = flags[flags["topic_rank"].notna()]
    line = _agent_line(topics, flags, "Technical", WORDS["en"])
    assert line.startswith("Agent Feng (Technical): coach on category install — resolution")
    # 0.40 − 0.807 = −0.407 → "−41 pp"; 0.25 and 0.57 as whole percentages
    assert line.endswith(
        "; largest rate gap: all tickets — CSAT 40% vs team 81% (−41 pp, n 81, 99.9% 25%–57%)"
        " (1 more flag in the table)"
    )
    chinese = _agent_line(topics, flags, "Technical", WORDS["zh"])
    assert "；比率差距最大的一项：全部工单——满意度 40%" in chinese
    assert chinese.endswith("（另有 1 项标记见表）")


def test_a_window_after_the_data_and_an_unknown_agent_are_refused(tmp_path):
    from datetime import date

    from cxlens.actions.coaching import coaching_window

    with pytest.raises(WarehouseError) as refused:
        coaching_window(date(2025, 6, 30), (date(2030, 1, 1), None), 90)
    assert str(refused.value) == (
        "the window starts on 2030-01-01, after the data's last day 2025-06-30; give a "
        "first day (--from) on or before 2025-06-30"
    )
    warehouse = desk(tmp_path, [("A1", "Gap", 40, 20), ("G2", "Gap", 200, 160)])
    with pytest.raises(WarehouseError, match=r"unknown agent NOPE: .* such as A1, G2$"):
        coaching_plan(warehouse, plain(), filters={"agent": ["NOPE"]})
