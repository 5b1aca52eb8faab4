"""Alerts: the rules of ``[alerts]`` checked on the latest complete week or month.

A rule watches one KPI of the catalogue (a drop or rise from the period before, or a
level below or above a threshold, optionally per channel, team...) or the negative
comments of every complaint topic (a topic whose negative volume grows by a factor).
``check_alerts`` evaluates every rule once and returns an ``AlertResult``; the CLI (exit
status 3 when any rule fires, for cron), ``cxlens run``, the report and the dashboard
all render that one result, so they cannot disagree.

"Beyond noise" is the monthly report's own verdict (``cxlens.insights.cards.compare``):
a change counts when it exceeds 1.96 × the combined standard error read off both
periods' 95 % intervals, or, for medians, percentiles and counts (no interval), when it
is at least 10 % of the earlier value. A change the report greys out never fires.

The webhook is one JSON POST made with the standard library's urllib: one request
needs no HTTP client dependency. It connects directly (no proxy from the environment)
and follows no redirect, so the configured URL is the only address it ever reaches.
"""

from __future__ import annotations

import json
import logging
import math
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from cxlens.errors import ConfigError, CxlensError, WarehouseError
from cxlens.insights import cards
from cxlens.insights.actions import ActionTable, ActionView, Scope, action_title
from cxlens.insights.catalogue import MINUTES, POINTS, RATE, UP, KpiView
from cxlens.insights.catalogue import view as kpi_view
from cxlens.insights.formatting import format_change, format_value, is_missing
from cxlens.insights.labels import dimension_value, kpi_name
from cxlens.insights.labels import label as report_label

log = logging.getLogger(__name__)

PERIODS = ("week", "month")
KINDS = ("metric", "topic_negative")
CONDITIONS = ("drop", "rise", "below", "above")
SECTION_KEYS = ("webhook", "timeout_seconds", "rules")
METRIC_RULE_KEYS = ("name", "kind", "metric", "period", *CONDITIONS, "beyond_noise", "by", "min_n")
TOPIC_RULE_KEYS = ("name", "kind", "period", "growth", "min_count")
DEFAULT_TIMEOUT_SECONDS = 10
MAX_TIMEOUT_SECONDS = 120
TOPIC_ROWS_SHOWN = 5  # topics that did not fire, shown under a topic rule in the table

# What [alerts] checks when it lists no rules (docs/alerts.md says the same).
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {"metric": "csat", "period": "week", "drop": 0.05, "beyond_noise": True},
    {"metric": "sla_first_response", "period": "week", "below": 0.8},
    {"kind": "topic_negative", "period": "week", "growth": 2.0, "min_count": 10},
)

FIRED = "fired"
QUIET = "quiet"
NOISE = "noise"
TOO_FEW = "too_few"
NO_DATA = "no_data"


# --- settings ------------------------------------------------------------------------------


def check_settings(section: dict[str, Any]) -> dict[str, Any]:
    """``[alerts]`` checked and completed: the webhook, its timeout and every rule.

    Without ``rules`` the default rules apply; ``rules = []`` turns alerts off. Each
    rule comes back with its defaults filled in (period week, beyond_noise true for a
    change and false for a level, min_n 1), so checking the result again changes nothing.
    """
    _known(section, "[alerts]", SECTION_KEYS)
    completed = {
        "webhook": _webhook(section.get("webhook")),
        "timeout_seconds": _timeout(section.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)),
    }
    rules = section.get("rules", [dict(rule) for rule in DEFAULT_RULES])
    if not isinstance(rules, list):
        raise ConfigError("[alerts] rules must be [[alerts.rules]] tables")
    completed["rules"] = [_rule(rule, number) for number, rule in enumerate(rules, start=1)]
    return completed


def _known(table: dict[str, Any], where: str, keys: tuple[str, ...], hint: str = "") -> None:
    for key in table:
        if key not in keys:
            raise ConfigError(
                f"{where}: unknown key {key!r}; the keys are: {', '.join(keys)}{hint}"
            )


