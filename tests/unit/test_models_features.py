"""Churn features on a tiny hand-built warehouse: every expected value is worked out by
hand in the comments from the rows written here, with ``as_of`` = 2024-06-30."""

from datetime import date

import duckdb
import pandas as pd
import pytest

from cxlens.errors import ConfigError, WarehouseError
from cxlens.models.features import FEATURE_LABELS, customer_features, describe_values, is_leaky
from cxlens.settings import Settings

AS_OF = date(2024, 6, 30)

TABLES = """
CREATE TABLE customers (customer_id VARCHAR, created_at_local TIMESTAMP, segment VARCHAR,
    gender VARCHAR, attributes JSON);
INSERT INTO customers VALUES
 ('A', '2023-01-10 09:00', 'vip', 'female',
  '{"Dependents": "Yes", "Churn Reason": "price", "Score": "7", "Promo": "x"}'),
 ('B', '2024-01-01 09:00', 'consumer', 'male',
  '{"Dependents": "No", "Churn Reason": null, "Score": "n/a", "Promo": "y"}'),
 ('C', '2024-07-05 09:00', 'consumer', NULL, NULL);

CREATE TABLE subscriptions (subscription_id VARCHAR, customer_id VARCHAR,
    started_at_local TIMESTAMP, ended_at_local TIMESTAMP, plan VARCHAR, mrr DOUBLE,
    attributes JSON);
INSERT INTO subscriptions VALUES
 ('S1', 'A', '2023-02-01 10:00', '2024-03-01 10:00', 'monthly', 20,
  '{"EndDate": "2024-03-01", "Seats": "2"}'),
 ('S2', 'A', '2024-03-01 10:00', NULL, 'annual', 15, '{"EndDate": null, "Seats": "3"}'),
 ('S3', 'A', '2024-07-02 10:00', NULL, 'two-year', 10, '{"Seats": "9"}'),
 ('S4', 'B', '2024-02-15 10:00', '2024-08-01 00:00', 'monthly', 30, '{"Seats": "1"}');

CREATE TABLE orders (order_id VARCHAR, customer_id VARCHAR, ordered_at_local TIMESTAMP,
    amount DOUBLE, status VARCHAR);
INSERT INTO orders VALUES
 ('O1', 'A', '2022-12-20 12:00', 100, 'completed'),
 ('O2', 'A', '2024-05-31 23:00', 50, 'completed'),
 ('O3', 'A', '2024-06-10 12:00', 70, 'refunded'),
 ('O4', 'A', '2024-06-20 12:00', 999, 'cancelled'),
 ('O5', 'A', '2024-07-01 00:00', 500, 'completed'),
 ('O6', 'B', '2024-06-30 23:59', 40, NULL);

CREATE TABLE tickets (ticket_id VARCHAR, customer_id VARCHAR, created_at_local TIMESTAMP,
    category VARCHAR, priority VARCHAR, first_response_at_local TIMESTAMP,
    first_response_min DOUBLE, solved_at_local TIMESTAMP, resolution_min DOUBLE,
    reopens BIGINT, is_merged BOOLEAN);
INSERT INTO tickets VALUES
 ('T1', 'A', '2024-01-10 10:00', 'billing', 'normal', '2024-01-10 10:30', 30,
  '2024-01-11 10:00', 1440, 1, false),
 ('T2', 'A', '2024-04-15 10:00', 'Complaint', 'normal', '2024-04-15 11:30', 90,
  '2024-04-15 12:00', 120, 0, false),
 ('T3', 'A', '2024-06-29 10:00', 'delivery', 'urgent', '2024-06-29 10:10', 10,
  '2024-07-03 10:00', 5760, 2, false),
 ('T4', 'A', '2024-06-30 22:00', 'delivery', 'normal', '2024-07-01 02:00', 240,
  NULL, NULL, 0, false),
 ('T5', 'A', '2024-07-02 10:00', 'delivery', 'urgent', NULL, NULL, NULL, NULL, 0, false),
 ('T6', 'A', '2024-05-01 10:00', 'delivery', 'urgent', NULL, NULL, NULL, NULL, 0, true),
 ('T7', 'B', '2024-03-01 10:00', 'account', 'low', NULL, 600, NULL, 900, 0, false);

CREATE TABLE survey_responses (response_id VARCHAR, kind VARCHAR, score DOUBLE,
    scale_min DOUBLE, scale_max DOUBLE, customer_id VARCHAR, ticket_id VARCHAR,
    responded_at_local TIMESTAMP);
INSERT INTO survey_responses VALUES
 ('R1', 'csat', 4, 1, 5, 'A', 'T2', '2024-04-16 09:00'),
 ('R2', 'csat', 7, 0, 10, NULL, 'T1', '2024-01-12 09:00'),
 ('R3', 'csat', 1, 1, 5, 'A', 'T3', '2024-07-04 09:00'),
 ('R4', 'nps', 3, NULL, NULL, 'A', NULL, '2024-02-01 09:00'),
 ('R5', 'nps', 9, NULL, NULL, 'A', NULL, '2024-06-01 09:00'),
 ('R6', 'nps', 0, NULL, NULL, 'A', NULL, '2024-07-10 09:00'),
 ('R7', 'csat', 2, 1, 5, 'B', 'T7', '2024-03-02 09:00');
"""


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute(TABLES)
    yield connection
    connection.close()


