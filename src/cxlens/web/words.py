"""The dashboard's words in Chinese and English.

Words the report already has (KPI names, verdicts, channel names) come from
``cxlens.insights.labels``; this table holds only what pages add: navigation, the
filter bar, buttons and page headings. Page modules add their own keys here.
"""

from __future__ import annotations

from cxlens.insights.labels import LABELS

WORDS: dict[str, dict[str, str]] = {
    "app_title": {"en": "cxlens dashboard", "zh": "cxlens 看板"},
    "nav_overview": {"en": "Overview", "zh": "总览"},
    "nav_tickets": {"en": "Tickets", "zh": "工单"},
    "nav_agents": {"en": "Agents", "zh": "客服"},
    "nav_customers": {"en": "Customers", "zh": "客户"},
    "nav_surveys": {"en": "Surveys", "zh": "调查"},
    "nav_quality": {"en": "Data quality", "zh": "数据质量"},
    "nav_actions": {"en": "Actions", "zh": "行动建议"},
    # the actions pages (/actions, /actions/{key})
    "actions_heading": {"en": "What to change", "zh": "改进建议"},
    "actions_note": {
        "en": "Each action's first findings under the filters; open one for its evidence.",
        "zh": "按当前筛选条件列出各项行动的要点；点开查看依据。",
    },
    "actions_evidence": {"en": "Evidence and full list", "zh": "查看依据和完整列表"},
    "actions_more_findings": {"en": "{n} more findings", "zh": "另有 {n} 条"},
    "actions_rows_shown": {
        "en": "{shown} of {total} rows shown",
        "zh": "显示 {shown} 行，共 {total} 行",
    },
    "actions_method": {"en": "How it was computed", "zh": "计算方法"},
    "language_switch": {"en": "中文", "zh": "English"},
    "filter_period": {"en": "Period", "zh": "时间段"},
    "period_month": {"en": "Month", "zh": "月份"},
    "period_30d": {"en": "Last 30 days", "zh": "最近 30 天"},
    "period_90d": {"en": "Last 90 days", "zh": "最近 90 天"},
    "period_365d": {"en": "Last 365 days", "zh": "最近 365 天"},
    "period_all": {"en": "All data", "zh": "全部数据"},
    "period_custom": {"en": "From – to", "zh": "自定义起止"},
    "filter_from": {"en": "From", "zh": "起"},
    "filter_to": {"en": "To", "zh": "止"},
    "filter_apply": {"en": "Apply", "zh": "应用"},
    "filter_reset": {"en": "Reset", "zh": "重置"},
    "dimension_channel": {"en": "Channel", "zh": "渠道"},
    "dimension_category": {"en": "Category", "zh": "类别"},
    "dimension_team": {"en": "Team", "zh": "团队"},
    "dimension_agent": {"en": "Agent", "zh": "客服"},
    "dimension_segment": {"en": "Segment", "zh": "客户分群"},
    "dimension_priority": {"en": "Priority", "zh": "优先级"},
    "covering": {"en": "Figures cover {first} to {last}", "zh": "数据范围：{first} 至 {last}"},
    "covering_all": {"en": "Figures cover all the data", "zh": "数据范围：全部数据"},
    "export_csv": {"en": "Export CSV", "zh": "导出 CSV"},
    "export_xlsx": {"en": "Export Excel", "zh": "导出 Excel"},
    "as_json": {"en": "JSON", "zh": "JSON"},
    "n_records": {"en": "n = {n}", "zh": "样本 {n}"},
    "vs_previous": {"en": "vs the period before", "zh": "较上一时段"},
    "see_tickets": {"en": "See the records", "zh": "查看明细"},
    "trend_heading": {"en": "Monthly trend", "zh": "月度趋势"},
    "no_data_here": {
        "en": "No records match these filters.",
        "zh": "没有符合这些筛选条件的记录。",
    },
    "error_heading": {"en": "That did not work", "zh": "出错了"},
    "error_back": {"en": "Back to the overview", "zh": "返回总览"},
    "not_found": {
        "en": "There is no page at this address. The pages are /, /tickets, /agents, "
        "/customers, /surveys and /quality; the API is described at /api/v1/docs.",
        "zh": "此地址没有页面。页面有 /、/tickets、/agents、/customers、/surveys 和 /quality；"
        "API 说明见 /api/v1/docs。",
    },
    "overview_heading": {"en": "Overview", "zh": "总览"},
    "interval_95": {"en": "95 % interval", "zh": "95% 区间"},
    "breakdown_heading": {"en": "By {dimension}", "zh": "按{dimension}"},
    "breakdown_note": {
        "en": "Each figure against the period before. Red: worse beyond the 95 % noise of "
        "both periods (rates and scores), or by more than 10 % (times and counts, which carry "
        "no interval; look at n before acting on a small group). Compare by:",
        "zh": "每个数字与上一时段相比。红色：变差且超出两个时段 95% 的误差范围（比率与评分），"
        "或变化超过 10%（时长与数量没有区间；小样本分组请先看样本量）。其他维度：",
    },
    "export_change": {"en": "change", "zh": "变化"},
    "export_verdict": {"en": "verdict", "zh": "判断"},
    "export_this_table": {"en": "Export this table:", "zh": "导出此表："},
    # (pages add their words below, one block each)
    # survey form (/s/{link}, cxlens.web.forms)
    "form_title": {"en": "A short survey", "zh": "简短调查"},
    "form_question_csat": {
        "en": "How satisfied are you with the help you received?",
        "zh": "您对本次获得的服务满意吗？",
    },
    "form_low_csat": {"en": "very dissatisfied", "zh": "非常不满意"},
    "form_high_csat": {"en": "very satisfied", "zh": "非常满意"},
    "form_question_nps": {
        "en": "How likely are you to recommend us to a friend or colleague?",
        "zh": "您有多大可能向朋友或同事推荐我们？",
    },
    "form_low_nps": {"en": "not at all likely", "zh": "完全不可能"},
    "form_high_nps": {"en": "extremely likely", "zh": "极有可能"},
    "form_question_ces_easy": {
        "en": "How easy was it to get your issue resolved?",
        "zh": "解决您的问题有多容易？",
    },
    "form_low_ces_easy": {"en": "very difficult", "zh": "非常困难"},
    "form_high_ces_easy": {"en": "very easy", "zh": "非常容易"},
    "form_question_ces_effort": {
        "en": "How much effort did it take you to get your issue resolved?",
        "zh": "为了解决问题，您花费了多少精力？",
    },
    "form_low_ces_effort": {"en": "very little effort", "zh": "几乎不费力"},
    "form_high_ces_effort": {"en": "a great deal of effort", "zh": "非常费力"},
    "form_about_ticket": {"en": "About ticket {id}", "zh": "关于工单 {id}"},
    "form_about_customer": {"en": "For customer {id}", "zh": "客户 {id}"},
    "form_pick": {"en": "Tap a score", "zh": "请点选分数"},
    "form_pick_score": {
        "en": "Please choose a score from {low} to {high}.",
        "zh": "请选择 {low} 到 {high} 之间的分数。",
    },
    "form_comment": {
        "en": "Anything you would like to add? (optional)",
        "zh": "还有什么想告诉我们的吗？（选填）",
    },
    "form_comment_hint": {"en": "Up to {max} characters.", "zh": "最多 {max} 个字。"},
    "form_comment_too_long": {
        "en": "Please shorten the comment to {max} characters (it has {n}).",
        "zh": "请将留言缩短到 {max} 个字以内（现为 {n} 个字）。",
    },
    "form_submit": {"en": "Send my answer", "zh": "提交"},
    "form_thanks_heading": {"en": "Thank you!", "zh": "感谢您的反馈！"},
    "form_thanks_body": {"en": "Your answer has been recorded.", "zh": "您的回答已记录。"},
    "form_forged_heading": {"en": "This link does not work", "zh": "此链接无法使用"},
    "form_forged_body": {
        "en": "Please open the link exactly as you received it, or ask us for a new one.",
        "zh": "请按收到时的原样打开链接，或联系我们获取新的链接。",
    },
    "form_expired_heading": {"en": "This survey has closed", "zh": "本次调查已结束"},
    "form_expired_body": {
        "en": "Thank you for your time all the same.",
        "zh": "仍然感谢您抽出时间。",
    },
    "form_used_heading": {
        "en": "You have already answered — thank you",
        "zh": "您已经回答过了，谢谢！",
    },
    "form_used_body": {
        "en": "Each survey link takes one answer, and we have yours.",
        "zh": "每个调查链接只接受一次回答，我们已收到您的回答。",
    },
    "form_too_many_heading": {"en": "Too many answers at once", "zh": "提交过于频繁"},
    "form_too_many_body": {
        "en": "Too many answers came from your network in the last minute. "
        "Please wait a minute and send yours again.",
        "zh": "您所在的网络在一分钟内提交了太多回答。请稍等一分钟后再提交。",
    },
    "form_too_large_heading": {"en": "That answer is too long", "zh": "回答内容过长"},
    "form_too_large_body": {
        "en": "Please go back, shorten the comment and send it again.",
        "zh": "请返回，缩短留言后再提交。",
    },
    "form_bad_form_heading": {"en": "That answer could not be read", "zh": "无法读取该回答"},
    "form_bad_form_body": {
        "en": "Please go back and send the form again from the survey page.",
        "zh": "请返回调查页面重新提交。",
    },
    # tickets page (/tickets): the list, drill-down, SLA, backlog ageing, breakdowns
    "tickets_heading": {"en": "Tickets", "zh": "工单"},
    "tickets_total": {"en": "{total} tickets", "zh": "共 {total} 张工单"},
    "tickets_records_total": {"en": "{total} records", "zh": "共 {total} 条记录"},
    "tickets_drill_heading": {"en": "Records behind: {kpi}", "zh": "指标明细：{kpi}"},
    "tickets_check": {
        "en": "Listed: {listed} · the KPI's n: {n}",
        "zh": "列出 {listed} 条 · 指标样本量 {n}",
    },
    "tickets_check_agrees": {"en": "they agree", "zh": "一致"},
    "tickets_check_differs": {"en": "they differ", "zh": "不一致"},
    "tickets_check_age": {
        "en": "Only tickets aged {age} days are listed; the backlog's n counts every age.",
        "zh": "仅列出账龄 {age} 天的工单；积压的样本量包含所有账龄。",
    },
    "tickets_all_list": {"en": "All tickets in this period", "zh": "本时段全部工单"},
    "tickets_export_note": {
        "en": "Exports hold every row of this list ({total}, all pages), with the same columns.",
        "zh": "导出文件包含本列表的全部 {total} 行（所有分页），列与页面相同。",
    },
    "tickets_page_of": {"en": "Page {page} of {pages}", "zh": "第 {page} / {pages} 页"},
    "tickets_previous": {"en": "Previous", "zh": "上一页"},
    "tickets_next": {"en": "Next", "zh": "下一页"},
    "tickets_col_ticket_id": {"en": "Ticket", "zh": "工单号"},
    "tickets_col_created": {"en": "Created (local)", "zh": "创建时间（本地）"},
    "tickets_col_channel": {"en": "Channel", "zh": "渠道"},
    "tickets_col_category": {"en": "Category", "zh": "类别"},
    "tickets_col_priority": {"en": "Priority", "zh": "优先级"},
    "tickets_col_team": {"en": "Team", "zh": "团队"},
    "tickets_col_agent": {"en": "Agent", "zh": "客服"},
    "tickets_col_status": {"en": "Status", "zh": "状态"},
    "tickets_col_first_response_min": {"en": "First response (min)", "zh": "首次响应（分钟）"},
    "tickets_col_resolution_min": {"en": "Resolution (min)", "zh": "解决时长（分钟）"},
    "tickets_col_reopens": {"en": "Reopens", "zh": "重开次数"},
    "tickets_col_csat": {"en": "CSAT score", "zh": "CSAT 分数"},
    "tickets_col_clock_no": {"en": "Clock", "zh": "计时序号"},
    "tickets_col_due": {"en": "Due (local)", "zh": "到期时间（本地）"},
    "tickets_col_state": {"en": "Met / breached", "zh": "达标 / 超时"},
    "tickets_col_age_days": {"en": "Age (days)", "zh": "账龄（天）"},
    "tickets_col_solved": {"en": "Solved (local)", "zh": "解决时间（本地）"},
    "tickets_col_first_solved": {"en": "First solved (local)", "zh": "首次解决（本地）"},
    "tickets_col_credited_agent": {"en": "Credited agent", "zh": "计入客服"},
    "tickets_col_fcr": {"en": "Resolved at first contact", "zh": "首次接触解决"},
    "tickets_col_reopen_rate": {"en": "Reopened", "zh": "曾重开"},
    "sla_heading": {"en": "SLA", "zh": "服务水平（SLA）"},
    "sla_met_share": {"en": "Met", "zh": "达标率"},
    "sla_target_first_response": {"en": "First response", "zh": "首次响应"},
    "sla_target_next_response": {"en": "Next response", "zh": "后续响应"},
    "sla_target_resolution": {"en": "Resolution", "zh": "解决"},
    "sla_state_met": {"en": "met", "zh": "达标"},
    "sla_state_breached": {"en": "breached", "zh": "超时"},
    "sla_state_running": {"en": "running", "zh": "计时中"},
    "sla_breached_heading": {
        "en": "Breached in this period ({total})",
        "zh": "本时段超时（{total}）",
    },
    "sla_soon_heading": {
        "en": "About to breach: open, due within {hours} h of the data's end ({total})",
        "zh": "即将超时：未完成且在数据截止后 {hours} 小时内到期（{total}）",
    },
    "sla_shown_of": {"en": "showing {shown} of {total}", "zh": "显示 {shown} / {total}"},
    "sla_col_target": {"en": "Target", "zh": "目标"},
    "backlog_ageing_heading": {
        "en": "Backlog ageing: open tickets at the period's end",
        "zh": "积压账龄：期末未解决工单",
    },
    "age_bucket": {"en": "Age", "zh": "账龄"},
    "age_0-1": {"en": "< 1 day", "zh": "< 1 天"},
    "age_1-3": {"en": "1–3 days", "zh": "1–3 天"},
    "age_3-7": {"en": "3–7 days", "zh": "3–7 天"},
    "age_7-30": {"en": "7–30 days", "zh": "7–30 天"},
    "age_30+": {"en": "> 30 days", "zh": "> 30 天"},
    "tickets_by_channel": {"en": "Tickets by channel", "zh": "各渠道工单数"},
    "tickets_by_category": {"en": "Tickets by category", "zh": "各类别工单数"},
    "tickets_count": {"en": "Tickets", "zh": "工单数"},
    # The customer page (customers.py)
    "customers_heading": {"en": "Customers", "zh": "客户"},
    "customers_ignored_filters": {
        "en": "Customer figures are narrowed by segment only; {dimensions} left aside here.",
        "zh": "客户指标只按客户分群筛选；此处未使用：{dimensions}。",
    },
    "customers_no_value": {
        "en": "Customers have no predicted value: {reason}.",
        "zh": "无法预测客户价值：{reason}。",
    },
    "customers_churn_heading": {
        "en": "The customers behind the churn figure",
        "zh": "流失率背后的客户",
    },
    "customers_churn_note": {
        "en": "{n} customers active at the period's start (or joining before its end); "
        "those marked lost left within it.",
        "zh": "共 {n} 位客户在期初活跃（或在期末前加入）；标为流失的客户在期内流失。",
    },
    "customers_back_to_list": {"en": "Back to the risk list", "zh": "返回风险名单"},
    "customers_sort": {"en": "Order by", "zh": "排序"},
    "customers_shown": {
        "en": "{total} customers · page {page} of {pages}",
        "zh": "共 {total} 位客户 · 第 {page}/{pages} 页",
    },
    "cust_sort_loss": {"en": "expected loss", "zh": "预期损失"},
    "cust_sort_risk": {"en": "churn risk", "zh": "流失风险"},
    "cust_sort_value": {"en": "value", "zh": "价值"},
    "cust_band_all": {"en": "all", "zh": "全部"},
    "cust_page_previous": {"en": "← Previous", "zh": "← 上一页"},
    "cust_page_next": {"en": "Next →", "zh": "下一页 →"},
    "cust_yes": {"en": "yes", "zh": "是"},
    "cust_no": {"en": "no", "zh": "否"},
    "cust_col_customer": {"en": "Customer", "zh": "客户"},
    "cust_col_name": {"en": "Name", "zh": "姓名"},
    "cust_col_plan": {"en": "Plan", "zh": "套餐"},
    "cust_col_risk": {"en": "Churn risk", "zh": "流失风险"},
    "cust_col_band": {"en": "Risk band", "zh": "风险等级"},
    "cust_col_value": {"en": "Predicted value", "zh": "预测价值"},
    "cust_col_loss": {"en": "Expected loss", "zh": "预期损失"},
    "cust_col_reasons": {"en": "Top reasons", "zh": "主要原因"},
    "cust_col_last_order": {"en": "Last order", "zh": "最近下单"},
    "cust_col_tickets": {"en": "Tickets in the period", "zh": "期内工单"},
    "cust_col_active_from": {"en": "Active from", "zh": "开始活跃"},
    "cust_col_churned_on": {"en": "Churned on", "zh": "流失日期"},
    "cust_col_lost": {"en": "Lost in the period", "zh": "期内流失"},
    "cust_validation_time_split": {
        "en": "Model check: ROC AUC {auc} (95 % interval {low}–{high}) on {n} customers "
        "it had not seen, predicting from {since} forward.",
        "zh": "模型检验：在 {n} 位未参与训练的客户上 ROC AUC 为 {auc}（95% 区间 {low}–{high}），"
        "从 {since} 起向前预测。",
    },
    "cust_validation_folds": {
        "en": "Model check: ROC AUC {auc} ± {sd} (sd over {folds} folds, range {low}–{high}) "
        "on {n} customers, each scored by a model that had not seen it.",
        "zh": "模型检验：{n} 位客户的 {folds} 折交叉验证 ROC AUC 为 {auc} ± {sd}"
        "（范围 {low}–{high}），每位客户均由未见过它的模型打分。",
    },
    # The data-quality page (quality.py)
    "quality_heading": {"en": "Data quality", "zh": "数据质量"},
    "quality_cleaning_heading": {"en": "Cleaning log", "zh": "清洗日志"},
    "quality_cleaning_note": {
        "en": "Every cleaning rule, with the rows it touched in the last clean.",
        "zh": "每条清洗规则及其在最近一次清洗中处理的行数。",
    },
    "quality_imports_heading": {"en": "Imports", "zh": "导入记录"},
    "quality_flags_heading": {"en": "Quality flags in the period", "zh": "期内数据质量标记"},
    "quality_freshness_heading": {"en": "Freshness", "zh": "数据新鲜度"},
    "quality_state_heading": {"en": "Cleaning state", "zh": "清洗状态"},
    "quality_state_clean": {
        "en": "The cleaned tables hold every write so far.",
        "zh": "清洗后的数据表已包含目前所有写入。",
    },
    "quality_state_pending": {
        "en": "Writes are waiting to be cleaned; figures will include them shortly.",
        "zh": "有写入正在等待清洗，指标稍后会包含它们。",
    },
    "quality_state_failed": {
        "en": "The last clean failed: {error}",
        "zh": "最近一次清洗失败：{error}",
    },
    "quality_no_flags": {
        "en": "No ticket in the period carries a quality flag.",
        "zh": "期内没有带数据质量标记的工单。",
    },
    "qual_col_rule": {"en": "Rule", "zh": "规则"},
    "qual_col_table": {"en": "Table", "zh": "数据表"},
    "qual_col_rows": {"en": "Rows", "zh": "行数"},
    "qual_col_examples": {"en": "Example keys", "zh": "示例主键"},
    "qual_col_description": {"en": "What it does", "zh": "说明"},
    "qual_col_file": {"en": "File", "zh": "文件"},
    "qual_col_when": {"en": "Imported at", "zh": "导入时间"},
    "qual_col_preset": {"en": "Preset", "zh": "预设"},
    "qual_col_flag": {"en": "Flag", "zh": "标记"},
    "qual_col_tickets": {"en": "Tickets", "zh": "工单数"},
    "qual_col_newest": {"en": "Newest record", "zh": "最新记录"},
    # -- the agents page (agents.py) --
    "agents_heading": {"en": "Agents", "zh": "客服表现"},
    "agents_team": {"en": "Team (all agents)", "zh": "团队（全部客服）"},
    "agents_column_agent": {"en": "Agent", "zh": "客服"},
    "agents_column_id": {"en": "Agent id", "zh": "客服 ID"},
    "agents_column_verdict": {"en": "vs team", "zh": "与团队相比"},
    "agents_above": {"en": "above the team", "zh": "高于团队"},
    "agents_below": {"en": "below the team", "zh": "低于团队"},
    "agents_too_few": {"en": "too few to judge", "zh": "样本太少，不作判断"},
    "agents_rule_order": {
        "en": "Agents are listed by volume (tickets), never ranked by a score.",
        "zh": "客服按工单量排序，从不按得分排名。",
    },
    "agents_rule_mark": {
        "en": "A figure is marked above or below the team only when its 95 % interval "
        "excludes the team's value and it rests on at least {min_n} records; figures on "
        "fewer records are greyed as too few to judge. Medians and counts have no "
        "interval and are never marked.",
        "zh": "只有当某项数值的 95% 区间不包含团队数值、且样本至少 {min_n} 条时，才标为高于或"
        "低于团队；样本更少的数值以灰色显示为“样本太少，不作判断”。中位数和计数没有区间，"
        "从不标记。",
    },
    "agents_attribution": {"en": "Who is credited with what", "zh": "归属规则"},
    "agents_credit_tickets": {
        "en": "Tickets: the assignee (the ticket's agent).",
        "zh": "工单量：计入工单的受理客服。",
    },
    "agents_credit_first_response": {
        "en": "First response time: the agent who sent the first human public reply.",
        "zh": "首次响应时长：计入第一个公开回复的人工客服。",
    },
    "agents_credit_resolution": {
        "en": "Resolution time, FCR and reopen rate: the agent who solved the ticket "
        "(the solve in force); a solve by a bot or the system goes to no agent.",
        "zh": "解决时长、一次解决率和重开率：计入解决该工单的客服（以当前有效的解决为准）；"
        "机器人或系统的解决不计入任何客服。",
    },
    "agents_credit_csat": {
        "en": "CSAT: the agent on the survey response: the last human agent who served the "
        "ticket before the rating, else the response's or the ticket's agent.",
        "zh": "满意度：计入问卷回复上的客服，即评价前最后服务该工单的人工客服，否则为回复或"
        "工单上的客服。",
    },
    # -- the surveys page (surveys.py) --
    "surveys_heading": {"en": "Surveys", "zh": "满意度调查"},
    "surveys_none": {
        "en": "The warehouse holds no survey responses.",
        "zh": "数据仓库中没有调查回复。",
    },
    "surveys_response_rate": {"en": "Response rate", "zh": "回复率"},
    "surveys_sends_unknown": {
        "en": "Response rate: unknown, as the data does not record when surveys were sent.",
        "zh": "回复率：未知，数据中没有问卷发送时间。",
    },
    "surveys_formula_csat": {
        "en": "CSAT = satisfied ({satisfied}) / answered",
        "zh": "满意度 = 满意（{satisfied}）/ 有效回复",
    },
    "surveys_satisfied_on": {
        "en": "{satisfied} on {scale}",
        "zh": "{scale} 分制中的 {satisfied} 分",
    },
    "surveys_formula_nps": {
        "en": "NPS = % promoters (9–10) − % detractors (0–6) of valid answers (whole numbers 0–10)",
        "zh": "NPS = 推荐者（9–10 分）占比 − 贬损者（0–6 分）占比，基于有效回复（0–10 的整数）",
    },
    "surveys_formula_ces": {
        "en": "CES = mean effort score on {scale}; {direction}",
        "zh": "CES = {scale} 分制的平均费力度得分；{direction}",
    },
    "surveys_ces_higher": {"en": "higher is easier", "zh": "分数越高越省力"},
    "surveys_ces_lower": {"en": "lower is easier", "zh": "分数越低越省力"},
    "surveys_scale": {"en": "Scale", "zh": "分制"},
    "surveys_score": {"en": "Score", "zh": "分数"},
    "surveys_band": {"en": "Band", "zh": "分组"},
    "surveys_responses": {"en": "Responses", "zh": "回复数"},
    "surveys_band_satisfied": {"en": "Satisfied", "zh": "满意"},
    "surveys_band_unsatisfied": {"en": "Not satisfied", "zh": "不满意"},
    "surveys_band_promoter": {"en": "Promoters", "zh": "推荐者"},
    "surveys_band_passive": {"en": "Passives", "zh": "中立者"},
    "surveys_band_detractor": {"en": "Detractors", "zh": "贬损者"},
    "surveys_band_score": {"en": "Responses", "zh": "回复"},
    "surveys_comments": {"en": "Comments", "zh": "评论"},
    "surveys_behind": {"en": "Responses behind {kpi}", "zh": "{kpi} 的明细回复"},
    "surveys_listed": {
        "en": "{total} responses · page {page} of {pages}",
        "zh": "共 {total} 条回复 · 第 {page}/{pages} 页",
    },
    "surveys_kpi_n": {"en": "the KPI's n = {n}", "zh": "该指标样本量 {n}"},
    "surveys_export_all": {
        "en": "Exports hold every response of this list (all pages).",
        "zh": "导出包含此列表的全部回复（所有页）。",
    },
    "surveys_previous": {"en": "← Newer", "zh": "← 较新"},
    "surveys_next": {"en": "Older →", "zh": "较早 →"},
    "surveys_column_responded_at": {"en": "Responded (local)", "zh": "回复时间（本地）"},
    "surveys_column_kind": {"en": "Survey", "zh": "调查类型"},
    "surveys_column_score": {"en": "Score", "zh": "分数"},
    "surveys_column_channel": {"en": "Channel", "zh": "渠道"},
    "surveys_column_agent": {"en": "Agent", "zh": "客服"},
    "surveys_column_ticket_id": {"en": "Ticket", "zh": "工单"},
    "surveys_column_comment": {"en": "Comment", "zh": "评论"},
    "surveys_column_response_id": {"en": "Response id", "zh": "回复 ID"},
    "form_busy_heading": {
        "en": "We could not save your answer just now",
        "zh": "暂时无法保存您的回答",
    },
    "form_busy_body": {
        "en": "Many answers are arriving at once. Please go back and send yours again in a minute.",
        "zh": "当前提交的回答较多。请返回，稍等一分钟后再提交。",
    },
    # the overview's "why" section (web/explain.py)
    "explain_heading": {
        "en": "Where the change in {name} comes from",
        "zh": "{name}的变化从何而来",
    },
    "explain_summary": {
        "en": "{name}: {before} in the period before, {now} now ({change}).",
        "zh": "{name}：上一时段 {before}，本时段 {now}（{change}）。",
    },
    "explain_note_rate": {
        "en": "Each group's part adds up to the whole change: its own value moving, plus its "
        "share of the records moving (weighted by the two periods' average).",
        "zh": "各组贡献之和等于总变化：组内数值变化的部分，加上该组记录占比变化的部分（按两个时段的平均加权）。",
    },
    "explain_note_duration": {
        "en": "Medians do not add up across groups: the groups are ranked by records now × "
        "the change of their own median.",
        "zh": "中位数不能跨组相加：按本时段记录数 × 组内中位数的变化排序。",
    },
    "explain_lead_rate": {
        "en": "Most of it: {group} ({contribution}; {rate} from its own figure moving "
        "{before} → {now}, {mix} from its share of the records).",
        "zh": "主要来自{group}（{contribution}；其中组内数值 {before} → {now} 贡献 {rate}，占比变化贡献 {mix}）。",
    },
    "explain_lead_duration": {
        "en": "Most of it: {group} ({before} → {now} on {n} records).",
        "zh": "主要来自{group}（{before} → {now}，{n} 条记录）。",
    },
    "explain_group": {"en": "Group", "zh": "分组"},
    "explain_records": {"en": "Records before → now", "zh": "记录数 上期 → 本期"},
    "explain_values": {"en": "Value before → now", "zh": "数值 上期 → 本期"},
    "explain_part": {"en": "Part of the change", "zh": "对变化的贡献"},
    "explain_own": {"en": "of it: own value", "zh": "其中：组内数值"},
    "explain_mix": {"en": "of it: share", "zh": "其中：占比"},
    "explain_why": {"en": "why?", "zh": "原因"},
    "explain_rest": {"en": "the other {groups} groups", "zh": "其余 {groups} 组"},
}


def word(key: str, lang: str, **values: object) -> str:
    """The word ``key`` in ``lang`` (the report's labels as a fallback), values filled in."""
    entry = WORDS.get(key) or LABELS.get(key)
    if entry is None:
        raise KeyError(f"no dashboard word {key!r}")
    text = entry["zh" if lang == "zh" else "en"]
    return text.format(**values) if values else text
