"""The retention call list: expected saved value, the budgeted choice of offers, exports.

Optima are worked out by hand in the comments, by enumerating every assignment
(itertools.product), or by scipy's HiGHS solvers (milp for the integer optimum,
linprog for the LP relaxation) on the same numbers.
"""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from cxlens.actions.targets import Action, expected_saved_value, plan_call_list
from cxlens.errors import ConfigError, ModelError

CALL = Action("call", 30, 0.5)
VOUCHER = Action("voucher", 60, 0.8)


def hand_customers():
    return pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "p_churn": [0.8, 0.5, 0.9, 0.2],
            "value": [200.0, 300.0, 100.0, 500.0],
            "reasons": ["3 complaints", "slow replies", "new plan", "=HYPERLINK(1)"],
        }
    )


def test_expected_saved_value_is_risk_times_save_rate_times_value_minus_cost():
    # 0.8 × 0.5 × 200 − 30 = 50; 0.5 × 0.5 × 300 − 30 = 45; 0 × 0.5 × 999 − 30 = −30
    values = expected_saved_value(np.array([0.8, 0.5, 0.0]), np.array([200, 300, 999]), CALL)
    np.testing.assert_allclose(values, [50, 45, -30])
    series = expected_saved_value(pd.Series([0.8]), pd.Series([200.0]), VOUCHER)
    assert isinstance(series, pd.Series)
    assert series.iloc[0] == pytest.approx(0.8 * 0.8 * 200 - 60)


def test_action_cost_is_rounded_to_the_cent():
    assert Action("sms", 0.333, 0.1).cost == 0.33


@pytest.mark.parametrize(
    ("cost", "save_rate", "message"),
    [(-1, 0.5, "cost -1 must be an amount >= 0"), (10, 1.5, "save_rate 1.5 must be a probability")],
)
def test_impossible_actions_are_refused(cost, save_rate, message):
    with pytest.raises(ConfigError, match=message):
        Action("offer", cost, save_rate)


def test_hand_example_exact():
    # Expected saved values (call 30 / voucher 60):
    #   A: call 0.8·0.5·200−30 = 50, voucher 0.8·0.8·200−60 = 68
    #   B: call 45, voucher 60;  C: call 15, voucher 12;  D: call 20, voucher 20
    # Budget 100 fits three calls (90) or a voucher and a call (90), never two vouchers.
    #   three calls: best A, B, D = 50 + 45 + 20 = 115
    #   voucher + call: A voucher + B call = 113, B voucher + A call = 110
    # so the optimum is calls to A, B and D: 115 for 90.
    plan = plan_call_list(hand_customers(), [CALL, VOUCHER], budget=100)
    assert plan.method == "exact"
    assert list(plan.rows["customer_id"]) == ["A", "B", "D"]
    assert list(plan.rows["action"]) == ["call", "call", "call"]
    assert list(plan.rows["rank"]) == [1, 2, 3]
    assert plan.rows["expected_saved_value"].tolist() == pytest.approx([50, 45, 20])
    assert plan.total_expected_value == pytest.approx(115)
    assert plan.total_cost == 90
    assert plan.upper_bound == pytest.approx(115)
    assert plan.gap == 0
    assert plan.rows["reasons"].tolist() == ["3 complaints", "slow replies", "=HYPERLINK(1)"]


def test_hand_example_greedy_and_its_lp_bound():
    # Hull steps (value per unit of cost): A call 50/30 = 1.67, B call 45/30 = 1.5,
    # D call 20/30 = 0.67, A call→voucher 18/30 = 0.6, B call→voucher 15/30 = 0.5;
    # C's voucher is worth less than its call and D's voucher no more, so they are no steps.
    # Taken in that order: 30, 60, 90 fit; A's upgrade (+30) does not. Greedy = 115.
    # LP bound = 115 + 18 × (100 − 90) / 30 = 121; within 1 − 115/121 = 4.96 %.
    plan = plan_call_list(hand_customers(), [CALL, VOUCHER], budget=100, exact_limit=0)
    assert plan.method == "greedy"
    assert list(plan.rows["customer_id"]) == ["A", "B", "D"]
    assert plan.total_expected_value == pytest.approx(115)
    assert plan.upper_bound == pytest.approx(121)
    assert plan.to_json()["within_percent"] == pytest.approx(100 * (1 - 115 / 121), abs=0.01)


