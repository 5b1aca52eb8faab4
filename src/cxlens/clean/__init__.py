"""Clean the imported tables: ``raw_<table>`` in, ``<table>`` and ``cleaning_log`` out.

``clean_warehouse`` rebuilds every cleaned table from its raw table in one transaction,
so a reader sees the old tables or the new ones, never a mix; running it twice gives the
same tables. The steps, in order (docs/cleaning.md has every rule):

1. stage each raw table without exact or key duplicates (``dedup``);
2. standardise customers' e-mails and phones and merge customers that share one,
   re-pointing the other tables (``customers``); agent names in tickets, surveys and
   events rewritten to the ids of the agents table (``agents``);
3. tickets: channel, priority and status in one vocabulary each (``channels``,
   ``codes``), the facts the ticket events carry (``events``), then merged/solved
   marks, credited agents, minutes and quality flags (``tickets``);
4. survey responses: scales, the agent credited from the events, agent and channel
   from the ticket, channel codes (``surveys``);
5. orders and subscriptions (``commerce``);
6. publish each table with ``X_local`` beside every timestamp (``local``), tickets with
   their business-time minutes (``business``); build ``sla_clocks`` (``sla``); write
   ``cleaning_log`` (``log``).

All row work is SQL in DuckDB; Python sees only distinct values (channel names, phones).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cxlens.clean.log import CleaningLog, CleaningRule, write_log
from cxlens.errors import WarehouseError
from cxlens.schema import TABLES
from cxlens.store import has_table

if TYPE_CHECKING:
    import duckdb

    from cxlens.settings import Settings
    from cxlens.store import Warehouse

__all__ = ["CleaningRule", "channel_label", "clean_warehouse"]

log = logging.getLogger(__name__)


def clean_warehouse(warehouse: Warehouse, settings: Settings) -> list[CleaningRule]:
    """Rebuild the cleaned tables and ``cleaning_log`` from the raw tables; return the log."""
    import duckdb

    cleaning_log = CleaningLog()
    try:
        with warehouse.transaction() as con:
            staged = _stage_all(con, cleaning_log)
            _clean_staged(con, settings, cleaning_log, staged)
            _publish_all(con, settings, staged)
            write_log(con, cleaning_log.rules)
            _remember_settings(con, settings)
    except duckdb.Error as error:
        raise WarehouseError(
            f"cleaning {warehouse.location} failed, nothing was changed: {error}. "
            "The raw tables do not have the layout cxlens writes; import the files again "
            "with this version (cxlens import)"
        ) from error
    log.info("cleaned %d table(s): %s", len(staged), ", ".join(t for t in TABLES if t in staged))
    return cleaning_log.rules


def channel_label(code: str | None, lang: str = "en") -> str:
    """The display name of a channel code; see ``cxlens.clean.channels.channel_label``."""
    from cxlens.clean.channels import channel_label as label

    return label(code, lang)


def _stage_all(con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog) -> set[str]:
    from cxlens.clean.dedup import stage_table

    staged = set()
    for table_name in TABLES:
        if has_table(con, f"raw_{table_name}"):
            stage_table(con, table_name, cleaning_log)
            staged.add(table_name)
    return staged


def _clean_staged(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    cleaning_log: CleaningLog,
    staged: set[str],
) -> None:
    from cxlens.clean import commerce, customers, surveys
    from cxlens.clean.channels import standardise_channels
    from cxlens.clean.codes import PRIORITIES, TICKET_STATUSES, standardise_codes
    from cxlens.clean.tickets import derive_ticket_columns

    if "customers" in staged:
        customers.clean_customers(con, settings, cleaning_log, staged)
    if "agents" in staged:
        from cxlens.clean.agents import link_agent_names

        link_agent_names(con, cleaning_log, staged)
    if "tickets" in staged:
        standardise_channels(con, "tickets", cleaning_log)
        standardise_codes(con, "tickets", "priority", PRIORITIES, cleaning_log)
        standardise_codes(con, "tickets", "status", TICKET_STATUSES, cleaning_log)
        first_responses = None
        if "ticket_events" in staged:
            from cxlens.clean.events import measure_ticket_events

            first_responses = measure_ticket_events(con)
        derive_ticket_columns(con, cleaning_log, first_responses)
        from cxlens.clean.business import add_business_columns

        add_business_columns(con, settings, first_responses)
    if "survey_responses" in staged:
        surveys.fill_scales(con, cleaning_log)
        if "ticket_events" in staged:
            surveys.credit_from_events(con, cleaning_log)
        if "tickets" in staged:
            surveys.fill_from_tickets(con, cleaning_log)
        standardise_channels(con, "survey_responses", cleaning_log)
    if "orders" in staged:
        commerce.clean_orders(con, settings, cleaning_log)
    if "subscriptions" in staged:
        commerce.flag_subscriptions(con, cleaning_log)


def _publish_all(con: duckdb.DuckDBPyConnection, settings: Settings, staged: set[str]) -> None:
    from cxlens.clean.business import BUSINESS_VIEW
    from cxlens.clean.events import TICKET_FACTS
    from cxlens.clean.local import publish
    from cxlens.clean.sla import build_sla_clocks

    for table_name in TABLES:
        if table_name in staged:
            source = BUSINESS_VIEW if table_name == "tickets" else None
            publish(con, table_name, settings.timezone, source)
    build_sla_clocks(con, settings, staged)
    con.execute(f"DROP TABLE IF EXISTS {TICKET_FACTS}")


def _remember_settings(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Store the settings the tables were cleaned with (their zone decides the local times)."""
    con.execute(
        "CREATE OR REPLACE TABLE project_settings AS SELECT ?::VARCHAR AS timezone, "
        "?::JSON AS settings",
        [settings.timezone, settings.to_stored()],
    )
