"""Key drivers: which service factors move CSAT, NPS and churn, and by how much.

A driver is a factor whose effect on the odds of an outcome (a satisfied CSAT answer, a
promoter, a customer who leaves) is told apart from noise. ``KeyDrivers`` fits one
logistic model on every factor together, so each effect is net of the others:

- numeric factors are standardised, so their effect is per standard deviation;
- binary factors (0/1 or yes/no) are left as they are, so their effect is yes against no;
- categorical factors are one-hot coded against their most common level.

The fit maximises the log-likelihood minus a small ridge penalty, ``penalty / 2`` times
the sum of squared coefficients (the intercept is not penalised): a normal prior with
variance ``1 / penalty`` on each coefficient, which keeps rare levels and separated data
finite and moves well-measured effects very little. Wald intervals and p-values come
from the inverse of the penalised Hessian at the optimum (the Laplace approximation).
A factor is *significant* when its interval excludes an odds ratio of 1 and its p-value
stays below ``alpha`` after Holm's correction over every coefficient shown (each level
of a categorical factor counts as one test), so adding factors does not make noise look
like a driver.

Written on numpy rather than taken from a library: scikit-learn's logistic regression
gives no intervals, and statsmodels fits a ridge logit without standard errors; the
Newton iteration that gives both is short. The tests check it against statsmodels'
unpenalised ``Logit`` with the penalty at zero.

``service_drivers`` builds one row per survey answer from the warehouse and fits the
model; ``churn_drivers`` fits it on any per-customer feature frame. The service factors
of an answer are its ticket's: first response and resolution time as log(1 + hours) (a
phone reply can take zero minutes), reopened at least once, agent replies, customer
contacts, whether any first-response SLA clock that fell due was breached (from
``sla_clocks``; without it the factor is left out), channel, category and priority. CSAT
answers carry their ticket. NPS answers carry none: each takes the customer's latest
ticket created in the ``NPS_LOOKBACK_DAYS`` before it, or is left out (and counted), and
the outcome is promoter (9–10) against the rest, the direction CSAT's "satisfied" takes.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special, stats

from cxlens.errors import ModelError, WarehouseError
from cxlens.models.dates import as_day
from cxlens.store import has_table, table_columns

if TYPE_CHECKING:
    import duckdb

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "DriverResult",
    "KeyDrivers",
    "churn_drivers",
    "service_drivers",
    "service_responses",
]

# A normal prior with variance 1 on a log-odds effect per standard deviation: odds ratios
# beyond e^±2 are unlikely a priori, which hundreds of answers overrule easily.
DEFAULT_PENALTY = 1.0
# A factor missing in more than this share of rows is left out rather than losing rows.
MAX_MISSING_SHARE = 0.5
# A categorical factor with more levels than this is an identifier, not a driver.
MAX_LEVELS = 30
# Each outcome class needs this many rows before effects can be told from noise.
MIN_PER_CLASS = 10
# NPS answers carry no ticket: they take the customer's latest ticket created at most
# this many days before the answer (the survey goes out a month after a purchase, so a
# ticket older than a quarter says little about the experience being scored).
NPS_LOOKBACK_DAYS = 90

MAX_NEWTON_STEPS = 100

# Churn factors entered as log(1 + value) by ``churn_service_drivers``.
CHURN_LOG = ("first_response_median_min", "resolution_median_min", "tenure_days")
# Factors that enter as log(1 + value): their step reads as "per 2.5× longer", not as a
# standard deviation of a logarithm.
LOG_SCALE = {
    "first_response_log_hours", "resolution_log_hours", "first_response_vs_channel",
    "resolution_vs_channel", *CHURN_LOG,
}  # fmt: skip

# Factor names as a reader sees them, in English and Chinese.
SERVICE_FACTORS: dict[str, tuple[str, str]] = {
    "first_response_log_hours": ("First response time", "首次响应时长"),
    "resolution_log_hours": ("Resolution time", "解决时长"),
    "first_response_vs_channel": (
        "First response against the channel's usual wait",
        "首次响应相对该渠道的常态等待",
    ),
    "resolution_vs_channel": (
        "Resolution against the channel's usual time",
        "解决时长相对该渠道的常态",
    ),
    "reopened": ("Reopened tickets", "重开过的工单"),
    "agent_replies": ("Agent replies", "客服回复次数"),
    "customer_contacts": ("Customer contacts", "客户联系次数"),
    "first_response_sla_breached": ("First-response SLA breached", "首次响应超出 SLA"),
    "channel": ("Channel", "渠道"),
    "category": ("Category", "类别"),
    "priority": ("Priority", "优先级"),
}
OUTCOMES: dict[str, tuple[str, str]] = {
    "csat": ("a satisfied answer", "满意评价"),
    "nps": ("a promoter score (9–10)", "推荐者评分（9–10 分）"),
    "churn": ("leaving", "流失"),
}


class KeyDrivers:
    """A ridge-penalised logistic model of a 0/1 outcome on named factors.

    Parameters
    ----------
    penalty : the ridge penalty (inverse prior variance of each coefficient); 0 fits
        plain maximum likelihood.
    alpha : the significance level; intervals are at ``1 - alpha``.
    outcome : the outcome in words, English and Chinese, for the sentences.
    labels : factor name → (English, Chinese) label; unnamed factors show their name.

    Attributes
    ----------
    coef_ : log-odds effect of each design column (per SD, per yes, or per level).
    intercept_ : log-odds at the mean of numeric factors and the reference of the others.
    covariance_ : covariance of intercept and coefficients (inverse penalised Hessian).
    dropped_ : factor → why it was left out.
    n_rows_, n_positive_ : rows used (complete cases) and how many had the outcome.
    """

    def __init__(
        self,
        penalty: float = DEFAULT_PENALTY,
        alpha: float = 0.05,
        outcome: tuple[str, str] = ("the outcome", "该结果"),
        labels: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.penalty = penalty
        self.alpha = alpha
        self.outcome = outcome
        self.labels = labels

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray) -> KeyDrivers:
        """Fit on the factors ``X`` and the 0/1 outcome ``y`` (aligned by position).

        Factors missing in over half the rows, with one value, with over ``MAX_LEVELS``
        levels or of another type (dates) are left out (``dropped_`` says why); then rows
        with any missing factor or outcome are left out.
        """
        self._check_settings()
        outcome = _outcome_array(y, len(X))

        kept, self.dropped_ = _usable_factors(X)
        complete = kept.notna().all(axis=1).to_numpy() & ~np.isnan(outcome)
        if not complete.all():
            log.info("key drivers: %d row(s) with a missing factor left out", (~complete).sum())
        kept, outcome = kept.loc[complete], outcome[complete]
        kept = _drop_constant(kept, self.dropped_)
        for factor, reason in self.dropped_.items():
            log.info("key drivers: %s left out (%s)", factor, reason)
        _check_enough(kept, outcome, self.dropped_)

        self.design_ = _design(kept)
        beta, covariance = _penalised_logit(self.design_.matrix, outcome, self.penalty)
        names = ["intercept", *self.design_.columns["column"]]
        self.intercept_ = float(beta[0])
        self.coef_ = pd.Series(beta[1:], index=names[1:], name="coef")
        self.covariance_ = pd.DataFrame(covariance, index=names, columns=names)
        self.n_rows_ = int(len(outcome))
        self.n_positive_ = int(outcome.sum())
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """One row per coefficient: odds ratio, interval, p-values, significance, sentence.

        ``level`` is ``yes`` for a binary factor, the level for a categorical one (against
        ``reference``) and empty for a numeric one, whose effect is per standard deviation
        and whose ``reference`` is that standard deviation in the factor's units. ``n`` counts
        the rows used where the level is present (binary: yes), or all of them (numeric).
        ``p_adjusted`` is Holm's over every row; ``importance`` is the row's share of the
        summed |effect per SD of its column|; ``rank`` orders the significant rows only.
        """
        if not hasattr(self, "coef_"):
            raise ModelError("fit the key-drivers model before asking for its summary")
        frame = self.design_.columns.copy()
        frame["coef"] = self.coef_.to_numpy()
        frame["std_error"] = np.sqrt(np.diag(self.covariance_.to_numpy())[1:])
        frame = _add_inference(frame, self.alpha)
        frame = _add_importance(frame)
        _add_labels(frame, self.labels or {})
        _add_sentences(frame, self.outcome, self.alpha)
        return frame[SUMMARY_COLUMNS]

    def _check_settings(self) -> None:
        if not (isinstance(self.penalty, int | float) and self.penalty >= 0):
            raise ModelError(f"penalty = {self.penalty!r}; use a number >= 0 (default 1.0)")
        if not (isinstance(self.alpha, float) and 0 < self.alpha < 1):
            raise ModelError(f"alpha = {self.alpha!r}; use a level between 0 and 1 such as 0.05")


SUMMARY_COLUMNS = [
    "factor", "level", "reference", "kind", "label", "label_zh", "coef", "std_error", "odds_ratio",
    "ci_low", "ci_high", "p_value", "p_adjusted", "significant", "n", "importance", "rank",
    "sentence", "sentence_zh",
]  # fmt: skip


# ---------------------------------------------------------------------------------------
# Which factors to keep, and the design matrix


def _outcome_array(y: pd.Series | np.ndarray, rows: int) -> np.ndarray:
    """``y`` as floats 0/1 with NaN for missing; a ModelError for any other value."""
    try:
        values = pd.Series(np.asarray(y, dtype=object)).astype("Float64")
    except (TypeError, ValueError) as error:
        raise ModelError("the outcome must be 0/1 (or true/false); recode it first") from error
    if len(values) != rows:
        raise ModelError(f"the outcome has {len(values)} values for {rows} rows of factors")
    known = values.dropna()
    if not known.isin([0, 1]).all():
        raise ModelError("the outcome must be 0/1 (or true/false); recode it before fitting")
    return values.to_numpy(dtype=float, na_value=np.nan)


def _usable_factors(X: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The factors worth a coefficient, and the others with the reason they were left out."""
    dropped: dict[str, str] = {}
    kept = {}
    for name in X.columns:
        column = X[name]
        kind = _kind(column)
        missing = float(column.isna().mean())
        if kind is None:
            dropped[str(name)] = "neither a number nor a category"
        elif missing > MAX_MISSING_SHARE:
            dropped[str(name)] = f"missing in {missing:.0%} of rows"
        elif kind == "categorical" and column.nunique() > MAX_LEVELS:
            dropped[str(name)] = f"{column.nunique()} levels (more than {MAX_LEVELS})"
        else:
            kept[str(name)] = _as_kind(column, kind)
    return pd.DataFrame(kept, index=X.index), dropped


