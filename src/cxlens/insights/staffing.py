"""Staffing for the SLA as a reader sees it: which intervals of the week are short of agents.

``staffing_view`` turns ``actions.staffing.weekly_staffing`` into an ``ActionView`` in
Chinese or English: sentences naming the intervals most under- and over-staffed against
the agents the events show on shift (consecutive intervals with the same need read as
one stretch, "Mondays 10:00–12:00"), and each channel's busiest interval; a table of
those stretches, the weekday × interval table, and a heatmap of agents needed per
channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlens.actions.staffing import WeeklyStaffing, weekly_staffing
from cxlens.insights.actions import ActionTable, ActionView, Scope, action_title
from cxlens.insights.labels import channel_name, weekday_names

if TYPE_CHECKING:
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

SHORT_TOLD = 3  # under-staffed stretches given a sentence
OVER_TOLD = 2  # over-staffed stretches given a sentence
FONT = "-apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "days": "Mondays,Tuesdays,Wednesdays,Thursdays,Fridays,Saturdays,Sundays",
        "short": (
            "{days} {start}–{end} need {agents} {channel} agent{s} for {target} answered in "
            "{within} s; the last {weeks} weeks averaged {observed} on shift — {gap} short."
        ),
        "over": (
            "{days} {start}–{end} averaged {observed} {channel} agents on shift; {agents} would "
            "meet {target} in {within} s — {gap} could move to the short intervals."
        ),
        "balanced": (
            "No {channel} interval is a whole agent away from the {agents_hours} agent-hours a "
            "week it needs; keep the rota."
        ),
        "peak": (
            "{channel}: the busiest interval, {days} {start}–{end}, averages {calls} contacts "
            "and needs {agents} agent{s} (occupancy {occupancy}); the week needs "
            "{agents_hours} agent-hours on the queue."
        ),
        "rostered": " Rostered after {shrinkage} shrinkage: {rostered} at the peak.",
        "gaps_title": "Where staffing is furthest from the need",
        "gaps_note": "Short: agents needed minus the agents seen replying on average; "
        "negative: more on shift than the target needs.",
        "plan_title": "Agents needed per {minutes}-minute interval of the week",
        "plan_note": "Intervals with contacts, the busiest first; the whole week in order: "
        "cxlens staffing --format csv.",
        "channel": "Channel",
        "weekday": "Weekday",
        "interval": "Interval",
        "calls": "Contacts per interval",
        "agents": "Agents needed",
        "rostered_col": "Agents rostered",
        "service_level": "Service level",
        "occupancy": "Occupancy",
        "asa": "ASA (s)",
        "observed": "Agents on shift (seen)",
        "gap": "Short (+) / over (−)",
        "figure_title": "{channel} agents needed per {minutes}-minute interval",
        "figure_x": "Interval start (local time)",
        "figure_y": "Weekday",
        "colorbar": "Agents",
        "method": (
            "Erlang C per {minutes}-minute interval of the week: contacts (tickets created, "
            "merged ones left out) averaged over the {weeks} full weeks {first} to {last}, "
            "the weeks ending at the window's last day, a longer history than the window; "
            "handle time from [staffing] aht_seconds ({aht}), as the warehouse holds none; "
            "target {target} answered within {within} s{cap}{shrinkage}."
        ),
        "method_observed": (
            " On shift: distinct agents with a public reply on the channel's tickets in the "
            "interval, averaged over the same weeks; an agent on shift who sent no reply is "
            "not seen, and replies to older tickets count too."
        ),
        "method_unobserved": " The events show no agent replies, so nothing is compared.",
        "method_left_out": " Left out: {channels} (no tickets, or filtered out).",
        "method_email": (
            " Email is no Erlang queue (it is answered later, not while the customer "
            "waits); list it in [staffing] channels to staff it anyway."
        ),
        "method_ignored": " The {dimensions} filter does not apply to arrivals and is ignored.",
        "cap": ", occupancy at most {max_occupancy}",
        "shrinkage": "; rostered agents allow {shrinkage} shrinkage",
        "seconds": "s",
        "sep": ", ",
    },
    "zh": {
        "days": "每周一,每周二,每周三,每周四,每周五,每周六,每周日",
        "short": (
            "{days} {start}–{end} 需要 {agents} 名{channel}坐席，才能做到 {within} 秒内接起 "
            "{target}；过去 {weeks} 周平均在岗 {observed} 名，缺 {gap} 名。"
        ),
        "over": (
            "{days} {start}–{end} 平均有 {observed} 名{channel}坐席在岗，而 {agents} 名即可做到 "
            "{within} 秒内接起 {target}，可调出 {gap} 名支援缺人的时段。"
        ),
        "balanced": (
            "{channel}各时段的在岗人数与需求相差都不到 1 人（每周共需 {agents_hours} "
            "坐席小时），维持现有排班即可。"
        ),
        "peak": (
            "{channel}：最忙的时段是{days} {start}–{end}，平均来量 {calls} 个，需要 {agents} "
            "名坐席（占用率 {occupancy}）；每周共需 {agents_hours} 坐席小时。"
        ),
        "rostered": "计入 {shrinkage} 的人力损耗后，高峰需排班 {rostered} 人。",
        "gaps_title": "人手与需求差距最大的时段",
        "gaps_note": "缺口 = 所需坐席 − 平均在岗坐席；负数表示在岗人数多于目标所需。",
        "plan_title": "每周各时段所需坐席（每 {minutes} 分钟）",
        "plan_note": "只列有来量的时段，最忙的在前；按时间排列的全周明细：cxlens staffing --format csv。",
        "channel": "渠道",
        "weekday": "星期",
        "interval": "时段",
        "calls": "每时段来量",
        "agents": "所需坐席",
        "rostered_col": "排班人数",
        "service_level": "服务水平",
        "occupancy": "占用率",
        "asa": "平均应答时间（秒）",
        "observed": "平均在岗坐席",
        "gap": "缺口（+缺 / −富余）",
        "figure_title": "{channel}各时段所需坐席（每 {minutes} 分钟）",
        "figure_x": "时段开始（当地时间）",
        "figure_y": "星期",
        "colorbar": "坐席数",
        "method": (
            "按每周各 {minutes} 分钟时段用 Erlang C 计算：来量为 {first} 至 {last} 这 {weeks} "
            "个完整周内新建工单（不含被合并的工单）的平均数，这些周截止于所选时间范围的最后一天，"
            "比所选范围更长；处理时长取自 [staffing] aht_seconds（{aht}），因为数据仓库中没有"
            "处理时长；目标为 {within} 秒内接起 {target}{cap}{shrinkage}。"
        ),
        "method_observed": (
            "在岗人数 = 该时段内在该渠道工单上有公开回复的不同坐席数，按同样的周数平均；在岗但"
            "没有回复的坐席看不到，回复旧工单的坐席也算在内。"
        ),
        "method_unobserved": "工单事件中没有坐席回复记录，因此不做对比。",
        "method_left_out": "未计入：{channels}（没有工单，或被筛选排除）。",
        "method_email": (
            "邮件不是 Erlang 排队（客户不在线等待，而是稍后回复），如需为邮件排班，请在 "
            "[staffing] channels 中列出。"
        ),
        "method_ignored": "筛选条件 {dimensions} 与来量无关，已忽略。",
        "cap": "，占用率不超过 {max_occupancy}",
        "shrinkage": "；排班人数计入 {shrinkage} 的人力损耗",
        "seconds": "秒",
        "sep": "、",
    },
}


def staffing_view(warehouse: Warehouse, settings: Settings, lang: str, scope: Scope) -> ActionView:
    """The week's staffing plan learned from the weeks ending at the scope's last day, for
    the scope's channels (and category, priority and team filters)."""
    plan = weekly_staffing(warehouse, settings, scope)
    ignored = sorted(d for d, v in scope.filters.items() if v and d in ("agent", "segment"))
    return build_view(plan, lang, ignored)


