"""Alerts: the rules of ``[alerts]`` checked on the latest complete week or month.

A rule watches one KPI of the catalogue (a drop or rise from the period before, or a
level below or above a threshold, optionally per channel, team...) or the negative
comments of every complaint topic (a topic whose negative volume grows by a factor).
``check_alerts`` evaluates every rule once and returns an ``AlertResult``; the CLI (exit
status 3 when any rule fires, for cron), ``cxlens run``, the report and the dashboard
all render that one result (through ``cxlens.insights.alerts``), so they cannot disagree.

"Beyond noise" is the monthly report's own verdict (``cxlens.insights.cards.compare``):
a change counts when it exceeds 1.96 × the combined standard error read off both
periods' 95 % intervals, or, for medians, percentiles and counts (no interval), when it
is at least 10 % of the earlier value. A change the report greys out never fires: one
noise test, not a copy of it (alerts are what a reader is told, so they live in
``insights`` beside the cards they judge by).

The webhook is one JSON POST made with the standard library's urllib: one request
needs no HTTP client dependency. It connects directly (no proxy from the environment)
and follows no redirect, so the configured URL is the only address it ever reaches.
A user and password in the URL (``https://user:pw@host/...``) go as HTTP Basic auth:
urllib would otherwise read them as part of the host name.
The message it carries is written in the reader's language by ``cxlens.insights.alerts``.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pandas as pd

from cxlens.errors import ConfigError, CxlensError, WarehouseError
from cxlens.insights import cards
from cxlens.insights.actions import Scope
from cxlens.insights.catalogue import UP, KpiView
from cxlens.insights.catalogue import view as kpi_view
from cxlens.insights.formatting import is_missing

log = logging.getLogger(__name__)

PERIODS = ("week", "month")
KINDS = ("metric", "topic_negative")
CONDITIONS = ("drop", "rise", "below", "above")
SECTION_KEYS = ("webhook", "timeout_seconds", "rules")
METRIC_RULE_KEYS = ("name", "kind", "metric", "period", *CONDITIONS, "beyond_noise", "by", "min_n")
TOPIC_RULE_KEYS = ("name", "kind", "period", "growth", "min_count")
DEFAULT_TIMEOUT_SECONDS = 10
MAX_TIMEOUT_SECONDS = 120

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
        from cxlens.insights.alerts import reason_text  # the reasons' words live with the view

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
        reason = ""
        if state == NO_DATA and not rule.by:
            reason = "no_kpi_current" if current.missing else "no_kpi_previous"
        checks.append(
            Check(rule, span.label, span.previous_label, dict(key), state, current.value,
                  previous.value, current.n, previous.n, current.ci_low, current.ci_high,
                  reason)
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


def send_webhook(url: str, body: dict[str, Any], timeout: float) -> int:
    """POST ``body`` as JSON to ``url``; the HTTP status on a 2xx answer."""
    from cxlens import __version__

    shown = redacted(url)
    if urlsplit(url).scheme not in ("http", "https"):
        raise WebhookError(f"the webhook {shown} is not an http:// or https:// URL")
    address, authorization = basic_auth(url)
    headers = {"Content-Type": "application/json; charset=utf-8",
               "User-Agent": f"cxlens/{__version__}"}  # fmt: skip
    if authorization:
        headers["Authorization"] = authorization
    request = urllib.request.Request(
        address,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers=headers,
        method="POST",
    )
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


def basic_auth(url: str) -> tuple[str, str | None]:
    """The URL without its ``user:password@`` part, and that part as an HTTP Basic
    ``Authorization`` header (None when the URL carries none).

    Percent-escapes in the user and password are decoded first, so a password holding
    ``@`` or ``:`` can be written ``%40`` or ``%3A`` in the URL.
    """
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.netloc.rpartition("@")[2]
    user, password = unquote(parts.username), unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return urlunsplit(parts._replace(netloc=host)), f"Basic {token}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as an error: the alerts go only to the configured URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0913
        return None


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
