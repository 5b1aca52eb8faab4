"""The loyalty tiers as a reader sees them: who the tiers are, who moved, whom to call.

``tiers_view`` turns ``actions.tiers.loyalty_tiers`` into an ``ActionView`` in Chinese
or English: sentences on where the value sits, whom to call and the biggest moves of
the month; tables of the tiers, the movement matrix and the high spenders of the tiers
to call; a bar chart of the tiers' sizes and value and a heatmap of the moves.
``campaign_lists`` gives the same customers as lists for campaigns (``cxlens tiers
--out``), one for all and one per tier.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.actions.tiers import FALLBACK, NOT_YET, QUINTILES, LoyaltyTiers, loyalty_tiers
from cxlens.insights.actions import ActionTable, ActionView, Scope, action_title

if TYPE_CHECKING:
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

# rows of the "whom to call" table
CALL_ROWS = 20
# how many of the month's slips get a sentence (then the biggest move up and the biggest
# move between tiers of equal worth get one each)
SLIPS_TOLD = 3

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "not_yet": "not yet a customer",
        "tier": "Tier",
        "customers": "Customers",
        "share": "Share of customers",
        "spend": "Spend",
        "spend_share": "Share of spend",
        "recency_days": "Mean days since last order",
        "purchase_days": "Mean purchase days",
        "r": "Mean R",
        "f": "Mean F",
        "m": "Mean M",
        "summary_title": "Tiers on {day}",
        "summary_note": "Spend is completed orders only; refunds and cancellations are left out.",
        "moves_title": "Moves from {before} to {day}",
        "moves_corner": "Tier on {before} \\ on {day}",
        "moves_note": "Rows: tier at the previous month's end; columns: tier now.",
        "call_title": "Whom to call: {tiers}, by spend",
        "call_note": "The full lists: cxlens tiers --out DIR (one CSV per tier).",
        "customer": "Customer",
        "name": "Name",
        "days": "Days since last order",
        "purchases": "Purchase days",
        "last_order": "Last order",
        "previous": "Tier on {before}",
        "sizes_title": "Customers and spend by tier",
        "sizes_axis": "Share",
        "heatmap_x": "Tier on {day}",
        "heatmap_y": "Tier on {before}",
        "and": " and ",
        "sep": "; ",
        "stop": ".",
        "list": ", ",
        "quoted": "“{}”",
        "landed": "{tier} {n:,}",
        "one_customer": "{n:,} customer",
        "customers_n": "{n:,} customers",
        "value_first": (
            "Tier {tier} holds {share} of the {customers} with a completed order by {day} "
            "and {spend_share} of their spend"
        ),
        "value_next": "{tier}: {share} of customers, {spend_share} of spend",
        "call": (
            "Call the biggest spenders of {tiers} first: the {customers} of these tiers spent "
            "{spend:,.2f} {currency} ({spend_share} of all spend) and last ordered "
            "{days:.0f} days ago on average; {listed}."
        ),
        "slipped": (
            "{customers} slipped from {before} to {after} between {start} and {day}; they "
            "have spent {spend:,.2f} {currency} to date."
        ),
        "rose": (
            "{customers} moved up from {before} to {after} between {start} and {day}; they "
            "have spent {spend:,.2f} {currency} to date."
        ),
        "moved": (
            "{customers} moved from {before} to {after} between {start} and {day}; they "
            "have spent {spend:,.2f} {currency} to date."
        ),
        "first": "{customers} placed their first completed order after {start}: {tiers}.",
        "listed_top": "the top {top} by spend are listed below",
        "listed_one": "they are listed below",
        "no_moves": "No customer changed tier between {before} and {day}.",
        "none_to_call": "No customer is in {tiers} on {day}: nobody to call back.",
        "covering": "customers with a completed order by {day}; moves since {before}",
        "method": (
            "RFM as of {day} over each customer's whole history: recency = days since the "
            "last completed order, frequency = distinct days with a completed order, monetary "
            "= completed spend (refunded and cancelled orders left out). Scores 1-5 "
            "([tiers] recency_days, frequency, monetary): {scoring}; tiers by the first "
            "matching rule of [tiers] segments, a slip or a move up by their rank of worth; "
            "the moves compare with the tiers recomputed on {before}."
        ),
        "quintiles": "{dimensions} by quintile of rank among the customers of the day (equal "
        "values share the lower score)",
        "edges_up": "{dimension} by the fixed edges [{edges}] (where scores 2-5 begin)",
        "edges_down": "{dimension} by the fixed edges [{edges}] days (the last days of scores 5-2)",
        "few_scores": " Frequency takes only the scores {scores} here: {share} of customers "
        "bought on one day, and equal values share a score; [tiers] frequency sets fixed edges.",
        "segment_only": " Customers of segment {values} only.",
        "ignored": " Filters on {dimensions} do not apply to orders and were ignored.",
    },
    "zh": {
        "not_yet": "尚未下单",
        "tier": "层级",
        "customers": "客户数",
        "share": "客户占比",
        "spend": "消费额",
        "spend_share": "消费额占比",
        "recency_days": "平均距上次下单天数",
        "purchase_days": "平均购买天数",
        "r": "平均R分",
        "f": "平均F分",
        "m": "平均M分",
        "summary_title": "{day}的客户分层",
        "summary_note": "消费额只计已完成订单，退款和取消的订单不计。",
        "moves_title": "{before}至{day}的层级变化",
        "moves_corner": "{before}层级 \\ {day}层级",
        "moves_note": "行：上月末的层级；列：现在的层级。",
        "call_title": "优先联系：{tiers}（按消费额）",
        "call_note": "完整名单：cxlens tiers --out 目录（每个层级一个CSV文件）。",
        "customer": "客户",
        "name": "姓名",
        "days": "距上次下单天数",
        "purchases": "购买天数",
        "last_order": "上次下单",
        "previous": "{before}层级",
        "sizes_title": "各层级的客户与消费额占比",
        "sizes_axis": "占比",
        "heatmap_x": "{day}层级",
        "heatmap_y": "{before}层级",
        "and": "和",
        "sep": "；",
        "stop": "。",
        "list": "、",
        "quoted": "{}",
        "landed": "{tier}{n:,}位",
        "one_customer": "{n:,}位客户",
        "customers_n": "{n:,}位客户",
        "value_first": (
            "截至{day}有已完成订单的{n:,}位客户中，{tier}占{share}，贡献了{spend_share}的消费额"
        ),
        "value_next": "{tier}占{share}，贡献{spend_share}",
        "call": (
            "请优先联系{tiers}中消费最高的客户：这些层级共{n:,}位，累计消费{spend:,.2f} {currency}"
            "（占全部消费额的{spend_share}），平均已{days:.0f}天未下单；{listed}。"
        ),
        "slipped": "{start}至{day}，有{n:,}位{before}降为{after}，他们累计消费{spend:,.2f} {currency}。",
        "rose": "{start}至{day}，有{n:,}位{before}升为{after}，他们累计消费{spend:,.2f} {currency}。",
        "moved": "{start}至{day}，有{n:,}位{before}转为{after}，他们累计消费{spend:,.2f} {currency}。",
        "first": "{start}之后首次完成下单的客户有{n:,}位：{tiers}。",
        "listed_top": "消费最高的{top}位见下表",
        "listed_one": "名单见下表",
        "no_moves": "{before}至{day}，没有客户变换层级。",
        "none_to_call": "{day}{tiers}中没有客户，无需回访。",
        "covering": "截至{day}有已完成订单的客户；层级变化自{before}起",
        "method": (
            "以{day}为基准，按每位客户的全部历史计算RFM：R为距最近一次已完成订单的天数，"
            "F为有已完成订单的不同天数，M为已完成订单的消费额（退款、取消的订单不计）。"
            "1至5分（[tiers] recency_days、frequency、monetary）：{scoring}；"
            "层级取[tiers] segments中第一条符合的规则，按层级的价值排序判断升降；"
            "层级变化与{before}重新计算的层级比较。"
        ),
        "quintiles": "{dimensions}按当天客户中排名的五分位（数值相同者取较低的分）",
        "edges_up": "{dimension}按固定分界[{edges}]（分别为2至5分的起点）",
        "edges_down": "{dimension}按固定分界[{edges}]天（分别为5至2分的最后一天）",
        "few_scores": "此处F分只有{scores}几档：{share}的客户只在一天下过单，数值相同者得分相同；"
        "可用[tiers] frequency设定固定分界。",
        "segment_only": "只含客户类型为{values}的客户。",
        "ignored": "{dimensions}的筛选不适用于订单，已忽略。",
    },
}


def tiers_view(warehouse: Warehouse, settings: Settings, lang: str, scope: Scope) -> ActionView:
    """The loyalty tiers as of the scope's last day (default: the last order day), for the
    customers of the scope's segment filter where one is given."""
    segments = scope.filters.get("segment") or None
    with warehouse.connect(read_only=True) as con:
        tiers = loyalty_tiers(con, settings, until=scope.last, segments=segments)
    ignored = sorted(d for d, values in scope.filters.items() if values and d != "segment")
    return build_view(tiers, lang, settings.currency, segments, ignored)


