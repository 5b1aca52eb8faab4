"""The retention call list of ``cxlens targets``: churn risk × value, within a budget.

Each customer active at the observation end gets, from the models:

- ``p_churn``: the calibrated probability of leaving within ``[churn] window_days``, and
  the reasons that pushed it up (``models.churn``);
- ``value``: what keeping them is worth over ``[clv] horizon_months``, discounted at
  ``[clv] annual_discount_rate``. Where churn is contractual (subscriptions), that is the
  subscription's monthly revenue over the months the customer is expected to stay if kept
  now: month m counts with the plan's Kaplan–Meier retention from their current tenure,
  S(tenure + m) / S(tenure) (``models.survival``; beyond the longest observed tenure the
  curve is held at its last value). Where churn is non-contractual (orders), it is the
  BG/NBD × Gamma-Gamma lifetime value (``models.lifetime``);
- a next-best product from order-line co-occurrence (``actions.recommend``), where
  order lines are loaded.

The actions come from ``[targets]``: one (``action``, ``cost_per_action``, ``save_rate``)
or several (``[[targets.actions]]``), and ``actions.targets.plan_call_list`` chooses whom
to contact with which offer so that the expected saved value is the largest the budget
allows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlens.actions.targets import Action, CallList, plan_call_list
from cxlens.errors import ModelError
from cxlens.models.lifetime import DAYS_PER_MONTH
from cxlens.store import has_table

if TYPE_CHECKING:
    import duckdb

    from cxlens.models.churn import ChurnPrediction
    from cxlens.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class RetentionTargets:
    """The call list with what it was built from."""

    calls: CallList
    churn: ChurnPrediction
    value_basis: str  # "subscriptions" or "orders"
    actions: list[Action]
    customers: pd.DataFrame  # every scored customer: p_churn, value, reasons

    def to_json(self) -> dict[str, Any]:
        """The plan, its actions and how the values were made, as plain JSON values."""
        return {
            "value_basis": self.value_basis,
            "actions": [vars(action) for action in self.actions],
            "customers_scored": len(self.customers),
            "customers_valued": int(self.customers["value"].notna().sum()),
            "churn_validation": {
                "method": self.churn.validation["method"],
                "roc_auc": self.churn.validation["metrics"]["roc_auc"],
            },
            **self.calls.to_json(),
        }


def settings_actions(settings: Settings) -> list[Action]:
    """The actions of ``[targets]``: the listed ones, else the single default action."""
    targets = settings.targets
    listed = targets.get("actions") or []
    if listed:
        return [Action(a["name"], float(a["cost"]), float(a["save_rate"])) for a in listed]
    return [
        Action(
            str(targets.get("action", "call")),
            float(targets.get("cost_per_action", 20.0)),
            float(targets.get("save_rate", 0.2)),
        )
    ]


def retention_targets(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    budget: float,
    until: date | str | None = None,
    churn: ChurnPrediction | None = None,
) -> RetentionTargets:
    """Score, value and choose: the call list for ``budget`` in the project's currency.

    ``churn`` may be passed when it was already computed (the report does); otherwise it
    is fitted here. Raises a ModelError when no customer can be valued.
    """
    from cxlens.actions.recommend import next_best_products
    from cxlens.models.churn import predict_churn

    if churn is None:
        churn = predict_churn(con, settings, until=until)
    scored = churn.validation["as_of"]["scored"]
    end = scored if isinstance(scored, date) else date.fromisoformat(str(scored)[:10])

    basis = "subscriptions" if churn.validation.get("kind") == "contractual" else "orders"
    values, why_none = _values(con, settings, end, basis)
    customers = churn.customers.merge(values, on="customer_id", how="left")
    customers["reasons"] = _reason_text(customers)
    if customers["value"].notna().sum() == 0:
        raise ModelError(
            f"none of the {len(customers):,} customers at risk could be valued from their "
            f"{basis}: {why_none or 'no value for any of them'}"
        )

    actions = settings_actions(settings)
    calls = plan_call_list(customers[["customer_id", "p_churn", "value", "reasons"]],
                           actions, budget)  # fmt: skip
    calls.rows = _with_products(calls.rows, next_best_products(con, until=end))
    calls.rows = calls.rows.merge(
        customers[["customer_id", "risk_band"]], on="customer_id", how="left"
    )
    log.info("call list: %d of %d customers within %s", len(calls.rows), len(customers), budget)
    return RetentionTargets(calls, churn, basis, actions, customers)


def _values(
    con, settings: Settings, end: date | None, basis: str
) -> tuple[pd.DataFrame, str | None]:
    """customer_id and value (discounted over the horizon) on the churn model's basis, and
    why no value could be made where that is so."""
    if basis == "subscriptions":
        values = subscription_values(con, settings, end)
        return values, None if values["value"].notna().any() else "no open plan has an mrr"
    from cxlens.models.lifetime import customer_lifetime_values

    try:
        lifetime = customer_lifetime_values(con, settings, until=end)
    except ModelError as error:
        log.warning("no lifetime values: %s", error)
        empty = pd.DataFrame({"customer_id": pd.Series(dtype=str), "value": pd.Series(dtype=float)})
        return empty, f"the lifetime-value fit failed ({error})"
    return lifetime.customers[["customer_id", "clv"]].rename(columns={"clv": "value"}), None


def subscription_values(
    con: duckdb.DuckDBPyConnection, settings: Settings, until: date | None
) -> pd.DataFrame:
    """Each subscriber's revenue over the horizon if kept now: monthly revenue × the plan's
    retention from their tenure on, month by month, discounted (see the module docstring).

    Customers whose open subscriptions carry no ``mrr`` get no value (NaN).
    """
    from cxlens.models.survival import retention_curves

    curves = retention_curves(con, settings, by="plan", until=until)
    open_now = _open_subscriptions(con, curves.until)
    lives = curves.customers.set_index("customer_id")
    open_now = open_now.join(lives[["group", "duration_days"]], on="customer_id", how="inner")

    months = int(settings.clv.get("horizon_months", 12))
    annual = float(settings.clv.get("annual_discount_rate", 0.10))
    discount = (1 + annual) ** (-np.arange(1, months + 1) / 12)
    open_now["value"] = np.nan
    for group, model in curves.curves.items():
        chosen = open_now["group"] == group
        if not chosen.any():
            continue
        tenure = open_now.loc[chosen, "duration_days"].to_numpy(float)
        ahead = tenure[:, None] + DAYS_PER_MONTH * np.arange(0, months + 1)[None, :]
        kept = _survival(model, ahead)
        staying = kept[:, 1:] / np.where(kept[:, :1] > 0, kept[:, :1], np.nan)
        revenue = open_now.loc[chosen, "mrr"].to_numpy(float)
        open_now.loc[chosen, "value"] = revenue * (staying @ discount)
    return open_now[["customer_id", "value"]]


def _open_subscriptions(con, until: date) -> pd.DataFrame:
    """Monthly revenue per customer over the subscriptions open at ``until``."""
    if not has_table(con, "subscriptions"):
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "mrr": pd.Series(dtype=float)})
    return con.execute(
        """
        SELECT CAST(customer_id AS VARCHAR) AS customer_id, sum(mrr)::DOUBLE AS mrr
        FROM subscriptions
        WHERE customer_id IS NOT NULL
          AND CAST(started_at_local AS DATE) <= $until
          AND (ended_at_local IS NULL OR CAST(ended_at_local AS DATE) > $until)
        GROUP BY 1
        """,
        {"until": until},
    ).df()


def _survival(model, days: np.ndarray) -> np.ndarray:
    """The curve at ``days`` (any shape), held at its last value beyond its last time."""
    curve = model.survival_
    times = curve["time"].to_numpy(float)
    level = curve["survival"].to_numpy(float)
    index = np.searchsorted(times, days, side="right") - 1
    return level[np.clip(index, 0, len(level) - 1)]


def _reason_text(customers: pd.DataFrame) -> pd.Series:
    """reason_1..3 joined into one cell ("; "), empty where the model gave none."""
    columns = [c for c in ("reason_1", "reason_2", "reason_3") if c in customers]
    if not columns:
        return pd.Series("", index=customers.index)
    parts = customers[columns].astype(object).where(customers[columns].notna(), "")
    text = parts[columns[0]].astype(str)
    for column in columns[1:]:
        more = parts[column].astype(str)
        text = text.where(more == "", text + "; " + more)
    return text.str.strip("; ")


def _with_products(rows: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """The call list with each customer's next-best product and why (blank without lines)."""
    if products.empty:
        return rows.assign(next_best_product="", because="")
    first = products[products["rank"] == 1] if "rank" in products else products
    named = first["product_name"].where(first["product_name"].notna(), first["product_id"])
    picks = pd.DataFrame({
        "customer_id": first["customer_id"].astype(str),
        "next_best_product": named.astype(str),
        "because": first["because"].fillna("").astype(str),
    })  # fmt: skip
    merged = rows.merge(picks, on="customer_id", how="left")
    return merged.fillna({"next_best_product": "", "because": ""})
