"""The cleaning log: one row per rule per table, saying how many rows the rule touched.

Every rule that runs on a table is reported, also when it touched no row (``rows = 0``):
a zero says "checked, nothing found", which a reader cannot tell from a missing line.
``example_keys`` holds up to five distinct keys of touched rows, smallest first, so that running
the cleaning twice writes the same log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cxlens.schema import TABLES
from cxlens.store import quote

if TYPE_CHECKING:
    import duckdb

EXAMPLES = 5


@dataclass
class CleaningRule:
    """What one rule did to one table."""

    rule: str
    table_name: str
    rows: int
    example_keys: list[str] = field(default_factory=list)
    description: str = ""


class CleaningLog:
    """The rules applied so far, in the order they ran."""

    def __init__(self) -> None:
        self.rules: list[CleaningRule] = []

    def add(
        self,
        rule: str,
        table_name: str,
        rows: int,
        example_keys: list[str] | None = None,
        description: str = "",
    ) -> CleaningRule:
        entry = CleaningRule(rule, table_name, int(rows), list(example_keys or []), description)
        self.rules.append(entry)
        return entry

    def count(
        self,
        con: duckdb.DuckDBPyConnection,
        rule: str,
        table_name: str,
        where: str,
        description: str,
        relation: str | None = None,
    ) -> CleaningRule:
        """Log the rows of the staged table (or ``relation``) that satisfy ``where``."""
        relation = relation or stage_name(table_name)
        rows, examples = con.execute(
            f"SELECT count(*), min(DISTINCT {key_sql(table_name)}, {EXAMPLES}) "
            f"FROM {relation} WHERE {where}"
        ).fetchone()
        return self.add(rule, table_name, rows, examples or [], description)

    def count_all(
        self,
        con: duckdb.DuckDBPyConnection,
        table_name: str,
        rules: list[tuple[str, str, str]],
        relation: str | None = None,
    ) -> None:
        """Log several ``(rule, where, description)`` as ``count`` would, in rule order.

        The rows of every rule are counted in one scan; examples are read only for the
        rules that touched a row.
        """
        relation = relation or stage_name(table_name)
        counts = ", ".join(f"count(*) FILTER (WHERE {where})" for _, where, _ in rules)
        touched = con.execute(f"SELECT {counts} FROM {relation}").fetchone()
        for (rule, where, description), rows in zip(rules, touched, strict=True):
            if rows:
                self.count(con, rule, table_name, where, description, relation)
            else:
                self.add(rule, table_name, 0, [], description)


def stage_name(table_name: str) -> str:
    """The temporary table in which ``table_name`` is cleaned before it is published."""
    return quote(f"_clean_{table_name}")


def key_sql(table_name: str) -> str:
    """SQL for a row's key as text; parts of a composite key are joined with ``|``."""
    parts = [f"CAST({quote(c)} AS VARCHAR)" for c in TABLES[table_name].key]
    if len(parts) == 1:
        return parts[0]
    return f"concat_ws('|', {', '.join(parts)})"


def write_log(con: duckdb.DuckDBPyConnection, rules: list[CleaningRule]) -> None:
    """Replace ``cleaning_log`` with ``rules``, in the order they ran."""
    con.execute(
        "CREATE OR REPLACE TABLE cleaning_log (rule VARCHAR, table_name VARCHAR, "
        "rows BIGINT, example_keys VARCHAR[], description VARCHAR)"
    )
    if rules:
        con.executemany(
            "INSERT INTO cleaning_log VALUES (?, ?, ?, ?, ?)",
            [(r.rule, r.table_name, r.rows, r.example_keys, r.description) for r in rules],
        )
