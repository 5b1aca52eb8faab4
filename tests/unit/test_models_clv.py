"""BG/NBD and Gamma-Gamma against Fader, Hardie & Lee (2005) and the CL cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special

from cxlens.errors import CxlensError, ModelError
from cxlens.models.clv import BgNbd, GammaGamma, compress_rows

DATASETS = Path("/work/shared/datasets")
PAPER = {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}
WEEKS_PER_MONTH = 365.25 / 12 / 7
CUSTOMER_1 = (2, 30.43, 38.86)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(DATASETS / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def cdnow_spend() -> pd.DataFrame:
    return pd.read_csv(DATASETS / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="module")
def weekly(cdnow) -> BgNbd:
    return BgNbd().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def model_with(**params: float) -> BgNbd:
    """A BG/NBD with given parameters, as if fitted (for cases stated on parameters)."""
    model = BgNbd()
    model.params_ = params
    return model


def test_bgnbd_reproduces_published_cdnow_estimates(weekly):
    for name, published in PAPER.items():
        assert weekly.params_[name] == pytest.approx(published, rel=1e-3)
    assert weekly.log_likelihood_ == pytest.approx(-9582.43, abs=0.5)


def test_bgnbd_log_likelihood_matches_direct_formula(weekly, cdnow):
    # The paper's eq. (6) in plain powers, without the log-scale rearrangement.
    r, alpha, a, b = (weekly.params_[k] for k in ["r", "alpha", "a", "b"])
    x, t_x, big_t = (cdnow[c].to_numpy(float) for c in ["frequency", "recency", "T"])
    a1 = special.gamma(r + x) * alpha**r / special.gamma(r)
    a2 = special.beta(a, b + x) / special.beta(a, b)
    a3 = (alpha + big_t) ** -(r + x)
    a4 = np.where(x > 0, a / (b + x - 1) * (alpha + t_x) ** -(r + x), 0.0)
    expected = np.sum(np.log(a1 * a2 * (a3 + a4)))
    assert weekly.log_likelihood_ == pytest.approx(expected, rel=1e-10)


def test_bgnbd_summary_holds_estimates_and_intervals(weekly):
    summary = weekly.summary
    assert list(summary.index) == ["r", "alpha", "a", "b"]
    assert summary.loc["alpha", "coef"] == weekly.params_["alpha"]
    half_width = summary["upper 0.95"] - summary["coef"]
    assert np.allclose(half_width, 1.959964 * summary["se(coef)"])
    # Published standard errors (lifetimes' CDNOW example): r 0.0126, alpha 0.378.
    assert weekly.std_errors_["r"] == pytest.approx(0.0126, rel=0.05)
    assert weekly.std_errors_["alpha"] == pytest.approx(0.378, rel=0.05)


def test_customer_1_expects_1_226_purchases_over_39_weeks(weekly):
    # case CL-6 (last sentence); FHL (2005) customer 1
    assert float(weekly.expected_purchases(39, *CUSTOMER_1)) == pytest.approx(1.226, abs=5e-4)


def test_conditional_expectation_matches_numerical_integration(weekly):
    # E[Y(t)] = P(alive) * E[purchases | alive]; the second term integrates the dropout
    # process directly: for an active customer with rate lambda and dropout p,
    # E = (1 - exp(-lambda p t)) / p, averaged over the posterior of (lambda, p).
    r, alpha, a, b = (weekly.params_[k] for k in ["r", "alpha", "a", "b"])
    x, t_x, big_t = CUSTOMER_1
    t = 39.0

    def alive_density(lam, p):
        return (
            lam ** (r + x - 1)
            * np.exp(-lam * (alpha + big_t))
            * p ** (a - 1)
            * (1 - p) ** (b + x - 1)
        )

    norm = integrate.dblquad(alive_density, 0, 1, 0, np.inf)[0]
    mean = integrate.dblquad(
        lambda lam, p: alive_density(lam, p) * (1 - np.exp(-lam * p * t)) / p, 0, 1, 0, np.inf
    )[0]
    expected = float(weekly.p_alive(x, t_x, big_t)) * mean / norm
    assert float(weekly.expected_purchases(t, x, t_x, big_t)) == pytest.approx(expected, rel=1e-5)


def test_hour_units_rescale_alpha_only(cdnow):
    # case CL-1
    hourly = BgNbd().fit(cdnow["frequency"], cdnow["recency"] * 168, cdnow["T"] * 168)
    assert hourly.params_["alpha"] == pytest.approx(741.47, abs=0.01)
    for name in ["r", "a", "b"]:
        assert hourly.params_[name] == pytest.approx(
            {"r": 0.24259, "a": 0.79289, "b": 2.42575}[name], abs=1e-5
        )
    assert hourly.log_likelihood_ == pytest.approx(-22172.005, abs=0.005)
    hours = [CUSTOMER_1[0], CUSTOMER_1[1] * 168, CUSTOMER_1[2] * 168]
    assert float(hourly.p_alive(*hours)) == pytest.approx(0.7266, abs=5e-5)


def test_p_alive_is_one_without_repeat_purchases_and_matches_formula(weekly):
    r, alpha, a, b = (weekly.params_[k] for k in ["r", "alpha", "a", "b"])
    assert float(weekly.p_alive(0, 0, 38.86)) == 1.0
    odds = a / (b + 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2)
    assert float(weekly.p_alive(*CUSTOMER_1)) == pytest.approx(1 / (1 + odds), rel=1e-12)


def test_negative_hypergeometric_term_gives_positive_expectation():
    # case CL-2: a + b < 1
    model = model_with(r=0.11, alpha=2.24, a=0.31, b=0.50)
    value = float(model.expected_purchases(30, 0, 0, 1))
    assert not np.isnan(value)
    assert value == pytest.approx(0.56459, abs=5e-6)


def test_unconditional_expectation_at_zero_and_its_slope():
    model = model_with(**PAPER)
    assert float(model.expected_purchases_new(0.0)) == pytest.approx(0.0, abs=1e-12)
    # Near t = 0 a new customer buys at the mean rate r / alpha.
    assert float(model.expected_purchases_new(1e-6)) / 1e-6 == pytest.approx(
        PAPER["r"] / PAPER["alpha"], rel=1e-4
    )


@pytest.mark.parametrize(
    ("units_per_month", "expected"), [(WEEKS_PER_MONTH, 1.4723), (52 / 12, 1.4681)]
)
def test_discounted_purchases_use_the_stated_month_length(units_per_month, expected):
    # case CL-6
    model = model_with(r=0.243, alpha=4.414, a=0.793, b=2.426)
    value = model.discounted_purchases(*CUSTOMER_1, 12, 0.01, units_per_month)
    assert float(value[0]) == pytest.approx(expected, abs=5e-5)


def test_discounted_purchases_without_discount_equal_the_horizon_total():
    model = model_with(**PAPER)
    total = model.discounted_purchases([0, 2], [0, 30.43], [38.86, 38.86], 12, 0.0, 4.0)
    direct = model.expected_purchases(48.0, np.array([0, 2]), [0, 30.43], [38.86, 38.86])
    assert np.allclose(total, direct, rtol=1e-12)


def test_gamma_gamma_fits_only_repeat_buyers_with_spend(cdnow_spend):
    # case CL-7
    model = GammaGamma().fit(cdnow_spend["x"], cdnow_spend["zbar"])
    assert model.n_customers_ == ((cdnow_spend["x"] > 0) & (cdnow_spend["zbar"] > 0)).sum() == 946
    for name, published in {"p": 6.2488, "q": 3.7446, "gamma": 15.4477}.items():
        assert model.params_[name] == pytest.approx(published, rel=1e-4)
    assert model.population_mean == pytest.approx(35.17, abs=0.005)
    assert float(model.expected_spend(0, 0)) == pytest.approx(model.population_mean, rel=1e-12)


def test_gamma_gamma_expected_spend_is_posterior_mean():
    model = GammaGamma()
    model.params_ = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    # (gamma + m x) p / (p x + q - 1) by hand: (15 + 2*20) * 6 / (12 + 3) = 22.
    assert float(model.expected_spend(2, 20.0)) == pytest.approx(22.0)


def test_gamma_gamma_refuses_a_mean_that_does_not_exist():
    # case CL-8
    model = GammaGamma()
    model.params_ = {"p": 6.0, "q": 0.8, "gamma": 15.0}
    with pytest.raises(ModelError, match="q is 0.8"):
        _ = model.population_mean
    with pytest.raises(CxlensError, match="does not exist"):
        model.expected_spend([0, 3], [0.0, 20.0])


def test_fit_refuses_recency_beyond_t():
    with pytest.raises(ModelError, match="recency must lie between 0 and T"):
        BgNbd().fit([1, 2], [5.0, 12.0], [10.0, 10.0])


def test_compress_rows_groups_identical_histories():
    columns, weights = compress_rows([np.array([1, 0, 1]), np.array([2.0, 0.0, 2.0])])
    assert [list(c) for c in columns] == [[0.0, 1.0], [0.0, 2.0]]
    assert list(weights) == [1.0, 2.0]


def test_one_million_resampled_customers_fit_like_cdnow(cdnow, weekly):
    # case CL-10
    rng = np.random.default_rng(20050101)
    n = 1_000_000
    rows = cdnow.iloc[rng.integers(0, len(cdnow), n)]
    model = BgNbd().fit(rows["frequency"], rows["recency"], rows["T"])

    assert model.n_unique_rows_ == len(rows.drop_duplicates(["frequency", "recency", "T"]))
    assert model.n_customers_ == n
    # A resample's estimate varies around the CDNOW estimate with the CDNOW standard error
    # shrunk by sqrt(2357 / n); four of those bound it.
    shrink = np.sqrt(len(cdnow) / n)
    for name in ["r", "alpha", "a", "b"]:
        tolerance = 4 * weekly.std_errors_[name] * shrink
        assert model.params_[name] == pytest.approx(weekly.params_[name], abs=tolerance)
    # The case's values come from another resample: two resamples differ by sqrt(2) times
    # that spread.
    stated = {"r": 0.241, "alpha": 4.39, "a": 0.794, "b": 2.40}
    for name, value in stated.items():
        tolerance = 4 * np.sqrt(2) * weekly.std_errors_[name] * shrink
        assert model.params_[name] == pytest.approx(value, abs=tolerance)


def simulate_bgnbd(rng, n, r, alpha, a, b, T):
    """Draw (x, t_x) for n customers observed for T from a BG/NBD process, vectorised.

    Each customer makes repeat purchases at rate lambda until, after a purchase, they
    drop out with probability p: K ~ Geometric(p) purchases at most. Given N(T) Poisson
    arrivals in [0, T], the x-th arrival time is T times a Beta(x, N - x + 1) draw.
    """
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    arrivals = rng.poisson(lam * T)
    most = rng.geometric(p)
    x = np.minimum(arrivals, most)
    t_x = np.zeros(n)
    repeat = x > 0
    t_x[repeat] = T[repeat] * rng.beta(x[repeat], arrivals[repeat] - x[repeat] + 1)
    return x, t_x


def test_synthetic_bgnbd_process_recovers_its_parameters():
    rng = np.random.default_rng(7)
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 3.0}
    n = 20_000
    big_t = rng.uniform(26.0, 78.0, n)
    x, t_x = simulate_bgnbd(rng, n, T=big_t, **truth)
    model = BgNbd().fit(x, t_x, big_t)
    for name, value in truth.items():
        assert model.params_[name] == pytest.approx(value, abs=4 * model.std_errors_[name])


def test_analytic_gradients_match_finite_differences(cdnow, cdnow_spend):
    from cxlens.models import clv

    x, t_x, big_t = (cdnow[c].to_numpy(float) for c in ["frequency", "recency", "T"])
    weights = np.ones(len(x))
    point = np.array([0.3, 5.0, 0.6, 2.0])
    numeric = optimize.approx_fprime(
        point, lambda p: np.sum(clv._bgnbd_terms(p, x, t_x, big_t)[0]), 1e-7
    )
    analytic = clv._bgnbd_gradient(point, x, t_x, big_t, weights)
    assert np.allclose(analytic, numeric, rtol=1e-4, atol=1e-3)

    repeat = cdnow_spend["x"] > 0
    gx, gm = cdnow_spend["x"][repeat].to_numpy(float), cdnow_spend["zbar"][repeat].to_numpy(float)
    point = np.array([5.0, 3.0, 12.0])
    numeric = optimize.approx_fprime(
        point, lambda p: np.sum(clv._gamma_gamma_loglik(p, gx, gm)), 1e-7
    )
    analytic = clv._gamma_gamma_gradient(point, gx, gm, np.ones(len(gx)))
    assert np.allclose(analytic, numeric, rtol=1e-4, atol=1e-3)


def test_weights_count_as_repeated_customers(cdnow):
    head = cdnow.head(400)
    counts = np.arange(400) % 3 + 1
    expanded = head.loc[head.index.repeat(counts)]
    weighted = BgNbd().fit(head["frequency"], head["recency"], head["T"], weights=counts)
    repeated = BgNbd().fit(expanded["frequency"], expanded["recency"], expanded["T"])
    assert weighted.n_customers_ == counts.sum() == len(expanded)
    for name in ["r", "alpha", "a", "b"]:
        assert weighted.params_[name] == pytest.approx(repeated.params_[name], rel=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(repeated.log_likelihood_, rel=1e-9)


def test_penalizer_shrinks_parameters_and_costs_likelihood(cdnow, weekly):
    penalized = BgNbd(penalizer=0.01).fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    size = sum(v**2 for v in penalized.params_.values())
    assert size < sum(v**2 for v in weekly.params_.values())
    assert penalized.log_likelihood_ < weekly.log_likelihood_


def test_a_first_purchase_on_the_observation_end_adds_nothing_to_the_fit(cdnow, weekly):
    # x = t_x = T = 0: the likelihood term is (alpha / (alpha + 0))^r = 1, so adding such
    # customers leaves the estimates and the log-likelihood as they were; P(alive) is 1
    frequency = np.append(cdnow["frequency"].to_numpy(), [0, 0])
    recency = np.append(cdnow["recency"].to_numpy(), [0.0, 0.0])
    T = np.append(cdnow["T"].to_numpy(), [0.0, 0.0])
    model = BgNbd().fit(frequency, recency, T)
    for name, value in weekly.params_.items():
        assert model.params_[name] == pytest.approx(value, rel=1e-6)
    assert model.log_likelihood_ == pytest.approx(weekly.log_likelihood_, abs=1e-6)
    assert model.p_alive(0, 0.0, 0.0) == pytest.approx(1.0)


def test_compress_rows_matches_a_pandas_group_count_on_three_columns():
    # Weighted counts of identical (x, t_x, T) rows, recounted with pandas groupby.
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, 5_000).astype(float)
    t_x = rng.integers(0, 6, 5_000) / 7
    big_t = 5 + rng.integers(0, 3, 5_000) / 7
    weights = rng.integers(1, 4, 5_000).astype(float)
    columns, summed = compress_rows([x, t_x, big_t], weights)
    got = pd.Series(summed, index=pd.MultiIndex.from_arrays(columns)).sort_index()
    want = pd.Series(weights).groupby([x, t_x, big_t]).sum().sort_index()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())
    assert got.index.equals(want.index)


def test_a_table_instead_of_a_column_is_a_model_error():
    with pytest.raises(ModelError, match="one value per customer"):
        BgNbd().fit(np.ones((2, 3)), np.ones(2), np.ones(2))


def direct_bgnbd_loglik(params, x, t_x, big_t):
    """Fader, Hardie & Lee (2005) eq. (6) summed over customers; takes complex parameters."""
    r, alpha, a, b = params
    lg = special.loggamma
    log_a1 = lg(r + x) - lg(r) + r * np.log(alpha)
    log_a2 = lg(a + b) + lg(b + x) - lg(b) - lg(a + b + x)
    a3 = (alpha + big_t) ** -(r + x)
    a4 = np.where(x > 0, a / np.where(x > 0, b + x - 1, 1.0) * (alpha + t_x) ** -(r + x), 0.0)
    return np.sum(log_a1 + log_a2 + np.log(a3 + a4))


def direct_gamma_gamma_loglik(params, x, m):
    """The Gamma-Gamma density of a mean spend m over x purchases, summed; complex-safe."""
    p, q, gamma = params
    lg = special.loggamma
    return np.sum(
        lg(p * x + q) - lg(p * x) - lg(q) + q * np.log(gamma) + (p * x - 1) * np.log(m)
        + p * x * np.log(x) - (p * x + q) * np.log(gamma + m * x)
    )  # fmt: skip


def newton_distance(loglik, params, std_errors):
    """|gradient| x variance / estimate per parameter: how far, relatively, the maximum is.

    The gradient comes from a complex step (Im f(p + ih) / h), which has no rounding from
    subtraction, so it resolves distances far below what finite differences can.
    """
    step = 1e-20
    gradient = np.array([loglik(params + 1j * step * e).imag / step for e in np.eye(len(params))])
    return np.abs(gradient) * std_errors**2 / params


def test_bgnbd_estimate_sits_at_the_maximum_to_rounding(weekly, cdnow):
    # L-BFGS-B alone stopped where this distance is about 4e-7 for a and b on CDNOW
    x, t_x, big_t = (cdnow[c].to_numpy(float) for c in ["frequency", "recency", "T"])
    names = ["r", "alpha", "a", "b"]
    params = np.array([weekly.params_[k] for k in names])
    errors = np.array([weekly.std_errors_[k] for k in names])
    distance = newton_distance(lambda p: direct_bgnbd_loglik(p, x, t_x, big_t), params, errors)
    assert np.all(distance < 1e-10)


def test_gamma_gamma_estimate_sits_at_the_maximum_to_rounding(cdnow_spend):
    repeat = cdnow_spend["x"] > 0
    x, m = (cdnow_spend[c][repeat].to_numpy(float) for c in ["x", "zbar"])
    model = GammaGamma().fit(x, m)
    names = ["p", "q", "gamma"]
    params = np.array([model.params_[k] for k in names])
    errors = np.array([model.std_errors_[k] for k in names])
    distance = newton_distance(lambda p: direct_gamma_gamma_loglik(p, x, m), params, errors)
    assert np.all(distance < 1e-10)


def test_customers_with_distinct_histories_are_fitted_ungrouped_to_the_same_estimate():
    # 200,000 customers in continuous time and 500 of them listed twice: a sample of rows
    # shows almost no repeats, so the rows are fitted as they are; a pandas group count
    # of the same rows, fitted with weights, must give the same estimate.
    rng = np.random.default_rng(11)
    n = 200_000
    big_t = rng.uniform(26.0, 78.0, n)
    x, t_x = simulate_bgnbd(rng, n, 0.5, 6.0, 0.9, 3.0, big_t)
    twice = rng.choice(n, 500, replace=False)
    rows = pd.DataFrame({"x": x, "t_x": t_x, "T": big_t})
    rows = pd.concat([rows, rows.iloc[twice]], ignore_index=True)
    counted = rows.groupby(["x", "t_x", "T"]).size().reset_index(name="customers")

    as_listed = BgNbd().fit(rows["x"], rows["t_x"], rows["T"])
    grouped = BgNbd().fit(counted["x"], counted["t_x"], counted["T"], weights=counted["customers"])

    assert as_listed.n_unique_rows_ == n + 500
    assert grouped.n_unique_rows_ == n
    assert as_listed.n_customers_ == grouped.n_customers_ == n + 500
    for name in ["r", "alpha", "a", "b"]:
        assert as_listed.params_[name] == pytest.approx(grouped.params_[name], rel=1e-9)
    assert as_listed.log_likelihood_ == pytest.approx(grouped.log_likelihood_, rel=1e-12)