def build_view(plan: WeeklyStaffing, lang: str, ignored: list[str] | None = None) -> ActionView:
    """The view of a plan already computed (the CLI computes it once for view and CSV)."""
    lang = "zh" if lang == "zh" else "en"
    stretches = gap_stretches(plan)

    lines = [*_gap_lines(plan, stretches, lang), *_peak_lines(plan, lang)]
    tables = [_plan_table(plan, lang)]
    if plan.has_observed:
        tables.insert(0, _gaps_table(stretches, plan, lang))
    return ActionView(
        key="staffing",
        title=action_title("staffing", lang),
        lang=lang,
        lines=lines,
        tables=tables,
        figures=[_heatmap(plan, channel, lang) for channel in plan.channels],
        method=_method(plan, lang, ignored or []),
    )


def plan_frame(plan: WeeklyStaffing, lang: str, every_interval: bool = False) -> pd.DataFrame:
    """The weekday × interval table with headers in ``lang``: with ``every_interval``, every
    interval of the week in order; else the intervals with contacts, busiest first."""
    words = WORDS["zh" if lang == "zh" else "en"]
    table = plan.table
    if not every_interval:
        table = table[table["calls"] > 0].sort_values(
            ["agents", "calls"], ascending=False, kind="stable"
        )
    minutes = plan.section["interval_minutes"]
    frame = pd.DataFrame(
        {
            words["channel"]: [channel_name(c, lang) for c in table["channel"]],
            words["weekday"]: [weekday_names(lang)[d - 1] for d in table["weekday"]],
            words["interval"]: [_span(s, s + minutes) for s in table["start"]],
            words["calls"]: table["calls"].to_numpy(),
            words["agents"]: table["agents"].to_numpy(),
            words["rostered_col"]: table["agents_rostered"].to_numpy(),
            words["service_level"]: table["service_level"].to_numpy(),
            words["occupancy"]: table["occupancy"].to_numpy(),
            words["asa"]: table["asa_seconds"].to_numpy(),
            words["observed"]: table["observed_agents"].to_numpy(),
            words["gap"]: table["gap"].to_numpy(),
        }
    )
    dropped = [] if plan.section["shrinkage"] > 0 else [words["rostered_col"]]
    if not plan.has_observed:
        dropped += [words["observed"], words["gap"]]
    return frame.drop(columns=dropped)


