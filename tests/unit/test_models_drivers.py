"""Key drivers: the ridge logit against statsmodels, a 2x2 table by hand, synthetic data
with known effects, the factor rules, and answers linked to tickets in a small warehouse.

Expected values come from the true parameters of simulated data, statsmodels' ``Logit``
on a design built here with pandas, or formulas worked by hand in the comments.
"""

import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special, stats
from statsmodels.stats.multitest import multipletests

from cxlens.errors import ModelError, WarehouseError
from cxlens.models.drivers import KeyDrivers, churn_drivers, service_responses
from cxlens.settings import load_settings

Z95 = 1.959963984540054


def synthetic(seed: int, n: int = 5000) -> tuple[pd.DataFrame, pd.Series, dict[str, float]]:
    """Factors, a 0/1 outcome drawn from known log-odds, and the true effect of each
    summary row in the model's units (per sample SD for numeric factors)."""
    rng = np.random.default_rng(seed)
    wait = rng.normal(10, 2, n)  # per unit: -0.4
    replies = rng.normal(5, 0.5, n)  # per unit: +1.0
    reopened = (rng.random(n) < 0.3).astype(int)  # -0.7
    channel = rng.choice(["chat", "email", "phone"], n, p=[0.5, 0.3, 0.2])
    noise = rng.normal(0, 1, n)  # no effect
    eta = (
        0.5 - 0.4 * (wait - 10) + 1.0 * (replies - 5) - 0.7 * reopened
        - 0.5 * (channel == "email") + 0.6 * (channel == "phone")
    )  # fmt: skip
    y = pd.Series((rng.random(n) < special.expit(eta)).astype(int))
    X = pd.DataFrame(
        {"wait": wait, "replies": replies, "reopened": reopened, "channel": channel,
         "noise": noise}
    )  # fmt: skip
    truth = {
        "wait": -0.4 * wait.std(ddof=1),
        "replies": 1.0 * replies.std(ddof=1),
        "reopened": -0.7,
        "channel=email": -0.5,
        "channel=phone": 0.6,
        "noise": 0.0,
    }
    return X, y, truth


def test_true_effects_fall_inside_their_intervals_about_95_percent_of_the_time():
    covered, noise_flagged, intervals = 0, 0, 0
    for seed in range(40):
        X, y, truth = synthetic(seed)
        model = KeyDrivers().fit(X, y)
        summary = model.summary.set_index(model.design_.columns["column"])
        coef = summary["coef"]
        low = np.log(summary["ci_low"])
        high = np.log(summary["ci_high"])
        for column, value in truth.items():
            covered += int(low[column] <= value <= high[column])
            intervals += 1
        noise_flagged += int(summary.loc["noise", "significant"])
        assert coef["wait"] < 0 < coef["replies"]
    # 240 intervals at 95 %: binomial sd 1.4 points; 90–99 % is more than 3 sd either side.
    assert 0.90 <= covered / intervals <= 0.99
    # Noise is called a driver in about 5 % of data sets at most (Holm only lowers that);
    # Binomial(40, 0.05) exceeds 6 with probability 0.003.
    assert noise_flagged <= 6


def test_a_pure_noise_factor_is_marked_not_significant():
    X, y, _ = synthetic(seed=101)
    summary = KeyDrivers().fit(X, y).summary
    noise = summary[summary["factor"] == "noise"].iloc[0]
    assert not noise["significant"]
    assert pd.isna(noise["rank"])
    assert "no clear effect" in noise["sentence"]
    assert "无明显影响" in noise["sentence_zh"]
    real = summary[summary["factor"].isin(["wait", "replies", "reopened"])]
    assert real["significant"].all()


