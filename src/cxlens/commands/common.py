"""What every command of the CLI shares: the common options, the project's settings
and warehouse, and plain output of tables and JSON.

The core commands live in ``cxlens.cli``; each action (coaching, bottlenecks, staffing,
loyalty tiers, topics, alerts) has its command in a module of this package beside it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Settings file (default: ./cxlens.toml)."),
]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Warehouse: a DuckDB file, pyspark:// for Spark or postgres://… "
        "(default: the one in cxlens.toml).",
    ),
]

LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang", help="Report language: zh or en (default: the language in cxlens.toml)."
    ),
]
TopOption = Annotated[int, typer.Option("--top", help="Rows shown per table.")]
FilterOption = Annotated[
    list[str] | None,
    typer.Option(help="Keep only these values (repeat for several)."),
]
MonthOption = Annotated[
    str | None,
    typer.Option("--month", help="Month to report, YYYY-MM (default: the latest complete one)."),
]


def language(lang: str | None) -> str | None:
    if lang is not None and lang not in ("zh", "en"):
        raise typer.BadParameter(f"{lang!r} is not zh or en", param_hint="--lang")
    return lang


def month_option(month: str | None) -> str | None:
    import re

    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise typer.BadParameter(f"{month!r} is not a month like 2025-06", param_hint="--month")
    return month


def stderr():
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def project(config: Path | None, db: str | None, **overrides: Any):
    """Settings and warehouse of the command.

    Without a cxlens.toml but with ``--db``, the settings are the ones the warehouse
    was last cleaned with, so that the same file gives the same numbers anywhere.
    ``--db pyspark://`` without a cxlens.toml keeps its tables in ./spark-tables.
    """
    from cxlens.settings import Settings, load_settings
    from cxlens.store import Warehouse

    settings = load_settings(config, overrides)
    warehouse = Warehouse.for_settings(settings, db)
    if settings.config_path is None and db:
        stored = warehouse.stored_settings()
        if stored:
            settings = Settings.from_stored(stored, db, overrides)
            settings.warehouse = warehouse.location  # a URL stays a URL, not a path
    return settings, warehouse


UntilOption = Annotated[
    str | None,
    typer.Option("--until", help="Observation end, YYYY-MM-DD (default: the data's last day)."),
]


def check_format(output_format: str, allowed: tuple[str, ...] = ("json", "table")) -> str:
    if output_format not in allowed:
        raise typer.BadParameter(f"use {' or '.join(allowed)}", param_hint="--format")
    return output_format


def print_json(result: Any) -> None:
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))


def print_frame(frame: Any, title: str | None = None) -> None:
    """A DataFrame as a plain table on stdout (numbers as ``number`` writes them)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(*[str(c) for c in frame.columns], box=None, title=title)
    for row in frame.itertuples(index=False, name=None):
        table.add_row(*[cell(value) for value in row])
    Console(width=200).print(table)


def cell(value: Any) -> str:
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(float(value))
    return str(value)


def replace_file(path: Path, write: Any) -> None:
    """Write through a temporary file beside ``path``: a failure leaves the old file whole."""
    import os

    partial = path.with_name(f".{path.name}.partial{path.suffix}")
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def number(value: float | None) -> str:
    """A KPI value for people: counts with separators, others to four significant digits."""
    if value is None:
        return "null"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.4g}"


def print_view(view: Any, output_format: str = "table", top: int = 20) -> None:
    """An action's view (``cxlens.insights.actions.ActionView``) on stdout.

    ``table``: the title, the sentences saying what to change, each table's first
    ``top`` rows, and how it was computed; ``json``: the whole view as JSON (every
    row). A view the data do not support prints its reason (on stderr) and nothing
    else.
    """
    if view.missing:
        stderr().print(f"{view.title}: {view.missing}", highlight=False)
        if output_format == "json":
            print_json(view.to_json())
        return
    if output_format == "json":
        print_json(view.to_json())
        return
    print(view.title + (f" ({view.covering})" if view.covering else ""))
    for line in view.lines:
        print(f"- {line}")
    for table in view.tables:
        print()
        shown = table.frame.drop(columns=list(table.links.values()), errors="ignore")
        print_frame(_formatted(shown.head(top), table.formats, view.lang), title=table.title)
        if len(table.frame) > top:
            print(
                f"（显示 {top} 行，共 {len(table.frame):,} 行；更多请用 --top 或 --format json）"
                if view.lang == "zh"
                else f"({top} of {len(table.frame):,} rows shown; --top or --format json for more)"
            )
    if view.method:
        print()
        print(view.method)


def _formatted(frame: Any, formats: dict[str, str], lang: str) -> Any:
    """Columns formatted by their declared kind, as the report and the dashboard show them."""
    from cxlens.insights.actions import format_cell

    shown = frame.copy()
    for column in shown.columns:
        kind = formats.get(column, "text")
        shown[column] = [format_cell(value, kind, lang) for value in shown[column]]
    return shown


def day_option(text: str | None, flag: str) -> date | None:
    """A ``--from``/``--to``-like flag as a day (None when not given); a usage error naming
    the flag when it is not a day like 2025-06-30."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a day like 2025-06-30", param_hint=flag
        ) from None


def dimension_filters(**given: list[str] | None) -> dict[str, list[str]]:
    """``--channel email --team billing`` as {dimension: values}; blank values refused."""
    filters = {}
    for dimension, values in given.items():
        values = [value.strip() for value in values or []]
        if any(not value for value in values):
            raise typer.BadParameter("give a value, e.g. email", param_hint=f"--{dimension}")
        if values:
            filters[dimension] = values
    return filters
