"""Churn risk: who is likely to leave in the next ``[churn] window_days``, how sure we
are, and why.

Churn is defined as the ``churn_rate`` KPI defines it (``metrics.customers``):
contractual where subscriptions exist (lost when the last subscription ends), else
non-contractual from orders (lost ``window_days`` after the last non-cancelled order).
Each customer's churn day is computed once, on the data up to ``until``; a customer is
*active* on day c when they started by c and had not churned by c.

Validation, chosen from the data (W = window_days):

- **time split** when both windows hold at least ``MIN_CHURNED`` churned and retained
  customers: train on features as of c1 = until − 2W with labels "churned in
  (c1, c1 + W]", validate on features as of c2 = until − W with labels "churned in
  (c2, until]". This is the honest test of a forecast: the model only ever sees the
  past. Spread is a bootstrap 95 % interval over the validation customers.
- **stratified K-fold** on one snapshot otherwise (e.g. IBM Telco, whose churn all falls
  on the snapshot day). Contractual: features as of ``until`` for the customers active
  at until − W or joined since, label "churned by until" (features never read end
  dates, so the label stays hidden). Non-contractual: features as of until − W for
  the customers active then, label "churned in (until − W, until]", because "no order
  for W days" read on the same day as the features would be the recency feature
  itself. Spread is the fold mean ± sd and min/max.

The final model is fitted on the latest labelled snapshot (c2, or the CV snapshot) and
scores the customers active at ``until`` with features as of ``until``: P(churn within
the next W days).

The model is scikit-learn's HistGradientBoostingClassifier (native categorical
support, missing values allowed) inside CalibratedClassifierCV with Platt's sigmoid:
churn windows hold tens to a few hundred churned customers, where isotonic regression
(a step function with a free level per step) overfits, and boosted trees' scores are
distorted in the S-shape a sigmoid corrects (Niculescu-Mizil & Caruana 2005).

Reasons are found by occlusion: for each feature, the customer's value is replaced by
the typical value (a number by its median; a category by each of its levels in turn,
averaged by how common each is) and the drop in predicted risk is that feature's push.
It needs a few batched predictions per feature, explains the
calibrated probability the manager sees, works with categorical features as they are,
and needs no SHAP dependency (a large compiled package for an answer this simple).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cxlens.errors import ModelError, WarehouseError
from cxlens.models.dates import as_day, data_end
from cxlens.models.features import customer_features, describe_values, label_of
from cxlens.models.plain import finite, plain
from cxlens.store import has_table, table_columns

if TYPE_CHECKING:
    import duckdb
    import numpy as np
    import pandas as pd

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["ChurnModel", "ChurnPrediction", "predict_churn", "risk_scores"]

# Fewer churned (or retained) customers than this in a window and its AUC is noise.
MIN_CHURNED = 30
# A reason must raise the customer's risk by at least one percentage point.
MIN_PUSH = 0.01
TOP_REASONS = 3
BOOTSTRAP_SAMPLES = 200
IMPORTANCE_REPEATS = 3
# Customers scored per batch of occlusion predictions (rows = customers × occlusions).
REASON_BATCH = 5_000
# A category's typical risk averages over at most this many of its commonest levels.
REFERENCE_LEVELS = 10
# The booster's bins hold at most 255 values, one of them kept for missing ones.
MAX_LEVELS = 254
SINGLE_THREAD_ROWS = 200_000
METRICS = ("roc_auc", "pr_auc", "brier", "top_decile_lift")


class ChurnModel:
    """Gradient boosting with calibrated probabilities of churn within ``window_days``.

    Parameters
    ----------
    window_days : the churn window W the labels were built with (kept for the summary).
    folds : folds of the stratified cross-validation (``cross_validate``).
    random_state : seed of the folds, the boosting and the permutations.

    Attributes
    ----------
    columns_ : feature columns used (constant columns are left out).
    categories_ : levels of each categorical column, as learned.
    typical_ : each column's typical value (median, or most common level): the
        reference of the reasons.
    model_ : the fitted CalibratedClassifierCV.
    base_rate_, n_ : share churned and number of customers in the training data.
    """

    def __init__(self, window_days: int = 90, folds: int = 5, random_state: int = 0) -> None:
        self.window_days = window_days
        self.folds = folds
        self.random_state = random_state

    def fit(self, features: pd.DataFrame, churned: pd.Series | np.ndarray) -> ChurnModel:
        """Learn P(churn) from one row of features per customer and a 0/1 label."""
        import numpy as np
        import pandas as pd
        from sklearn.calibration import CalibratedClassifierCV

        y = np.asarray(churned, dtype=int)
        _check_labels(y)
        self._learn_columns(features)
        X = self._prepare(features)

        self.model_ = CalibratedClassifierCV(
            self._booster(), method="sigmoid", cv=3, ensemble=False
        )
        with _threads(len(X)):
            self.model_.fit(X, y)
        self.base_rate_ = float(y.mean())
        self.n_ = len(y)
        self.level_rates_ = {
            column: pd.Series(y, index=features.index).groupby(
                features[column].astype(object), dropna=True
            ).mean()
            for column in self.categories_
        }  # fmt: skip
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated P(churn within the window), one per row of ``features``."""
        self._check_fitted()
        with _threads(len(features)):
            return self.model_.predict_proba(self._prepare(features))[:, 1]

    def reasons(
        self, features: pd.DataFrame, language: str = "en", top: int = TOP_REASONS
    ) -> pd.DataFrame:
        """Each customer's top features pushing risk up, as sentences with the typical
        value beside them ("3 reopened tickets (typical: 0)").

        Returns ``reason_1`` … ``reason_<top>`` (missing where fewer features push by
        at least ``MIN_PUSH``), indexed like ``features``.
        """
        import numpy as np
        import pandas as pd

        self._check_fitted()
        X = self._prepare(features)
        pushes = np.vstack(
            [np.zeros((0, len(self.columns_)))]
            + [self._pushes(X[i : i + REASON_BATCH]) for i in range(0, len(X), REASON_BATCH)]
        )
        pushes = self._only_riskier_levels(features, pushes)
        order = np.argsort(-pushes, axis=1, kind="stable")[:, :top]
        strength = np.take_along_axis(pushes, order, axis=1)

        out = pd.DataFrame(index=features.index)
        for rank in range(top):
            chosen = order[:, rank] if rank < order.shape[1] else np.zeros(len(X), dtype=int)
            keep = strength[:, rank] >= MIN_PUSH if rank < order.shape[1] else chosen < 0
            out[f"reason_{rank + 1}"] = self._sentences(features, chosen, keep, language)
        return out

    def cross_validate(
        self, features: pd.DataFrame, churned: pd.Series | np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.DataFrame]:
        """Stratified K-fold: metrics per fold, each row's fold, its out-of-fold P(churn),
        and permutation importances on the held-out folds (mean and sd over folds).

        The folds are ``StratifiedKFold(folds, shuffle=True, random_state)`` over the rows
        in the order given.
        """
        import numpy as np
        import pandas as pd
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray(churned, dtype=int)
        splitter = StratifiedKFold(self.folds, shuffle=True, random_state=self.random_state)
        fold_of, held_out = np.empty(len(y), dtype=int), np.empty(len(y))
        scores, importances = [], []
        for fold, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
            fold_of[test] = fold
            model = ChurnModel(self.window_days, self.folds, self.random_state)
            model.fit(features.iloc[train], y[train])
            held_out[test] = model.predict_proba(features.iloc[test])
            scores.append(risk_scores(y[test], held_out[test]))
            importances.append(model.importances(features.iloc[test], y[test])["importance"])
        table = pd.concat(importances, axis=1)
        summary = pd.DataFrame({"importance": table.mean(axis=1), "sd": table.std(axis=1)})
        importance = summary.sort_values("importance", ascending=False)
        return pd.DataFrame(scores), fold_of, held_out, importance

    def importances(self, features: pd.DataFrame, churned: pd.Series | np.ndarray) -> pd.DataFrame:
        """Permutation importance on held-out data: the drop in ROC AUC when a feature's
        values are shuffled (mean and sd over ``IMPORTANCE_REPEATS`` shuffles).

        Written here rather than with ``sklearn.inspection.permutation_importance``: that
        predicts once per feature and shuffle, and the booster's per-call cost made it
        29 s of a 47 s Telco run; stacking every shuffled copy into one prediction gives
        the same numbers (same permutations of each column) in a fraction of the time.
        """
        import numpy as np
        import pandas as pd
        from sklearn.metrics import roc_auc_score

        self._check_fitted()
        X, y = self._prepare(features), np.asarray(churned, dtype=int)
        n, k = X.shape
        rng = np.random.default_rng(self.random_state)
        stacked = np.tile(X, (k * IMPORTANCE_REPEATS, 1))
        for block in range(k * IMPORTANCE_REPEATS):
            column = block // IMPORTANCE_REPEATS
            stacked[block * n : (block + 1) * n, column] = X[rng.permutation(n), column]
        with _threads(len(stacked)):
            baseline = roc_auc_score(y, self.model_.predict_proba(X)[:, 1])
            shuffled = self.model_.predict_proba(stacked)[:, 1].reshape(k, IMPORTANCE_REPEATS, n)
        drops = baseline - np.array([[roc_auc_score(y, p) for p in rows] for rows in shuffled])
        frame = pd.DataFrame(
            {"importance": drops.mean(axis=1), "sd": drops.std(axis=1)},
            index=pd.Index(self.columns_, name="feature"),
        )
        return frame.sort_values("importance", ascending=False)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per feature used: its kind and typical value (the reasons' reference)."""
        import pandas as pd

        self._check_fitted()
        return pd.DataFrame(
            {
                "kind": ["category" if c in self.categories_ else "numeric" for c in self.columns_],
                "typical": [self.typical_[c] for c in self.columns_],
            },
            index=pd.Index(self.columns_, name="feature"),
        )

    def _booster(self):
        """Shallow trees, a slow learning rate and L2: churn windows are small and noisy."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=200,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            categorical_features=[c in self.categories_ for c in self.columns_],
            early_stopping=False,
            random_state=self.random_state,
        )

    def _learn_columns(self, features: pd.DataFrame) -> None:
        """Columns with more than one value, their levels and typical values."""
        import numpy as np

        self.columns_, self.categories_, self.typical_ = [], {}, {}
        self.level_shares_ = {}
        for column in features.columns:
            values = features[column]
            if values.nunique(dropna=True) < 2:
                continue
            self.columns_.append(column)
            if _is_number(values):
                self.typical_[column] = float(values.astype(float).median())
                continue
            levels = values.astype(object).dropna()
            self.categories_[column] = sorted(levels.unique(), key=str)
            self.typical_[column] = levels.mode().iloc[0]
            self.level_shares_[column] = levels.value_counts(normalize=True)
            if len(self.categories_[column]) > MAX_LEVELS:
                raise ModelError(
                    f"{column} has {len(self.categories_[column])} levels, more than the "
                    f"{MAX_LEVELS} the model takes; pool rare levels (customer_features does)"
                )
        if not self.columns_:
            raise ModelError(
                "every feature has the same value for all customers; churn risk needs "
                "tickets, orders, subscriptions or customer attributes that differ"
            )
        typical = {c: [self.typical_[c]] for c in self.columns_}
        self.reference_ = self._prepare(_frame(typical))[0].astype(np.float64)

    def _prepare(self, features: pd.DataFrame) -> np.ndarray:
        """The learned columns as a float matrix: numbers as they are, categories as codes
        of the learned levels (an unseen level becomes missing).

        Coding categories here, once, rather than handing pandas categoricals to the
        booster, keeps repeated predictions (reasons, permutation importance) cheap.
        """
        import numpy as np
        import pandas as pd

        missing = [c for c in self.columns_ if c not in features.columns]
        if missing:
            raise ModelError(
                f"features lack the columns {missing} the model was fitted with; compute "
                "them with customer_features on the same warehouse"
            )
        X = np.empty((len(features), len(self.columns_)))
        for j, column in enumerate(self.columns_):
            values = features[column]
            if column in self.categories_:
                codes = pd.Categorical(values.astype(object), self.categories_[column]).codes
                X[:, j] = np.where(codes < 0, np.nan, codes)
            else:
                X[:, j] = values.astype(float).to_numpy()
        return X

    def _pushes(self, X: np.ndarray) -> np.ndarray:
        """Risk minus risk with one feature made typical: customers × features.

        A number is set to its median. A category is averaged over its levels, weighted
        by how common each is (up to ``REFERENCE_LEVELS`` levels): setting it to its most
        common level would never name that level as a reason, though "monthly plan" is
        exactly what a manager needs to hear when most plans are monthly and they leave
        most.
        """
        import numpy as np

        n, k = X.shape
        settings = self._occlusions()
        stacked = np.tile(X, (len(settings), 1))
        for block, (j, value, _) in enumerate(settings):
            stacked[block * n : (block + 1) * n, j] = value
        with _threads(len(stacked)):
            risk = self.model_.predict_proba(X)[:, 1]
            occluded = self.model_.predict_proba(stacked)[:, 1].reshape(len(settings), n)
        typical = np.zeros((n, k))
        for block, (j, _, weight) in enumerate(settings):
            typical[:, j] += weight * occluded[block]
        return risk[:, None] - typical

    def _only_riskier_levels(self, features: pd.DataFrame, pushes: np.ndarray) -> np.ndarray:
        """No category level as a reason where customers at that level left less often
        than the base rate: inside the model a level can push one customer's risk up
        (an interaction), but "DeviceProtection: Yes" named as a risk while Yes customers
        leave less than most reads as a contradiction, and a manager cannot act on it."""

        pushes = pushes.copy()
        for j, column in enumerate(self.columns_):
            if column not in self.categories_:
                continue
            rates = self.level_rates_.get(column)
            if rates is None:
                continue
            level_rate = features[column].astype(object).map(rates).to_numpy(float)
            pushes[~(level_rate > self.base_rate_), j] = 0.0
        return pushes

    def _occlusions(self) -> list[tuple[int, float, float]]:
        """(column, value, weight) of every prediction the pushes need."""
        out = []
        for j, column in enumerate(self.columns_):
            if column not in self.categories_:
                out.append((j, float(self.reference_[j]), 1.0))
                continue
            shares = self.level_shares_[column].head(REFERENCE_LEVELS)
            shares = shares / shares.sum()
            codes = {level: code for code, level in enumerate(self.categories_[column])}
            out += [(j, float(codes[level]), float(w)) for level, w in shares.items()]
        return out

    def _sentences(
        self, features: pd.DataFrame, chosen: np.ndarray, keep: np.ndarray, language: str
    ) -> pd.Series:
        """The reason text of feature ``chosen[i]`` for customer i where ``keep[i]``."""
        import pandas as pd

        text = pd.Series(None, index=features.index, dtype=object)
        for j in sorted(set(chosen[keep].tolist())):
            column = self.columns_[j]
            rows = keep & (chosen == j)
            kind = "category" if column in self.categories_ else "number"
            values = features.loc[rows, column]
            values = values.astype(object) if kind == "category" else values.astype(float)
            phrase = describe_values(column, values, language, kind)
            if kind == "category":
                named = label_of(column, kind)
                text[rows] = phrase + (
                    f"（流失风险高于{named.zh}的平均水平）"
                    if language == "zh"
                    else f" (riskier than the average {_lower_label(column, named.en)})"
                )
                continue
            typical = describe_typical(column, self.typical_[column], language, kind)
            if language == "zh":
                text[rows] = phrase + f"（通常：{typical}）"
            else:
                text[rows] = phrase + f" (typical: {typical})"
        return text

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ModelError("the churn model is not fitted yet; call fit(features, churned)")


def _lower_label(column: str, text: str) -> str:
    """A built-in label in running text ("plan"); an export's own column name as written."""
    return text if "." in column else text.lower()


def _threads(rows: int):
    """OpenMP threads for the booster: one below ``SINGLE_THREAD_ROWS`` rows.

    Measured on a 2-core machine with 1,700 customers and 200 trees: fitting took 1.6 s
    with both cores and 0.2 s with one, predicting 60 ms and 15 ms; thread start-up
    costs more than small batches gain.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1 if rows < SINGLE_THREAD_ROWS else None, user_api="openmp")


def describe_typical(column: str, typical: Any, language: str, kind: str) -> str:
    """The typical value alone, written as the feature's values are ("48", "Two year")."""
    import pandas as pd

    from cxlens.models.features import format_values

    values = pd.Series([typical], dtype=object if kind == "category" else float)
    named = label_of(column, kind)
    text = str(format_values(values, named.kind, language).iloc[0])
    if named.kind == "days":  # the phrase carries the unit ("… 39 days ago"), the value not
        text += " 天" if language == "zh" else " days"
    return text


def _is_number(values: pd.Series) -> bool:
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype):
        return False
    return pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def _frame(columns: dict[str, list]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in columns.items()})


