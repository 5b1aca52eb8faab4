"""Every word a reader of the report sees, in Chinese and English.

One dictionary holds the labels of the report, the workbook and the terminal
summary, so that a report in one language never shows a word of the other.
KPI names live here too; their definitions come from the metric catalogue
(``cxlens.metrics.KPIS``), which owns what each number means.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    # Report frame
    "report_title": {"en": "Customer service monthly report", "zh": "客户服务月度报告"},
    "report_month": {"en": "Report month", "zh": "报告月份"},
    "generated_at": {"en": "Generated", "zh": "生成时间"},
    "time_zone": {"en": "Time zone", "zh": "时区"},
    "compared_with": {"en": "Compared with", "zh": "对比"},
    "vs_previous": {"en": "vs previous month", "zh": "环比"},
    "vs_year_ago": {"en": "vs a year before", "zh": "同比"},
    "no_data": {"en": "no data", "zh": "无数据"},
    "no_data_note": {
        "en": "— means the period holds no data to compare with.",
        "zh": "“—”表示该对比期没有数据。",
    },
    "partial_month_note": {
        "en": "The data end before this month does; its figures cover part of the month.",
        "zh": "数据在本月结束前截止，本月数字只覆盖部分日期。",
    },
    "better": {"en": "better", "zh": "改善"},
    "worse": {"en": "worse", "zh": "变差"},
    "noise": {"en": "within noise", "zh": "在误差范围内"},
    "neutral": {"en": "changed", "zh": "变化"},
    "unchanged": {"en": "unchanged", "zh": "持平"},
    "slight": {"en": "changed slightly", "zh": "小幅变化"},
    "noise_note": {
        "en": "Green: better; red: worse; grey: the change lies within the 95 % intervals' "
        "noise, or the KPI has no better direction. Medians, percentiles and counts carry no "
        "interval: their changes are coloured from {threshold} up, and smaller ones read "
        '"changed slightly".',
        "zh": "绿色：改善；红色：变差；灰色：变化在 95% 置信区间的误差范围内，或该指标无好坏方向。"
        "中位数、百分位数和计数没有置信区间：变化达到 {threshold} 才着色，更小的变化标为“小幅变化”。",
    },
    # Sections
    "section_kpis": {"en": "Key figures", "zh": "核心指标"},
    "section_trends": {"en": "Monthly trends", "zh": "月度趋势"},
    "section_distributions": {"en": "Response-time distributions", "zh": "响应时长分布"},
    "section_heatmap": {"en": "When tickets arrive", "zh": "工单到达时间分布"},
    "section_breakdowns": {"en": "Breakdowns", "zh": "细分"},
    "section_comments": {"en": "Sample comments", "zh": "评价摘录"},
    "section_quality": {"en": "Data quality", "zh": "数据质量"},
    "section_cleaning": {"en": "Cleaning log", "zh": "清洗日志"},
    "section_definitions": {"en": "Definitions", "zh": "指标定义"},
    "section_all_data": {"en": "Over all the data", "zh": "全部数据指标"},
    "all_data_note": {
        "en": "These figures cover all the data, not only the report month, "
        "so they carry no monthly comparison.",
        "zh": "以下指标按全部数据计算，而非仅本月，因此不做月度对比。",
    },
    "no_trend_data": {
        "en": "No data in the months shown ({first} to {last}).",
        "zh": "所示月份（{first} 至 {last}）没有数据。",
    },
    # Dimensions
    "channel": {"en": "Channel", "zh": "渠道"},
    "category": {"en": "Category", "zh": "类别"},
    "agent": {"en": "Agent", "zh": "客服"},
    "team": {"en": "Team", "zh": "团队"},
    "priority": {"en": "Priority", "zh": "优先级"},
    "none_value": {"en": "(not given)", "zh": "（未填写）"},
    "more_rows": {
        "en": "{count} more rows are in the workbook.",
        "zh": "另有 {count} 行见 Excel 工作簿。",
    },
    "agent_attribution": {
        "en": "Each figure credits its own agent: tickets, backlog and SLA the assignee; "
        "first response the agent who replied first; resolution, FCR and reopens the agent "
        "who solved; ratings the last agent who served the ticket before the survey. "
        "n is the number of records behind each figure.",
        "zh": "每项指标按各自规则归属客服：工单量、积压和 SLA 归当前负责人；首次响应归首位回复的客服；"
        "解决时长、一次解决率和重开率归解决工单的客服；满意度评分归调查前最后服务该工单的客服。"
        "n 为每个数字所依据的记录数。",
    },
    # Table headers and terms
    "kpi": {"en": "KPI", "zh": "指标"},
    "value": {"en": "Value", "zh": "数值"},
    "n": {"en": "n", "zh": "样本数"},
    "ci": {"en": "95 % interval", "zh": "95% 置信区间"},
    "ci_low": {"en": "95 % low", "zh": "95% 下限"},
    "ci_high": {"en": "95 % high", "zh": "95% 上限"},
    "period": {"en": "Month", "zh": "月份"},
    "change": {"en": "Change", "zh": "变化"},
    "verdict": {"en": "Assessment", "zh": "评估"},
    "definition": {"en": "Definition", "zh": "定义"},
    "direction": {"en": "Better when", "zh": "何为改善"},
    "direction_up": {"en": "higher", "zh": "越高越好"},
    "direction_down": {"en": "lower", "zh": "越低越好"},
    "direction_neutral": {"en": "neither", "zh": "无方向"},
    "rule": {"en": "Rule", "zh": "规则"},
    "table_name": {"en": "Table", "zh": "数据表"},
    "rows": {"en": "Rows", "zh": "行数"},
    "example_keys": {"en": "Examples", "zh": "示例"},
    "description": {"en": "Description", "zh": "说明"},
    "flag": {"en": "Flag", "zh": "标记"},
    "tickets_flagged": {"en": "Tickets of the month", "zh": "本月工单数"},
    "no_flags": {
        "en": "No ticket of the month carries a flag.",
        "zh": "本月工单没有数据质量标记。",
    },
    "no_cleaning": {"en": "The cleaning log is empty.", "zh": "清洗日志为空。"},
    "no_comments": {"en": "No comments this month.", "zh": "本月没有评价留言。"},
    "score": {"en": "Score", "zh": "评分"},
    "survey_kind": {"en": "Survey", "zh": "问卷"},
    "comment": {"en": "Comment", "zh": "留言"},
    "responded_at": {"en": "Answered", "zh": "回复时间"},
    "responded_at_local": {"en": "Answered (local)", "zh": "回复时间（当地）"},
    "period_all": {"en": "all data", "zh": "全部数据"},
    "minutes": {"en": "min", "zh": "分钟"},
    "hours": {"en": "h", "zh": "小时"},
    "points": {"en": "pts", "zh": "分"},
    "percentage_points": {"en": "pp", "zh": "个百分点"},
    "median": {"en": "median", "zh": "中位数"},
    "p90": {"en": "p90", "zh": "P90"},
    "mean": {"en": "mean", "zh": "平均值"},
    "first_response_minutes": {"en": "First response (minutes)", "zh": "首次响应时长（分钟）"},
    "resolution_minutes": {"en": "Resolution (minutes)", "zh": "解决时长（分钟）"},
    "tickets_count": {"en": "Tickets", "zh": "工单数"},
    "overflow_bin": {
        "en": "values above {limit} in the last bar",
        "zh": "大于 {limit} 的值计入最后一栏",
    },
    "no_distribution": {"en": "No durations this month.", "zh": "本月没有时长数据。"},
    "weekday": {"en": "Weekday", "zh": "星期"},
    "hour": {"en": "Hour (local time)", "zh": "小时（当地时间）"},
    "weekdays": {"en": "Mon,Tue,Wed,Thu,Fri,Sat,Sun", "zh": "周一,周二,周三,周四,周五,周六,周日"},
    "offline_note": {
        "en": "This file works offline: charts and data are inside it.",
        "zh": "本文件可离线打开：图表和数据均已内嵌。",
    },
    # Workbook sheets and columns
    "sheet_summary": {"en": "Summary", "zh": "汇总"},
    "sheet_trends": {"en": "Trends", "zh": "趋势"},
    "sheet_breakdowns": {"en": "Breakdowns", "zh": "细分"},
    "sheet_tickets": {"en": "Tickets", "zh": "工单"},
    "sheet_cleaning": {"en": "Cleaning log", "zh": "清洗日志"},
    "sheet_quality": {"en": "Data quality", "zh": "数据质量"},
    "sheet_definitions": {"en": "Definitions", "zh": "指标定义"},
    "sheet_comments": {"en": "Comments", "zh": "评价留言"},
    "sheet_sla_breaches": {"en": "SLA breaches", "zh": "SLA 超时"},
    "response_id": {"en": "Response", "zh": "回复编号"},
    "agent_id": {"en": "Agent", "zh": "客服"},
    "kind": {"en": "Survey", "zh": "问卷"},
    "scale_max": {"en": "Scale max", "zh": "满分"},
    "dimension": {"en": "Dimension", "zh": "维度"},
    "group_value": {"en": "Group", "zh": "分组"},
    "kpi_id": {"en": "KPI id", "zh": "指标代码"},
    "previous_value": {"en": "Previous month", "zh": "上月"},
    "year_ago_value": {"en": "A year before", "zh": "去年同月"},
    "change_previous": {"en": "Change vs previous", "zh": "环比变化"},
    "change_year": {"en": "Change vs a year before", "zh": "同比变化"},
    "ticket_id": {"en": "Ticket", "zh": "工单编号"},
    "created_at_local": {"en": "Created (local)", "zh": "创建时间（当地）"},
    "solved_at_local": {"en": "Solved (local)", "zh": "解决时间（当地）"},
    "status": {"en": "Status", "zh": "状态"},
    "customer_id": {"en": "Customer", "zh": "客户"},
    "first_response_min": {"en": "First response (min)", "zh": "首次响应（分钟）"},
    "resolution_min": {"en": "Resolution (min)", "zh": "解决时长（分钟）"},
    "reopens": {"en": "Reopens", "zh": "重开次数"},
    "is_merged": {"en": "Merged", "zh": "已合并"},
    "quality_flags": {"en": "Quality flags", "zh": "质量标记"},
    # SLA breaches sheet (sla_clocks columns)
    "clock_metric": {"en": "SLA clock", "zh": "SLA 计时"},
    "clock_no": {"en": "Clock no.", "zh": "计时序号"},
    "target_min": {"en": "Target (min)", "zh": "目标（分钟）"},
    "business_time": {"en": "Business hours", "zh": "按工作时间"},
    "started_at_local": {"en": "Started (local)", "zh": "开始时间（当地）"},
    "due_at_local": {"en": "Due (local)", "zh": "到期时间（当地）"},
    "stopped_at_local": {"en": "Stopped (local)", "zh": "停止时间（当地）"},
    "elapsed_min": {"en": "Elapsed (min)", "zh": "已计时（分钟）"},
    # Predictions section and the call-list sheet
    "section_predictions": {"en": "Predictions", "zh": "预测"},
    "section_action_summary": {"en": "What to change next month", "zh": "下月改进重点"},
    "action_summary_note": {
        "en": "The first findings of each action below; each links to its section with the "
        "evidence.",
        "zh": "以下为各项行动建议的要点，点击可查看依据。",
    },
    "section_actions": {"en": "Actions", "zh": "行动建议"},
    "action_details": {"en": "details", "zh": "详情"},
    "action_method": {"en": "How it was computed", "zh": "计算方法"},
    "predictions_note": {
        "en": "The models below read all the data up to its last day, not only the report "
        "month, and look ahead from there.",
        "zh": "以下模型使用截至数据最后一天的全部数据（不只是报告月份），并由此向前预测。",
    },
    "pred_lifetime": {"en": "Customer lifetime value", "zh": "客户终身价值"},
    "pred_churn": {"en": "Churn risk", "zh": "流失风险"},
    "pred_drivers": {"en": "What moves CSAT", "zh": "影响满意度的因素"},
    "pred_churn_drivers": {"en": "What goes with leaving", "zh": "与流失相关的因素"},
    "pred_survival": {"en": "How long customers stay", "zh": "客户留存时长"},
    "pred_calls": {"en": "Whom to contact first", "zh": "优先挽留名单"},
    "cannot_compute": {
        "en": "{part} cannot be computed because {reason}.",
        "zh": "无法计算{part}，因为{reason}。",
    },
    "reason_lifetime_data": {
        "en": "the warehouse holds no orders",
        "zh": "数据仓库中没有订单",
    },
    "reason_lifetime_model": {
        "en": "the purchase model could not be fitted",
        "zh": "无法拟合购买模型",
    },
    "reason_churn_data": {
        "en": "the warehouse holds neither subscriptions nor orders",
        "zh": "数据仓库中既没有订阅也没有订单",
    },
    "reason_churn_model": {
        "en": "the churn model could not be checked honestly",
        "zh": "无法可靠地检验流失模型",
    },
    "reason_drivers_data": {
        "en": "the warehouse holds no tickets with CSAT answers",
        "zh": "数据仓库中没有带满意度评价的工单",
    },
    "reason_drivers_model": {
        "en": "too few CSAT answers fall on either side (satisfied or not), or no service "
        "factor varies",
        "zh": "满意或不满意的评价太少，或没有变化的服务因素",
    },
    "reason_survival_data": {
        "en": "the warehouse holds neither subscriptions nor orders",
        "zh": "数据仓库中既没有订阅也没有订单",
    },
    "reason_survival_model": {
        "en": "the customers' start and end dates do not allow a retention curve",
        "zh": "客户的开始和结束日期不足以绘制留存曲线",
    },
    "reason_failed": {
        "en": "its model stopped with an unexpected error (the log has the details)",
        "zh": "模型意外出错（详情见日志）",
    },
    "reason_calls_churn": {
        "en": "it needs the churn risk, which cannot be computed",
        "zh": "它依赖流失风险，而流失风险无法计算",
    },
    "reason_calls_model": {
        "en": "no customer at risk could be given a value",
        "zh": "无法为任何有风险的客户估值",
    },
    "customers_count": {"en": "Customers", "zh": "客户数"},
    "clv_axis": {
        "en": "Value over the next {months} months ({currency}, discounted)",
        "zh": "未来 {months} 个月的价值（{currency}，已折现）",
    },
    "clv_sentence": {
        "en": "{customers} customers, each valued over the next {months} months at an annual "
        "discount rate of {rate}: mean {mean}, median {median}, total {total} {currency}. "
        "Bars run to the 99th percentile ({cap}); higher values fall in the last bar.",
        "zh": "共 {customers} 位客户，按年折现率 {rate} 估算未来 {months} 个月的价值：平均 {mean}，"
        "中位数 {median}，合计 {total} {currency}。柱形到第 99 百分位（{cap}）为止，"
        "更高的值计入最后一栏。",
    },
    "churn_axis": {
        "en": "Chance of leaving within {days} days",
        "zh": "{days} 天内流失的概率",
    },
    "band_from": {"en": "{band} risk from {value}", "zh": "{band}风险起点 {value}"},
    "risk_high": {"en": "high", "zh": "高"},
    "risk_medium": {"en": "medium", "zh": "中"},
    "risk_low": {"en": "low", "zh": "低"},
    "churn_validation_time_split": {
        "en": "ROC AUC {value} (95 % {low}–{high}), time split, n = {n}",
        "zh": "ROC AUC {value}（95% 区间 {low}–{high}），按时间切分验证，n = {n}",
    },
    "churn_validation_stratified_cv": {
        "en": "ROC AUC {value} (± {sd} over {folds} folds, {low}–{high}), stratified "
        "{folds}-fold cross-validation, n = {n}",
        "zh": "ROC AUC {value}（{folds} 折标准差 ± {sd}，范围 {low}–{high}），"
        "{folds} 折分层交叉验证，n = {n}",
    },
    "churn_sentence": {
        "en": "Of the {customers} customers active on {day}, {high} ({share}) are at high "
        "risk: a chance of leaving within {days} days of at least {threshold}, where the "
        "usual rate is {base}.",
        "zh": "在 {day} 仍活跃的 {customers} 位客户中，有 {high} 位（{share}）属于高风险："
        "{days} 天内流失的概率不低于 {threshold}，而通常的流失率为 {base}。",
    },
    "churn_sentence_out_of_fold": {
        "en": "Of the {customers} customers still with us on {day}, {high} ({share}) look like "
        "the customers who left: the model that did not see them gives each a chance of at "
        "least {threshold}, where the usual rate of leaving is {base}. The data hold one "
        "snapshot, so this is a likeness to past leavers, not a dated forecast.",
        "zh": "在 {day} 仍在的 {customers} 位客户中，有 {high} 位（{share}）与已流失客户相似："
        "未见过他们的模型给出的流失概率不低于 {threshold}，而通常的流失率为 {base}。"
        "数据只有一个时点，因此这是与既往流失客户的相似度，而非带日期的预测。",
    },
    "churn_auc_meaning": {
        "en": "ROC AUC is the chance that the model ranks a customer who left above one who "
        "stayed, on customers it had not seen: 0.5 is guessing, 1 is perfect. The tenth it "
        "ranked riskiest left {lift} times as often as average.",
        "zh": "ROC AUC 是模型在未见过的客户中把流失客户排在留存客户之前的概率：0.5 相当于随机猜测，"
        "1 为完美。模型认为风险最高的 10% 客户，流失比例是平均水平的 {lift} 倍。",
    },
    "drivers_axis": {
        "en": "Odds ratio of a satisfied answer (log scale; 1 = no effect)",
        "zh": "满意评价的几率比（对数刻度；1 = 无影响）",
    },
    "drivers_noise": {"en": "noise", "zh": "噪声"},
    "drivers_note": {
        "en": "Bars run from 1 to each factor's odds ratio, whiskers show its 95 % interval. "
        "Grey bars, marked noise, are not told apart from chance once the {tested} effects "
        "tested are allowed for. {rows} CSAT answers, {positive} of them satisfied.",
        "zh": "柱形从 1 画到各因素的几率比，须线为 95% 区间。标为“噪声”的灰色柱形在考虑所检验的 {tested} "
        "个效应后，无法与偶然区分。共 {rows} 条满意度评价，其中 {positive} 条为满意。",
    },
    "calls_action": {
        "en": "{name} costs {cost} and keeps {rate} of the customers it reaches",
        "zh": "{name} 每次 {cost}，可挽留 {rate} 的联系对象",
    },
    "survival_retained": {
        "en": "{group} (n = {n}): {d90} still with us 90 days after starting, {d180} after "
        "180 days, {d365} after a year.",
        "zh": "{group}（n = {n}）：开始后 90 天仍留存 {d90}，180 天 {d180}，一年 {d365}。",
    },
    "survival_dash": {
        "en": "— : the data do not reach so far for that group.",
        "zh": "—：该组数据未覆盖到这一时长。",
    },
    "leak_caveat": {
        "en": "This rests on the churn model flagged above as likely leaking: read what it "
        "says about {features} with care.",
        "zh": "此处依赖上文被标记为可能泄漏结果的流失模型：涉及{features}的结论请谨慎解读。",
    },
    "calls_assumptions_default": {
        "en": "Assumed by default, as cxlens.toml sets no [targets]: {actions}; a customer's "
        "value is {basis}. Set your own costs and save rates under [targets].",
        "zh": "cxlens.toml 未设置 [targets]，以下为默认假设：{actions}；客户价值为{basis}。"
        "请在 [targets] 中设置实际成本与挽留率。",
    },
    "calls_assumptions": {
        "en": "Assumed in [targets] of cxlens.toml: {actions}; a customer's value is {basis}.",
        "zh": "cxlens.toml 的 [targets] 中的假设：{actions}；客户价值为{basis}。",
    },
    "calls_value_subscriptions": {
        "en": "the plan's monthly fee over the [clv] horizon, weighted by how long the plan's "
        "customers stay, discounted",
        "zh": "套餐月费在 [clv] 期限内、按该套餐客户的留存加权并折现后的总和",
    },
    "calls_value_orders": {
        "en": "the lifetime value over the [clv] horizon (BG/NBD × Gamma-Gamma, discounted)",
        "zh": "[clv] 期限内的客户终身价值（BG/NBD × Gamma-Gamma，折现）",
    },
    "churn_leakage": {
        "en": "Check before you act: a ROC AUC of {auc} is above 0.90, which on churn data "
        "usually means a column records the outcome itself (a status, an end date, a count "
        "taken after leaving). The model leans most on: {features}. If one of them is only "
        "known once a customer has left, list it in [churn] exclude and run again.",
        "zh": "使用前请核查：ROC AUC 为 {auc}，高于 0.90；在流失数据中这通常意味着某列本身记录了结果"
        "（状态、结束日期或离开后才统计的数字）。模型最依赖：{features}。如果其中某列只有在客户离开后"
        "才知道，请把它加入 [churn] exclude 并重新运行。",
    },
    "churn_drivers_note": {
        "en": "What goes with leaving, on the {rows} customers the churn model was checked on "
        "({positive} of them left): the service history, tenure, plan, segment and the "
        "export's own columns, fitted together, so each effect is with the others held fixed "
        "(a plan's higher churn is not read as a service effect, and the reverse). Bars "
        "run from 1 to each odds ratio, whiskers show its 95 % interval; grey bars (noise) "
        "are not told apart from chance once the {tested} effects tested are allowed for. "
        "Associations, not proof of cause.",
        "zh": "与流失相关的因素，基于用于检验流失模型的 {rows} 位客户（其中 {positive} 位流失）："
        "服务记录、在网时长、套餐、客户分群及导出文件自带的列一起拟合，每个效应都是在其他因素不变时的效应"
        "（不会把某套餐的高流失误读为服务的影响，反之亦然）。"
        "条形从 1 延伸到各因素的优势比，须线为 95% 区间；灰色条（噪声）在考虑所检验的 {tested} "
        "个效应后无法与偶然区分。这是相关关系，不能证明因果。",
    },
    "reason_churn_drivers_data": {
        "en": "the churn model's customers have no service history",
        "zh": "流失模型的客户没有服务记录",
    },
    "reason_churn_drivers_model": {
        "en": "no service factor varies enough among the churn model's customers",
        "zh": "流失模型的客户之间服务因素变化不足",
    },
    "drivers_none": {
        "en": "No factor is told apart from noise.",
        "zh": "没有因素能与噪声区分开。",
    },
    "survival_axis_x": {"en": "Days as a customer", "zh": "成为客户后的天数"},
    "survival_axis_y": {"en": "Still a customer", "zh": "仍为客户的比例"},
    "survival_by_plan": {"en": "By plan", "zh": "按套餐"},
    "survival_by_segment": {"en": "By segment", "zh": "按客户分群"},
    "survival_group_all": {"en": "all customers", "zh": "全部客户"},
    "survival_group_other": {"en": "other (small groups)", "zh": "其他（小分组）"},
    "survival_group_no_tickets": {"en": "no tickets", "zh": "无工单"},
    "survival_note": {
        "en": "Shaded: 95 % interval. {customers} customers, counted from their first "
        "{basis}; a customer still with us on {until} counts as retained up to that day.",
        "zh": "阴影为 95% 区间。共 {customers} 位客户，从其首次{basis}起计算；到 {until} "
        "仍在的客户计为留存至该日。",
    },
    "survival_basis_subscriptions": {"en": "subscription", "zh": "订阅"},
    "survival_basis_orders": {"en": "order", "zh": "下单"},
    "logrank_differ": {
        "en": "the curves differ at 5 % (log-rank {p})",
        "zh": "各曲线在 5% 水平上存在差异（log-rank 检验 {p}）",
    },
    "logrank_same": {
        "en": "the curves do not differ at 5 % (log-rank {p})",
        "zh": "各曲线在 5% 水平上没有差异（log-rank 检验 {p}）",
    },
    "survival_test": {"en": "{by}, {sentence}.", "zh": "{by}，{sentence}。"},
    "logrank_none": {
        "en": "one group only, or no customer left: no comparison",
        "zh": "只有一个分组或没有客户流失：无法比较",
    },
    "calls_summary": {
        "en": "An example budget of {budget} {currency}, set by the report (enough to give "
        "{contacts} customers the dearest offer; choose your own with cxlens targets "
        "--budget B): the plan contacts {rows} customers for {spent} and is expected to keep "
        "{saved} {currency} of value ({method}).",
        "zh": "示例预算 {budget} {currency}，由报告设定（足以向 {contacts} 位客户提供最贵的措施；"
        "可用 cxlens targets --budget B 自行设定）：方案联系 {rows} 位客户，花费 {spent}，"
        "预期挽回价值 {saved} {currency}（{method}）。",
    },
    "calls_exact": {"en": "the best possible plan", "zh": "最优方案"},
    "calls_greedy": {
        "en": "at most {gap} below the best possible plan",
        "zh": "与最优方案相差不超过 {gap}",
    },
    "calls_empty": {
        "en": "No customer is worth an offer: chance of leaving × save rate × value stays "
        "below the cost of every offer.",
        "zh": "没有值得挽留的客户：对每项措施，流失概率 × 挽回率 × 客户价值都低于其成本。",
    },
    "rank": {"en": "#", "zh": "序号"},
    "risk_band": {"en": "Risk", "zh": "风险"},
    "p_churn": {"en": "Chance of leaving", "zh": "流失概率"},
    "customer_value": {"en": "Value", "zh": "客户价值"},
    "expected_saved_value": {"en": "Expected saved value", "zh": "预期挽回价值"},
    "action": {"en": "Action", "zh": "措施"},
    "cost": {"en": "Cost", "zh": "成本"},
    "reasons": {"en": "Why at risk", "zh": "风险原因"},
    "next_best_product": {"en": "Product to offer", "zh": "推荐产品"},
    "because": {"en": "Because they bought", "zh": "依据已购产品"},
    "sheet_call_list": {"en": "Call list", "zh": "挽留名单"},
    # Terminal summary
    "summary_header": {
        "en": "KPIs for {month} (compared with {previous} and {year_ago})",
        "zh": "{month} 核心指标（对比 {previous} 与 {year_ago}）",
    },
    "summary_empty": {
        "en": "No KPI could be computed: the warehouse holds no dated records.",
        "zh": "无法计算指标：数据仓库中没有带日期的记录。",
    },
}

# Ticket codes as a reader sees them; a code not listed shows as it is.
CODE_NAMES: dict[str, dict[str, dict[str, str]]] = {
    "priority": {
        "urgent": {"en": "urgent", "zh": "紧急"},
        "high": {"en": "high", "zh": "高"},
        "normal": {"en": "normal", "zh": "普通"},
        "low": {"en": "low", "zh": "低"},
    },
    "status": {
        "new": {"en": "new", "zh": "新建"},
        "open": {"en": "open", "zh": "处理中"},
        "pending": {"en": "pending", "zh": "等待客户"},
        "on_hold": {"en": "on hold", "zh": "挂起"},
        "solved": {"en": "solved", "zh": "已解决"},
        "closed": {"en": "closed", "zh": "已关闭"},
        "merged": {"en": "merged", "zh": "已合并"},
    },
}

YES_NO = {True: {"en": "yes", "zh": "是"}, False: {"en": "no", "zh": "否"}}

KPI_NAMES: dict[str, dict[str, str]] = {
    "tickets": {"en": "Tickets", "zh": "工单量"},
    "backlog": {"en": "Backlog", "zh": "积压工单"},
    "csat": {"en": "CSAT", "zh": "客户满意度"},
    "csat_mean": {"en": "Mean CSAT score", "zh": "满意度平均分"},
    "nps": {"en": "NPS", "zh": "净推荐值"},
    "ces": {"en": "Customer effort (CES)", "zh": "客户费力度"},
    "survey_response_rate": {"en": "Survey response rate", "zh": "问卷回复率"},
    "first_response_median_min": {"en": "First response, median", "zh": "首次响应时长中位数"},
    "first_response_p90_min": {"en": "First response, p90", "zh": "首次响应时长 P90"},
    "first_response_mean_min": {"en": "First response, mean", "zh": "首次响应时长平均值"},
    "first_response_business_median_min": {
        "en": "First response in business hours, median",
        "zh": "首次响应工作时长中位数",
    },
    "first_response_business_p90_min": {
        "en": "First response in business hours, p90",
        "zh": "首次响应工作时长 P90",
    },
    "first_response_business_mean_min": {
        "en": "First response in business hours, mean",
        "zh": "首次响应工作时长平均值",
    },
    "first_any_response_median_min": {
        "en": "First response incl. bots, median",
        "zh": "首次响应（含机器人）中位数",
    },
    "resolution_median_min": {"en": "Resolution time, median", "zh": "解决时长中位数"},
    "resolution_p90_min": {"en": "Resolution time, p90", "zh": "解决时长 P90"},
    "resolution_mean_min": {"en": "Resolution time, mean", "zh": "解决时长平均值"},
    "resolution_business_median_min": {
        "en": "Resolution in business hours, median",
        "zh": "解决工作时长中位数",
    },
    "resolution_business_p90_min": {
        "en": "Resolution in business hours, p90",
        "zh": "解决工作时长 P90",
    },
    "resolution_business_mean_min": {
        "en": "Resolution in business hours, mean",
        "zh": "解决工作时长平均值",
    },
    "first_resolution_median_min": {"en": "First resolution, median", "zh": "首次解决时长中位数"},
    "fcr": {"en": "First contact resolution", "zh": "首次接触解决率"},
    "reopen_rate": {"en": "Reopen rate", "zh": "重开率"},
    "sla_first_response": {"en": "First-response SLA met", "zh": "首次响应 SLA 达成率"},
    "sla_next_response": {"en": "Next-response SLA met", "zh": "后续响应 SLA 达成率"},
    "sla_resolution": {"en": "Resolution SLA met", "zh": "解决 SLA 达成率"},
    "answer_rate": {"en": "Answer rate", "zh": "接通率"},
    "churn_rate": {"en": "Churn rate", "zh": "流失率"},
    "retention_rate": {"en": "Retention rate", "zh": "留存率"},
    "clv_historical_mean": {"en": "Historical CLV, mean", "zh": "历史客户终身价值均值"},
    "clv_predicted_mean": {"en": "Predicted CLV, mean", "zh": "预测客户终身价值均值"},
}


def check_language(lang: str) -> str:
    """``lang`` if the report speaks it; a clear error otherwise."""
    if lang not in LANGUAGES:
        from cxlens.errors import ConfigError

        raise ConfigError(f"language must be 'zh' or 'en', not {lang!r}")
    return lang


def label(key: str, lang: str, **values: object) -> str:
    """The label ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    text = LABELS[key][check_language(lang)]
    return text.format(**values) if values else text


def kpi_name(metric: str, lang: str) -> str:
    """The display name of a KPI id; the id itself for a KPI the report does not know."""
    names = KPI_NAMES.get(metric)
    return names[check_language(lang)] if names else metric


def weekday_names(lang: str) -> list[str]:
    """Monday to Sunday, abbreviated, in ``lang``."""
    return label("weekdays", lang).split(",")


def dimension_value(dimension: str, value: object, lang: str) -> str:
    """How a group value reads: channels by their display name, blanks as "(not given)"."""
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return label("none_value", lang)
    if dimension == "channel":
        return channel_name(str(value), lang)
    return str(value)


def code_name(column: str, code: object, lang: str) -> str:
    """A ticket's priority or status code in ``lang``; an unlisted code as it is."""
    names = CODE_NAMES.get(column, {}).get(str(code))
    return names[check_language(lang)] if names else str(code)


def yes_no(flag: bool, lang: str) -> str:
    """A true/false field as a reader's word, never Python's ``True``/``False``."""
    return YES_NO[bool(flag)][check_language(lang)]


def channel_name(code: str, lang: str) -> str:
    """A standard channel code in the reader's language (IM-5), via the cleaning module."""
    from cxlens.clean.channels import channel_label

    return channel_label(code, lang)
