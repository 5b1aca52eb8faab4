"""Importing one file: read → map → parse → validate → write, all or nothing.

Everything between reading and writing happens inside the one warehouse
transaction, in temporary tables that vanish with it, so a file with a single bad
value leaves the warehouse exactly as it was.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxlens.errors import ColumnsError, ConfigError, InputError, RowsRejected
from cxlens.ingest import convert, detect, mapping, parse, readers, write
from cxlens.ingest import headers as hdr
from cxlens.ingest.presets import get_preset
from cxlens.ingest.presets.base import Preset, Target
from cxlens.schema import table as schema_table
from cxlens.store import quote

log = logging.getLogger(__name__)

READ_OPTIONS = ("delimiter", "header", "names", "skip_rows", "na_values", "null_padding")
# Every option a source may give beside path, table, preset, timezone and sheet.
SOURCE_OPTIONS = (
    *READ_OPTIONS,
    "dayfirst",
    "decimal_comma",
    "encoding",
    "columns",
    "hints",
    "key_prefix",
)


@dataclass
class ImportResult:
    """What one import did: rows per table, rows that replaced earlier ones, how it was read.

    ``sheets`` lists every sheet of a workbook and ``sheet_chosen`` says whether the
    sheet read was asked for; ``records`` counts the file's records (0: header only);
    ``batch`` is the id its rows carry in ``_batch`` (how ``cxlens run`` finds them again).
    """

    source: str
    tables: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    format: str = ""
    encoding: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    sheet_chosen: bool = False
    records: int | None = None
    batch: str = ""

    def describe(self) -> str:
        """One line per table, e.g. ``tickets: 120 rows from t.csv (csv, utf-8; 3 replaced)``."""
        how = self.format + (f", sheet {self.sheet!r}" if self.sheet else "")
        how += f", {self.encoding}" if self.encoding else ""
        lines = []
        if self.records == 0:
            lines.append(
                f"{self.source}: no records (the file has a header but no rows); nothing "
                f"imported ({how})"
            )
        else:
            for table, rows in self.tables.items():
                replaced = self.replaced.get(table, 0)
                note = f"; {replaced} replaced earlier rows" if replaced else ""
                lines.append(f"{table}: {rows} rows imported from {self.source} ({how}{note})")
        if not lines:
            lines.append(f"{self.source}: no rows imported ({how})")
        if self.sheet_note():
            lines.append(self.sheet_note())
        return "\n".join(lines)

    def sheet_note(self) -> str:
        """Which sheet of a several-sheet workbook was read, when nobody chose it."""
        return sheet_note(self.sheet, self.sheets, self.sheet_chosen)


def sheet_note(sheet: str | None, sheets: list[str], chosen: bool) -> str:
    """``read sheet 'ReadMe' (of ReadMe, Data); pass --sheet to choose``, or ''."""
    if chosen or sheet is None or len(sheets) < 2:
        return ""
    return f"read sheet {sheet!r} (of {', '.join(sheets)}); pass --sheet to choose"


class RecordsRejected(RowsRejected):
    """Rows rejected in a JSON or Parquet file, where row numbers count records from 1."""

    def __init__(
        self,
        path: Path | str,
        errors: list[Any],
        truncated: bool = False,
        total: int | None = None,
        preset: str | None = None,
    ) -> None:
        super().__init__(path, errors, truncated, total, preset)
        note = "(In this file, 'row N' means the N-th record, counting from 1.)"
        self.args = (f"{self.args[0]}\n{note}",)


def import_file(
    warehouse: Any,
    path: str | Path,
    *,
    table: str | None = None,
    preset: str | None = None,
    timezone: str = "UTC",
    sheet: str | None = None,
    options: dict[str, Any] | None = None,
    max_errors: int = 50,
    progress: Callable[[int, int, str], None] | None = None,
    con: Any = None,
    source: str | None = None,
) -> ImportResult:
    """Import one CSV, TSV, XLSX, JSON or Parquet file into ``raw_<table>``, all or nothing.

    ``table`` is the canonical table to fill (a preset may fill several); ``preset``
    a known export layout; ``timezone`` the IANA zone of naive times in the file
    (stored as UTC); ``sheet`` the workbook sheet (default the first); ``options``
    the source's extra settings (``dayfirst``, ``delimiter``, ``encoding``,
    ``columns``, ``hints``, ``header``, ``names``, ``skip_rows``, ``na_values``,
    ``decimal_comma``; a nested ``options`` table counts as if written at the top).
    Raises ``UnreadableFile``, ``ColumnsError`` or ``RowsRejected`` (up to
    ``max_errors`` row errors, and how many there are in all), having written nothing.

    ``con`` runs the import inside the caller's open transaction (records posted to the
    API land with whatever else that unit of work writes, or not at all); ``source``
    names the rows' origin in ``_source`` and the imports ledger instead of the path.
    """
    path, options = Path(path), flatten_options(options)
    chosen = get_preset(preset) if preset else None
    _check_zone(timezone)
    targets = _targets(table, chosen)
    read = {
        **(chosen.read if chosen else {}),
        **{k: options[k] for k in READ_OPTIONS if k in options},
    }
    sniffed = detect.sniff(path, options.get("encoding"), progress)
    with (
        tempfile.TemporaryDirectory(prefix="cxlens-") as workdir,
        _unit_of_work(warehouse, con) as con,
    ):
        try:
            result = _import(
                con,
                path,
                sniffed,
                targets,
                chosen,
                read,
                sheet,
                timezone,
                options,
                max_errors,
                Path(workdir),
                progress,
                source or str(path),
            )
        finally:
            _drop_temporaries(con)
    if result.records == 0:
        log.warning("%s: the file has a header but no records; nothing was imported", path)
    if result.sheet_note():
        log.warning("%s: %s", path, result.sheet_note())
    log.info(
        "imported %s: %s (%s, %s)",
        path,
        ", ".join(f"{rows} rows into {t}" for t, rows in result.tables.items()),
        result.format,
        result.encoding or "binary",
    )
    return result


@contextmanager
def _unit_of_work(warehouse: Any, con: Any) -> Iterator[Any]:
    """The caller's connection when given (its transaction holds the import), else a new one."""
    if con is not None:
        yield con
        return
    with warehouse.transaction() as own:
        yield own