def _drop_constant(kept: pd.DataFrame, dropped: dict[str, str]) -> pd.DataFrame:
    """Leave out factors with a single value among the rows used (no contrast to learn)."""
    constant = [name for name in kept.columns if kept[name].nunique() < 2]
    for name in constant:
        dropped[name] = "one value only"
    return kept.drop(columns=constant)


def _kind(column: pd.Series) -> str | None:
    """numeric, binary (0/1 or bool) or categorical; None for dates and other types."""
    if pd.api.types.is_bool_dtype(column):
        return "binary"
    if pd.api.types.is_numeric_dtype(column):
        return "binary" if column.dropna().isin([0, 1]).all() else "numeric"
    if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(column):
        return "categorical"
    return None


def _as_kind(column: pd.Series, kind: str) -> pd.Series:
    if kind == "categorical":
        return column.astype("string")
    return column.astype("Float64").astype(float)


def _check_enough(kept: pd.DataFrame, outcome: np.ndarray, dropped: dict[str, str]) -> None:
    """A ModelError when no factor is left or either outcome class is too small."""
    if kept.columns.empty:
        reasons = "; ".join(f"{name}: {why}" for name, why in dropped.items()) or "none given"
        raise ModelError(f"no factor can be used ({reasons}); give factors that vary")
    positives = int(outcome.sum())
    negatives = len(outcome) - positives
    if min(positives, negatives) < MIN_PER_CLASS:
        raise ModelError(
            f"{positives} rows with the outcome and {negatives} without; key drivers need "
            f"at least {MIN_PER_CLASS} of each. Use more data (a longer period) first"
        )


