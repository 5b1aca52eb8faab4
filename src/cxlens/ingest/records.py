"""Records posted to the API, written exactly as a file import would write them.

``POST /api/v1/{table}`` and the survey form hand over records as JSON objects named by
canonical columns. Rather than a second validation path that could drift from the
importer's, the records are written to a temporary JSON file and imported with
``import_file``: the same parsing, time zones, choices and key replacement. What a file
import cannot say about a list of objects is checked here first, on the records as
posted: names that are not columns, missing keys and required values, values that are
lists or objects, and one key given twice in one request.

When any record is bad nothing is written and ``RecordsInvalid`` lists every bad value
of every record, so a client fixes a batch in one round trip: the sound names and
values of every record are still parsed, in a scratch in-memory database, for their
value errors. Cleaning is the caller's (the server coalesces it after a burst of writes).
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxlens.errors import ColumnsError, ConfigError, InputError, RowError, RowsRejected
from cxlens.ingest import headers as hdr
from cxlens.ingest.importer import import_file
from cxlens.schema import Table
from cxlens.schema import table as schema_table

log = logging.getLogger(__name__)

WRITABLE = ("tickets", "ticket_events", "survey_responses", "orders", "customers")
ATTRIBUTES = "attributes"
SHOWN_IN_MESSAGE = 20  # problems listed in the exception's text; ``errors`` holds all


@dataclass(frozen=True)
class RecordsWritten:
    """What one write did: rows inserted into ``raw_<table>``, and how many replaced rows."""

    table: str
    inserted: int
    replaced: int


class RecordsInvalid(InputError):
    """Posted records break the contract; nothing was written.

    ``errors`` holds one ``{"record", "column", "value", "problem"}`` per bad value:
    ``record`` counts from 0 in the order posted, ``column`` is the canonical name
    (``None`` when the whole record is wrong), ``value`` is as posted.
    """

    def __init__(self, table: str, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        records = len({e["record"] for e in errors})
        lines = [f"{table}: {records} record(s) rejected; nothing was written."]
        lines += [f"  {_describe(e)}" for e in errors[:SHOWN_IN_MESSAGE]]
        if len(errors) > SHOWN_IN_MESSAGE:
            lines.append(f"  … and {len(errors) - SHOWN_IN_MESSAGE} more")
        super().__init__("\n".join(lines))


def write_records(
    warehouse: Any,
    table: str,
    records: list[dict[str, Any]],
    *,
    timezone: str,
    received_at: datetime | None = None,
    con: Any = None,
    source: str = "api",
    allow_unanswered: bool = False,
) -> RecordsWritten:
    """Validate ``records`` as a file import would and write them to ``raw_<table>``.

    ``timezone`` is the IANA zone of naive times; survey responses without
    ``responded_at`` get ``received_at`` (default: now). A record whose key is already
    stored replaces that row, so posting the same record twice leaves one row. ``con``
    writes inside the caller's transaction; ``source`` names the origin in ``_source``.
    ``allow_unanswered`` lets a survey response come without a score: a survey sent and
    not answered yet (survey links record their sends so), kept without ``responded_at``.
    Raises ``ConfigError`` for a table the API does not write, ``RecordsInvalid`` for
    bad records (having written nothing).
    """
    canonical = _writable(table)
    if not records:
        return RecordsWritten(table, 0, 0)

    received = (received_at or datetime.now(UTC)).astimezone(UTC)
    required = _required(canonical, allow_unanswered)
    problems = _structure_problems(canonical, records, required)
    kept = [i for i, record in enumerate(records) if isinstance(record, dict)]
    prepared = [_prepared(canonical, records[i], received, allow_unanswered) for i in kept]

    if problems:
        problems += _value_problems(canonical, records, kept, prepared, timezone)
        raise RecordsInvalid(table, _ordered(canonical, problems))
    try:
        result = _import(warehouse, canonical, prepared, timezone, con, source)
    except RowsRejected as rejected:
        problems = _from_row_errors(rejected.errors, records, kept)
        raise RecordsInvalid(table, _ordered(canonical, problems)) from None

    written = RecordsWritten(table, result.tables.get(table, 0), result.replaced.get(table, 0))
    log.info("%s: %d record(s) written, %d replaced", table, written.inserted, written.replaced)
    return written


def _writable(table: str) -> Table:
    if table not in WRITABLE:
        raise ConfigError(
            f"records cannot be written to {table!r}; the API writes: {', '.join(WRITABLE)}"
        )
    return schema_table(table)


# -- what a file import cannot tell about a list of objects ----------------------------


def _required(table: Table, allow_unanswered: bool = False) -> list[str]:
    """Columns every posted record must give: a response's answer time defaults to receipt,
    and an unanswered send (where allowed) has no score."""
    optional = {"responded_at", "score"} if allow_unanswered else {"responded_at"}
    if table.name != "survey_responses":
        optional = set()
    return [c for c in table.required if c not in optional]


def _structure_problems(
    table: Table, records: list[Any], required: list[str]
) -> list[dict[str, Any]]:
    """Non-objects, unknown names, lists as values, missing values, keys given twice."""
    problems: list[dict[str, Any]] = []
    allowed = list(table.column_by_name)
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append(_problem(index, None, record, "a JSON object of column: value"))
            continue
        problems += [
            _problem(index, name, value, f"a column of {table.name}: {', '.join(allowed)}")
            for name, value in record.items()
            if name not in table.column_by_name
        ]
        problems += _value_shape_problems(table, index, record)
        problems += [
            _problem(index, name, record.get(name), "a value (this column is required)")
            for name in required
            if _blank(record.get(name))
        ]
    return problems + _repeated_keys(table, records, {p["record"] for p in problems})


def _value_shape_problems(table: Table, index: int, record: dict) -> list[dict[str, Any]]:
    """Each value a single text, number or true/false; ``attributes`` an object of extras."""
    problems = [
        _problem(index, name, value, "a single value (text, number, true/false or null)")
        for name, value in record.items()
        if name in table.column_by_name and name != ATTRIBUTES and not _scalar(value)
    ]
    extras = record.get(ATTRIBUTES)
    if extras is None:
        return problems
    if not isinstance(extras, dict):
        return [*problems, _problem(index, ATTRIBUTES, extras, "an object of extra name: value")]
    clashing = _clashing(table, extras)
    if clashing:
        problems.append(
            _problem(
                index,
                ATTRIBUTES,
                extras,
                f"extra names that are not columns of {table.name} and do not start with '_' "
                f"(give {', '.join(map(repr, clashing))} as a column, or rename it)",
            )
        )
    return problems


def _clashing(table: Table, extras: dict[str, Any]) -> list[str]:
    """Extra names the importer would take for a column (or its own bookkeeping)."""
    return [
        key
        for key in extras
        if not key or key.startswith("_") or hdr.canonical_for(key, table) is not None
    ]


def _repeated_keys(table: Table, records: list[Any], bad: set[int]) -> list[dict[str, Any]]:
    """Records repeating the key of an earlier record of the same request."""
    import pandas as pd

    rows = [i for i, r in enumerate(records) if i not in bad and isinstance(r, dict)]
    key = list(table.key)
    keys = pd.DataFrame([[str(records[i].get(k)) for k in key] for i in rows], columns=key)
    keys["record"] = rows
    keys["first"] = keys.groupby(key)["record"].transform("min")

    repeats = keys[keys["record"] != keys["first"]]
    return [
        _problem(
            record,
            key[0],
            records[record].get(key[0]),
            f"a key given once per request (record {first} has the same key)",
        )
        for record, first in zip(repeats["record"], repeats["first"], strict=True)
    ]


def _scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _prepared(
    table: Table, record: dict[str, Any], received: datetime, allow_unanswered: bool = False
) -> dict[str, Any]:
    """The record as the importer reads it: extras at the top level, a receipt time filled
    (not for an allowed unanswered send: nobody answered it, at any time).

    Names and values already found wrong are left out, so that the importer can still
    report the record's other values.
    """
    flat = {
        name: value
        for name, value in record.items()
        if name in table.column_by_name and name != ATTRIBUTES and _scalar(value)
    }
    unanswered = allow_unanswered and _blank(flat.get("score"))
    if table.name == "survey_responses" and _blank(flat.get("responded_at")) and not unanswered:
        flat["responded_at"] = received.isoformat()
    extras = record.get(ATTRIBUTES)
    if isinstance(extras, dict) and not _clashing(table, extras):
        flat.update(extras)
    return flat


# -- the importer's own checks ---------------------------------------------------------


def _import(
    warehouse: Any,
    table: Table,
    prepared: list[dict[str, Any]],
    timezone: str,
    con: Any,
    source: str,
) -> Any:
    """Import ``prepared`` as one JSON file, in ``con``'s transaction or a new one."""
    with tempfile.TemporaryDirectory(prefix="cxlens-records-") as folder:
        path = Path(folder) / f"{table.name}.json"
        path.write_text(json.dumps(prepared, ensure_ascii=False, default=str), encoding="utf-8")
        return import_file(
            warehouse,
            path,
            table=table.name,
            timezone=timezone,
            max_errors=len(prepared) * len(table.columns) + 1,
            con=con,
            source=source,
        )


