"""The KPI catalogue: stable ids, one definition each (en and zh), and what data each needs.

The order here is the order of ``cxlens kpis`` output. A KPI is computed when every
column in ``needs`` exists and holds at least one value, and, when ``needs_any`` is
given, at least one of those does. ``dimensions`` lists the ``--by`` dimensions the
KPI can be split by; a request naming another dimension leaves the KPI out.
"""

from __future__ import annotations

from dataclasses import dataclass

TICKET_DIMENSIONS = ("channel", "category", "priority", "agent", "team", "segment")
SURVEY_DIMENSIONS = TICKET_DIMENSIONS
CUSTOMER_DIMENSIONS = ("segment",)


@dataclass(frozen=True)
class Kpi:
    """One catalogue entry."""

    id: str
    unit: str  # count | rate | points | minutes | score | money
    period_by: str
    en: str
    zh: str
    needs: tuple[str, ...] = ()
    needs_any: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = TICKET_DIMENSIONS
    implemented: bool = True


def _durations(stem: str, period_by: str, en: str, zh: str, needs: tuple[str, ...], **kw):
    names = {
        "median": ("median", "中位数"),
        "p90": ("90th percentile", "90 分位"),
        "mean": ("mean", "均值"),
    }
    return [
        Kpi(f"{stem}_{stat}_min", "minutes", period_by, f"{en} ({label_en}, minutes)",
            f"{zh}（{label_zh}，分钟）", needs, **kw)
        for stat, (label_en, label_zh) in names.items()
    ]  # fmt: skip


