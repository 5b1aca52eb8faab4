"""The retention call list: whom to offer what, within a budget, to keep the most value.

Contacting a customer with an offer (an ``Action``) costs money and keeps an at-risk
customer with some probability, so its expected saved value is

    P(churn) × P(the offer saves them) × value − cost.

Each customer gets at most one action and the costs must fit the budget: a
multiple-choice knapsack. Only actions with a positive expected saved value, and a cost
the budget can pay on its own, are candidates.

Two methods, chosen by size:

- **exact**: dynamic programming over the budget. Costs are whole cents (hundredths of
  the currency unit; ``Action`` rounds them), counted in steps of their greatest common
  divisor, so a budget of 10,000 with costs of 5 and 20 is a table 2,001 cells wide. The
  table is updated one customer at a time, each update a numpy operation over the whole
  budget axis. Used while the table stays small (``exact_limit`` customers and
  ``MAX_TABLE_CELLS`` cells).
- **greedy**: the LP-relaxation method for the multiple-choice knapsack (Sinha &
  Zoltners, 1979). A customer's actions are reduced to the upper convex hull of their
  (cost, expected value) points, from which each step up to a dearer action has a
  falling value per unit of cost. All customers' steps are taken in order of that
  efficiency while they fit. The first step that does not fit, taken in part, would give
  the LP optimum: an upper bound on every plan. Stopping before it (rounding the LP down)
  is the greedy plan; if one single offer is worth more, that offer alone is the plan.
  Guarantee: the plan is worth at least half the best possible (the rounded-down LP plus
  the step that did not fit is at least the LP bound, and that step is worth at most the
  best single offer). In practice, with many customers each small next to the budget,
  it is within a fraction of a percent; ``CallList.gap`` says how far at most.

Written here with numpy rather than handed to an integer-programming solver so that the
base install needs nothing more, the large case runs in one sort, and the list can
state its distance from the best possible.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxlens.errors import ConfigError, ModelError

log = logging.getLogger(__name__)

__all__ = ["Action", "CallList", "expected_saved_value", "plan_call_list"]

ROW_COLUMNS = [
    "customer_id",
    "action",
    "cost",
    "p_churn",
    "value",
    "expected_saved_value",
    "reasons",
    "rank",
]
REQUIRED_COLUMNS = ("customer_id", "p_churn", "value")

# Customers up to which the exact method is tried, and the largest dynamic-programming
# table it may build (one byte per cell: 25 MB).
EXACT_LIMIT = 20_000
MAX_TABLE_CELLS = 25_000_000

SHEET_NAME = "Call list"
XLSX_FORMATS = {
    "cost": "#,##0.00",
    "p_churn": "0.0%",
    "value": "#,##0.00",
    "expected_saved_value": "#,##0.00",
    "rank": "0",
}


@dataclass(frozen=True)
class Action:
    """A retention offer: its name, cost per customer contacted, and the chance it works.

    ``cost`` is in the project currency and is rounded to the cent, the unit the planner
    counts in. ``save_rate`` is P(the offer keeps a customer who would otherwise leave).
    """

    name: str
    cost: float
    save_rate: float

    def __post_init__(self) -> None:
        if not str(self.name).strip():
            raise ConfigError("a retention action has no name; give each action a name")
        try:
            cost, save_rate = float(self.cost), float(self.save_rate)
        except (TypeError, ValueError):
            cost = save_rate = math.nan
        if not math.isfinite(cost) or cost < 0:
            raise ConfigError(
                f"action {self.name!r}: cost {self.cost!r} must be an amount >= 0 in the "
                "project currency per customer contacted"
            )
        if not 0 <= save_rate <= 1:
            raise ConfigError(
                f"action {self.name!r}: save_rate {self.save_rate!r} must be a probability "
                "between 0 and 1 (e.g. 0.2 if the offer keeps one at-risk customer in five)"
            )
        object.__setattr__(self, "cost", round(cost, 2))
        object.__setattr__(self, "save_rate", save_rate)


def expected_saved_value(p_churn: Any, value: Any, action: Action) -> Any:
    """P(churn) × save rate × value − cost: what offering ``action`` is expected to keep.

    Works element-wise on numbers, numpy arrays and pandas Series (a Series stays one).
    """
    if not isinstance(p_churn, pd.Series):
        p_churn = np.asarray(p_churn, dtype=float)
    if not isinstance(value, pd.Series):
        value = np.asarray(value, dtype=float)
    return p_churn * action.save_rate * value - action.cost


@dataclass
class CallList:
    """Whom to contact with which offer, and how good the plan is.

    Attributes
    ----------
    rows
        One row per customer to contact, best first: customer_id, action, cost,
        p_churn, value, expected_saved_value, reasons, rank (1 = call first).
    total_cost, total_expected_value
        Sums over ``rows``; ``total_cost`` never exceeds ``budget``.
    upper_bound
        No plan within the budget can be worth more: the plan's own value when
        ``method`` is "exact", the LP-relaxation bound when it is "greedy".
    method
        "exact" (dynamic programming, optimal) or "greedy" (at least half the optimum).
    excluded
        Customers left out because their value or churn probability is missing.
    """

    rows: pd.DataFrame
    total_cost: float
    total_expected_value: float
    upper_bound: float
    method: str
    budget: float
    excluded: int = 0

    @property
    def gap(self) -> float:
        """How far below the best possible the plan may be, as a fraction (0 = optimal)."""
        if self.upper_bound <= 0:
            return 0.0
        return max(0.0, 1.0 - self.total_expected_value / self.upper_bound)

    def to_json(self) -> dict[str, Any]:
        """The plan as plain JSON-ready values (missing cells become null)."""
        import json

        rows = json.loads(self.rows.to_json(orient="records", force_ascii=False))
        return {
            "method": self.method,
            "budget": self.budget,
            "total_cost": self.total_cost,
            "total_expected_value": self.total_expected_value,
            "upper_bound": self.upper_bound,
            "within_percent": round(100 * self.gap, 2),
            "excluded": self.excluded,
            "rows": rows,
        }

    def write_csv(self, path: str | Path) -> Path:
        """Write the rows as Excel-friendly CSV (UTF-8 with BOM, formula-like text neutralised)."""
        from cxlens.report.exports import write_csv

        return write_csv(self.rows, Path(path))

    def write_xlsx(self, path: str | Path) -> Path:
        """Write the rows to one sheet, "Call list", with number formats and text as text.

        Text is written as text in a workbook that never turns strings into formulas or
        links, so a name such as ``=cmd`` shows as typed and is never evaluated (as in the
        report's workbook; only the CSV needs an apostrophe).
        """
        import xlsxwriter

        path = Path(path)
        rows = self.rows
        options = {"strings_to_formulas": False, "strings_to_urls": False}
        with xlsxwriter.Workbook(str(path), options) as workbook:
            sheet = workbook.add_worksheet(SHEET_NAME)
            header = workbook.add_format({"bold": True, "bg_color": "#e2e8f0"})
            sheet.write_row(0, 0, list(rows.columns), header)
            for col, name in enumerate(rows.columns):
                _write_xlsx_column(workbook, sheet, col, rows[name])
            sheet.freeze_panes(1, 0)
        return path


def plan_call_list(
    customers: pd.DataFrame,
    actions: list[Action],
    budget: float,
    exact_limit: int = EXACT_LIMIT,
) -> CallList:
    """Choose at most one action per customer to keep the most expected value within ``budget``.

    Parameters
    ----------
    customers
        customer_id, p_churn (0-1), value (e.g. CLV in the project currency) and,
        optionally, reasons (text shown beside each customer). Customers whose value or
        p_churn is missing are left out and counted in ``CallList.excluded``.
    actions
        The offers to choose from.
    budget
        What the calls may cost in total, in the project currency (>= 0).
    exact_limit
        Up to this many customers with a worthwhile offer the plan is exact (if the
        dynamic-programming table also stays under ``MAX_TABLE_CELLS``); above it the
        greedy LP method runs. See the module docstring for both and their guarantees.

    Returns
    -------
    CallList
    """
    budget_cents = _budget_in_cents(budget)
    _check_actions(actions)
    usable, excluded = _usable_customers(customers)

    costs = np.array([round(action.cost * 100) for action in actions], dtype=np.int64)
    saved = np.column_stack(
        [expected_saved_value(usable["p_churn"].to_numpy(), usable["value"].to_numpy(), a)
         for a in actions]
    )  # fmt: skip
    candidate = (saved > 0) & (costs <= budget_cents)[np.newaxis, :]
    worth_asking = candidate.any(axis=1)
    usable, saved, candidate = usable[worth_asking], saved[worth_asking], candidate[worth_asking]

    choice, upper_bound, method = _solve(saved, candidate, costs, budget_cents, exact_limit)
    rows = _call_rows(usable, saved, choice, actions)
    total_value = float(rows["expected_saved_value"].sum())
    plan = CallList(
        rows=rows,
        total_cost=round(float(rows["cost"].sum()), 2),
        total_expected_value=total_value,
        upper_bound=total_value if method == "exact" else upper_bound,
        method=method,
        budget=float(budget),
        excluded=excluded,
    )

    log.info(
        "call list (%s): %d of %d customers with a worthwhile offer, cost %.2f of %.2f, "
        "expected saved %.2f "
        "(within %.2f %% of the best possible)",
        method,
        len(plan.rows),
        len(usable),
        plan.total_cost,
        budget,
        plan.total_expected_value,
        100 * plan.gap,
    )
    return plan


def _budget_in_cents(budget: float) -> int:
    """The budget as whole cents (rounded down), or a ConfigError if it is not an amount >= 0."""
    try:
        amount = float(budget)
    except (TypeError, ValueError):
        amount = math.nan
    if not math.isfinite(amount) or amount < 0:
        raise ConfigError(
            f"budget {budget!r} must be an amount >= 0 in the project currency, e.g. --budget 5000"
        )
    return math.floor(round(amount * 100, 6))


def _check_actions(actions: list[Action]) -> None:
    """Refuse an empty list of actions or two actions with the same name."""
    if not actions:
        raise ConfigError(
            "no retention actions to choose from; define at least one with a name, "
            "a cost per customer and a save rate"
        )
    names = [action.name for action in actions]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"retention action names must differ; repeated: {', '.join(repeated)}")


def _usable_customers(customers: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Customers with a value and a churn probability, checked; and how many were left out."""
    missing = [name for name in REQUIRED_COLUMNS if name not in customers.columns]
    if missing:
        raise ModelError(
            f"the customers lack column(s) {', '.join(missing)}; give each customer an id, "
            "a churn probability (p_churn, 0-1) and a value (value, e.g. their CLV)"
        )
    if customers["customer_id"].isna().any():
        raise ModelError("some customers have no customer_id; give every row its customer's id")

    frame = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].astype(str),
            "p_churn": pd.to_numeric(customers["p_churn"], errors="coerce").astype(float),
            "value": pd.to_numeric(customers["value"], errors="coerce").astype(float),
            "reasons": customers["reasons"] if "reasons" in customers.columns else None,
        }
    )
    known = np.isfinite(frame["p_churn"]) & np.isfinite(frame["value"])
    excluded = int((~known).sum())
    if excluded:
        log.warning("%d customer(s) without a value or churn probability left out", excluded)
    frame = frame[known].reset_index(drop=True)

    outside = (frame["p_churn"] < 0) | (frame["p_churn"] > 1)
    if outside.any():
        row = frame[outside].iloc[0]
        raise ModelError(
            f"customer {row['customer_id']}: p_churn {row['p_churn']:g} is not a probability; "
            "give churn probabilities between 0 and 1"
        )
    repeated = frame["customer_id"].duplicated()
    if repeated.any():
        raise ModelError(
            f"customer {frame['customer_id'][repeated].iloc[0]} appears more than once; "
            "give one row per customer"
        )
    return frame, excluded


