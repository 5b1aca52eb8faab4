"""Staffing for the SLA as a reader sees it: which stretches of the week are short of agents.

``staffing_view`` turns ``actions.staffing.weekly_staffing`` into an ``ActionView`` in
Chinese or English. Adjacent open intervals of one channel's weekday that are short (or
over) by at least half an agent read as one stretch ("Mondays 19:00–21:00: 1.4 chat
agents short on average"), the largest shortfall in agent-hours a week first; then the
stretches with agents to spare, the contacts that wait for opening, each channel's
agent-hours needed against those seen on shift, and its busiest interval. Tables: the
stretches, the waits for opening, the weekday × interval plan; a heatmap of agents
needed per channel (closed intervals left blank).
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
# An interval is short (over) when the agents needed exceed (fall below) the agents seen
# by at least half an agent: the gap rounds to a whole agent; smaller gaps are even.
HALF_AGENT = 0.5
FONT = "-apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "days": "Mondays,Tuesdays,Wednesdays,Thursdays,Fridays,Saturdays,Sundays",
        "short": (
            "{days} {start}–{end}: {gap} {channel} agent{gs} short on average — {agents} needed "
            "for {target} answered in {within} s, {observed} seen on shift over the last "
            "{weeks} week{ws} ({hours} agent-hour{hs} a week)."
        ),
        "over": (
            "{days} {start}–{end}: {gap} {channel} agent{gs} over on average — {observed} seen on "
            "shift, {agents} would meet {target} in {within} s; {hours} agent-hour{hs} a week "
            "could move to the short stretches."
        ),
        "balanced": (
            "No stretch of {channel} is half an agent or more from its need; keep the rota."
        ),
        "total": "The week needs {needed} agent-hour{ns} on {channel}{where}.",
        "total_seen": (
            "The week needs {needed} agent-hour{ns} on {channel}; {seen} seen on shift{where} "
            "(agents replying to its tickets: one on shift who sent no reply is not seen)."
        ),
        "in_open_hours": " in open hours",
        "waiting": (
            "{channel}: contacts that arrive while the desk is closed wait for opening, "
            "{waiting} a week; the most, {most}, for {days} {start}–{end}, which then needs "
            "{agents} agent{s} ({alone} for its own arrivals)."
        ),
        "peak": (
            "{channel}: the busiest interval, {days} {start}–{end}, averages {calls} contacts "
            "and needs {agents} agent{s} (occupancy {occupancy})."
        ),
        "rostered": " Rostered after {shrinkage} shrinkage: {rostered} at the peak.",
        "gaps_title": "Stretches of the week short of or over the need",
        "gaps_note": "Short: agents needed minus the agents seen replying, on average per "
        "interval (half an agent or more); negative: more on shift than the target needs. "
        "Agent-hours: the gap over the stretch, per week.",
        "waiting_title": "Contacts waiting for opening",
        "waiting_note": "Contacts a week that arrive while the desk is closed, added to the "
        "first open interval's arrivals; agents needed with them and for that interval's own "
        "arrivals alone.",
        "plan_title": "Agents needed per {minutes}-minute interval of the week",
        "plan_note": "Open intervals, the busiest first (one with no contacts keeps "
        "[staffing] min_agents); the whole week in order: cxlens staffing --format csv.",
        "covering": "tickets created in the {weeks} full week{ws} {first} to {last}{hours}",
        "covering_open": ", in open hours",
        "channel": "Channel",
        "weekday": "Weekday",
        "interval": "Interval",
        "opening": "Opening interval",
        "open": "Open",
        "arrivals": "Contacts arriving",
        "waiting_col": "Waiting for opening",
        "calls": "Contacts per interval",
        "agents": "Agents needed",
        "agents_alone": "Agents for own arrivals",
        "rostered_col": "Agents rostered",
        "service_level": "Service level",
        "occupancy": "Occupancy",
        "asa": "ASA (s)",
        "observed": "Agents on shift (seen)",
        "gap": "Short (+) / over (−)",
        "agent_hours": "Agent-hours a week",
        "figure_title": "{channel} agents needed per {minutes}-minute interval",
        "figure_x": "Interval start (local time)",
        "figure_y": "Weekday",
        "colorbar": "Agents",
        "method": (
            "Erlang C per {minutes}-minute interval of the week: contacts (tickets created, "
            "merged ones left out) averaged over the {weeks} full week{ws} {first} to {last}, "
            "{weeks_from}; handle time from [staffing] aht_seconds ({aht}), as the warehouse holds none; "
            "target {target} answered within {within} s{cap}{shrinkage}."
        ),
        "weeks_since": "the full weeks that fit from {since} to {last}",
        "weeks_recent": "the last {asked} ([staffing] weeks) ending at {last}",
        "weeks_fewer": ", all the data hold",
        "weeks_longer": ", a longer history than the window from {window_first}",
        "silent": (
            "{channels}: no contacts from {first} to {last}, the weeks learned, so not planned."
        ),
        "sparse": (
            "Warning: only {active} of the {days} days from {first} to {last} hold any "
            "contact, so the averages per weekday are diluted by days without data (an export "
            "that covers part of the weeks?); choose a window that the data cover."
        ),
        "method_open": (
            " Only the open intervals of [business_hours] are planned (one partly open counts "
            "as open); a contact arriving while the desk is closed waits for opening and is "
            "added to the first open interval's arrivals, so the opening intervals carry the "
            "night's work."
        ),
        "method_holidays": " Holidays ({days}) are left out of the days averaged.",
        "method_min_agents": (
            " While the desk is open a live queue keeps at least {min_agents} agent{s} on it "
            "([staffing] min_agents), also in an interval with no contacts."
        ),
        "method_always": (
            ' Every interval of every day is planned ([staffing] open_hours = "always"); '
            "holidays are averaged in."
        ),
        "method_no_hours": (
            " [business_hours] sets no opening hours, so every interval of every day is planned."
        ),
        "method_observed": (
            " On shift: distinct agents with a public reply on the channel's tickets in the "
            "interval, averaged over the same days; an agent on shift who sent no reply is "
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
        "one_agents": "Agents needed",
        "one_service_level": "Service level",
        "one_occupancy": "Occupancy",
        "one_asa_seconds": "Average speed of answer",
        "one_agents_for_target": "Agents for the target alone",
        "one_agents_rostered": "Agents rostered after shrinkage",
        "one_line": "{label}: {value}",
        "one_seconds": "{seconds} s",
    },
    "zh": {
        "days": "每周一,每周二,每周三,每周四,每周五,每周六,每周日",
        "short": (
            "{days} {start}–{end}：{channel}坐席平均缺 {gap} 名——要做到 {within} 秒内接起 "
            "{target} 需要 {agents} 名，过去 {weeks} 周平均在岗 {observed} 名（每周共缺 {hours} "
            "坐席小时）。"
        ),
        "over": (
            "{days} {start}–{end}：{channel}坐席平均富余 {gap} 名——平均在岗 {observed} 名，"
            "而 {agents} 名即可做到 {within} 秒内接起 {target}；每周可调出 {hours} 坐席小时支援"
            "缺人的时段。"
        ),
        "balanced": "{channel}没有哪个时段的在岗人数与需求相差半人以上，维持现有排班即可。",
        "total": "{channel}每周{where}共需 {needed} 坐席小时。",
        "total_seen": (
            "{channel}每周{where}共需 {needed} 坐席小时，实际看到在岗 {seen} 坐席小时（按回复"
            "该渠道工单的坐席计：在岗但没有回复的坐席看不到）。"
        ),
        "in_open_hours": "营业时间内",
        "waiting": (
            "{channel}：每周约 {waiting} 个来量在非营业时间到达，等到开门后处理；积压最多的是"
            "{days} {start}–{end}（{most} 个），该时段因此需要 {agents} 名坐席（仅算本时段来量"
            "需要 {alone} 名）。"
        ),
        "peak": (
            "{channel}：最忙的时段是{days} {start}–{end}，平均来量 {calls} 个，需要 {agents} "
            "名坐席（占用率 {occupancy}）。"
        ),
        "rostered": "计入 {shrinkage} 的人力损耗后，高峰需排班 {rostered} 人。",
        "gaps_title": "人手不足或富余的时段",
        "gaps_note": "缺口 = 所需坐席 − 看到有回复的在岗坐席，按时段平均（相差半人及以上才列出）；"
        "负数表示在岗人数多于目标所需。坐席小时为该时段每周的缺口合计。",
        "waiting_title": "非营业时间到达、等待开门的来量",
        "waiting_note": "每周在非营业时间到达的来量，计入开门后第一个时段的来量；并列出含积压与"
        "仅算本时段来量时所需的坐席。",
        "plan_title": "每周各时段所需坐席（每 {minutes} 分钟）",
        "plan_note": "只列营业时段，最忙的在前（没有来量的营业时段按 [staffing] min_agents "
        "排班）；按时间排列的全周明细：cxlens staffing --format csv。",
        "covering": "{first} 至 {last} 这 {weeks} 个完整周内新建的工单{hours}",
        "covering_open": "，营业时间内",
        "channel": "渠道",
        "weekday": "星期",
        "interval": "时段",
        "opening": "开门时段",
        "open": "营业",
        "arrivals": "本时段到达",
        "waiting_col": "等待开门",
        "calls": "每时段来量",
        "agents": "所需坐席",
        "agents_alone": "仅本时段来量所需坐席",
        "rostered_col": "排班人数",
        "service_level": "服务水平",
        "occupancy": "占用率",
        "asa": "平均应答时间（秒）",
        "observed": "平均在岗坐席",
        "gap": "缺口（+缺 / −富余）",
        "agent_hours": "每周坐席小时",
        "figure_title": "{channel}各时段所需坐席（每 {minutes} 分钟）",
        "figure_x": "时段开始（当地时间）",
        "figure_y": "星期",
        "colorbar": "坐席数",
        "method": (
            "按每周各 {minutes} 分钟时段用 Erlang C 计算：来量为 {first} 至 {last} 这 {weeks} "
            "个完整周内新建工单（不含被合并的工单）的平均数，{weeks_from}；处理时长取自 [staffing] aht_seconds（{aht}），因为数据仓库中没有"
            "处理时长；目标为 {within} 秒内接起 {target}{cap}{shrinkage}。"
        ),
        "weeks_since": "即 {since} 至 {last} 之间容纳的全部完整周",
        "weeks_recent": "即截止于 {last} 的最近 {asked} 周（[staffing] weeks）",
        "weeks_fewer": "（数据只有这么多）",
        "weeks_longer": "，比所选时间范围（自 {window_first} 起）更长",
        "silent": "{channels}在 {first} 至 {last} 这几周没有来量，不排班。",
        "sparse": (
            "注意：{first} 至 {last} 的 {days} 天中只有 {active} 天有来量，按星期的平均数被没有"
            "数据的日子摊薄（导出的数据可能只覆盖了其中一部分）；请选择数据完整覆盖的时间范围。"
        ),
        "method_open": (
            "只为 [business_hours] 的营业时段排班（部分时间营业的时段也算营业）；非营业时间到达的"
            "来量要等到开门，计入开门后第一个时段的来量，因此开门时段承担了夜间积压。"
        ),
        "method_holidays": "节假日（{days}）不计入平均。",
        "method_min_agents": (
            "营业期间每个在线渠道至少安排 {min_agents} 名坐席（[staffing] min_agents），"
            "没有来量的时段也一样。"
        ),
        "method_always": (
            '全天每个时段都排班（[staffing] open_hours = "always"），节假日也计入平均。'
        ),
        "method_no_hours": "[business_hours] 未设营业时间，因此全天每个时段都排班。",
        "method_observed": (
            "在岗人数 = 该时段内在该渠道工单上有公开回复的不同坐席数，按同样的天数平均；在岗但"
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
        "one_agents": "所需坐席",
        "one_service_level": "服务水平",
        "one_occupancy": "占用率",
        "one_asa_seconds": "平均应答时间",
        "one_agents_for_target": "仅按服务水平目标所需坐席",
        "one_agents_rostered": "计入人力损耗后的排班人数",
        "one_line": "{label}：{value}",
        "one_seconds": "{seconds} 秒",
    },
}


def staffing_view(warehouse: Warehouse, settings: Settings, lang: str, scope: Scope) -> ActionView:
    """The week's staffing plan learned from the weeks ending at the scope's last day, for
    the scope's channels (and category, priority and team filters)."""
    plan = weekly_staffing(warehouse, settings, scope)  # the window's first day sets the weeks
    ignored = sorted(d for d, v in scope.filters.items() if v and d in ("agent", "segment"))
    return build_view(plan, lang, ignored)


