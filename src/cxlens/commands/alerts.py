"""``cxlens alerts``: check the rules of ``[alerts]``, print a summary, call the webhook.

The exit status is the interface for cron: 3 when any rule fired, 0 when none did
(also when no rule could be checked: the summary line says so), 1 on an error (``cxlens.cli.main``). A webhook that fails is reported on stderr and
leaves the exit status as the rules decided it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cxlens.commands.common import (
    ConfigOption,
    DbOption,
    FilterOption,
    LangOption,
    check_format,
    day_option,
    language,
    print_json,
    print_view,
    project,
    stderr,
)

FIRED_EXIT_STATUS = 3


def alerts(
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    no_webhook: Annotated[
        bool, typer.Option("--no-webhook", help="Do not call the webhook of the alerts section.")
    ] = False,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Check as of this day, YYYY-MM-DD (default: the data's last)."),
    ] = None,
    channel: FilterOption = None,
    category: FilterOption = None,
    team: FilterOption = None,
    top: Annotated[int, typer.Option("--top", help="Rows shown in the table.")] = 20,
    lang: LangOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Check the alert rules on the latest complete week or month; exit 3 when any fires.

    Rules, webhook and defaults: the alerts section of cxlens.toml (docs/alerts.md).
    Example: cxlens alerts --no-webhook || echo "an alert fired"
    """
    from cxlens.insights.actions import Scope
    from cxlens.insights.alert_rules import WebhookError, check_alerts
    from cxlens.insights.alerts import view_of, webhook_sentence

    check_format(output_format, ("table", "json"))
    last = day_option(to, "--to")
    filters = {
        name: values
        for name, values in (("channel", channel), ("category", category), ("team", team))
        if values
    }
    settings, warehouse = project(config, db, language=language(lang))
    scope = Scope(window=(None, last) if last else None, filters=filters)

    result = check_alerts(warehouse, settings, scope)
    view = view_of(result, settings, settings.language, scope)
    if output_format == "json":
        print_json({**view.to_json(), **result.to_json()})
    else:
        print_view(view, "table", top)

    if not no_webhook:
        try:
            sent = webhook_sentence(result, settings, settings.language)
            if sent:
                stderr().print(sent, highlight=False, markup=False)
        except WebhookError as error:
            stderr().print(f"Webhook failed: {error}", highlight=False, markup=False)
    if result.fired:
        raise typer.Exit(FIRED_EXIT_STATUS)


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts)