def _webhook(url: Any) -> str | None:
    if url is None or url == "":
        return None
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        scheme = parts.scheme if parts is not None and parts.scheme else "no scheme"
        raise ConfigError(
            f"[alerts] webhook must be an http:// or https:// URL with a host (this one has "
            f'{scheme}), e.g. webhook = "https://chat.example.com/hooks/cx"'
        )
    return url


def _timeout(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"[alerts] timeout_seconds = {value!r} must be a number of seconds")
    if not 0 < value <= MAX_TIMEOUT_SECONDS:
        raise ConfigError(
            f"[alerts] timeout_seconds = {value!r} is out of range (more than 0, at most "
            f"{MAX_TIMEOUT_SECONDS})"
        )
    return value


def _rule(rule: Any, number: int) -> dict[str, Any]:
    where = f"[[alerts.rules]] number {number}"
    if not isinstance(rule, dict):
        raise ConfigError(f'{where} must be a table such as metric = "csat", drop = 0.05')
    kind = rule.get("kind", "metric")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind = {kind!r}; use {' or '.join(KINDS)}")
    name = rule.get("name", "")
    if not isinstance(name, str):
        raise ConfigError(f"{where}: name must be text")
    period = rule.get("period", "week")
    if period not in PERIODS:
        raise ConfigError(f"{where}: period = {period!r}; use week or month")
    checked = _topic_rule if kind == "topic_negative" else _metric_rule
    return {"name": name, "kind": kind, "period": period, **checked(rule, where)}


def _metric_rule(rule: dict[str, Any], where: str) -> dict[str, Any]:
    from cxlens.metrics.catalogue import KPIS

    hint = '; growth and min_count belong to kind = "topic_negative"'
    _known(rule, where, METRIC_RULE_KEYS, hint if {"growth", "min_count"} & set(rule) else "")
    metric = rule.get("metric")
    watched = [kpi.id for kpi in KPIS.values() if kpi.implemented and kpi.unit != "money"]
    if metric not in watched:
        raise ConfigError(f"{where}: metric = {metric!r}; use a KPI id: {', '.join(watched)}")
    conditions = [key for key in CONDITIONS if key in rule]
    if len(conditions) != 1:
        raise ConfigError(
            f"{where}: give exactly one of drop, rise, below, above (found "
            f"{', '.join(conditions) or 'none'}); write two rules for two conditions"
        )
    condition = conditions[0]
    _threshold(rule[condition], KPIS[metric].unit, condition, where)
    beyond_noise = rule.get("beyond_noise", condition in ("drop", "rise"))
    if not isinstance(beyond_noise, bool):
        raise ConfigError(f"{where}: beyond_noise = {beyond_noise!r} must be true or false")
    by = rule.get("by")
    if by is not None and by not in KPIS[metric].dimensions:
        raise ConfigError(
            f"{where}: by = {by!r}; {metric} can be split by {', '.join(KPIS[metric].dimensions)}"
        )
    min_n = rule.get("min_n", 1)
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise ConfigError(f"{where}: min_n = {min_n!r} must be a whole number of 1 or more")
    completed = {"metric": metric, condition: rule[condition], "beyond_noise": beyond_noise}
    return {**completed, **({"by": by} if by else {}), "min_n": min_n}


