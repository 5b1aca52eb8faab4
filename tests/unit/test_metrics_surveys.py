"""Survey KPIs on tiny hand-computed inputs."""

from __future__ import annotations

import math
import re

import pytest
from test_metrics_fixtures import settings, warehouse_with
from test_metrics_tickets import row

from cxlens.errors import ConfigError
from cxlens.insights.catalogue import view
from cxlens.metrics import compute_kpis
from cxlens.metrics.intervals import Z95
from cxlens.metrics.surveys import t975


def response(rid, kind, score, at="2024-02-10", **columns):
    return {"response_id": rid, "kind": kind, "score": score, "responded_at_local": at, **columns}


def test_nps_buckets(tmp_path):
    # case SV-2: 9, 10, 10, 6 → 3 promoters, 1 detractor of 4: +50.
    scores = [9, 10, 10, 6]
    warehouse = warehouse_with(
        tmp_path, survey_responses=[response(f"R{i}", "nps", s) for i, s in enumerate(scores)]
    )
    nps = row(compute_kpis(warehouse, settings()), "nps")
    assert (nps.value, nps.n) == (50, 4)
    half = Z95 * 100 * math.sqrt((0.75 + 0.25 - 0.5**2) / 4)
    assert nps.ci_low == pytest.approx(50 - half)
    assert nps.ci_high == 100  # 50 + 84.9 is clipped to the scale


def test_nps_counts_only_integers_from_0_to_10(tmp_path):
    scores = [9, 7, 8.5, 11, -1, None, 0]
    warehouse = warehouse_with(
        tmp_path, survey_responses=[response(f"R{i}", "nps", s) for i, s in enumerate(scores)]
    )
    nps = row(compute_kpis(warehouse, settings()), "nps")
    # valid: 9, 7, 0 → one promoter, one detractor of 3
    assert (nps.value, nps.n) == (0, 3)


def test_csat_empty_month_is_null_and_pooled_months_are_not_averaged(tmp_path):
    # case SV-3: January has no responses; February 5, 4, blank, 2 → 2/3; Jan–Feb 2/3.
    warehouse = warehouse_with(
        tmp_path,
        tickets=[{"ticket_id": "T0", "created_at_local": "2024-01-03 09:00"}],
        survey_responses=[
            response(f"R{i}", "csat", s, at="2024-02-10") for i, s in enumerate([5, 4, None, 2])
        ],
    )
    monthly = compute_kpis(warehouse, settings(), by=["month"], metrics=["csat"])
    january, february = row(monthly, "csat", "2024-01"), row(monthly, "csat", "2024-02")
    assert math.isnan(january.value) and january.n == 0
    assert (february.value, february.n) == (pytest.approx(2 / 3), 3)
    pooled = row(compute_kpis(warehouse, settings(), metrics=["csat"]), "csat")
    assert (pooled.value, pooled.n) == (pytest.approx(2 / 3), 3)
    assert (round(pooled.ci_low, 4), round(pooled.ci_high, 4)) == (0.2077, 0.9385)


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """The Wilson 95 % score interval, written out from its textbook formula."""
    z = 1.959963984540054
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


@pytest.mark.parametrize(
    ("low", "high", "scores", "satisfied"),
    [
        (0, 1, [1, 0, 1, 1], 3),  # Good/Bad: Good
        (1, 3, [3, 2, 1, 3], 2),  # 3-point: top box (3)
        (1, 5, [5, 4, 3, 1], 2),  # 5-point: top two (4, 5)
        (1, 7, [7, 6, 5, 4], 2),  # 7-point: top two (6, 7); 5 is not satisfied
        (1, 10, [10, 9, 8, 7], 3),  # 10-point: top three (8, 9, 10)
        (0, 10, [10, 8, 7, 0], 2),  # 11-point: top three (8, 9, 10)
    ],
)
def test_csat_satisfied_by_scale_length(tmp_path, low, high, scores, satisfied):
    # case SV-3's rule on every scale: satisfied / answered, with its Wilson interval
    records = [
        response(f"R{i}", "csat", s, scale_min=low, scale_max=high) for i, s in enumerate(scores)
    ]
    warehouse = warehouse_with(tmp_path, survey_responses=records)
    csat = row(compute_kpis(warehouse, settings()), "csat")
    assert (csat.value, csat.n) == (satisfied / 4, 4)
    assert (csat.ci_low, csat.ci_high) == pytest.approx(wilson_by_hand(satisfied, 4))


