"""The process bottlenecks as a reader sees them: where the time goes, in zh or en.

``bottlenecks_view`` turns ``cxlens.actions.bottlenecks`` (every ticket's stage hours
and bounces) into sentences saying which step to fix first, the Pareto table of stage ×
group, where tickets bounce and come back, and how the stages' shares differ across
channel, category and priority. Reopen rates are the ``reopen_rate`` KPI from
``compute_kpis``, so the number matches the report's KPI pages.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.actions.bottlenecks import DIMENSIONS, STAGES, Bottlenecks, process_bottlenecks
from cxlens.errors import CxlensError
from cxlens.insights.actions import ActionTable, ActionView, Scope, action_title
from cxlens.insights.labels import code_name, dimension_value

if TYPE_CHECKING:
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

log = logging.getLogger(__name__)

# A group needs this many tickets before a sentence compares it with others.
MIN_TICKETS = 30
# Pareto rows drawn in the chart (the table keeps every row).
CHART_ROWS = 20

WORDS: dict[str, dict[str, str]] = {
    "first_reply": {"en": "waiting for the first reply", "zh": "等待首次回复"},
    "agent_work": {"en": "agent work", "zh": "坐席处理"},
    "customer": {"en": "waiting on the customer", "zh": "等待客户"},
    "on_hold": {"en": "on hold", "zh": "挂起"},
    "verb_first_reply": {"en": "wait for a first reply", "zh": "等待首次回复"},
    "verb_agent_work": {"en": "wait on agent work", "zh": "等待坐席处理"},
    "verb_customer": {"en": "wait on the customer", "zh": "等待客户回复"},
    "verb_on_hold": {"en": "sit on hold", "zh": "处于挂起状态"},
    "category": {"en": "category", "zh": "类别"},
    "channel": {"en": "channel", "zh": "渠道"},
    "priority": {"en": "priority", "zh": "优先级"},
    "plural_category": {"en": "categories", "zh": "类别"},
    "plural_channel": {"en": "channels", "zh": "渠道"},
    "plural_priority": {"en": "priorities", "zh": "优先级"},
    "quoted": {"en": "{name}", "zh": "“{name}”"},
    "tickets_of": {"en": "{group} tickets", "zh": "{group}工单"},
    "col_stage": {"en": "Stage", "zh": "环节"},
    "col_dimension": {"en": "Dimension", "zh": "维度"},
    "col_tickets": {"en": "Tickets", "zh": "工单数"},
    "col_total_hours": {"en": "Total hours", "zh": "总时长（小时）"},
    "col_mean_hours": {"en": "Mean hours per ticket", "zh": "平均每单时长（小时）"},
    "col_share": {"en": "Share of ticket time", "zh": "占工单总时长"},
    "col_cumulative": {"en": "Cumulative share", "zh": "累计占比"},
    "col_vital": {"en": "Vital few", "zh": "关键少数"},
    "col_reassigned": {"en": "Reassigned", "zh": "被重新分配"},
    "col_transferred": {"en": "Moved to another team", "zh": "跨团队转交"},
    "col_reopen_rate": {"en": "Reopen rate (KPI)", "zh": "重开率（指标）"},
    "col_reopen_n": {"en": "Solved in the window", "zh": "期内已解决"},
    "col_recontact": {"en": "Re-contact rate", "zh": "再次联系率"},
    "col_recontact_n": {"en": "Solved, followed up", "zh": "已解决且可追踪"},
    "col_group": {"en": "Group", "zh": "分组"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    "pareto_title": {
        "en": "Where ticket time goes: stage × {dimension}, largest first",
        "zh": "工单时间花在哪里：环节 × {dimension}，按总时长排序",
    },
    "pareto_note": {
        "en": "Vital few: the rows that together make {share} of all ticket time.",
        "zh": "关键少数：合计占全部工单时长 {share} 的各行。",
    },
    "bounces_title": {
        "en": "Where tickets bounce and come back, by {dimension}",
        "zh": "工单在哪里来回流转、在哪里回头，按{dimension}",
    },
    "bounces_note": {
        "en": "Reassigned and moved: tickets created in the window. Reopen rate: the KPI, "
        "over tickets solved in the window. Re-contact: a new ticket from the same customer "
        "within {days} days of the solve.",
        "zh": "重新分配与转交：统计期内创建的工单。重开率：指标口径，统计期内解决的工单。"
        "再次联系：同一客户在工单解决后 {days} 天内又提交了新工单。",
    },
    "shares_title": {
        "en": "Stage shares of ticket time by channel, category and priority",
        "zh": "各环节占工单时长的比例：按渠道、类别、优先级",
    },
    "chart_title": {"en": "Pareto of ticket time", "zh": "工单时长帕累托图"},
    "chart_bars": {"en": "Total hours", "zh": "总时长（小时）"},
    "chart_line": {"en": "Cumulative share", "zh": "累计占比"},
    "line_top": {
        "en": "{who} {verb} {hours} h ({share} of all ticket time) — the biggest single "
        "bottleneck; {evidence}.",
        "zh": "{who}{verb}共 {hours} 小时，占全部工单时长的 {share}，是最大的单一瓶颈；{evidence}。",
    },
    "evidence_reassigned": {
        "en": "{share} of {who} are reassigned at least once",
        "zh": "其中 {share} 至少被重新分配一次",
    },
    "evidence_recontact": {
        "en": "{share} of solved {who} are followed by a new ticket from the same customer "
        "within {days} days",
        "zh": "已解决的这类工单中有 {share} 在 {days} 天内又收到同一客户的新工单",
    },
    "evidence_reopen": {
        "en": "their reopen rate is {rate} ({n} solved {within})",
        "zh": "其重开率为 {rate}（{within}解决 {n} 张）",
    },
    "within_window": {"en": "in the window", "zh": "期内"},
    "within_all": {"en": "in all the data", "zh": "全部数据中"},
    "covering": {"en": "tickets created {window}", "zh": "{window}创建的工单"},
    "evidence_mean": {
        "en": "{tickets} tickets spend {mean} h each on average in this stage",
        "zh": "{tickets} 张工单在该环节平均各停留 {mean} 小时",
    },
    "line_vital": {
        "en": "{count} of {rows} stage × {dimension} pairs make {share} of ticket time: {names}.",
        "zh": "{rows} 个“环节 × {dimension}”组合中，前 {count} 个占全部工单时长的 {share}：{names}。",
    },
    "line_split": {
        "en": "Of {hours} h of ticket time over {tickets} tickets ({open} still open), {parts}.",
        "zh": "{tickets} 张工单（{open} 张仍未解决）共 {hours} 小时，其中{parts}。",
    },
    "part": {"en": "{stage} takes {share}", "zh": "{stage}占 {share}"},
    "line_spread": {
        "en": "{stage} is {high} of ticket time on {high_group} against {low} on {low_group}: "
        "the widest gap between {dimensions}.",
        "zh": "{stage}在{high_group}占工单时长的 {high}，在{low_group}仅占 {low}，"
        "是各{dimensions}之间差距最大的环节。",
    },
    "line_comeback": {
        "en": "Tickets come back most by reopening: {reopen_who} {reopen} ({n} solved "
        "{within}); by a new ticket from the same customer within {days} days: "
        "{recontact_who} {recontact} ({recontact_n} solved).",
        "zh": "工单回头最多的：按重开看是{reopen_who}，重开率 {reopen}（{within}解决 {n} 张）；"
        "按 {days} 天内同一客户再来新工单看是{recontact_who}，占 {recontact}（已解决 {recontact_n} 张）。",
    },
    "line_reopen": {
        "en": "{who} come back most by reopening: reopen rate {reopen} ({n} solved {within}).",
        "zh": "{who}重开最多：重开率 {reopen}（{within}解决 {n} 张）。",
    },
    "line_recontact": {
        "en": "{who} come back most: {recontact} of solved ones bring a new ticket from the "
        "same customer within {days} days ({n} solved).",
        "zh": "{who}回头最多：已解决的 {n} 张中有 {recontact} 在 {days} 天内又收到同一客户的新工单。",
    },
    "line_no_bounce": {
        "en": "No ticket was reassigned or passed to another agent: tickets do not bounce "
        "between agents here.",
        "zh": "没有工单被重新分配或转给其他坐席：这里的工单不在坐席之间来回流转。",
    },
    "line_bounce": {
        "en": "{reassigned} of tickets are reassigned at least once and {transferred} move to "
        "another team; most in {who} ({worst}).",
        "zh": "{reassigned} 的工单至少被重新分配一次，{transferred} 转交到其他团队；"
        "最多的是{who}（{worst}）。",
    },
    "unknown": {"en": "unknown", "zh": "未知"},
    "method": {
        "en": "Tickets created {window}{filters} are followed from creation to their last "
        "solve, or to the data's end ({end} UTC) while open; their events split that time "
        "in calendar hours into waiting for the first public human reply, agent work, "
        "waiting on the customer ({rule}) and on hold. Time while solved or closed is not "
        "counted; {left_out}[bottlenecks] by = {by}, vital_share = {vital}, "
        "recontact_days = {days}.",
        "zh": "统计 {window}{filters}创建的工单，从创建到最后一次解决（未解决的算到数据截止时间 "
        "{end} UTC），按工单事件把这段日历时长分为等待首次人工公开回复、坐席处理、等待客户"
        "（{rule}）和挂起四个环节；已解决或已关闭期间不计入。{left_out}设置："
        "[bottlenecks] by = {by}，vital_share = {vital}，recontact_days = {days}。",
    },
    "rule_pending": {
        "en": "read from the pending status the events carry",
        "zh": "依据事件中的“等待客户（pending）”状态",
    },
    "rule_replies": {
        "en": "after a public agent reply until the customer writes",
        "zh": "坐席公开回复后到客户再次发言之间",
    },
    "window_all": {"en": "at any time", "zh": "全部时间内"},
    "window": {"en": "from {first} to {last}", "zh": "{first} 至 {last} 期间"},
    "filters": {"en": " (filters: {filters})", "zh": "（筛选：{filters}）"},
    "left_out": {
        "en": "{count} tickets without events are left out; ",
        "zh": "另有 {count} 张工单没有事件，未计入；",
    },
}


def word(key: str, lang: str, **values: Any) -> str:
    """The phrase ``key`` in ``lang`` (zh, else en), with its placeholders filled."""
    text = WORDS[key]["zh" if lang == "zh" else "en"]
    return text.format(**values) if values else text


def bottlenecks_view(
    warehouse: Warehouse, settings: Settings, lang: str, scope: Scope, *, by: str | None = None
) -> ActionView:
    """Where ticket time goes, where tickets bounce and come back, for ``scope``.

    ``by`` (category, channel or priority) groups the Pareto and the bounces; default
    ``[bottlenecks] by``. Raises WarehouseError when the data hold no ticket events.
    """
    options = settings.bottlenecks
    by = by or options.get("by", "category")
    with warehouse.connect(read_only=True) as con:
        result = process_bottlenecks(con, settings, scope)
    reopens = _reopen_rates(warehouse, settings, scope, by)

    pareto = result.pareto(by)
    bounces = result.bounces(by).merge(reopens, on="group", how="left")
    shares = {dimension: result.stage_shares(dimension) for dimension in DIMENSIONS}
    return ActionView(
        key="bottlenecks",
        title=action_title("bottlenecks", lang),
        lang=lang,
        lines=_lines(result, pareto, bounces, shares, by, lang, within=_within(scope, lang)),
        tables=[
            _pareto_table(pareto, by, result.vital_share, lang),
            _bounces_table(bounces, by, result, lang),
            _shares_table(shares, lang),
        ],
        figures=[_pareto_figure(pareto, by, result.vital_share, lang)],
        method=_method(result, scope, by, lang),
        covering=word("covering", lang, window=_window(scope, lang)),
    )


def _within(scope: Scope, lang: str) -> str:
    """Where the solved tickets behind a reopen rate come from: the window, or all data."""
    dated = scope.first is not None or scope.last is not None
    return word("within_window" if dated else "within_all", lang)


def _reopen_rates(warehouse: Warehouse, settings: Settings, scope: Scope, by: str):
    """The reopen_rate KPI per group of ``by`` (columns group, reopen_rate, reopen_n)."""
    from cxlens.metrics.compute import compute_kpis

    empty = pd.DataFrame({"group": pd.Series(dtype=object), "reopen_rate": [], "reopen_n": []})
    try:
        rows = compute_kpis(
            warehouse,
            settings,
            by=[by],
            metrics=["reopen_rate"],
            filters=scope.filters or None,
            window=scope.window,
        )
    except CxlensError as error:
        log.warning("bottlenecks: no reopen rate (%s)", error)
        return empty
    if rows.empty:
        return empty
    return pd.DataFrame(
        {
            "group": [group.get(by) for group in rows["group"]],
            "reopen_rate": rows["value"].astype("float").to_numpy(),
            "reopen_n": rows["n"].to_numpy(),
        }
    )


def _group_name(dimension: str, value: Any, lang: str) -> str:
    """A group value as the reader reads it (channel names, priority words)."""
    if dimension == "priority" and isinstance(value, str):
        return code_name("priority", value, lang)
    return dimension_value(dimension, value, lang)


def _percent(value: float) -> str:
    return f"{value:.0%}" if value >= 0.01 or value == 0 else f"{value:.1%}"


def _hours(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def _lines(
    result: Bottlenecks,
    pareto: pd.DataFrame,
    bounces: pd.DataFrame,
    shares: dict[str, pd.DataFrame],
    by: str,
    lang: str,
    within: str,
) -> list[str]:
    """The sentences, most important first: the top bottleneck, the vital few, the split
    of time, the widest gap between groups, where tickets bounce and come back."""
    lines = [_top_line(result, pareto, bounces, by, lang, within), _vital_line(pareto, by, lang)]
    lines.append(_split_line(result, lang))
    spread = _spread_line(shares, lang)
    if spread:
        lines.append(spread)
    lines.append(_bounce_line(result, bounces, by, lang))
    comeback = _comeback_line(result, bounces, by, lang, within)
    if comeback:
        lines.append(comeback)
    return lines


def _top_line(
    result: Bottlenecks,
    pareto: pd.DataFrame,
    bounces: pd.DataFrame,
    by: str,
    lang: str,
    within: str,
) -> str:
    """The largest stage × group, with the evidence that says most about it: its
    reassignments, else its reopen rate, else its re-contacts, else its mean hours."""
    top = pareto.iloc[0]
    who = word("tickets_of", lang, group=_named(by, top["group"], lang))
    bounce = bounces[_same_group(bounces["group"], top["group"])].iloc[0]
    if bounce["reassigned"] > 0:
        evidence = word("evidence_reassigned", lang, share=_percent(bounce["reassigned"]), who=who)
    elif bounce["reopen_n"] >= MIN_TICKETS and bounce["reopen_rate"] > 0:
        rate, n = _percent(bounce["reopen_rate"]), f"{int(bounce['reopen_n']):,}"
        evidence = word("evidence_reopen", lang, rate=rate, n=n, within=within)
    elif bounce["recontact_n"] >= MIN_TICKETS and bounce["recontact_rate"] > 0:
        share = _percent(bounce["recontact_rate"])
        evidence = word(
            "evidence_recontact", lang, share=share, who=who, days=result.recontact_days
        )
    else:
        mean = _hours(top["mean_hours"])
        evidence = word("evidence_mean", lang, tickets=f"{top['tickets']:,}", mean=mean)
    return _sentence(
        word(
            "line_top",
            lang,
            who=who,
            verb=word(f"verb_{top['stage']}", lang),
            hours=_hours(top["total_hours"]),
            share=_percent(top["share"]),
            evidence=evidence,
        )
    )


def _sentence(text: str) -> str:
    """``text`` starting with a capital (a group named in lower case leads some lines)."""
    return text[:1].upper() + text[1:]


def _named(dimension: str, value: Any, lang: str) -> str:
    """A group as a sentence names it (quoted in Chinese, where it may be a code)."""
    return word("quoted", lang, name=_group_name(dimension, value, lang))


def _same_group(column: pd.Series, value: Any) -> pd.Series:
    """Rows of ``column`` equal to ``value``, a missing value matching missing ones."""
    if value is None or (isinstance(value, float) and value != value):
        return column.isna()
    return column == value


def _pair_name(row: pd.Series, by: str, lang: str) -> str:
    separator = "·"
    return f"{word(row['stage'], lang)} {separator} {_group_name(by, row['group'], lang)}"


def _vital_line(pareto: pd.DataFrame, by: str, lang: str) -> str:
    vital = pareto[pareto["vital"]]
    names = ("、" if lang == "zh" else "; ").join(
        f"{_pair_name(row, by, lang)} {_percent(row['share'])}" for _, row in vital.iterrows()
    )
    return word(
        "line_vital",
        lang,
        count=len(vital),
        rows=len(pareto),
        dimension=word(by, lang),
        share=_percent(float(vital["share"].sum())),
        names=names,
    )


def _split_line(result: Bottlenecks, lang: str) -> str:
    tickets = result.tickets
    total = int(tickets["total_us"].sum())
    parts = [
        word(
            "part",
            lang,
            stage=word(stage, lang),
            share=_percent(tickets[f"{stage}_us"].sum() / total),
        )
        for stage in STAGES
        if tickets[f"{stage}_us"].sum() > 0
    ]
    return word(
        "line_split",
        lang,
        hours=_hours(total / 3_600_000_000),
        tickets=f"{len(tickets):,}",
        open=f"{int(tickets['still_open'].sum()):,}",
        parts=("，" if lang == "zh" else ", ").join(parts),
    )


def _spread_line(shares: dict[str, pd.DataFrame], lang: str) -> str | None:
    """The stage whose share differs most between two groups of one dimension."""
    best = None
    for dimension, frame in shares.items():
        sized = frame[frame["tickets"] >= MIN_TICKETS]
        if len(sized) < 2:
            continue
        for stage in STAGES:
            column = sized[f"{stage}_share"]
            if column.notna().sum() < 2:
                continue
            gap = float(column.max() - column.min())
            if best is None or gap > best[0]:
                high, low = sized.loc[column.idxmax()], sized.loc[column.idxmin()]
                best = (gap, dimension, stage, high, low)
    if best is None or best[0] <= 0:
        return None
    _, dimension, stage, high, low = best
    return _sentence(
        word(
            "line_spread",
            lang,
            stage=word(stage, lang),
            high=_percent(high[f"{stage}_share"]),
            high_group=_named(dimension, high["group"], lang),
            low=_percent(low[f"{stage}_share"]),
            low_group=_named(dimension, low["group"], lang),
            dimension=word(dimension, lang),
            dimensions=word(f"plural_{dimension}", lang),
        )
    )


def _bounce_line(result: Bottlenecks, bounces: pd.DataFrame, by: str, lang: str) -> str:
    tickets = result.tickets
    reassigned = float((tickets["reassignments"] > 0).mean())
    handed = float((tickets["handovers"] > 0).mean())
    if reassigned == 0 and handed == 0:
        return word("line_no_bounce", lang)
    transfers = pd.to_numeric(tickets["transfers"])
    moved = (
        _percent(float((transfers > 0).mean()))
        if transfers.notna().any()
        else word("unknown", lang)
    )
    sized = bounces[bounces["tickets"] >= MIN_TICKETS]
    column = "reassigned" if reassigned > 0 else "handed_over"
    worst = (sized if not sized.empty else bounces).sort_values(column, ascending=False).iloc[0]
    return word(
        "line_bounce",
        lang,
        reassigned=_percent(reassigned),
        transferred=moved,
        who=word("tickets_of", lang, group=_named(by, worst["group"], lang)),
        worst=_percent(float(worst[column])),
    )


def _comeback_line(
    result: Bottlenecks, bounces: pd.DataFrame, by: str, lang: str, within: str
) -> str | None:
    """The groups whose tickets come back most, both ways: by reopening (the reopen KPI)
    and by a new ticket from the same customer; the two can be different groups."""
    days = result.recontact_days
    reopened = bounces[bounces["reopen_n"].fillna(0) >= MIN_TICKETS].dropna(subset=["reopen_rate"])
    recontacted = bounces[bounces["recontact_n"] >= MIN_TICKETS]
    if reopened.empty and recontacted.empty:
        return None
    if not reopened.empty:
        reopen = reopened.loc[reopened["reopen_rate"].idxmax()]
        reopen_words = {
            "reopen": _percent(reopen["reopen_rate"]),
            "n": f"{int(reopen['reopen_n']):,}",
            "within": within,
        }
    if not recontacted.empty:
        recontact = recontacted.loc[recontacted["recontact_rate"].idxmax()]
        recontact_words = {
            "recontact": _percent(recontact["recontact_rate"]),
            "days": days,
        }
    if recontacted.empty:
        who = word("tickets_of", lang, group=_named(by, reopen["group"], lang))
        return _sentence(word("line_reopen", lang, who=who, **reopen_words))
    if reopened.empty:
        who = word("tickets_of", lang, group=_named(by, recontact["group"], lang))
        return _sentence(
            word("line_recontact", lang, who=who, n=f"{int(recontact['recontact_n']):,}",
                 **recontact_words)
        )  # fmt: skip
    return word(
        "line_comeback", lang, reopen_who=_named(by, reopen["group"], lang),
        recontact_who=_named(by, recontact["group"], lang),
        recontact_n=f"{int(recontact['recontact_n']):,}", **reopen_words, **recontact_words,
    )  # fmt: skip


def _pareto_table(pareto: pd.DataFrame, by: str, vital_share: float, lang: str) -> ActionTable:
    columns = {
        "stage": word("col_stage", lang),
        "group": word(by, lang),
        "tickets": word("col_tickets", lang),
        "total_hours": word("col_total_hours", lang),
        "mean_hours": word("col_mean_hours", lang),
        "share": word("col_share", lang),
        "cumulative_share": word("col_cumulative", lang),
        "vital": word("col_vital", lang),
    }
    frame = pareto.assign(
        stage=pareto["stage"].map(lambda s: word(s, lang)),
        group=pareto["group"].map(lambda g: _group_name(by, g, lang)),
        vital=pareto["vital"].map(lambda v: word("yes" if v else "no", lang)),
    ).rename(columns=columns)
    formats = {
        columns["tickets"]: "count",
        columns["total_hours"]: "hours",
        columns["mean_hours"]: "hours",
        columns["share"]: "percent",
        columns["cumulative_share"]: "percent",
    }
    return ActionTable(
        key="bottlenecks_pareto",
        title=word("pareto_title", lang, dimension=word(by, lang)),
        frame=frame,
        formats=formats,
        note=word("pareto_note", lang, share=_percent(vital_share)),
    )


def _bounces_table(bounces: pd.DataFrame, by: str, result: Bottlenecks, lang: str) -> ActionTable:
    columns = {
        "group": word(by, lang),
        "tickets": word("col_tickets", lang),
        "reassigned": word("col_reassigned", lang),
        "transferred": word("col_transferred", lang),
        "reopen_rate": word("col_reopen_rate", lang),
        "reopen_n": word("col_reopen_n", lang),
        "recontact_rate": word("col_recontact", lang),
        "recontact_n": word("col_recontact_n", lang),
    }
    frame = bounces.assign(group=bounces["group"].map(lambda g: _group_name(by, g, lang)))
    frame = frame[list(columns)].rename(columns=columns)
    kinds = {
        "tickets": "count",
        "reassigned": "percent",
        "transferred": "percent",
        "reopen_rate": "percent",
        "reopen_n": "count",
        "recontact_rate": "percent",
        "recontact_n": "count",
    }
    return ActionTable(
        key="bottlenecks_bounces",
        title=word("bounces_title", lang, dimension=word(by, lang)),
        frame=frame,
        formats={columns[c]: kind for c, kind in kinds.items()},
        note=word("bounces_note", lang, days=result.recontact_days),
    )


def _shares_table(shares: dict[str, pd.DataFrame], lang: str) -> ActionTable:
    frames = [
        frame.assign(
            dimension=word(dimension, lang),
            group=frame["group"].map(lambda g, d=dimension: _group_name(d, g, lang)),
        )
        for dimension, frame in shares.items()
    ]
    stacked = pd.concat(frames, ignore_index=True)
    columns = {
        "dimension": word("col_dimension", lang),
        "group": word("col_group", lang),
        "tickets": word("col_tickets", lang),
        "mean_hours": word("col_mean_hours", lang),
    } | {f"{stage}_share": word(stage, lang) for stage in STAGES}
    frame = stacked[list(columns)].rename(columns=columns)
    formats = {columns["tickets"]: "count", columns["mean_hours"]: "hours"} | {
        columns[f"{stage}_share"]: "percent" for stage in STAGES
    }
    return ActionTable(
        key="bottlenecks_shares",
        title=word("shares_title", lang),
        frame=frame,
        formats=formats,
    )


def _pareto_figure(pareto: pd.DataFrame, by: str, vital_share: float, lang: str):
    """Bars of total hours, largest first, and the cumulative share as a line."""
    import plotly.graph_objects as go

    shown = pareto.head(CHART_ROWS)
    names = [_pair_name(row, by, lang) for _, row in shown.iterrows()]
    colours = ["#c0392b" if vital else "#95a5a6" for vital in shown["vital"]]
    figure = go.Figure()
    figure.add_bar(
        x=names, y=shown["total_hours"], name=word("chart_bars", lang), marker_color=colours
    )
    figure.add_scatter(
        x=names,
        y=shown["cumulative_share"],
        name=word("chart_line", lang),
        yaxis="y2",
        mode="lines+markers",
        line={"color": "#2c3e50"},
    )
    figure.add_hline(y=vital_share, yref="y2", line_dash="dot", line_color="#7f8c8d")
    figure.update_layout(
        title=word("chart_title", lang),
        yaxis={"title": word("chart_bars", lang)},
        yaxis2={
            "title": word("chart_line", lang),
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.02],
            "tickformat": ".0%",
        },
        legend={"orientation": "h"},
    )
    return figure


def _window(scope: Scope, lang: str) -> str:
    """The creation window in words: "from 2025-04-01 to 2025-06-30" or "at any time"."""
    first, last = scope.first, scope.last
    if first is None and last is None:
        return word("window_all", lang)
    return word("window", lang, first=first or "…", last=last or "…")


def _method(result: Bottlenecks, scope: Scope, by: str, lang: str) -> str:
    window = _window(scope, lang)
    given = {k: v for k, v in (scope.filters or {}).items() if v}
    filters = (
        word("filters", lang, filters="; ".join(f"{k} = {', '.join(v)}" for k, v in given.items()))
        if given
        else ""
    )
    left_out = word("left_out", lang, count=result.without_events) if result.without_events else ""
    return word(
        "method",
        lang,
        window=window,
        filters=filters,
        end=f"{result.data_end:%Y-%m-%d %H:%M}",
        rule=word(f"rule_{result.waiting_rule}", lang),
        left_out=left_out,
        by=by,
        vital=result.vital_share,
        days=result.recontact_days,
    )