def _threshold(value: Any, unit: str, condition: str, where: str) -> None:
    """Thresholds are in the KPI's unit: rates as fractions, NPS in points, minutes."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ConfigError(f"{where}: {condition} = {value!r} must be a number")
    change = condition in ("drop", "rise")
    if change and value <= 0:
        raise ConfigError(f"{where}: {condition} = {value!r} must be more than 0 (a size)")
    if unit == "rate" and not 0 <= value <= 1:
        raise ConfigError(
            f"{where}: {condition} = {value!r}: rates are fractions from 0 to 1; write 0.05 "
            "for 5 percentage points, 0.8 for 80 %"
        )
    if unit == "points" and not (0 < value <= 200 if change else -100 <= value <= 100):
        raise ConfigError(f"{where}: {condition} = {value!r}: NPS runs from -100 to 100 points")
    if unit in ("minutes", "count") and value < 0:
        raise ConfigError(f"{where}: {condition} = {value!r} cannot be negative")


def _topic_rule(rule: dict[str, Any], where: str) -> dict[str, Any]:
    _known(rule, where, TOPIC_RULE_KEYS)
    if rule.get("period", "week") != "week":
        raise ConfigError(f"{where}: topic rules compare weeks; leave period out or write week")
    growth = rule.get("growth", 2.0)
    if isinstance(growth, bool) or not isinstance(growth, int | float) or not growth > 1:
        raise ConfigError(
            f"{where}: growth = {growth!r} must be a factor above 1 (2.0 fires on a doubling)"
        )
    min_count = rule.get("min_count", 10)
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ConfigError(f"{where}: min_count = {min_count!r} must be a whole number of 1 or more")
    return {"growth": growth, "min_count": min_count}


# --- rules and periods ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One checked rule; ``condition`` is drop, rise, below, above or growth."""

    number: int
    name: str
    kind: str
    period: str
    condition: str
    threshold: float
    metric: str | None = None
    beyond_noise: bool = False
    by: str | None = None
    min_n: int = 1


def rules_of(section: dict[str, Any]) -> list[Rule]:
    """The rules of an ``[alerts]`` section (completed with defaults first)."""
    rules = []
    for number, rule in enumerate(check_settings(dict(section))["rules"], start=1):
        if rule["kind"] == "topic_negative":
            rules.append(
                Rule(number, rule["name"], rule["kind"], rule["period"], "growth",
                     rule["growth"], min_n=rule["min_count"])
            )  # fmt: skip
            continue
        condition = next(key for key in CONDITIONS if key in rule)
        rules.append(
            Rule(number, rule["name"], rule["kind"], rule["period"], condition, rule[condition],
                 rule["metric"], rule["beyond_noise"], rule.get("by"), rule["min_n"])
        )  # fmt: skip
    return rules


@dataclass(frozen=True)
class Span:
    """The latest complete period (``first``..``last``, local days) and the one before."""

    grain: str
    first: date
    last: date
    previous_first: date
    previous_last: date

    @property
    def label(self) -> str:
        return period_label(self.first, self.grain)

    @property
    def previous_label(self) -> str:
        return period_label(self.previous_first, self.grain)


def period_label(day: date, grain: str) -> str:
    """The KPI engine's label of the period holding ``day``: ``2024-W10`` or ``2024-03``."""
    if grain == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return f"{day.year:04d}-{day.month:02d}"


def complete_span(as_of: date, grain: str) -> Span:
    """The latest complete ISO week (Monday–Sunday) or month ending on or before ``as_of``,
    and the period before it."""
    if grain == "week":
        last = as_of - timedelta(days=(as_of.weekday() + 1) % 7)
        first = last - timedelta(days=6)
        return Span(grain, first, last, first - timedelta(days=7), first - timedelta(days=1))
    following = as_of + timedelta(days=1)
    last = as_of if following.day == 1 else as_of.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    previous_last = first - timedelta(days=1)
    return Span(grain, first, last, previous_last.replace(day=1), previous_last)


