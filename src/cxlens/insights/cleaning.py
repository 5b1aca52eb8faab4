"""The cleaning log and data-quality flags in the reader's language.

The clean step logs each rule with a stable id (``rule``) and an English
description, sometimes ending in a detail of this run: the region phones were
read in, the project currency, how many customers survived a merge, the
unrecognised values. A Chinese report shows each known rule in Chinese, with
that detail carried over; a rule this module does not know keeps its English
description rather than show nothing. Rule ids: docs/cleaning.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxlens.insights.labels import check_language

# What follows ": " at the end of a description: the values a rule did not recognise.
VALUES = r": (?P<values>[^:]+)$"
ONE_OF = r"one of: (?P<values>.+)$"


@dataclass(frozen=True)
class RuleText:
    """A rule's Chinese description: ``plain`` always fits; ``detailed`` needs ``pattern``.

    ``pattern`` reads the run's detail out of the English description; when it
    matches, ``detailed`` is filled from its named groups.
    """

    plain: str
    pattern: str | None = None
    detailed: str | None = None

    def text(self, english: str) -> str:
        match = re.search(self.pattern, english or "") if self.pattern else None
        if match is None or self.detailed is None:
            return self.plain
        return self.detailed.format(**match.groupdict())


def _impossible(what: str, column: str) -> RuleText:
    return RuleText(f"不可能的时长（{what}）：{column}置为空，行保留并加质量标记")


RULES_ZH: dict[str, RuleText] = {
    "exact_duplicates": RuleText("与另一行所有标准字段完全相同的行；只保留一份"),
    "key_duplicates": RuleText(
        "同一主键再次交付的旧版本；以最近导入的批次为准，其次取文件中的最后一行"
    ),
    "missing_key": RuleText("主键为空的行；无法与其他行匹配，予以保留"),
    "email_standardised": RuleText("邮箱去除首尾空格并转为小写（空白视为空值）；点号和 +标签保留"),
    "phone_standardised": RuleText(
        "电话号码统一为 E.164 格式；无国家代码的号码按项目所在地区解读",
        r"region (?P<region>\S+)$",
        "电话号码统一为 E.164 格式；无国家代码的号码按地区 {region} 解读",
    ),
    "phone_unrecognised": RuleText(
        "无法识别为有效号码的电话，按原样保留（去除首尾空格）",
        VALUES,
        "无法识别为有效号码的电话，按原样保留（去除首尾空格）：{values}",
    ),
    "customers_merged": RuleText(
        "标准化后邮箱或电话相同的客户合并，保留最早创建者（其次为编号最小者）；"
        "示例为“被合并→保留”；customer_aliases 记录新旧编号",
        r"merged into (?P<survivors>\d+) survivor",
        "标准化后邮箱或电话相同的客户合并为 {survivors} 位保留客户，保留最早创建者"
        "（其次为编号最小者）；示例为“被合并→保留”；customer_aliases 记录新旧编号",
    ),
    "customer_repointed": RuleText("已合并客户的 customer_id 改为保留客户的编号"),
    "channel_standardised": RuleText("渠道名称及中英文同义词统一为标准渠道代码"),
    "channel_unknown": RuleText(
        "无法识别的渠道名称设为“其他”，原文保存在 attributes.channel_original",
        VALUES,
        "无法识别的渠道名称设为“其他”，原文保存在 attributes.channel_original：{values}",
    ),
    "priority_standardised": RuleText(
        "优先级统一为 urgent、high、normal、low 之一",
        ONE_OF,
        "优先级统一为以下之一：{values}",
    ),
    "priority_unknown": RuleText(
        "无法识别的优先级，转为小写后保留", VALUES, "无法识别的优先级，转为小写后保留：{values}"
    ),
    "status_standardised": RuleText("状态统一为标准状态", ONE_OF, "状态统一为以下之一：{values}"),
    "status_unknown": RuleText(
        "无法识别的状态，转为小写后保留", VALUES, "无法识别的状态，转为小写后保留：{values}"
    ),
    "status_default": RuleText("无状态的订单视为已完成（completed）"),
    "solved_at_from_closed_at": RuleText("已关闭但无解决时间的工单，以关闭时间作为解决时间"),
    "first_response_from_events": RuleText(
        "有工单事件的工单，其首次响应时长按事件计算（重开或机器人转人工后重新计时，机器人回复与内部备注不计）；"
        "计数为与工单列数值不同的工单"
    ),
    "first_response_minutes_disagree": RuleText(
        "导出的首次响应分钟数与时间戳相差超过一分钟；以时间戳为准"
    ),
    "resolution_minutes_disagree": RuleText("导出的解决分钟数与时间戳相差超过一分钟；以时间戳为准"),
    "first_response_before_creation": _impossible("首次响应早于创建时间", "首次响应时长"),
    "negative_first_response_minutes": _impossible("导出的首次响应分钟数为负", "首次响应时长"),
    "resolution_before_creation": _impossible("解决早于创建时间", "解决时长"),
    "negative_resolution_minutes": _impossible("导出的解决分钟数为负", "解决时长"),
    "resolution_before_first_response": _impossible("解决时长短于首次响应时长", "解决时长"),
    "merged_ticket": RuleText(
        "已合并到其他工单的工单（merged_into 有值或状态为 merged）；保留并标记 is_merged，"
        "指标计算时排除"
    ),
    "first_solved_at_from_events": RuleText("首次解决时间取自工单事件；计数：事件改变了取值的工单"),
    "solved_at_from_events": RuleText(
        "解决时间取自工单事件（当前有效的解决）；计数：事件改变了取值的工单"
    ),
    "reopens_from_events": RuleText("重开次数取自工单事件；计数：事件改变了取值的工单"),
    "agent_replies_from_events": RuleText("客服回复数取自工单事件；计数：事件改变了取值的工单"),
    "customer_contacts_from_events": RuleText(
        "客户联络次数取自工单事件（连续的客户消息算一次）；计数：事件改变了取值的工单"
    ),
    "merged_from_events": RuleText("工单事件中有合并记录的工单；标记 is_merged，指标计算时排除"),
    "first_response_agent_from_events": RuleText(
        "首次响应归属首位公开回复的客服（工单事件）；计数：该客服不是当前负责人的工单"
    ),
    "solved_by_agent_from_events": RuleText(
        "解决归属执行解决操作的客服（工单事件；机器人或系统解决不归属任何客服）；"
        "计数：该客服不是当前负责人的已解决工单"
    ),
    "agent_name_to_id_tickets": RuleText("负责客服写的是姓名而非编号；按客服表改为编号"),
    "agent_name_ambiguous_tickets": RuleText("负责客服姓名对应多名客服；保留原值"),
    "agent_name_to_id_survey_responses": RuleText("评分客服写的是姓名而非编号；按客服表改为编号"),
    "agent_name_ambiguous_survey_responses": RuleText("评分客服姓名对应多名客服；保留原值"),
    "agent_name_to_id_ticket_events": RuleText("事件中的客服写的是姓名而非编号；按客服表改为编号"),
    "agent_name_ambiguous_ticket_events": RuleText("事件中的客服姓名对应多名客服；保留原值"),
    "agent_id_from_events": RuleText(
        "评分归属调查前最后服务该工单的客服（工单事件）；计数：客服编号因此改变的回复"
    ),
    "scale_min_from_kind": RuleText(
        "缺少量表下限；按问卷类型使用默认量表（CSAT 1–5、NPS 0–10、CES 1–7）"
    ),
    "scale_max_from_kind": RuleText(
        "缺少量表上限；按问卷类型使用默认量表（CSAT 1–5、NPS 0–10、CES 1–7）"
    ),
    "agent_id_from_ticket": RuleText("缺少客服编号；取自关联工单"),
    "channel_from_ticket": RuleText("缺少渠道；取自关联工单"),
    "currency_standardised": RuleText("货币代码去除首尾空格并转为大写"),
    "currency_default": RuleText(
        "无货币的订单使用项目货币",
        r"\((?P<currency>[^()]+)\)$",
        "无货币的订单使用项目货币（{currency}）",
    ),
    "ended_before_started": RuleText("结束早于开始的订阅：日期保留，并在 quality_flags 中标记"),
}

TABLE_NAMES: dict[str, dict[str, str]] = {
    "tickets": {"en": "Tickets", "zh": "工单"},
    "ticket_events": {"en": "Ticket events", "zh": "工单事件"},
    "survey_responses": {"en": "Survey responses", "zh": "问卷回复"},
    "customers": {"en": "Customers", "zh": "客户"},
    "orders": {"en": "Orders", "zh": "订单"},
    "order_lines": {"en": "Order lines", "zh": "订单明细"},
    "comments": {"en": "Comments", "zh": "评论"},
    "agents": {"en": "Agents", "zh": "客服"},
    "subscriptions": {"en": "Subscriptions", "zh": "订阅"},
}

FLAG_NAMES: dict[str, dict[str, str]] = {
    "first_response_before_creation": {
        "en": "First response before creation",
        "zh": "首次响应早于创建时间",
    },
    "negative_first_response_minutes": {
        "en": "Negative first-response minutes in the export",
        "zh": "导出的首次响应分钟数为负",
    },
    "resolution_before_creation": {"en": "Solved before creation", "zh": "解决早于创建时间"},
    "negative_resolution_minutes": {
        "en": "Negative resolution minutes in the export",
        "zh": "导出的解决分钟数为负",
    },
    "resolution_before_first_response": {
        "en": "Resolution shorter than first response",
        "zh": "解决时长短于首次响应时长",
    },
    "ended_before_started": {"en": "Ended before it started", "zh": "结束早于开始"},
}


def rule_description(rule: str, english: str, lang: str) -> str:
    """The description of cleaning rule ``rule`` in ``lang``.

    ``english`` is the description the clean step logged; it is the English text,
    and the fallback for a rule id this module does not know.
    """
    if check_language(lang) == "en" or rule not in RULES_ZH:
        return english
    return RULES_ZH[rule].text(english)


def table_name(name: str, lang: str) -> str:
    """A warehouse table's name as a reader sees it; the raw name if unknown."""
    names = TABLE_NAMES.get(name)
    return names[check_language(lang)] if names else name


def flag_name(flag: str, lang: str) -> str:
    """A data-quality flag as a reader sees it; the flag itself if unknown."""
    names = FLAG_NAMES.get(flag)
    return names[check_language(lang)] if names else flag
