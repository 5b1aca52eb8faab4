"""The churn model on synthetic data whose cause of churn is known, and the metrics on
inputs small enough to check by hand."""

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from cxlens.errors import ModelError
from cxlens.models.churn import ChurnModel, predict_churn, risk_scores
from cxlens.settings import Settings


def synthetic_customers(n: int = 4000, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Churn depends on reopened tickets only; the other columns are noise."""
    rng = np.random.default_rng(seed)
    reopened = rng.poisson(1.0, n).astype(float)
    features = pd.DataFrame(
        {
            "reopened_tickets": reopened,
            "tickets": rng.poisson(3, n).astype(float),
            "spend": rng.gamma(2, 300, n),
            "plan": pd.Categorical(rng.choice(["monthly", "annual"], n)),
        },
        index=pd.Index([f"C{seed}-{i:05d}" for i in range(n)], name="customer_id"),
    )
    churned = rng.random(n) < true_risk(reopened)
    return features, churned.astype(int)


def true_risk(reopened) -> np.ndarray:
    """The synthetic process: logit P(churn) = −4 + 1.5 × reopened tickets."""
    return 1 / (1 + np.exp(4 - 1.5 * np.asarray(reopened, dtype=float)))


@pytest.fixture(scope="module")
def fitted():
    features, churned = synthetic_customers()
    return ChurnModel().fit(features, churned), features, churned


def test_known_driver_is_each_high_risk_customers_top_reason(fitted):
    # Fresh customers from the same process; high risk = at least twice the true base
    # rate of the process (reopened tickets >= 3 here), known from the formula.
    model, train, _ = fitted
    features, _ = synthetic_customers(2000, seed=11)
    base_rate = true_risk(train["reopened_tickets"]).mean()
    high = features[true_risk(features["reopened_tickets"]) >= 2 * base_rate]
    assert len(high) > 100

    reasons = model.reasons(high)

    # The driver's median, computed here, is the typical value named in every reason.
    typical = int(np.median(train["reopened_tickets"]))
    expected = [f"{int(v)} reopened tickets (typical: {typical})" for v in high["reopened_tickets"]]
    assert list(reasons["reason_1"]) == expected


def test_probabilities_are_calibrated_on_fresh_customers(fitted):
    # Fresh customers from the same process: mean predicted risk ≈ observed churn rate
    # (the binomial sd of a rate near 0.1 on 4,000 customers is about 0.005).
    model, _, _ = fitted
    features, churned = synthetic_customers(seed=2)
    p = model.predict_proba(features)
    assert p.mean() == pytest.approx(churned.mean(), abs=0.02)
    # and it ranks them about as well as the true risk does
    truth = true_risk(features["reopened_tickets"])
    assert roc_auc_score(churned, p) == pytest.approx(roc_auc_score(churned, truth), abs=0.03)


def test_summary_names_typical_values(fitted):
    model, features, _ = fitted
    summary = model.summary
    assert summary.loc["reopened_tickets", "typical"] == np.median(features["reopened_tickets"])
    assert summary.loc["plan", "kind"] == "category"


def test_chinese_reasons(fitted):
    model, features, _ = fitted
    top = features.sort_values("reopened_tickets").tail(1)
    value = int(top["reopened_tickets"].iloc[0])
    typical = int(np.median(features["reopened_tickets"]))
    assert model.reasons(top, "zh")["reason_1"].iloc[0] == (
        f"{value} 个工单被重开（通常：{typical}）"
    )


def test_risk_scores_by_hand():
    # 10 customers, churned = 1,0,1,0,0,0,0,0,0,0; scores descending with the index.
    churned = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    p = np.linspace(0.9, 0.0, 10)
    scores = risk_scores(churned, p)
    # AUC: of 2 × 8 (churned, retained) pairs, the churned one ranks higher in 8 + 7 = 15.
    assert scores["roc_auc"] == pytest.approx(15 / 16)
    # Top decile = the single highest score (churned): rate 1 / base rate 0.2 = 5.
    assert scores["top_decile_lift"] == pytest.approx(5.0)
    # Brier: mean squared error, written out.
    assert scores["brier"] == pytest.approx(np.mean((p - churned) ** 2))
    # Average precision: precision 1 at the first hit, 2/3 at the second, averaged.
    assert scores["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)


def test_one_class_only_is_a_model_error():
    features, _ = synthetic_customers(200)
    with pytest.raises(ModelError, match="both churned and retained"):
        ChurnModel().fit(features, np.zeros(200))


# -- a non-contractual warehouse: orders only -------------------------------------------

END = date(2024, 12, 31)


def orders_warehouse(
    customers: int = 1500, seed: int = 3
) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    """Customers buy at a personal daily rate from a start day until a personal stop day;
    those with many refunds stop sooner. Orders run from 2023-01-01 to 2024-12-31."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 500, customers)
    life = rng.exponential(400, customers)
    rate = rng.gamma(2, 0.02, customers)
    rows = []
    for i in range(customers):
        days = np.sort(rng.uniform(start[i], min(start[i] + life[i], 730), 30))
        keep = rng.random(days.size) < rate[i] * (np.diff(np.r_[start[i], days]) + 1)
        for j, day in enumerate(days[keep] if keep.any() else days[:1]):
            rows.append((f"O{i}-{j}", f"C{i:05d}", float(day), 100.0))
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "day", "amount"])
    orders["ordered_at_local"] = pd.Timestamp("2023-01-01") + pd.to_timedelta(
        orders["day"], unit="D"
    )
    orders["status"] = "completed"
    con = duckdb.connect()
    con.register("frame", orders.drop(columns="day"))
    con.execute("CREATE TABLE orders AS SELECT * FROM frame")
    return con, orders