def build_view(plan: WeeklyStaffing, lang: str, ignored: list[str] | None = None) -> ActionView:
    """The view of a plan already computed (the CLI computes it once for view and CSV)."""
    lang = "zh" if lang == "zh" else "en"
    stretches = gap_stretches(plan)
    waits = opening_waits(plan)

    lines = [
        *_data_lines(plan, lang),
        *_gap_lines(plan, stretches, lang),
        *_waiting_lines(plan, waits, lang),
        *_total_lines(plan, lang),
        *_peak_lines(plan, lang),
    ]
    tables = [_plan_table(plan, lang)]
    if len(waits):
        tables.insert(0, _waiting_table(waits, plan, lang))
    if plan.has_observed and (stretches["kind"] != "even").any():
        tables.insert(0, _gaps_table(stretches, lang))  # else each channel's line says so
    return ActionView(
        key="staffing",
        title=action_title("staffing", lang),
        lang=lang,
        lines=lines,
        tables=tables,
        figures=[_heatmap(plan, channel, lang) for channel in plan.channels],
        method=_method(plan, lang, ignored or []),
        covering=covering(plan, lang),
    )


def covering(plan: WeeklyStaffing, lang: str) -> str:
    """The records the plan learned from, in one phrase: the full weeks of tickets and,
    where the desk has opening hours, that only those were planned."""
    words = WORDS["zh" if lang == "zh" else "en"]
    return words["covering"].format(
        weeks=plan.weeks,
        ws=_s(str(plan.weeks)),
        first=plan.first.isoformat(),
        last=plan.last.isoformat(),
        hours=words["covering_open"] if plan.open_hours else "",
    )


