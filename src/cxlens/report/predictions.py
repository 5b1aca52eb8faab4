"""The report's predictions: lifetime value, churn risk, retention curves, key drivers and
the call list, read from the models once for the page and the workbook.

``read_predictions`` opens the warehouse once, read only, and asks each model for its
part. A part the data cannot support (no orders, too few repeat buyers, no
subscriptions, no survey answers) keeps a short reason instead of a result, so that a
project with tickets only still gets its report, saying which part is missing and why.
Those are the errors a model raises on purpose (``WarehouseError``, ``ModelError``).
Any other error is a fault in a model: it is logged with its traceback and the part
says that it failed, because one broken model must not cost the manager the month's
KPIs. Churn is computed once and handed to the call list, which would otherwise fit it
again.

The report has no budget flag. Its call list is planned with ``report_budget``: what
giving the ``REPORT_CONTACTS`` customers at the top the dearest offer of ``[targets]``
would cost. The planner may spend it on more customers with cheaper offers; the page
shows the first ``REPORT_CONTACTS`` rows and the workbook the whole list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from cxlens.errors import ModelError, WarehouseError
from cxlens.insights.labels import label

if TYPE_CHECKING:
    from cxlens.actions.retention import RetentionTargets
    from cxlens.models.churn import ChurnPrediction
    from cxlens.models.drivers import DriverResult
    from cxlens.models.lifetime import LifetimeValues
    from cxlens.models.survival import RetentionCurves

log = logging.getLogger(__name__)

__all__ = [
    "PARTS",
    "REPORT_CONTACTS",
    "Predictions",
    "call_list_frame",
    "capped_bins",
    "read_predictions",
    "report_budget",
]

PARTS = ("lifetime", "churn", "drivers", "churn_drivers", "survival", "calls")
REPORT_CONTACTS = 20
HISTOGRAM_BINS = 30
# The columns of the call list as a reader sees it; each name is also its label key.
CALL_LIST_COLUMNS = [
    "rank",
    "customer_id",
    "risk_band",
    "p_churn",
    "customer_value",
    "expected_saved_value",
    "action",
    "cost",
    "reasons",
    "next_best_product",
    "because",
]

Result = TypeVar("Result")


@dataclass
class Predictions:
    """What the models say about the warehouse's customers, part by part.

    Each part is the model's own result, or None with a reason in ``missing``: part name
    → label key of the reason (``reason(part, lang)`` gives the sentence). ``budget`` is
    the call list's budget (``report_budget``), ``currency`` the project's.
    """

    currency: str
    lifetime: LifetimeValues | None = None
    churn: ChurnPrediction | None = None
    drivers: DriverResult | None = None
    churn_drivers: DriverResult | None = None
    survival: RetentionCurves | None = None
    calls: RetentionTargets | None = None
    budget: float | None = None
    missing: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    targets_set: bool = False  # [targets] written in cxlens.toml, or the defaults

    def reason(self, part: str, lang: str) -> str:
        """Why ``part`` is missing, as one sentence in ``lang``; empty when it is there."""
        if part not in self.missing:
            return ""
        name = label(f"pred_{part}", lang)
        reason = label(self.missing[part], lang)
        detail = self.details.get(part)
        if detail:  # the model's own words say which check failed
            reason += f"（{detail}）" if lang == "zh" else f" ({detail})"
        return label("cannot_compute", lang, part=name, reason=reason)

    def note_missing(self, part: str, kind: str, error: Exception) -> None:
        """Keep the reason ``part`` cannot be computed (``kind``: data or model) and log it."""
        self.missing[part] = f"reason_{part}_{kind}"
        self.details[part] = str(error).rstrip(".")
        log.warning("report: no %s (%s)", part, error)


def read_predictions(warehouse: Any, settings: Any) -> Predictions:
    """Every part of the predictions section, computed on one read-only connection.

    Parts run in the order of ``PARTS``; a part that cannot be computed keeps a reason
    (see the module docstring) and the others go on.
    """
    from cxlens.models.churn import predict_churn
    from cxlens.models.drivers import churn_service_drivers, service_drivers
    from cxlens.models.lifetime import customer_lifetime_values

    found = Predictions(currency=settings.currency, targets_set="targets" in (settings.raw or {}))
    with warehouse.connect(read_only=True) as con:
        found.lifetime = _attempt(
            found, "lifetime", lambda: customer_lifetime_values(con, settings)
        )
        found.churn = _attempt(found, "churn", lambda: predict_churn(con, settings))
        found.drivers = _attempt(found, "drivers", lambda: service_drivers(con, settings, "csat"))
        if found.churn is None:
            found.missing["churn_drivers"] = "reason_calls_churn"
        else:
            found.churn_drivers = _attempt(
                found, "churn_drivers",
                lambda: churn_service_drivers(con, settings, found.churn),
            )  # fmt: skip
        found.survival = _retention(found, con, settings)
        found.calls = _call_list(found, con, settings)
    log.info("report predictions: %d of %d parts", len(PARTS) - len(found.missing), len(PARTS))
    return found


def _attempt(found: Predictions, part: str, compute: Callable[[], Result]) -> Result | None:
    """``compute()``, or None with the reason kept when the data do not support it."""
    try:
        return compute()
    except WarehouseError as error:
        found.note_missing(part, "data", error)
    except ModelError as error:
        found.note_missing(part, "model", error)
    except Exception:
        # A fault in a model must not cost the manager the month's report: the part
        # says it failed, and the log keeps the traceback for whoever fixes the model.
        found.missing[part] = "reason_failed"
        log.exception("report: the %s model failed", part)
    return None


def _retention(found: Predictions, con: Any, settings: Any) -> RetentionCurves | None:
    """Retention curves by plan where subscriptions carry plans, else by customer segment."""
    from cxlens.models.survival import retention_curves

    try:
        return retention_curves(con, settings, by="plan")
    except WarehouseError as error:
        found.note_missing("survival", "data", error)
        return None
    except ModelError as error:
        log.info("report: retention by segment, not by plan (%s)", error)
    return _attempt(found, "survival", lambda: retention_curves(con, settings, by="segment"))


def _call_list(found: Predictions, con: Any, settings: Any) -> RetentionTargets | None:
    """The call list within ``report_budget``, from the churn risk already computed."""
    from cxlens.actions.retention import retention_targets

    if found.churn is None:
        found.missing["calls"] = "reason_calls_churn"
        return None
    found.budget = report_budget(settings)
    churn = found.churn
    return _attempt(
        found, "calls", lambda: retention_targets(con, settings, found.budget, churn=churn)
    )


def report_budget(settings: Any) -> float:
    """What giving ``REPORT_CONTACTS`` customers the dearest offer of ``[targets]`` costs."""
    from cxlens.actions.retention import settings_actions

    return REPORT_CONTACTS * max(action.cost for action in settings_actions(settings))


def call_list_frame(calls: RetentionTargets, lang: str) -> pd.DataFrame:
    """The call list as the page and the workbook show it, best first.

    Columns are ``CALL_LIST_COLUMNS`` (each also a label key); the risk band is a word
    in ``lang``; ``customer_value`` is the value the list was planned with.
    """
    rows = calls.calls.rows.sort_values("rank", kind="stable")
    bands = {band: label(f"risk_{band}", lang) for band in ("high", "medium", "low")}
    readable = rows.assign(
        risk_band=rows["risk_band"].map(bands).astype(object),
        customer_value=rows["value"],
    )
    return readable[CALL_LIST_COLUMNS].reset_index(drop=True)


def capped_bins(values: pd.Series, bins: int = HISTOGRAM_BINS) -> pd.DataFrame:
    """Equal-width bins from the smallest value to the 99th percentile, for a histogram.

    Values above the 99th percentile fall in the last bin (``overflow`` true), so a few
    very valuable customers do not squeeze everyone else into one bar. Columns:
    bin_start, bin_end, customers, overflow. Missing values are left out.
    """
    known = values.dropna().to_numpy(float)
    if known.size == 0:
        return pd.DataFrame(columns=["bin_start", "bin_end", "customers", "overflow"])
    low, cap = float(known.min()), float(np.percentile(known, 99))
    width = max(cap - low, 1e-9) / bins
    inside = np.minimum(np.floor((known - low) / width), bins - 1)
    index = np.where(known <= cap, inside, bins).astype(int)
    counts = np.bincount(index, minlength=bins + 1)
    kept = np.flatnonzero(counts[:bins]).tolist() + ([bins] if counts[bins] else [])
    starts = low + np.array(kept) * width
    return pd.DataFrame(
        {
            "bin_start": starts,
            "bin_end": starts + width,
            "customers": counts[kept].astype(int),
            "overflow": np.array(kept) >= bins,
        }
    )
