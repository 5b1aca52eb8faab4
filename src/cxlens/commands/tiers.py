"""``cxlens tiers``: the loyalty tiers, their month's moves and the lists for campaigns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cxlens.commands.common import (
    ConfigOption,
    DbOption,
    LangOption,
    TopOption,
    UntilOption,
    check_format,
    language,
    print_frame,
    print_json,
    print_view,
    project,
    replace_file,
    stderr,
)


def tiers(
    until: UntilOption = None,
    segment: Annotated[
        list[str] | None,
        typer.Option("--segment", help="Only customers of this segment (repeat for more)."),
    ] = None,
    tier: Annotated[
        str | None,
        typer.Option("--tier", help="Print this tier's list (its English or Chinese name)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for tiers.csv and one CSV per tier."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, json, or csv (with --tier).")
    ] = "table",
    top: TopOption = 20,
    lang: LangOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Loyalty tiers by RFM: who the tiers are, who moved this month, whom to call.

    Scores and tier rules come from the tiers section of cxlens.toml (docs/tiers.md).
    Example: cxlens tiers --until 2025-06-30 --out out --tier "at risk"
    """
    from cxlens.actions.tiers import loyalty_tiers
    from cxlens.insights.tiers import build_view, campaign_lists, find_tier

    check_format(output_format, ("table", "json", "csv"))
    if output_format == "csv" and tier is None:
        raise typer.BadParameter(
            "csv prints one tier's list; add --tier NAME", param_hint="--format"
        )
    if top < 1:
        raise typer.BadParameter("show at least one row", param_hint="--top")
    settings, warehouse = project(config, db, language=language(lang))
    with warehouse.connect(read_only=True) as con:
        result = loyalty_tiers(con, settings, until=until, segments=segment or None)
    lists = campaign_lists(result, settings.language)

    if out is not None:
        _write_lists(lists, out)
    if tier is not None:
        _print_tier(result, lists, tier, output_format, top, find_tier)
        return
    view = build_view(result, settings.language, settings.currency, segment or None)
    print_view(view, output_format, top)


def _write_lists(lists: dict[str, Any], out: Path) -> None:
    """Each list as Excel-friendly CSV (BOM, formula-like text neutralised), atomically."""
    from cxlens.report.exports import CSV_ENCODING, neutralise

    out.mkdir(parents=True, exist_ok=True)
    for name, frame in lists.items():
        safe = neutralise(frame)
        replace_file(out / name, lambda path, f=safe: f.to_csv(path, index=False,
                                                                encoding=CSV_ENCODING))  # fmt: skip
    customers, tiers = len(lists["tiers.csv"]), len(lists) - 1
    stderr().print(
        f"{customers:,} customer{'s' * (customers != 1)} in {tiers} tier{'s' * (tiers != 1)} "
        f"written to {out}",
        highlight=False,
        markup=False,
    )


def _print_tier(result, lists, tier: str, output_format: str, top: int, find_tier) -> None:
    """One tier's list on stdout: a table of the first ``top`` rows, or every row."""
    key = find_tier(result, tier)
    if key is None:
        known = ", ".join(f"{s['name']} ({s['name_zh']})" for s in result.segments)
        raise typer.BadParameter(f"{tier!r} is not a tier; use one of {known}", param_hint="--tier")
    customers = result.customers
    chosen = customers.loc[customers["tier"] == key, "customer_id"]
    members = lists["tiers.csv"][lists["tiers.csv"]["customer_id"].isin(chosen)]
    if output_format == "json":
        print_json(members.to_dict(orient="records"))
    elif output_format == "csv":
        from cxlens.report.exports import neutralise

        print(neutralise(members).to_csv(index=False), end="")
    else:
        print_frame(members.head(top), title=f"{tier}: {len(members):,}")


def register(app: typer.Typer) -> None:
    """Add ``cxlens tiers`` to the app."""
    app.command("tiers")(tiers)
