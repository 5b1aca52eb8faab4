"""The main job: import the sources that changed, clean, compute, and write the report.

``cxlens run`` is this function; cron jobs and notebooks call it the same way. A monthly
cron run should cost little when most exports did not change, so a run remembers, in the
warehouse, what each ``[[sources]]`` file held when it last imported whole (its size and
SHA-256) and how it was read (table, preset, time zone, sheet, options, cxlens version).
A file whose content and reading are the same is not imported again; when no file was
imported and the raw tables and the cleaning settings are those of the last clean, the
clean is skipped too.

Correctness comes first: an incremental run must leave the warehouse as a full run on
the same files would. So a file that changed first drops every row it imported before
(a row deleted from the export disappears from the warehouse), then imports as usual,
taking over any key another file delivered. Where two sources deliver the same keys, the
last one in ``cxlens.toml`` wins in a full run; an incremental run that could change the
winner (a changed file overlapping another source's keys) falls back to reimporting every
source in order. The bookkeeping lives in ``imports_sources`` and ``imports_cleaned``,
beside the ``imports`` ledger, and like it stays in the staging file of a Spark or
Postgres warehouse.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxlens.errors import InputError

if TYPE_CHECKING:
    import duckdb

    from cxlens.clean import CleaningRule
    from cxlens.ingest import ImportResult
    from cxlens.settings import Settings, Source
    from cxlens.store import Warehouse

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
Filters = Mapping[str, Sequence[str]]

SOURCES_LEDGER = "imports_sources"
CLEAN_LEDGER = "imports_cleaned"
SOURCES_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SOURCES_LEDGER} (source VARCHAR, sheet VARCHAR, "
    "recipe VARCHAR, size BIGINT, sha256 VARCHAR, batch VARCHAR, rows_by_table JSON, "
    "imported_at TIMESTAMP)"
)
CLEAN_DDL = (
    f"CREATE TABLE IF NOT EXISTS {CLEAN_LEDGER} (raw_tables VARCHAR, settings VARCHAR, "
    "cleaned_at TIMESTAMP)"
)
NOW_UTC = "CAST(timezone('UTC', now()) AS TIMESTAMP)"


class SourcesRejected(InputError):
    """One or more sources of a run were refused; the report was not written."""


@dataclass(frozen=True)
class Stamp:
    """What a source file held and how it is read: equal stamps, equal import."""

    recipe: str
    size: int
    sha256: str


@dataclass
class Refresh:
    """What bringing the warehouse up to date did.

    ``imports``: the files imported this time; ``unchanged``: the files left as they were;
    ``cleaned``: whether the cleaned tables were rebuilt (``cleaning`` is their log).
    """

    imports: list[ImportResult] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    cleaning: list[CleaningRule] = field(default_factory=list)
    cleaned: bool = False
    full: bool = False

    def describe(self) -> str:
        """One line, e.g. ``3 files unchanged, 1 reimported; cleaning skipped (...)``."""
        unchanged = len(self.unchanged)
        text = f"{unchanged} file{'' if unchanged == 1 else 's'} unchanged, "
        text += f"{len(self.imports)} reimported" + (" (full run)" if self.full else "")
        if not self.cleaned:
            text += "; cleaning skipped (no source or cleaning setting changed)"
        return text


@dataclass
class RunResult:
    """What a run did: the imports, the cleaning log, the files written and the KPI summary."""

    imports: list[ImportResult] = field(default_factory=list)
    cleaning: list[CleaningRule] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    summary: str = ""
    refresh: Refresh = field(default_factory=Refresh)
    alerts: Any = (
        None  # the alert rules checked after the report (insights.alert_rules.AlertResult)
    )
    webhook_error: str | None = None

    @property
    def fired(self) -> bool:
        """Whether any alert rule fired (``cxlens run --fail-on-alert`` exits 3 then)."""
        return bool(self.alerts is not None and self.alerts.fired)


def run_project(
    settings: Settings,
    warehouse: Warehouse,
    out_dir: Path,
    month: str | None = None,
    progress: Progress | None = None,
    *,
    full: bool = False,
    filters: Filters | None = None,
    pdf: bool = False,
) -> RunResult:
    """Import the ``[[sources]]`` files that changed, clean, and write the report.

    ``month`` ("YYYY-MM") chooses the report month; by default the latest complete one.
    ``full`` reimports every file whether it changed or not. ``filters`` (dimension →
    values kept: channel, category, team, segment) narrow the report; ``pdf`` also
    prints ``report.pdf`` (see ``report_project``).

    Each file imports all or nothing. Every source is tried so that one run reports
    every bad file at once. The files that were accepted are cleaned in any case, so
    the warehouse's tables always agree with what it holds; if any file was refused,
    the run stops before the report, so that no report rests on part of the data.
    """
    from cxlens.insights import summary_text

    result = RunResult()
    result.refresh = refresh_warehouse(settings, warehouse, progress, full=full)
    result.imports, result.cleaning = result.refresh.imports, result.refresh.cleaning

    insights, result.outputs = report_project(
        settings, warehouse, out_dir, month, filters=filters, pdf=pdf
    )
    result.summary = (
        f"Sources: {result.refresh.describe()}\n\n" + summary_text(insights) + _written(result)
    )
    result.summary += _alerts(result, settings, warehouse, filters)
    return result


def _alerts(
    result: RunResult, settings: Settings, warehouse: Warehouse, filters: Filters | None
) -> str:
    """Check the ``[alerts]`` rules on the latest complete week or month of the data, call
    the webhook when any fired, and return the lines the run's summary ends with.

    A webhook that fails does not fail the run (the report is written): the error is kept
    in ``webhook_error`` and said in the summary.
    """
    from cxlens.insights.actions import Scope
    from cxlens.insights.alert_rules import WebhookError, check_alerts
    from cxlens.insights.alerts import view_of, webhook_sentence

    scope = Scope(filters={k: list(v) for k, v in (filters or {}).items() if v})
    result.alerts = check_alerts(warehouse, settings, scope)
    view = view_of(result.alerts, settings, settings.language, scope)
    sent = ""
    try:
        sent = webhook_sentence(result.alerts, settings, settings.language)
    except WebhookError as error:
        result.webhook_error = str(error)
        log.warning("alerts webhook: %s", error)
    lines = [f"\n{view.title}:"] + [f"- {line}" for line in view.lines]
    if sent:
        lines.append(f"- {sent}")
    if result.webhook_error:
        lines.append(f"- webhook: {result.webhook_error}")
    return "\n".join(lines) + "\n"


def report_project(
    settings: Settings,
    warehouse: Warehouse,
    out_dir: Path,
    month: str | None = None,
    *,
    filters: Filters | None = None,
    pdf: bool = False,
) -> tuple[Any, dict[str, Path]]:
    """Write the report of what the warehouse holds now; return (insights, paths by kind).

    ``filters`` go to every KPI (cards, trends, breakdowns) and to the actions, and the
    page names them on its first screen. With ``pdf``, ``report.html`` is printed to
    ``report.pdf`` by headless Chromium after the other files are written, so a missing
    browser (``cxlens.report.pdf.BrowserMissing``) still leaves the HTML and workbook.
    """
    from cxlens.insights import build_insights
    from cxlens.report import render_report

    filters = {k: list(v) for k, v in (filters or {}).items() if v}
    insights = build_insights(warehouse, settings, month, filters=filters or None)
    outputs = render_report(insights, warehouse, Path(out_dir), settings=settings)
    if pdf:
        from cxlens.report.pdf import print_pdf

        outputs["pdf"] = print_pdf(outputs["html"], Path(out_dir) / "report.pdf")
    return insights, outputs


def import_and_clean(
    settings: Settings, warehouse: Warehouse, progress: Progress | None = None, *, full=False
) -> tuple[list[ImportResult], list]:
    """``refresh_warehouse`` as (imports, cleaning log), for callers that need no more."""
    refresh = refresh_warehouse(settings, warehouse, progress, full=full)
    return refresh.imports, refresh.cleaning


def refresh_warehouse(
    settings: Settings,
    warehouse: Warehouse,
    progress: Progress | None = None,
    *,
    full: bool = False,
) -> Refresh:
    """Import the ``[[sources]]`` files that changed (every one with ``full``), then clean.

    The files that were accepted are cleaned (and published) in any case, so the
    warehouse's tables agree with what it holds; then, if any file was refused (a missing
    file among them), ``SourcesRejected`` lists them all.
    """
    if not settings.sources:
        log.warning(
            "no [[sources]] in %s; reporting on what the warehouse holds", settings.config_path
        )
    stamps, missing = _stamps(settings, progress)
    ledger = _read_ledger(warehouse)
    present = [s for s in settings.sources if _entry(s) in stamps]
    changed = [s for s in present if ledger.stamp(s) != stamps[_entry(s)]]
    if not full and ledger.overlaps_earlier(present, changed):
        log.info("a changed source shares keys with an earlier one: reimporting every source")
        full = True

    refresh = Refresh(full=full)
    chosen = present if full else changed
    refresh.imports, refused = _import_sources(
        settings, warehouse, chosen, (stamps, ledger), progress
    )
    if not full and refresh.imports and ledger.taken_from_later(warehouse, present, chosen):
        log.info("a reimported source took keys of a later one: reimporting every source")
        refresh.full, chosen = True, present
        refresh.imports, refused = _import_sources(
            settings, warehouse, present, (stamps, ledger), progress
        )
    refresh.unchanged = [s.path for s in present if s not in chosen]

    _clean_if_needed(settings, warehouse, refresh)
    refused = missing + refused
    if refused:
        accepted = ", ".join(Path(i.source).name for i in refresh.imports) or "none"
        raise SourcesRejected(
            f"{len(refused)} of {len(settings.sources)} source(s) refused; no report was "
            f"written. Imported and cleaned: {accepted}.\n" + "\n".join(refused)
        )
    return refresh


Entry = tuple[str, str]  # a [[sources]] entry: its file and its sheet ("" for none)


def _entry(source: Source) -> Entry:
    return str(source.path), source.sheet or ""


def _stamps(settings: Settings, progress: Progress | None) -> tuple[dict[Entry, Stamp], list[str]]:
    """Each present source's stamp, and a message for every source file that is missing."""
    from cxlens.ingest.detect import sha256

    stamps, missing = {}, []
    for source in settings.sources:
        if not source.path.is_file():
            missing.append(
                f"{source.path}: the file is missing (listed under [[sources]] in "
                f"{settings.config_path}). Put it back, or remove its [[sources]] entry; the "
                "rows it imported before stay in the warehouse."
            )
            continue
        size, digest = source.path.stat().st_size, sha256(source.path, progress)
        stamps[_entry(source)] = Stamp(_recipe(settings, source), size, digest)
    return stamps, missing


