"""Next-best product from order-line co-occurrence.

The hand table's co-occurrences, cosines and picks are worked out in the comments; the
synthetic check recomputes every score with dense numpy on the same purchases.
"""

import numpy as np
import pandas as pd
import pytest

from cxlens.actions.recommend import next_best_products
from helpers_raw import clean_rows

NAMES = {"P1": "Tea", "P2": "Cups", "P3": "Kettle", "P4": "Honey", "P5": "Socks"}


def order(order_id, customer_id, day, status=None):
    return {"order_id": order_id, "customer_id": customer_id,
            "ordered_at": f"2024-01-{day:02d} 10:00", "amount": 1.0, "status": status}  # fmt: skip


def lines(order_id, products, quantity=1):
    return [
        {"order_id": order_id, "line_no": n, "product_id": p, "product_name": NAMES.get(p, p),
         "quantity": quantity}
        for n, p in enumerate(products.split(), start=1)
    ]  # fmt: skip


def recommend(tmp_path, orders, order_lines, **options):
    tables = {"orders": orders}
    if order_lines is not None:
        tables["order_lines"] = order_lines
    warehouse, _ = clean_rows(tmp_path, tables)
    with warehouse.connect() as con:
        return next_best_products(con, **options)


def hand_tables():
    # C1 Tea, Cups; C2 Tea, Kettle; C3 Tea, Cups, Honey; C4 Honey (and a cancelled
    # order with a Kettle); C5 Socks, which nobody else bought.
    orders = [order("O1", "C1", 1), order("O2", "C2", 2), order("O3", "C3", 3),
              order("O4", "C4", 4), order("O5", "C5", 5), order("O6", "C4", 6, "cancelled")]  # fmt: skip
    order_lines = (
        lines("O1", "P1 P2") + lines("O2", "P1 P3") + lines("O3", "P1 P2 P4")
        + lines("O4", "P4") + lines("O5", "P5") + lines("O6", "P3")
    )  # fmt: skip
    return orders, order_lines


def test_hand_table_picks_and_supporting_products(tmp_path):
    # Buyers: Tea 3, Cups 2, Kettle 1, Honey 2 (the cancelled Kettle does not count).
    # Bought together: Tea-Cups 2 (C1, C3), Tea-Kettle 1, Tea-Honey 1, Cups-Honey 1.
    # Cosine = together / sqrt(buyers_i × buyers_j):
    #   Tea-Cups 2/√6 = 0.8165, Tea-Kettle 1/√3 = 0.5774, Tea-Honey 1/√6 = 0.4082,
    #   Cups-Honey 1/√4 = 0.5, Cups-Kettle = Kettle-Honey = 0.
    # C1 (Tea, Cups): Kettle 0.5774, Honey 0.4082 + 0.5 = 0.9082 -> Honey, because Cups
    # C2 (Tea, Kettle): Cups 0.8165, Honey 0.4082 -> Cups, because Tea
    # C3 (Tea, Cups, Honey): Kettle 0.5774 -> Kettle, because Tea
    # C4 (Honey): Tea 0.4082, Cups 0.5 -> Cups, because Honey
    # C5 (Socks): co-occurs with nothing -> most bought product: Tea (3 buyers)
    picks = recommend(tmp_path, *hand_tables())

    assert picks["customer_id"].tolist() == ["C1", "C2", "C3", "C4", "C5"]
    assert picks["product_name"].tolist() == ["Honey", "Cups", "Kettle", "Cups", "Tea"]
    assert picks["because"].tolist()[:4] == ["Cups", "Tea", "Tea", "Honey"]
    assert pd.isna(picks["because"].iloc[4])
    expected = [1 / 6**0.5 + 0.5, 2 / 6**0.5, 1 / 3**0.5, 0.5]
    assert picks["score"].tolist()[:4] == pytest.approx(expected)
    assert pd.isna(picks["score"].iloc[4])
    assert picks["basis"].tolist() == ["co-occurrence"] * 4 + ["popularity"]
    assert picks["rank"].tolist() == [1] * 5


def test_hand_table_top_three(tmp_path):
    # C1 next: Kettle 0.5774 (because Tea); C2: Honey 0.4082 (Tea); C3 lacks only Kettle
    # and Socks (no co-occurrence): one pick; C4: Tea 0.4082 (Honey);
    # C5 by popularity: Tea 3, then Cups and Honey (2 buyers each, by id), so P2 then P4.
    picks = recommend(tmp_path, *hand_tables(), top=3)
    by_customer = picks.groupby("customer_id")["product_id"].apply(list).to_dict()
    assert by_customer == {
        "C1": ["P4", "P3"],
        "C2": ["P2", "P4"],
        "C3": ["P3"],
        "C4": ["P2", "P1"],
        "C5": ["P1", "P2", "P4"],
    }
    c1_kettle = picks[(picks["customer_id"] == "C1") & (picks["product_id"] == "P3")].iloc[0]
    assert (c1_kettle["rank"], c1_kettle["because"]) == (2, "Tea")
    assert c1_kettle["score"] == pytest.approx(1 / 3**0.5)


