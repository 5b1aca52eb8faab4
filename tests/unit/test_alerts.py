"""Alerts: [alerts] settings, the periods checked, rule verdicts on a tiny warehouse,
topic growth, the view's words and the webhook URL shown in messages.

Every expected figure is worked out by hand in the comments; the noise test is checked
against the Wilson interval and a z statistic written out here, not read off our code.
"""

from __future__ import annotations

import math
import re
from datetime import date

import pandas as pd
import pytest
from test_metrics_fixtures import settings as plain_settings
from test_metrics_fixtures import warehouse_with

from cxlens.errors import ConfigError
from cxlens.insights import alert_rules
from cxlens.insights.actions import Scope
from cxlens.insights.alert_rules import (
    FIRED,
    NOISE,
    QUIET,
    Rule,
    check_alerts,
    check_settings,
    complete_span,
    judge,
    redacted,
    topic_growth,
)
from cxlens.insights.alerts import WORDS, alerts_view, view_of
from cxlens.insights.cards import Reading

Z = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson 95 % score interval from its textbook formula."""
    p = k / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - spread) / (1 + Z * Z / n), (centre + spread) / (1 + Z * Z / n)


def z_from_intervals(k1: int, n1: int, k2: int, n2: int) -> float:
    """The change over its standard error, each error read off a Wilson interval."""
    errors = [(high - low) / (2 * Z) for low, high in (wilson(k1, n1), wilson(k2, n2))]
    return abs(k1 / n1 - k2 / n2) / math.hypot(*errors)


def with_rules(*rules: dict, **section) -> object:
    result = plain_settings()
    result.alerts = check_settings({"rules": list(rules), **section})
    return result


# --- settings ------------------------------------------------------------------------------


def test_without_rules_the_three_documented_defaults_apply():
    section = check_settings({})
    assert section["webhook"] is None and section["timeout_seconds"] == 10
    assert [rule.get("metric", rule["kind"]) for rule in section["rules"]] == [
        "csat",
        "sla_first_response",
        "topic_negative",
    ]
    csat, sla, topic = section["rules"]
    assert (csat["drop"], csat["beyond_noise"], csat["period"]) == (0.05, True, "week")
    assert (sla["below"], sla["beyond_noise"]) == (0.8, False)
    assert (topic["growth"], topic["min_count"]) == (2.0, 10)


def test_an_empty_rule_list_turns_alerts_off_and_checking_twice_changes_nothing():
    assert check_settings({"rules": []})["rules"] == []
    once = check_settings({"rules": [{"metric": "nps", "by": "channel", "rise": 10}]})
    assert check_settings(once) == once


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"hook": "x"}, "[alerts]: unknown key 'hook'"),
        ({"rules": [{"metric": "csat", "drop": 0.05}, {"metric": "csat", "compare": "week",
                                                       "drop": 0.05}]},
         "[[alerts.rules]] number 2: unknown key 'compare'"),
        ({"rules": [{"metric": "csat_score", "drop": 0.05}]},
         "number 1: metric = 'csat_score'; use a KPI id"),
        ({"rules": [{"metric": "csat", "drop": 5}]},
         "number 1: drop = 5: rates are fractions from 0 to 1; write 0.05"),
        ({"rules": [{"metric": "csat", "drop": 0.05, "below": 0.7}]},
         "give exactly one of drop, rise, below, above (found drop, below)"),
        ({"rules": [{"metric": "csat"}]}, "(found none)"),
        ({"rules": [{"metric": "csat", "drop": 0.05, "period": "day"}]},
         "period = 'day'; use week or month"),
        ({"rules": [{"metric": "churn_rate", "above": 0.1, "by": "channel"}]},
         "by = 'channel'; churn_rate can be split by segment"),
        ({"rules": [{"metric": "csat", "drop": -0.05}]}, "must be more than 0"),
        ({"rules": [{"metric": "nps", "below": -150}]}, "NPS runs from -100 to 100"),
        ({"rules": [{"metric": "csat", "drop": 0.05, "beyond_noise": "yes"}]},
         "beyond_noise = 'yes' must be true or false"),
        ({"rules": [{"metric": "csat", "drop": 0.05, "growth": 2}]},
         "growth and min_count belong to kind = \"topic_negative\""),
        ({"rules": [{"kind": "topic_negative", "growth": 1.0}]}, "growth = 1.0 must be a factor"),
        ({"rules": [{"kind": "topic_negative", "period": "month"}]}, "topic rules compare weeks"),
        ({"rules": [{"kind": "topic_negative", "metric": "csat"}]},
         "number 1: unknown key 'metric'"),
        ({"rules": [{"kind": "spike"}]}, "kind = 'spike'; use metric or topic_negative"),
        ({"webhook": "ftp://127.0.0.1/hook"}, "http:// or https:// URL with a host (this one has ftp)"),
        ({"timeout_seconds": 0}, "timeout_seconds = 0 is out of range"),
        ({"rules": {"metric": "csat"}}, "[alerts] rules must be [[alerts.rules]] tables"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_rule_and_the_key(section, message):
    with pytest.raises(ConfigError) as error:
        check_settings(section)
    assert message in str(error.value)


def test_a_bad_webhook_url_is_refused_without_echoing_it():
    with pytest.raises(ConfigError) as error:
        check_settings({"webhook": "file:///etc/passwd?token=s3cret"})
    assert "s3cret" not in str(error.value) and "passwd" not in str(error.value)


# --- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "grain", "expected"),
    [
        # Sunday 10 March 2024 closes ISO week 10 (4–10 March).
        (date(2024, 3, 10), "week", ("2024-W10", date(2024, 3, 4), date(2024, 3, 10), "2024-W09")),
        # Saturday 9 March: week 10 is still running, so week 9 (26 Feb – 3 Mar).
        (date(2024, 3, 9), "week", ("2024-W09", date(2024, 2, 26), date(2024, 3, 3), "2024-W08")),
        # Wednesday 1 January 2025: the last complete week is 23–29 Dec 2024, ISO 2024-W52.
        (date(2025, 1, 1), "week", ("2024-W52", date(2024, 12, 23), date(2024, 12, 29), "2024-W51")),
        (date(2024, 3, 31), "month", ("2024-03", date(2024, 3, 1), date(2024, 3, 31), "2024-02")),
        (date(2024, 3, 30), "month", ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-01")),
    ],
)  # fmt: skip
def test_the_latest_complete_period_and_the_one_before(as_of, grain, expected):
    span = complete_span(as_of, grain)
    assert (span.label, span.first, span.last, span.previous_label) == expected
    assert span.previous_last == span.first - pd.Timedelta(days=1)


# --- verdicts on readings ------------------------------------------------------------------


def reading(period: str, k: int, n: int) -> Reading:
    low, high = wilson(k, n)
    return Reading(period, k / n, n, low, high)


CSAT_DROP = Rule(1, "", "metric", "week", "drop", 0.05, "csat", beyond_noise=True)


def test_a_drop_on_large_samples_is_beyond_noise_and_fires():
    # 90/100 → 70/100: −20 points, z ≈ 3.7 against the report's 1.96.
    assert z_from_intervals(90, 100, 70, 100) > Z
    state = judge(CSAT_DROP, reading("W10", 70, 100), reading("W09", 90, 100), "rate")
    assert state == FIRED


def test_a_larger_drop_on_five_answers_is_noise_unless_noise_is_waived():
    # 4/5 → 2/5: −40 points, yet z ≈ 1.8 < 1.96 with intervals that wide.
    assert z_from_intervals(4, 5, 2, 5) < Z
    current, previous = reading("W10", 2, 5), reading("W09", 4, 5)
    assert judge(CSAT_DROP, current, previous, "rate") == NOISE
    waived = Rule(1, "", "metric", "week", "drop", 0.05, "csat", beyond_noise=False)
    assert judge(waived, current, previous, "rate") == FIRED


def test_a_drop_of_exactly_the_threshold_fires_despite_float_rounding():
    # 0.85 − 0.80 is 0.04999999999999993 in binary floating point.
    rule = Rule(1, "", "metric", "week", "drop", 0.05, "csat")
    assert judge(rule, Reading("W10", 0.80, 10), Reading("W09", 0.85, 10), "rate") == FIRED


def test_a_level_beyond_noise_needs_the_whole_interval_past_the_threshold():
    # 7/10 = 0.70 < 0.8, but Wilson's upper bound for 7/10 is about 0.89 > 0.8.
    assert wilson(7, 10)[1] > 0.8
    level = Rule(2, "", "metric", "week", "below", 0.8, "sla_first_response", beyond_noise=True)
    assert judge(level, reading("W10", 7, 10), Reading("W09"), "rate") == NOISE
    # 140/200 = 0.70, upper bound about 0.76 < 0.8.
    assert wilson(140, 200)[1] < 0.8
    assert judge(level, reading("W10", 140, 200), Reading("W09"), "rate") == FIRED


def test_durations_without_interval_use_the_reports_ten_percent_rule():
    rule = Rule(1, "", "metric", "week", "rise", 5.0, "first_response_median_min", True)
    # 60 → 66 min: +6 ≥ 5 but only +10 % … exactly material, so it fires;
    # 100 → 106: +6 is 6 % of 100, "changed slightly" in the report, so no alert.
    assert judge(rule, Reading("W10", 66.0, 40), Reading("W09", 60.0, 40), "minutes") == FIRED
    assert judge(rule, Reading("W10", 106.0, 40), Reading("W09", 100.0, 40), "minutes") == NOISE


# --- rules on a tiny warehouse -------------------------------------------------------------


def response(rid: str, score: int, at: str, channel: str = "email") -> dict:
    return {"response_id": rid, "kind": "csat", "score": score, "responded_at_local": at,
            "channel": channel}  # fmt: skip


def answers(prefix: str, satisfied: int, unsatisfied: int, at: str, channel: str = "email"):
    scores = [5] * satisfied + [2] * unsatisfied
    return [response(f"{prefix}{i}", s, at, channel) for i, s in enumerate(scores)]


# Sunday 10 March 2024 ends the data, so 2024-W10 (4–10 March) is the week checked.
LAST_TICKET = {"ticket_id": "T-end", "created_at_local": "2024-03-10 12:00"}


def test_csat_drop_fires_on_large_samples_and_not_on_five_answers(tmp_path):
    # email: 90/100 satisfied in W09, 70/100 in W10; chat: 4/5 then 2/5.
    warehouse = warehouse_with(
        tmp_path,
        tickets=[LAST_TICKET],
        survey_responses=answers("a", 90, 10, "2024-02-28 10:00")
        + answers("b", 70, 30, "2024-03-06 10:00")
        + answers("c", 4, 1, "2024-02-28 11:00", "chat")
        + answers("d", 2, 3, "2024-03-06 11:00", "chat"),
    )
    settings = with_rules({"metric": "csat", "drop": 0.05, "by": "channel"})
    result = check_alerts(warehouse, settings)
    by_channel = {check.group["channel"]: check for check in result.checks}
    email, chat = by_channel["email"], by_channel["chat"]
    assert (email.period, email.previous_period) == ("2024-W10", "2024-W09")
    assert (email.state, email.n, email.previous_n) == (FIRED, 100, 100)
    assert (email.value, email.previous) == (pytest.approx(0.70), pytest.approx(0.90))
    assert (chat.state, chat.value, chat.previous) == (NOISE, 0.4, 0.8)
    assert [check.group for check in result.fired] == [{"channel": "email"}]


def test_sla_below_eighty_percent_fires_and_exactly_eighty_does_not(tmp_path):
    # Created Monday 4 March 09:00, due 24 h later (in W10, before the data's end).
    # email: 30, 60, 100 min met, 2000 and 3000 missed → 3/5 = 60 %;
    # chat: 4 met, 1 missed → 80 %, not below 80 %.
    minutes = {"email": [30, 60, 100, 2000, 3000], "chat": [10, 20, 30, 40, 5000]}
    tickets = [
        {"ticket_id": f"{channel}{i}", "created_at_local": "2024-03-04 09:00",
         "channel": channel, "first_response_min": value}
        for channel, values in minutes.items()
        for i, value in enumerate(values)
    ]  # fmt: skip
    warehouse = warehouse_with(tmp_path, tickets=[*tickets, LAST_TICKET | {"channel": "chat"}])
    settings = with_rules({"metric": "sla_first_response", "below": 0.8, "by": "channel"})
    checks = {c.group["channel"]: c for c in check_alerts(warehouse, settings).checks}
    assert (checks["email"].state, checks["email"].value, checks["email"].n) == (FIRED, 0.6, 5)
    assert (checks["chat"].state, checks["chat"].value, checks["chat"].n) == (QUIET, 0.8, 5)


def test_a_kpi_without_data_is_reported_not_checked_and_the_scope_end_moves_the_week(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        tickets=[LAST_TICKET],
        survey_responses=answers("a", 9, 1, "2024-02-21 10:00") + answers("b", 5, 5, "2024-02-28"),
    )
    settings = with_rules({"metric": "nps", "below": 0}, {"metric": "csat", "drop": 0.3})
    # As of Saturday 2 March the last complete week is W08 (19–25 Feb) against W07.
    result = check_alerts(warehouse, settings, Scope(window=(None, date(2024, 3, 2))))
    nps, csat = result.checks
    assert (nps.state, nps.reason) == (alert_rules.NO_DATA, "no_kpi_data")
    assert (csat.period, csat.value, csat.previous) == ("2024-W08", 0.9, None)
    assert csat.state == alert_rules.NO_DATA  # no week before to compare with
    view = view_of(result, settings, "en")
    # Neither rule had data to judge: none counts as checked, and each says why.
    assert view.lines == [
        "None of the 2 rules could be checked.",
        "Rule 1 (NPS under +0.0 in a week) was not checked: no NPS data in 2024-W08 or 2024-W07.",
        "Rule 2 (CSAT down 30.0 pp or more, week on week, beyond noise) was not checked: "
        "no CSAT data in 2024-W07 to compare with.",
    ]
    assert not view.fired
    assert view.covering == "week 2024-W08 against 2024-W07"
    assert view_of(result, settings, "zh").lines[0] == "2 条规则均无法检查。"


def test_a_rule_without_data_is_not_counted_as_checked(tmp_path):
    # CSAT 9/10 → 9/10 (no drop: checked, quiet); NPS has no answers (not checked).
    warehouse = warehouse_with(
        tmp_path,
        tickets=[LAST_TICKET],
        survey_responses=answers("a", 9, 1, "2024-02-28") + answers("b", 9, 1, "2024-03-06"),
    )
    settings = with_rules({"metric": "csat", "drop": 0.05}, {"metric": "nps", "below": 0})
    view = alerts_view(warehouse, settings, "en", Scope())
    assert view.lines[0] == "Rules checked: 1 of 2; none fired."
    assert alerts_view(warehouse, settings, "zh", Scope()).lines[0] == (
        "共 2 条规则，检查了 1 条，均未触发。"
    )
    one = with_rules({"metric": "nps", "below": 0})
    assert alerts_view(warehouse, one, "en", Scope()).lines[0] == (
        "The one rule could not be checked."
    )


# --- topics --------------------------------------------------------------------------------


WEEKLY = pd.DataFrame(
    [("2024-W08", "delivery", 50, 60),
     ("2024-W09", "delivery", 5, 40), ("2024-W10", "delivery", 12, 45),
     ("2024-W09", "billing", 6, 20), ("2024-W10", "billing", 12, 22),
     ("2024-W09", "refund", 10, 30), ("2024-W10", "refund", 15, 35),
     ("2024-W09", "app", 3, 10), ("2024-W10", "app", 8, 12),
     ("2024-W10", "packaging", 10, 20)],
    columns=["week", "topic", "negative", "total"],
)  # fmt: skip


def test_topic_growth_fires_on_doubling_with_enough_comments():
    # delivery 5 → 12 (×2.4), billing 6 → 12 (exactly ×2), packaging 0 → 10 (new, ≥ 10):
    # fire. refund 10 → 15 (×1.5) and app 3 → 8 (×2.7 but under 10) do not. W08 is ignored.
    frame = topic_growth(WEEKLY, "2024-W10", "2024-W09", growth=2.0, min_count=10)
    assert frame["topic"].tolist() == ["billing", "delivery", "packaging", "refund", "app"]
    assert frame["fired"].tolist() == [True, True, True, False, False]
    assert frame["previous_negative"].tolist() == [6, 5, 0, 10, 3]
    assert frame["ratio"].iloc[:2].tolist() == [2.0, 2.4] and math.isnan(frame["ratio"].iloc[2])


def test_topic_weeks_given_as_dates_read_as_iso_weeks():
    # 2024-W09 starts Monday 26 Feb; W10 Monday 4 March; W08 Monday 19 Feb.
    starts = {"2024-W08": "2024-02-19", "2024-W09": "2024-02-26", "2024-W10": "2024-03-04"}
    dated = WEEKLY.assign(week=pd.to_datetime(WEEKLY["week"].map(starts)))
    by_labels = topic_growth(WEEKLY, "2024-W10", "2024-W09", 2.0, 10)
    by_dates = topic_growth(dated, "2024-W10", "2024-W09", 2.0, 10)
    pd.testing.assert_frame_equal(by_labels, by_dates)


# --- the view ------------------------------------------------------------------------------


def test_every_word_exists_in_both_languages_with_the_same_placeholders():
    for key, text in WORDS.items():
        assert set(text) == {"en", "zh"}, key
        fields = [set(re.findall(r"{(\w+)}", text[lang])) for lang in ("en", "zh")]
        assert fields[0] == fields[1], key


def test_the_view_leads_with_fired_alerts_then_the_count(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        tickets=[LAST_TICKET],
        survey_responses=answers("a", 90, 10, "2024-02-28") + answers("b", 70, 30, "2024-03-06"),
    )
    settings = with_rules({"metric": "csat", "drop": 0.05}, {"metric": "csat", "below": 0.5})
    english = alerts_view(warehouse, settings, "en", Scope())
    assert english.fired
    assert english.lines == [
        "CSAT fell from 90.0% to 70.0% (-20.0 pp) in 2024-W10 against 2024-W09, n 100: "
        "rule 1 (CSAT down 5.0 pp or more, week on week, beyond noise) fired.",
        "Rules checked: 2; fired: 1.",
    ]
    assert english.covering == "week 2024-W10 against 2024-W09"
    chinese = alerts_view(warehouse, settings, "zh", Scope())
    assert chinese.lines[1] == "共检查 2 条规则，1 条触发。"
    assert chinese.covering == "2024-W10周对比 2024-W09"
    table = chinese.tables[0].frame
    assert list(table.columns[:3]) == ["规则", "条件", "分组"]
    assert table["状态"].tolist() == ["触发", "未触发"]
    assert table["本期"].tolist() == [pytest.approx(70.0), pytest.approx(70.0)]


def test_no_rule_firing_says_so():
    result = alert_rules.AlertResult([], [], {}, date(2024, 3, 10))
    view = view_of(result, plain_settings(), "en")
    assert (view.fired, view.lines) == (
        False,
        ["No alert rules are set (rules = [] in the alerts section)."],
    )
    assert view.tables == []  # no empty table of rules


def test_a_user_and_password_in_the_url_become_basic_auth():
    # RFC 7617 section 2: user "Aladdin", password "open sesame" → QWxhZGRpbjpvcGVuIHNlc2FtZQ==
    url = "http://Aladdin:open%20sesame@127.0.0.1:9000/hook?x=1"
    assert alert_rules.basic_auth(url) == (
        "http://127.0.0.1:9000/hook?x=1",
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
    )
    assert alert_rules.basic_auth("http://127.0.0.1:9000/hook") == (
        "http://127.0.0.1:9000/hook",
        None,
    )


# --- the webhook URL in messages ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:9000/hook?token=s3cret", "http://127.0.0.1:9000/…"),
        ("https://user:pw@localhost/services/T0/B0/s3cret", "https://localhost/…"),
        ("http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_messages_show_the_webhook_without_its_secrets(url, shown):
    assert redacted(url) == shown


def test_a_group_without_a_value_is_judged_and_named_as_not_given(tmp_path):
    # No channel: 9/10 → 5/10, −40 points (noise waived); email 9/10 → 9/10, unchanged.
    warehouse = warehouse_with(
        tmp_path,
        tickets=[LAST_TICKET],
        survey_responses=answers("a", 9, 1, "2024-02-28", None)
        + answers("b", 5, 5, "2024-03-06", None)
        + answers("c", 9, 1, "2024-02-28")
        + answers("d", 9, 1, "2024-03-06"),
    )
    settings = with_rules({"metric": "csat", "drop": 0.05, "by": "channel", "beyond_noise": False})
    result = check_alerts(warehouse, settings)
    states = {check.group["channel"]: (check.state, check.value) for check in result.checks}
    assert states == {None: (FIRED, 0.5), "email": (QUIET, 0.9)}
    line = view_of(result, settings, "en").lines[0]
    assert line.startswith("Channel (not given): CSAT fell from 90.0% to 50.0%")