def gap_stretches(plan: WeeklyStaffing) -> pd.DataFrame:
    """Consecutive intervals with contacts, of one channel's weekday, with the same need and
    the same agents on shift (to the nearest whole agent), as one stretch: channel,
    weekday, start, end, agents, observed (mean over the stretch), gap (agents −
    observed; positive is short), calls (mean per interval); largest gap first."""
    columns = ["channel", "weekday", "start", "end", "agents", "observed", "gap", "calls"]
    if not plan.has_observed:
        return pd.DataFrame(columns=columns)
    table = plan.table[plan.table["calls"] > 0]
    table = table.assign(nearest=np.floor(table["observed_agents"] + 0.5))
    minutes = plan.section["interval_minutes"]
    key = ["channel", "weekday", "agents", "nearest"]
    breaks = (table[key] != table[key].shift()).any(axis=1) | (
        table["start"] != table["start"].shift() + minutes
    )
    stretches = table.groupby(breaks.cumsum()).agg(
        channel=("channel", "first"),
        weekday=("weekday", "first"),
        start=("start", "first"),
        end=("start", "last"),
        agents=("agents", "first"),
        observed=("observed_agents", "mean"),
        calls=("calls", "mean"),
    )
    stretches["end"] += minutes
    stretches["gap"] = stretches["agents"] - stretches["observed"]
    stretches["length"] = stretches["end"] - stretches["start"]
    ordered = stretches.sort_values(
        ["gap", "length", "weekday", "start"], ascending=[False, False, True, True], kind="stable"
    )
    return ordered[columns].reset_index(drop=True)