def _check_labels(y: np.ndarray) -> None:
    churned = int(y.sum())
    if churned == 0 or churned == len(y):
        raise ModelError(
            f"{churned} of {len(y)} customers churned; the model needs both churned and "
            "retained customers. Choose a later --until or a longer [churn] window_days"
        )


def risk_scores(churned: np.ndarray, p_churn: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), Brier score and the lift of the top decile
    (churn rate among the 10 % highest-risk customers ÷ the overall churn rate)."""
    import numpy as np
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(churned, dtype=int)
    p = np.asarray(p_churn, dtype=float)
    top = np.argsort(-p, kind="stable")[: max(1, math.ceil(len(p) / 10))]
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "top_decile_lift": float(y[top].mean() / y.mean()),
    }


def bootstrap_intervals(
    churned: np.ndarray, p_churn: np.ndarray, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """Percentile 95 % intervals of ``risk_scores`` over customers resampled with
    replacement (resamples with one class only are skipped)."""
    import numpy as np

    y, p = np.asarray(churned, dtype=int), np.asarray(p_churn, dtype=float)
    draws = np.random.default_rng(seed).integers(0, len(y), size=(samples, len(y)))
    scores = [risk_scores(y[i], p[i]) for i in draws if 0 < y[i].sum() < len(i)]
    low = {m: float(np.percentile([s[m] for s in scores], 2.5)) for m in METRICS}
    high = {m: float(np.percentile([s[m] for s in scores], 97.5)) for m in METRICS}
    return {m: (low[m], high[m]) for m in METRICS}


@dataclass
class ChurnPrediction:
    """Risk per active customer, and how well the model did on data it had not seen.

    ``customers``: customer_id, p_churn (calibrated, within ``window_days``), risk_band
    and reason_1..3, highest risk first. ``validation``: the method, dates, n, base
    rate and metrics with their spread (see ``to_json``). ``importances``: permutation
    importance per feature on the validation data. ``holdout``: the validation customers
    with their label and the P(churn) the model gave them before seeing it (customer_id,
    churned, p_churn, and ``fold`` under cross-validation).
    """

    customers: pd.DataFrame
    validation: dict[str, Any]
    importances: pd.DataFrame
    model: ChurnModel
    bands: dict[str, float]
    holdout: pd.DataFrame = field(repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per validation metric: value, spread and the method that measured it."""
        import pandas as pd

        rows = []
        for metric, figures in self.validation["metrics"].items():
            rows.append({"metric": metric, **{k: v for k, v in figures.items() if k != "folds"}})
        frame = pd.DataFrame(rows).set_index("metric")
        frame["method"] = self.validation["method"]
        frame["n"] = self.validation["n"]["validation"]
        return frame

    def to_json(self) -> dict[str, Any]:
        """The validation, bands and importances as plain JSON-ready values."""
        labels = {c: label_of(c).en for c in self.importances.index}
        return {
            **plain(self.validation),
            "calibration": "sigmoid",
            "risk_bands": plain(self.bands),
            "feature_importances": [
                {
                    "feature": c,
                    "label": labels[c],
                    "importance": finite(r.importance),
                    "sd": finite(r.sd),
                }
                for c, r in self.importances.iterrows()
            ],  # fmt: skip
            "customers_scored": len(self.customers),
            "top_risk": int((self.customers["risk_band"] == "high").sum()),
        }


