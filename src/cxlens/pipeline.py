"""The main job: import every source of a project, clean, compute, and write the report.

``cxlens run`` is this function; cron jobs and notebooks call it the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cxlens.errors import InputError

if TYPE_CHECKING:
    from cxlens.clean import CleaningRule
    from cxlens.ingest import ImportResult
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


class SourcesRejected(InputError):
    """One or more sources of a run were refused; the report was not written."""


@dataclass
class RunResult:
    """What a run did: the imports, the cleaning log, the files written and the KPI summary."""

    imports: list[ImportResult] = field(default_factory=list)
    cleaning: list[CleaningRule] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    summary: str = ""


def run_project(
    settings: Settings,
    warehouse: Warehouse,
    out_dir: Path,
    month: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Import every ``[[sources]]`` file, clean, and write the report into ``out_dir``.

    ``month`` ("YYYY-MM") chooses the report month; by default the latest complete one.

    Each file imports all or nothing. Every source is tried so that one run reports
    every bad file at once. The files that were accepted are cleaned in any case, so
    the warehouse's tables always agree with what it holds; if any file was refused,
    the run stops before the report, so that no report rests on part of the data.
    """
    from cxlens.insights import build_insights, summary_text
    from cxlens.report import render_report

    result = RunResult()
    result.imports, result.cleaning = import_and_clean(settings, warehouse, progress)

    insights = build_insights(warehouse, settings, month)
    result.outputs = render_report(insights, warehouse, Path(out_dir), settings=settings)
    result.summary = summary_text(insights) + _written(result.outputs)
    return result


def import_and_clean(
    settings: Settings, warehouse: Warehouse, progress: Progress | None = None
) -> tuple[list[ImportResult], list]:
    """Import every ``[[sources]]`` file, clean, and publish; return imports and cleaning log.

    The files that were accepted are cleaned (and published) in any case, so the
    warehouse's tables agree with what it holds; then, if any file was refused,
    ``SourcesRejected`` lists them all.
    """
    from cxlens.clean import clean_warehouse

    imports, refused = _import_sources(settings, warehouse, progress)
    cleaning = clean_warehouse(warehouse, settings)
    warehouse.publish()  # Spark: Parquet in tables_dir; Postgres: its schema; DuckDB: nothing
    if refused:
        accepted = ", ".join(Path(i.source).name for i in imports) or "none"
        raise SourcesRejected(
            f"{len(refused)} of {len(settings.sources)} source(s) refused; no report was "
            f"written. Imported and cleaned: {accepted}.\n" + "\n".join(refused)
        )
    return imports, cleaning


def _import_sources(
    settings: Settings, warehouse: Warehouse, progress: Progress | None
) -> tuple[list[ImportResult], list[str]]:
    from cxlens.ingest import import_file

    if not settings.sources:
        log.warning(
            "no [[sources]] in %s; reporting on what the warehouse holds", settings.config_path
        )

    imports, refused = [], []
    for source in settings.sources:
        try:
            imports.append(
                import_file(
                    warehouse,
                    source.path,
                    table=source.table,
                    preset=source.preset,
                    timezone=source.timezone or settings.timezone,
                    sheet=source.sheet,
                    options=source.options,
                    progress=progress,
                )
            )
        except InputError as error:
            refused.append(str(error))
    return imports, refused


def _written(outputs: dict[str, Path]) -> str:
    lines = [f"  {kind}: {path}" for kind, path in outputs.items()]
    return "\n\nWritten:\n" + "\n".join(lines) if lines else ""