def build_view(
    tiers: LoyaltyTiers,
    lang: str,
    currency: str,
    segments: list[str] | None = None,
    ignored: list[str] | None = None,
) -> ActionView:
    """The view of tiers already computed (the CLI computes them once for view and lists)."""
    lang = "zh" if lang == "zh" else "en"
    words = WORDS[lang]
    names = tier_names(tiers, lang)
    days = {"day": tiers.as_of.isoformat(), "before": tiers.previous_end.isoformat()}

    lines = [
        _value_line(tiers, names, words, days),
        *_call_line(tiers, names, words, days, currency),
        *_move_lines(tiers, names, words, days, currency),
        *_first_line(tiers, names, words, days),
    ]
    tables = [
        _summary_table(tiers, names, words, days),
        _moves_table(tiers, names, words, days),
        *_call_table(tiers, names, words, days),
    ]
    return ActionView(
        key="tiers",
        title=action_title("tiers", lang),
        lang=lang,
        lines=lines,
        tables=tables,
        figures=[_sizes_figure(tiers, names, words), _moves_figure(tiers, names, words, days)],
        method=_method(tiers, words, days, segments, ignored or []),
        covering=words["covering"].format(**days),
    )


def tier_names(tiers: LoyaltyTiers, lang: str) -> dict[str, str]:
    """Tier key (its English name) → the name the reader sees, ``NOT_YET`` included."""
    names = {s["name"]: s["name_zh"] if lang == "zh" else s["name"] for s in tiers.segments}
    return {**names, NOT_YET: WORDS["zh" if lang == "zh" else "en"]["not_yet"]}