def predict_churn(
    con: duckdb.DuckDBPyConnection, settings: Settings, until: date | str | None = None
) -> ChurnPrediction:
    """Validate a churn model on the warehouse, fit it on the latest labelled snapshot
    and score every customer active at ``until`` (default: the data's last day).

    Raises a WarehouseError without subscriptions or orders, and a ModelError when too
    few customers churned (or stayed) to validate (``MIN_CHURNED`` of each).
    """
    window = int((settings.churn or {}).get("window_days", 90))
    kind = _churn_kind(con)
    end = as_day(until) if until is not None else data_end(con)
    lifetimes = _lifetimes(con, kind, end, window)
    language = settings.language

    model = ChurnModel(window_days=window)
    snapshots = _time_split(lifetimes, end, window)
    if snapshots is not None:
        validation, importances, final, holdout = _validate_by_time(
            con, settings, model, snapshots, kind, end, window
        )
    else:
        validation, importances, final, holdout = _validate_by_folds(
            con, settings, model, lifetimes, kind, end, window
        )

    validation["warnings"] = _leakage_warnings(validation, importances)
    validation["top_features"] = [str(c) for c in importances.index[:3]]
    known = None
    if validation["method"] == "stratified_cv" and kind == "contractual":
        # The customers scored at the snapshot are the ones the model learnt "stayed"
        # from: each keeps the probability of the fold that did not see it.
        known = holdout.set_index("customer_id")["p_churn"]
        validation["scores"] = "out_of_fold"
    else:
        validation["scores"] = "forecast"
    customers, bands = _score(con, settings, final, lifetimes, end, language, known)
    log.info(
        "churn risk of %d customers at %s (%s, ROC AUC %.3f)",
        len(customers), end, validation["method"],
        validation["metrics"]["roc_auc"]["value"],
    )  # fmt: skip
    return ChurnPrediction(customers, validation, importances, final, bands, holdout)


