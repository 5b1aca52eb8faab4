"""The ``uci-online-retail`` preset: one file of invoice lines fills orders and order_lines.

A small file in the UCI layout, written here, is imported through the real importer and
checked against values computed by hand; the shared 20,000-line sample
(/work/shared/datasets, MANIFEST entry ``uci_online_retail_random20k.csv``) is checked
against a pandas reading of the same file.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from cxlens.clean import clean_warehouse
from cxlens.ingest import import_file
from cxlens.settings import Settings
from cxlens.store import Warehouse

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
if not DATASETS.exists():  # the checkout may live elsewhere than /work/main
    DATASETS = Path("/work/shared/datasets")
RETAIL = DATASETS / "uci_online_retail_random20k.csv"
needs_data = pytest.mark.skipif(not RETAIL.exists(), reason="shared data sets not present")

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
          "CustomerID", "Country"]  # fmt: skip
# Five invoices, their lines interleaved as in the random sample: two lines of 536365
# out of StockCode order; 557055 in British summer time; a cancellation C536379; two
# invoices without a customer (NA), one with a blank description, one spanning two
# minutes, whose lines add up to 10.079999999999998 in floating point.
LINES = [
    ["536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "6", "2010-12-01 08:26:00", "2.55", "17850", "United Kingdom"],
    ["536544", "84970S", "HANGING HEART ZINC T-LIGHT HOLDER", "3", "2010-12-01 14:33:00", "0.85", "NA", "United Kingdom"],
    ["557055", "23203", "JUMBO BAG DOILEY PATTERNS", "20", "2011-06-16 14:45:00", "2.08", "12621", "Germany"],
    ["536365", "71053", "WHITE METAL LANTERN", "6", "2010-12-01 08:26:00", "3.39", "17850", "United Kingdom"],
    ["C536379", "D", "Discount", "-1", "2010-12-01 09:41:00", "27.5", "14527", "United Kingdom"],
    ["536414", "22139", "", "56", "2010-12-01 11:52:00", "0", "NA", "United Kingdom"],
    ["536544", "21773", "DECORATIVE ROSE BATHROOM BOTTLE", "1", "2010-12-01 14:32:00", "2.51", "NA", "United Kingdom"],
    ["536544", "21774", "DECORATIVE CATS BATHROOM BOTTLE", "2", "2010-12-01 14:33:00", "2.51", "NA", "United Kingdom"],
]  # fmt: skip


def write_retail(path: Path, rows: list[list[str]]) -> Path:
    """The file as the UCI sample writes it: every text field quoted, numbers bare."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def query(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    with warehouse.connect(read_only=True) as con:
        return con.execute(sql).fetchdf()


def records(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.to_numpy().tolist()]


def test_invoices_become_orders_with_their_amounts(tmp_path, warehouse):
    path = write_retail(tmp_path / "retail.csv", LINES)
    result = import_file(warehouse, path, preset="uci-online-retail", timezone="Europe/London")
    assert result.tables == {"orders": 5, "order_lines": 8}

    orders = query(
        warehouse,
        "SELECT order_id, customer_id, ordered_at, amount, currency, status, attributes "
        "FROM raw_orders ORDER BY order_id",
    )
    # by hand: 6 x 2.55 + 6 x 3.39 = 35.64; 3 x 0.85 + 1 x 2.51 + 2 x 2.51 = 10.08;
    # 20 x 2.08 = 41.60 at 14:45 BST = 13:45 UTC; London is on UTC in December
    assert records(orders.drop(columns="attributes")) == [
        ("536365", "17850", dt.datetime(2010, 12, 1, 8, 26), 35.64, "GBP", "completed"),
        ("536414", None, dt.datetime(2010, 12, 1, 11, 52), 0.0, "GBP", "completed"),
        ("536544", None, dt.datetime(2010, 12, 1, 14, 32), 10.08, "GBP", "completed"),
        ("557055", "12621", dt.datetime(2011, 6, 16, 13, 45), 41.6, "GBP", "completed"),
        ("C536379", "14527", dt.datetime(2010, 12, 1, 9, 41), -27.5, "GBP", "cancelled"),
    ]
    countries = [json.loads(a) for a in orders["attributes"]]
    assert countries[3] == {"Country": "Germany"}
    assert countries[0] == {"Country": "United Kingdom"}


