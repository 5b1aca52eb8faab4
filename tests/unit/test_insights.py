"""Insights: report month choice, changes and their colour, formatting, labels.

Inputs are tiny hand-made KPI rows shaped as ``compute_kpis`` returns them;
expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import math
import re
from datetime import date

import pandas as pd
import pytest

from cxlens.errors import ConfigError
from cxlens.insights import cards, catalogue, periods
from cxlens.insights.assemble import agent_label
from cxlens.insights.cards import Reading, build_card, compare, readings
from cxlens.insights.cleaning import flag_name, rule_description, table_name
from cxlens.insights.formatting import format_change, format_value
from cxlens.insights.labels import KPI_NAMES, LABELS, dimension_value, kpi_name, label
from cxlens.settings import Settings


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson 95 % interval, written out here as a second reference."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def rate(period: str, successes: int, n: int) -> Reading:
    low, high = wilson(successes, n)
    return Reading(period, successes / n, n, low, high)


CSAT = catalogue.view("csat")
FIRST_RESPONSE = catalogue.view("first_response_median_min")


# --- months -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "shift", "expected"),
    [("2024-03", -1, "2024-02"), ("2024-01", -1, "2023-12"), ("2024-03", -12, "2023-03"),
     ("2023-12", 1, "2024-01"), ("2024-02", -26, "2021-12")],
)  # fmt: skip
def test_shift_month_crosses_year_ends(month, shift, expected):
    assert periods.shift_month(month, shift) == expected


def test_month_label_of_wrong_shape_is_refused():
    with pytest.raises(ConfigError, match="YYYY-MM"):
        periods.parse_month("2024-3")


def test_data_ending_on_the_last_day_make_that_month_complete():
    assert periods.latest_complete_month(date(2024, 3, 31), {"2024-02", "2024-03"}) == (
        "2024-03",
        False,
    )


def test_data_ending_mid_month_report_the_month_before():
    # 2024-03-15 is not the end of March: March is still running.
    assert periods.latest_complete_month(date(2024, 3, 15), {"2024-02", "2024-03"}) == (
        "2024-02",
        False,
    )


def test_a_single_partial_month_is_reported_and_marked_partial():
    assert periods.latest_complete_month(date(2024, 3, 15), {"2024-03"}) == ("2024-03", True)


def test_month_bounds_are_local_start_and_next_month_start():
    start, end = periods.month_bounds("2023-12")
    assert (start.isoformat(), end.isoformat()) == ("2023-12-01T00:00:00", "2024-01-01T00:00:00")


# --- changes and verdicts -----------------------------------------------------------------


def test_a_large_csat_rise_on_large_samples_is_better():
    # 320/400 vs 280/400: +10 pp; standard errors about 0.020 and 0.023, z ≈ 3.3.
    change = compare(rate("2024-03", 320, 400), rate("2024-02", 280, 400), CSAT)
    assert change.verdict == cards.BETTER
    assert change.delta == pytest.approx(0.10)
    assert change.relative == pytest.approx(0.10 / 0.70)


def test_the_same_rise_on_ten_answers_is_within_noise():
    # 8/10 vs 7/10: the Wilson intervals are about ±0.25 wide, z ≈ 0.5.
    change = compare(rate("2024-03", 8, 10), rate("2024-02", 7, 10), CSAT)
    assert change.verdict == cards.NOISE


def test_a_csat_fall_on_large_samples_is_worse():
    change = compare(rate("2024-03", 280, 400), rate("2024-02", 320, 400), CSAT)
    assert change.verdict == cards.WORSE


def test_longer_first_response_is_worse_even_without_an_interval():
    change = compare(Reading("2024-03", 42.0, 50), Reading("2024-02", 30.0, 60), FIRST_RESPONSE)
    assert (change.verdict, change.delta, change.relative) == (cards.WORSE, 12.0, 0.4)


def test_shorter_first_response_is_better():
    change = compare(Reading("2024-03", 20.0, 50), Reading("2024-02", 30.0, 60), FIRST_RESPONSE)
    assert change.verdict == cards.BETTER


def test_ticket_volume_has_no_better_direction():
    change = compare(
        Reading("2024-03", 120, 120), Reading("2024-02", 100, 100), catalogue.view("tickets")
    )
    assert change.verdict == cards.CHANGED


def test_a_month_without_data_gives_no_change():
    change = compare(Reading("2024-03", 0.8, 10, 0.49, 0.94), Reading("2023-03"), CSAT)
    assert (change.verdict, change.delta) == (cards.NO_DATA, None)


def test_ces_direction_follows_the_setting():
    harder_is_higher = Settings(ces={"higher_is_easier": False})
    assert catalogue.view("ces", harder_is_higher).better == catalogue.DOWN
    assert catalogue.view("ces", Settings()).better == catalogue.UP


def test_card_reads_value_previous_and_year_before_from_kpi_rows():
    # Rows as compute_kpis gives them: null value with n 0 where a month had no answers.
    monthly = pd.DataFrame(
        {
            "metric": ["csat", "csat", "csat"],
            "period": ["2024-03", "2024-02", "2023-03"],
            "group": [{}, {}, {}],
            "value": [0.75, 0.5, None],
            "n": [4, 2, 0],
            "ci_low": [0.30, 0.09, None],
            "ci_high": [0.95, 0.91, None],
        }
    )
    card = build_card("csat", CSAT, readings(monthly), ("2024-03", "2024-02", "2023-03"), "en")
    assert (card.current.value, card.current.n) == (0.75, 4)
    assert card.previous.delta == pytest.approx(0.25)
    assert card.previous.verdict == cards.NOISE
    assert card.year_ago.verdict == cards.NO_DATA
    assert (card.value_text, card.n_text) == ("75.0%", "4")
    assert card.change_text(card.previous) == "+25.0 pp"
    assert card.change_text(card.year_ago) == "—"


# --- formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "lang", "expected"),
    [
        (0.87345, catalogue.RATE, "en", "87.3%"),
        (42.0, catalogue.POINTS, "en", "+42.0"),
        (-12.5, catalogue.POINTS, "zh", "-12.5"),
        (3960.0, catalogue.MINUTES, "en", "3,960.0 min"),
        (3960.0, catalogue.MINUTES, "zh", "3,960.0 分钟"),
        (1204, catalogue.COUNT, "en", "1,204"),
        (None, catalogue.RATE, "en", "—"),
        (float("nan"), catalogue.MINUTES, "en", "—"),
    ],
)
def test_values_read_in_their_unit(value, unit, lang, expected):
    assert format_value(value, unit, lang) == expected


def test_rate_changes_read_in_percentage_points():
    assert format_change(0.032, 0.04, catalogue.RATE, "en") == "+3.2 pp"
    assert format_change(-0.032, -0.04, catalogue.RATE, "zh") == "-3.2 个百分点"


def test_duration_changes_show_amount_and_relative_change():
    assert format_change(-6.0, -0.2, catalogue.MINUTES, "en") == "-6.0 min (-20.0%)"


# --- labels -------------------------------------------------------------------------------


def test_every_label_exists_in_both_languages():
    missing = [key for key, texts in LABELS.items() if not (texts.get("zh") and texts.get("en"))]
    assert missing == []


def test_every_catalogue_kpi_has_a_name_in_both_languages():
    metrics = pytest.importorskip("cxlens.metrics")
    missing = [kpi for kpi in metrics.KPIS if kpi not in KPI_NAMES]
    assert missing == []
    assert (kpi_name("csat", "zh"), kpi_name("csat", "en")) == ("客户满意度", "CSAT")


def test_every_catalogue_kpi_has_a_definition_in_both_languages():
    metrics = pytest.importorskip("cxlens.metrics")
    empty = [
        (kpi, lang)
        for kpi in metrics.KPIS
        for lang in ("zh", "en")
        if not catalogue.definition(kpi, lang)
    ]
    assert empty == []
    assert catalogue.definition("csat", "zh") != catalogue.definition("csat", "en")


def test_every_catalogue_kpi_has_a_display_direction():
    metrics = pytest.importorskip("cxlens.metrics")
    assert [kpi for kpi in metrics.KPIS if kpi not in catalogue.VIEWS] == []


def test_label_placeholders_are_filled():
    assert label("more_rows", "en", count=3) == "3 more rows are in the workbook."


def test_unknown_language_is_refused():
    with pytest.raises(ConfigError, match="'zh' or 'en'"):
        label("report_title", "fr")


def test_blank_group_values_read_as_not_given():
    assert dimension_value("team", None, "en") == "(not given)"
    assert dimension_value("team", "", "zh") == "（未填写）"


def test_channels_show_in_the_report_language():
    # case IM-5: the report shows the channel in its language.
    channels = pytest.importorskip("cxlens.clean.channels")
    assert dimension_value("channel", "wechat", "zh") == channels.channel_label("wechat", "zh")
    assert dimension_value("channel", "wechat", "zh") != dimension_value("channel", "wechat", "en")


def test_tiny_duration_changes_keep_two_decimals():
    # 1.10 → 1.14 min: "+0.0 min (+3.6%)" would contradict itself.
    assert format_change(0.04, 0.0364, catalogue.MINUTES, "en") == "+0.04 min (+3.6%)"


# --- changes without an interval ----------------------------------------------------------


def test_a_small_change_of_a_median_is_slight_and_grey():
    # 30 → 32 minutes: +6.7 %, under the 10 % that makes a change without an interval material.
    change = compare(Reading("2024-03", 32.0, 50), Reading("2024-02", 30.0, 60), FIRST_RESPONSE)
    assert change.verdict == cards.SLIGHT
    assert change.relative == pytest.approx(2 / 30)


def test_a_ten_percent_change_of_a_median_is_coloured():
    # 30 → 33 minutes is exactly +10 %: material, and longer is worse.
    change = compare(Reading("2024-03", 33.0, 50), Reading("2024-02", 30.0, 60), FIRST_RESPONSE)
    assert change.verdict == cards.WORSE


def test_a_backlog_change_from_zero_is_coloured():
    # No relative change exists from 0; any rise of the backlog is news.
    backlog = catalogue.view("backlog")
    change = compare(Reading("2024-03", 3, 3), Reading("2024-02", 0, 0), backlog)
    assert (change.verdict, change.relative) == (cards.WORSE, None)


def test_a_small_rate_change_with_intervals_is_still_judged_by_noise():
    # 1800/2000 vs 1680/2000: +6 pp, only +7.1 % relative, yet the intervals say news (z ≈ 5.7).
    change = compare(rate("2024-03", 1800, 2000), rate("2024-02", 1680, 2000), CSAT)
    assert change.relative == pytest.approx(0.06 / 0.84)
    assert change.verdict == cards.BETTER


# --- cleaning log in the reader's language --------------------------------------------------


def documented_rules() -> set[str]:
    """Rule ids in the first column of docs/cleaning.md's rule table."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "cleaning.md").read_text(encoding="utf-8")
    table = text.split("## Rules, in the order they run")[1].split("## ")[0]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {rule for cell in first_cells for rule in re.findall(r"`([a-z_]+)`", cell)}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def test_every_documented_cleaning_rule_reads_in_chinese():
    rules = documented_rules()
    assert {"exact_duplicates", "customers_merged", "ended_before_started"} <= rules
    english = "some English description"
    assert [r for r in sorted(rules) if not has_chinese(rule_description(r, english, "zh"))] == []