def test_greedy_falls_back_to_the_best_single_offer():
    # sms costs 1 and saves 1 %, a visit costs 100 and saves 90 %; X and V are sure to
    # leave and worth 300: sms 3 − 1 = 2 (2 per unit), visit 270 − 100 = 170 (1.7 per unit;
    # 168/99 = 1.697 as a step up from the sms). Budget 100: the steps by efficiency are
    # X sms, V sms (2 spent, 4 kept), then X's upgrade (99 more) does not fit: greedy 4.
    # One visit alone keeps 170, the optimum. LP bound = 4 + 168 × 98/99 = 170.30.
    sms, visit = Action("sms", 1, 0.01), Action("visit", 100, 0.9)
    customers = pd.DataFrame(
        {"customer_id": ["X", "V"], "p_churn": [1.0, 1.0], "value": [300, 300]}
    )
    greedy = plan_call_list(customers, [sms, visit], budget=100, exact_limit=0)
    assert list(greedy.rows["action"]) == ["visit"]
    assert greedy.total_expected_value == pytest.approx(170)
    assert greedy.upper_bound == pytest.approx(4 + 168 * 98 / 99)
    exact = plan_call_list(customers, [sms, visit], budget=100)
    assert exact.total_expected_value == pytest.approx(170)


def test_generous_budget_gives_everyone_their_best_offer():
    # best offers: A voucher 68, B voucher 60, C call 15, D 20 (either): 163
    plan = plan_call_list(hand_customers(), [CALL, VOUCHER], budget=1000)
    assert plan.method == "exact"
    assert plan.total_expected_value == pytest.approx(163)
    assert plan.rows.set_index("customer_id").at["A", "action"] == "voucher"


def brute_force(saved, costs, budget):
    """The best total over every assignment of at most one action per customer."""
    n_customers, n_actions = saved.shape
    choices = np.array(list(itertools.product(range(-1, n_actions), repeat=n_customers)))
    worth = np.hstack([np.zeros((n_customers, 1)), saved])
    price = np.concatenate([[0], costs])
    total_cost = price[choices + 1].sum(axis=1)
    total_value = worth[np.arange(n_customers), choices + 1].sum(axis=1)
    return total_value[total_cost <= budget + 1e-9].max()


def random_instance(seed, n_customers, n_actions):
    rng = np.random.default_rng(seed)
    costs = np.round(rng.choice([5, 10, 12.5, 20, 35, 0.99, 49.99], n_actions, replace=False), 2)
    actions = [Action(f"offer {k}", costs[k], rng.uniform(0.05, 0.9)) for k in range(n_actions)]
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n_customers)],
            "p_churn": rng.uniform(0, 1, n_customers),
            "value": rng.gamma(2.0, 60.0, n_customers),
        }
    )
    saved = np.column_stack(
        [expected_saved_value(customers["p_churn"], customers["value"], a) for a in actions]
    )
    return customers, actions, saved, np.array([a.cost for a in actions])


@pytest.mark.parametrize("seed", range(200))
def test_exact_matches_enumeration(seed):
    rng = np.random.default_rng(10_000 + seed)
    n_customers, n_actions = int(rng.integers(1, 7)), int(rng.integers(1, 4))
    customers, actions, saved, costs = random_instance(seed, n_customers, n_actions)
    budget = float(np.round(rng.uniform(0, 1.2) * costs.max() * n_customers / 2, 2))

    plan = plan_call_list(customers, actions, budget)

    assert plan.method == "exact"
    assert plan.total_expected_value == pytest.approx(brute_force(saved, costs, budget), abs=1e-9)
    assert plan.total_cost <= budget + 1e-9
    assert plan.rows["customer_id"].is_unique


def integer_and_lp_optimum(saved, costs, budget):
    """HiGHS's MILP optimum and LP-relaxation optimum of the same choice problem."""
    n_customers, n_actions = saved.shape
    useful = (saved > 0) & (costs <= budget)[np.newaxis, :]
    value = np.where(useful, saved, 0).ravel()
    one_each = np.kron(np.eye(n_customers), np.ones(n_actions))
    spend = np.tile(costs, n_customers)
    constraints = [
        optimize.LinearConstraint(one_each, 0, 1),
        optimize.LinearConstraint(spend[np.newaxis, :], 0, budget),
    ]
    bounds = optimize.Bounds(0, np.where(useful.ravel(), 1, 0))
    integer = optimize.milp(-value, constraints=constraints, integrality=1, bounds=bounds)
    relaxed = optimize.milp(-value, constraints=constraints, integrality=0, bounds=bounds)
    assert integer.success and relaxed.success
    return -integer.fun, -relaxed.fun