def _churn_kind(con: duckdb.DuckDBPyConnection) -> str:
    """Contractual where subscriptions hold start dates, else non-contractual from orders."""
    if has_table(con, "subscriptions"):
        row = con.execute("SELECT count(started_at_local) FROM subscriptions").fetchone()
        if row and row[0]:
            return "contractual"
    if has_table(con, "orders") and "ordered_at_local" in table_columns(con, "orders"):
        return "non_contractual"
    raise WarehouseError(
        "churn needs subscriptions (contractual) or orders (non-contractual); import one "
        "of them with `cxlens import FILE --table subscriptions` (or orders)"
    )


def _lifetimes(con: duckdb.DuckDBPyConnection, kind: str, end: date, window: int) -> pd.DataFrame:
    """Per customer: first active day and churn day (or missing), on the data up to ``end``,
    by the churn_rate KPI's definitions."""
    cutoff = datetime.combine(end + timedelta(days=1), datetime.min.time())
    if kind == "contractual":
        sql = """
            SELECT customer_id, min(started_at_local)::DATE AS active_from,
                CASE WHEN count(*) FILTER (WHERE ended_at_local IS NULL OR ended_at_local >= $cutoff) = 0
                    THEN max(ended_at_local)::DATE END AS churned_on
            FROM subscriptions
            WHERE started_at_local < $cutoff AND customer_id IS NOT NULL
            GROUP BY customer_id"""
    else:
        status = (
            "coalesce(status, 'completed')"
            if "status" in table_columns(con, "orders")
            else "'completed'"
        )
        sql = f"""
            SELECT customer_id, min(ordered_at_local)::DATE AS active_from,
                CASE WHEN max(ordered_at_local) + INTERVAL {window} DAY < $cutoff
                    THEN (max(ordered_at_local) + INTERVAL {window} DAY)::DATE END AS churned_on
            FROM orders
            WHERE ordered_at_local < $cutoff AND customer_id IS NOT NULL AND {status} <> 'cancelled'
            GROUP BY customer_id"""
    frame = con.execute(sql, {"cutoff": cutoff}).df()
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.set_index("customer_id").sort_index()


