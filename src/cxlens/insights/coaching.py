"""The coaching plan as a reader sees it: who to coach on what, with the evidence.

Turns ``cxlens.actions.coaching.CoachingPlan`` into an ``ActionView`` in Chinese or
English: one sentence per team need and per flagged agent (their training topics with
n, values, gap and interval), the flags split into rates and times (a column holds one
unit), the team needs, one row per agent compared (their comparisons, flags and topics,
"no reliable gap" where nothing was flagged; listed by team and name, never by
performance), and a chart of each topic's gap with its interval against a line at 0.
Every comparison, flagged or not, is in ``cxlens coach --format csv`` and ``--out``, not
in the view: at scale it is tens of thousands of rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.errors import WarehouseError
from cxlens.insights.actions import ActionTable, ActionView, Scope, action_title

if TYPE_CHECKING:
    from cxlens.actions.coaching import CoachingPlan

TEAM_NEED_LINES = 5  # the rest are in the table

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "csat": "CSAT",
        "fcr": "FCR",
        "reopen_rate": "reopen rate",
        "first_response_median_min": "first response (median)",
        "resolution_median_min": "resolution (median)",
        "category": "category",
        "channel": "channel",
        "all": "all tickets",
        "agent_line": "Agent {name} ({team}): coach on {topics}",
        "topic": "{where} — {kpi} {value} vs team {team} ({gap}, n {n}, {level} {low}–{high})",
        "team_line": "Team {team}: train the whole team on {where} — {evidence}{agents}",
        "need": "{kpi} {value} vs {desk} for the rest of the desk on the same categories and "
        "channels ({gap}, n {n})",
        "team_agents": "; {flagged} of {enough} agents with enough tickets flagged there",
        "more_needs": "{count} more team needs are in the table.",
        "more_needs_one": "1 more team need is in the table.",
        "quiet": "{count} of {total} agents compared show no reliable gap.",
        "quiet_one": "{count} of 1 agent compared shows no reliable gap.",
        "more_flags": " ({count} more flags in the table)",
        "more_flags_one": " (1 more flag in the table)",
        "largest_gap": "; largest rate gap: {topic}",
        "no_needs": "No team training need: no team is reliably and materially worse than the "
        "rest of the desk on the same work, and no team has half its agents flagged on one "
        "topic.",
        "covering": "tickets and survey answers {first} to {last}, at least {lookback} days",
        "none": "No agent shows a gap that is both reliable and material: no coaching "
        "topic this time ({total} agents compared).",
        "pp": "pp",
        "min": "min",
        "h": "h",
        "agent": "Agent",
        "team": "Team",
        "breakdown": "Breakdown",
        "item": "Category / channel",
        "kpi": "KPI",
        "n": "n",
        "value": "Agent value",
        "shrunk": "Shrunk",
        "team_value": "Rest of team",
        "gap": "Gap",
        "slower": "Slower by",
        "low": "Interval low",
        "high": "Interval high",
        "level": "Level",
        "examples": "Example tickets",
        "topic_rank": "Topic",
        "evidence": "Evidence",
        "agents_flagged": "Agents flagged",
        "rule": "Rule",
        "flags": "Flags",
        "comparisons": "Comparisons",
        "topics": "Topics",
        "status": "Status",
        "coach": "coach on {count} topics",
        "coach_one": "coach on 1 topic",
        "no_gap": "no reliable gap",
        "too_few": "too few records",
        "team_vs_desk": "team worse than the rest of the desk",
        "half_of_agents": "half of the team's agents flagged",
        "both": "both",
        "rates_title": "Flags on rates (CSAT, FCR, reopens)",
        "times_title": "Flags on times (median minutes)",
        "needs_title": "Team training needs",
        "agents_title": "Agents compared",
        "agents_note": "One row per agent: comparisons with at least {min_n} records (those "
        "that can raise a flag), flags and training topics. Every comparison is in "
        "cxlens coach --format csv (or --out).",
        "rates_note": "Gap in percentage points against the rest of the team; the interval "
        "is the agent's own rate's.",
        "times_note": "The interval is that of the agent's median (binomial order statistics).",
        "figure_rates": "Gap to the rest of the team, with its interval (points)",
        "figure_times": "Slower than the rest of the team, with its interval (%)",
        "axis_rates": "gap (percentage points)",
        "axis_times": "slower than the rest of the team (%)",
        "method": "Each agent against the rest of their team (the team's records minus the "
        "agent's: exact for rates; for medians, the median of the other agents' own "
        "records), over {first} to {last} (at least {lookback} days ending on the last "
        "day). A flag needs n ≥ {min_n}, a gap of at least {rate_gap} points (rates) or "
        "{time_gap} slower (medians), and an interval (Wilson for rates, order statistics "
        "for medians; {confidence} per agent, {correction}) that excludes the team's value, "
        "with the gap's interval (MOVER) excluding 0. Shrunk values pull toward the team "
        "with {strength} pseudo-records. Team needs: a team worse than the rest of the "
        "desk by the same rules, compared within each category × channel cell and the cells "
        "combined with the team's tickets as weights (so a team's channel mix does not make "
        "a need), or at least half (two or more) of its agents flagged.",
        "bonferroni": "Bonferroni-corrected over the agent's comparisons",
        "uncorrected": "not corrected for the number of comparisons",
        "no_agents": "the coaching plan found no agent with a team to compare with in "
        "{first} to {last}; check that the tickets carry agents and teams, or widen "
        "the window (--from)",
    },
    "zh": {
        "csat": "满意度",
        "fcr": "首次解决率",
        "reopen_rate": "重开率",
        "first_response_median_min": "首次响应时长中位数",
        "resolution_median_min": "解决时长中位数",
        "category": "类别",
        "channel": "渠道",
        "all": "全部工单",
        "agent_line": "坐席 {name}（{team}）：重点辅导 {topics}",
        "topic": "{where}——{kpi} {value}，团队其他人 {team}（{gap}，n {n}，{level} 区间 "
        "{low}–{high}）",
        "team_line": "团队 {team}：全组培训 {where}——{evidence}{agents}",
        "need": "{kpi} {value}，其他团队在相同类别和渠道上为 {desk}（{gap}，n {n}）",
        "team_agents": "；该项有足够工单的 {enough} 名坐席中 {flagged} 名被标记",
        "more_needs": "另有 {count} 项团队培训需求见下表。",
        "more_needs_one": "另有 1 项团队培训需求见下表。",
        "quiet": "参与比较的 {total} 名坐席中，{count} 名没有可靠差距。",
        "quiet_one": "参与比较的 1 名坐席中，{count} 名没有可靠差距。",
        "more_flags": "（另有 {count} 项标记见表）",
        "more_flags_one": "（另有 1 项标记见表）",
        "largest_gap": "；比率差距最大的一项：{topic}",
        "no_needs": "没有团队培训需求：没有团队在相同工作上可靠且显著地差于其他团队，"
        "也没有团队半数坐席在同一项被标记。",
        "covering": "工单与问卷 {first} 至 {last}，至少 {lookback} 天",
        "none": "没有坐席的差距同时满足可靠与显著两个条件：本期无辅导主题（共比较 {total} 名坐席）。",
        "pp": "个百分点",
        "min": "分钟",
        "h": "小时",
        "agent": "坐席",
        "team": "团队",
        "breakdown": "维度",
        "item": "类别 / 渠道",
        "kpi": "指标",
        "n": "样本数",
        "value": "坐席值",
        "shrunk": "收缩值",
        "team_value": "团队其他人",
        "gap": "差距",
        "slower": "慢出比例",
        "low": "区间下限",
        "high": "区间上限",
        "level": "置信水平",
        "examples": "示例工单",
        "topic_rank": "主题序号",
        "evidence": "依据",
        "agents_flagged": "被标记坐席",
        "rule": "规则",
        "flags": "标记数",
        "comparisons": "比较项数",
        "topics": "辅导主题数",
        "status": "状态",
        "coach": "辅导 {count} 个主题",
        "coach_one": "辅导 1 个主题",
        "no_gap": "没有可靠差距",
        "too_few": "记录太少",
        "team_vs_desk": "团队整体差于其他团队",
        "half_of_agents": "半数坐席被标记",
        "both": "两者皆是",
        "rates_title": "比率类标记（满意度、首次解决率、重开率）",
        "times_title": "时长类标记（中位数，分钟）",
        "needs_title": "团队培训需求",
        "agents_title": "参与比较的坐席",
        "agents_note": "每名坐席一行：样本数至少 {min_n} 的比较项数（可能被标记的比较）、标记数和辅导主题数。"
        "全部比较明细见 cxlens coach --format csv（或 --out 导出）。",
        "rates_note": "差距以百分点计，相对于团队其他人；区间为坐席自身比率的区间。",
        "times_note": "区间为坐席中位数的区间（二项分布顺序统计量）。",
        "figure_rates": "与团队其他人的差距及区间（百分点）",
        "figure_times": "比团队其他人慢出的比例及区间（%）",
        "axis_rates": "差距（百分点）",
        "axis_times": "比团队其他人慢（%）",
        "method": "每名坐席与本团队其他人比较（团队记录减去该坐席的记录：比率为精确值；"
        "中位数取其他坐席记录的中位数），期间 {first} 至 {last}（至少 {lookback} 天，截至最后一天）。"
        "标记需同时满足：样本数 ≥ {min_n}；差距至少 {rate_gap} 个百分点（比率）或慢 {time_gap}"
        "（中位数）；坐席区间（比率用 Wilson，中位数用顺序统计量；每名坐席 {confidence}，{correction}）"
        "不含团队值，且差距的 MOVER 区间不含 0。收缩值以 {strength} 个虚拟样本向团队收缩。"
        "团队培训需求：在每个“类别 × 渠道”单元内与其他团队比较、再按本团队工单数加权合并，"
        "按同样规则差于其他团队（渠道构成不同不会造成培训需求），"
        "或至少半数（且不少于两名）坐席在该项被标记。",
        "bonferroni": "按该坐席的比较次数做 Bonferroni 校正",
        "uncorrected": "未按比较次数校正",
        "no_agents": "在 {first} 至 {last} 期间没有找到可与团队比较的坐席；请确认工单带有坐席和团队，"
        "或用 --from 放宽时间范围",
    },
}


def coaching_view(warehouse: Any, settings: Any, lang: str, scope: Scope) -> ActionView:
    """The coaching plan of the scope's agents, over the scope's window widened to
    ``[coaching] lookback_days``."""
    from cxlens.actions.coaching import coaching_plan

    plan = coaching_plan(warehouse, settings, scope.window, scope.filters)
    return plan_view(plan, lang)


def plan_view(plan: CoachingPlan, lang: str) -> ActionView:
    """The view of a computed plan (the CLI computes the plan once for the view and the
    CSV)."""
    words = WORDS["zh" if lang == "zh" else "en"]
    first, last = (day.isoformat() for day in plan.window)
    if plan.comparisons.empty:
        raise WarehouseError(words["no_agents"].format(first=first, last=last))
    flags = plan.flags.sort_values(["agent", "team", "topic_rank", "impact"],
                                   ascending=[True, True, True, False])  # fmt: skip
    return ActionView(
        key="coaching",
        title=action_title("coaching", lang),
        lang=lang,
        lines=_lines(plan, words),
        tables=[
            table
            for table in (
                _flag_table(flags[flags["kind"] == "rate"], words, "rate"),
                _flag_table(flags[flags["kind"] == "time"], words, "time"),
                _needs_table(plan.team_needs, words),
                _agents_table(plan, words),
            )
            if len(table.frame)
        ],
        figures=_figures(flags[flags["topic_rank"].notna()], words),
        method=_method(plan, words),
        covering=words["covering"].format(
            first=first, last=last, lookback=plan.settings["lookback_days"]
        ),
    )


def _lines(plan: CoachingPlan, words: dict) -> list[str]:
    """Team needs first (at most five), then one sentence per flagged agent (by their
    topics' impact), then how many agents show no reliable gap."""
    lines = [_team_line(need, words) for need in plan.team_needs.head(TEAM_NEED_LINES).itertuples()]
    more = len(plan.team_needs) - TEAM_NEED_LINES
    if more > 0:
        lines.append(words["more_needs_one" if more == 1 else "more_needs"].format(count=more))

    topics = plan.flags[plan.flags["topic_rank"].notna()].sort_values("topic_rank")
    weight = topics.groupby(["agent", "team"])["impact"].sum().sort_values(ascending=False)
    for agent, team in weight.index:
        mine = topics[(topics["agent"] == agent) & (topics["team"] == team)]
        flags = plan.flags[(plan.flags["agent"] == agent) & (plan.flags["team"] == team)]
        lines.append(_agent_line(mine, flags, team, words))

    total = plan.agents["agent"].nunique()
    flagged = plan.flags["agent"].nunique()
    if plan.team_needs.empty:
        lines.append(words["no_needs"])
    if not flagged:
        lines.append(words["none"].format(total=total))
    else:
        quiet = words["quiet_one" if total == 1 else "quiet"]
        lines.append(quiet.format(count=total - flagged, total=total))
    return lines


def _agent_line(topics: pd.DataFrame, flags: pd.DataFrame, team: str, words: dict) -> str:
    """An agent's training topics by impact; then, when it is not a topic, the flag with
    the largest rate gap (a large gap on few records can have less impact than a time
    gap); then how many of the agent's flags only the table shows."""
    pieces = [_topic(row, words) for row in topics.itertuples()]
    text = "; ".join(pieces)
    shown = len(topics)
    rates = flags[flags["kind"] == "rate"].assign(_size=lambda f: f["gap"].abs())
    is_topic = rates["topic_rank"].notna()
    topic_size = rates.loc[is_topic, "_size"].max() if is_topic.any() else 0.0
    if not rates.empty and topic_size < rates["_size"].max():
        largest = next(rates.loc[[rates.loc[~is_topic, "_size"].idxmax()]].itertuples())
        text += words["largest_gap"].format(topic=_topic(largest, words))
        shown += 1
    line = words["agent_line"].format(name=topics["name"].iloc[0], team=team, topics=text)
    hidden = len(flags) - shown
    if hidden > 0:
        line += words["more_flags_one" if hidden == 1 else "more_flags"].format(count=hidden)
    return line


def _where(dimension: str, item: str, words: dict) -> str:
    return words["all"] if dimension == "all" else f"{words[dimension]} {item}"


def _topic(row: Any, words: dict) -> str:
    shown = _shown(row.kind, words)
    return words["topic"].format(
        where=_where(row.dimension, row.item, words),
        kpi=words[row.kpi],
        value=shown(row.value),
        team=shown(row.team_value),
        gap=_gap(row, words),
        n=f"{row.n:,}",
        level=f"{row.confidence:.1%}",
        low=shown(row.ci_low),
        high=shown(row.ci_high),
    )


def _team_line(need: Any, words: dict) -> str:
    agents = ""
    if need.rule != "team_vs_desk":
        agents = words["team_agents"].format(flagged=need.agents_flagged, enough=need.agents_enough)
    return words["team_line"].format(
        team=need.team,
        where=_where(need.dimension, need.item, words),
        evidence=_need_evidence(need, words),
        agents=agents,
    )


def _need_evidence(need: Any, words: dict) -> str:
    """The team's value against the rest of the desk's, the gap and n, in words."""
    shown = _shown(need.kind, words)
    if pd.isna(need.desk_value):  # a need by its agents only, on a desk of one team
        return f"{words[need.kpi]} {shown(need.value)} (n {need.n:,})"
    return words["need"].format(
        kpi=words[need.kpi],
        value=shown(need.value),
        desk=shown(need.desk_value),
        gap=_gap(need, words),
        n=f"{need.n:,}",
    )


def _shown(kind: str, words: dict):
    """How a value of this kind reads in a sentence: 58 % or 48 min / 25.3 h."""
    if kind == "rate":
        return lambda value: "–" if pd.isna(value) else f"{value:.0%}"

    def minutes(value: float) -> str:
        if pd.isna(value):
            return "–"
        if value >= 120:
            return f"{value / 60:,.1f} {words['h']}"
        return f"{value:,.0f} {words['min']}"

    return minutes


def _gap(row: Any, words: dict) -> str:
    """−21 pp for a rate, +58 % for a time (slower share)."""
    if row.kind == "rate":
        return f"{row.gap * 100:+.0f} {words['pp']}".replace("-", "−")
    return f"{row.gap_share:+.0%}".replace("-", "−")


def _flag_table(flags: pd.DataFrame, words: dict, kind: str) -> ActionTable:
    """The flags of one unit: rates as fractions (gap in points) or times in minutes."""
    rate = kind == "rate"
    frame = pd.DataFrame(
        {
            words["agent"]: flags["name"],
            words["team"]: flags["team"],
            words["breakdown"]: flags["dimension"].map(lambda d: words[d]),
            words["item"]: flags["item"].where(flags["dimension"] != "all", words["all"]),
            words["kpi"]: flags["kpi"].map(lambda k: words[k]),
            words["n"]: flags["n"],
            words["value"]: flags["value"],
            words["shrunk"]: flags["shrunk"],
            words["team_value"]: flags["team_value"],
            words["gap"]: flags["gap"] * 100 if rate else flags["gap"],
            **({} if rate else {words["slower"]: flags["gap_share"]}),
            words["low"]: flags["ci_low"],
            words["high"]: flags["ci_high"],
            words["level"]: flags["confidence"],
            words["examples"]: flags["examples"].map(lambda ids: ", ".join(ids)),
            words["topic_rank"]: flags["topic_rank"],
        }
    ).reset_index(drop=True)
    unit = "percent" if rate else "minutes"
    formats = {words[c]: unit for c in ("value", "shrunk", "team_value", "low", "high")}
    formats.update({words["n"]: "count", words["level"]: "percent", words["topic_rank"]: "count"})
    formats[words["gap"]] = "points" if rate else "minutes"
    if not rate:
        formats[words["slower"]] = "percent"
    return ActionTable(
        key="coaching_flags_rates" if rate else "coaching_flags_times",
        title=words["rates_title" if rate else "times_title"],
        frame=frame,
        formats=formats,
        note=words["rates_note" if rate else "times_note"],
    )


def _needs_table(needs: pd.DataFrame, words: dict) -> ActionTable:
    """Team needs with their evidence as a sentence (rates and times share the table)."""
    evidence = [_need_evidence(need, words) for need in needs.itertuples()]
    frame = pd.DataFrame(
        {
            words["team"]: needs["team"],
            words["breakdown"]: needs["dimension"].map(lambda d: words[d]),
            words["item"]: needs["item"].where(needs["dimension"] != "all", words["all"]),
            words["kpi"]: needs["kpi"].map(lambda k: words[k]),
            words["n"]: needs["n"],
            words["evidence"]: evidence,
            words["agents_flagged"]: needs["agents_flagged"],
            words["rule"]: needs["rule"].map(lambda r: words[r]),
        }
    ).reset_index(drop=True)
    return ActionTable(
        key="coaching_team_needs",
        title=words["needs_title"],
        frame=frame,
        formats={words["n"]: "count", words["agents_flagged"]: "count"},
    )


def _agents_table(plan: CoachingPlan, words: dict) -> ActionTable:
    """One row per agent compared, by team and name, with their comparisons, flags and
    topics: no ranking, and no comparison-level detail (that is in the CSV)."""
    agents = plan.agents
    min_n = plan.settings["min_n"]
    status = [
        words["coach_one" if topics == 1 else "coach"].format(count=int(topics))
        if flags
        else (words["no_gap"] if n >= min_n else words["too_few"])
        for flags, topics, n in zip(agents["flags"], agents["topics"], agents["n"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            words["agent"]: agents["name"],
            words["team"]: agents["team"],
            words["comparisons"]: agents["comparisons"],
            words["flags"]: agents["flags"],
            words["topics"]: agents["topics"],
            words["status"]: status,
        }
    )
    return ActionTable(
        key="coaching_agents",
        title=words["agents_title"],
        frame=frame,
        formats={words[c]: "count" for c in ("comparisons", "flags", "topics")},
        note=words["agents_note"].format(min_n=min_n),
    )


def _figures(topics: pd.DataFrame, words: dict) -> list:
    """Per unit, each training topic's gap with its interval, and a line at 0."""
    import plotly.graph_objects as go

    figures = []
    for kind in ("rate", "time"):
        mine = topics[topics["kind"] == kind]
        if mine.empty:
            continue
        scale = 100 if kind == "rate" else 100 / mine["team_value"]
        gap, low, high = (mine[c] * scale for c in ("gap", "gap_low", "gap_high"))
        labels = [
            f"{row.name} · {_where(row.dimension, row.item, words)} · {words[row.kpi]}"
            for row in mine.itertuples()
        ]
        figure = go.Figure(
            go.Scatter(
                x=gap,
                y=labels,
                mode="markers",
                error_x={"type": "data", "array": high - gap, "arrayminus": gap - low},
            )
        )
        figure.add_vline(x=0, line_dash="dash")
        figure.update_layout(
            title=words["figure_rates" if kind == "rate" else "figure_times"],
            xaxis_title=words["axis_rates" if kind == "rate" else "axis_times"],
            yaxis={"autorange": "reversed"},
            height=max(300, 40 * len(mine) + 120),
        )
        figures.append(figure)
    return figures


def _method(plan: CoachingPlan, words: dict) -> str:
    config = plan.settings
    return words["method"].format(
        first=plan.window[0].isoformat(),
        last=plan.window[1].isoformat(),
        lookback=config["lookback_days"],
        min_n=config["min_n"],
        rate_gap=f"{config['rate_gap'] * 100:g}",
        time_gap=f"{config['time_gap']:.0%}",
        confidence=f"{config['confidence']:.0%}",
        correction=words["bonferroni" if config["correction"] == "bonferroni" else "uncorrected"],
        strength=f"{config['prior_strength']:g}",
    )