def test_invoice_lines_become_order_lines_numbered_by_stock_code(tmp_path, warehouse):
    path = write_retail(tmp_path / "retail.csv", LINES)
    import_file(warehouse, path, preset="uci-online-retail", timezone="Europe/London")
    lines = query(
        warehouse,
        "SELECT order_id, line_no, product_id, product_name, quantity, unit_price, attributes "
        "FROM raw_order_lines ORDER BY order_id, line_no",
    )
    assert records(lines.drop(columns="attributes")) == [
        ("536365", 1, "71053", "WHITE METAL LANTERN", 6.0, 3.39),
        ("536365", 2, "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 6.0, 2.55),
        ("536414", 1, "22139", None, 56.0, 0.0),
        ("536544", 1, "21773", "DECORATIVE ROSE BATHROOM BOTTLE", 1.0, 2.51),
        ("536544", 2, "21774", "DECORATIVE CATS BATHROOM BOTTLE", 2.0, 2.51),
        ("536544", 3, "84970S", "HANGING HEART ZINC T-LIGHT HOLDER", 3.0, 0.85),
        ("557055", 1, "23203", "JUMBO BAG DOILEY PATTERNS", 20.0, 2.08),
        ("C536379", 1, "D", "Discount", -1.0, 27.5),
    ]
    assert lines["attributes"].isna().all()


def test_line_numbers_do_not_depend_on_line_order(tmp_path):
    keyed = []
    for name, rows in (("a", LINES), ("b", LINES[::-1])):
        warehouse = Warehouse(tmp_path / f"{name}.duckdb")
        path = write_retail(tmp_path / f"{name}.csv", rows)
        import_file(warehouse, path, preset="uci-online-retail", timezone="Europe/London")
        keyed.append(
            query(
                warehouse,
                "SELECT order_id, line_no, product_id, quantity FROM raw_order_lines "
                "ORDER BY order_id, line_no",
            )
        )
    pd.testing.assert_frame_equal(keyed[0], keyed[1])


@needs_data
def test_the_20k_sample_imports_every_invoice_and_line(warehouse):
    raw = pd.read_csv(RETAIL, dtype=str, keep_default_na=False)
    invoices = raw.groupby("InvoiceNo")
    paid = pd.to_numeric(raw["Quantity"]) * pd.to_numeric(raw["UnitPrice"])
    import_file(warehouse, RETAIL, preset="uci-online-retail", timezone="Europe/London")

    orders = query(warehouse, "SELECT * FROM raw_orders").set_index("order_id")
    assert len(orders) == raw["InvoiceNo"].nunique() == 9362
    amounts = paid.groupby(raw["InvoiceNo"]).sum().reindex(orders.index)
    assert orders["amount"].to_numpy() == pytest.approx(amounts.to_numpy(), abs=1e-9)
    cancelled = orders.index.str.startswith("C")
    assert (orders.loc[cancelled, "status"] == "cancelled").all()
    assert (orders.loc[~cancelled, "status"] == "completed").all()
    anonymous = (invoices["CustomerID"].first() == "NA").reindex(orders.index)
    assert (orders["customer_id"].isna() == anonymous).all()
    first = pd.to_datetime(invoices["InvoiceDate"].min()).dt.tz_localize("Europe/London")
    utc = first.dt.tz_convert("UTC").dt.tz_localize(None).reindex(orders.index)
    assert (orders["ordered_at"] == utc).all()

    lines = query(warehouse, "SELECT * FROM raw_order_lines")
    assert len(lines) == len(raw) == 20_000
    per_invoice = lines.groupby("order_id")["line_no"].agg(["min", "max", "count"])
    assert (per_invoice["min"] == 1).all() and (per_invoice["max"] == per_invoice["count"]).all()
    assert (per_invoice["count"] == invoices.size().reindex(per_invoice.index)).all()
    assert lines["quantity"].sum() == pd.to_numeric(raw["Quantity"]).sum()

    clean_warehouse(warehouse, Settings(timezone="Europe/London", currency="GBP"))
    cleaned = query(warehouse, "SELECT (SELECT count(*) FROM orders), count(*) FROM order_lines")
    assert cleaned.iloc[0].tolist() == [9362, 20_000]