def interval_lines(result: dict[str, Any], lang: str) -> list[str]:
    """One interval's answers (``Staffing.to_json()``) as labelled lines in ``lang``: counts
    whole, shares as percentages, the ASA in seconds, one decimal each."""
    words = WORDS["zh" if lang == "zh" else "en"]
    shown = {
        "agents": str,
        "service_level": lambda v: _percent1(v, lang),
        "occupancy": lambda v: _percent1(v, lang),
        "asa_seconds": lambda v: words["one_seconds"].format(seconds=f"{v:.1f}"),
        "agents_for_target": str,
        "agents_rostered": str,
    }
    return [
        words["one_line"].format(label=words[f"one_{key}"], value=shown[key](value))
        for key, value in result.items()
    ]


def _percent1(value: float, lang: str) -> str:
    """A share with one decimal: "88.8 %" in English, "88.8%" in Chinese."""
    return f"{value * 100:.1f}" + ("%" if lang == "zh" else " %")


def plan_frame(plan: WeeklyStaffing, lang: str, every_interval: bool = False) -> pd.DataFrame:
    """The weekday × interval table with headers in ``lang``: with ``every_interval``, every
    interval of the week in order (closed ones too, marked); else the open intervals with
    contacts, busiest first."""
    words = WORDS["zh" if lang == "zh" else "en"]
    table = plan.table
    if not every_interval:
        table = table[table["open"]].sort_values(
            ["agents", "calls"], ascending=False, kind="stable"
        )
    minutes = plan.section["interval_minutes"]
    frame = pd.DataFrame(
        {
            **_when(table, table["start"] + minutes, words["interval"], lang),
            words["open"]: table["open"].to_numpy(),
            words["arrivals"]: table["arrivals"].to_numpy(),
            words["waiting_col"]: table["waiting"].to_numpy(),
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
    if not plan.open_hours:
        dropped += [words["open"], words["arrivals"], words["waiting_col"]]
    elif not every_interval:
        dropped += [words["open"]]
    if not plan.has_observed:
        dropped += [words["observed"], words["gap"]]
    return frame.drop(columns=dropped)


def gap_stretches(plan: WeeklyStaffing) -> pd.DataFrame:
    """Adjacent open intervals of one channel's weekday whose gap has the same sign, as one
    stretch.

    An interval is ``short`` when the agents needed exceed the agents seen by half an
    agent or more, ``over`` when they fall short of them by as much, else ``even``.
    Columns: channel, weekday, start, end (minutes after midnight), kind, agents_low and
    agents_high (the least and most needed), agents, observed and gap (means per
    interval; gap positive is short), calls (mean per interval) and agent_hours (the gap
    summed over the stretch, in hours a week). Short stretches first, the largest
    shortfall in agent-hours leading; then over, the largest surplus leading; even last.
    """
    columns = ["channel", "weekday", "start", "end", "kind", "agents_low", "agents_high",
               "agents", "observed", "gap", "calls", "agent_hours"]  # fmt: skip
    if not plan.has_observed:
        return pd.DataFrame(columns=columns)
    minutes = plan.section["interval_minutes"]
    table = plan.table[plan.table["open"]]
    gap = table["gap"].to_numpy()
    table = table.assign(
        kind=np.select([gap >= HALF_AGENT, gap <= -HALF_AGENT], ["short", "over"], "even")
    )

    key = ["channel", "weekday", "kind"]
    breaks = (table[key] != table[key].shift()).any(axis=1) | (
        table["start"] != table["start"].shift() + minutes
    )
    stretches = table.groupby(breaks.cumsum()).agg(
        channel=("channel", "first"),
        weekday=("weekday", "first"),
        start=("start", "first"),
        end=("start", "last"),
        kind=("kind", "first"),
        agents_low=("agents", "min"),
        agents_high=("agents", "max"),
        agents=("agents", "mean"),
        observed=("observed_agents", "mean"),
        gap=("gap", "mean"),
        calls=("calls", "mean"),
        agent_hours=("gap", "sum"),
    )
    stretches["end"] += minutes
    stretches["agent_hours"] *= minutes / 60
    order = stretches["kind"].map({"short": 0, "over": 1, "even": 2})
    size = stretches["agent_hours"].abs()
    ordered = stretches.assign(order=order, size=size).sort_values(
        ["order", "size", "weekday", "start"], ascending=[True, False, True, True], kind="stable"
    )
    return ordered[columns].reset_index(drop=True)


def opening_waits(plan: WeeklyStaffing) -> pd.DataFrame:
    """The open intervals that receive contacts which arrived while the desk was closed:
    channel, weekday, start, waiting (contacts a week), arrivals (the interval's own),
    agents (needed with the waiting) and agents_without_waiting, in week order."""
    columns = ["channel", "weekday", "start", "waiting", "arrivals", "agents",
               "agents_without_waiting"]  # fmt: skip
    table = plan.table
    return table.loc[table["open"] & (table["waiting"] > 0), columns].reset_index(drop=True)


def _data_lines(plan: WeeklyStaffing, lang: str) -> list[str]:
    """Warnings about the data first: too few days with contacts to average, and staffed
    channels with no contact that were left out of the plan."""
    words = WORDS[lang]
    dates = {"first": plan.first.isoformat(), "last": plan.last.isoformat()}
    lines = []
    if plan.sparse:
        lines.append(
            words["sparse"].format(active=plan.days_with_contacts, days=plan.days, **dates)
        )
    if plan.silent:
        names = words["sep"].join(channel_name(c, lang) for c in plan.silent)
        lines.append(words["silent"].format(channels=names, **dates))
    return lines


def _weeks_from(plan: WeeklyStaffing, words: dict[str, str]) -> str:
    """Which full weeks were averaged: all those in the window (or from --from), else the
    [staffing] weeks ending at the last day, said to reach before the window only when they
    do."""
    last = plan.last.isoformat()
    if plan.since is not None:
        return words["weeks_since"].format(since=plan.since.isoformat(), last=last)
    text = words["weeks_recent"].format(asked=plan.section["weeks"], last=last)
    if plan.weeks < plan.section["weeks"]:
        text += words["weeks_fewer"]
    if plan.window_first is not None and plan.first < plan.window_first:
        text += words["weeks_longer"].format(window_first=plan.window_first.isoformat())
    return text


def _gap_lines(plan: WeeklyStaffing, stretches: pd.DataFrame, lang: str) -> list[str]:
    """The most under-staffed stretches, then the most over-staffed; a channel with neither
    gets a sentence that its rota holds."""
    if not plan.has_observed:
        return []
    words = WORDS[lang]
    short = stretches[stretches["kind"] == "short"].head(SHORT_TOLD)
    over = stretches[stretches["kind"] == "over"].head(OVER_TOLD)
    lines = [_stretch_line(words["short"], row, plan, lang) for row in short.itertuples()]
    lines += [_stretch_line(words["over"], row, plan, lang) for row in over.itertuples()]
    for channel in plan.channels:
        kinds = stretches.loc[stretches["channel"] == channel, "kind"]
        if not kinds.isin(["short", "over"]).any():
            lines.append(words["balanced"].format(channel=_channel(channel, lang)))
    return lines


def _stretch_line(template: str, row: Any, plan: WeeklyStaffing, lang: str) -> str:
    gap = _agents(abs(row.gap))
    hours = _agents(abs(row.agent_hours))
    needed = (
        f"{row.agents_low}"
        if row.agents_low == row.agents_high
        else f"{row.agents_low}–{row.agents_high}"
    )
    return template.format(
        days=WORDS[lang]["days"].split(",")[row.weekday - 1],
        start=_clock(row.start),
        end=_clock(row.end),
        gap=gap,
        gs=_s(gap),
        agents=needed,
        channel=_channel(row.channel, lang),
        target=_percent(plan.section["target"], lang),
        within=f"{plan.section['within_seconds']:g}",
        weeks=plan.weeks,
        ws=_s(str(plan.weeks)),
        observed=_agents(row.observed),
        hours=hours,
        hs=_s(hours),
    )


def _waiting_lines(plan: WeeklyStaffing, waits: pd.DataFrame, lang: str) -> list[str]:
    """Per channel: the contacts a week that wait for opening, and the opening interval
    that receives the most of them with the agents it then needs."""
    words = WORDS[lang]
    lines = []
    for channel in plan.channels:
        rows = waits[waits["channel"] == channel]
        if rows.empty:
            continue
        most = rows.loc[rows["waiting"].idxmax()]
        start = int(most["start"])
        lines.append(
            words["waiting"].format(
                channel=_channel(channel, lang, sentence_start=True),
                waiting=_amount(rows["waiting"].sum()),
                most=_agents(most["waiting"]),
                days=words["days"].split(",")[int(most["weekday"]) - 1],
                start=_clock(start),
                end=_clock(start + plan.section["interval_minutes"]),
                agents=int(most["agents"]),
                s="" if most["agents"] == 1 else "s",
                alone=int(most["agents_without_waiting"]),
            )
        )
    return lines


def _total_lines(plan: WeeklyStaffing, lang: str) -> list[str]:
    """Per channel: the agent-hours the week needs, beside those seen on shift in the
    planned (open) intervals."""
    words = WORDS[lang]
    hours = plan.section["interval_minutes"] / 60
    planned = plan.table[plan.table["open"]]
    lines = []
    for channel in plan.channels:
        rows = planned[planned["channel"] == channel]
        needed = _amount(rows["agents"].sum() * hours)
        fields = {
            "channel": _channel(channel, lang),
            "needed": needed,
            "ns": _s(needed),
            "where": words["in_open_hours"] if plan.open_hours else "",
        }
        if plan.has_observed:
            seen = _amount(rows["observed_agents"].sum() * hours)
            lines.append(words["total_seen"].format(seen=seen, **fields))
        else:
            lines.append(words["total"].format(**fields))
    return lines


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
        )
        if plan.section["shrinkage"] > 0:
            line += words["rostered"].format(
                shrinkage=_percent(plan.section["shrinkage"], lang),
                rostered=int(peak["agents_rostered"]),
            )
        lines.append(line)
    return lines


def _when(rows: pd.DataFrame, ends: pd.Series, heading: str, lang: str) -> dict[str, list]:
    """The first columns of every staffing table: channel, weekday and the time span."""
    words = WORDS["zh" if lang == "zh" else "en"]
    return {
        words["channel"]: [channel_name(c, lang) for c in rows["channel"]],
        words["weekday"]: [weekday_names(lang)[d - 1] for d in rows["weekday"]],
        heading: [_span(s, e) for s, e in zip(rows["start"], ends, strict=True)],
    }


def _gaps_table(stretches: pd.DataFrame, lang: str) -> ActionTable:
    words = WORDS[lang]
    shown = stretches[stretches["kind"] != "even"]
    frame = pd.DataFrame(
        {
            **_when(shown, shown["end"], words["interval"], lang),
            words["calls"]: shown["calls"].to_numpy(dtype=float),
            words["agents"]: shown["agents"].to_numpy(dtype=float),
            words["observed"]: shown["observed"].to_numpy(dtype=float),
            words["gap"]: shown["gap"].to_numpy(dtype=float),
            words["agent_hours"]: shown["agent_hours"].to_numpy(dtype=float),
        }
    )
    return ActionTable(
        key="staffing_gaps",
        title=words["gaps_title"],
        frame=frame,
        formats={
            words["calls"]: "number",
            words["agents"]: "number",
            words["observed"]: "number",
            words["gap"]: "number",
            words["agent_hours"]: "number",
        },
        note=words["gaps_note"],
    )


def _waiting_table(waits: pd.DataFrame, plan: WeeklyStaffing, lang: str) -> ActionTable:
    words = WORDS[lang]
    minutes = plan.section["interval_minutes"]
    frame = pd.DataFrame(
        {
            **_when(waits, waits["start"] + minutes, words["opening"], lang),
            words["waiting_col"]: waits["waiting"].to_numpy(),
            words["arrivals"]: waits["arrivals"].to_numpy(),
            words["agents"]: waits["agents"].to_numpy(),
            words["agents_alone"]: waits["agents_without_waiting"].to_numpy(),
        }
    )
    return ActionTable(
        key="staffing_waiting",
        title=words["waiting_title"],
        frame=frame,
        formats={
            words["waiting_col"]: "number",
            words["arrivals"]: "number",
            words["agents"]: "count",
            words["agents_alone"]: "count",
        },
        note=words["waiting_note"],
    )


def _plan_table(plan: WeeklyStaffing, lang: str) -> ActionTable:
    words = WORDS[lang]
    formats = {
        words["arrivals"]: "number",
        words["waiting_col"]: "number",
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
    to the hours that see contacts or agents; closed intervals blank."""
    import plotly.graph_objects as go

    words = WORDS[lang]
    rows = plan.table[plan.table["channel"] == channel]
    grid = rows.assign(agents=rows["agents"].where(rows["open"])).pivot(
        index="weekday", columns="start", values="agents"
    )
    seen = rows[["calls", "observed_agents"]].sum(axis=1) > 0
    busy = (seen | (rows["open"] & plan.open_hours)).groupby(rows["start"]).any()
    starts = busy[busy].index
    if len(starts):
        grid = grid.loc[:, starts.min() : starts.max()]
    values = grid.to_numpy(dtype=float)
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=[_clock(int(s)) for s in grid.columns],
            y=weekday_names(lang),
            colorscale="Blues",
            text=np.where(np.isnan(values), "", np.nan_to_num(values).astype(int).astype(str)),
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
        ws=_s(str(plan.weeks)),
        first=plan.first.isoformat(),
        last=plan.last.isoformat(),
        weeks_from=_weeks_from(plan, words),
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
    text += _open_hours_method(plan, words)
    if section["min_agents"] > 0:
        text += words["method_min_agents"].format(
            min_agents=section["min_agents"], s=_s(str(section["min_agents"]))
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


def _open_hours_method(plan: WeeklyStaffing, words: dict[str, str]) -> str:
    """Which intervals were planned, where closed-hours contacts went, and the holidays."""
    if plan.open_hours:
        text = words["method_open"]
        if plan.holidays:
            days = words["sep"].join(day.isoformat() for day in plan.holidays)
            text += words["method_holidays"].format(days=days)
        return text
    if plan.section["open_hours"] == "always":
        return words["method_always"]
    return words["method_no_hours"]


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


def _s(count: str) -> str:
    """The English plural ending for a count as printed: "1 agent", "0.5 agents"."""
    return "" if count == "1" else "s"


def _agents(value: float) -> str:
    """An average count of agents: one decimal, none when whole ("6", "0.5")."""
    return f"{value:.1f}".removesuffix(".0")


def _amount(value: float) -> str:
    """A weekly total: whole from 10 up ("105"), one decimal below ("0.5", "3")."""
    return f"{value:,.0f}" if value >= 10 else _agents(value)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _span(start: int, end: int) -> str:
    return f"{_clock(start)}–{_clock(end)}"
