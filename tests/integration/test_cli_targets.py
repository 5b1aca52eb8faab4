"""`cxlens targets` on the bundled sample, as a user runs it (subprocesses).

Each row's expected saved value is recomputed here from its churn probability, value and
the action's cost and save rate in the sample's cxlens.toml; the plan must respect the
budget, and the CSV and the workbook must hold the rows the JSON describes.
"""

import json
import subprocess
import sys

import pandas as pd
import pytest

CXLENS = [sys.executable, "-m", "cxlens"]
ACTIONS = {"call": (5.0, 0.25), "coupon": (1.0, 0.06)}  # the sample's [[targets.actions]]


def cx(*args, cwd):
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("targets")
    assert cx("sample", "demo", cwd=folder).returncode == 0
    done = cx("run", "--silent", "--out", "out", cwd=folder / "demo")
    assert done.returncode == 0, done.stderr
    return folder / "demo"


@pytest.fixture(scope="module")
def planned(project):
    done = cx("targets", "--budget", "300", "--format", "json", "--out", "calls", cwd=project)
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(project / "calls" / "targets.csv", encoding="utf-8-sig",
                       dtype={"customer_id": str}, keep_default_na=False)  # fmt: skip
    return json.loads(done.stdout), rows


def test_every_row_is_worth_its_cost_and_the_plan_fits_the_budget(planned):
    result, rows = planned
    cost = rows["action"].map(lambda a: ACTIONS[a][0])
    save = rows["action"].map(lambda a: ACTIONS[a][1])
    expected = rows["p_churn"] * save * rows["value"] - cost
    pd.testing.assert_series_equal(rows["expected_saved_value"], expected, check_names=False)
    assert (rows["expected_saved_value"] > 0).all()
    assert rows["cost"].sum() <= 300 + 1e-9
    assert result["total_cost"] == pytest.approx(rows["cost"].sum())
    assert result["total_expected_value"] == pytest.approx(rows["expected_saved_value"].sum())
    assert rows["rank"].tolist() == list(range(1, len(rows) + 1))
    assert rows["customer_id"].is_unique
    assert result["value_basis"] == "subscriptions"


def test_the_workbook_and_the_list_carry_reasons_and_a_product(planned, project):
    import openpyxl

    _, rows = planned
    sheet = openpyxl.load_workbook(project / "calls" / "targets.xlsx")["Call list"]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == len(rows) + 1
    assert (rows["reasons"] != "").mean() > 0.9
    assert (rows["next_best_product"] != "").mean() > 0.9


def test_a_negative_budget_is_a_usage_error(project):
    done = cx("targets", "--budget", "-5", cwd=project)
    assert done.returncode == 2 and "budget" in done.stderr