def _percent(value: float) -> str:
    return f"{value:.1%}"


def _customers(n: int, words: dict) -> str:
    """ "1 customer", "2 customers" (the Chinese counts need no plural)."""
    return words["one_customer" if n == 1 else "customers_n"].format(n=n)


def _value_line(tiers: LoyaltyTiers, names: dict, words: dict, days: dict) -> str:
    """The two tiers that hold most of the spend, with their share of customers."""
    summary = tiers.summary.sort_values("spend", ascending=False).head(2)
    parts = [
        (words["value_first"] if i == 0 else words["value_next"]).format(
            tier=words["quoted"].format(names[row.tier]),
            share=_percent(row.share),
            spend_share=_percent(row.spend_share) if pd.notna(row.spend_share) else "—",
            n=len(tiers.customers),
            customers=_customers(len(tiers.customers), words),
            day=days["day"],
        )
        for i, row in enumerate(summary.itertuples())
    ]
    return words["sep"].join(parts) + words["stop"]


def _call_line(
    tiers: LoyaltyTiers, names: dict, words: dict, days: dict, currency: str
) -> list[str]:
    """Whom to call: the customers of the ``call`` tiers, their spend and how long gone;
    a line saying there is nobody when those tiers are empty (no table is shown then)."""
    called = tiers.customers[tiers.customers["tier"].isin(tiers.call)]
    call_tiers = words["and"].join(words["quoted"].format(names[t]) for t in tiers.call)
    if not tiers.call:
        return []
    if called.empty:
        return [words["none_to_call"].format(tiers=call_tiers, day=days["day"])]
    total = tiers.customers["spend"].sum()
    top = min(CALL_ROWS, len(called))
    return [
        words["call"].format(
            tiers=call_tiers,
            n=len(called),
            customers=_customers(len(called), words),
            listed=words["listed_top" if top > 1 else "listed_one"].format(top=top),
            spend=called["spend"].sum(),
            currency=currency,
            spend_share=_percent(called["spend"].sum() / total) if total > 0 else "—",
            days=called["recency_days"].mean(),
        )
    ]