# --- checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One rule judged for one group (a channel, a topic; ``{}`` for the whole scope).

    ``value``/``previous`` are in the KPI's unit (a topic's negative comments for a topic
    rule, with ``n`` its comments in all); ``state`` is fired, quiet (threshold not
    reached), noise (reached but within noise), too_few (n under min_n) or no_data.
    """

    rule: Rule
    period: str
    previous_period: str
    group: dict[str, Any]
    state: str
    value: float | None = None
    previous: float | None = None
    n: int | None = None
    previous_n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str = ""

    @property
    def fired(self) -> bool:
        return self.state == FIRED

    @property
    def change(self) -> float | None:
        if is_missing(self.value) or is_missing(self.previous):
            return None
        return self.value - self.previous

    def to_json(self) -> dict[str, Any]:
        rule = self.rule
        return _plain_json(
            {"rule": rule.number, "name": rule.name, "kind": rule.kind, "metric": rule.metric,
             "condition": rule.condition, "threshold": rule.threshold,
             "beyond_noise": rule.beyond_noise, "period": self.period,
             "previous_period": self.previous_period, "group": self.group, "state": self.state,
             "fired": self.fired, "value": self.value, "previous": self.previous,
             "change": self.change, "n": self.n, "previous_n": self.previous_n,
             "ci_low": self.ci_low, "ci_high": self.ci_high,
             "reason": reason_text(self, "en") or None}
        )  # fmt: skip


@dataclass
class AlertResult:
    """Every rule's checks, the periods they looked at and when they ran."""

    rules: list[Rule]
    checks: list[Check]
    spans: dict[str, Span]
    as_of: date
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def fired(self) -> list[Check]:
        return [check for check in self.checks if check.fired]

    def to_json(self) -> dict[str, Any]:
        return {
            "fired": bool(self.fired),
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
            "as_of": self.as_of.isoformat(),
            "checks": [check.to_json() for check in self.checks],
        }


def judge(rule: Rule, current: cards.Reading, previous: cards.Reading, unit: str) -> str:
    """The state of a KPI rule for one group, from this period's and the last one's reading.

    A level rule with beyond_noise fires only when the whole 95 % interval lies past the
    threshold (the value alone where the KPI has no interval); a change rule with
    beyond_noise only when the report's verdict is not "within noise" or "changed
    slightly". The verdict is asked with "higher is better" so that KPIs without a
    direction (ticket volume) get the same noise test.
    """
    change_rule = rule.condition in ("drop", "rise")
    if current.missing or (change_rule and previous.missing):
        return NO_DATA
    if (current.n or 0) < rule.min_n or (change_rule and (previous.n or 0) < rule.min_n):
        return TOO_FEW
    if change_rule:
        return _judge_change(rule, current, previous, unit)
    below = rule.condition == "below"
    past = current.value < rule.threshold if below else current.value > rule.threshold
    if not past:
        return QUIET
    edge = current.ci_high if below else current.ci_low
    if rule.beyond_noise and not is_missing(edge):
        clear = edge < rule.threshold if below else edge > rule.threshold
        return FIRED if clear else NOISE
    return FIRED


def _judge_change(rule: Rule, current: cards.Reading, previous: cards.Reading, unit: str) -> str:
    delta = current.value - previous.value
    moved = -delta if rule.condition == "drop" else delta
    if moved < rule.threshold - 1e-9:  # a float's last digit must not hide 0.85 → 0.80
        return QUIET
    if not rule.beyond_noise:
        return FIRED
    verdict = cards.compare(current, previous, KpiView(rule.metric or "", unit, UP)).verdict
    return NOISE if verdict in (cards.NOISE, cards.SLIGHT) else FIRED


def topic_growth(
    weekly: pd.DataFrame, week: str, previous_week: str, growth: float, min_count: int
) -> pd.DataFrame:
    """Each topic's negative comments in ``week`` against ``previous_week``, and whether the
    rule fires: at least ``min_count`` negatives now and at least ``growth`` times as many
    as the week before (a topic with none the week before fires on ``min_count`` alone).

    ``weekly`` has columns week (``2024-W10`` labels, or the week's dates), topic,
    negative, total, as ``cxlens.models.text.weekly_topic_negatives`` returns them.
    Returns topic, negative, previous_negative, total, previous_total, ratio, fired;
    fired topics first, then by negative comments.
    """
    frame = weekly.assign(week=_week_labels(weekly["week"]))
    frame = frame[frame["week"].isin([week, previous_week])]
    wide = frame.pivot_table(
        index="topic", columns="week", values=["negative", "total"], aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(
        columns=pd.MultiIndex.from_product([["negative", "total"], [week, previous_week]]),
        fill_value=0,
    )
    result = pd.DataFrame(
        {
            "negative": wide[("negative", week)],
            "previous_negative": wide[("negative", previous_week)],
            "total": wide[("total", week)],
            "previous_total": wide[("total", previous_week)],
        }
    ).astype("int64")
    previous = result["previous_negative"].where(result["previous_negative"] > 0)
    result["ratio"] = (result["negative"] / previous).astype("float64")
    grew = result["negative"] >= growth * result["previous_negative"]
    result["fired"] = grew & (result["negative"] >= min_count)
    result = result.rename_axis("topic").reset_index()
    return result.sort_values(["fired", "negative", "topic"], ascending=[False, False, True])


def _week_labels(weeks: pd.Series) -> pd.Series:
    """ISO week labels from labels or from dates inside the weeks."""
    text = weeks.astype(str)
    if text.str.fullmatch(r"\d{4}-W\d{2}").all():
        return text
    days = pd.to_datetime(weeks)
    iso = days.dt.isocalendar()
    return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)