@pytest.fixture
def features(con):
    settings = Settings(churn={"window_days": 90, "exclude": ["promo"]})
    return customer_features(con, settings, AS_OF, min_level_count=1)


def test_only_customers_known_by_as_of_are_rows(features):
    # C's record is created on 2024-07-05 and C has nothing else before then.
    assert list(features.index) == ["A", "B"]


def test_tickets_count_until_the_end_of_the_as_of_day(features):
    # A: T1, T2, T3, T4 (22:00 on 06-30 counts); T5 is later and T6 is merged.
    assert features.loc["A", "tickets"] == 4
    # Last 90 days: created from 2024-04-02 on: T2, T3, T4.
    assert features.loc["A", "tickets_90d"] == 3
    assert features.loc["A", "days_since_last_ticket"] == 0
    # B: T7 on 2024-03-01, 121 days before 2024-06-30.
    assert (features.loc["B", "tickets"], features.loc["B", "days_since_last_ticket"]) == (1, 121)


def test_durations_count_once_they_had_happened(features):
    # First responses by the cut-off: T1 30, T2 90, T3 10 (T4's came on 07-01): median 30.
    assert features.loc["A", "first_response_median_min"] == pytest.approx(30)
    # Resolutions by the cut-off: T1 1440 and T2 120 (T3 solved 07-03): median 780.
    assert features.loc["A", "resolution_median_min"] == pytest.approx(780)
    # B's T7 has no times, only minutes: created 03-01 10:00 + 600 / 900 min, both past.
    assert features.loc["B", "first_response_median_min"] == pytest.approx(600)
    assert features.loc["B", "resolution_median_min"] == pytest.approx(900)


def test_reopens_count_on_tickets_resolved_by_as_of(features):
    # T1 (1 reopen, solved 01-11) counts; T3 (2 reopens) was solved after the cut-off.
    assert features.loc["A", "reopened_tickets"] == 1


def test_csat_is_normalised_by_its_scale(features):
    # A's answers by the cut-off: R1 4 on 1–5 → 0.75; R2 7 on 0–10 (via ticket T1) → 0.7.
    assert features.loc["A", "csat_mean"] == pytest.approx((0.75 + 0.7) / 2)
    # Satisfied: 4 on 1–5 is a top-two box; 7 on 0–10 is not in the top three (8–10).
    assert features.loc["A", "csat_satisfied_share"] == pytest.approx(0.5)
    # B: 2 on 1–5 → 0.25, not satisfied.
    assert features.loc["B", "csat_mean"] == pytest.approx(0.25)
    assert features.loc["B", "csat_satisfied_share"] == 0


def test_last_nps_is_the_latest_answer_by_as_of(features):
    # R4 3 (Feb), R5 9 (June); R6 0 comes on 07-10.
    assert features.loc["A", "nps_last"] == 9


