"""Orders and subscriptions: default order status and currency, impossible contract dates.

An order without a status is ``completed`` (an export of sales lists sales); an order
without a currency is in the project's currency. Known spellings of a status go to
completed / refunded / cancelled (``codes.ORDER_STATUSES``); others stay lower-cased and
are logged. A subscription that ends before it starts keeps its dates and is flagged
``ended_before_started`` in ``quality_flags``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.clean.codes import ORDER_STATUSES, standardise_codes
from cxlens.clean.log import CleaningLog, stage_name

if TYPE_CHECKING:
    import duckdb

    from cxlens.settings import Settings


def clean_orders(
    con: duckdb.DuckDBPyConnection, settings: Settings, cleaning_log: CleaningLog
) -> None:
    orders = stage_name("orders")
    standardise_codes(con, "orders", "status", ORDER_STATUSES, cleaning_log)
    cleaning_log.count(
        con, "status_default", "orders", "status IS NULL", "orders without a status: completed"
    )
    con.execute(f"UPDATE {orders} SET status = 'completed' WHERE status IS NULL")

    written = "nullif(upper(trim(currency)), '')"
    cleaning_log.count(
        con,
        "currency_standardised",
        "orders",
        f"currency IS NOT NULL AND currency IS DISTINCT FROM {written}",
        "currency codes trimmed and upper-cased",
    )
    con.execute(f"UPDATE {orders} SET currency = {written} WHERE currency IS NOT NULL")
    currency = settings.currency.strip().upper().replace("'", "")
    cleaning_log.count(
        con,
        "currency_default",
        "orders",
        "currency IS NULL",
        f"orders without a currency: the project's ({currency})",
    )
    con.execute(f"UPDATE {orders} SET currency = '{currency}' WHERE currency IS NULL")


def flag_subscriptions(con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog) -> None:
    subscriptions = stage_name("subscriptions")
    impossible = "ended_at < started_at"
    con.execute(f"ALTER TABLE {subscriptions} ADD COLUMN quality_flags VARCHAR DEFAULT NULL")
    con.execute(
        f"UPDATE {subscriptions} SET quality_flags = 'ended_before_started' WHERE {impossible}"
    )
    cleaning_log.count(
        con,
        "ended_before_started",
        "subscriptions",
        impossible,
        "subscriptions ending before they start: dates kept, flagged in quality_flags",
    )