# --- evaluation ----------------------------------------------------------------------------


def check_alerts(warehouse: Any, settings: Any, scope: Scope | None = None) -> AlertResult:
    """Every rule of ``[alerts]`` judged on the latest complete week or month.

    The periods end on or before the scope's last day, else the data's last day; the
    scope's dimension filters narrow every KPI. Raises WarehouseError when the warehouse
    holds no dated records; a rule whose KPI has no data is reported as not checked.
    """
    from cxlens.insights.assemble import newest_record_date
    from cxlens.metrics.compute import kpi_session

    scope = scope or Scope()
    rules = rules_of(settings.alerts)
    newest = newest_record_date(warehouse)
    if newest is None:
        raise WarehouseError("the warehouse holds no dated records; import data first")
    as_of = min(newest, scope.last) if scope.last else newest
    spans = {rule.period: complete_span(as_of, rule.period) for rule in rules}

    checks: list[Check] = []
    metric_rules = [rule for rule in rules if rule.kind == "metric"]
    if metric_rules:
        with kpi_session(warehouse, settings) as compute:
            for rule in metric_rules:
                checks += metric_checks(compute, rule, spans[rule.period], scope, settings)
    for rule in rules:
        if rule.kind == "topic_negative":
            checks += _topic_checks(warehouse, settings, rule, spans[rule.period], scope)
    checks.sort(key=lambda check: check.rule.number)
    log.info("alerts: %d rules checked, %d alerts fired", len(rules), sum(c.fired for c in checks))
    return AlertResult(rules, checks, spans, as_of)


def metric_checks(compute: Any, rule: Rule, span: Span, scope: Scope, settings: Any) -> list[Check]:
    """A KPI rule judged per group from one ``compute_kpis`` call over both periods."""
    by = [span.grain, *([rule.by] if rule.by else [])]
    frame = compute(
        by, [rule.metric], filters=scope.filters or None, window=(span.previous_first, span.last)
    )
    frame = frame[frame["period"].isin([span.label, span.previous_label])]
    empty = Check(rule, span.label, span.previous_label, {}, NO_DATA, reason="no_kpi_data")
    if frame["value"].isna().all():
        return [empty]

    unit = kpi_view(rule.metric, settings).unit
    frame = frame.assign(_key=frame["group"].map(lambda group: tuple(sorted(group.items()))))
    checks = []
    for key, rows in frame.groupby("_key", sort=False):
        table = cards.readings(rows)
        current = table.get((rule.metric, span.label), cards.Reading(span.label))
        previous = table.get((rule.metric, span.previous_label), cards.Reading(span.previous_label))
        state = judge(rule, current, previous, unit)
        checks.append(
            Check(rule, span.label, span.previous_label, dict(key), state, current.value,
                  previous.value, current.n, previous.n, current.ci_low, current.ci_high)
        )  # fmt: skip
    return checks


