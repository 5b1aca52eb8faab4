"""``cxlens staffing``: the agents each interval of the week needs for the SLA (Erlang C).

With ``--calls`` it answers for one interval from the flags alone (no project needed);
without, it learns the week's pattern from the warehouse (``[staffing]`` in cxlens.toml,
flags overriding it).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

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
    print_json,
    print_view,
    project,
)

CALCULATOR_DEFAULTS = {"interval_minutes": 30.0, "target": 0.8, "within_seconds": 20.0}


def staffing(
    calls: Annotated[
        float | None,
        typer.Option("--calls", help="Contacts in one interval: answer for it alone."),
    ] = None,
    interval_minutes: Annotated[
        float | None,
        typer.Option(
            "--interval-minutes",
            help="Interval length in minutes (default 30, or interval_minutes of the "
            "staffing section).",
        ),
    ] = None,
    aht_seconds: Annotated[
        float | None,
        typer.Option(
            "--aht-seconds",
            help="Average handle time in seconds (needed with --calls; else for every channel).",
        ),
    ] = None,
    target: Annotated[
        float | None,
        typer.Option("--target", help="Share answered within the time, e.g. 0.8 (default 0.8)."),
    ] = None,
    within_seconds: Annotated[
        float | None,
        typer.Option("--within-seconds", help="The answer time of the target (default 20)."),
    ] = None,
    shrinkage: Annotated[
        float | None,
        typer.Option("--shrinkage", help="Share of paid time not answering, e.g. 0.3."),
    ] = None,
    max_occupancy: Annotated[
        float | None,
        typer.Option(
            "--max-occupancy", help="Highest share of time agents may be busy, e.g. 0.85."
        ),
    ] = None,
    weeks: Annotated[
        int | None,
        typer.Option("--weeks", help="Full weeks of history to average (default 8)."),
    ] = None,
    channel: Annotated[
        list[str] | None,
        typer.Option(
            "--channel",
            help="Staff this channel instead of the staffing section's channels (repeat).",
        ),
    ] = None,
    category: FilterOption = None,
    team: FilterOption = None,
    open_hours: Annotated[
        str | None,
        typer.Option(
            "--open-hours",
            help="business_hours (plan the desk's opening hours, the default) or always.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First day of the weeks learned from, YYYY-MM-DD: the full weeks from it to "
            "--to replace --weeks.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--to", help="Last day of the weeks learned from, YYYY-MM-DD."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, json or csv (the whole week).")
    ] = "table",
    top: TopOption = 20,
    lang: LangOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Agents needed per interval of the week for a service-level target (Erlang C).

    With the service level, occupancy and average speed of answer they give. With
    --calls: one interval from the flags alone; without: every interval of the week
    from the warehouse's last full weeks (weeks of the staffing section, or --from to
    --to), against the agents seen on shift.
    Example: cxlens staffing --calls 100 --interval-minutes 30 --aht-seconds 180
    --target 0.8 --within-seconds 20 --format json
    """
    check_format(output_format, ("table", "json", "csv"))
    _check_finite(
        {
            "--calls": calls,
            "--interval-minutes": interval_minutes,
            "--aht-seconds": aht_seconds,
            "--target": target,
            "--within-seconds": within_seconds,
            "--shrinkage": shrinkage,
            "--max-occupancy": max_occupancy,
        }
    )
    _check_flags(calls, interval_minutes, aht_seconds, target, within_seconds)
    _check_optional(shrinkage, max_occupancy, weeks)
    first, last = day_option(since, "--from"), day_option(until, "--to")
    if first is not None and weeks is not None:
        raise typer.BadParameter(
            "give the first day (--from) or the number of weeks (--weeks), not both",
            param_hint="--from",
        )
    if first is not None and last is not None and first > last:
        raise typer.BadParameter("the first day is after the last day (--to)", param_hint="--from")
    if open_hours is not None and open_hours not in ("business_hours", "always"):
        raise typer.BadParameter(
            f"{open_hours!r}: use business_hours (the desk's opening hours) or always",
            param_hint="--open-hours",
        )
    if calls is not None:
        options = (interval_minutes, aht_seconds, target, within_seconds)
        _one_interval(calls, *options, shrinkage, max_occupancy, output_format, language(lang))
        return

    overrides = {
        key: value
        for key, value in {
            "interval_minutes": _whole_interval(interval_minutes),
            "aht_seconds": aht_seconds,
            "target": target,
            "within_seconds": within_seconds,
            "shrinkage": shrinkage,
            "max_occupancy": max_occupancy,
            "weeks": weeks,
            "channels": channel or None,
            "open_hours": open_hours,
        }.items()
        if value is not None
    }
    filters = {"category": category or [], "team": team or []}
    _week(
        overrides,
        filters,
        (first, last),
        output_format,
        top,
        language(lang),
        db,
        config,
    )