def _active_on(lifetimes: pd.DataFrame, day: date) -> pd.Series:
    """Customers who had started by ``day`` and not churned by it."""
    import pandas as pd

    on = pd.Timestamp(day)
    churned = pd.to_datetime(lifetimes["churned_on"])
    return (pd.to_datetime(lifetimes["active_from"]) <= on) & ~(churned <= on)


def _churned_by(lifetimes: pd.DataFrame, day: date) -> pd.Series:
    import pandas as pd

    return (pd.to_datetime(lifetimes["churned_on"]) <= pd.Timestamp(day)).astype(int)


def _time_split(lifetimes: pd.DataFrame, end: date, window: int) -> dict | None:
    """The training and validation snapshots, or None when either window has fewer than
    ``MIN_CHURNED`` churned or retained customers."""
    c2 = end - timedelta(days=window)
    c1 = c2 - timedelta(days=window)
    snapshots = {}
    for name, (start, stop) in {"train": (c1, c2), "validation": (c2, end)}.items():
        active = _active_on(lifetimes, start)
        labels = _churned_by(lifetimes[active], stop)
        churned, retained = int(labels.sum()), int(len(labels) - labels.sum())
        log.debug(
            "%s window (%s, %s]: %d churned, %d retained", name, start, stop, churned, retained
        )
        if min(churned, retained) < MIN_CHURNED:
            return None
        snapshots[name] = (start, stop, labels)
    return snapshots


