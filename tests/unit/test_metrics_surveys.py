"""Survey KPIs on tiny hand-computed inputs."""

from __future__ import annotations

import math

import pytest
from test_metrics_fixtures import settings, warehouse_with
from test_metrics_tickets import row

from cxlens.metrics import compute_kpis
from cxlens.metrics.intervals import Z95


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


@pytest.mark.parametrize(
    ("low", "high", "scores", "satisfied"),
    [
        (1, 3, [3, 2, 1, 3], 2),  # 3-point: top box
        (1, 5, [5, 4, 3, 1], 2),  # 5-point: top two
        (1, 7, [7, 6, 5, 4], 2),  # 7-point: top two
        (1, 10, [10, 9, 8, 7], 3),  # 10-point: top three
        (0, 1, [1, 0, 1, 1], 3),  # Good/Bad
    ],
)
def test_csat_satisfied_by_scale_length(tmp_path, low, high, scores, satisfied):
    records = [
        response(f"R{i}", "csat", s, scale_min=low, scale_max=high) for i, s in enumerate(scores)
    ]
    warehouse = warehouse_with(tmp_path, survey_responses=records)
    csat = row(compute_kpis(warehouse, settings()), "csat")
    assert (csat.value, csat.n) == (satisfied / 4, 4)


def test_csat_satisfied_from_overrides_the_five_point_threshold(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        survey_responses=[response(f"R{i}", "csat", s) for i, s in enumerate([5, 4, 3, 6])],
    )
    csat = row(compute_kpis(warehouse, settings(csat={"satisfied_from": 5})), "csat")
    assert (csat.value, csat.n) == (pytest.approx(1 / 3), 3)  # 6 is off the 1–5 scale


def test_csat_mean_and_ces_are_means_with_normal_intervals(tmp_path):
    warehouse = warehouse_with(
        tmp_path,
        survey_responses=[
            *(response(f"C{i}", "csat", s) for i, s in enumerate([5, 4, 2])),
            *(response(f"E{i}", "ces", s) for i, s in enumerate([2, 3, 7, 8])),  # 8 is off 1–7
        ],
    )
    frame = compute_kpis(warehouse, settings())
    mean = row(frame, "csat_mean")
    sd = math.sqrt(((5 - 11 / 3) ** 2 + (4 - 11 / 3) ** 2 + (2 - 11 / 3) ** 2) / 2)
    assert (mean.value, mean.n) == (pytest.approx(11 / 3), 3)
    assert mean.ci_high == pytest.approx(11 / 3 + Z95 * sd / math.sqrt(3))
    ces = row(frame, "ces")
    assert (ces.value, ces.n) == (4, 3)


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