def test_complaints_from_category_priority_and_low_csat(features):
    # A: T2 category "Complaint", T3 urgent (T5 urgent is later; T6 merged); R3's low
    # score on T3 is after the cut-off and T3 counts once anyway. B: T7 has CSAT 2 of 5.
    assert features.loc["A", "complaints"] == 2
    assert features.loc["B", "complaints"] == 1


def test_purchases_are_completed_orders_until_as_of(features):
    # A completed: O1 100, O2 50 (O5 is on 07-01); O3 refunded; O4 cancelled.
    assert (features.loc["A", "orders"], features.loc["A", "spend"]) == (2, 150)
    assert features.loc["A", "refunds"] == 1
    assert features.loc["A", "days_since_last_order"] == 30  # 2024-05-31 → 2024-06-30
    # B's order without a status reads as completed, placed on the as-of day.
    assert (features.loc["B", "orders"], features.loc["B", "days_since_last_order"]) == (1, 0)


def test_tenure_plan_and_fee(features):
    # A's earliest record: the order of 2022-12-20, 558 days before 2024-06-30.
    assert features.loc["A", "tenure_days"] == (AS_OF - date(2022, 12, 20)).days == 558
    # Latest subscription started by then: S2 (S3 starts 07-02); its end is not read.
    assert (features.loc["A", "plan"], features.loc["A", "mrr"]) == ("annual", 15)
    # B: created 2024-01-01 → 181 days.
    assert features.loc["B", "tenure_days"] == 181
    assert features.loc["B", "segment"] == "consumer"


def test_attributes_numeric_categorical_and_leaks_dropped(features):
    columns = set(features.columns)
    assert {"customer.Dependents", "customer.Score", "subscription.Seats"} <= columns
    # Label-naming keys and [churn] exclude (case-insensitive) are gone; so is gender.
    assert not columns & {"customer.Churn Reason", "subscription.EndDate", "customer.Promo"}
    assert "gender" not in columns
    # "n/a" does not parse, so Score is categorical; Seats parse and come from S2.
    assert isinstance(features["customer.Score"].dtype, pd.CategoricalDtype)
    assert features.loc["A", "subscription.Seats"] == 3.0
    assert features.loc["B", "customer.Dependents"] == "No"


def test_rare_levels_are_pooled(con):
    # With at least 2 customers per level, every one-customer level becomes "other".
    features = customer_features(con, Settings(), AS_OF, min_level_count=2)
    assert set(features["plan"]) == {"other"}
    assert set(features["segment"]) == {"other"}


@pytest.mark.parametrize(
    ("key", "leaky"),
    [
        ("Churn", True), ("Churn Value", True), ("churn_reason", True), ("EndDate", True),
        ("end_date", True), ("CancelledAt", True), ("Status", True), ("CustomerLabel", True),
        ("流失原因", True), ("Dependents", False), ("gender", False), ("tenure", False),
        ("PaperlessBilling", False),
    ],
)  # fmt: skip
def test_leaky_attribute_keys(key, leaky):
    assert is_leaky(key, Settings()) is leaky


def test_exclude_must_be_a_list(con):
    with pytest.raises(ConfigError, match=r"\[churn\] exclude"):
        customer_features(con, Settings(churn={"exclude": "Promo"}), AS_OF)


def test_empty_warehouse_is_a_clear_error():
    with pytest.raises(WarehouseError, match="import them"):
        customer_features(duckdb.connect(), Settings(), AS_OF)


def test_every_built_in_feature_has_both_labels(features):
    built_in = [c for c in features.columns if "." not in c]
    assert set(built_in) <= set(FEATURE_LABELS)
    for name in built_in:
        assert FEATURE_LABELS[name].en and FEATURE_LABELS[name].zh


def test_phrases_in_english_and_chinese():
    reopened = pd.Series([3.0, None])
    assert list(describe_values("reopened_tickets", reopened, "en")) == [
        "3 reopened tickets",
        "Reopened tickets: not recorded yet",
    ]
    assert describe_values("reopened_tickets", reopened, "zh")[0] == "3 个工单被重开"
    wait = pd.Series([45.0, 300.0, 4320.0])
    assert list(describe_values("first_response_median_min", wait, "en")) == [
        "Median first response 45 min",
        "Median first response 5.0 h",
        "Median first response 3.0 days",
    ]