def _validate_by_time(con, settings, model, snapshots, kind, end, window):
    """Fit on the c1 snapshot, measure on c2 with bootstrap intervals, refit on c2."""
    import pandas as pd

    (c1, c2, train_labels), (_, _, val_labels) = snapshots["train"], snapshots["validation"]
    train = customer_features(con, settings, c1).loc[train_labels.index]
    valid = customer_features(con, settings, c2).loc[val_labels.index]

    fitted = ChurnModel(window, model.folds, model.random_state).fit(train, train_labels)
    p = fitted.predict_proba(valid)
    point = risk_scores(val_labels.to_numpy(), p)
    intervals = bootstrap_intervals(val_labels.to_numpy(), p, seed=model.random_state)
    metrics = {
        m: {"value": point[m], "low": intervals[m][0], "high": intervals[m][1]} for m in METRICS
    }
    importances = fitted.importances(valid, val_labels)

    final = ChurnModel(window, model.folds, model.random_state).fit(valid, val_labels)
    validation = {
        "method": "time_split",
        "kind": kind,
        "window_days": window,
        "as_of": {
            "train_features": c1,
            "train_labels_until": c2,
            "validation_features": c2,
            "validation_labels_until": end,
            "scored": end,
        },  # fmt: skip
        "n": {"train": len(train_labels), "validation": len(val_labels)},
        "churned": {"train": int(train_labels.sum()), "validation": int(val_labels.sum())},
        "base_rate": float(val_labels.mean()),
        "metrics": metrics,
        "calibration_check": {
            "mean_predicted": float(p.mean()),
            "observed": float(val_labels.mean()),
        },
        "rule": f"time split: both windows hold at least {MIN_CHURNED} churned and retained",
    }
    holdout = pd.DataFrame({"churned": val_labels, "p_churn": p}, index=val_labels.index)
    return validation, importances, final, holdout.rename_axis("customer_id").reset_index()