def _topic_checks(
    warehouse: Any, settings: Any, rule: Rule, span: Span, scope: Scope
) -> list[Check]:
    """The topic rule over ``weekly_topic_negatives``; not checked where the text model
    is missing or the data have no comments."""
    unchecked = Check(rule, span.label, span.previous_label, {}, NO_DATA)
    try:
        from cxlens.models.text import weekly_topic_negatives
    except ImportError:
        return [replace(unchecked, reason="no_text_model")]
    try:
        weekly = weekly_topic_negatives(
            warehouse, settings, Scope((span.previous_first, span.last), dict(scope.filters))
        )
    except CxlensError as error:
        return [replace(unchecked, reason=str(error))]
    topics = topic_growth(weekly, span.label, span.previous_label, rule.threshold, rule.min_n)
    if topics.empty:
        return [replace(unchecked, reason="no_comments")]
    return [
        Check(rule, span.label, span.previous_label, {"topic": topic},
              FIRED if fired else (QUIET if negative >= rule.min_n else TOO_FEW),
              float(negative), float(previous), int(total), int(previous_total))
        for topic, negative, previous, total, previous_total, fired in topics[
            ["topic", "negative", "previous_negative", "total", "previous_total", "fired"]
        ].itertuples(index=False, name=None)
    ]  # fmt: skip


# --- the webhook ---------------------------------------------------------------------------


class WebhookError(CxlensError):
    """The webhook could not be reached or refused the alerts."""


def redacted(url: str) -> str:
    """The URL as logs and messages may show it: scheme, host and port only.

    Webhook URLs often carry their secret in the query or the path (chat services put
    a token there), so neither is ever written out.
    """
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    tail = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.hostname}{port}{tail}"


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
    webhook is set, True once the server accepted them. Raises WebhookError otherwise."""
    section = check_settings(dict(settings.alerts))
    if not result.fired or not section["webhook"]:
        return False
    send_webhook(section["webhook"], payload(result, settings, lang), section["timeout_seconds"])
    return True


def send_webhook(url: str, body: dict[str, Any], timeout: float) -> int:
    """POST ``body`` as JSON to ``url``; the HTTP status on a 2xx answer."""
    from cxlens import __version__

    shown = redacted(url)
    if urlsplit(url).scheme not in ("http", "https"):
        raise WebhookError(f"the webhook {shown} is not an http:// or https:// URL")
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8",
                 "User-Agent": f"cxlens/{__version__}"},
        method="POST",
    )  # fmt: skip
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise WebhookError(
            f"the webhook at {shown} answered {error.code} {error.reason}; check the URL "
            "and what the receiving service expects"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise WebhookError(
            f"could not reach the webhook at {shown} ({reason}); check that the service "
            f"runs and answers within {timeout:g} s ([alerts] timeout_seconds)"
        ) from None
    log.info("webhook %s answered %s", shown, status)
    return status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as an error: the alerts go only to the configured URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0913
        return None


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
    "alerts_in_all": {"en": " Alerts in all: {alerts} (one per group or topic).",
                      "zh": "共 {alerts} 条预警（每个分组或主题一条）。"},
    "reason_no_kpi_data": {"en": "no {kpi} data in {period} or {previous_period}",
                           "zh": "{period} 或 {previous_period} 没有{kpi}数据"},
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
    fired_rules = len({check.rule.number for check in fired})
    if not fired:
        lines.append(word("none_fired", lang, rules=len(result.rules)))
    else:
        count = word("some_fired", lang, rules=len(result.rules), fired=fired_rules)
        more = word("alerts_in_all", lang, alerts=len(fired)) if len(fired) > fired_rules else ""
        lines.append(count + more)
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
        tables=[_rules_table(result, settings, lang)],
        method=_method(result, lang, scope or Scope()),
        fired=bool(fired),
    )


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


def _plain_json(record: dict[str, Any]) -> dict[str, Any]:
    """NaN and pandas' missing values as None, numpy numbers as Python numbers."""
    plain = {}
    for key, value in record.items():
        if hasattr(value, "item"):
            value = value.item()
        if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            value = None
        plain[key] = value
    return plain