def _value_problems(
    table: Table,
    records: list[Any],
    kept: list[int],
    prepared: list[dict[str, Any]],
    timezone: str,
) -> list[dict[str, Any]]:
    """The importer's value errors for the structurally sound records, in a scratch database."""
    import duckdb

    if not prepared:
        return []
    scratch = duckdb.connect(":memory:")
    try:
        scratch.begin()
        _import(None, table, prepared, timezone, scratch, "scratch")
    except RowsRejected as rejected:
        return _from_row_errors(rejected.errors, records, kept)
    except ColumnsError:
        return []  # a required column no record gives: already listed per record
    finally:
        scratch.close()
    return []


def _from_row_errors(
    errors: list[RowError], records: list[Any], kept: list[int]
) -> list[dict[str, Any]]:
    """Importer row errors (records counted from 1 in the file) as posted-record problems."""
    problems = []
    for error in errors:
        index = kept[error.row - 1] if error.row else None
        column = error.canonical or error.column
        record = records[index] if index is not None else {}
        value = record.get(column, error.value) if isinstance(record, dict) else error.value
        problems.append(_problem(index, column, value, error.expected))
    return problems


# -- the error list --------------------------------------------------------------------


def _problem(record: int | None, column: str | None, value: Any, problem: str) -> dict[str, Any]:
    return {"record": record, "column": column, "value": value, "problem": problem}


def _ordered(table: Table, problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By record, then in the table's column order; each (record, column) once."""
    position = {name: i for i, name in enumerate(table.column_by_name)}
    seen: set[tuple[Any, Any]] = set()
    unique = []
    for p in problems:
        if (p["record"], p["column"]) not in seen:
            seen.add((p["record"], p["column"]))
            unique.append(p)
    return sorted(
        unique,
        key=lambda p: (
            -1 if p["record"] is None else p["record"],
            position.get(p["column"], len(position)),
            str(p["column"]),
        ),
    )


def _describe(error: dict[str, Any]) -> str:
    column = f", column {error['column']!r}" if error["column"] is not None else ""
    value = "empty" if _blank(error["value"]) else repr(error["value"])
    return f"record {error['record']}{column}: {value} — expected {error['problem']}"