def _gap_lines(plan: WeeklyStaffing, stretches: pd.DataFrame, lang: str) -> list[str]:
    """The most under-staffed stretches, then the most over-staffed; a channel with neither
    gets a sentence that its rota holds."""
    if not plan.has_observed:
        return []
    words = WORDS[lang]
    short = stretches[stretches["gap"] >= 1].head(SHORT_TOLD)
    over = stretches[stretches["gap"] <= -1].sort_values("gap", kind="stable").head(OVER_TOLD)
    lines = [_stretch_line(words["short"], row, plan, lang) for row in short.itertuples()]
    lines += [_stretch_line(words["over"], row, plan, lang) for row in over.itertuples()]
    for channel in plan.channels:
        gaps = stretches.loc[stretches["channel"] == channel, "gap"]
        if not (gaps.abs() >= 1).any():
            lines.append(
                words["balanced"].format(
                    channel=_channel(channel, lang), agents_hours=_agent_hours(plan, channel)
                )
            )
    return lines


def _stretch_line(template: str, row: Any, plan: WeeklyStaffing, lang: str) -> str:
    return template.format(
        days=WORDS[lang]["days"].split(",")[row.weekday - 1],
        start=_clock(row.start),
        end=_clock(row.end),
        agents=row.agents,
        s="" if row.agents == 1 else "s",
        channel=_channel(row.channel, lang),
        target=_percent(plan.section["target"], lang),
        within=f"{plan.section['within_seconds']:g}",
        weeks=plan.weeks,
        observed=_agents(row.observed),
        gap=_agents(abs(row.gap)),
    )


def _peak_lines(plan: WeeklyStaffing, lang: str) -> list[str]:
    """Each channel's busiest interval (most agents needed, then most contacts)."""
    words = WORDS[lang]
    lines = []
    for channel in plan.channels:
        rows = plan.table[plan.table["channel"] == channel]
        peak = rows.sort_values(["agents", "calls"], ascending=False, kind="stable").iloc[0]
        if peak["calls"] == 0:
            continue
        line = words["peak"].format(
            channel=_channel(channel, lang, sentence_start=True),
            days=words["days"].split(",")[int(peak["weekday"]) - 1],
            start=_clock(int(peak["start"])),
            end=_clock(int(peak["start"]) + plan.section["interval_minutes"]),
            calls=f"{peak['calls']:.1f}",
            agents=int(peak["agents"]),
            s="" if peak["agents"] == 1 else "s",
            occupancy=_percent(peak["occupancy"], lang),
            agents_hours=_agent_hours(plan, channel),
        )
        if plan.section["shrinkage"] > 0:
            line += words["rostered"].format(
                shrinkage=_percent(plan.section["shrinkage"], lang),
                rostered=int(peak["agents_rostered"]),
            )
        lines.append(line)
    return lines


def _gaps_table(stretches: pd.DataFrame, plan: WeeklyStaffing, lang: str) -> ActionTable:
    words = WORDS[lang]
    shown = stretches[stretches["gap"].abs() >= 1]
    frame = pd.DataFrame(
        {
            words["channel"]: [channel_name(c, lang) for c in shown["channel"]],
            words["weekday"]: [weekday_names(lang)[d - 1] for d in shown["weekday"]],
            words["interval"]: [
                _span(s, e) for s, e in zip(shown["start"], shown["end"], strict=True)
            ],
            words["calls"]: shown["calls"].to_numpy(),
            words["agents"]: shown["agents"].to_numpy(),
            words["observed"]: shown["observed"].to_numpy(),
            words["gap"]: shown["gap"].to_numpy(),
        }
    )
    return ActionTable(
        key="staffing_gaps",
        title=words["gaps_title"],
        frame=frame,
        formats={
            words["calls"]: "number",
            words["agents"]: "count",
            words["observed"]: "number",
            words["gap"]: "number",
        },
        note=words["gaps_note"],
    )


def _plan_table(plan: WeeklyStaffing, lang: str) -> ActionTable:
    words = WORDS[lang]
    formats = {
        words["calls"]: "number",
        words["agents"]: "count",
        words["rostered_col"]: "count",
        words["service_level"]: "percent",
        words["occupancy"]: "percent",
        words["asa"]: "number",
        words["observed"]: "number",
        words["gap"]: "number",
    }
    frame = plan_frame(plan, lang)
    return ActionTable(
        key="staffing_plan",
        title=words["plan_title"].format(minutes=plan.section["interval_minutes"]),
        frame=frame,
        formats={column: kind for column, kind in formats.items() if column in frame.columns},
        note=words["plan_note"],
    )