# Above this ROC AUC, churn data usually holds a column that records the outcome itself.
SUSPICIOUS_AUC = 0.90


def _leakage_warnings(validation: dict, importances: pd.DataFrame) -> list[str]:
    """A warning when the model predicts held-out churn too well to be believed."""
    auc = validation["metrics"]["roc_auc"]["value"]
    if auc <= SUSPICIOUS_AUC:
        return []
    suspects = _leak_suspects(importances)
    validation["leak_suspects"] = suspects
    named = ", ".join(suspects) if suspects else ", ".join(map(str, importances.index[:3]))
    message = (
        f"ROC AUC {auc:.2f} is above {SUSPICIOUS_AUC:.2f}: churn data this predictable "
        f"usually holds a column recorded at or after the churn. Check {named}; if one "
        "records the outcome, list it in [churn] exclude"
    )
    log.warning(message)
    return [message]


def _few_repeat_buyers(con: duckdb.DuckDBPyConnection) -> str:
    """Why no customer stays, where churn is read from orders: most never buy again."""
    repeat, buyers = con.execute(
        "SELECT count(*) FILTER (WHERE days > 1), count(*) FROM (SELECT customer_id, "
        "count(DISTINCT CAST(ordered_at_local AS DATE)) AS days FROM orders "
        "WHERE customer_id IS NOT NULL AND coalesce(status, 'completed') <> 'cancelled' "
        "GROUP BY customer_id)"
    ).fetchone()
    return (
        f"Churn here is read from orders, and only {repeat:,} of {buyers:,} buyers ever ordered "
        "on a second day: almost everyone counts as lost once the window passes, so there is "
        "nothing to tell apart. Churn risk needs repeat buyers or subscriptions."
    )


def _leak_suspects(importances: pd.DataFrame) -> list[str]:
    """The export's own columns among the three most important features.

    cxlens's features (tenure, plan, tickets, …) are computed from records up to the
    snapshot day and cannot carry the outcome; an export's column can (a count taken at
    export time, a status), so only those are named as suspects.
    """
    return [str(c) for c in importances.index[:3] if "." in str(c)]