_ENTRIES: list[Kpi] = [
    Kpi("tickets", "count", "created",
        "Tickets created (merged tickets excluded)",
        "新建工单数（不含被合并的工单）",
        needs=("tickets.created_at_local",)),
    Kpi("backlog", "count", "period end",
        "Tickets open at the period's end: created by then and not solved by then (merged excluded)",
        "期末积压工单数：期末前创建且期末时尚未解决（不含被合并的工单）",
        needs=("tickets.created_at_local",)),
    Kpi("csat", "rate", "response",
        "Satisfied responses / answered CSAT responses (unanswered and invalid excluded)",
        "满意回复数 / 有效 CSAT 回复数（未作答与无效分值除外）",
        needs=("survey_responses.responded_at_local", "survey_responses.kind=csat"), dimensions=SURVEY_DIMENSIONS),
    Kpi("csat_mean", "score", "response",
        "Mean CSAT score on its own scale",
        "CSAT 平均分（按原量表）",
        needs=("survey_responses.responded_at_local", "survey_responses.kind=csat"), dimensions=SURVEY_DIMENSIONS),
    Kpi("nps", "points", "response",
        "100 × (promoters 9–10 − detractors 0–6) / valid responses; only integers 0–10 are valid",
        "100 ×（推荐者 9–10 − 贬损者 0–6）/ 有效回复数；仅 0–10 的整数有效",
        needs=("survey_responses.responded_at_local", "survey_responses.kind=nps"), dimensions=SURVEY_DIMENSIONS),
    Kpi("ces", "score", "response",
        "Mean customer effort score; direction per [ces] higher_is_easier",
        "客户费力度平均分；方向见 [ces] higher_is_easier",
        needs=("survey_responses.responded_at_local", "survey_responses.kind=ces"), dimensions=SURVEY_DIMENSIONS),
    Kpi("survey_response_rate", "rate", "send",
        "Responses / surveys sent, both by the send's period (only where sends are known)",
        "回复数 / 发送数，均按发送期间计（仅在已知发送记录时）",
        needs=("survey_responses.sent_at_local",), dimensions=SURVEY_DIMENSIONS),
    *_durations("first_response", "created",
                "Ticket creation to the first public reply by a human agent",
                "从创建到首次人工公开回复的时长",
                ("tickets.first_response_min",)),
    *_durations("first_response_business", "created",
                "First response time counted in business hours ([business_hours])",
                "首次响应时长，仅计工作时间（[business_hours]）",
                ("tickets.first_response_business_min",)),
    Kpi("first_any_response_median_min", "minutes", "created",
        "Ticket creation to the first public reply of anyone, bots included (median, minutes)",
        "从创建到任何一方（含机器人）首次公开回复的时长（中位数，分钟）",
        needs=("tickets.first_any_response_min",)),
    *_durations("resolution", "solved",
                "Creation to the latest solve (merged tickets excluded)",
                "从创建到最近一次解决的时长（不含被合并的工单）",
                ("tickets.resolution_min", "tickets.solved_at_local")),
    *_durations("resolution_business", "solved",
                "Resolution time counted in business hours ([business_hours])",
                "解决时长，仅计工作时间（[business_hours]）",
                ("tickets.resolution_business_min", "tickets.solved_at_local")),
    Kpi("first_resolution_median_min", "minutes", "first solved",
        "Creation to the first solve (median, minutes)",
        "从创建到首次解决的时长（中位数，分钟）",
        needs=("tickets.first_resolution_min", "tickets.first_solved_at_local")),
    Kpi("fcr", "rate", "solved",
        "Solved tickets with no reopen and at most one agent reply (or one customer contact "
        "where contacts are known) / solved tickets",
        "未重开且至多一次客服回复（已知联系次数时为至多一次客户联系）的已解决工单 / 已解决工单",
        needs=("tickets.solved_at_local",),
        needs_any=("tickets.agent_replies", "tickets.customer_contacts")),
    Kpi("reopen_rate", "rate", "solved",
        "Solved tickets reopened at least once / solved tickets",
        "至少重开一次的已解决工单 / 已解决工单",
        needs=("tickets.solved_at_local", "tickets.reopens")),
    Kpi("sla_first_response", "rate", "target due",
        "Tickets answered (or solved) within the first-response target / tickets whose "
        "target fell due",
        "在首次响应目标内回复（或解决）的工单 / 目标时限到期的工单",
        needs=("tickets.created_at_local", "tickets.first_response_min")),
    Kpi("sla_next_response", "rate", "target due",
        "Customer messages answered (or the ticket solved) within the next-response target / "
        "next-response targets that fell due",
        "在后续响应目标内回复（或解决）的客户消息 / 目标时限到期的后续响应",
        needs=("tickets.created_at_local", "sla_clocks.metric=next_response")),
    Kpi("sla_resolution", "rate", "target due",
        "Tickets solved within the resolution target (time waiting on the customer excluded) / "
        "tickets whose target fell due",
        "在解决目标内解决的工单（不计等待客户的时间）/ 目标时限到期的工单",
        needs=("tickets.created_at_local", "sla_clocks.metric=resolution")),
    Kpi("answer_rate", "rate", "created",
        "Answered calls / calls",
        "接通电话数 / 来电数",
        needs=("tickets.answered",)),
    Kpi("churn_rate", "rate", "churn date",
        "Customers lost in the period / customers active at its start (contractual from "
        "subscriptions, else non-contractual from orders and the churn window)",
        "期内流失客户数 / 期初活跃客户数（有订阅数据时按合同计，否则按订单与流失窗口计）",
        needs_any=("subscriptions.started_at_local", "orders.ordered_at_local"),
        dimensions=CUSTOMER_DIMENSIONS),
    Kpi("retention_rate", "rate", "churn date",
        "1 − churn rate over the same customers",
        "1 − 同口径客户流失率",
        needs_any=("subscriptions.started_at_local", "orders.ordered_at_local"),
        dimensions=CUSTOMER_DIMENSIONS),
    Kpi("clv_historical_mean", "money", "all data",
        "Mean net revenue per customer to date (completed minus refunded; cancelled excluded)",
        "截至目前每位客户的平均净收入（已完成减去已退款；不含已取消）",
        needs=("orders.amount", "orders.customer_id"), dimensions=CUSTOMER_DIMENSIONS),
    Kpi("clv_predicted_mean", "money", "all data",
        "Mean predicted value over the horizon (BG/NBD × Gamma-Gamma, discounted)",
        "预测期内的平均预测价值（BG/NBD × Gamma-Gamma，折现）",
        needs=("orders.amount", "orders.customer_id"), dimensions=CUSTOMER_DIMENSIONS),
]  # fmt: skip

KPIS: dict[str, Kpi] = {kpi.id: kpi for kpi in _ENTRIES}