def _move_lines(
    tiers: LoyaltyTiers, names: dict, words: dict, days: dict, currency: str
) -> list[str]:
    """The month's slips that put the most spend at stake, then the move up and the move
    between tiers of equal worth that carried the most. A slip is a move to a tier of larger
    ``rank`` (less worth), a move up one to a smaller rank. The spend is the movers'
    completed spend to date: what the shop stands to lose or keep."""
    rank = {s["name"]: s["rank"] for s in tiers.segments}
    movers = tiers.customers[
        tiers.customers["previous_tier"].notna()
        & (tiers.customers["previous_tier"] != tiers.customers["tier"])
    ]
    if movers.empty:
        return [words["no_moves"].format(**days)]
    moves = (
        movers.groupby(["previous_tier", "tier"])
        .agg(n=("customer_id", "size"), spend=("spend", "sum"))
        .reset_index()
    )
    moves["change"] = moves["tier"].map(rank) - moves["previous_tier"].map(rank)
    by_spend = ["spend", "n", "previous_tier", "tier"]
    moves = moves.sort_values(by_spend, ascending=[False, False, True, True])
    told = [
        ("slipped", moves[moves["change"] > 0].head(SLIPS_TOLD)),
        ("rose", moves[moves["change"] < 0].head(1)),
        ("moved", moves[moves["change"] == 0].head(1)),
    ]
    return [
        words[kind].format(
            n=m.n,
            customers=_customers(m.n, words),
            before=words["quoted"].format(names[m.previous_tier]),
            after=words["quoted"].format(names[m.tier]),
            start=days["before"],
            day=days["day"],
            spend=m.spend,
            currency=currency,
        )
        for kind, chosen in told
        for m in chosen.itertuples()
    ]


def _first_line(tiers: LoyaltyTiers, names: dict, words: dict, days: dict) -> list[str]:
    """How many became customers this month and which tiers they landed in."""
    arrived = tiers.movements.loc[NOT_YET]
    arrived = arrived[arrived > 0].sort_values(ascending=False)
    if arrived.empty:
        return []
    return [
        words["first"].format(
            n=int(arrived.sum()),
            customers=_customers(int(arrived.sum()), words),
            start=days["before"],
            tiers=words["list"].join(
                words["landed"].format(tier=names[t], n=n) for t, n in arrived.items()
            ),
        )
    ]


