"""UCI "Online Retail" (``uci-online-retail``): invoices and their lines from one file.

The file (``InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
CustomerID, Country``) has one row per invoice line of a UK gift retailer, 2010-12 to
2011-12, prices in pounds sterling. An invoice number starting with ``C`` is a
cancellation (its quantities are negative); ``NA`` marks a line without a customer.

One file fills two tables:

- ``orders``: one row per invoice. Every line repeats the invoice's number, customer
  and country, so the preset keeps one line per invoice (``latest_by``) and computes
  the per-invoice values over all of its lines with window sums: ``amount`` is the sum
  of Quantity × UnitPrice, in decimal arithmetic so that pence add up exactly (a
  cancellation's amount is negative), ``ordered_at`` the invoice's earliest
  InvoiceDate (ISO text sorts as time; a few invoices span two minutes), ``status``
  cancelled for ``C`` invoices, else completed, and the currency GBP.
- ``order_lines``: one row per line. The file gives no line number, so lines are
  numbered within their invoice by StockCode, then quantity, price and description,
  never by where they stand in the file: a re-sorted copy gives every line the same
  key, and identical lines are interchangeable.

The amount reads Quantity and UnitPrice with a decimal point, as the UCI file writes
them; the lines' own quantity and price are parsed like any number column.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

_INVOICE = "cx_na({InvoiceNo})"
_PER_INVOICE = f"OVER (PARTITION BY {_INVOICE})"
_EXACT = "CAST(cx_number({{{}}}) AS DECIMAL(18, 4))"
_AMOUNT = f"sum({_EXACT.format('Quantity')} * {_EXACT.format('UnitPrice')}) {_PER_INVOICE}"
_FIRST_TIME = f"min(cx_na({{InvoiceDate}})) {_PER_INVOICE}"
_STATUS = f"CASE WHEN upper({_INVOICE}) LIKE 'C%' THEN 'cancelled' ELSE 'completed' END"
_LINE_NO = (
    f"row_number() OVER (PARTITION BY {_INVOICE} ORDER BY cx_na({{StockCode}}), "
    "cx_number({Quantity}), cx_number({UnitPrice}), cx_na({Description}))"
)

ORDERS = Target(
    table="orders",
    columns={
        "order_id": "InvoiceNo",
        "customer_id": "CustomerID",
        "ordered_at": "sql:" + _FIRST_TIME,
        "amount": "sql:" + _AMOUNT,
        "currency": "sql:'GBP'",
        "status": "sql:" + _STATUS,
    },
    # every line carries the invoice's values: keep one line per invoice
    latest_by="cx_na({InvoiceDate})",
    attributes=("Country",),
)

ORDER_LINES = Target(
    table="order_lines",
    columns={
        "order_id": "InvoiceNo",
        "line_no": "sql:" + _LINE_NO,
        "product_id": "StockCode",
        "product_name": "Description",
        "quantity": "Quantity",
        "unit_price": "UnitPrice",
    },
    attributes=(),
)

PRESET = Preset(
    name="uci-online-retail",
    description=(
        "UCI Online Retail invoice lines (InvoiceNo, StockCode, Description, Quantity, "
        "InvoiceDate, UnitPrice, CustomerID, Country)"
    ),
    targets=(ORDERS, ORDER_LINES),
    documentation=(
        "Layout of UCI Online Retail (MANIFEST entry uci_online_retail_random20k.csv; "
        "UCI, CC BY 4.0): one row per invoice line, NA for a missing CustomerID, "
        "invoices starting with C are cancellations. Orders: one per invoice, order_id = "
        "InvoiceNo, customer_id = CustomerID, ordered_at = the invoice's earliest "
        "InvoiceDate, amount = sum of Quantity x UnitPrice over its lines (negative for "
        "cancellations), currency GBP, status cancelled for C invoices else completed, "
        "Country in attributes. Order lines: order_id = InvoiceNo, line_no numbered "
        "within the invoice by StockCode, quantity, price and description, product_id = "
        "StockCode, product_name = Description, quantity, unit_price = UnitPrice. Times "
        "are UK local: give the source timezone = Europe/London."
    ),
)
