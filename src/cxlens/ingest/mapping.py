"""From a file's headers to canonical columns: plain headers, ``sql:`` expressions, presets.

A target (``presets.base.Target``) says where each canonical column comes from. A
file without a preset gets an automatic target: every header whose name (or
Chinese alias) is a canonical column of the table, plus any ``columns`` mapping
given in the source's options. Resolving a target turns each source into an SQL
expression over the staged text columns and fails early, before any row is read
into the warehouse, when a required column cannot be found.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cxlens.errors import ColumnsError
from cxlens.ingest import headers as hdr
from cxlens.ingest.presets.base import Preset, Target
from cxlens.schema import STRING, Table
from cxlens.schema import table as schema_table
from cxlens.store import literal, quote

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
CLOSE_HEADER = 0.8  # difflib ratio from which a header is offered as the missing column
# Ids of people: the same customer or agent may be known to two helpdesks, so a
# source's key_prefix leaves them as written.
PERSON_IDS = ("customer_id", "agent_id")


@dataclass(frozen=True)
class Resolved:
    """A target made concrete for one file.

    ``sources`` maps canonical column → SQL text expression over the staged columns;
    ``labels`` maps canonical column → how the file names it (for messages);
    ``attributes`` lists the headers kept in the ``attributes`` JSON.
    """

    table: Table
    target: Target
    sources: dict[str, str]
    labels: dict[str, str]
    attributes: list[str]
    where: str | None
    latest_by: str | None


class _Missing(Exception):
    def __init__(self, header: str) -> None:
        self.header = header
        super().__init__(header)


def auto_target(table: str, headers: list[str], options: dict[str, Any]) -> Target:
    """The target for a file with no preset: canonical or alias headers, plus ``columns``."""
    canonical = schema_table(table)
    columns = hdr.auto_mapping(headers, canonical)
    columns.update(dict(options.get("columns") or {}))
    return Target(table, columns, hints=dict(options.get("hints") or {}))


def resolve(target: Target, headers: list[str], path: Path, preset: Preset | None) -> Resolved:
    """Turn a target's sources into SQL over the staged columns; ColumnsError when required ones are missing."""
    table = schema_table(target.table)
    sources, labels, used, missing = {}, {}, set(), []
    for column, source in target.columns.items():
        try:
            sql, refs = _source_sql(source, headers)
        except _Missing as gone:
            if column in table.required:
                missing.append((column, gone.header))
            continue
        sources[column], labels[column] = sql, _label(source, refs)
        used.update(refs)
    missing += [(c, None) for c in table.required if c not in target.columns]
    if missing:
        raise _columns_error(path, table, headers, missing, preset)
    return Resolved(
        table,
        target,
        sources,
        labels,
        _attribute_headers(target, headers, used),
        _placeholders(target.where, headers) if target.where else None,
        _placeholders(target.latest_by, headers) if target.latest_by else None,
    )


def record_ids(table: Table) -> tuple[str, ...]:
    """The key columns of ``table`` that name a record (text ids, not people, not times)."""
    return tuple(k for k in table.key if table.column(k).type == STRING and k not in PERSON_IDS)


def with_key_prefix(resolved: list[Resolved], prefix: str | None) -> list[Resolved]:
    """Put ``prefix`` before the ids of the records this file delivers.

    Prefixed are each table's record ids and, in the same file, the columns that refer
    to records of the file's own tables: a survey answer's ``ticket_id`` when the file
    also fills tickets, a ticket's ``merged_into``. Two helpdesks that both number
    tickets from 1001 then keep apart. Person ids (``PERSON_IDS``) and references to
    records the file does not deliver stay as written. A missing id stays missing.
    """
    if not prefix:
        return resolved
    own = {k for item in resolved for k in record_ids(item.table)}
    if "ticket_id" in own:
        own.add("merged_into")
    prefixed = literal(prefix)
    return [
        replace(
            item,
            sources={
                c: f"({prefixed} || cx_na({sql}))" if c in own else sql
                for c, sql in item.sources.items()
            },
        )
        for item in resolved
    ]


