"""CDNOW purchase log (``cdnow``): one order per line of ``CDNOW_master.txt``.

The file is the one behind Fader, Hardie & Lee (2005): columns separated by runs of
spaces (with leading spaces), header ``customer_id date number_of_cds dollar_value``,
dates ``YYYYMMDD``, amounts in US dollars.

The file has no order number, and a customer may buy several times on one day, so the
order id is ``<customer>-<date>-<n>``: the n-th purchase of that customer on that day.
Purchases of one day are numbered by quantity and then amount, never by where they
stand in the file, so re-importing a re-sorted file gives every order the same id;
identical lines are interchangeable, so it does not matter which gets which number.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

_OCCURRENCE = (
    "row_number() OVER (PARTITION BY {customer_id}, {date}"
    " ORDER BY try_cast({number_of_cds} AS DOUBLE), try_cast({dollar_value} AS DOUBLE))"
)

ORDERS = Target(
    table="orders",
    columns={
        "order_id": "sql:{customer_id} || '-' || {date} || '-' || " + _OCCURRENCE,
        "customer_id": "customer_id",
        "ordered_at": "date",
        "amount": "dollar_value",
        "currency": "sql:'USD'",
        "status": "sql:'completed'",
    },
    hints={"ordered_at": {"format": "%Y%m%d"}},
    attributes=("number_of_cds",),
)

PRESET = Preset(
    name="cdnow",
    description="CDNOW purchase log (customer_id date number_of_cds dollar_value)",
    targets=(ORDERS,),
    # A single space means "any run of spaces or tabs", leading and trailing ignored.
    read={"delimiter": " "},
    documentation=(
        "Layout of CDNOW_master.txt (MANIFEST entry cdnow_master.txt; Fader, Hardie & "
        "Lee 2005): whitespace-separated, header customer_id date number_of_cds "
        "dollar_value, dates YYYYMMDD. One order per line: order_id = customer-date-n "
        "(n-th purchase of that customer that day, numbered by quantity then amount), "
        "amount = dollar_value in USD, status completed, number_of_cds in attributes. "
        "Reading needs delimiter ' ' taken as runs of blanks."
    ),
)