def _one_interval(
    calls: float,
    interval_minutes: float | None,
    aht_seconds: float | None,
    target: float | None,
    within_seconds: float | None,
    shrinkage: float | None,
    max_occupancy: float | None,
    output_format: str,
    lang: str | None,
) -> None:
    """One interval from the flags alone: JSON keys, or one labelled line each in the
    reader's language."""
    from cxlens.actions.staffing import staff_interval
    from cxlens.insights.staffing import interval_lines

    if aht_seconds is None:
        raise typer.BadParameter(
            "give the average handle time with --calls", param_hint="--aht-seconds"
        )
    result = staff_interval(
        calls,
        interval_minutes
        if interval_minutes is not None
        else CALCULATOR_DEFAULTS["interval_minutes"],
        aht_seconds,
        target if target is not None else CALCULATOR_DEFAULTS["target"],
        within_seconds if within_seconds is not None else CALCULATOR_DEFAULTS["within_seconds"],
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
    ).to_json()
    if output_format == "json":
        print_json(result)
        return
    for line in interval_lines(result, lang or "en"):
        print(line)


def _week(
    overrides: dict[str, Any],
    filters: dict[str, list[str]],
    days: tuple[Any, Any],
    output_format: str,
    top: int,
    lang: str | None,
    db: str | None,
    config: Any,
) -> None:
    """The week's plan from the warehouse: the view, or every interval as CSV. ``days``:
    (--from, --to); the first, when given, sets the weeks learned."""
    import sys

    from cxlens.actions.staffing import weekly_staffing
    from cxlens.insights.actions import Scope
    from cxlens.insights.staffing import build_view, plan_frame

    settings, warehouse = project(config, db, language=lang)
    since, until = days
    scope = Scope(window=(None, until) if until else None, filters=filters)
    plan = weekly_staffing(warehouse, settings, scope, overrides=overrides, since=since)
    if output_format == "csv":
        plan_frame(plan, settings.language, every_interval=True).to_csv(sys.stdout, index=False)
        return
    print_view(build_view(plan, settings.language), output_format, top)


def _check_finite(values: dict[str, float | None]) -> None:
    """Refuse nan and infinities before any other check, which would misread them."""
    for flag, value in values.items():
        if value is None or math.isfinite(value):
            continue
        kind = "a number" if math.isnan(value) else "a finite number"
        raise typer.BadParameter(f"give {kind}, not {value}", param_hint=flag)


def _check_flags(
    calls: float | None,
    interval_minutes: float | None,
    aht_seconds: float | None,
    target: float | None,
    within_seconds: float | None,
) -> None:
    """Refuse numbers the formula cannot mean, naming the flag and what it takes."""
    if calls is not None and not calls >= 0:
        raise typer.BadParameter("the number of calls cannot be negative", param_hint="--calls")
    if interval_minutes is not None and not interval_minutes > 0:
        raise typer.BadParameter(
            "the interval must be longer than 0 minutes", param_hint="--interval-minutes"
        )
    if aht_seconds is not None and not aht_seconds > 0:
        raise typer.BadParameter(
            "the average handle time must be more than 0 seconds", param_hint="--aht-seconds"
        )
    if target is not None and not 0 < target < 1:
        raise typer.BadParameter(
            f"{target:g} is not a share between 0 and 1 (exclusive); write 80 % as 0.8",
            param_hint="--target",
        )
    if within_seconds is not None and not within_seconds >= 0:
        raise typer.BadParameter(
            "the answer time cannot be negative", param_hint="--within-seconds"
        )


def _check_optional(
    shrinkage: float | None, max_occupancy: float | None, weeks: int | None
) -> None:
    if shrinkage is not None and not 0 <= shrinkage < 1:
        raise typer.BadParameter(
            f"{shrinkage:g} is not a share from 0 up to (not including) 1; write 30 % as 0.3",
            param_hint="--shrinkage",
        )
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise typer.BadParameter(
            f"{max_occupancy:g} is not a share above 0 and at most 1; write 85 % as 0.85",
            param_hint="--max-occupancy",
        )
    if weeks is not None and not 1 <= weeks <= 52:
        raise typer.BadParameter("give 1 to 52 weeks", param_hint="--weeks")


def _whole_interval(minutes: float | None) -> int | None:
    """The interval for the week's plan: whole minutes that divide a day."""
    if minutes is None:
        return None
    if not float(minutes).is_integer() or 1440 % int(minutes) or not 5 <= minutes <= 240:
        raise typer.BadParameter(
            f"{minutes:g} minutes does not divide a day into equal intervals; use 15, 30 or 60 "
            "(a divisor of 1440 from 5 to 240)",
            param_hint="--interval-minutes",
        )
    return int(minutes)


def register(app: typer.Typer) -> None:
    app.command("staffing")(staffing)