def flatten_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """A source's options as one flat dict.

    ``[[sources]]`` entries give options beside ``path`` (``dayfirst = true``); a user
    may also write ``options = { dayfirst = true }``, which arrives nested under
    ``options``. Both count; a key written at the top wins over the nested one.
    """
    flat = dict(options or {})
    nested = flat.pop("options", None)
    if nested is not None and not isinstance(nested, dict):
        raise ConfigError(
            f"options = {nested!r} in [[sources]] must be a table, e.g. "
            "options = { dayfirst = true }"
        )
    merged = {**(nested or {}), **flat}
    _check_option_names(merged)
    return merged


def _check_option_names(options: dict[str, Any]) -> None:
    """Refuse a misspelt source option instead of importing as if it were not there."""
    unknown = sorted(str(k) for k in options if k not in SOURCE_OPTIONS)
    if unknown:
        raise ConfigError(
            f"unknown option(s) in [[sources]]: {', '.join(unknown)}. Besides path, table, "
            f"preset, timezone and sheet, a source may give: {', '.join(sorted(SOURCE_OPTIONS))}"
        )
    prefix = options.get("key_prefix")
    if prefix is not None and not isinstance(prefix, str):
        raise ConfigError(
            f'key_prefix = {prefix!r} in [[sources]] must be text, e.g. key_prefix = "fd-"'
        )


def _check_zone(timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {timezone!r}; give an IANA name such as Asia/Shanghai or UTC"
        ) from None


def _targets(table: str | None, preset: Preset | None) -> list[Target] | str:
    """The preset's targets, or the table to map automatically once the headers are known."""
    if preset is None:
        if table is None:
            raise ConfigError(
                "say which table the file fills: pass --table (e.g. --table tickets), "
                "or a --preset for a known export layout"
            )
        return schema_table(table).name
    if table is not None and table not in {t.table for t in preset.targets}:
        filled = ", ".join(sorted({t.table for t in preset.targets}))
        raise ConfigError(
            f"preset {preset.name!r} fills {filled}, not {table!r}; drop --table or pick "
            "another preset"
        )
    return list(preset.targets)


