"""The customer page: risk from the churn model, the loss order, the segment filter and the
churn drill-down, each checked against a second computation on the same warehouse."""

from __future__ import annotations

import io
from datetime import date

import httpx
import numpy as np
import pandas as pd
import pytest

from conftest import live_server
from cxlens.metrics.compute import compute_kpis


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served.url, timeout=300) as client:
        yield client


@pytest.fixture(scope="module")
def churn(sample_project, client):
    """predict_churn called a second time, directly, on the same warehouse."""
    from cxlens.models.churn import predict_churn

    with sample_project.warehouse.connect(read_only=True) as con:
        return predict_churn(con, sample_project.settings)


def exported(client, query: str) -> pd.DataFrame:
    response = client.get(f"/customers?{query}&format=csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    return pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", dtype={"Customer": str})


def test_first_listed_risk_is_the_churn_models(client, churn):
    listed = client.get("/customers?format=json&period=all").json()
    first = dict(zip(listed["keys"], listed["table"]["rows"][0], strict=True))

    by_id = churn.customers.set_index("customer_id")["p_churn"]
    assert first["p_churn"] == pytest.approx(by_id[first["customer_id"]], rel=1e-12)
    assert listed["total"] == len(churn.customers)  # every scored customer, across pages


def test_loss_order_does_not_increase_across_every_page(client):
    table = exported(client, "period=all&lang=en")

    loss = table["Churn risk"] * table["Predicted value"]  # risk × value, recomputed here
    np.testing.assert_allclose(table["Expected loss"], loss, rtol=1e-12)
    known = loss.dropna().to_numpy()
    assert len(known) > 100
    assert np.all(np.diff(known) <= 0)
    assert loss.notna().cumprod().sum() == len(known)  # customers without a value come last


def test_sort_by_risk_and_a_band(client, churn):
    table = exported(client, "period=all&sort=risk&band=high")

    high = churn.customers[churn.customers["risk_band"] == "high"]
    assert sorted(table["Customer"]) == sorted(high["customer_id"])
    assert np.all(np.diff(table["Churn risk"].to_numpy()) <= 0)


def test_segment_filter_keeps_only_that_segment(client, churn, sample_project):
    table = exported(client, "period=all&segment=business")

    with sample_project.warehouse.connect(read_only=True) as con:
        business = set(
            con.execute("SELECT customer_id FROM customers WHERE segment = 'business'").df()[
                "customer_id"
            ]
        )
    expected = set(churn.customers["customer_id"]) & business
    assert len(expected) > 10
    assert set(table["Customer"]) == expected
    assert len(table) == len(expected)


@pytest.mark.parametrize(
    ("query", "window", "segments"),
    [
        ("", (date(2025, 6, 1), date(2025, 6, 30)), None),
        ("period=all", None, None),
        (
            "period=custom&from=2025-01-01&to=2025-03-31&segment=vip",
            (date(2025, 1, 1), date(2025, 3, 31)),
            ["vip"],
        ),
    ],
)
def test_churn_drilldown_lists_the_kpis_customers(client, sample_project, query, window, segments):
    if not query:  # the default month is the data's latest complete month
        assert client.get("/customers?format=json").json()["filters"]["from"] == "2025-06-01"
    kpi = compute_kpis(
        sample_project.warehouse,
        sample_project.settings,
        metrics=["churn_rate"],
        window=window,
        filters={"segment": segments} if segments else None,
    ).iloc[0]

    page = client.get(f"/customers?{query}&metric=churn_rate&format=json").json()
    table = exported(client, f"{query}&metric=churn_rate")

    assert page["total"] == kpi["n"] > 0
    assert len(table) == kpi["n"]
    assert table["Customer"].is_unique
    assert table["Lost in the period"].sum() == round(kpi["value"] * kpi["n"])


def test_cards_are_the_kpis_of_the_filters(client, sample_project):
    cards = client.get("/customers?format=json&period=all&segment=vip").json()["cards"]
    kpis = compute_kpis(
        sample_project.warehouse,
        sample_project.settings,
        metrics=["churn_rate", "retention_rate", "clv_historical_mean"],
        filters={"segment": ["vip"]},
    ).set_index("metric")
    shown = {card["metric"]: card for card in cards}
    for metric in kpis.index:
        assert shown[metric]["value"] == pytest.approx(kpis.loc[metric, "value"])
        assert shown[metric]["n"] == kpis.loc[metric, "n"]


def test_model_check_is_the_models_validation(client, churn):
    page = client.get("/customers?format=json").json()
    auc = churn.validation["metrics"]["roc_auc"]
    assert page["model_check"]["roc_auc"]["value"] == pytest.approx(auc["value"])
    assert f"{auc['value']:.2f}" in page["validation"]


def test_pages_hold_fifty_rows_and_link_on(client):
    first = client.get("/customers?format=json&period=all").json()
    second = client.get("/customers?format=json&period=all&page=2").json()
    assert len(first["table"]["rows"]) == 50
    assert first["next_link"].endswith("page=2")
    assert first["table"]["rows"][-1] != second["table"]["rows"][0]


@pytest.mark.parametrize("query", ["sort=name", "band=extreme", "page=0", "metric=tickets"])
def test_a_bad_choice_is_refused_with_the_reason(client, query):
    response = client.get(f"/customers?{query}&format=json")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"][0]["problem"]


def test_without_orders_or_subscriptions_the_page_says_why(sample_project, tmp_path):
    project = sample_project.copy(tmp_path)
    with project.warehouse.connect() as con:
        con.execute("DROP TABLE subscriptions")
        con.execute("DROP TABLE orders")
    with live_server(project) as server:
        page = httpx.get(f"{server.url}/customers?format=json&lang=zh", timeout=300).json()
    assert page["total"] == 0
    assert "subscriptions" in page["missing"]  # the model's own words, in the sentence
    assert page["missing"].startswith("无法计算")