@dataclass
class Design:
    """The model's matrix (intercept first) and one row per column describing it."""

    matrix: np.ndarray
    columns: pd.DataFrame  # column, factor, level, kind, reference, n, sd


def _design(factors: pd.DataFrame) -> Design:
    """Standardise numeric factors, keep binary ones, one-hot categorical ones."""
    blocks = [np.ones((len(factors), 1))]
    rows = []
    for name in factors.columns:
        block, described = _encode(name, factors[name])
        blocks.append(block)
        rows += described
    columns = pd.DataFrame(rows, columns=["column", "factor", "level", "kind", "reference", "n"])
    matrix = np.column_stack(blocks)
    matrix, columns = _drop_repeated_columns(matrix, columns)
    columns["sd"] = matrix[:, 1:].std(axis=0, ddof=1)
    return Design(matrix, columns)


def _drop_repeated_columns(
    matrix: np.ndarray, columns: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame]:
    """Keep the first of design columns that are identical row for row.

    Exports repeat one fact in several columns (Telco's "No internet service" is a level
    of seven service columns); fitted together, copies share one effect and each looks
    like noise. The first copy stands for all and the others are logged.
    """
    body = np.ascontiguousarray(matrix[:, 1:])
    _, first = np.unique(body.T, axis=0, return_index=True)
    keep = np.sort(first)
    if len(keep) == body.shape[1]:
        return matrix, columns
    dropped = columns.drop(index=columns.index[keep])
    log.info("drivers: %d design columns repeat an earlier one and are left out: %s",
             len(dropped), ", ".join(f"{r.factor}={r.level}" for r in dropped.itertuples()))  # fmt: skip
    return matrix[:, [0, *(keep + 1)]], columns.iloc[keep].reset_index(drop=True)


