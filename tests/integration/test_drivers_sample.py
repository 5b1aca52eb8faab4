"""Key drivers of CSAT and NPS on the bundled sample, built as a user builds it.

``cxlens sample`` and ``cxlens run`` write the warehouse in subprocesses; the drivers are
then fitted on it. The sample's generator lowers a reopened ticket's CSAT by about 1.3
points (docs/sample-data.md), so reopening must come out as a significant driver that
lowers the odds of a satisfied answer, in the same direction as a plain 2x2 count made
with pandas from the exported files.
"""

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from cxlens.models.drivers import service_drivers
from cxlens.settings import load_settings

CXLENS = [sys.executable, "-m", "cxlens"]


def cx(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample project (seed 7) after ``cxlens run``: its folder and its settings."""
    root = tmp_path_factory.mktemp("drivers_sample")
    project = root / "project"
    done = cx("sample", str(project), "--force", cwd=root)
    assert done.returncode == 0, done.stderr
    done = cx("run", "--config", str(project / "cxlens.toml"), "--out", str(root / "out"), cwd=root)
    assert done.returncode == 0, done.stderr
    return project, load_settings(project / "cxlens.toml")


@pytest.fixture(scope="module")
def warehouse(sample):
    project, _ = sample
    con = duckdb.connect(str(project / "cxlens.duckdb"), read_only=True)
    yield con
    con.close()


def exported_two_by_two(project) -> pd.DataFrame:
    """Satisfied (4–5 on the 1–5 form, as the sample's settings say) by reopened, counted
    with pandas from the exported files: the last row of each ticket is its current state."""
    exports = project / "exports"
    tickets = pd.read_csv(exports / "tickets.csv", dtype={"ticket_id": str}, encoding="utf-8-sig")
    tickets = tickets.drop_duplicates("ticket_id", keep="last")
    answers = pd.read_csv(exports / "survey_responses.csv", dtype={"ticket_id": str})
    csat = answers[(answers["kind"] == "csat") & answers["score"].notna()]
    joined = csat.merge(tickets[["ticket_id", "reopens"]], on="ticket_id", how="inner")
    return pd.crosstab(joined["reopens"] > 0, joined["score"] >= 4)


def test_reopened_tickets_lower_the_odds_of_satisfaction(sample, warehouse):
    project, settings = sample
    result = service_drivers(warehouse, settings, "csat")
    row = result.table.set_index("factor").loc["reopened"]

    assert row["significant"]
    assert row["ci_high"] < 1
    assert row["sentence"].startswith("Reopened tickets: odds of a satisfied answer ")

    counts = exported_two_by_two(project)
    crude = (counts.loc[True, True] / counts.loc[True, False]) / (
        counts.loc[False, True] / counts.loc[False, False]
    )
    assert crude < 1  # same direction as the model's adjusted odds ratio
    assert row["n"] == pytest.approx(counts.loc[True].sum(), abs=10)


def test_the_ranked_table_lists_significant_drivers_first(sample, warehouse):
    _, settings = sample
    table = service_drivers(warehouse, settings, "csat").table
    flags = table["significant"].tolist()
    assert flags == sorted(flags, reverse=True)
    drivers = table[table["significant"]]
    assert drivers["rank"].tolist() == list(range(1, len(drivers) + 1))
    assert table["sentence"].str.len().gt(0).all() and table["sentence_zh"].str.len().gt(0).all()


def test_nps_drivers_link_answers_to_recent_tickets_and_serialise(sample, warehouse):
    project, settings = sample
    result = service_drivers(warehouse, settings, "nps")
    document = json.loads(json.dumps(result.to_json()))

    answers = pd.read_csv(project / "exports" / "survey_responses.csv")
    nps = answers[(answers["kind"] == "nps") & answers["score"].notna()]
    # Every linked answer is a valid NPS answer; some have no ticket in the 90 days before.
    assert 0 < document["rows"] <= len(nps)
    assert document["left_out"]["no ticket in the 90 days before"] > 0
    assert document["positive"] < document["rows"]
    assert {d["factor"] for d in document["drivers"]} >= {"reopened", "channel", "category"}


def test_churn_drivers_find_the_plan_and_agree_with_a_two_by_two_count(sample, warehouse):
    # The sample's care plans leave like Telco's contracts: two-year plans far less than
    # monthly ones (docs/sample-data.md). Among the churn model's held-out customers, the
    # plan must be a significant driver below 1, in the direction of a pandas count.
    from cxlens.models.churn import predict_churn
    from cxlens.models.drivers import churn_service_drivers

    _, settings = sample
    prediction = predict_churn(warehouse, settings)
    table = churn_service_drivers(warehouse, settings, prediction).table.set_index(
        ["factor", "level"]
    )
    two_year = table.loc[("plan", "care-2y")]
    assert two_year["significant"] and two_year["odds_ratio"] < 1

    held = prediction.holdout.set_index("customer_id")
    plans = (
        warehouse.execute(
            "SELECT customer_id, arg_min(plan, started_at_local) AS plan FROM subscriptions GROUP BY 1"
        )
        .df()
        .set_index("customer_id")["plan"]
    )
    held = held.join(plans)
    rate = held.groupby("plan")["churned"].mean()
    assert rate["care-2y"] < rate["care-monthly"]
    assert two_year["n"] == int((held["plan"] == "care-2y").sum())