def _solve(
    saved: np.ndarray,
    candidate: np.ndarray,
    costs: np.ndarray,
    budget_cents: int,
    exact_limit: int,
) -> tuple[np.ndarray, float, str]:
    """Each customer's chosen action index (-1 for none), an upper bound, and the method."""
    n_customers = len(saved)
    if n_customers == 0:
        return np.full(0, -1), 0.0, "exact"

    best = np.where(candidate, saved, -np.inf).argmax(axis=1)
    if costs[best].sum() <= budget_cents:
        # everyone can have their most valuable offer: nothing to trade off
        return best, math.nan, "exact"

    step = _cost_step(costs[candidate.any(axis=0)])
    width = min(budget_cents // step, int(costs[best].sum() // step)) + 1
    if n_customers <= exact_limit and n_customers * width <= MAX_TABLE_CELLS:
        return _solve_exact(saved, candidate, costs // step, width - 1), math.nan, "exact"
    choice, upper_bound = _solve_greedy(saved, candidate, costs, budget_cents)
    return choice, upper_bound, "greedy"


def _cost_step(costs: np.ndarray) -> int:
    """The largest number of cents every cost is a multiple of (1 when all are free)."""
    step = int(np.gcd.reduce(costs)) if len(costs) else 0
    return max(step, 1)


def _solve_exact(
    saved: np.ndarray, candidate: np.ndarray, units: np.ndarray, capacity: int
) -> np.ndarray:
    """The optimal choice by dynamic programming over the budget (``units`` of cost each).

    ``best[w]`` is the most value the customers seen so far can keep for at most ``w``
    units; each customer updates the whole axis at once, one action at a time, and
    ``taken`` records which action won each cell so the plan can be read back.
    """
    n_customers, n_actions = saved.shape
    best = np.zeros(capacity + 1)
    taken = np.zeros((n_customers, capacity + 1), dtype=np.uint8 if n_actions < 255 else np.int32)

    for customer in range(n_customers):
        updated = best.copy()
        for action in np.flatnonzero(candidate[customer]):
            cost = int(units[action])
            offer = best[: capacity + 1 - cost] + saved[customer, action]
            better = offer > updated[cost:]
            updated[cost:][better] = offer[better]
            taken[customer, cost:][better] = action + 1
        best = updated

    choice = np.full(n_customers, -1)
    room = capacity
    for customer in range(n_customers - 1, -1, -1):
        action = int(taken[customer, room]) - 1
        if action >= 0:
            choice[customer] = action
            room -= int(units[action])
    return choice


def _solve_greedy(
    saved: np.ndarray, candidate: np.ndarray, costs: np.ndarray, budget_cents: int
) -> tuple[np.ndarray, float]:
    """The LP-rounding plan (or the best single offer, if worth more) and the LP bound."""
    steps = _hull_steps(saved, candidate, costs)
    # steps come by customer, then step; a stable sort keeps that order among equals
    order = np.argsort(-steps["efficiency"], kind="stable")
    steps = {name: column[order] for name, column in steps.items()}

    spent = np.cumsum(steps["cost"])
    fits = int(np.searchsorted(spent, budget_cents, side="right"))
    greedy_value = float(steps["value"][:fits].sum())
    upper_bound = greedy_value
    if fits < len(spent):
        room = budget_cents - (int(spent[fits - 1]) if fits else 0)
        upper_bound += float(steps["value"][fits]) * room / int(steps["cost"][fits])

    choice = np.full(len(saved), -1)
    # the steps that fit are each customer's first few, in order: the furthest is the offer
    customer, step, action = (steps[name][:fits] for name in ("customer", "step", "action"))
    furthest = np.full(len(saved), -1)
    np.maximum.at(furthest, customer, step)
    at_furthest = step == furthest[customer]
    choice[customer[at_furthest]] = action[at_furthest]

    single = np.where(candidate, saved, -np.inf)
    customer, action = np.unravel_index(int(single.argmax()), single.shape)
    if single[customer, action] > greedy_value:
        choice = np.full(len(saved), -1)
        choice[customer] = action
    return choice, upper_bound


def _hull_steps(
    saved: np.ndarray, candidate: np.ndarray, costs: np.ndarray
) -> dict[str, np.ndarray]:
    """Every customer's steps along the upper convex hull of their (cost, value) offers.

    From no offer (0, 0), the next vertex is the dearer offer with the steepest rise in
    value per cent (the nearer one on a tie); a free offer with value is the first step,
    of infinite efficiency. Efficiencies fall along a customer's steps (clipped so that
    rounding cannot make them rise), so taking steps by efficiency keeps each customer's
    steps in order. Returns flat arrays, ordered by customer and then step: customer,
    step, action, cost, value, efficiency.
    """
    n_customers, n_actions = saved.shape
    rows = np.arange(n_customers)
    at_cost = np.zeros(n_customers, dtype=np.int64)
    at_value = np.zeros(n_customers)
    columns: dict[str, list[np.ndarray]] = {name: [] for name in ("action", "cost", "value", "eff")}

    nearest_first = np.argsort(costs, kind="stable")
    for _ in range(n_actions):
        rise = saved - at_value[:, np.newaxis]
        run = (costs[np.newaxis, :] - at_cost[:, np.newaxis]).astype(float)
        ahead = candidate & (rise > 0) & (run >= 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(ahead, rise / run, -np.inf)
        slope = np.where(ahead & (run == 0), np.inf, slope)
        action = nearest_first[slope[:, nearest_first].argmax(axis=1)]
        moves = ahead[rows, action]
        columns["action"].append(np.where(moves, action, -1))
        columns["cost"].append(np.where(moves, costs[action] - at_cost, 0))
        columns["value"].append(np.where(moves, rise[rows, action], 0.0))
        columns["eff"].append(np.where(moves, slope[rows, action], -np.inf))
        at_cost = np.where(moves, costs[action], at_cost)
        at_value = np.where(moves, saved[rows, action], at_value)
        if not moves.any():
            break

    action = np.column_stack(columns["action"])
    efficiency = np.minimum.accumulate(np.column_stack(columns["eff"]), axis=1)
    real = action >= 0
    customer, step = np.nonzero(real)
    return {
        "customer": customer,
        "step": step,
        "action": action[real],
        "cost": np.column_stack(columns["cost"])[real].astype(np.int64),
        "value": np.column_stack(columns["value"])[real],
        "efficiency": efficiency[real],
    }


def _call_rows(
    usable: pd.DataFrame, saved: np.ndarray, choice: np.ndarray, actions: list[Action]
) -> pd.DataFrame:
    """The chosen customers with their offer, most expected saved value first."""
    chosen = choice >= 0
    picked = choice[chosen]
    names = np.array([action.name for action in actions], dtype=object)
    costs = np.array([action.cost for action in actions], dtype=float)
    rows = usable[chosen].assign(
        action=names[picked],
        cost=costs[picked],
        expected_saved_value=saved[np.flatnonzero(chosen), picked],
    )
    rows = rows.sort_values(
        ["expected_saved_value", "customer_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    rows["rank"] = np.arange(1, len(rows) + 1)
    return rows[ROW_COLUMNS]


def _write_xlsx_column(workbook: Any, sheet: Any, col: int, values: pd.Series) -> None:
    """Write one column below the header: numbers with their format, anything else as text."""
    name = str(values.name)
    if name in XLSX_FORMATS:
        number = workbook.add_format({"num_format": XLSX_FORMATS[name]})
        sheet.write_column(1, col, values.astype(float).tolist(), number)
        sheet.set_column(col, col, 14)
        return
    text = values.astype(object).where(values.notna(), "").astype(str)
    for row, cell in enumerate(text, start=1):
        sheet.write_string(row, col, cell)
    longest = int(text.str.len().max()) if len(text) else 0
    sheet.set_column(col, col, max(12, min(60, longest + 2)))
