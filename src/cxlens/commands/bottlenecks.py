"""``cxlens bottlenecks``: where ticket time goes, where tickets bounce and come back."""

from __future__ import annotations

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
)

DIMENSION_HELP = "Group the Pareto and the bounces by category, channel or priority."


def bottlenecks(
    by: Annotated[str | None, typer.Option("--by", help=DIMENSION_HELP)] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="First day of creation, YYYY-MM-DD.")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last day of creation, YYYY-MM-DD.")
    ] = None,
    channel: FilterOption = None,
    category: FilterOption = None,
    priority: FilterOption = None,
    team: FilterOption = None,
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", help="table, json, or csv (the Pareto rows, every one)."),
    ] = "table",
    top: TopOption = 20,
    lang: LangOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Where ticket time goes (first reply, agent work, customer, on hold), ranked by hours.

    Splits each ticket created in the dates from creation to its last solve by its
    events, ranks stage × group by total hours with the vital few that make 80 %, and
    shows reassignments, team transfers, reopens and re-contacts per group.
    Example: cxlens bottlenecks --by channel --from 2025-01-01 --to 2025-03-31
    """
    from cxlens.actions.bottlenecks import DIMENSIONS
    from cxlens.insights.actions import Scope

    check_format(output_format, ("table", "json", "csv"))
    if by is not None and by not in DIMENSIONS:
        raise typer.BadParameter(f"use {', '.join(DIMENSIONS)}", param_hint="--by")
    if top < 1:
        raise typer.BadParameter("show at least one row", param_hint="--top")
    window = (day_option(first, "--from"), day_option(last, "--to"))
    if window[0] and window[1] and window[0] > window[1]:
        raise typer.BadParameter(f"{last} is before --from {first}", param_hint="--to")
    filters = {
        name: values
        for name, values in (
            ("channel", channel),
            ("category", category),
            ("priority", priority),
            ("team", team),
        )
        if values
    }
    scope = Scope(window=None if window == (None, None) else window, filters=filters)
    settings, warehouse = project(config, db, language=language(lang))
    if output_format == "csv":
        _print_pareto_csv(warehouse, settings, scope, by)
        return
    from cxlens.insights.bottlenecks import bottlenecks_view

    view = bottlenecks_view(warehouse, settings, lang or settings.language, scope, by=by)
    print_view(view, output_format, top)


def _print_pareto_csv(warehouse, settings, scope, by: str | None) -> None:
    """Every stage × group row of the Pareto as CSV on stdout, with stable English keys."""
    import sys

    from cxlens.actions.bottlenecks import process_bottlenecks

    by = by or settings.bottlenecks.get("by", "category")
    with warehouse.connect(read_only=True) as con:
        result = process_bottlenecks(con, settings, scope)
    rows = result.pareto(by).assign(dimension=by)
    columns = ["stage", "dimension", "group", "tickets", "total_hours", "mean_hours"]
    rows[columns + ["share", "cumulative_share", "vital"]].to_csv(sys.stdout, index=False)


def register(app: typer.Typer) -> None:
    app.command("bottlenecks")(bottlenecks)
