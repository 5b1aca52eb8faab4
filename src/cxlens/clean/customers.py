"""One customer, one id: standardise e-mails and phones, merge customers that share one.

E-mails are trimmed and lower-cased, nothing more: dots and ``+tags`` in the local part
are left alone, because only some providers ignore them. Phones go to E.164
(``phones.py``). Customers that share a standardised e-mail or phone are one customer,
also through a chain (A shares an e-mail with B, B a phone with C). The survivor is the
earliest created (customers without a creation time last), then the smallest id; the
other rows leave ``customers``, and every table that names a customer is re-pointed to
the survivor. ``customer_aliases(alias_id, customer_id)`` maps every customer id ever
seen in ``customers`` (the survivors to themselves) to the id that now stands for it.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from cxlens.clean.log import CleaningLog, stage_name
from cxlens.clean.mapping import apply_value_map, build_value_map, unknown_values
from cxlens.clean.phones import default_region, normalise_phone

if TYPE_CHECKING:
    import duckdb

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

CUSTOMERS = stage_name("customers")
# Tables whose customer_id is re-pointed to the surviving customer.
REFERRING_TABLES = ("tickets", "orders", "survey_responses", "comments", "subscriptions")
BLANKS = " \t\r\n\u00a0\u3000"


def clean_customers(
    con: duckdb.DuckDBPyConnection, settings: Settings, cleaning_log: CleaningLog, staged: set[str]
) -> None:
    """Standardise contacts, merge identities and re-point the tables in ``staged``."""
    standardise_emails(con, cleaning_log)
    standardise_phones(con, settings, cleaning_log)
    merge_identities(con, cleaning_log)
    for table_name in REFERRING_TABLES:
        if table_name in staged:
            repoint(con, table_name, cleaning_log)


def standardise_emails(con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog) -> None:
    standard = f"nullif(lower(trim(email, '{BLANKS}')), '')"
    changed = f"email IS DISTINCT FROM {standard}"
    cleaning_log.count(
        con,
        "email_standardised",
        "customers",
        changed,
        "e-mails trimmed and lower-cased (blank → empty); dots and +tags are kept",
    )
    con.execute(f"UPDATE {CUSTOMERS} SET email = {standard} WHERE {changed}")


def standardise_phones(
    con: duckdb.DuckDBPyConnection, settings: Settings, cleaning_log: CleaningLog
) -> None:
    region = default_region(settings)
    value_map = build_value_map(
        con, CUSTOMERS, "phone", partial(normalise_phone, region=region), "phone"
    )
    in_map = f"FROM {value_map} m WHERE m.value = {CUSTOMERS}.phone"
    cleaning_log.count(
        con,
        "phone_standardised",
        "customers",
        f"EXISTS (SELECT 1 {in_map} AND m.known AND m.value IS DISTINCT FROM m.standard)",
        f"phones written in E.164; numbers without a country code read as region {region}",
    )
    unknown = unknown_values(con, value_map, limit=5)
    cleaning_log.count(
        con,
        "phone_unrecognised",
        "customers",
        f"EXISTS (SELECT 1 {in_map} AND NOT m.known)",
        "phones that are not a possible number, kept as written (trimmed)"
        + (f": {', '.join(unknown)}" if unknown else ""),
    )
    apply_value_map(con, CUSTOMERS, "phone", value_map)
    con.execute(f"DROP TABLE {value_map}")


def merge_identities(con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog) -> None:
    """Build ``customer_aliases`` and keep only the surviving customer rows."""
    _label_components(con)
    con.execute(
        "CREATE OR REPLACE TABLE customer_aliases AS "
        "SELECT i.customer_id AS alias_id, s.customer_id AS customer_id "
        "FROM _identity i JOIN _identity s ON s.rank = i.label ORDER BY alias_id"
    )
    con.execute("DROP TABLE _identity")

    merged = "alias_id <> customer_id"
    rows, examples = con.execute(
        f"SELECT count(*), min(alias_id || '→' || customer_id, 5) "
        f"FROM customer_aliases WHERE {merged}"
    ).fetchone()
    survivors = con.execute(
        f"SELECT count(DISTINCT customer_id) FROM customer_aliases WHERE {merged}"
    ).fetchone()[0]
    cleaning_log.add(
        "customers_merged",
        "customers",
        rows,
        examples or [],
        f"customers sharing a standardised e-mail or phone merged into {survivors} "
        "survivor(s), the earliest created (then smallest id); examples are merged→survivor; "
        "customer_aliases maps old ids to new",
    )
    con.execute(
        f"DELETE FROM {CUSTOMERS} WHERE customer_id IN "
        f"(SELECT alias_id FROM customer_aliases WHERE {merged})"
    )


def _label_components(con: duckdb.DuckDBPyConnection) -> None:
    """Label every customer with the rank of the survivor of its group, in ``_identity``.

    Each pass lets a label flow one step through a shared e-mail or phone; labels only
    ever decrease, so the passes stop once none changes.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _identity AS "
        "SELECT customer_id, email, phone, rank, rank AS label FROM ("
        "SELECT customer_id, email, phone, "
        f"row_number() OVER (ORDER BY created_at NULLS LAST, customer_id) AS rank FROM {CUSTOMERS})"
    )
    passes = 0
    while True:
        passes += 1
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _identity AS "
            "SELECT customer_id, email, phone, rank, label AS previous, least(label, "
            "CASE WHEN email IS NULL THEN label ELSE min(label) OVER (PARTITION BY email) END, "
            "CASE WHEN phone IS NULL THEN label ELSE min(label) OVER (PARTITION BY phone) END"
            ") AS label FROM _identity"
        )
        changed = con.execute("SELECT count(*) FROM _identity WHERE label <> previous").fetchone()
        if not changed[0]:
            break
    log.debug("customer identities settled after %d pass(es)", passes)


def repoint(con: duckdb.DuckDBPyConnection, table_name: str, cleaning_log: CleaningLog) -> None:
    """Point ``customer_id`` of ``table_name`` at the surviving customer."""
    stage = stage_name(table_name)
    aliases = "FROM customer_aliases a WHERE a.alias_id <> a.customer_id"
    cleaning_log.count(
        con,
        "customer_repointed",
        table_name,
        f"customer_id IN (SELECT a.alias_id {aliases})",
        "customer_id of a merged customer replaced by the surviving customer's id",
    )
    con.execute(
        f"UPDATE {stage} SET customer_id = a.customer_id {aliases} "
        f"AND {stage}.customer_id = a.alias_id"
    )
