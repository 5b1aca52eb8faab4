"""One agent, one id: agent names in exports are rewritten to the ids of the agents table.

Helpdesk exports do not agree on how they name an agent. Zendesk's ticket export gives
the assignee's name ("Anna Schmidt"); its audits give the author's numeric id (9001); a
CSAT download may give either. Without one id, every by-agent figure splits one person
into two rows, and attribution from events looks as if credit moved away from the
assignee when it did not.

Where an ``agents`` table is imported, a reference in ``tickets.agent_id``,
``survey_responses.agent_id`` or an agent's ``ticket_events.actor_id`` that is not an
agent id but equals exactly one agent's name (case and spaces aside) becomes that
agent's id. A name two agents share is left as written, and counted, since no rule can
tell them apart. Every rewrite is counted in the cleaning log per table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.clean.log import stage_name
from cxlens.store import quote

if TYPE_CHECKING:
    import duckdb

    from cxlens.clean.log import CleaningLog

NAME_MAP = quote("_agent_names")
# (table, column, rows that refer to an agent)
REFERENCES = (
    ("tickets", "agent_id", "true"),
    ("survey_responses", "agent_id", "true"),
    ("ticket_events", "actor_id", "actor = 'agent'"),
)

NAMES = """
    SELECT lower(trim(name)) AS name_key,
        min(agent_id) AS agent_id,
        count(DISTINCT agent_id) AS agents
    FROM {agents}
    WHERE nullif(trim(name), '') IS NOT NULL AND agent_id IS NOT NULL
    GROUP BY 1
"""


def link_agent_names(
    con: duckdb.DuckDBPyConnection, cleaning_log: CleaningLog, staged: set[str]
) -> None:
    """Rewrite agent names to agent ids in the staged tables that refer to agents."""
    agents = stage_name("agents")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {NAME_MAP} AS {NAMES.format(agents=agents)}")

    for table_name, column, refers in REFERENCES:
        if table_name in staged:
            _link(con, cleaning_log, table_name, column, refers, agents)

    con.execute(f"DROP TABLE {NAME_MAP}")


def _link(con, cleaning_log, table_name: str, column: str, refers: str, agents: str) -> None:
    stage, col = stage_name(table_name), quote(column)
    named = (
        f"{refers} AND {col} IS NOT NULL "
        f"AND {col} NOT IN (SELECT agent_id FROM {agents} WHERE agent_id IS NOT NULL) "
        f"AND lower(trim({col})) IN (SELECT name_key FROM {NAME_MAP} WHERE agents {{which}})"
    )
    cleaning_log.count(
        con,
        f"agent_name_to_id_{table_name}",
        table_name,
        named.format(which="= 1"),
        f"{column} held an agent's name, not the id: rewritten to the agents table's id",
    )
    cleaning_log.count(
        con,
        f"agent_name_ambiguous_{table_name}",
        table_name,
        named.format(which="> 1"),
        f"{column} holds a name that several agents share: left as written",
    )
    con.execute(
        f"UPDATE {stage} SET {col} = (SELECT m.agent_id FROM {NAME_MAP} m "
        f"WHERE m.agents = 1 AND m.name_key = lower(trim({stage}.{col}))) "
        f"WHERE {named.format(which='= 1')}"
    )