def _source_sql(source: str, headers: list[str]) -> tuple[str, list[str]]:
    """(SQL, headers it reads) for a plain header or an ``sql:`` expression."""
    if source.startswith("sql:"):
        expression = source[4:].strip()
        refs = [_header(name, headers) for name in _PLACEHOLDER.findall(expression)]
        return f"CAST(({_placeholders(expression, headers)}) AS VARCHAR)", refs
    header = _header(source, headers)
    return quote(header), [header]


def _header(name: str, headers: list[str]) -> str:
    found = hdr.find_header(name, headers)
    if found is None:
        raise _Missing(name)
    return found


def _placeholders(expression: str, headers: list[str]) -> str:
    """Replace ``{Header}`` by the staged column (a missing one is an error)."""
    return _PLACEHOLDER.sub(lambda m: quote(_header(m.group(1), headers)), expression)


def _label(source: str, refs: list[str]) -> str:
    if source.startswith("sql:"):
        return ", ".join(dict.fromkeys(refs)) if refs else source
    return refs[0]


def _attribute_headers(target: Target, headers: list[str], used: set[str]) -> list[str]:
    if target.attributes is not None:
        return [h for name in target.attributes if (h := hdr.find_header(name, headers))]
    return [h for h in headers if h not in used]


# -- the message for missing columns ----------------------------------------------------


def _columns_error(
    path: Path,
    table: Table,
    headers: list[str],
    missing: list[tuple[str, str | None]],
    preset: Preset | None,
) -> ColumnsError:
    names = [c for c, _ in missing]
    lines = [
        f"{path}: cannot fill table {table.name}: required column(s) missing: "
        + ", ".join(f"{c} (looked for header {h!r})" if h else c for c, h in missing),
        "The file's headers are: " + ", ".join(repr(h) for h in headers),
    ]
    suggestion = suggest_preset(headers, table.name) if preset is None else None
    if suggestion:
        lines.append(
            f"These headers look like a {suggestion} export: import with --preset {suggestion} "
            f'(or preset = "{suggestion}" in [[sources]]).'
        )
    lines += [
        "Or say which header holds each column in cxlens.toml:",
        *_example(path, table, headers, names),
    ]
    return ColumnsError("\n".join(lines), path, missing=names)


def _example(path: Path, table: Table, headers: list[str], missing: list[str]) -> list[str]:
    pairs = [
        f'{column} = "{_close_header(column, headers) or "<your header>"}"' for column in missing
    ]
    return [
        "  [[sources]]",
        f'  table = "{table.name}"',
        f"  path = {_toml_text(str(path))}",
        "  columns = { " + ", ".join(pairs) + " }",
        "  (a value may also be an SQL expression such as \"sql:{Date} || ' ' || {Time}\")",
    ]


def _close_header(column: str, headers: list[str]) -> str | None:
    """The header that is plainly the missing column misspelt, if one is.

    Only a near match is offered: a loose one (``Solved at`` for ``created_at``)
    would put a wrong mapping in the user's settings, worse than a placeholder.
    """
    scored = [(difflib.SequenceMatcher(None, column, hdr.normalise(h)).ratio(), h) for h in headers]
    ratio, header = max(scored, default=(0.0, None))
    return header if ratio >= CLOSE_HEADER else None


def _toml_text(text: str) -> str:
    """``text`` as a TOML basic string, the path exactly as the user gave it."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def suggest_preset(headers: list[str], table: str | None) -> str | None:
    """The known preset whose headers the file has (most of, and all it requires), if any."""
    from cxlens.ingest.presets import PRESETS

    have = {hdr.normalise(h) for h in headers}
    best, best_share = None, 0.0
    for name, preset in PRESETS.items():
        for target in preset.targets:
            if table and target.table != table:
                continue
            share = _coverage(target, have)
            if share > best_share:
                best, best_share = name, share
    return best if best_share >= 0.6 else None


def _coverage(target: Target, have: set[str]) -> float:
    """Share of the headers a target reads that the file has (0 when a required one is absent)."""
    required = set(schema_table(target.table).required)
    wanted: set[str] = set()
    for column, source in target.columns.items():
        names = _PLACEHOLDER.findall(source) if source.startswith("sql:") else [source]
        keys = {hdr.normalise(n) for n in names}
        if column in required and not keys <= have:
            return 0.0
        wanted |= keys
    return len(wanted & have) / len(wanted) if wanted else 0.0