def _summary_table(tiers: LoyaltyTiers, names: dict, words: dict, days: dict) -> ActionTable:
    """Customers, shares, spend and mean R/F/M per tier."""
    summary = tiers.summary.assign(tier=lambda f: f["tier"].map(names))
    columns = ["tier", "customers", "share", "spend", "spend_share", "recency_days",
               "purchase_days", "r", "f", "m"]  # fmt: skip
    frame = summary[columns].rename(columns={c: words[c] for c in columns})
    kinds = {"customers": "count", "share": "percent", "spend": "money",
             "spend_share": "percent", "recency_days": "number", "purchase_days": "number",
             "r": "number", "f": "number", "m": "number"}  # fmt: skip
    return ActionTable(
        key="tiers_summary",
        title=words["summary_title"].format(**days),
        frame=frame,
        formats={words[c]: kind for c, kind in kinds.items()},
        note=words["summary_note"],
    )


def _moves_table(tiers: LoyaltyTiers, names: dict, words: dict, days: dict) -> ActionTable:
    """The movement matrix with tier names in the reader's language."""
    corner = words["moves_corner"].format(**days)
    matrix = tiers.movements.rename(index=names, columns=names)
    frame = matrix.rename_axis(index=corner, columns=None).reset_index()
    return ActionTable(
        key="tiers_movements",
        title=words["moves_title"].format(**days),
        frame=frame,
        formats={str(c): "count" for c in matrix.columns},
        note=words["moves_note"],
    )


def _call_table(tiers: LoyaltyTiers, names: dict, words: dict, days: dict) -> list[ActionTable]:
    """The biggest spenders of the tiers to call."""
    called = tiers.customers[tiers.customers["tier"].isin(tiers.call)]
    if called.empty:
        return []
    top = called.sort_values(["spend", "customer_id"], ascending=[False, True]).head(CALL_ROWS)
    top = top.assign(
        tier=top["tier"].map(names),
        previous_tier=top["previous_tier"].map(names),
    )
    headers = {
        "customer_id": words["customer"],
        "name": words["name"],
        "tier": words["tier"],
        "recency_days": words["days"],
        "purchase_days": words["purchases"],
        "spend": words["spend"],
        "last_order": words["last_order"],
        "previous_tier": words["previous"].format(**days),
    }
    frame = top[list(headers)].rename(columns=headers)
    if top["name"].isna().all():
        frame = frame.drop(columns=[words["name"]])
    return [
        ActionTable(
            key="tiers_call",
            title=words["call_title"].format(tiers=words["and"].join(names[t] for t in tiers.call)),
            frame=frame.reset_index(drop=True),
            formats={
                words["days"]: "count",
                words["purchases"]: "count",
                words["spend"]: "money",
                words["last_order"]: "date",
            },
            note=words["call_note"],
        )
    ]


def _sizes_figure(tiers: LoyaltyTiers, names: dict, words: dict) -> Any:
    """Share of customers and share of spend per tier, side by side."""
    import plotly.graph_objects as go

    summary = tiers.summary
    labels = summary["tier"].map(names)
    figure = go.Figure(
        [
            go.Bar(name=words["customers"], x=labels, y=summary["share"],
                   customdata=summary["customers"],
                   hovertemplate="%{x}: %{customdata:,} (%{y:.1%})<extra></extra>"),
            go.Bar(name=words["spend"], x=labels, y=summary["spend_share"],
                   customdata=summary["spend"],
                   hovertemplate="%{x}: %{customdata:,.2f} (%{y:.1%})<extra></extra>"),
        ]
    )  # fmt: skip
    figure.update_layout(
        title=words["sizes_title"], barmode="group", yaxis={"title": words["sizes_axis"],
        "tickformat": ".0%"}, height=380, margin={"l": 60, "r": 20, "t": 50, "b": 80},
    )  # fmt: skip
    return figure


def _moves_figure(tiers: LoyaltyTiers, names: dict, words: dict, days: dict) -> Any:
    """The movement matrix as a heatmap, counts written in the cells."""
    import plotly.graph_objects as go

    matrix = tiers.movements
    figure = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=[names[c] for c in matrix.columns],
            y=[names[i] for i in matrix.index],
            text=matrix.to_numpy(),
            texttemplate="%{text:,}",
            colorscale="Blues",
            hovertemplate="%{y} → %{x}: %{z:,}<extra></extra>",
        )
    )
    figure.update_layout(
        title=words["moves_title"].format(**days),
        xaxis={"title": words["heatmap_x"].format(**days)},
        yaxis={"title": words["heatmap_y"].format(**days), "autorange": "reversed"},
        height=420,
        margin={"l": 140, "r": 20, "t": 50, "b": 100},
    )
    return figure


