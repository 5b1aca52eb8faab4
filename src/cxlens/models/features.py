"""Per-customer features for churn risk, as of a day, from the cleaned warehouse.

One row per customer known by ``as_of`` (in customers, subscriptions, orders or
tickets), computed in DuckDB from records up to the end of that local day only, so a
model trained on features of an earlier day never sees what happened after it:

- service experience: tickets (all, last 90 days), median first-response and
  resolution minutes (counted once the response or resolution had happened by
  ``as_of``), reopened tickets (among those resolved by then), CSAT mean on a 0–1 scale
  (``(score − scale_min) / (scale_max − scale_min)``, so 1–5 and 0–10 forms pool), the
  share of satisfied CSAT answers (the same thresholds as the ``csat`` KPI), the last
  NPS score, complaints and days since the last ticket;
- purchases (RFM): days since the last completed order, completed orders, their spend,
  refunded orders;
- relationship: tenure days (from the first subscription start, first order or
  customer record, whichever is earliest), the plan and monthly fee of the latest
  subscription started by ``as_of``, the customer's segment;
- attribute keys of ``customers.attributes`` and of that subscription's
  ``attributes`` (numeric when every value parses as a number, else categorical).

A *complaint* is a ticket with one of three signals: a CSAT answer on it in the bottom
quarter of its scale (1–2 of 1–5: the customer said so), a category that names a
complaint or escalation (the desk filed it as one), or urgent priority (the problem was
judged severe enough to jump the queue).

Leakage guards. Subscription end dates are never read: churn *is* the end of the last
subscription, and an end known at ``as_of`` would give the label away. Attribute keys
naming churn, status, an end, a cancellation, a reason or a label (English words in the
key, or 流失/状态/结束/取消/原因/标签) are dropped, as are the names listed in
``[churn] exclude``. Order status and attributes are the export's final values, so an
order placed before ``as_of`` and refunded later counts as refunded; list such keys in
``[churn] exclude`` when they describe the end of the relationship.

Gender is left out on purpose (no customer's risk or reasons should rest on it), and so
are region and age unless an export puts them in ``attributes``: on the sample data
they only added noise to the reasons.
Categorical levels seen fewer than ``min_level_count`` times (default: 10, or 1 % of
customers if more) are pooled into ``other``, so one-off values do not become rules.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cxlens.errors import ConfigError, WarehouseError
from cxlens.models.dates import as_day
from cxlens.schema import DEFAULT_SCALES
from cxlens.store import has_table, table_columns

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["FEATURE_LABELS", "FeatureLabel", "customer_features", "describe_values", "label_of"]

RECENT_TICKET_DAYS = 90
OTHER_LEVEL = "other"
MAX_LEVELS = 30
COMPLAINT_CATEGORY = r"complain|escalat|投诉|升级"
LOW_CSAT = 0.25  # normalised score at or below this is a low CSAT (1–2 on 1–5)

_LEAKY_WORDS = ("churn", "status", "cancel", "reason", "label")
_LEAKY_ENDS = {"end", "ended", "ends", "ending", "enddate"}
_LEAKY_ZH = ("流失", "状态", "结束", "取消", "原因", "标签")


@dataclass(frozen=True)
class FeatureLabel:
    """How a feature reads in a sentence: its name and a phrase around its value.

    ``kind`` says how its values are written: count, days, minutes, share (0–1 as a
    percentage), score, money, number or category.
    """

    en: str
    zh: str
    en_phrase: str
    zh_phrase: str
    kind: str


FEATURE_LABELS: dict[str, FeatureLabel] = {
    "tickets": FeatureLabel("Tickets", "工单数", "{value} tickets", "{value} 个工单", "count"),
    "tickets_90d": FeatureLabel(
        "Tickets in the last 90 days", "近 90 天工单数",
        "{value} tickets in the last 90 days", "近 90 天 {value} 个工单", "count",
    ),
    "first_response_median_min": FeatureLabel(
        "Median first response", "首次响应时间中位数",
        "Median first response {value}", "首次响应中位数 {value}", "minutes",
    ),
    "resolution_median_min": FeatureLabel(
        "Median resolution time", "解决时间中位数",
        "Median resolution time {value}", "解决时间中位数 {value}", "minutes",
    ),
    "reopened_tickets": FeatureLabel(
        "Reopened tickets", "重开工单数",
        "{value} reopened tickets", "{value} 个工单被重开", "count",
    ),
    "csat_mean": FeatureLabel(
        "Average CSAT (share of the top score)", "平均满意度（占满分比例）",
        "Average CSAT {value} of the top score", "平均满意度为满分的 {value}", "share",
    ),
    "csat_satisfied_share": FeatureLabel(
        "Satisfied CSAT answers", "满意评价占比",
        "{value} of CSAT answers satisfied", "满意评价占 {value}", "share",
    ),
    "nps_last": FeatureLabel(
        "Last NPS score", "最近一次 NPS 评分", "Last NPS score {value}",
        "最近一次 NPS 评分 {value}", "score",
    ),
    "complaints": FeatureLabel(
        "Complaints", "投诉数", "{value} complaints", "{value} 次投诉", "count"
    ),
    "days_since_last_ticket": FeatureLabel(
        "Days since the last ticket", "距最近一次工单天数",
        "Last ticket {value} days ago", "最近一次工单在 {value} 天前", "days",
    ),
    "days_since_last_order": FeatureLabel(
        "Days since the last order", "距最近一次下单天数",
        "Last order {value} days ago", "最近一次下单在 {value} 天前", "days",
    ),
    "orders": FeatureLabel("Orders", "订单数", "{value} orders", "{value} 笔订单", "count"),
    "spend": FeatureLabel("Spend", "消费金额", "Spend {value}", "消费 {value}", "money"),
    "refunds": FeatureLabel(
        "Refunded orders", "退款订单数", "{value} refunded orders", "{value} 笔退款订单", "count"
    ),
    "tenure_days": FeatureLabel(
        "Tenure", "客户时长", "Customer for {value} days", "成为客户 {value} 天", "days"
    ),
    "plan": FeatureLabel("Plan", "套餐", "{value} plan", "{value} 套餐", "category"),
    "mrr": FeatureLabel("Monthly fee", "月费", "Monthly fee {value}", "月费 {value}", "money"),
    "segment": FeatureLabel(
        "Segment", "客户分群", "Segment {value}", "客户分群 {value}", "category"
    ),
}  # fmt: skip

_CATEGORICAL = ("plan", "segment")
_COUNTS = ("tickets", "tickets_90d", "reopened_tickets", "complaints", "orders", "refunds")


def label_of(feature: str, kind: str = "number") -> FeatureLabel:
    """The label of ``feature``; an attribute column (``customer.Partner``) reads as its key."""
    if feature in FEATURE_LABELS:
        return FEATURE_LABELS[feature]
    key = feature.split(".", 1)[-1]
    return FeatureLabel(key, key, f"{key}: {{value}}", f"{key}：{{value}}", kind)


def describe_values(feature: str, values: pd.Series, language: str, kind: str = "number"):
    """``values`` of ``feature`` as phrases a manager reads ("3 reopened tickets").

    A missing value says so: "Median resolution time: not recorded yet" (no resolved
    ticket, no answer, no order by then).
    """
    label = label_of(feature, kind)
    phrase = label.zh_phrase if language == "zh" else label.en_phrase
    before, after = phrase.split("{value}")
    missing = f"{label.zh}：尚无记录" if language == "zh" else f"{label.en}: not recorded yet"
    text = before + format_values(values, label.kind, language) + after
    return text.where(values.notna(), missing)


def format_values(values: pd.Series, kind: str, language: str) -> pd.Series:
    """Values written for a sentence: whole counts, percentages, durations, categories."""
    import pandas as pd

    if kind == "category" or not pd.api.types.is_numeric_dtype(values):
        return values.astype(object).astype(str)
    number = values.astype(float)
    if kind in ("count", "days"):
        return number.round().map("{:,.0f}".format)
    if kind == "share":
        return (number * 100).map("{:.0f}%".format)
    if kind == "money":
        return number.map("{:,.2f}".format)
    if kind == "minutes":
        return _durations(number, language)
    return number.map("{:,.4g}".format)


def _durations(minutes: pd.Series, language: str) -> pd.Series:
    """Minutes as "35 min", "4.2 h" or "3.1 days" (分钟/小时/天 in Chinese)."""
    units = ("分钟", "小时", "天") if language == "zh" else (" min", " h", " days")
    text = (minutes / 1440).map("{:.1f}".format) + units[2]
    text = text.mask(minutes < 2880, (minutes / 60).map("{:.1f}".format) + units[1])
    return text.mask(minutes < 120, minutes.map("{:.0f}".format) + units[0])


def customer_features(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    as_of: date | str,
    min_level_count: int | None = None,
) -> pd.DataFrame:
    """One row per customer known by ``as_of`` (index ``customer_id``), from records up to
    the end of that local day only.

    Columns are those in ``FEATURE_LABELS`` that the loaded tables can fill, then
    ``customer.<key>`` and ``subscription.<key>`` for attribute keys; categorical columns
    have the pandas ``category`` dtype. Counts are 0 where a customer has no records;
    times, scores and attributes are missing (NaN). Raises a WarehouseError when the
    warehouse holds none of customers, subscriptions, orders or tickets.
    """
    import pandas as pd

    day = as_day(as_of)
    present = {t: table_columns(con, t) for t in _SOURCES if has_table(con, t)}
    if not present.keys() & {"customers", "subscriptions", "orders", "tickets"}:
        raise WarehouseError(
            "the warehouse has no cleaned customers, subscriptions, orders or tickets; "
            "import them (`cxlens import FILE --table subscriptions`) before predicting churn"
        )
    params = {
        "as_of": day,
        "cutoff": datetime.combine(day + timedelta(days=1), datetime.min.time()),
    }

    frame = con.execute(_features_sql(settings, present), params).df()
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame = frame.set_index("customer_id").sort_index()
    nullable = frame.select_dtypes(include=["Int64", "Float64"]).columns
    frame[nullable] = frame[nullable].astype("float64")
    attributes = _attribute_features(con, settings, present, params, frame.index)

    features = pd.concat([frame, attributes], axis=1)
    features = features.drop(columns=_excluded(settings, features.columns))
    threshold = min_level_count or max(10, round(0.01 * len(features)))
    features = _pool_levels(features, threshold)
    log.debug("features of %d customers as of %s: %s", len(features), day, list(features.columns))
    return features


_SOURCES = ("customers", "subscriptions", "orders", "tickets", "survey_responses")


def _features_sql(settings: Settings, present: dict[str, set[str]]) -> str:
    """The one query: every known customer, left-joined to the blocks the tables allow."""
    blocks = {}
    if "tickets" in present:
        blocks["service"] = _service_sql(present)
    if "survey_responses" in present:
        blocks["surveys"] = _surveys_sql(settings, present)
    if "orders" in present:
        blocks["purchases"] = _purchases_sql(present["orders"])
    if "subscriptions" in present:
        blocks["contract"] = _contract_sql()
    if "customers" in present:
        blocks["profile"] = _profile_sql(present["customers"])

    known = " UNION ALL ".join(_KNOWN[t] for t in _KNOWN if t in present)
    ctes = [
        f"known AS (SELECT DISTINCT customer_id FROM ({known}))",
        *(f"{name} AS ({sql})" for name, sql in blocks.items()),
    ]
    joins = "".join(f"\nLEFT JOIN {name} USING (customer_id)" for name in blocks)
    columns = [_SELECT[name] for name in blocks]
    starts = [_FIRST_DAY[name] for name in blocks if name in _FIRST_DAY]
    first_day = f"least({', '.join(starts)})" if starts else "NULL::DATE"
    columns.append(f"date_diff('day', {first_day}, $as_of::DATE) AS tenure_days")
    return (
        f"WITH {', '.join(ctes)}\nSELECT customer_id, {', '.join(columns)}\nFROM known{joins}\n"
        "WHERE customer_id IS NOT NULL"
    )


_KNOWN = {
    "customers": "SELECT customer_id FROM customers "
    "WHERE created_at_local IS NULL OR created_at_local < $cutoff",
    "subscriptions": "SELECT customer_id FROM subscriptions WHERE started_at_local < $cutoff",
    "orders": "SELECT customer_id FROM orders WHERE ordered_at_local < $cutoff",
    "tickets": "SELECT customer_id FROM tickets WHERE created_at_local < $cutoff",
}

_SELECT = {
    "service": """
        coalesce(service.tickets, 0) AS tickets,
        coalesce(service.tickets_90d, 0) AS tickets_90d,
        service.first_response_median_min,
        service.resolution_median_min,
        coalesce(service.reopened_tickets, 0) AS reopened_tickets,
        coalesce(service.complaints, 0) AS complaints,
        service.days_since_last_ticket""",
    "surveys": "surveys.csat_mean, surveys.csat_satisfied_share, surveys.nps_last",
    "purchases": """
        purchases.days_since_last_order,
        coalesce(purchases.orders, 0) AS orders,
        coalesce(purchases.spend, 0) AS spend,
        coalesce(purchases.refunds, 0) AS refunds""",
    "contract": "contract.plan, contract.mrr",
    "profile": "profile.segment",
}

_FIRST_DAY = {
    "purchases": "purchases.first_order_day",
    "contract": "contract.first_start_day",
    "profile": "profile.created_day",
}


def _service_sql(present: dict[str, set[str]]) -> str:
    """Tickets created by ``as_of`` (merged ones left out), per customer."""
    tickets = present["tickets"]
    merged = "AND NOT coalesce(t.is_merged, false)" if "is_merged" in tickets else ""
    resolved_by = _known_by("t.resolution_min", "t.solved_at_local", tickets)
    responded_by = _known_by("t.first_response_min", "t.first_response_at_local", tickets)
    low_csat = "false"
    if "survey_responses" in present and "ticket_id" in present["survey_responses"]:
        low_csat = f"""t.ticket_id IN (
            SELECT ticket_id FROM survey_responses
            WHERE kind = 'csat' AND responded_at_local < $cutoff AND score IS NOT NULL
              AND {_normalised("csat")} <= {LOW_CSAT})"""
    category = _optional("t.category", tickets, "category")
    priority = _optional("t.priority", tickets, "priority")
    complaint = (
        f"({low_csat}) OR regexp_matches(lower(coalesce({category}, '')), '{COMPLAINT_CATEGORY}')"
        f" OR coalesce({priority}, '') = 'urgent'"
    )
    reopens = _optional("t.reopens", tickets, "reopens")
    return f"""
        SELECT t.customer_id,
            count(*) AS tickets,
            count(*) FILTER (
                WHERE t.created_at_local >= $cutoff - INTERVAL {RECENT_TICKET_DAYS} DAY
            ) AS tickets_90d,
            median(t.first_response_min) FILTER (WHERE {responded_by}) AS first_response_median_min,
            median(t.resolution_min) FILTER (WHERE {resolved_by}) AS resolution_median_min,
            count(*) FILTER (WHERE coalesce({reopens}, 0) > 0 AND {resolved_by})
                AS reopened_tickets,
            count(*) FILTER (WHERE {complaint}) AS complaints,
            date_diff('day', max(t.created_at_local)::DATE, $as_of::DATE)
                AS days_since_last_ticket
        FROM tickets t
        WHERE t.created_at_local < $cutoff AND t.customer_id IS NOT NULL {merged}
        GROUP BY t.customer_id"""


def _known_by(minutes: str, at: str, columns: set[str]) -> str:
    """A condition: the duration had ended by ``as_of`` (its time, else creation + minutes)."""
    column = minutes.split(".", 1)[1]
    if column not in columns:
        return "false"
    ended = f"t.created_at_local + to_microseconds(CAST({minutes} * 60e6 AS BIGINT))"
    if at.split(".", 1)[1] in columns:
        ended = f"coalesce({at}, {ended})"
    return f"{minutes} IS NOT NULL AND {ended} < $cutoff"


def _optional(expression: str, columns: set[str], column: str) -> str:
    return expression if column in columns else "NULL"


def _normalised(kind: str, alias: str = "") -> str:
    """A score on its scale as 0–1; scales default by kind as the KPIs default them."""
    low, high = DEFAULT_SCALES[kind]
    lo, hi = f"coalesce({alias}scale_min, {low})", f"coalesce({alias}scale_max, {high})"
    return f"({alias}score - {lo}) / nullif({hi} - {lo}, 0)"


def _surveys_sql(settings: Settings, present: dict[str, set[str]]) -> str:
    """CSAT mean (0–1), share satisfied and last NPS per customer, answers by ``as_of``.

    A response without a customer takes its ticket's customer.
    """
    responses = present["survey_responses"]
    customer = "r.customer_id"
    join = ""
    if "tickets" in present and "ticket_id" in responses:
        customer = "coalesce(r.customer_id, t.customer_id)"
        join = "LEFT JOIN tickets t ON t.ticket_id = r.ticket_id"
    low, high = DEFAULT_SCALES["csat"]
    scale_low, scale_high = f"coalesce(r.scale_min, {low})", f"coalesce(r.scale_max, {high})"
    valid = f"r.score IS NOT NULL AND r.score BETWEEN {scale_low} AND {scale_high}"
    nps_valid = "r.score IS NOT NULL AND r.score BETWEEN 0 AND 10 AND r.score = round(r.score)"
    return f"""
        SELECT {customer} AS customer_id,
            avg({_normalised("csat", "r.")}) FILTER (WHERE r.kind = 'csat' AND {valid})
                AS csat_mean,
            avg(CASE WHEN r.score >= {_satisfied_from(settings, scale_low, scale_high)}
                THEN 1.0 ELSE 0.0 END) FILTER (WHERE r.kind = 'csat' AND {valid})
                AS csat_satisfied_share,
            arg_max(r.score, r.responded_at_local) FILTER (WHERE r.kind = 'nps' AND {nps_valid})
                AS nps_last
        FROM survey_responses r {join}
        WHERE r.responded_at_local < $cutoff
        GROUP BY ALL"""


def _satisfied_from(settings: Settings, low: str, high: str) -> str:
    """The lowest satisfied score per response, by the csat KPI's rule (metrics.surveys):
    top box on up to 3 points, top two on 4–7, top three on more; settings override."""
    from cxlens.metrics.surveys import satisfied_thresholds

    points = f"({high} - {low} + 1)"
    threshold = f"{high} - CASE WHEN {points} <= 3 THEN 1 WHEN {points} <= 7 THEN 2 ELSE 3 END + 1"
    for (scale_low, scale_high), satisfied_from in satisfied_thresholds(settings).items():
        threshold = (
            f"CASE WHEN {low} = {scale_low} AND {high} = {scale_high} THEN {satisfied_from} "
            f"ELSE {threshold} END"
        )
    return f"({threshold})"


def _purchases_sql(columns: set[str]) -> str:
    """RFM from orders by ``as_of``: completed orders count, refunded ones apart, cancelled
    ones not at all (a missing status reads as completed, as in the KPIs)."""
    status = "coalesce(status, 'completed')" if "status" in columns else "'completed'"
    return f"""
        SELECT customer_id,
            CAST(min(ordered_at_local) FILTER (WHERE {status} <> 'cancelled') AS DATE)
                AS first_order_day,
            date_diff('day', CAST(max(ordered_at_local) FILTER (WHERE {status} = 'completed') AS DATE),
                $as_of::DATE) AS days_since_last_order,
            count(*) FILTER (WHERE {status} = 'completed') AS orders,
            sum(amount) FILTER (WHERE {status} = 'completed') AS spend,
            count(*) FILTER (WHERE {status} = 'refunded') AS refunds
        FROM orders
        WHERE ordered_at_local < $cutoff AND customer_id IS NOT NULL
        GROUP BY customer_id"""


def _contract_sql() -> str:
    """The first start, and the plan and fee of the latest subscription started by
    ``as_of``; end dates are not read (see the module docstring)."""
    return """
        SELECT customer_id,
            min(started_at_local)::DATE AS first_start_day,
            arg_max(plan, started_at_local) AS plan,
            arg_max(mrr, started_at_local) AS mrr
        FROM subscriptions
        WHERE started_at_local < $cutoff AND customer_id IS NOT NULL
        GROUP BY customer_id"""


def _profile_sql(columns: set[str]) -> str:
    picks = {
        "segment": "any_value(segment)",
        "region": "any_value(region)",
        "age": "any_value(age)::DOUBLE",
        "created_day": "min(created_at_local)::DATE",
    }
    needed = {
        "segment": "segment",
        "region": "region",
        "age": "age",
        "created_day": "created_at_local",
    }
    select = ", ".join(
        f"{picks[name] if needed[name] in columns else 'NULL'} AS {name}" for name in picks
    )
    return f"SELECT customer_id, {select} FROM customers GROUP BY customer_id"


def _attribute_features(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    present: dict[str, set[str]],
    params: dict[str, Any],
    index: pd.Index,
) -> pd.DataFrame:
    """``customer.<key>`` and ``subscription.<key>`` columns, one per attribute key."""
    import pandas as pd

    sources = {
        "customer": (
            "customers",
            "SELECT customer_id, any_value(attributes) AS attributes FROM customers "
            "GROUP BY customer_id",
        ),
        "subscription": (
            "subscriptions",
            "SELECT customer_id, arg_max(attributes, started_at_local) AS attributes "
            "FROM subscriptions WHERE started_at_local < $cutoff GROUP BY customer_id",
        ),
    }
    parts = []
    for prefix, (table, rows) in sources.items():
        if table in present and "attributes" in present[table]:
            parts.append(_expand_attributes(con, settings, prefix, rows, params))
    if not parts:
        return pd.DataFrame(index=index)
    return pd.concat(parts, axis=1).reindex(index)


def _expand_attributes(
    con: duckdb.DuckDBPyConnection, settings: Settings, prefix: str, rows: str, params: dict
) -> pd.DataFrame:
    """One column per non-leaking key; numeric when every non-blank value parses."""
    import pandas as pd

    keys_sql = f"SELECT DISTINCT unnest(json_keys(attributes)) AS key FROM ({rows}) WHERE attributes IS NOT NULL"
    bound = {"cutoff": params["cutoff"]} if "$cutoff" in rows else {}
    keys = sorted(con.execute(keys_sql, bound).df()["key"])
    keys = [k for k in keys if not is_leaky(k, settings)]
    if not keys:
        return pd.DataFrame()

    values = [f"nullif(trim(attributes->>{_literal(k)}), '')" for k in keys]
    select = ", ".join(f"{v} AS {_literal_name(i)}" for i, v in enumerate(values))
    numeric = ", ".join(
        f"count({v}) = count(try_cast({v} AS DOUBLE)) AS {_literal_name(i)}"
        for i, v in enumerate(values)
    )
    query = f"SELECT customer_id, {select} FROM ({rows}) WHERE customer_id IS NOT NULL"
    frame = con.execute(query, bound).df()
    kinds = con.execute(f"SELECT {numeric} FROM ({rows})", bound).fetchone()

    frame["customer_id"] = frame["customer_id"].astype(str)
    frame = frame.set_index("customer_id")
    out = {}
    for i, key in enumerate(keys):
        column = frame[_literal_name(i)]
        out[f"{prefix}.{key}"] = pd.to_numeric(column) if kinds[i] else column.astype("category")
    return pd.DataFrame(out, index=frame.index)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal_name(i: int) -> str:
    return f"a{i}"


def is_leaky(key: str, settings: Settings) -> bool:
    """Whether an attribute key names the label: churn, status, end, cancel, reason, label
    (as a word of the key, so ``EndDate`` is caught and ``Dependents`` is not), their
    Chinese words, or a name in ``[churn] exclude``."""
    excluded = {str(name).lower() for name in _exclude_setting(settings)}
    if key.lower() in excluded:
        return True
    words = [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", key)]
    if any(w.startswith(_LEAKY_WORDS) or w in _LEAKY_ENDS for w in words):
        return True
    return any(word in key for word in _LEAKY_ZH)


def _exclude_setting(settings: Settings) -> list[str]:
    excluded = (settings.churn or {}).get("exclude", [])
    if not isinstance(excluded, list) or not all(isinstance(n, str) for n in excluded):
        raise ConfigError('[churn] exclude must be a list of names, such as ["Churn Reason"]')
    return excluded


def _excluded(settings: Settings, columns: pd.Index) -> list[str]:
    """Built-in features and attribute columns named in ``[churn] exclude``."""
    excluded = {name.lower() for name in _exclude_setting(settings)}
    return [c for c in columns if c.lower() in excluded or c.split(".", 1)[-1].lower() in excluded]


def _pool_levels(features: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Categorical columns with rare levels (and any past the ``MAX_LEVELS`` commonest)
    pooled into ``other``; a column the tables could not fill stays all missing."""
    import pandas as pd

    out = features.copy()
    for column in out.columns:
        values = out[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not isinstance(
            values.dtype, pd.CategoricalDtype
        )
        if numeric and column not in _CATEGORICAL:
            continue
        text = values.astype("string")
        counts = text.value_counts()
        kept = counts[counts >= threshold].index[:MAX_LEVELS]
        pooled = text.where(text.isin(kept) | text.isna(), OTHER_LEVEL)
        out[column] = pooled.astype("category")
    return out
