"""The sample's order lines: they add up to their orders, import and clean like any export,
and carry the family structure the next-best-product suggestion looks for.

Expected values are recomputed with pandas from the written files; the bounds on the
family shares follow from the generator's parameters (``cxlens.sample.lines``), each
derivation written beside its test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlens.sample.generate as generate_module
from cxlens.clean import clean_warehouse
from cxlens.ingest import import_file
from cxlens.sample import lines, write_sample_project
from cxlens.settings import load_settings
from cxlens.store import Warehouse

LINES_CSV, ORDERS_CSV = "exports/order_lines.csv", "exports/orders.csv"
FAMILY = {product_id: family for product_id, _, family, _, _ in lines.CATALOGUE}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample") / "demo"
    write_sample_project(folder, seed=7)
    return folder


@pytest.fixture(scope="module")
def order_lines(folder) -> pd.DataFrame:
    return pd.read_csv(folder / LINES_CSV, dtype={"order_id": str, "product_id": str})


@pytest.fixture(scope="module")
def orders(folder) -> pd.DataFrame:
    return pd.read_csv(folder / ORDERS_CSV, dtype={"order_id": str, "customer_id": str})


def _line_families(order_lines: pd.DataFrame) -> pd.DataFrame:
    """Per order: its number of lines and the families of lines 1 and 2."""
    family = order_lines.assign(family=order_lines["product_id"].map(FAMILY))
    wide = family.pivot(index="order_id", columns="line_no", values="family")
    return pd.DataFrame(
        {"lines": family.groupby("order_id").size(), "first": wide[1], "second": wide[2]}
    )


def test_every_order_has_one_to_four_lines_numbered_from_one(orders, order_lines):
    counts = order_lines.groupby("order_id").size()
    assert set(counts.index) == set(orders["order_id"])
    assert counts.between(1, 4).all()
    assert set(counts) == {1, 2, 3, 4}
    numbered = order_lines.groupby("order_id")["line_no"].apply(list)
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in numbered)


def test_lines_add_up_to_their_order_amount_for_every_order(orders, order_lines):
    paid = (order_lines["quantity"] * order_lines["unit_price"]).groupby(order_lines["order_id"])
    by_order = paid.sum().round(2).reindex(orders["order_id"])
    assert (by_order.to_numpy() == orders["amount"].round(2).to_numpy()).all()
    assert (order_lines["unit_price"] > 0).all()
    assert set(order_lines["quantity"]) <= {1, 2}
    last = order_lines.groupby("order_id")["line_no"].transform("max") == order_lines["line_no"]
    assert (order_lines.loc[last, "quantity"] == 1).all()  # the last line takes the rounding


def test_products_come_from_a_chinese_appliance_catalogue(order_lines):
    pairs = order_lines[["product_id", "product_name"]].drop_duplicates()
    assert pairs["product_id"].is_unique  # one name per product
    assert 20 <= len(pairs) <= 30
    assert pairs["product_id"].str.fullmatch(r"P-[A-Z]+").all()
    assert pairs["product_name"].str.fullmatch(r"[\u4e00-\u9fff]+").all()
    assert {("P-KETTLE", "电水壶"), ("P-RICE", "电饭煲")} <= set(map(tuple, pairs.to_numpy()))


def test_two_line_orders_mostly_stay_in_one_family(order_lines):
    # Line 1 is from the order's family; line 2 stays in it with probability
    # SAME_FAMILY and otherwise comes from another family, so the share of two-line
    # orders within one family is Binomial(n, SAME_FAMILY) / n: above p - 4 standard errors.
    per_order = _line_families(order_lines)
    two = per_order[per_order["lines"] == 2]
    share = (two["first"] == two["second"]).mean()
    p, n = lines.SAME_FAMILY, len(two)
    assert n > 1_000
    assert share > p - 4 * math.sqrt(p * (1 - p) / n)
    # Far above what lines drawn without regard to family would give: sum of squared shares.
    shares = order_lines["product_id"].map(FAMILY).value_counts(normalize=True)
    assert share > (shares**2).sum() + 0.3


def test_later_orders_lean_to_the_family_of_the_customers_first(orders, order_lines):
    # An order's family is its first line's. A later order keeps the family of the
    # customer's first order with probability KEEP_FAMILY, else redraws by
    # FAMILY_SHARES and lands on the same family with probability f (the first's
    # share): P(same) = KEEP + (1 - KEEP) * sum(f^2) on average over first orders.
    family = _line_families(order_lines)["first"]
    timed = orders.assign(family=orders["order_id"].map(family))
    timed = timed.sort_values(["ordered_at", "order_id"])
    first = timed.groupby("customer_id")["family"].transform("first")
    later = timed["customer_id"].duplicated()
    same = (timed.loc[later, "family"] == first[later]).mean()
    keep, shares = lines.KEEP_FAMILY, np.array(lines.FAMILY_SHARES)
    p, n = keep + (1 - keep) * (shares**2).sum(), int(later.sum())
    assert n > 5_000
    assert same > p - 4 * math.sqrt(p * (1 - p) / n)


def test_lines_import_and_clean_into_the_warehouse(folder, order_lines, tmp_path):
    settings = load_settings(folder / "cxlens.toml")
    sources = {source.table: source for source in settings.sources}
    assert sources["order_lines"].path == (folder / LINES_CSV).resolve()
    warehouse = Warehouse(tmp_path / "w.duckdb")
    for table in ("orders", "order_lines"):
        import_file(warehouse, sources[table].path, table=table, timezone="Asia/Shanghai")
    rules = clean_warehouse(warehouse, settings)

    with warehouse.connect(read_only=True) as con:
        cleaned = con.execute(
            "SELECT order_id, line_no, product_id, quantity, unit_price FROM order_lines "
            "ORDER BY order_id, line_no"
        ).fetchdf()
    assert len(cleaned) == len(order_lines)
    expected = order_lines[["order_id", "line_no", "product_id", "quantity", "unit_price"]]
    assert (cleaned["order_id"].to_numpy() == expected["order_id"].to_numpy()).all()
    assert (cleaned["line_no"].to_numpy() == expected["line_no"].to_numpy()).all()
    assert np.allclose(cleaned["unit_price"], expected["unit_price"])
    touched = {(r.rule, r.rows) for r in rules if r.table_name == "order_lines"}
    assert ("exact_duplicates", 0) in touched and ("key_duplicates", 0) in touched


def test_the_lines_draw_after_every_other_export(folder, tmp_path, monkeypatch):
    # Generating without any line draw must write every other export byte for byte.
    def no_lines(orders, rng):
        return pd.DataFrame(columns=["order_id", "line_no", "product_id", "product_name",
                                     "quantity", "unit_price"])  # fmt: skip

    monkeypatch.setattr(generate_module, "make_order_lines", no_lines)
    without = tmp_path / "without"
    write_sample_project(without, seed=7)
    assert len(pd.read_csv(without / LINES_CSV)) == 0  # the stub was used
    others = [p for p in (folder / "exports").iterdir() if p.name != "order_lines.csv"]
    assert len(others) == 7
    for path in others:
        assert (without / "exports" / path.name).read_bytes() == path.read_bytes(), path.name