def test_non_contractual_labels_follow_the_order_window():
    con, orders = orders_warehouse()
    settings = Settings(churn={"window_days": 90})

    prediction = predict_churn(con, settings, until=END)

    validation = prediction.validation
    assert validation["kind"] == "non_contractual"
    assert validation["method"] == "time_split"
    # Independently, on local days: a customer churns 90 days after their last order
    # when that day is not after END; active at c2 = END − 90 means a first order by c2
    # and no churn by c2; the label is churned by END.
    c2 = pd.Timestamp(END - timedelta(days=90))
    day = orders["ordered_at_local"].dt.normalize()
    first = day.groupby(orders["customer_id"]).min()
    churn_day = day.groupby(orders["customer_id"]).max() + pd.Timedelta(days=90)
    active = (first <= c2) & (churn_day > c2)
    churned = (churn_day[active] <= pd.Timestamp(END)).astype(int)

    holdout = prediction.holdout.set_index("customer_id")
    assert sorted(holdout.index) == sorted(churned.index)
    assert (holdout["churned"] == churned.reindex(holdout.index)).all()
    assert validation["metrics"]["roc_auc"]["value"] == pytest.approx(
        roc_auc_score(holdout["churned"], holdout["p_churn"])
    )


def test_too_little_churn_is_a_model_error():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE orders AS SELECT 'O' || i AS order_id, 'C' || (i % 5) AS customer_id, "
        "TIMESTAMP '2024-01-01' + to_days(CAST(i AS INTEGER)) AS ordered_at_local, "
        "10.0 AS amount, 'completed' AS status FROM range(300) t(i)"
    )
    with pytest.raises(ModelError, match="at least 30"):
        predict_churn(con, Settings(), until=date(2024, 10, 26))