def test_without_penalty_the_fit_equals_statsmodels_logit():
    X, y, _ = synthetic(seed=3, n=3000)
    model = KeyDrivers(penalty=0.0).fit(X, y)

    # The same design by hand: numeric standardised (sample SD), chat (most common) as
    # the channel's reference, the binary factor left as 0/1.
    design = pd.DataFrame({"const": 1.0}, index=X.index)
    for name in ("wait", "replies", "noise"):
        design[name] = (X[name] - X[name].mean()) / X[name].std(ddof=1)
    design["reopened"] = X["reopened"].astype(float)
    dummies = pd.get_dummies(X["channel"], dtype=float).drop(columns="chat")
    design[["channel=email", "channel=phone"]] = dummies[["email", "phone"]].to_numpy()
    reference = sm.Logit(y.astype(float), design).fit(disp=0, tol=1e-12, maxiter=100)

    columns = list(model.coef_.index)
    assert model.coef_.to_numpy() == pytest.approx(reference.params[columns].to_numpy(), rel=1e-4)
    assert model.intercept_ == pytest.approx(reference.params["const"], rel=1e-4)
    errors = np.sqrt(np.diag(model.covariance_.loc[columns, columns]))
    assert errors == pytest.approx(reference.bse[columns].to_numpy(), rel=1e-4)
    summary = model.summary.set_index(model.design_.columns["column"])
    assert summary["p_value"].to_numpy() == pytest.approx(
        reference.pvalues[columns].to_numpy(), rel=1e-4, abs=1e-300
    )
    bounds = np.exp(reference.conf_int().loc[columns])
    assert summary["ci_low"].to_numpy() == pytest.approx(bounds[0].to_numpy(), rel=1e-4)
    assert summary["ci_high"].to_numpy() == pytest.approx(bounds[1].to_numpy(), rel=1e-4)


def two_by_two() -> tuple[pd.DataFrame, pd.Series]:
    """Not reopened: 80 satisfied, 20 not; reopened: 10 satisfied, 15 not."""
    reopened = [0] * 100 + [1] * 25
    satisfied = [1] * 80 + [0] * 20 + [1] * 10 + [0] * 15
    return pd.DataFrame({"reopened": reopened}), pd.Series(satisfied)


def test_a_two_by_two_table_gives_the_hand_odds_ratio_and_woolf_interval():
    X, y = two_by_two()
    model = KeyDrivers(
        penalty=0.0, outcome=("a satisfied answer", "满意评价"),
        labels={"reopened": ("Reopened tickets", "重开过的工单")},
    ).fit(X, y)  # fmt: skip
    row = model.summary.iloc[0]

    # Odds ratio (10/15) / (80/20) = 1/6; Woolf: se(log OR) = sqrt(1/10 + 1/15 + 1/80 + 1/20)
    # = 0.478714; 95 % interval exp(log(1/6) ± 1.96 × 0.478714) = 0.0652 to 0.4259, shown
    # with two significant digits below 0.1 and two decimals above.
    se = math.sqrt(1 / 10 + 1 / 15 + 1 / 80 + 1 / 20)
    assert row["odds_ratio"] == pytest.approx(1 / 6, rel=1e-8)
    assert row["std_error"] == pytest.approx(se, rel=1e-8)
    assert row["ci_low"] == pytest.approx(math.exp(math.log(1 / 6) - Z95 * se), rel=1e-8)
    assert row["ci_high"] == pytest.approx(math.exp(math.log(1 / 6) + Z95 * se), rel=1e-8)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(math.log(6) / se), rel=1e-6)
    assert row["n"] == 25
    assert (row["kind"], row["level"], row["reference"]) == ("binary", "yes", "no")
    assert row["significant"] and row["rank"] == 1
    assert row["sentence"] == (
        "Reopened tickets: odds of a satisfied answer 0.17× (95 % 0.065–0.43), n = 25 — "
        "the strongest driver."
    )
    assert row["sentence_zh"] == (
        "重开过的工单：满意评价的几率为 0.17 倍（95% 区间 0.065–0.43），n = 25——最强的驱动因素。"
    )