def _import(
    con: Any,
    path: Path,
    sniffed: detect.Sniffed,
    targets: list[Target] | str,
    preset: Preset | None,
    read: dict[str, Any],
    sheet: str | None,
    timezone: str,
    options: dict[str, Any],
    max_errors: int,
    workdir: Path,
    progress: Any,
    source: str,
) -> ImportResult:
    con.execute("SET enable_progress_bar = false")  # stdout belongs to the CLI's data
    staged = readers.stage(con, path, sniffed, read, sheet, workdir, progress)
    if isinstance(targets, str):
        targets = [mapping.auto_target(targets, staged.headers, options)]
    elif options.get("hints"):
        targets = [_with_hints(t, options["hints"]) for t in targets]
    resolved = _resolve(targets, staged, path, preset, sheet is not None)
    resolved = mapping.with_key_prefix(resolved, options.get("key_prefix"))
    parse.install_macros(con)
    convert.install_na(con, list(read.get("na_values") or []))
    converted, problems = _convert(con, resolved, staged, timezone, options)
    errors, total = convert.collect_errors(con, converted, problems, path, max_errors)
    if errors:
        rejected = RecordsRejected if staged.records else RowsRejected
        raise rejected(
            path,
            errors[:max_errors],
            truncated=len(errors) > max_errors,
            total=total,
            preset=preset.name if preset else None,
        )
    result = _write(con, source, sniffed, staged, converted, preset, timezone, options)
    result.sheets, result.sheet_chosen = list(staged.sheets), sheet is not None
    result.records = _records(con, staged)
    return result


def _resolve(
    targets: list[Target],
    staged: readers.Staged,
    path: Path,
    preset: Preset | None,
    sheet_chosen: bool,
) -> list[mapping.Resolved]:
    """Resolve every target; a workbook's missing columns also name its other sheets."""
    try:
        return [mapping.resolve(t, staged.headers, path, preset) for t in targets]
    except ColumnsError as error:
        note = sheet_note(staged.sheet, list(staged.sheets), sheet_chosen)
        notes = [f"In this workbook cxlens {note}."] if note else []
        notes += _encoding_hint(staged)
        if not notes:
            raise
        raise ColumnsError("\n".join([str(error), *notes]), path, error.missing) from None


def _encoding_hint(staged: readers.Staged) -> list[str]:
    """When the headers look garbled, the columns are likely there but misread: say so."""
    if not staged.encoding or not hdr.looks_misdecoded(staged.headers):
        return []
    guess = hdr.likely_encoding(staged.headers, staged.encoding)
    example = f'"{guess}"' if guess else '"big5" (or the right one)'
    return [
        f"The headers look garbled: the file may not be in {staged.encoding}, the encoding "
        f"cxlens read it with. Name its encoding in its [[sources]] entry: encoding = {example}."
    ]


def _records(con: Any, staged: readers.Staged) -> int:
    """Records the file holds: staged rows with at least one value."""
    present = " OR ".join(f"{quote(h)} IS NOT NULL" for h in staged.headers) or "FALSE"
    return con.execute(f"SELECT count(*) FROM {readers.STAGE} WHERE {present}").fetchone()[0]


def _with_hints(target: Target, hints: dict[str, Any]) -> Target:
    from dataclasses import replace

    merged = {**target.hints, **{k: {**target.hints.get(k, {}), **v} for k, v in hints.items()}}
    return replace(target, hints=merged)


def _convert(
    con: Any,
    resolved: list[mapping.Resolved],
    staged: readers.Staged,
    timezone: str,
    options: dict[str, Any],
) -> tuple[list[convert.Converted], list[tuple[mapping.Resolved, dict[str, Any]]]]:
    converted, problems = [], []
    workbook = staged.format == "xlsx"
    for index, item in enumerate(resolved):
        view = convert.mapped_view(con, item, index, staged.headers)
        name, found = convert.typed_table(
            con, item, view, index, timezone, options, workbook=workbook
        )
        keys = None
        if item.where:
            keys = convert.key_table(con, item, index, staged.headers, timezone, options, workbook)
        converted.append(convert.Converted(item, name, keys, in_order=convert.row_wise(item)))
        problems += [(item, problem) for problem in found]
    return converted, problems