def _recipe(settings: Settings, source: Source) -> str:
    """How a source is read, as text: any change to it means importing the file again."""
    from cxlens import __version__
    from cxlens.ingest.importer import flatten_options

    return json.dumps(
        {
            "table": source.table,
            "preset": source.preset,
            "timezone": source.timezone or settings.timezone,
            "options": flatten_options(source.options),
            "cxlens": __version__,
        },
        sort_keys=True,
        default=str,
    )


@dataclass
class Ledger:
    """What the warehouse remembers of the sources' last imports, and the rows held now.

    ``stamps``, ``batches`` and ``imported`` (rows by table) per entry; ``held``: rows by
    batch and table as the raw tables hold them now (fewer than imported where a later
    file took over some of the entry's keys).
    """

    stamps: dict[Entry, Stamp] = field(default_factory=dict)
    batches: dict[Entry, str] = field(default_factory=dict)
    imported: dict[Entry, dict[str, int]] = field(default_factory=dict)
    held: dict[str, dict[str, int]] = field(default_factory=dict)

    def stamp(self, source: Source) -> Stamp | None:
        return self.stamps.get(_entry(source))

    def overlaps_earlier(self, sources: list[Source], changed: list[Source]) -> bool:
        """Whether a changed source took keys from a source listed before it.

        Should the changed file no longer deliver them, only reimporting the earlier one
        gives them back.
        """
        for source in changed:
            tables = self.imported.get(_entry(source), {})
            earlier = sources[: sources.index(source)]
            if any(self._lost(e, table) for e in earlier for table in tables):
                return True
        return False

    def taken_from_later(
        self, warehouse: Warehouse, sources: list[Source], reimported: list[Source]
    ) -> bool:
        """Whether a source listed after a reimported one, and not reimported itself, now
        holds fewer rows: the reimported file took keys that a full run leaves to it."""
        with _reading(warehouse) as con:
            held_now = {} if con is None else _held(con)
        first = min(sources.index(source) for source in reimported)
        later = [s for s in sources[first + 1 :] if s not in reimported]
        return any(
            held_now.get(batch, {}).get(table, 0) < rows
            for batch in (self.batches.get(_entry(s)) for s in later)
            if batch
            for table, rows in self.held.get(batch, {}).items()
        )

    def _lost(self, source: Source, table: str) -> bool:
        batch = self.batches.get(_entry(source), "")
        imported = self.imported.get(_entry(source), {}).get(table, 0)
        return self.held.get(batch, {}).get(table, 0) < imported


