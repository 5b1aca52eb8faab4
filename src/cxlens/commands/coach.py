"""``cxlens coach``: the agent coaching plan (see ``cxlens.actions.coaching``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.commands.common import (
    ConfigOption,
    DbOption,
    FilterOption,
    LangOption,
    TopOption,
    check_format,
    day_option,
    language,
    print_view,
    project,
    replace_file,
    stderr,
)


def coach(
    from_day: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First day, YYYY-MM-DD (the plan looks at [coaching] lookback_days at least).",
        ),
    ] = None,
    to_day: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: the data's last).")
    ] = None,
    team: FilterOption = None,
    agent: FilterOption = None,
    channel: FilterOption = None,
    category: FilterOption = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, json or csv (the plan's rows).")
    ] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder to write coaching_plan.csv to.")
    ] = None,
    top: TopOption = 20,
    lang: LangOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Whom to coach on what: agents reliably and materially worse than their team.

    Compares each agent's CSAT, FCR, reopen rate, first response and resolution with the
    rest of their team, overall and by category and channel, with [coaching] settings
    from cxlens.toml. Example: cxlens coach --to 2025-06-30 --out out
    """
    from cxlens.actions.coaching import coaching_plan, plan_rows
    from cxlens.insights.actions import Scope
    from cxlens.insights.coaching import plan_view

    check_format(output_format, ("table", "json", "csv"))
    window = (day_option(from_day, "--from"), day_option(to_day, "--to"))
    if window[0] and window[1] and window[0] > window[1]:
        raise typer.BadParameter("the first day is after the last day (--to)", param_hint="--from")
    if top < 1:
        raise typer.BadParameter("show at least one row", param_hint="--top")
    settings, warehouse = project(config, db, language=language(lang))
    filters = {"team": team, "agent": agent, "channel": channel, "category": category}
    scope = Scope(window=window, filters={k: list(v) for k, v in filters.items() if v})

    plan = coaching_plan(warehouse, settings, scope.window, scope.filters)
    rows = plan_rows(plan)
    if out is not None:
        _write_plan(rows, out)
    if output_format == "csv":
        from cxlens.report.exports import neutralise

        print(neutralise(rows).to_csv(index=False), end="")
        return
    print_view(plan_view(plan, settings.language), output_format, top)


def _write_plan(rows, out: Path) -> None:
    """coaching_plan.csv in ``out``: a byte-order mark for Excel, formulas neutralised."""
    from cxlens.report.exports import CSV_ENCODING, neutralise

    out.mkdir(parents=True, exist_ok=True)
    path = out / "coaching_plan.csv"
    replace_file(
        path, lambda partial: neutralise(rows).to_csv(partial, index=False, encoding=CSV_ENCODING)
    )
    stderr().print(f"{len(rows):,} coaching rows written to {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("coach")(coach)
