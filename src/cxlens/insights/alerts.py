"""The alerts as a reader sees them: the fired alerts in sentences, a table of every rule
and the webhook's message, in Chinese or English.

The rules and their evaluation are ``cxlens.insights.alert_rules``; this module turns its one
``AlertResult`` into the ``ActionView`` that the CLI, ``cxlens run``, the report and the
dashboard render, and into the JSON the webhook posts, its sentences in the reader's
language.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxlens.insights.actions import ActionTable, ActionView, Scope, action_title
from cxlens.insights.alert_rules import (
    NO_DATA,
    PERIODS,
    AlertResult,
    Check,
    Rule,
    check_alerts,
    check_settings,
    redacted,
    send_webhook,
)
from cxlens.insights.catalogue import MINUTES, POINTS, RATE
from cxlens.insights.catalogue import view as kpi_view
from cxlens.insights.formatting import format_change, format_value, is_missing
from cxlens.insights.labels import dimension_value, kpi_name
from cxlens.insights.labels import label as report_label

TOPIC_ROWS_SHOWN = 5  # topics that did not fire, shown under a topic rule in the table


# --- the view ------------------------------------------------------------------------------


WORDS: dict[str, dict[str, str]] = {
    "drop": {"en": "{kpi} fell from {previous} to {value} ({change}) in {period} against "
                   "{previous_period}{n}",
             "zh": "{kpi}在 {period} 由 {previous} 降至 {value}（{change}，对比 {previous_period}"
                   "{n}）"},
    "rise": {"en": "{kpi} rose from {previous} to {value} ({change}) in {period} against "
                   "{previous_period}{n}",
             "zh": "{kpi}在 {period} 由 {previous} 升至 {value}（{change}，对比 {previous_period}"
                   "{n}）"},
    "below": {"en": "{kpi} was {value} in {period}, below {threshold}{n}",
              "zh": "{kpi}在 {period} 为 {value}，低于 {threshold}{n}"},
    "above": {"en": "{kpi} was {value} in {period}, above {threshold}{n}",
              "zh": "{kpi}在 {period} 为 {value}，高于 {threshold}{n}"},
    "growth": {"en": "Negative comments on “{topic}” grew from {previous} to {value} in {period}",
               "zh": "主题“{topic}”的负面评论在 {period} 由 {previous} 条增至 {value} 条"},
    "n": {"en": ", n {n}", "zh": "，样本 {n}"},
    "interval": {"en": ", 95 % interval {interval}", "zh": "，95% 置信区间 {interval}"},
    "fired_tail": {"en": ": rule {number} ({rule}) fired.", "zh": "，触发规则 {number}（{rule}）。"},
    "group": {"en": "{dimension} {value}: ", "zh": "{dimension}“{value}”："},
    "none_fired": {"en": "Rules checked: {rules}; none fired.",
                   "zh": "共检查 {rules} 条规则，均未触发。"},
    "some_fired": {"en": "Rules checked: {rules}; fired: {fired}.",
                   "zh": "共检查 {rules} 条规则，{fired} 条触发。"},
    "none_fired_of": {"en": "Rules checked: {checked} of {rules}; none fired.",
                      "zh": "共 {rules} 条规则，检查了 {checked} 条，均未触发。"},
    "some_fired_of": {"en": "Rules checked: {checked} of {rules}; fired: {fired}.",
                      "zh": "共 {rules} 条规则，检查了 {checked} 条，{fired} 条触发。"},
    "none_checked": {"en": "None of the {rules} rules could be checked.",
                     "zh": "{rules} 条规则均无法检查。"},
    "none_checked_one": {"en": "The one rule could not be checked.",
                         "zh": "唯一的一条规则无法检查。"},
    "no_rules": {"en": "No alert rules are set (rules = [] in the alerts section).",
                 "zh": "未设置预警规则（[alerts] 中 rules = []）。"},
    "covering": {"en": "{period} {label} against {previous}",
                 "zh": "{label}{period}对比 {previous}"},
    "webhook_sent": {"en": "Webhook: {count} alert sent to {where}",
                     "zh": "已向 {where} 发送 {count} 条预警"},
    "webhook_sent_many": {"en": "Webhook: {count} alerts sent to {where}",
                          "zh": "已向 {where} 发送 {count} 条预警"},
    "alerts_in_all": {"en": " Alerts in all: {alerts} (one per group or topic).",
                      "zh": "共 {alerts} 条预警（每个分组或主题一条）。"},
    "reason_no_kpi_data": {"en": "no {kpi} data in {period} or {previous_period}",
                           "zh": "{period} 或 {previous_period} 没有{kpi}数据"},
    "reason_no_kpi_current": {"en": "no {kpi} data in {period}",
                              "zh": "{period} 没有{kpi}数据"},
    "reason_no_kpi_previous": {"en": "no {kpi} data in {previous_period} to compare with",
                               "zh": "{previous_period} 没有可供对比的{kpi}数据"},
    "reason_no_text_model": {"en": "the complaint-topic model is not installed",
                             "zh": "未安装投诉主题模型"},
    "reason_no_comments": {"en": "no comments in {period} or {previous_period}",
                           "zh": "{period} 或 {previous_period} 没有评论"},
    "unchecked": {"en": "Rule {number} ({rule}) was not checked: {reason}.",
                  "zh": "规则 {number}（{rule}）未检查：{reason}。"},
    "rule_drop": {"en": "{kpi} down {threshold} or more, {period} on {period}{noise}",
                  "zh": "{kpi}{period}环比下降 {threshold}及以上{noise}"},
    "rule_rise": {"en": "{kpi} up {threshold} or more, {period} on {period}{noise}",
                  "zh": "{kpi}{period}环比上升 {threshold}及以上{noise}"},
    "rule_below": {"en": "{kpi} under {threshold} in a {period}{noise}",
                   "zh": "{kpi}按{period}低于 {threshold}{noise}"},
    "rule_above": {"en": "{kpi} over {threshold} in a {period}{noise}",
                   "zh": "{kpi}按{period}高于 {threshold}{noise}"},
    "rule_growth": {"en": "a topic's negative comments × {threshold} week on week, "
                          "at least {min_count}",
                    "zh": "某主题负面评论周环比增至 {threshold} 倍及以上，且至少 {min_count} 条"},
    "rule_by": {"en": ", per {dimension}", "zh": "，按{dimension}分别检查"},
    "beyond_noise": {"en": ", beyond noise", "zh": "，且超出误差范围"},
    "week": {"en": "week", "zh": "周"},
    "month": {"en": "month", "zh": "月"},
    "state_fired": {"en": "FIRED", "zh": "触发"},
    "state_quiet": {"en": "not fired", "zh": "未触发"},
    "state_noise": {"en": "within noise", "zh": "在误差范围内"},
    "state_too_few": {"en": "too few records", "zh": "样本不足"},
    "state_no_data": {"en": "not checked", "zh": "未检查"},
    "col_rule": {"en": "Rule", "zh": "规则"},
    "col_condition": {"en": "Condition", "zh": "条件"},
    "col_group": {"en": "Group", "zh": "分组"},
    "col_period": {"en": "Period", "zh": "期间"},
    "col_value": {"en": "Value", "zh": "本期"},
    "col_previous": {"en": "Previous", "zh": "上期"},
    "col_change": {"en": "Change", "zh": "变化"},
    "col_unit": {"en": "Unit", "zh": "单位"},
    "col_n": {"en": "n", "zh": "样本数"},
    "col_status": {"en": "Status", "zh": "状态"},
    "unit_rate": {"en": "%", "zh": "%"},
    "unit_points": {"en": "points", "zh": "分"},
    "unit_minutes": {"en": "min", "zh": "分钟"},
    "unit_comments": {"en": "negative comments", "zh": "条负面评论"},
    "topic": {"en": "Topic", "zh": "主题"},
    "all": {"en": "all", "zh": "全部"},
    "table_title": {"en": "Alert rules", "zh": "预警规则"},
    "table_note": {
        "en": "Rates in %, changes of rates in percentage points. Topic rules list the "
              "topics that fired and the largest others.",
        "zh": "比率以 % 表示，比率的变化以百分点表示。主题规则列出触发的主题及负面评论最多的其他主题。"},
    "method": {
        "en": "Each rule compares the latest complete period ending on or before {as_of} "
              "with the one before ({spans}), with KPIs from the KPI engine{filters}. "
              "“Beyond noise” is the report's test: a change counts when it exceeds 1.96 × "
              "the combined standard error read off both periods' 95 % intervals (medians, "
              "percentiles and counts: at least 10 % of the earlier value); a level beyond "
              "noise needs its whole interval past the threshold. Rules: [alerts] in "
              "cxlens.toml.{first_day}",
        "zh": "每条规则比较截至 {as_of} 的最近一个完整期间与其上一期间（{spans}），指标来自统一的指标引擎"
              "{filters}。“超出误差范围”沿用月报的判断：变化超过两期 95% 置信区间推得的合并标准误的 "
              "1.96 倍才计入（中位数、百分位数和计数没有区间，变化达到上期值的 10% 才计入）；"
              "水平类规则要求整个置信区间越过阈值。规则见 cxlens.toml 的 [alerts]。{first_day}"},
    "first_day": {"en": " Alerts look at the window's last day only, not at its first.",
                  "zh": "预警只看筛选窗口的最后一天，不看起始日。"},
    "filters": {"en": ", filtered to {filters}", "zh": "，筛选条件：{filters}"},
    "span": {"en": "{period} {label}, {first} to {last}, against {previous}",
             "zh": "{period}：{label}，{first} 至 {last}，对比 {previous}"},
}  # fmt: skip


def word(key: str, lang: str, **values: Any) -> str:
    text = WORDS[key]["zh" if lang == "zh" else "en"]
    return text.format(**values) if values else text


def alerts_view(warehouse: Any, settings: Any, lang: str, scope: Scope) -> ActionView:
    """The alerts as a reader sees them: fired alerts first, then how many rules ran."""
    return view_of(check_alerts(warehouse, settings, scope), settings, lang, scope)


def view_of(
    result: AlertResult, settings: Any, lang: str, scope: Scope | None = None
) -> ActionView:
    """The ``ActionView`` of an already computed result (the CLI renders and exits on it)."""
    fired = result.fired
    lines = [_fired_sentence(check, lang, settings) for check in fired]
    lines.append(_count_sentence(result, lang))
    lines += [
        word("unchecked", lang, number=check.rule.number,
             rule=rule_text(check.rule, lang, settings), reason=reason_text(check, lang))
        for check in result.checks
        if check.state == NO_DATA and check.reason
    ]  # fmt: skip
    return ActionView(
        key="alerts",
        title=action_title("alerts", lang),
        lang=lang,
        lines=lines,
        tables=[table for table in [_rules_table(result, settings, lang)] if len(table.frame)],
        method=_method(result, lang, scope or Scope()),
        fired=bool(fired),
        covering=covering(result, lang),
    )


def _count_sentence(result: AlertResult, lang: str) -> str:
    """How many rules ran and fired; a rule none of whose checks had data is not counted
    as checked ("none of the 3 rules could be checked", not "none fired")."""
    rules = len(result.rules)
    checked = len({check.rule.number for check in result.checks if check.state != NO_DATA})
    fired = result.fired
    fired_rules = len({check.rule.number for check in fired})
    if not rules:
        return word("no_rules", lang)
    if not checked:
        return word("none_checked_one" if rules == 1 else "none_checked", lang, rules=rules)
    partial = "_of" if checked < rules else ""
    if not fired:
        return word(f"none_fired{partial}", lang, rules=rules, checked=checked)
    count = word(f"some_fired{partial}", lang, rules=rules, checked=checked, fired=fired_rules)
    more = word("alerts_in_all", lang, alerts=len(fired)) if len(fired) > fired_rules else ""
    return count + more


def covering(result: AlertResult, lang: str) -> str:
    """The periods the rules compared: "week 2025-W26 against 2025-W25" (and the month's
    when a rule watches months)."""
    return "; ".join(
        word("covering", lang, period=word(grain, lang), label=span.label,
             previous=span.previous_label)
        for grain, span in sorted(result.spans.items(), key=lambda item: PERIODS.index(item[0]))
    )  # fmt: skip


def reason_text(check: Check, lang: str) -> str:
    """Why a rule was not checked, in ``lang`` (a cxlens error's own words as they are)."""
    if f"reason_{check.reason}" not in WORDS:
        return check.reason
    metric = check.rule.metric
    return word(f"reason_{check.reason}", lang, kpi=kpi_name(metric, lang) if metric else "",
                period=check.period, previous_period=check.previous_period)  # fmt: skip


def rule_text(rule: Rule, lang: str, settings: Any = None) -> str:
    """The rule's name, or a description of it in ``lang`` when it has none."""
    if rule.name:
        return rule.name
    if rule.kind == "topic_negative":
        return word("rule_growth", lang, threshold=f"{rule.threshold:g}", min_count=rule.min_n)
    unit = kpi_view(rule.metric, settings).unit
    change = rule.condition in ("drop", "rise")
    threshold = (
        format_change(rule.threshold, None, unit, lang).lstrip("+")
        if change
        else format_value(rule.threshold, unit, lang)
    )
    text = word(f"rule_{rule.condition}", lang, kpi=kpi_name(rule.metric, lang),
                threshold=threshold, period=word(rule.period, lang),
                noise=word("beyond_noise", lang) if rule.beyond_noise else "")  # fmt: skip
    if rule.by:
        text += word("rule_by", lang, dimension=report_label(rule.by, lang).lower())
    return text


def _fired_sentence(check: Check, lang: str, settings: Any) -> str:
    rule = check.rule
    tail = word("fired_tail", lang, number=rule.number, rule=rule_text(rule, lang, settings))
    if rule.kind == "topic_negative":
        text = word("growth", lang, topic=check.group["topic"], value=f"{check.value:,.0f}",
                    previous=f"{check.previous:,.0f}", period=check.period)  # fmt: skip
        return text + tail
    unit = kpi_view(rule.metric, settings).unit
    n = word("n", lang, n=f"{check.n:,}") if check.n is not None else ""
    interval = ""
    if rule.condition in ("below", "above") and not is_missing(check.ci_low):
        shown = (
            f"{format_value(check.ci_low, unit, lang)}–{format_value(check.ci_high, unit, lang)}"
        )
        interval = word("interval", lang, interval=shown)
    text = word(
        rule.condition, lang, kpi=kpi_name(rule.metric, lang),
        value=format_value(check.value, unit, lang),
        previous=format_value(check.previous, unit, lang),
        change=format_change(check.change, None, unit, lang),
        threshold=format_value(rule.threshold, unit, lang),
        period=check.period, previous_period=check.previous_period, n=n + interval,
    )  # fmt: skip
    return _group_prefix(check.group, lang) + text + tail


def _group_prefix(group: dict[str, Any], lang: str) -> str:
    if not group:
        return ""
    dimension, value = next(iter(group.items()))
    if dimension == "topic":
        return word("group", lang, dimension=word("topic", lang), value=value)
    return word("group", lang, dimension=report_label(dimension, lang),
                value=dimension_value(dimension, value, lang))  # fmt: skip


def _rules_table(result: AlertResult, settings: Any, lang: str) -> ActionTable:
    """One row per rule and group: fired first; a topic rule's quiet topics trimmed."""
    shown = []
    for rule in result.rules:
        checks = [check for check in result.checks if check.rule.number == rule.number]
        if rule.kind == "topic_negative":
            quiet = [check for check in checks if not check.fired]
            checks = [check for check in checks if check.fired] + quiet[:TOPIC_ROWS_SHOWN]
        shown += checks
    shown.sort(key=lambda check: (not check.fired, check.rule.number))
    columns = ["rule", "condition", "group", "period", "value", "previous", "change", "unit",
               "n", "status"]  # fmt: skip
    rows = [_table_row(check, settings, lang) for check in shown]
    frame = pd.DataFrame(rows, columns=columns)
    frame["n"] = frame["n"].astype("Int64")
    headers = {column: word(f"col_{column}", lang) for column in columns}
    numbers = {headers[c]: "number" for c in ("value", "previous", "change")}
    return ActionTable(
        key="alerts_rules",
        title=word("table_title", lang),
        frame=frame.rename(columns=headers),
        formats={**numbers, headers["n"]: "count", headers["rule"]: "count"},
        note=word("table_note", lang),
    )


def _table_row(check: Check, settings: Any, lang: str) -> dict[str, Any]:
    rule = check.rule
    unit = "comments" if rule.kind == "topic_negative" else kpi_view(rule.metric, settings).unit
    scale = 100.0 if unit == RATE else 1.0
    group = _group_prefix(check.group, lang).rstrip(": ：") or word("all", lang)
    unit_word = {RATE: "unit_rate", POINTS: "unit_points", MINUTES: "unit_minutes",
                 "comments": "unit_comments"}.get(unit)  # fmt: skip
    return {
        "rule": rule.number,
        "condition": rule_text(rule, lang, settings),
        "group": group,
        "period": f"{check.period} / {check.previous_period}",
        "value": None if is_missing(check.value) else check.value * scale,
        "previous": None if is_missing(check.previous) else check.previous * scale,
        "change": None if check.change is None else check.change * scale,
        "unit": word(unit_word, lang) if unit_word else "",
        "n": check.n,
        "status": word(f"state_{check.state}", lang),
    }


def _method(result: AlertResult, lang: str, scope: Scope) -> str:
    spans = "; ".join(
        word("span", lang, period=word(grain, lang), label=span.label,
             first=span.first.isoformat(), last=span.last.isoformat(),
             previous=span.previous_label)
        for grain, span in result.spans.items()
    )  # fmt: skip
    filters = ", ".join(
        f"{key} = {', '.join(values)}" for key, values in scope.filters.items() if values
    )
    return word("method", lang, as_of=result.as_of.isoformat(), spans=spans,
                filters=word("filters", lang, filters=filters) if filters else "",
                first_day=word("first_day", lang) if scope.first else "")  # fmt: skip


# --- the webhook's message -----------------------------------------------------------------


def payload(result: AlertResult, settings: Any, lang: str) -> dict[str, Any]:
    """The webhook's JSON: the project (its folder's name), the fired alerts, the time."""
    messages = [(check, _fired_sentence(check, lang, settings)) for check in result.fired]
    return {
        "project": settings.root.name,
        "fired": [{**check.to_json(), "message": text} for check, text in messages],
        "checked_at": result.checked_at.isoformat(timespec="seconds"),
    }


def notify(result: AlertResult, settings: Any, lang: str) -> bool:
    """POST the fired alerts to ``[alerts] webhook``; False when nothing fired or no
    webhook is set, True once the server accepted them. Raises
    ``cxlens.insights.alert_rules.WebhookError`` otherwise."""
    section = check_settings(dict(settings.alerts))
    if not result.fired or not section["webhook"]:
        return False
    send_webhook(section["webhook"], payload(result, settings, lang), section["timeout_seconds"])
    return True


def webhook_sentence(result: AlertResult, settings: Any, lang: str) -> str:
    """POST the fired alerts (``notify``) and say so in one line for the CLI and
    ``cxlens run``: "Webhook: 2 alerts sent to https://chat.example.com/…"; "" when
    nothing was sent. Raises ``WebhookError`` as ``notify`` does."""
    if not notify(result, settings, lang):
        return ""
    count = len(result.fired)
    where = redacted(check_settings(dict(settings.alerts))["webhook"])
    return word("webhook_sent" if count == 1 else "webhook_sent_many", lang, count=count,
                where=where)  # fmt: skip