@pytest.mark.parametrize(
    ("rule", "english", "detail"),
    [
        ("channel_unknown",
         "unrecognised channel names set to 'other', text kept in attributes.channel_original"
         ": fax, telex", "：fax, telex"),
        ("currency_default", "orders without a currency: the project's (CNY)", "（CNY）"),
        ("customers_merged", "customers sharing a standardised e-mail or phone merged into 36 "
         "survivor(s), the earliest created", "36 位"),
        ("status_standardised", "status values rewritten to one of: completed, refunded, cancelled",
         "：completed, refunded, cancelled"),
        ("phone_standardised", "phones written in E.164; numbers without a country code read as "
         "region CN", "地区 CN"),
    ],
)  # fmt: skip
def test_chinese_rule_descriptions_keep_the_runs_detail(rule, english, detail):
    assert detail in rule_description(rule, english, "zh")


def test_a_rule_without_its_detail_reads_plainly():
    # channel_unknown with no unrecognised names: the plain sentence, no dangling colon.
    text = rule_description(
        "channel_unknown",
        "unrecognised channel names set to 'other', text kept in attributes.channel_original",
        "zh",
    )
    assert has_chinese(text) and not text.endswith("：")


def test_an_unknown_rule_keeps_its_english_description():
    assert rule_description("new_rule", "a rule added later", "zh") == "a rule added later"
    assert rule_description("exact_duplicates", "copies removed", "en") == "copies removed"


def test_table_names_and_flags_read_in_the_report_language():
    assert (table_name("survey_responses", "zh"), table_name("tickets", "en")) == (
        "问卷回复",
        "Tickets",
    )
    assert table_name("raw_thing", "zh") == "raw_thing"
    assert has_chinese(flag_name("resolution_before_creation", "zh"))
    assert flag_name("duplicate_suspect", "zh") == "duplicate_suspect"


def test_agents_read_as_name_and_id():
    names = {"a1": "Ada Wu"}
    assert agent_label("a1", names, "en") == "Ada Wu (a1)"
    assert agent_label("a3", names, "en") == "a3"
    assert agent_label(None, names, "zh") == "（未填写）"