def _write(
    con: Any,
    source: str,
    sniffed: detect.Sniffed,
    staged: readers.Staged,
    converted: list[convert.Converted],
    preset: Preset | None,
    timezone: str,
    options: dict[str, Any],
) -> ImportResult:
    result = ImportResult(
        source, format=staged.format, encoding=staged.encoding, sheet=staged.sheet
    )
    recipe = {**options, "sheet": staged.sheet}
    batch = write.batch_id(sniffed.sha256, preset.name if preset else None, timezone, recipe)
    result.batch = batch
    for item in converted:
        table = item.resolved.table
        write.ensure_raw_table(con, table)
        _refuse_other_layouts(con, Path(source), item, preset, options)
        inserted, replaced = write.replace_rows(
            con, table, item.name, source, batch, keys=item.keys, in_order=item.in_order
        )
        write.record_import(
            con,
            batch,
            source,
            sniffed.sha256,
            table.name,
            preset.name if preset else None,
            timezone,
            inserted,
        )
        result.tables[table.name] = result.tables.get(table.name, 0) + inserted
        result.replaced[table.name] = result.replaced.get(table.name, 0) + replaced
    return result


def _refuse_other_layouts(
    con: Any,
    path: Path,
    item: convert.Converted,
    preset: Preset | None,
    options: dict[str, Any],
) -> None:
    """Refuse to replace rows another layout delivered: two helpdesks reusing ticket numbers.

    A corrected re-delivery of the same layout (same preset, or canonical headers again)
    replaces rows as before, whatever the file is called. Tables of people (customers,
    agents) are exempt: the same person may be known to two systems, and key_prefix
    leaves person ids as written.
    """
    table = item.resolved.table
    if not mapping.record_ids(table):
        return
    name = preset.name if preset else None
    clashes = write.other_layouts(con, table, item.keys or item.name, name)
    if clashes:
        raise InputError(_clash_message(path, table.name, name, clashes, options), path)


def _clash_message(
    path: Path,
    table: str,
    preset: str | None,
    clashes: list[tuple[str, str | None, int]],
    options: dict[str, Any],
) -> str:
    def layout(name: str | None) -> str:
        return f"preset {name}" if name else "canonical headers"

    source, earlier, rows = clashes[0]
    total = sum(count for _, _, count in clashes)
    more = f" (and {len(clashes) - 1} more earlier file(s))" if len(clashes) > 1 else ""
    prefix = f"{preset or path.stem}-"
    if options.get("key_prefix") == prefix:  # the prefix in use is the clashing one
        prefix = f"{prefix[:-1]}2-"
    entry = f'preset = "{preset}"' if preset else f'table = "{table}"'
    flag = f"--preset {preset}" if preset else f"--table {table}"
    return "\n".join(
        [
            f"{path}: would replace {total} {table} row(s) imported from {source} "
            f"({layout(earlier)}){more}, but this file is read with {layout(preset)}. "
            "Two systems that reuse the same ids would overwrite each other; nothing "
            "was imported.",
            "Give this source a key_prefix so its ids stay apart, in cxlens.toml:",
            "  [[sources]]",
            f'  path = "{path.name}"',
            f"  {entry}",
            f'  key_prefix = "{prefix}"',
            f"or on the command line: cxlens import {path.name} {flag} --key-prefix {prefix}",
        ]
    )


def _drop_temporaries(con: Any) -> None:
    """Remove the import's temporary tables and views (an in-memory warehouse keeps its connection)."""
    import duckdb

    try:
        rows = con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = 'temp' AND table_name LIKE '\\_cx\\_%' ESCAPE '\\'"
        ).fetchall()
        for name, kind in rows:
            con.execute(f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} IF EXISTS temp."{name}"')
    except duckdb.Error:
        log.debug("could not drop temporary import tables", exc_info=True)