def _encode(name: str, column: pd.Series) -> tuple[np.ndarray, list[tuple]]:
    """One factor's design columns and their descriptions."""
    if pd.api.types.is_string_dtype(column):
        return _one_hot(name, column)
    values = column.to_numpy(dtype=float)
    if np.isin(values, [0.0, 1.0]).all():
        return values[:, None], [(name, name, "yes", "binary", "no", int(values.sum()))]
    spread = values.std(ddof=1)
    standardised = (values - values.mean()) / spread
    # a numeric factor's "reference" is the size of its step: one standard deviation
    return standardised[:, None], [(name, name, None, "numeric", float(spread), len(values))]


def _one_hot(name: str, column: pd.Series) -> tuple[np.ndarray, list[tuple]]:
    """0/1 columns for every level but the most common (ties: the first in sort order)."""
    counts = column.value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    reference, levels = counts.index[0], counts.index[1:]
    block = (column.to_numpy(dtype=object)[:, None] == levels.to_numpy(dtype=object)).astype(float)
    described = [
        (f"{name}={level}", name, level, "level", reference, int(counts[level])) for level in levels
    ]
    return block, described


# ---------------------------------------------------------------------------------------
# The fit


def _penalised_logit(
    matrix: np.ndarray, outcome: np.ndarray, penalty: float
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients maximising log-likelihood − penalty/2·|β|² (intercept free), and the
    inverse penalised Hessian there. Newton steps, halved while they do not improve."""
    ridge = np.full(matrix.shape[1], float(penalty))
    ridge[0] = 0.0

    def loss(beta: np.ndarray) -> float:
        eta = matrix @ beta
        return float(-(outcome * eta + special.log_expit(-eta)).sum() + 0.5 * ridge @ beta**2)

    beta = np.zeros(matrix.shape[1])
    beta[0] = special.logit(outcome.mean())
    current = loss(beta)
    for _ in range(MAX_NEWTON_STEPS):
        p = special.expit(matrix @ beta)
        gradient = matrix.T @ (p - outcome) + ridge * beta
        hessian = (matrix.T * (p * (1 - p))) @ matrix + np.diag(ridge)
        step = _solve(hessian, gradient)
        decrement = gradient @ step / 2  # what a full step would gain, to second order
        if decrement < 1e-20 * max(1.0, abs(current)):
            break
        if decrement < 1e-6:
            beta = beta - step  # close enough for the quadratic model; the loss cannot tell
            current = loss(beta)
            continue

        shrink = 1.0
        while (trial := loss(beta - shrink * step)) > current and shrink > 1e-8:
            shrink /= 2
        beta, current = beta - shrink * step, trial
    else:
        raise ModelError(_NOT_CONVERGED)

    p = special.expit(matrix @ beta)
    hessian = (matrix.T * (p * (1 - p))) @ matrix + np.diag(ridge)
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 30:
        raise ModelError(_NOT_CONVERGED)
    return beta, np.linalg.inv(hessian)


_NOT_CONVERGED = (
    "the key-drivers model did not settle: a factor (or level) predicts the outcome "
    "perfectly, or two factors carry the same information. Raise the penalty (e.g. 1.0) "
    "or leave that factor out"
)


def _solve(hessian: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(hessian, gradient)
    except np.linalg.LinAlgError as error:
        raise ModelError(_NOT_CONVERGED) from error


# ---------------------------------------------------------------------------------------
# The summary: intervals, significance, importance, words


def _add_inference(frame: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Odds ratios with Wald intervals, two-sided p-values and Holm-adjusted ones."""
    z = stats.norm.ppf(1 - alpha / 2)
    frame["odds_ratio"] = np.exp(frame["coef"])
    frame["ci_low"] = np.exp(frame["coef"] - z * frame["std_error"])
    frame["ci_high"] = np.exp(frame["coef"] + z * frame["std_error"])
    frame["p_value"] = 2 * stats.norm.sf(np.abs(frame["coef"] / frame["std_error"]))
    frame["p_adjusted"] = _holm(frame["p_value"].to_numpy())
    excludes_one = (frame["ci_low"] > 1) | (frame["ci_high"] < 1)
    frame["significant"] = excludes_one & (frame["p_adjusted"] < alpha)
    return frame


def _holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment: the i-th smallest of m p-values times (m − i + 1),
    made non-decreasing in that order and capped at 1. (By hand: statsmodels'
    ``multipletests`` runs a full garbage collection on each call, 0.16 s here.)"""
    order = np.argsort(p_values, kind="stable")
    factors = len(p_values) - np.arange(len(p_values))
    adjusted = np.minimum(np.maximum.accumulate(p_values[order] * factors), 1.0)
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def _add_importance(frame: pd.DataFrame) -> pd.DataFrame:
    """Each coefficient's share of the summed |effect per SD of its column|; ranks for the
    significant ones. Binary and level columns are scaled by their SD here only, so that a
    rare level does not outweigh a factor that moves many answers."""
    per_sd = np.abs(frame["coef"]) * np.where(frame["kind"] == "numeric", 1.0, frame["sd"])
    frame["importance"] = per_sd / per_sd.sum() if per_sd.sum() > 0 else 0.0
    ranked = frame["importance"].where(frame["significant"])
    frame["rank"] = ranked.rank(ascending=False, method="first").astype("Int64")
    return frame


def _add_labels(frame: pd.DataFrame, labels: dict[str, tuple[str, str]]) -> None:
    """``label`` / ``label_zh``: what each coefficient compares, in words."""
    english, chinese = [], []
    described = frame[["factor", "level", "kind", "reference"]]
    for factor, level, kind, reference in described.itertuples(index=False):
        en, zh = labels.get(factor, (factor, factor))
        if kind == "numeric" and factor in LOG_SCALE:
            times = math.exp(reference)  # one SD of log(1 + x): x about this many times
            english.append(f"{en}, per {times:.2g}× longer")
            chinese.append(f"{zh}每延长至 {times:.2g} 倍")
        elif kind == "numeric":
            english.append(f"{en}, +1 SD (+{reference:.3g})")
            chinese.append(f"{zh}每增加 1 个标准差（+{reference:.3g}）")
        elif kind == "binary":
            english.append(en)
            chinese.append(zh)
        else:
            english.append(f"{en}: {level} (vs {reference})")
            chinese.append(f"{zh}：{level}（对比 {reference}）")
    frame["label"], frame["label_zh"] = english, chinese


def _add_sentences(frame: pd.DataFrame, outcome: tuple[str, str], alpha: float) -> None:
    """One plain sentence per coefficient, English and Chinese."""
    level = f"{100 * (1 - alpha):g}"
    drivers = int(frame["significant"].sum())
    english, chinese = [], []
    for row in frame.itertuples(index=False):
        n = f"{row.n:,}"
        ratio, low, high = (_ratio(v) for v in (row.odds_ratio, row.ci_low, row.ci_high))
        if row.significant:
            place, place_zh = _place(int(row.rank), drivers)
            english.append(
                f"{row.label}: odds of {outcome[0]} {ratio}× ({level} % {low}–{high}), "
                f"n = {n} — {place}."
            )
            chinese.append(
                f"{row.label_zh}：{outcome[1]}的几率为 {ratio} 倍（{level}% 区间 {low}–{high}），"
                f"n = {n}——{place_zh}。"
            )
        elif row.ci_low <= 1 <= row.ci_high:
            english.append(
                f"{row.label}: no clear effect (the interval includes no change), n = {n}."
            )
            chinese.append(f"{row.label_zh}：无明显影响（区间包含“无变化”），n = {n}。")
        else:
            english.append(
                f"{row.label}: no clear effect (not significant once the number of factors "
                f"tested is allowed for), n = {n}."
            )
            chinese.append(f"{row.label_zh}：无明显影响（考虑检验的因素数量后不显著），n = {n}。")
    frame["sentence"], frame["sentence_zh"] = english, chinese


def _place(rank: int, drivers: int) -> tuple[str, str]:
    if rank == 1:
        return "the strongest driver", "最强的驱动因素"
    return f"driver {rank} of {drivers}", f"第 {rank} 位驱动因素（共 {drivers} 个）"


def _ratio(value: float) -> str:
    """An odds ratio with two decimals, or two significant digits far from 1."""
    return f"{value:.2f}" if 0.1 <= value < 100 else f"{value:.2g}"


# ---------------------------------------------------------------------------------------
# Results and the two entry points


@dataclass
class DriverResult:
    """A fitted key-drivers model for one outcome, with what was left out and why."""

    outcome: str
    model: KeyDrivers
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """The summary ranked: significant drivers by importance, then the rest by importance."""
        summary = self.model.summary
        order = summary.sort_values(
            ["significant", "importance"], ascending=[False, False], kind="stable"
        )
        return order.reset_index(drop=True)

    def to_json(self) -> dict[str, Any]:
        """The fit and its ranked drivers as plain JSON-ready values (NaN becomes null)."""
        model = self.model
        drivers = self.table.drop(columns=["kind"]).astype(object)
        drivers = drivers.where(drivers.notna(), None)
        return {
            "outcome": self.outcome,
            "rows": model.n_rows_,
            "positive": model.n_positive_,
            "penalty": float(model.penalty),
            "alpha": model.alpha,
            "dropped": dict(model.dropped_),
            "left_out": dict(self.left_out),
            "drivers": [_plain_record(r) for r in drivers.to_dict(orient="records")],
        }


def _plain_record(record: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        if isinstance(value, np.bool_ | bool):
            out[key] = bool(value)
        elif isinstance(value, np.integer):
            out[key] = int(value)
        elif isinstance(value, float | np.floating):
            out[key] = float(value) if math.isfinite(value) else None
        else:
            out[key] = value
    return out


def service_drivers(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    outcome: str,
    until: date | str | None = None,
    *,
    penalty: float = DEFAULT_PENALTY,
    alpha: float = 0.05,
) -> DriverResult:
    """Which ticket factors move CSAT (satisfied or not) or NPS (promoter or not).

    One row per valid answer up to ``until`` (a local day, inclusive), with the factors of
    its ticket (see ``service_responses``). Raises a WarehouseError without tickets or
    answers, and a ModelError when too few answers fall on either side.
    """
    responses, left_out = service_responses(con, settings, outcome, until)
    factors = responses[[c for c in _factor_names(responses) if c in responses.columns]]
    model = KeyDrivers(penalty=penalty, alpha=alpha, outcome=OUTCOMES[outcome],
                       labels=SERVICE_FACTORS)  # fmt: skip
    model.fit(factors, responses["outcome"])
    return DriverResult(outcome, model, left_out)


def _factor_names(responses: pd.DataFrame) -> list[str]:
    """The factors to fit: with channels known, times relative to the channel's median.

    Customers judge a wait against what the channel promises (an hour is slow in chat and
    quick by e-mail). With the channel in the model, absolute and relative times span the
    same fit; the relative ones make each channel's own effect read "at its usual speed"
    instead of "at the same hours", which is what a manager means by a channel's effect.
    """
    names = list(SERVICE_FACTORS)
    if responses.get("channel") is not None and responses["channel"].nunique() > 1:
        names.remove("first_response_log_hours")
        names.remove("resolution_log_hours")
    else:
        names.remove("first_response_vs_channel")
        names.remove("resolution_vs_channel")
    return names


def churn_drivers(
    features: pd.DataFrame,
    churned: pd.Series,
    *,
    penalty: float = DEFAULT_PENALTY,
    alpha: float = 0.05,
    labels: dict[str, tuple[str, str]] | None = None,
) -> DriverResult:
    """Which customer features go with leaving: ``features`` one row per customer, ``churned``
    0/1 on the same index. A ``customer_id`` column is an identifier and is not a factor."""
    if not features.index.equals(churned.index):
        raise ModelError(
            "churned and features must share their index (one row per customer, same order)"
        )
    factors = features.drop(columns=["customer_id"], errors="ignore")
    model = KeyDrivers(penalty=penalty, alpha=alpha, outcome=OUTCOMES["churn"], labels=labels)
    model.fit(factors, churned)
    return DriverResult("churn", model)


# What a customer's service history says about leaving, with tenure and plan held fixed.
CHURN_SERVICE_FACTORS = (
    "tickets_90d", "first_response_median_min", "resolution_median_min", "reopened_tickets",
    "csat_satisfied_share", "complaints",
)  # fmt: skip
CHURN_CONTROLS = ("tenure_days", "plan", "segment")
# Counts that are 0, not unknown, for a customer with no ticket.
CHURN_COUNTS = ("tickets_90d", "reopened_tickets", "complaints")


def _relabels(features: pd.DataFrame, name: str, chosen) -> bool:
    """Whether category ``name`` only renames one already chosen (Telco's segment is its
    contract, like its plan): two copies of one factor split its effect between them and
    neither looks like a driver."""
    column = features[name]
    if pd.api.types.is_numeric_dtype(column):
        return _repeats_a_number(features, name, chosen)
    for other in chosen:
        pairs = features[[other, name]].dropna().astype(str).drop_duplicates()
        if pairs[other].is_unique and pairs[name].is_unique:
            return True
    return False


def _repeats_a_number(features: pd.DataFrame, name: str, chosen) -> bool:
    """Whether number ``name`` ranks customers as one already chosen does (Spearman above
    0.95): Telco's ``tenure`` in months beside cxlens's tenure in days is one fact."""
    numbers = [c for c in chosen if pd.api.types.is_numeric_dtype(features[c])]
    if not numbers:
        return False
    ranks = features[[name, *numbers]].rank()
    rho = ranks.corr().loc[name, numbers].abs()
    return bool((rho > 0.95).any())


def churn_service_drivers(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    prediction: Any,
    *,
    penalty: float = DEFAULT_PENALTY,
    alpha: float = 0.05,
) -> DriverResult:
    """Which service factors go with leaving, on the churn model's labelled customers.

    ``prediction`` is a ``ChurnPrediction``: its held-out customers and their churn
    labels, with their features as of the day the model saw them (no later record). The
    factors are the service history (tickets in the last 90 days, median first response
    and resolution, reopened tickets, share of satisfied CSAT answers, complaints), with
    tenure, plan and segment in the model as controls so that "new customers leave more"
    is not read as a service effect, and the customers' and subscriptions' attribute
    columns (a ticket count an export carries, a contract's services). A category that
    only renames one already in (a segment that is the plan) is left out. Times and tenure
    enter as log(1 + value); a
    customer without a ticket has no response time and takes the median one, so that
    customers who never wrote stay in the model (their absence shows in the ticket count).
    """
    from cxlens.models.features import customer_features, label_of

    as_of = prediction.validation["as_of"]
    day = as_of.get("validation_features") or as_of.get("features")
    holdout = prediction.holdout
    if "customer_id" in holdout.columns:
        holdout = holdout.set_index("customer_id")
    labels = holdout["churned"].astype(int)
    features = customer_features(con, settings, day).reindex(labels.index)

    factors = pd.DataFrame(index=features.index)
    attributes = [c for c in features.columns if "." in c]  # customer.X, subscription.X
    for name in (*CHURN_SERVICE_FACTORS, *CHURN_CONTROLS, *attributes):
        if name not in features or _relabels(features, name, factors.columns):
            continue
        column = features[name]
        if name in CHURN_COUNTS:
            column = column.fillna(0)
        elif name in ("first_response_median_min", "resolution_median_min"):
            column = column.fillna(column.median())  # no ticket: no time; keep the customer
        if name in CHURN_LOG:
            column = np.log1p(column.astype(float).clip(lower=0))
        factors[name] = column
    names = {name: (label_of(name).en, label_of(name).zh) for name in factors.columns}
    return churn_drivers(factors, labels, penalty=penalty, alpha=alpha, labels=names)


# ---------------------------------------------------------------------------------------
# Survey answers joined to their tickets


def service_responses(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    outcome: str,
    until: date | str | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per valid CSAT or NPS answer: ``outcome`` (0/1) and its ticket's factors.

    CSAT: satisfied as the ``csat`` KPI decides it (``[csat]`` thresholds per scale); an
    answer joins its ``ticket_id``. NPS: promoter (9–10) against passive or detractor; an
    answer joins its ``ticket_id`` if it has one, else the customer's latest ticket created
    up to ``NPS_LOOKBACK_DAYS`` before it. Answers with no ticket are left out and counted
    in the second value (reason → count).
    """
    if outcome not in ("csat", "nps"):
        raise ModelError(f"outcome {outcome!r}: choose csat or nps")
    if not (has_table(con, "survey_responses") and has_table(con, "tickets")):
        raise WarehouseError(
            "key drivers need survey_responses and tickets in the warehouse; import both "
            "and run cxlens run first"
        )

    answers = _answers(con, settings, outcome, as_day(until))
    tickets = _ticket_factors(con)
    linked, left_out = _link(answers, tickets, outcome)
    log.info("%s drivers: %d answers linked to a ticket, %s", outcome, len(linked), left_out)
    return linked, left_out


def _answers(con, settings: Settings, outcome: str, until: date | None) -> pd.DataFrame:
    """Valid answers of the kind with their 0/1 outcome, through the survey KPIs' rules."""
    import ibis

    from cxlens.metrics.surveys import csat_answers

    r = ibis.duckdb.from_connection(con).table("survey_responses")
    missing = {"response_id", "kind", "score", "responded_at", "responded_at_local"} - set(
        r.columns
    )
    if missing:
        raise WarehouseError(
            f"survey_responses lacks {', '.join(sorted(missing))}: it was not built by "
            "cxlens's cleaning; run cxlens run (or cxlens import) to rebuild it"
        )
    if until is not None:
        r = r.filter(r.responded_at_local.date() <= until)
    if outcome == "csat":
        valid, satisfied = csat_answers(r, settings)
        r = r.filter(valid)
        positive = satisfied
    else:
        score = r.score
        r = r.filter((r.kind == "nps") & (score == score.floor()) & score.between(0, 10))
        positive = r.score >= 9
    expr = r.select("response_id", "ticket_id", "customer_id", "responded_at",
                    outcome=positive.cast("int8"))  # fmt: skip
    return expr.execute()


def _ticket_factors(con) -> pd.DataFrame:
    """Per ticket (merged ones excepted): the drivers' factors, null where not recorded."""
    have = table_columns(con, "tickets")

    def column(name: str, sql: str | None = None) -> str:
        if name not in have:
            return "NULL"
        return sql or name

    hours = "CASE WHEN {0} >= 0 THEN ln(1 + {0} / 60) END"
    breached = "NULL::INT"
    join = ""
    if has_table(con, "sla_clocks"):
        join = (
            "LEFT JOIN (SELECT ticket_id, max(breached::INT) AS breached FROM sla_clocks "
            "WHERE metric = 'first_response' AND (fell_due OR breached) GROUP BY ticket_id) s "
            "USING (ticket_id)"
        )
        breached = "s.breached"
    merged = "WHERE NOT coalesce(t.is_merged, false)" if "is_merged" in have else ""
    sql = f"""
        WITH factors AS (
        SELECT t.ticket_id, {column("customer_id")} AS customer_id, t.created_at,
            {column("first_response_min", hours.format("first_response_min"))}
                AS first_response_log_hours,
            {column("resolution_min", hours.format("resolution_min"))} AS resolution_log_hours,
            {column("reopens", "(reopens > 0)::INT")} AS reopened,
            {column("agent_replies")}::DOUBLE AS agent_replies,
            {column("customer_contacts")}::DOUBLE AS customer_contacts,
            {breached} AS first_response_sla_breached,
            {column("channel")}::VARCHAR AS channel,
            {column("category")}::VARCHAR AS category,
            {column("priority")}::VARCHAR AS priority
        FROM tickets t {join} {merged}
        )
        SELECT *,
            first_response_log_hours - median(first_response_log_hours)
                OVER (PARTITION BY channel) AS first_response_vs_channel,
            resolution_log_hours - median(resolution_log_hours)
                OVER (PARTITION BY channel) AS resolution_vs_channel
        FROM factors
    """
    return con.execute(sql).df()


def _link(
    answers: pd.DataFrame, tickets: pd.DataFrame, outcome: str
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Answers joined to their ticket (NPS: else the customer's latest recent ticket)."""
    factors = tickets.drop(columns=["customer_id", "created_at"])
    direct = answers[answers["ticket_id"].notna()].merge(factors, on="ticket_id", how="inner")
    left_out = {"ticket not found or merged": int(answers["ticket_id"].notna().sum() - len(direct))}
    if outcome == "csat":
        left_out["no ticket_id"] = int(answers["ticket_id"].isna().sum())
        return direct.reset_index(drop=True), left_out

    loose = answers[answers["ticket_id"].isna()].drop(columns=["ticket_id"])
    timed = _asof_ready(loose, "responded_at")
    candidates = _asof_ready(tickets, "created_at")
    nearest = pd.merge_asof(
        timed, candidates.rename(columns={"created_at": "ticket_created_at"}),
        left_on="responded_at", right_on="ticket_created_at", by="customer_id",
        direction="backward", tolerance=pd.Timedelta(days=NPS_LOOKBACK_DAYS),
    ).drop(columns=["ticket_created_at"])  # fmt: skip
    found = nearest[nearest["ticket_id"].notna()]
    left_out[f"no ticket in the {NPS_LOOKBACK_DAYS} days before"] = len(loose) - len(found)
    linked = pd.concat([direct, found[direct.columns]], ignore_index=True)
    return linked, left_out


def _asof_ready(frame: pd.DataFrame, time: str) -> pd.DataFrame:
    """Rows with a customer and a time, sorted by time, keys in one type for ``merge_asof``."""
    ready = frame.dropna(subset=["customer_id", time]).copy()
    ready["customer_id"] = ready["customer_id"].astype("string")
    ready[time] = ready[time].astype("datetime64[us]")
    return ready.sort_values(time, kind="stable")