def test_csat_satisfied_from_overrides_the_five_point_threshold(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        survey_responses=[response(f"R{i}", "csat", s) for i, s in enumerate([5, 4, 3, 6])],
    )
    csat = row(compute_kpis(warehouse, settings(csat={"satisfied_from": 5})), "csat")
    assert (csat.value, csat.n) == (pytest.approx(1 / 3), 3)  # 6 is off the 1–5 scale


def test_csat_satisfied_from_by_scale_sets_the_threshold_of_each_scale(tmp_path):
    # 1–7: 7, 6, 5, 4 with "1-7" = 5 → 3 of 4 (default top two: 2); 1–10: 10, 9, 8, 7 with
    # "1-10" = 9 → 2 of 4 (default top three: 3); the 1–5 answers keep satisfied_from = 5.
    records = [
        *(response(f"S{i}", "csat", s, scale_min=1, scale_max=7) for i, s in enumerate([7, 6, 5, 4])),
        *(response(f"T{i}", "csat", s, scale_min=1, scale_max=10, at="2024-03-05")
          for i, s in enumerate([10, 9, 8, 7])),
        *(response(f"F{i}", "csat", s, at="2024-04-05") for i, s in enumerate([5, 4])),
    ]  # fmt: skip
    warehouse = warehouse_with(tmp_path, survey_responses=records)
    chosen = settings(csat={"satisfied_from": 5, "satisfied_from_by_scale": {"1-7": 5, "1–10": 9}})
    monthly = compute_kpis(warehouse, chosen, by=["month"], metrics=["csat"])
    assert row(monthly, "csat", "2024-02").value == 3 / 4
    assert row(monthly, "csat", "2024-03").value == 2 / 4
    assert row(monthly, "csat", "2024-04").value == 1 / 2


@pytest.mark.parametrize(
    ("by_scale", "message"),
    [
        ({"seven": 6}, "'seven' is not a scale"),
        ({"7-1": 6}, "'7-1' is not a scale"),
        ({"1-7": 8}, "1-7 = 8 must be a score on that scale (1 to 7)"),
        ({"1-7": "6"}, "1-7 = '6' must be a score"),
    ],
)
def test_csat_satisfied_from_by_scale_refuses_what_is_not_a_threshold(tmp_path, by_scale, message):
    warehouse = warehouse_with(tmp_path, survey_responses=[response("R1", "csat", 5)])
    with pytest.raises(ConfigError, match=re.escape(message)):
        compute_kpis(warehouse, settings(csat={"satisfied_from_by_scale": by_scale}))


def t_bounds_by_hand(scores: list[float], t975: float) -> tuple[float, float]:
    """mean ± t·s/√n with the sample standard deviation, t from a printed t table."""
    n = len(scores)
    mean = sum(scores) / n
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1))
    return mean - t975 * sd / math.sqrt(n), mean + t975 * sd / math.sqrt(n)


def test_csat_mean_has_a_student_t_interval(tmp_path):
    # 4, 5, 4, 4, 3 on 1–5: mean 4, s = √0.5; t(0.975, 4 df) = 2.776445 (printed tables)
    warehouse = warehouse_with(
        tmp_path,
        survey_responses=[response(f"C{i}", "csat", s) for i, s in enumerate([4, 5, 4, 4, 3])],
    )
    mean = row(compute_kpis(warehouse, settings(), metrics=["csat_mean"]), "csat_mean")
    assert (mean.value, mean.n) == (4, 5)
    low, high = t_bounds_by_hand([4, 5, 4, 4, 3], 2.776445)
    assert (mean.ci_low, mean.ci_high) == pytest.approx((low, high), abs=1e-6)
    assert (round(low, 4), round(high, 4)) == (3.122, 4.878)