def _heatmap(plan: WeeklyStaffing, channel: str, lang: str) -> Any:
    """Agents needed, weekdays as rows (Monday on top), interval starts as columns, trimmed
    to the hours that see contacts or agents."""
    import plotly.graph_objects as go

    words = WORDS[lang]
    rows = plan.table[plan.table["channel"] == channel]
    grid = rows.pivot(index="weekday", columns="start", values="agents")
    busy = rows.groupby("start")[["calls", "observed_agents"]].sum().sum(axis=1) > 0
    starts = busy[busy].index
    if len(starts):
        grid = grid.loc[:, starts.min() : starts.max()]
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[_clock(int(s)) for s in grid.columns],
            y=weekday_names(lang),
            colorscale="Blues",
            text=grid.to_numpy(),
            texttemplate="%{text}",
            hovertemplate="%{y} %{x} — %{z}<extra></extra>",
            colorbar={"title": {"text": words["colorbar"]}, "tickformat": "d"},
        )
    )
    figure.update_yaxes(autorange="reversed", title=words["figure_y"])
    figure.update_xaxes(title=words["figure_x"], type="category")
    title = words["figure_title"].format(
        channel=_channel(channel, lang, sentence_start=True),
        minutes=plan.section["interval_minutes"],
    )
    figure.update_layout(
        title={"text": title, "x": 0},
        template="plotly_white",
        height=330,
        margin={"l": 55, "r": 20, "t": 45, "b": 40},
        font={"family": FONT, "size": 12},
    )
    return figure


def _method(plan: WeeklyStaffing, lang: str, ignored: list[str]) -> str:
    """How the plan was computed: the weeks, handle times, target and what was left out."""
    section = plan.section
    words = WORDS[lang]
    aht = words["sep"].join(
        f"{channel_name(c, lang)} {section['aht_seconds'][c]:g} {words['seconds']}"
        for c in plan.channels
    )
    text = words["method"].format(
        minutes=section["interval_minutes"],
        weeks=plan.weeks,
        first=plan.first.isoformat(),
        last=plan.last.isoformat(),
        aht=aht,
        target=_percent(section["target"], lang),
        within=f"{section['within_seconds']:g}",
        cap=words["cap"].format(max_occupancy=_percent(section["max_occupancy"], lang))
        if section["max_occupancy"] < 1
        else "",
        shrinkage=words["shrinkage"].format(shrinkage=_percent(section["shrinkage"], lang))
        if section["shrinkage"] > 0
        else "",
    )
    text += words["method_observed" if plan.has_observed else "method_unobserved"]
    if plan.left_out:
        text += words["method_left_out"].format(
            channels=words["sep"].join(channel_name(c, lang) for c in plan.left_out)
        )
    if "email" not in section["channels"]:
        text += words["method_email"]
    if ignored:
        text += words["method_ignored"].format(dimensions=words["sep"].join(ignored))
    return text


def _agent_hours(plan: WeeklyStaffing, channel: str) -> str:
    agents = plan.table.loc[plan.table["channel"] == channel, "agents"].sum()
    return f"{agents * plan.section['interval_minutes'] / 60:,.0f}"


def _channel(code: str, lang: str, sentence_start: bool = False) -> str:
    """A channel's name inside an English sentence in lower case ("chat agents"), names
    with capitals inside kept ("WeChat")."""
    name = channel_name(code, lang)
    if lang == "zh" or sentence_start or not name[1:].islower():
        return name
    return name[:1].lower() + name[1:]


def _percent(value: float, lang: str) -> str:
    number = f"{value * 100:.0f}" if np.isclose(value * 100, round(value * 100)) else f"{value:.1%}"
    number = number.rstrip("%")
    return f"{number}%" if lang == "zh" else f"{number} %"


def _agents(value: float) -> str:
    """An average count of agents: one decimal, none when whole ("6", "0.5")."""
    return f"{value:.1f}".removesuffix(".0")


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _span(start: int, end: int) -> str:
    return f"{_clock(start)}–{_clock(end)}"