def test_cancelled_orders_are_ignored(tmp_path):
    # Counting C4's cancelled Kettle (2 Kettle buyers) would give C4 the Tea (Honey-Tea
    # 1/√6 + Kettle-Tea 1/√6 = 0.82 > Cups-Honey 0.5); ignored, C4 gets the Cups.
    orders, order_lines = hand_tables()
    picks = recommend(tmp_path, orders, order_lines)
    assert picks.set_index("customer_id").loc["C4", "product_name"] == "Cups"
    as_completed = [{**o, "status": None} for o in orders]
    counted = recommend(tmp_path / "counted", as_completed, order_lines)
    assert counted.set_index("customer_id").loc["C4", "product_name"] == "Tea"


def test_returns_and_orders_after_until_are_not_purchases(tmp_path):
    # C2's Cups line has quantity −1 (a return) and C3's order is after `until`:
    # only C1 (Tea, Cups) and C2 (Tea) remain; C2 gets Cups, because Tea.
    orders = [order("O1", "C1", 1), order("O2", "C2", 2), order("O3", "C3", 9)]
    order_lines = (
        lines("O1", "P1 P2") + lines("O2", "P1")
        + [{**line, "line_no": 2} for line in lines("O2", "P2", quantity=-1)]
        + lines("O3", "P2 P4")
    )  # fmt: skip
    picks = recommend(tmp_path, orders, order_lines, until="2024-01-05")
    assert picks["customer_id"].tolist() == ["C2"]
    assert (picks["product_id"].iloc[0], picks["because"].iloc[0]) == ("P2", "Tea")


def test_no_order_lines_gives_an_empty_frame(tmp_path, caplog):
    caplog.set_level("INFO", logger="cxlens.actions.recommend")
    picks = recommend(tmp_path, [order("O1", "C1", 1)], None)
    assert picks.empty
    assert list(picks.columns) == [
        "customer_id", "rank", "product_id", "product_name", "score", "because", "basis",
    ]  # fmt: skip
    assert "no order_lines table" in caplog.text


def test_empty_order_lines_gives_an_empty_frame(tmp_path, caplog):
    caplog.set_level("INFO", logger="cxlens.actions.recommend")
    picks = recommend(tmp_path, [order("O1", "C1", 1)], [])
    assert picks.empty
    assert "no order lines" in caplog.text


def dense_scores(bought):
    """Scores by plain dense numpy: cosine co-occurrence, summed over bought products."""
    together = bought.T @ bought
    buyers = np.diag(together).copy()
    np.fill_diagonal(together, 0)
    cosine = together / np.sqrt(np.outer(buyers, buyers))
    return np.where(bought > 0, 0.0, bought @ cosine), cosine


def test_synthetic_purchases_match_dense_scores_and_never_repeat_a_purchase(tmp_path):
    rng = np.random.default_rng(7)
    n_customers, n_products = 60, 12
    popularity = rng.dirichlet(np.full(n_products, 0.7))
    orders, order_lines = [], []
    for c in range(n_customers):
        bought = rng.choice(n_products, size=int(rng.integers(1, 5)), replace=False, p=popularity)
        orders.append(order(f"O{c}", f"C{c:02d}", 1 + c % 20))
        order_lines += lines(f"O{c}", " ".join(f"P{p:02d}" for p in bought))

    picks = recommend(tmp_path, orders, order_lines, top=3)

    pairs = pd.DataFrame(order_lines).merge(pd.DataFrame(orders), on="order_id")
    matrix = pd.crosstab(pairs["customer_id"], pairs["product_id"]).clip(upper=1)
    scores, cosine = dense_scores(matrix.to_numpy(dtype=float))
    scores = pd.DataFrame(scores, index=matrix.index, columns=matrix.columns)
    owned = set(zip(pairs["customer_id"], pairs["product_id"], strict=True))
    assert not owned & set(zip(picks["customer_id"], picks["product_id"], strict=True))

    from_pairs = picks[picks["basis"] == "co-occurrence"]
    looked_up = [
        scores.at[c, p]
        for c, p in zip(from_pairs["customer_id"], from_pairs["product_id"], strict=True)
    ]
    assert from_pairs["score"].tolist() == pytest.approx(looked_up)
    best = scores.max(axis=1)
    top1 = from_pairs[from_pairs["rank"] == 1].set_index("customer_id")["score"]
    assert top1.tolist() == pytest.approx(best[top1.index].tolist())
    assert set(best[best > 0].index) == set(top1.index)


def test_asking_for_no_product_is_refused(tmp_path):
    from cxlens.errors import ConfigError

    with pytest.raises(ConfigError, match="ask for at least one product"):
        recommend(tmp_path, *hand_tables(), top=0)