@pytest.mark.parametrize("seed", range(30))
def test_greedy_between_half_the_optimum_and_the_lp_bound(seed):
    rng = np.random.default_rng(20_000 + seed)
    customers, actions, saved, costs = random_instance(seed, 40, 3)
    # a budget below what everyone's most valuable offer would cost, so that it binds
    wanted = costs[saved.argmax(axis=1)][saved.max(axis=1) > 0].sum()
    budget = float(np.floor(rng.uniform(0.05, 0.9) * wanted))
    best, lp_bound = integer_and_lp_optimum(saved, costs, budget)

    exact = plan_call_list(customers, actions, budget)
    greedy = plan_call_list(customers, actions, budget, exact_limit=0)

    assert exact.method == "exact"
    assert exact.total_expected_value == pytest.approx(best, rel=1e-7)
    assert greedy.method == "greedy"
    assert greedy.total_cost <= budget + 1e-9
    assert 0.5 * best - 1e-9 <= greedy.total_expected_value <= best + 1e-9
    assert greedy.upper_bound == pytest.approx(lp_bound, rel=1e-7)


def test_budget_zero_gives_an_empty_list():
    plan = plan_call_list(hand_customers(), [CALL, VOUCHER], budget=0)
    assert plan.rows.empty
    assert list(plan.rows.columns) == [
        "customer_id", "action", "cost", "p_churn", "value", "expected_saved_value", "reasons",
        "rank",
    ]  # fmt: skip
    assert (plan.total_cost, plan.total_expected_value) == (0, 0)


@pytest.mark.parametrize("budget", [-1, float("nan"), "lots"])
def test_budget_that_is_no_amount_is_refused(budget):
    with pytest.raises(ConfigError, match="must be an amount >= 0"):
        plan_call_list(hand_customers(), [CALL], budget=budget)


def test_customers_without_a_value_are_left_out_and_counted():
    customers = hand_customers()
    customers.loc[0, "value"] = np.nan  # A, who would be called first
    plan = plan_call_list(customers, [CALL, VOUCHER], budget=100)
    assert plan.excluded == 1
    assert "A" not in set(plan.rows["customer_id"])
    # without A: B call 45 + D call 20 + C call 15 = 80 for 90, against B voucher 60 +
    # D call 20 = 80 for 90 too, or B voucher + C call 75; the best is 80
    assert plan.total_expected_value == pytest.approx(80)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.drop(columns="p_churn"), "lack column"),
        (lambda c: c.assign(p_churn=[0.5, 1.2, 0.1, 0.1]), "B: p_churn 1.2 is not a probability"),
        (lambda c: c.assign(customer_id=["A", "A", "C", "D"]), "A appears more than once"),
    ],
)
def test_unusable_customer_tables_are_refused(change, message):
    with pytest.raises(ModelError, match=message):
        plan_call_list(change(hand_customers()), [CALL], budget=100)


def test_csv_has_a_bom_and_neutralised_formulas(tmp_path):
    customers = hand_customers()
    customers.loc[3, "customer_id"] = "=cmd|'/c calc'!A1"
    plan = plan_call_list(customers, [CALL, VOUCHER], budget=100)
    path = plan.write_csv(tmp_path / "calls.csv")

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["customer_id"].tolist() == ["A", "B", "'=cmd|'/c calc'!A1"]
    assert back["reasons"].tolist() == ["3 complaints", "slow replies", "'=HYPERLINK(1)"]
    assert back["expected_saved_value"].tolist() == pytest.approx([50, 45, 20])


def test_xlsx_has_one_call_list_sheet_with_numbers_and_neutralised_text(tmp_path):
    import openpyxl

    plan = plan_call_list(hand_customers(), [CALL, VOUCHER], budget=100)
    path = plan.write_xlsx(tmp_path / "calls.xlsx")

    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Call list"]
    sheet = workbook["Call list"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(plan.rows.columns)
    assert rows[1][:6] == ("A", "call", 30, 0.8, 200, 50)
    # Text stays text as typed: a string cell, not a formula (no apostrophe needed).
    assert rows[3][6] == "=HYPERLINK(1)"
    assert sheet.cell(row=4, column=7).data_type == "s"


def test_json_is_plain_values():
    plan = plan_call_list(hand_customers(), [CALL, VOUCHER], budget=100)
    document = json.loads(json.dumps(plan.to_json()))
    assert document["method"] == "exact"
    assert document["total_cost"] == 90
    assert document["within_percent"] == 0
    assert [row["customer_id"] for row in document["rows"]] == ["A", "B", "D"]
    assert document["rows"][0]["rank"] == 1