@pytest.mark.parametrize(("df", "printed"), [(1, 12.706205), (9, 2.262157), (30, 2.042272),
                                            (40, 2.021075), (120, 1.979930)])  # fmt: skip
def test_t_points_match_the_printed_table(df, printed):
    assert t975(df) == pytest.approx(printed, abs=2e-6)


def test_mean_interval_is_clipped_to_the_scale_and_null_below_two_answers(tmp_path):
    # CES 2, 3, 7 (8 is off 1–7): mean 4, s = √7, t(2 df) = 4.302653 → −2.57…10.57, clipped
    # to 1…7. CSAT: one answer → a mean without bounds.
    warehouse = warehouse_with(
        tmp_path,
        survey_responses=[
            response("C0", "csat", 5),
            *(response(f"E{i}", "ces", s) for i, s in enumerate([2, 3, 7, 8])),
        ],
    )
    frame = compute_kpis(warehouse, settings())
    low, high = t_bounds_by_hand([2, 3, 7], 4.302653)
    assert low < 1 and high > 7
    ces = row(frame, "ces")
    assert (ces.value, ces.n, ces.ci_low, ces.ci_high) == (4, 3, 1, 7)
    single = row(frame, "csat_mean")
    assert (single.value, single.n) == (5, 1)
    assert math.isnan(single.ci_low) and math.isnan(single.ci_high)


@pytest.mark.parametrize("higher_is_easier", [True, False])
def test_ces_is_reported_on_the_file_scale_in_either_direction(tmp_path, higher_is_easier):
    # a 1–5 effort scale (1 = very easy): 1, 2, 2, 5 → mean 2.5 whichever way the scale runs;
    # the direction only says whether a fall is good news (the report's arrow)
    records = [
        response(f"E{i}", "ces", s, scale_min=1, scale_max=5) for i, s in enumerate([1, 2, 2, 5])
    ]
    warehouse = warehouse_with(tmp_path, survey_responses=records)
    chosen = settings(ces={"higher_is_easier": higher_is_easier})
    ces = row(compute_kpis(warehouse, chosen, metrics=["ces"]), "ces")
    assert (ces.value, ces.n) == (2.5, 4)
    low, high = t_bounds_by_hand([1, 2, 2, 5], 3.182446)  # t(0.975, 3 df)
    assert (ces.ci_low, ces.ci_high) == pytest.approx((max(low, 1), min(high, 5)), abs=1e-6)
    assert view("ces", chosen).better == ("up" if higher_is_easier else "down")


def test_survey_kpis_without_their_kind_are_left_out(tmp_path):
    warehouse = warehouse_with(tmp_path, survey_responses=[response("R1", "csat", 5)])
    assert set(compute_kpis(warehouse, settings()).metric) == {"csat", "csat_mean"}


def test_survey_dimensions_come_from_the_response_then_its_ticket(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        tickets=[
            {"ticket_id": "T1", "created_at_local": "2024-02-01", "channel": "chat",
             "category": "refund", "team": "east"},
        ],
        survey_responses=[
            response("R1", "csat", 5, ticket_id="T1"),  # channel from its ticket
            response("R2", "csat", 1, ticket_id="T1", channel="email"),  # its own channel
            response("R3", "csat", 4, customer_id="C1", agent_id="A7"),
        ],
        customers=[{"customer_id": "C1", "segment": "vip"}],
    )  # fmt: skip
    by_channel = compute_kpis(warehouse, settings(), by=["channel", "team"], metrics=["csat"])
    assert row(by_channel, "csat", group={"channel": "chat", "team": "east"}).value == 1
    assert row(by_channel, "csat", group={"channel": "email", "team": "east"}).value == 0
    assert row(by_channel, "csat", group={"channel": None, "team": None}).value == 1
    by_segment = compute_kpis(warehouse, settings(), by=["segment", "agent"], metrics=["csat"])
    assert row(by_segment, "csat", group={"segment": "vip", "agent": "A7"}).n == 1
    assert row(by_segment, "csat", group={"segment": None, "agent": None}).n == 2


