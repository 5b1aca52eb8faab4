"""`cxlens clv` as a user runs it: the CDNOW sample imported by the real importer, a subprocess.

Expected values are the published Fader, Hardie & Lee (2005) estimates, or the BG/NBD
closed form evaluated inside the test with scipy from the parameters the command printed.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

CXLENS = [sys.executable, "-m", "cxlens"]
DATASETS = Path("/work/shared/datasets")

# 9 months of 365.25/12 days, in weeks: 39.13 weeks.
HORIZON_MONTHS = 9
HORIZON_WEEKS = HORIZON_MONTHS * 365.25 / 12 / 7


def cx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory):
    """A project whose warehouse holds the master orders of the 2,357 sample customers."""
    folder = tmp_path_factory.mktemp("cdnow_clv")
    sample_ids = set(
        pd.read_csv(DATASETS / "cdnow_sample.txt", sep=r"\s+", header=None, dtype=str)[0]
    )
    lines = (DATASETS / "cdnow_master.txt").read_text().splitlines()
    kept = [lines[0]] + [
        line for line in lines[1:] if line.split()[:1] and line.split()[0] in sample_ids
    ]
    (folder / "orders.txt").write_text("\n".join(kept) + "\n")
    (folder / "cxlens.toml").write_text(
        f'[project]\nwarehouse = "w.duckdb"\n\n[clv]\ntime_unit = "week"\nhorizon_months = {HORIZON_MONTHS}\n'
    )
    done = cx(
        "import", "orders.txt", "--table", "orders", "--preset", "cdnow", "--silent", cwd=folder
    )
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def fitted(sample_project):
    done = cx(
        "clv", "--until", "1997-09-30", "--format", "json", "--customers", "clv.csv",
        cwd=sample_project,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    customers = pd.read_csv(sample_project / "clv.csv", dtype={"customer_id": str})
    return json.loads(done.stdout), customers


def test_bgnbd_reproduces_the_published_cdnow_fit(fitted):
    # case CL-5/CL-6: Fader, Hardie & Lee (2005), 2,357 customers, weeks, until 1997-09-30.
    result, _ = fitted
    params = result["bgnbd"]["params"]
    published = {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}
    for name, value in published.items():
        assert params[name] == pytest.approx(value, rel=1e-3), name
    assert result["bgnbd"]["log_likelihood"] == pytest.approx(-9582.43, abs=0.5)
    assert result["customers"] == 2357
    assert (result["until"], result["time_unit"]) == ("1997-09-30", "week")
    assert all(se > 0 for se in result["bgnbd"]["std_errors"].values())


def test_gamma_gamma_fits_the_946_repeat_buyers(fitted):
    # Published spend model on the same sample: p 6.249, q 3.745, gamma 15.448.
    result, customers = fitted
    spend = result["gamma_gamma"]
    assert spend["customers"] == 946 == int((customers["frequency"] > 0).sum())
    published = {"p": 6.249, "q": 3.745, "gamma": 15.448}
    for name, value in published.items():
        assert spend["params"][name] == pytest.approx(value, rel=1e-3), name


def expected_purchases(params, t, x, t_x, big_t):
    """BG/NBD conditional expectation (FHL 2005, eq. 10), written out independently."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    hyper = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
    bracket = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyper
    alive = 1 + (x > 0) * a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    return (a + b + x - 1) / (a - 1) * bracket / alive