def _method(
    tiers: LoyaltyTiers,
    words: dict,
    days: dict,
    segments: list[str] | None,
    ignored: list[str],
) -> str:
    """How the tiers were made, which settings, and what the scope changed."""
    text = words["method"].format(scoring=_scoring(tiers, words), **days)
    scores = sorted(tiers.customers["f"].unique())
    if tiers.scoring["frequency"] == QUINTILES and len(scores) < 5:
        once = (tiers.customers["purchase_days"] == 1).mean()
        text += words["few_scores"].format(
            scores=words["list"].join(map(str, scores)), share=_percent(once)
        )
    if segments:
        text += words["segment_only"].format(values=", ".join(segments))
    if ignored:
        text += words["ignored"].format(dimensions=", ".join(ignored))
    return text


def _scoring(tiers: LoyaltyTiers, words: dict) -> str:
    """How each of R, F and M was scored: the fixed edges, then the quintile dimensions."""
    letters = {"recency_days": "R", "frequency": "F", "monetary": "M"}
    parts = [
        words["edges_down" if key == "recency_days" else "edges_up"].format(
            dimension=letters[key], edges=", ".join(f"{edge:g}" for edge in how)
        )
        for key, how in tiers.scoring.items()
        if how != QUINTILES
    ]
    ranked = [letters[key] for key, how in tiers.scoring.items() if how == QUINTILES]
    if ranked:
        parts.append(words["quintiles"].format(dimensions=words["and"].join(ranked)))
    return words["sep"].join(parts)


def campaign_lists(tiers: LoyaltyTiers, lang: str) -> dict[str, pd.DataFrame]:
    """File name → list for campaigns: ``tiers.csv`` with every customer, then one
    ``tier_<name>.csv`` per tier with customers (named from the tier's English name).

    Columns: customer_id, the contact columns the warehouse has (name, email, phone),
    tier, r, f, m, recency_days, purchase_days, orders, spend, last_order (YYYY-MM-DD),
    previous_tier; tier names in ``lang``. Rows by spend, largest first.
    """
    names = tier_names(tiers, lang)
    customers = tiers.customers.sort_values(["spend", "customer_id"], ascending=[False, True])
    contacts = [c for c in ("name", "email", "phone") if customers[c].notna().any()]
    every = customers.assign(
        tier_name=customers["tier"].map(names),
        previous_tier=customers["previous_tier"].map(names),
        last_order=customers["last_order"].map(date.isoformat),
    )
    columns = ["customer_id", *contacts, "tier_name", "r", "f", "m", "recency_days",
               "purchase_days", "orders", "spend", "last_order", "previous_tier"]  # fmt: skip
    lists = {"tiers.csv": every[columns].rename(columns={"tier_name": "tier"})}
    used: set[str] = set()
    for number, segment in enumerate(tiers.segments, start=1):
        members = every[every["tier"] == segment["name"]]
        if members.empty and segment["name"] == FALLBACK["name"]:
            continue
        slug = re.sub(r"[^0-9a-z]+", "_", segment["name"].lower()).strip("_") or str(number)
        slug = slug if slug not in used else f"{slug}_{number}"
        used.add(slug)
        lists[f"tier_{slug}.csv"] = members[columns].rename(columns={"tier_name": "tier"})
    return lists


def find_tier(tiers: LoyaltyTiers, name: str) -> str | None:
    """The tier key whose English or Chinese name is ``name`` (case aside), if any."""
    wanted = name.strip().casefold()
    for segment in tiers.segments:
        if wanted in (segment["name"].casefold(), segment["name_zh"].casefold()):
            return segment["name"]
    return None