def test_the_commonest_level_can_be_a_reason_when_it_is_the_risky_one():
    # 70 % of customers are on the monthly plan, and only they leave (logit −1.5 against
    # −5 on annual plans). Setting the plan to its commonest level would hide it; averaged
    # over the levels by their shares, the monthly plan pushes a monthly customer's risk
    # up by about 0.3 × (0.18 − 0.007), well above the one-point threshold.
    rng = np.random.default_rng(5)
    n = 4000
    plan = rng.choice(["monthly", "annual"], n, p=[0.7, 0.3])
    features = pd.DataFrame(
        {"plan": pd.Categorical(plan), "tickets": rng.poisson(3, n).astype(float)},
        index=pd.Index([f"C{i:05d}" for i in range(n)], name="customer_id"),
    )
    logit = np.where(plan == "monthly", -1.5, -5.0)
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = ChurnModel().fit(features, churned)

    monthly = features[plan == "monthly"].head(200)
    reasons = model.reasons(monthly)
    assert (reasons["reason_1"] == "monthly plan (riskier than the average plan)").all()
    annual = model.reasons(features[plan == "annual"].head(200))
    assert not annual["reason_1"].fillna("").str.contains("plan").any()


def test_a_window_without_churn_names_the_day_churn_last_happened(tmp_path):
    # 40 subscribers end on 2017-09-30 and 60 stay; a later ticket moves the data's end to
    # 2023. The last 90 days hold no churn, and the error points at the churn day.
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE subscriptions AS SELECT 'S' || i AS subscription_id, 'C' || i AS "
        "customer_id, TIMESTAMP '2016-01-01' AS started_at_local, CASE WHEN i < 40 THEN "
        "TIMESTAMP '2017-09-30' END AS ended_at_local, 'monthly' AS plan, 10.0 AS mrr, "
        "NULL::JSON AS attributes FROM range(100) t(i)"
    )
    con.execute(
        "CREATE TABLE tickets AS SELECT 'T1' AS ticket_id, 'C50' AS customer_id, "
        "TIMESTAMP '2023-06-02' AS created_at_local"
    )
    with pytest.raises(ModelError, match=r"latest churn in the data is on 2017-09-30: try --until"):
        predict_churn(con, Settings())


def test_orders_of_one_time_buyers_say_why_no_churn_model_can_be_checked():
    # 200 customers, each with one order: nobody stays, and the error says that only 0 of
    # 200 buyers ordered on a second day.
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE orders AS SELECT 'O' || i AS order_id, 'C' || i AS customer_id, "
        "TIMESTAMP '2024-01-01' + to_days(CAST(i AS INTEGER)) AS ordered_at_local, "
        "10.0 AS amount, 'completed' AS status FROM range(200) t(i)"
    )
    with pytest.raises(ModelError, match=r"only 0 of 200 buyers ever ordered on a second day"):
        predict_churn(con, Settings())


def test_a_level_whose_customers_leave_less_than_most_is_never_a_reason():
    # B = yes raises risk only together with A = x (0.5 against 0.1), and lowers it with
    # A = y (0.02 against 0.3). With A = x for 30 %, B = yes customers leave at
    # 0.3 × 0.5 + 0.7 × 0.02 = 16.4 %, below the base rate of about 20 %: naming "B: yes"
    # as a reason would contradict the plain rates. B = no (24 %) may be one.
    rng = np.random.default_rng(21)
    n = 8000
    a = rng.choice(["x", "y"], n, p=[0.3, 0.7])
    b = rng.choice(["yes", "no"], n)
    risk = np.select([(a == "x") & (b == "yes"), a == "x", b == "yes"], [0.5, 0.1, 0.02], 0.3)
    churned = (rng.random(n) < risk).astype(int)
    features = pd.DataFrame(
        {"A": pd.Categorical(a), "B": pd.Categorical(b)},
        index=pd.Index([f"C{i:05d}" for i in range(n)], name="customer_id"),
    )
    model = ChurnModel().fit(features, churned)
    assert churned[b == "yes"].mean() < churned.mean() < churned[b == "no"].mean()

    reasons = model.reasons(features).stack()
    assert not reasons.str.startswith("B: yes").any()
    assert reasons.str.startswith("B: no").any()