def test_the_ridge_solution_solves_the_penalised_score_equation():
    X, y = two_by_two()
    penalty = 5.0
    model = KeyDrivers(penalty=penalty).fit(X, y)
    unpenalised = KeyDrivers(penalty=0.0).fit(X, y)

    # At the optimum X'(y − p) equals the penalty times β (zero for the intercept), and the
    # covariance is the inverse of X'WX plus the penalty on the slope.
    design = np.column_stack([np.ones(len(X)), X["reopened"].to_numpy(float)])
    beta = np.array([model.intercept_, model.coef_["reopened"]])
    p = special.expit(design @ beta)
    score = design.T @ (y.to_numpy() - p)
    assert score == pytest.approx([0.0, penalty * beta[1]], abs=1e-8)
    hessian = design.T @ (design * (p * (1 - p))[:, None]) + np.diag([0.0, penalty])
    assert model.covariance_.to_numpy() == pytest.approx(np.linalg.inv(hessian), rel=1e-8)
    assert abs(model.coef_["reopened"]) < abs(unpenalised.coef_["reopened"])


def test_factor_rules_drop_constant_sparse_and_undated_factors():
    rng = np.random.default_rng(5)
    n = 400
    X = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "west"], n, p=[0.2, 0.5, 0.3]),
            "score": rng.normal(size=n),
            "constant": np.ones(n),
            "sparse": np.where(rng.random(n) < 0.6, np.nan, 1.0),
            "when": pd.date_range("2024-01-01", periods=n, freq="D"),
            "vip": rng.random(n) < 0.4,
        }
    )
    y = pd.Series((rng.random(n) < 0.5).astype(int))
    model = KeyDrivers().fit(X, y)

    assert model.dropped_["constant"] == "one value only"
    assert model.dropped_["sparse"].startswith(f"missing in {X['sparse'].isna().mean():.0%}")
    assert model.dropped_["when"] == "neither a number nor a category"
    summary = model.summary
    region = summary[summary["factor"] == "region"]
    assert set(region["reference"]) == {"south"}  # the most common level
    assert region.set_index("level")["n"].to_dict() == (
        X["region"].value_counts()[["north", "west"]].to_dict()
    )
    vip = summary[summary["factor"] == "vip"].iloc[0]
    assert (vip["kind"], vip["n"]) == ("binary", int(X["vip"].sum()))
    score = summary[summary["factor"] == "score"].iloc[0]
    assert (score["kind"], score["n"]) == ("numeric", n)


def test_rows_with_a_missing_factor_are_left_out():
    X, y, _ = synthetic(seed=9, n=600)
    X.loc[:49, "wait"] = np.nan
    with_gaps = KeyDrivers(penalty=0.0).fit(X, y)
    complete = KeyDrivers(penalty=0.0).fit(X.iloc[50:].reset_index(drop=True),
                                           y.iloc[50:].reset_index(drop=True))  # fmt: skip
    assert with_gaps.n_rows_ == 550
    assert with_gaps.coef_.to_numpy() == pytest.approx(complete.coef_.to_numpy(), rel=1e-10)


def test_holm_adjustment_importance_and_ranks_follow_their_definitions():
    X, y, _ = synthetic(seed=11, n=1500)
    summary = KeyDrivers().fit(X, y).summary

    # Holm's adjustment as statsmodels computes it.
    expected = multipletests(summary["p_value"], alpha=0.05, method="holm")[1]
    assert summary["p_adjusted"].to_numpy() == pytest.approx(expected, rel=1e-12)
    excludes_one = (summary["ci_low"] > 1) | (summary["ci_high"] < 1)
    assert (summary["significant"] == (excludes_one & (summary["p_adjusted"] < 0.05))).all()

    # Importance: |coef| per SD of its column (0/1 columns scaled by their SD), as shares.
    sd = {
        "reopened": X["reopened"].std(ddof=1),
        "email": (X["channel"] == "email").std(ddof=1),
        "phone": (X["channel"] == "phone").std(ddof=1),
    }
    scale = summary["level"].map(
        {"yes": sd["reopened"], "email": sd["email"], "phone": sd["phone"]}
    )
    weight = summary["coef"].abs() * scale.fillna(1.0)
    assert summary["importance"].to_numpy() == pytest.approx(weight / weight.sum(), rel=1e-10)

    drivers = summary[summary["significant"]].sort_values("importance", ascending=False)
    assert drivers["rank"].tolist() == list(range(1, len(drivers) + 1))
    assert summary.loc[~summary["significant"], "rank"].isna().all()


