"""The public-data example end to end: `cxlens run` on five real files, checked against
figures computed here with plain pandas from the same files."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "examples" / "public-data" / "cxlens.toml"
DATASETS = ROOT.parent / "shared" / "datasets"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DATASETS.is_dir(), reason="../shared/datasets is not beside the repo"),
]


def cxlens(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cxlens", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("public-data")
    db = folder / "public.duckdb"
    summary = cxlens("run", "--config", str(CONFIG), "--db", str(db), "--out", str(folder / "out"))
    return {"db": db, "out": folder / "out", "summary": summary}


def kpis(project, *args: str) -> list[dict]:
    out = cxlens("kpis", "--config", str(CONFIG), "--db", str(project["db"]), "-f", "json", *args)
    return json.loads(out)


def only(rows: list[dict], metric: str) -> dict:
    [row] = [r for r in rows if r["metric"] == metric]
    return row


@pytest.fixture(scope="module")
def calls():
    return pd.read_csv(DATASETS / "pwc_call_center.csv", encoding="utf-8-sig")


def test_run_writes_the_report_and_prints_the_summary(project):
    for name in ("report.html", "report.xlsx", "kpis.csv"):
        assert (project["out"] / name).stat().st_size > 0
    assert "CSAT" in project["summary"]


def test_call_centre_answer_rate(project, calls):
    answered = (calls["Answered (Y/N)"] == "Y").sum()

    row = only(kpis(project, "--metric", "answer_rate"), "answer_rate")

    assert row["n"] == len(calls) == 5000
    assert row["value"] == pytest.approx(answered / len(calls), abs=1e-4)


def test_csat_per_call_centre_agent(project, calls):
    rated = calls.dropna(subset=["Satisfaction rating"])
    satisfied = rated["Satisfaction rating"] >= 4  # top two boxes on the 1–5 scale
    expected = satisfied.groupby(rated["Agent"]).agg(["mean", "size"])

    rows = kpis(project, "--by", "agent", "--metric", "csat")
    by_agent = {r["group"]["agent"]: r for r in rows}

    for agent, (rate, n) in expected.iterrows():
        assert by_agent[agent]["n"] == n
        assert by_agent[agent]["value"] == pytest.approx(rate, abs=1e-4)


def test_overall_csat_pools_the_call_centre_and_the_ticket_sample(project, calls):
    tickets = pd.read_csv(DATASETS / "customer_support_tickets_kaggle.csv")
    ratings = pd.concat(
        [calls["Satisfaction rating"], tickets["Customer Satisfaction Rating"]]
    ).dropna()

    row = only(kpis(project, "--metric", "csat"), "csat")

    assert row["n"] == len(ratings)
    assert row["value"] == pytest.approx((ratings >= 4).mean(), abs=1e-4)


def test_ticket_volume_counts_each_incident_once(project, calls):
    tickets = pd.read_csv(DATASETS / "customer_support_tickets_kaggle.csv")
    incidents = pd.read_csv(DATASETS / "uci_incident_event_log_head6k.csv")

    row = only(kpis(project, "--metric", "tickets"), "tickets")

    assert row["value"] == len(calls) + len(tickets) + incidents["number"].nunique()


def test_telco_churn_in_the_snapshot_month(project):
    telco = pd.read_csv(DATASETS / "telco_customer_churn_ibm.csv")
    # started tenure months before the snapshot; tenure 0 joined inside the month
    active_at_start = telco[telco["tenure"] >= 1]
    lost = (active_at_start["Churn"] == "Yes").sum()

    rows = kpis(project, "--by", "month", "--metric", "churn_rate")
    [september] = [r for r in rows if r["period"] == "2017-09"]

    assert september["n"] == len(active_at_start)
    assert september["value"] == pytest.approx(lost / len(active_at_start), abs=1e-4)


def test_cdnow_historical_lifetime_value(project):
    orders = pd.read_csv(DATASETS / "cdnow_master.txt", sep=r"\s+")
    expected = orders["dollar_value"].sum() / orders["customer_id"].nunique()

    row = only(kpis(project, "--metric", "clv_historical_mean"), "clv_historical_mean")

    assert row["n"] == orders["customer_id"].nunique()
    assert row["value"] == pytest.approx(expected, rel=1e-4)