def _where_churn_happened(lifetimes, end: date) -> str:
    """Advice for a window without churn: the day churn last happened, if any did."""
    import pandas as pd

    churned_on = pd.to_datetime(lifetimes["churned_on"]).dropna()
    churned_on = churned_on[churned_on <= pd.Timestamp(end)]
    if churned_on.empty:
        return "No customer has churned in the data yet; import more history."
    last = churned_on.max().date()
    return (
        f"The latest churn in the data is on {last}: try --until {last} (a project that "
        "mixes exports of different years ends at the latest of them), or lengthen "
        "[churn] window_days."
    )


def _validate_by_folds(con, settings, model, lifetimes, kind, end, window):
    """Stratified K-fold on one snapshot (see the module docstring for its dates)."""
    import pandas as pd

    start = end - timedelta(days=window)
    if kind == "contractual":
        features_on = end
        churned_on = pd.to_datetime(lifetimes["churned_on"])
        population = (pd.to_datetime(lifetimes["active_from"]) <= pd.Timestamp(end)) & ~(
            churned_on <= pd.Timestamp(start)
        )
    else:
        features_on = start
        population = _active_on(lifetimes, start)
    labels = _churned_by(lifetimes[population], end)
    churned, retained = int(labels.sum()), int(len(labels) - labels.sum())
    if min(churned, retained) < MIN_CHURNED:
        raise ModelError(
            f"{churned} customers churned and {retained} stayed in the {window} days to "
            f"{end}; validating a churn model needs at least {MIN_CHURNED} of each. "
            + (
                _few_repeat_buyers(con)
                if kind != "contractual" and retained < MIN_CHURNED
                else _where_churn_happened(lifetimes, end)
            )
        )

    features = customer_features(con, settings, features_on).loc[labels.index]
    scores, fold_of, held_out, importances = model.cross_validate(features, labels)
    metrics = {
        m: {
            "value": float(scores[m].mean()), "sd": float(scores[m].std()),
            "min": float(scores[m].min()), "max": float(scores[m].max()),
            "folds": [float(v) for v in scores[m]],
        }
        for m in METRICS
    }  # fmt: skip
    final = ChurnModel(window, model.folds, model.random_state).fit(features, labels)
    validation = {
        "method": "stratified_cv",
        "kind": kind,
        "window_days": window,
        "folds": model.folds,
        "as_of": {"features": features_on, "labels_until": end, "scored": end},
        "n": {"train": len(labels), "validation": len(labels)},
        "churned": {"validation": churned},
        "base_rate": float(labels.mean()),
        "metrics": metrics,
        "calibration_check": {
            "mean_predicted": float(held_out.mean()),
            "observed": float(labels.mean()),
        },
        "rule": (
            f"stratified {model.folds}-fold: a time split needs at least {MIN_CHURNED} "
            f"churned and retained customers in both windows before {end}"
        ),
    }
    holdout = pd.DataFrame(
        {"fold": fold_of, "churned": labels.to_numpy(), "p_churn": held_out}, index=labels.index
    )
    return validation, importances, final, holdout.rename_axis("customer_id").reset_index()


def _score(con, settings, model: ChurnModel, lifetimes, end: date, language: str, known=None):
    """P(churn), band and reasons of every customer active at ``end``, highest risk first.

    ``known`` holds out-of-fold probabilities for customers the model was fitted on (a
    one-snapshot validation); they replace the fitted ones, which would be the model
    recalling its own training labels. Bands: high from twice the base rate (at most
    50 %), medium from the base rate, low below it, so "high" always means well above
    what is usual for this business.
    """
    import numpy as np
    import pandas as pd

    active = lifetimes.index[_active_on(lifetimes, end)]
    features = customer_features(con, settings, end).loc[active]
    p = model.predict_proba(features) if len(features) else np.zeros(0)
    if known is not None and len(features):
        held = known.reindex(features.index).to_numpy(float)
        p = np.where(np.isnan(held), p, held)
    high = min(2 * model.base_rate_, 0.5)
    medium = min(model.base_rate_, high)
    band = np.where(p >= high, "high", np.where(p >= medium, "medium", "low"))

    customers = pd.DataFrame({"p_churn": p, "risk_band": band}, index=features.index)
    customers = customers.join(model.reasons(features, language))
    customers = customers.rename_axis("customer_id").reset_index()
    customers = customers.sort_values(["p_churn", "customer_id"], ascending=[False, True])
    return customers.reset_index(drop=True), {"high": high, "medium": medium}