def test_models_refuse_what_they_cannot_fit():
    X, y = two_by_two()
    with pytest.raises(ModelError, match="at least 10 of each"):
        KeyDrivers().fit(X, pd.Series([1] * 125))
    with pytest.raises(ModelError, match="0/1"):
        KeyDrivers().fit(X, pd.Series([2] * 125))
    with pytest.raises(ModelError, match="penalty"):
        KeyDrivers(penalty=-1.0).fit(X, y)
    with pytest.raises(ModelError, match="fit the key-drivers model"):
        _ = KeyDrivers().summary
    # Reopened predicts the answer perfectly: no finite unpenalised odds ratio.
    separated = pd.Series([1] * 100 + [0] * 25)
    with pytest.raises(ModelError, match="predicts the outcome perfectly"):
        KeyDrivers(penalty=0.0).fit(X, separated)
    assert KeyDrivers(penalty=1.0).fit(X, separated).coef_["reopened"] < -3


def test_churn_drivers_fit_a_customer_feature_frame():
    rng = np.random.default_rng(21)
    n = 4000
    features = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "tickets": rng.poisson(2, n).astype(float),  # +0.3 per ticket
            "plan": rng.choice(["monthly", "yearly"], n, p=[0.6, 0.4]),  # yearly −1.2
            "first_order": pd.date_range("2023-01-01", periods=n, freq="h"),
        }
    )
    eta = -1.0 + 0.3 * (features["tickets"] - 2) - 1.2 * (features["plan"] == "yearly")
    churned = pd.Series((rng.random(n) < special.expit(eta)).astype(int))
    result = churn_drivers(features, churned)

    assert "customer_id" not in set(result.model.design_.columns["factor"])
    assert result.model.dropped_ == {"first_order": "neither a number nor a category"}
    table = result.table.set_index("factor")
    truth = {"tickets": 0.3 * features["tickets"].std(ddof=1), "plan": -1.2}
    for factor, value in truth.items():
        assert np.log(table.loc[factor, "ci_low"]) <= value <= np.log(table.loc[factor, "ci_high"])
    assert table.loc["plan", "label"] == "plan: yearly (vs monthly)"
    assert "odds of leaving" in table.loc["plan", "sentence"]
    document = json.loads(json.dumps(result.to_json()))
    assert document["rows"] == n and document["outcome"] == "churn"
    assert [d["factor"] for d in document["drivers"]][:2] == list(result.table["factor"][:2])

    with pytest.raises(ModelError, match="share their index"):
        churn_drivers(features, churned.set_axis(range(1, n + 1)))


# ---------------------------------------------------------------------------------------
# Answers joined to tickets, in a warehouse written here