def _read_ledger(warehouse: Warehouse) -> Ledger:
    """What the last imports left (empty for a new warehouse)."""
    ledger = Ledger()
    with _reading(warehouse) as con:
        if con is None or not _has(con, SOURCES_LEDGER):
            return ledger
        rows = con.execute(
            f"SELECT source, sheet, recipe, size, sha256, batch, rows_by_table "
            f"FROM {SOURCES_LEDGER}"
        ).fetchall()
        for source, sheet, recipe, size, digest, batch, by_table in rows:
            entry = (source, sheet)
            ledger.stamps[entry] = Stamp(recipe, size, digest)
            ledger.batches[entry] = batch
            ledger.imported[entry] = json.loads(by_table)
        ledger.held = _held(con)
    return ledger


def _held(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Rows per import batch and canonical table, as the raw tables hold them now."""
    from cxlens.store import quote

    held: dict[str, dict[str, int]] = {}
    for raw in _raw_tables(con):
        counted = con.execute(f"SELECT _batch, count(*) FROM {quote(raw)} GROUP BY _batch")
        for batch, rows in counted.fetchall():
            held.setdefault(batch, {})[raw.removeprefix("raw_")] = int(rows)
    return held


def _import_sources(
    settings: Settings,
    warehouse: Warehouse,
    sources: list[Source],
    known: tuple[dict[Entry, Stamp], Ledger],
    progress: Progress | None,
) -> tuple[list[ImportResult], list[str]]:
    """Import each source in its own transaction; (imports, messages of the refused ones).

    ``known``: the files' stamps now and the ledger of their last imports.
    """
    imports, refused = [], []
    for source in sources:
        try:
            imports.append(_import_source(settings, warehouse, source, known, progress))
        except InputError as error:
            refused.append(str(error))
    return imports, refused


def _import_source(
    settings: Settings,
    warehouse: Warehouse,
    source: Source,
    known: tuple[dict[Entry, Stamp], Ledger],
    progress: Progress | None,
) -> ImportResult:
    """Replace what ``source`` imported last time with the file as it is now, all or nothing.

    The rows of its last import (its batch) go first, so a record deleted from the export
    leaves the warehouse too; then the file imports as ``cxlens import`` would.
    """
    from cxlens.ingest import import_file
    from cxlens.store import quote

    stamps, ledger = known
    entry, stamp = _entry(source), stamps[_entry(source)]
    with warehouse.transaction() as con:
        if entry in ledger.batches:
            for raw in _raw_tables(con):
                con.execute(f"DELETE FROM {quote(raw)} WHERE _batch = ?", [ledger.batches[entry]])
        result = import_file(
            warehouse,
            source.path,
            table=source.table,
            preset=source.preset,
            timezone=source.timezone or settings.timezone,
            sheet=source.sheet,
            options=source.options,
            progress=progress,
            con=con,
        )
        con.execute(SOURCES_DDL)
        con.execute(f"DELETE FROM {SOURCES_LEDGER} WHERE source = ? AND sheet = ?", list(entry))
        con.execute(
            f"INSERT INTO {SOURCES_LEDGER} VALUES (?, ?, ?, ?, ?, ?, ?, {NOW_UTC})",
            [*entry, stamp.recipe, stamp.size, stamp.sha256, result.batch,
             json.dumps(result.tables)],
        )  # fmt: skip
    return result


def _clean_if_needed(settings: Settings, warehouse: Warehouse, refresh: Refresh) -> None:
    """Rebuild the cleaned tables unless they were built from these raw tables and settings."""
    from cxlens.clean import clean_warehouse

    raw_tables = _raw_fingerprint(warehouse)
    cleaning_settings = _cleaning_settings(settings)
    if not refresh.imports and not refresh.full:
        if _cleaned_from(warehouse) == (raw_tables, cleaning_settings):
            log.info("cleaning skipped: no source and no cleaning setting changed")
            return
    refresh.cleaning = clean_warehouse(warehouse, settings)
    refresh.cleaned = True
    with warehouse.transaction() as con:
        con.execute(CLEAN_DDL)
        con.execute(f"DELETE FROM {CLEAN_LEDGER}")
        con.execute(
            f"INSERT INTO {CLEAN_LEDGER} VALUES (?, ?, {NOW_UTC})", [raw_tables, cleaning_settings]
        )
    warehouse.publish()  # Spark: Parquet in tables_dir; Postgres: its schema; DuckDB: nothing


def _cleaned_from(warehouse: Warehouse) -> tuple[str, str] | None:
    """(raw tables' fingerprint, settings) of the last clean, if its tables are all there."""
    from cxlens.store import has_table

    with _reading(warehouse) as con:
        if con is None or not _has(con, CLEAN_LEDGER):
            return None
        cleaned = [raw.removeprefix("raw_") for raw in _raw_tables(con)]
        needed = [*cleaned, "cleaning_log", "project_settings"]
        if not all(has_table(con, name) for name in needed):
            return None
        row = con.execute(f"SELECT raw_tables, settings FROM {CLEAN_LEDGER}").fetchone()
    return None if row is None else (row[0], row[1])


def _raw_fingerprint(warehouse: Warehouse) -> str:
    """Rows and a sum of row hashes of every raw table: any write to them changes it.

    Writes by others count too (``cxlens import``, records posted to a running server).
    """
    from cxlens.store import quote

    with _reading(warehouse) as con:
        if con is None:
            return "{}"
        prints = {
            raw: con.execute(
                f"SELECT count(*), sum(hash(t)::HUGEINT)::VARCHAR FROM {quote(raw)} AS t"
            ).fetchone()
            for raw in _raw_tables(con)
        }
    return json.dumps(prints, sort_keys=True, default=str)


def _cleaning_settings(settings: Settings) -> str:
    """The stored settings less the language, which changes words and not the tables."""
    stored = json.loads(settings.to_stored())
    stored.get("project", {}).pop("language", None)
    return json.dumps(stored, sort_keys=True)


def _raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
        "AND starts_with(table_name, 'raw_') ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows]


def _has(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    from cxlens.store import has_table

    return has_table(con, name)


@contextmanager
def _reading(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection, or None while the warehouse file does not exist yet."""
    if warehouse.location != ":memory:" and not warehouse.path.exists():
        yield None
        return
    with warehouse.connect(read_only=warehouse.location != ":memory:") as con:
        yield con


def _written(result: RunResult) -> str:
    lines = [f"  {kind}: {path}" for kind, path in result.outputs.items()]
    return "\n\nWritten:\n" + "\n".join(lines) if lines else ""