def good_bad(rid, score, at, **columns):
    return response(rid, "csat", score, at=at, scale_min=0, scale_max=1, **columns)


def mixed_scales_warehouse(tmp_path):
    """January: 1–5 only (5, 4, 2; one with its scale written out, plus a blank 0–1 answer).

    February: Good/Bad 1, 1, 0 by chat and 1–5 answers 3, 5 by email.
    """
    return warehouse_with(
        tmp_path,
        survey_responses=[
            response("J1", "csat", 5, at="2024-01-10", channel="email"),
            response("J2", "csat", 4, at="2024-01-11", channel="email", scale_min=1, scale_max=5),
            response("J3", "csat", 2, at="2024-01-12", channel="email"),
            good_bad("J4", None, "2024-01-13", channel="chat"),  # unanswered: no scale counted
            good_bad("F1", 1, "2024-02-01", channel="chat"),
            good_bad("F2", 1, "2024-02-02", channel="chat"),
            good_bad("F3", 0, "2024-02-03", channel="chat"),
            response("F4", "csat", 3, at="2024-02-04", channel="email"),
            response("F5", "csat", 5, at="2024-02-05", channel="email"),
        ],
    )


def test_csat_mean_of_a_month_on_one_scale_is_its_mean(tmp_path):
    # January: 5, 4, 2 on 1–5 (default and written-out scale are the same) → 11/3 of 3.
    monthly = compute_kpis(
        mixed_scales_warehouse(tmp_path), settings(), by=["month"], metrics=["csat_mean"]
    )
    january = row(monthly, "csat_mean", "2024-01")
    assert (january.value, january.n) == (pytest.approx(11 / 3), 3)


def test_csat_mean_of_a_month_mixing_scales_is_null_with_its_count(tmp_path, caplog):
    # February: Good/Bad 1, 1, 0 and 1–5 answers 3, 5 → no mean, n 5; the rate still holds:
    # satisfied 1, 1 (Good) and 5 (top two of 1–5) → 3/5.
    with caplog.at_level("WARNING", logger="cxlens.metrics.surveys"):
        monthly = compute_kpis(
            mixed_scales_warehouse(tmp_path),
            settings(),
            by=["month"],
            metrics=["csat_mean", "csat"],
        )
    february = row(monthly, "csat_mean", "2024-02")
    assert math.isnan(february.value) and february.n == 5
    assert math.isnan(february.ci_low) and math.isnan(february.ci_high)
    assert row(monthly, "csat", "2024-02").value == pytest.approx(3 / 5)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "0–1" in warnings[0] and "1–5" in warnings[0] and "--by" in warnings[0]
    assert "csat rate" in warnings[0]


def test_pooled_csat_mean_over_mixed_scales_is_null(tmp_path):
    # Jan–Feb pooled: 3 + 5 valid answers over 0–1 and 1–5 → no mean, n 8.
    pooled = row(compute_kpis(mixed_scales_warehouse(tmp_path), settings()), "csat_mean")
    assert math.isnan(pooled.value) and pooled.n == 8


def test_csat_mean_by_a_dimension_that_separates_the_scales(tmp_path, caplog):
    # Pooled by channel: chat 1, 1, 0 on 0–1 → 2/3; email 5, 4, 2, 3, 5 on 1–5 → 19/5.
    with caplog.at_level("WARNING", logger="cxlens.metrics.surveys"):
        frame = compute_kpis(
            mixed_scales_warehouse(tmp_path), settings(), by=["channel"], metrics=["csat_mean"]
        )
    chat = row(frame, "csat_mean", group={"channel": "chat"})
    email = row(frame, "csat_mean", group={"channel": "email"})
    assert (chat.value, chat.n) == (pytest.approx(2 / 3), 3)
    assert (email.value, email.n) == (pytest.approx(19 / 5), 5)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_ces_mixing_five_and_seven_point_scales_is_null(tmp_path):
    # 2, 4 on 1–5 and 6 on 1–7 (default): no mean, n 3; the 1–5 answers alone: mean 3.
    records = [
        response("E1", "ces", 2, scale_min=1, scale_max=5),
        response("E2", "ces", 4, scale_min=1, scale_max=5),
        response("E3", "ces", 6, at="2024-03-10"),
    ]
    warehouse = warehouse_with(tmp_path, survey_responses=records)
    pooled = row(compute_kpis(warehouse, settings(), metrics=["ces"]), "ces")
    assert math.isnan(pooled.value) and pooled.n == 3
    monthly = compute_kpis(warehouse, settings(), by=["month"], metrics=["ces"])
    assert (row(monthly, "ces", "2024-02").value, row(monthly, "ces", "2024-03").value) == (3, 6)