@pytest.fixture
def small_warehouse(tmp_path):
    """Four tickets, their SLA clocks and seven answers, in UTC (naive) times."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("""
        CREATE TABLE tickets AS SELECT * FROM (VALUES
            ('T1', 'c1', TIMESTAMP '2024-01-01 08:00', 120.0, 600.0, 0, 2, 1, 'email', 'refund', 'normal', false),
            ('T2', 'c1', TIMESTAMP '2024-03-01 08:00', 30.0, 60.0, 2, 4, 3, 'chat', 'defect', 'high', false),
            ('T3', 'c2', TIMESTAMP '2024-01-01 08:00', 0.0, NULL, NULL, 1, 1, 'phone', 'billing', 'low', false),
            ('T4', 'c1', TIMESTAMP '2024-03-05 08:00', 5.0, 5.0, 0, 1, 1, 'chat', 'defect', 'high', true)
        ) AS t(ticket_id, customer_id, created_at, first_response_min, resolution_min, reopens,
               agent_replies, customer_contacts, channel, category, priority, is_merged)
    """)  # fmt: skip
    con.execute("""
        CREATE TABLE sla_clocks AS SELECT * FROM (VALUES
            ('T1', 'first_response', 1, false, true),
            ('T2', 'first_response', 1, false, true),
            ('T2', 'first_response', 2, true, true),
            ('T2', 'resolution', 1, true, true),
            ('T3', 'first_response', 1, false, false)
        ) AS s(ticket_id, metric, clock_no, breached, fell_due)
    """)  # fmt: skip
    con.execute("""
        CREATE TABLE survey_responses AS SELECT *, responded_at + INTERVAL 8 HOUR
            AS responded_at_local FROM (VALUES
            ('R1', 'csat', 4.0, 1.0, 5.0, 'c1', 'T1', TIMESTAMP '2024-01-02 08:00'),
            ('R2', 'csat', 5.0, NULL, NULL, 'c1', 'T2', TIMESTAMP '2024-03-02 08:00'),
            ('R3', 'csat', 6.0, 1.0, 5.0, 'c1', 'T2', TIMESTAMP '2024-03-02 09:00'),
            ('R4', 'nps', 9.0, 0.0, 10.0, 'c1', NULL, TIMESTAMP '2024-03-10 08:00'),
            ('R5', 'nps', 6.0, 0.0, 10.0, 'c1', NULL, TIMESTAMP '2024-02-01 08:00'),
            ('R6', 'nps', 10.0, 0.0, 10.0, 'c2', NULL, TIMESTAMP '2024-06-01 08:00'),
            ('R7', 'nps', 8.5, 0.0, 10.0, 'c2', NULL, TIMESTAMP '2024-01-02 08:00'),
            ('R8', 'csat', 3.0, 1.0, 5.0, 'c2', 'T3', TIMESTAMP '2024-01-01 20:00')
        ) AS r(response_id, kind, score, scale_min, scale_max, customer_id, ticket_id,
               responded_at)
    """)  # fmt: skip
    yield con
    con.close()


def settings_with(tmp_path, text: str = ""):
    path = tmp_path / "cxlens.toml"
    path.write_text(text)
    return load_settings(path)


def test_csat_answers_use_the_kpi_threshold_and_their_tickets_factors(tmp_path, small_warehouse):
    answers, left_out = service_responses(small_warehouse, settings_with(tmp_path), "csat")
    answers = answers.set_index("response_id").sort_index()

    # R3 (6 on a 1–5 scale) is invalid; 4 and 5 are satisfied on 1–5, 3 is not.
    assert answers["outcome"].to_dict() == {"R1": 1, "R2": 1, "R8": 0}
    assert left_out == {"ticket not found or merged": 0, "no ticket_id": 0}
    # T1: ln(1 + 2 h), ln(1 + 10 h); T2: ln(1 + 0.5 h), reopened twice, one clock breached.
    assert answers.loc["R1", "first_response_log_hours"] == pytest.approx(math.log(3))
    assert answers.loc["R1", "resolution_log_hours"] == pytest.approx(math.log(11))
    assert answers.loc["R2", "first_response_log_hours"] == pytest.approx(math.log(1.5))
    assert answers.loc[["R1", "R2"], "reopened"].tolist() == [0, 1]
    assert answers.loc[["R1", "R2"], "first_response_sla_breached"].tolist() == [0, 1]
    # T3's only clock has not fallen due: not judged; nor is its unknown reopen count.
    assert pd.isna(answers.loc["R8", "first_response_sla_breached"])
    assert pd.isna(answers.loc["R8", "reopened"])
    assert answers.loc["R2", ["channel", "category", "priority"]].tolist() == [
        "chat", "defect", "high"
    ]  # fmt: skip

    stricter = settings_with(tmp_path, "[csat]\nsatisfied_from = 5\n")
    strict, _ = service_responses(small_warehouse, stricter, "csat")
    assert strict.set_index("response_id")["outcome"].sort_index().to_dict() == {
        "R1": 0, "R2": 1, "R8": 0
    }  # fmt: skip
    # until is a local day: R8 answered 2024-01-02 04:00 local, R1 at 16:00 the same day.
    early, _ = service_responses(small_warehouse, settings_with(tmp_path), "csat", "2024-01-02")
    assert sorted(early["response_id"]) == ["R1", "R8"]


def test_nps_answers_take_the_latest_recent_ticket_and_count_promoters(tmp_path, small_warehouse):
    answers, left_out = service_responses(small_warehouse, settings_with(tmp_path), "nps")
    linked = answers.set_index("response_id").sort_index()

    # R4 (10 March): T2 of 1 March, not the merged T4 of 5 March; R5 (1 February): T1.
    # R6 comes 152 days after T3: left out. R7 (8.5) is not a valid NPS score.
    assert linked["ticket_id"].to_dict() == {"R4": "T2", "R5": "T1"}
    assert linked["outcome"].to_dict() == {"R4": 1, "R5": 0}
    assert left_out == {"ticket not found or merged": 0, "no ticket in the 90 days before": 1}
    assert linked.loc["R4", "reopened"] == 1


def test_service_responses_need_the_tables_and_a_known_outcome(tmp_path):
    con = duckdb.connect()
    settings = settings_with(tmp_path)
    with pytest.raises(WarehouseError, match="survey_responses and tickets"):
        service_responses(con, settings, "csat")
    with pytest.raises(ModelError, match="csat or nps"):
        service_responses(con, settings, "ces")


def test_times_relative_to_the_channel_subtract_its_median_log_hours(tmp_path):
    # Chat replies in 60, 120 and 240 minutes: chat's median of ln(1 + hours) is ln 3, so
    # the 60-minute reply is ln 2 − ln 3 relative to chat; the lone e-mail is at its median.
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("""
        CREATE TABLE tickets AS SELECT * FROM (VALUES
            ('T1', 'c1', TIMESTAMP '2024-01-01 08:00', 60.0, 'chat'),
            ('T2', 'c2', TIMESTAMP '2024-01-01 09:00', 120.0, 'chat'),
            ('T3', 'c3', TIMESTAMP '2024-01-01 10:00', 240.0, 'chat'),
            ('T4', 'c4', TIMESTAMP '2024-01-01 11:00', 600.0, 'email')
        ) AS t(ticket_id, customer_id, created_at, first_response_min, channel)
    """)  # fmt: skip
    con.execute("""
        CREATE TABLE survey_responses AS SELECT *, responded_at AS responded_at_local FROM (VALUES
            ('R1', 'csat', 5.0, 1.0, 5.0, 'c1', 'T1', TIMESTAMP '2024-01-02 08:00'),
            ('R4', 'csat', 2.0, 1.0, 5.0, 'c4', 'T4', TIMESTAMP '2024-01-02 08:00')
        ) AS r(response_id, kind, score, scale_min, scale_max, customer_id, ticket_id,
               responded_at)
    """)  # fmt: skip
    answers, _ = service_responses(con, settings_with(tmp_path), "csat")
    answers = answers.set_index("response_id")
    assert answers.loc["R1", "first_response_vs_channel"] == pytest.approx(
        math.log(2) - math.log(3)
    )
    assert answers.loc["R4", "first_response_vs_channel"] == pytest.approx(0.0)
    con.close()


def test_a_fact_repeated_in_two_columns_counts_once_with_its_whole_effect():
    # "none" appears in the same rows of two service columns, as Telco's "No internet
    # service" does. Fitted once, its log-odds effect is the true −1.5 (within its
    # interval); the copy is left out instead of sharing the effect.
    rng = np.random.default_rng(9)
    n = 6000
    no_service = rng.random(n) < 0.3
    security = np.where(no_service, "none", rng.choice(["yes", "no"], n))
    backup = np.where(no_service, "none", rng.choice(["yes", "no"], n))
    logit = -0.5 - 1.5 * no_service
    left = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"security": security, "backup": backup})
    summary = KeyDrivers(penalty=0.0).fit(X, pd.Series(left)).summary.set_index(["factor", "level"])
    assert ("backup", "none") not in summary.index
    effect = summary.loc[("security", "none")]
    assert effect["ci_low"] < np.exp(-1.5) < effect["ci_high"]
    assert effect["significant"]
