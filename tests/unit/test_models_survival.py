"""Kaplan–Meier curves, log-rank tests, retention durations and cohort matrices.

Expected values are worked out by hand in the comments (the product-limit table of g3,
Greenwood's formula, the log-rank sums), taken from R's published ``survdiff`` output for
g3, or computed with Python's date arithmetic from the hand-written warehouse rows.
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, norm

from cxlens import datasets
from cxlens.errors import ConfigError, ModelError
from cxlens.models.survival import KaplanMeier, cohort_matrix, logrank_test, retention_curves
from cxlens.settings import Settings
from helpers_raw import clean_rows

# g3 sorted by time (e = event, c = censored), both groups together:
#   9e 19e 25e 28c 32e 34e 48c 50c 50c 51c 53e 54c 57c 57c 58c 61c 69c  (17 subjects)
# Event times with the number at risk just before and the events:
G3_TABLE = pd.DataFrame(
    {
        "time": [9, 19, 25, 32, 34, 53],
        "at_risk": [17, 16, 15, 13, 12, 7],
        "events": [1, 1, 1, 1, 1, 1],
        # product-limit: 16/17, ·15/16, ·14/15, ·12/13, ·11/12, ·6/7
        "survival": [16 / 17, 15 / 17, 14 / 17, 168 / 221, 154 / 221, 132 / 221],
    }
)


@pytest.fixture(scope="module")
def g3():
    return datasets.load_g3()


@pytest.fixture(scope="module")
def g3_curve(g3):
    return KaplanMeier().fit(g3["time"], g3["event"])


def test_g3_product_limit_matches_the_hand_table(g3_curve):
    curve = g3_curve.survival_
    at_events = curve[curve["events"] > 0].reset_index(drop=True)
    assert at_events["time"].tolist() == G3_TABLE["time"].tolist()
    assert at_events["at_risk"].tolist() == G3_TABLE["at_risk"].tolist()
    assert at_events["events"].tolist() == G3_TABLE["events"].tolist()
    np.testing.assert_allclose(at_events["survival"], G3_TABLE["survival"], rtol=1e-12)
    # The curve starts at the origin: time 0, everyone at risk, survival 1.
    assert curve.iloc[0][["time", "survival", "at_risk", "events"]].tolist() == [0, 1, 17, 0]


def test_g3_bands_follow_greenwood_on_the_log_log_scale(g3_curve):
    # Greenwood: var S = S² Σ d/(n(n−d)); log-log band S^exp(±z·sqrt(Σ d/(n(n−d)))/|log S|).
    n, d, s = (G3_TABLE[c].to_numpy(float) for c in ("at_risk", "events", "survival"))
    greenwood_sum = np.cumsum(d / (n * (n - d)))
    z = norm.ppf(0.975)
    spread = z * np.sqrt(greenwood_sum) / np.abs(np.log(s))
    curve = g3_curve.survival_
    at_events = curve[curve["events"] > 0]
    np.testing.assert_allclose(at_events["ci_low"], s ** np.exp(spread), rtol=1e-10)
    np.testing.assert_allclose(at_events["ci_high"], s ** np.exp(-spread), rtol=1e-10)
    assert (at_events["ci_low"] < at_events["survival"]).all()
    assert (at_events["survival"] < at_events["ci_high"]).all()


def test_g3_greenwood_standard_error_by_hand():
    # The band's width on the log-log scale gives back se(S) = S·sqrt(Σ d/(n(n−d))).
    # At t = 32: Σ = 1/(17·16) + 1/(16·15) + 1/(15·14) + 1/(13·12).
    s32 = 168 / 221
    se32 = s32 * np.sqrt(1 / 272 + 1 / 240 + 1 / 210 + 1 / 156)
    g3 = datasets.load_g3()
    curve = KaplanMeier(alpha=0.05).fit(g3["time"], g3["event"]).survival_
    row = curve[curve["time"] == 32].iloc[0]
    z = norm.ppf(0.975)
    implied_se = np.log(np.log(row["ci_low"]) / np.log(s32)) / z * s32 * abs(np.log(s32))
    assert implied_se == pytest.approx(se32, rel=1e-10)


def test_g3_survival_at_is_a_step_function_and_unknown_past_follow_up(g3_curve):
    # Before the first event 1; at 25 (and up to 32) 14/17; past the longest time (69) NaN.
    values = g3_curve.survival_at([0, 8.9, 25, 31.9, 69, 70])
    np.testing.assert_allclose(values.iloc[:5], [1, 1, 14 / 17, 14 / 17, 132 / 221])
    assert np.isnan(values.iloc[5])
    with pytest.raises(ModelError, match="times >= 0"):
        g3_curve.survival_at([-1])


def test_median_is_null_when_the_curve_stays_above_one_half(g3_curve):
    # 132/221 = 0.597 is the lowest point of the pooled g3 curve.
    assert g3_curve.median_ is None
    assert np.isnan(g3_curve.summary.loc[0, "median"])


def test_median_is_the_first_time_at_or_below_one_half(g3):
    # Control arm: 9e 19e 32e 34e 48c 50c -> 5/6, 4/6, 3/6 at 32: exactly one half.
    # (R's survfit would report the midpoint 33 of the flat stretch; we take the first time.)
    control = g3[g3["group"] == "Control"]
    model = KaplanMeier().fit(control["time"], control["event"])
    assert model.median_ == 32
    summary = model.summary.iloc[0]
    assert (summary["n"], summary["events"], summary["censored"]) == (6, 4, 2)


def test_g3_log_rank_matches_r_and_the_hand_sums(g3):
    # R: survdiff(Surv(time, event) ~ group, g3) -> Chisq = 6.1 on 1 df, p = 0.0138
    # (lifelines' docs for g3 quote the same R output). By hand, for RIT at each event time:
    # O − E = Σ (d_RIT − d·n_RIT/n), V = Σ d·(n_RIT/n)(1 − n_RIT/n)(n − d)/(n − 1).
    times = np.array([9, 19, 25, 32, 34, 53], float)
    n = np.array([17, 16, 15, 13, 12, 7], float)
    # RIT at risk: all 11 up to 25; 9 at 32 and 34 (its event at 25, censoring at 28);
    # at 53 the 7 left are all RIT, so that time adds nothing.
    n_rit = np.array([11, 11, 11, 9, 9, 7], float)
    d = np.ones_like(times)
    d_rit = np.array([0, 0, 1, 0, 0, 1], float)  # RIT events at 25 and 53
    share = n_rit / n
    observed_minus_expected = (d_rit - d * share).sum()
    variance = (d * share * (1 - share) * (n - d) / (n - 1)).sum()
    hand = observed_minus_expected**2 / variance

    test = logrank_test(g3["time"], g3["event"], g3["group"])
    assert test.statistic == pytest.approx(hand, rel=1e-10)
    assert round(test.statistic, 1) == 6.1
    assert test.p_value == pytest.approx(0.0138, abs=5e-5)
    assert test.p_value == pytest.approx(chi2.sf(hand, 1), rel=1e-8)
    assert test.df == 1
    assert test.sentence.startswith("the curves differ at 5 %")


def test_log_rank_needs_two_groups_and_an_event():
    with pytest.raises(ModelError, match="two groups and one event"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    with pytest.raises(ModelError, match="0 event"):
        logrank_test([1, 2, 3], [0, 0, 0], ["a", "b", "a"])


# case SU-1: a duration of -1 is rejected, not drawn as a curve starting at -1.
@pytest.mark.parametrize(
    ("durations", "events", "message"),
    [
        ([5, -1, 3, -2], [1, 1, 0, 1], r"2 of 4 durations are negative .* position 1: -1"),
        ([5, np.inf, 3], [1, 1, 0], r"1 of 3 durations .* position 1: inf"),
        ([5, None, 3], [1, 1, 0], r"1 of 3 durations .* position 1: nan"),
        ([5, 4, 3], [1, 2, 0], r"1 of 3 event flags are not 0 or 1 .* position 1: 2"),
        ([5, 4, 3], [1, "yes", 0], r"1 of 3 event flags .* position 1: 'yes'"),
        ([5, 4], [1, 0, 1], "2 durations but 3 event flags"),
        ([], [], "no durations"),
    ],
)
def test_invalid_durations_and_events_are_rejected(durations, events, message):
    with pytest.raises(ModelError, match=message):
        KaplanMeier().fit(durations, events)


def test_boolean_events_and_an_event_at_zero():
    # Events at 0 and 2 of three subjects: S(0) = 2/3, S(2) = 2/3 · 0 = 0 (one at risk).
    # No extra origin row is added when the first event time is 0.
    model = KaplanMeier().fit([0, 1, 2], [True, False, True])
    curve = model.survival_
    assert curve["time"].tolist() == [0, 2]
    np.testing.assert_allclose(curve["survival"], [2 / 3, 0])
    assert model.median_ == 2


# ---- retention durations from a hand-written warehouse ------------------------------------

UNTIL = date(2024, 12, 31)


def subscription(sid, customer, started, ended=None, plan="monthly"):
    return {"subscription_id": sid, "customer_id": customer, "started_at": started,
            "ended_at": ended, "plan": plan}  # fmt: skip


def order(oid, customer, at, status="completed", amount=10.0):
    return {"order_id": oid, "customer_id": customer, "ordered_at": at, "amount": amount,
            "status": status}  # fmt: skip


def curves_of(tmp_path, tables, by=None, until=UNTIL, **settings):
    warehouse, _ = clean_rows(tmp_path, tables, **settings)
    with warehouse.connect() as con:
        return retention_curves(con, Settings(root=tmp_path, **settings), by=by, until=until)


def days(start, end):
    return (end - start).days


def durations_of(result):
    frame = result.customers.set_index("customer_id")
    return {c: (int(r.duration_days), bool(r.churned)) for c, r in frame.iterrows()}


def test_subscription_durations_churn_and_censoring(tmp_path):
    subscriptions = [
        subscription("S1", "C1", "2024-01-01 10:00", "2024-03-01 10:00"),  # ended: churned
        subscription("S2", "C2", "2024-01-01 10:00"),  # still open: censored at until
        subscription("S3", "C3", "2024-06-01 10:00", "2025-02-01 10:00"),  # ends after until
        subscription("S4", "C4", "2024-02-01 10:00", "2024-04-01 10:00"),  # two, both ended:
        subscription("S5", "C4", "2024-05-01 10:00", "2024-07-01 10:00"),  # churned at the last
        subscription("S6", "C5", "2024-01-15 10:00", "2024-03-01 10:00"),  # one still open:
        subscription("S7", "C5", "2024-02-15 10:00"),  # censored
        subscription("S8", "C6", "2025-01-10 10:00"),  # starts after until: not counted
    ]
    result = curves_of(tmp_path, {"subscriptions": subscriptions})
    assert durations_of(result) == {
        "C1": (days(date(2024, 1, 1), date(2024, 3, 1)), True),
        "C2": (days(date(2024, 1, 1), UNTIL), False),
        "C3": (days(date(2024, 6, 1), UNTIL), False),
        "C4": (days(date(2024, 2, 1), date(2024, 7, 1)), True),
        "C5": (days(date(2024, 1, 15), UNTIL), False),
    }
    assert result.basis == "subscriptions"
    assert result.n == {"all": 5}
    assert result.logrank is None
    # Two churn times: 60 days (all 5 at risk) and 151 days (4 at risk: C1 gone; C3, C5
    # and C2, censored at 213, 351 and 365 days, still in): S = 4/5, then 4/5 · 3/4.
    assert result.curves["all"].survival_at([60, 151]).tolist() == pytest.approx([0.8, 0.6])


def test_until_moves_the_censoring(tmp_path):
    # Seen from 2024-02-15, C1's subscription (ending 2024-03-01) is still open.
    subscriptions = [subscription("S1", "C1", "2024-01-01 10:00", "2024-03-01 10:00")]
    result = curves_of(tmp_path, {"subscriptions": subscriptions}, until="2024-02-15")
    assert durations_of(result) == {"C1": ((date(2024, 2, 15) - date(2024, 1, 1)).days, False)}


def test_default_until_is_the_last_local_day_of_the_data(tmp_path):
    # 2024-05-31 20:00 UTC is 2024-06-01 04:00 in Shanghai: the data ends on 2024-06-01.
    subscriptions = [
        subscription("S1", "C1", "2024-01-01 10:00"),
        subscription("S2", "C2", "2024-02-01 10:00", "2024-05-31 20:00"),
    ]
    result = curves_of(tmp_path, {"subscriptions": subscriptions}, until=None,
                       timezone="Asia/Shanghai")  # fmt: skip
    assert result.until == date(2024, 6, 1)
    assert durations_of(result)["C1"] == ((date(2024, 6, 1) - date(2024, 1, 1)).days, False)
    assert durations_of(result)["C2"] == ((date(2024, 6, 1) - date(2024, 2, 1)).days, True)


def test_order_durations_use_the_churn_window(tmp_path):
    orders = [
        order("O1", "A", "2024-01-10 09:00"),
        order("O2", "A", "2024-02-10 09:00"),  # churns 2024-05-10
        order("O3", "B", "2024-11-01 09:00"),  # churn day 2025-01-30 is after until: censored
        order("O4", "C", "2024-01-01 09:00"),
        order("O5", "C", "2024-09-01 09:00", status="cancelled"),  # cancelled: ignored
        order("O6", "D", "2024-03-01 09:00", status="refunded"),  # refunded still counts
        order("O7", "E", "2025-01-05 09:00"),  # after until: not counted
        order("O8", "F", "2024-10-02 09:00"),  # churn day 2024-12-31 = until: churned
    ]
    result = curves_of(tmp_path, {"orders": orders}, churn={"window_days": 90})
    assert result.basis == "orders"
    assert durations_of(result) == {
        "A": ((date(2024, 5, 10) - date(2024, 1, 10)).days, True),
        "B": ((UNTIL - date(2024, 11, 1)).days, False),
        "C": (90, True),
        "D": (90, True),
        "F": (90, True),
    }


def test_end_before_start_is_rejected_with_the_customer(tmp_path):
    # case SU-1 in the warehouse: a subscription ending before it starts.
    subscriptions = [
        subscription("S1", "C1", "2024-03-01 10:00", "2024-02-01 10:00"),
        subscription("S2", "C2", "2024-01-01 10:00"),
    ]
    with pytest.raises(ModelError, match=r"1 customer\(s\) end before they start \(first: C1"):
        curves_of(tmp_path, {"subscriptions": subscriptions})


def _many(prefix, count, started, ended=None, plan="monthly"):
    return [
        subscription(f"{prefix}{i}", f"{prefix}{i}", started, ended, plan) for i in range(count)
    ]


def test_groups_by_plan_pool_small_groups_and_compare(tmp_path):
    # 20 monthly customers all churn at 30 days; 20 yearly and 3 trial stay to until.
    subscriptions = (
        _many("M", 20, "2024-01-01 10:00", "2024-01-31 10:00", "monthly")
        + _many("Y", 20, "2024-01-01 10:00", None, "yearly")
        + _many("T", 3, "2024-01-01 10:00", None, "trial")
    )
    result = curves_of(tmp_path, {"subscriptions": subscriptions}, by="plan")
    assert result.n == {"monthly": 20, "yearly": 20, "other": 3}
    assert result.medians == {"monthly": 30, "yearly": None, "other": None}
    # Log-rank by hand: one event time (30 days) with 43 at risk, 20 events, 20 of them
    # monthly: E_m = 20·20/43; with three groups the statistic is (O−E)' V⁻¹ (O−E) on 2 df.
    n, d = 43.0, 20.0
    at_risk = np.array([20.0, 20.0, 3.0])
    observed = np.array([20.0, 0.0, 0.0])
    expected = d * at_risk / n
    share = at_risk / n
    v = d * (n - d) / (n - 1) * (np.diag(share) - np.outer(share, share))
    diff = (observed - expected)[:2]
    hand = diff @ np.linalg.solve(v[:2, :2], diff)
    assert result.logrank.df == 2
    assert result.logrank.statistic == pytest.approx(hand, rel=1e-10)
    assert result.logrank.p_value == pytest.approx(chi2.sf(hand, 2), rel=1e-8)
    payload = result.to_json()
    assert [g["group"] for g in payload["groups"]] == ["monthly", "yearly", "other"]
    assert payload["logrank"]["sentence"].startswith("the curves differ at 5 %")
    assert payload["groups"][0]["curve"][1] == {
        "time": 30.0, "survival": 0.0, "ci_low": None, "ci_high": None, "at_risk": 20,
        "events": 20,
    }  # fmt: skip


def test_channel_is_the_most_used_with_ties_to_the_first(tmp_path):
    # X*: two chat and two email tickets, chat first -> chat. Y*: one phone, two email ->
    # email. Z*: no tickets.
    subscriptions = [
        *_many("X", 20, "2024-01-01 10:00"),
        *_many("Y", 20, "2024-01-01 10:00"),
        *_many("Z", 20, "2024-01-01 10:00"),
    ]
    tickets = []
    for prefix, channels in (("X", ["chat", "email", "email", "chat"]),
                             ("Y", ["phone", "email", "email"])):  # fmt: skip
        for i in range(20):
            for k, channel in enumerate(channels):
                tickets.append({"ticket_id": f"{prefix}{i}-{k}", "customer_id": f"{prefix}{i}",
                                "created_at": f"2024-02-0{k + 1} 10:00", "channel": channel})  # fmt: skip
    result = curves_of(tmp_path, {"subscriptions": subscriptions, "tickets": tickets},
                       by="channel")  # fmt: skip
    groups = result.customers.set_index("customer_id")["group"]
    assert groups["X0"] == "chat" and groups["Y0"] == "email" and groups["Z0"] == "no tickets"
    assert result.n == {"chat": 20, "email": 20, "no tickets": 20}


def test_by_segment_and_the_errors_for_bad_groupings(tmp_path):
    subscriptions = _many("V", 20, "2024-01-01 10:00") + _many("W", 2, "2024-01-01 10:00")
    customers = [{"customer_id": f"V{i}", "segment": "vip"} for i in range(20)]
    result = curves_of(tmp_path, {"subscriptions": subscriptions, "customers": customers},
                       by="segment")  # fmt: skip
    assert result.n == {"vip": 20, "other": 2}  # W* have no segment: "unknown", pooled

    with pytest.raises(ConfigError, match="plan, segment or channel"):
        curves_of(tmp_path / "a", {"subscriptions": subscriptions}, by="region")
    orders = [order("O1", "A", "2024-01-10 09:00")]
    with pytest.raises(ModelError, match="by plan needs subscriptions"):
        curves_of(tmp_path / "b", {"orders": orders}, by="plan")


# ---- cohort matrix ------------------------------------------------------------------------


def matrix_of(tmp_path, tables, until, basis=None, **settings):
    warehouse, _ = clean_rows(tmp_path, tables, **settings)
    with warehouse.connect() as con:
        return cohort_matrix(con, Settings(root=tmp_path, **settings), until=until, basis=basis)


def test_cohort_matrix_from_orders_by_hand(tmp_path):
    orders = [
        order("O1", "C1", "2024-01-05 09:00"),
        order("O2", "C1", "2024-02-10 09:00"),  # C1: Jan cohort, active in months 0, 1
        order("O3", "C2", "2024-01-20 09:00"),
        order("O4", "C2", "2024-03-02 09:00"),  # C2: Jan cohort, months 0, 2
        order("O5", "C3", "2024-02-01 09:00"),
        order("O6", "C3", "2024-02-25 09:00"),  # C3: Feb cohort, month 0
        order("O7", "C4", "2024-02-14 09:00"),
        order("O8", "C4", "2024-03-10 09:00", status="refunded"),  # C4: Feb, month 0 only
        order("O9", "C5", "2024-01-25 09:00", status="cancelled"),
        order("O10", "C5", "2024-03-05 09:00"),  # C5: Mar cohort (the cancelled one ignored)
        order("O11", "C6", "2024-03-20 09:00"),  # after until
    ]
    # Until 2024-03-31, March is whole: its cells count (O11 on the 20th makes C6 part of
    # the March cohort too).
    matrix = matrix_of(tmp_path, {"orders": orders}, until="2024-03-31")
    nan = np.nan
    expected = pd.DataFrame(
        {"customers": [2, 2, 2], 0: [1.0, 1.0, 1.0], 1: [0.5, 0.0, nan], 2: [0.5, nan, nan]},
        index=pd.Index(["2024-01", "2024-02", "2024-03"], name="cohort"),
    )
    pd.testing.assert_frame_equal(matrix, expected, check_dtype=False, check_index_type=False)

    # Until 2024-03-15, March is seen for half a month: its cells are null, not low.
    (tmp_path / "half").mkdir()
    matrix = matrix_of(tmp_path / "half", {"orders": orders}, until="2024-03-15")
    expected = pd.DataFrame(
        {"customers": [2, 2, 1], 0: [1.0, 1.0, nan], 1: [0.5, nan, nan], 2: [nan, nan, nan]},
        index=pd.Index(["2024-01", "2024-02", "2024-03"], name="cohort"),
    )
    pd.testing.assert_frame_equal(matrix, expected, check_dtype=False, check_index_type=False)


def test_cohort_months_are_local(tmp_path):
    # 2024-01-31 20:00 UTC is 2024-02-01 04:00 in Shanghai: a February customer.
    orders = [order("O1", "C1", "2024-01-31 20:00"), order("O2", "C2", "2024-01-31 10:00")]
    matrix = matrix_of(tmp_path, {"orders": orders}, until="2024-02-29", timezone="Asia/Shanghai")
    assert matrix.index.tolist() == ["2024-01", "2024-02"]
    assert matrix["customers"].tolist() == [1, 1]
    assert matrix[1].tolist()[0] == 0.0 and np.isnan(matrix[1].tolist()[1])


def test_cohort_matrix_from_subscriptions_by_hand(tmp_path):
    subscriptions = [
        subscription("S1", "C1", "2024-01-10 10:00", "2024-01-25 10:00"),  # Jan: month 0
        subscription("S2", "C2", "2024-01-15 10:00"),  # Jan: months 0, 1, 2 (open)
        subscription("S3", "C3", "2024-02-05 10:00", "2024-04-01 10:00"),  # Feb: 0, 1
    ]
    matrix = matrix_of(tmp_path, {"subscriptions": subscriptions}, until="2024-03-15")
    assert matrix.index.tolist() == ["2024-01", "2024-02"]
    assert matrix["customers"].tolist() == [2, 1]
    # March is half seen (until the 15th): null, as are the months after it.
    assert matrix.loc["2024-01", [0, 1]].tolist() == [1.0, 0.5]
    assert np.isnan(matrix.loc["2024-01", 2])
    assert matrix.loc["2024-02", 0] == 1.0
    assert np.isnan(matrix.loc["2024-02", 1]) and np.isnan(matrix.loc["2024-02", 2])