def sends_warehouse(tmp_path):
    """Sends in January (3, two answered: one in January, one in February) and March
    (1, unanswered), by chat and email; one February answer with no send recorded."""
    return warehouse_with(
        tmp_path,
        survey_responses=[
            response("S1", "csat", 5, at="2024-01-11", sent_at_local="2024-01-10", channel="chat"),
            response("S2", "csat", 2, at="2024-02-02", sent_at_local="2024-01-20", channel="chat"),
            response("S3", "csat", None, at=None, sent_at_local="2024-01-25", channel="email"),
            response("S4", "nps", None, at=None, sent_at_local="2024-03-05", channel="email"),
            response("R5", "csat", 4, at="2024-02-10", channel="email"),
        ],
    )


def test_response_rate_counts_answered_sends_by_the_send_period(tmp_path):
    # January: S1, S2 answered of S1, S2, S3 → 2/3 (S2 answered in February still counts
    # for January); February: no send → null; March: 0/1. Pooled: 2/4. R5 has no send.
    warehouse = sends_warehouse(tmp_path)
    monthly = compute_kpis(warehouse, settings(), by=["month"], metrics=["survey_response_rate"])
    january = row(monthly, "survey_response_rate", "2024-01")
    assert (january.value, january.n) == (pytest.approx(2 / 3), 3)
    assert (january.ci_low, january.ci_high) == pytest.approx(wilson_by_hand(2, 3))
    february = row(monthly, "survey_response_rate", "2024-02")
    assert math.isnan(february.value) and february.n == 0
    march = row(monthly, "survey_response_rate", "2024-03")
    assert (march.value, march.n) == (0, 1)
    assert (march.ci_low, march.ci_high) == pytest.approx(wilson_by_hand(0, 1))
    pooled = row(compute_kpis(warehouse, settings()), "survey_response_rate")
    assert (pooled.value, pooled.n) == (0.5, 4)
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx(wilson_by_hand(2, 4))


def test_unanswered_sends_stay_out_of_csat(tmp_path):
    # case SV-3 with sends: CSAT counts S1 (5), S2 (2), R5 (4) → 2/3; S3 and S4 are no answer
    frame = compute_kpis(sends_warehouse(tmp_path), settings(), metrics=["csat", "csat_mean"])
    assert (row(frame, "csat").value, row(frame, "csat").n) == (pytest.approx(2 / 3), 3)
    assert row(frame, "csat_mean").value == pytest.approx(11 / 3)


def test_response_rate_by_channel(tmp_path):
    # chat: S1, S2 answered of 2 → 1; email: S3, S4 unanswered → 0 of 2 (R5 is no send)
    frame = compute_kpis(
        sends_warehouse(tmp_path), settings(), by=["channel"], metrics=["survey_response_rate"]
    )
    chat = row(frame, "survey_response_rate", group={"channel": "chat"})
    email = row(frame, "survey_response_rate", group={"channel": "email"})
    assert (chat.value, chat.n, email.value, email.n) == (1, 2, 0, 2)


def test_response_rate_needs_known_sends(tmp_path):
    warehouse = warehouse_with(tmp_path, survey_responses=[response("R1", "csat", 5)])
    assert "survey_response_rate" not in set(compute_kpis(warehouse, settings()).metric)