def test_customer_csv_has_one_row_per_customer_and_closed_form_expectations(fitted):
    # Customer 1 of the sample (master 00004): x 2, t_x 213/7, T 272/7 weeks.
    result, customers = fitted
    assert len(customers) == customers["customer_id"].nunique() == 2357
    c1 = customers.set_index("customer_id").loc["00004"]
    assert (c1["frequency"], c1["recency"], c1["T"]) == pytest.approx((2, 213 / 7, 272 / 7))
    params = result["bgnbd"]["params"]
    assert c1["expected_purchases"] == pytest.approx(
        expected_purchases(params, HORIZON_WEEKS, 2, 213 / 7, 272 / 7), rel=1e-9
    )
    # The published 1.226 purchases over 39 weeks, from the same formula and fit.
    assert expected_purchases(params, 39, 2, 213 / 7, 272 / 7) == pytest.approx(1.226, abs=1e-3)
    x, t_x, big_t = (customers[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(
        customers["expected_purchases"], expected_purchases(params, HORIZON_WEEKS, x, t_x, big_t),
        rtol=1e-9,
    )  # fmt: skip


def test_clv_totals_discount_each_month_and_multiply_by_spend(fitted):
    # Value = sum over months of the month's expected purchases * (1.1)^(-m/12) * spend.
    result, customers = fitted
    params = result["bgnbd"]["params"]
    x, t_x, big_t = (customers[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    week_per_month = 365.25 / 12 / 7
    cumulative = [
        expected_purchases(params, m * week_per_month, x, t_x, big_t) if m else 0 * x
        for m in range(HORIZON_MONTHS + 1)
    ]
    months = np.diff(np.vstack(cumulative), axis=0)
    discount = 1.10 ** (-np.arange(1, HORIZON_MONTHS + 1) / 12)
    value = (discount @ months) * customers["expected_spend"].to_numpy()
    np.testing.assert_allclose(customers["clv"], value, rtol=1e-9)
    assert result["clv"]["total"] == pytest.approx(value.sum(), rel=1e-9)
    assert result["clv"]["median"] == pytest.approx(np.median(value), rel=1e-9)
    assert result["clv"]["horizon_months"] == HORIZON_MONTHS


def test_table_format_shows_the_fitted_parameters(sample_project):
    done = cx("clv", "--until", "1997-09-30", "--format", "table", cwd=sample_project)
    assert done.returncode == 0, done.stderr
    assert "0.2426" in done.stdout and "2,357 customers up to 1997-09-30" in done.stdout


def test_warehouse_without_orders_is_a_clear_error(tmp_path):
    (tmp_path / "tickets.csv").write_text(
        "ticket_id,created_at,status\nT1,2024-03-04 10:00,open\n", encoding="utf-8"
    )
    done = cx("import", "tickets.csv", "--table", "tickets", "--db", "w.duckdb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = cx("clv", "--db", "w.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert "Error:" in done.stderr and "no cleaned orders table" in done.stderr
    assert done.stdout == ""


def test_too_few_repeat_buyers_is_a_model_error(tmp_path):
    # Three customers, one of whom bought twice: 1 repeat buyer, fewer than the 10 needed.
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,amount\n"
        "O1,C1,2024-01-01,10\nO2,C1,2024-02-01,20\nO3,C2,2024-01-05,5\nO4,C3,2024-01-09,7\n",
        encoding="utf-8",
    )
    done = cx("import", "orders.csv", "--table", "orders", "--db", "w.duckdb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = cx("clv", "--db", "w.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert "only 1 of 3 customers have a repeat purchase" in done.stderr


def gamma_gamma_spend(params, x, mean_spend):
    """Gamma-Gamma conditional mean spend (Fader & Hardie 2013, eq. 5), written out here."""
    p, q, gamma = (params[k] for k in ("p", "q", "gamma"))
    return p * (gamma + x * mean_spend) / (p * x + q - 1)


def test_predicted_clv_kpi_is_the_mean_of_the_closed_form_values(sample_project):
    # The KPI fits on the orders up to the last order day (1998-06-30); the test recomputes
    # every buyer's value from the printed parameters and the summary with the formulas
    # above, and compares the mean and its n.
    done = cx("clv", "--format", "json", "--customers", "all.csv", cwd=sample_project)
    assert done.returncode == 0, done.stderr
    fit = json.loads(done.stdout)
    assert fit["until"] == "1998-06-30"
    customers = pd.read_csv(sample_project / "all.csv", dtype={"customer_id": str})
    x, t_x, big_t = (customers[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    spend = gamma_gamma_spend(
        fit["gamma_gamma"]["params"], x, customers["monetary_value"].to_numpy(float)
    )
    week_per_month = 365.25 / 12 / 7
    params = fit["bgnbd"]["params"]
    cumulative = [
        expected_purchases(params, m * week_per_month, x, t_x, big_t) if m else 0 * x
        for m in range(HORIZON_MONTHS + 1)
    ]
    discount = 1.10 ** (-np.arange(1, HORIZON_MONTHS + 1) / 12)
    value = (discount @ np.diff(np.vstack(cumulative), axis=0)) * spend

    done = cx("kpis", "-m", "clv_predicted_mean", "--format", "json", cwd=sample_project)
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert row["n"] == len(customers) == 2357
    assert row["value"] == pytest.approx(value.mean(), abs=1e-4)
    half = 1.959964 * value.std(ddof=1) / np.sqrt(len(value))
    assert row["ci_low"] == pytest.approx(value.mean() - half, rel=1e-3)
