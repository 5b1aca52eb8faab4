"""The ``cxlens`` command: a thin skin over the library.

Each command reads settings, calls one library function and renders its result.
stdout carries data or the summary only; progress and messages go to stderr.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from cxlens import __version__
from cxlens.commands.common import (
    ConfigOption,
    DbOption,
    FilterOption,
    LangOption,
    MonthOption,
    UntilOption,
    check_format,
    day_option,
    dimension_filters,
    language,
    month_option,
    number,
    print_frame,
    print_json,
    project,
    replace_file,
    stderr,
)
from cxlens.errors import CxlensError

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Customer-service exports in; KPIs, explanations and a monthly report out.",
)

log = logging.getLogger("cxlens")


@contextmanager
def _progress(enabled: bool):
    """A progress callback (done, total, label) drawing a bar on stderr, or a silent one."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=stderr()
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(done: int, total: int, label: str = "importing") -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)

        yield update


def _print_version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log decisions.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    _DEBUG[0] = debug


_DEBUG = [False]  # set by the root callback; read by main() to decide on tracebacks


@app.command()
def sample(
    folder: Annotated[Path, typer.Argument(help="Folder to write the sample project into.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    force: Annotated[bool, typer.Option(help="Overwrite an existing sample folder.")] = False,
) -> None:
    """Write a ready sample project: a fictional company's exports and its cxlens.toml.

    Example: cxlens sample demo && cxlens run --config demo/cxlens.toml
    """
    from cxlens.sample import write_sample_project

    config = write_sample_project(folder, seed=seed, force=force)
    print(config)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, TSV, XLSX, JSON or Parquet file.")],
    table: Annotated[
        str | None, typer.Option("--table", "-t", help="Canonical table to fill.")
    ] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", "-p", help="Known export layout, e.g. zendesk.")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA zone of naive times in the file.")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Workbook sheet to read.")] = None,
    dayfirst: Annotated[
        bool | None,
        typer.Option(
            "--dayfirst/--monthfirst",
            help="How to read slash dates such as 05/03/2024 when the column cannot tell.",
        ),
    ] = None,
    key_prefix: Annotated[
        str | None,
        typer.Option(
            "--key-prefix",
            help="Prefix for this file's ids, for helpdesks whose ticket numbers clash (zd-).",
        ),
    ] = None,
    max_errors: Annotated[int, typer.Option(help="Stop collecting errors after this many.")] = 50,
    db: DbOption = None,
    config: ConfigOption = None,
    silent: Annotated[bool, typer.Option("--silent", help="No progress bar.")] = False,
) -> None:
    """Import one file into the warehouse, all or nothing, then clean.

    Example: cxlens import exports/tickets.csv --table tickets --preset zendesk
    """
    from cxlens.clean import clean_warehouse
    from cxlens.ingest import import_file

    settings, warehouse = project(config, db)
    with _progress(not silent) as progress:
        result = import_file(
            warehouse,
            file,
            table=table,
            preset=preset,
            timezone=timezone or settings.timezone,
            sheet=sheet,
            options=_import_options(dayfirst, key_prefix),
            max_errors=max_errors,
            progress=progress,
        )
    clean_warehouse(warehouse, settings)
    warehouse.publish()
    stderr().print(result.describe())


def _import_options(dayfirst: bool | None, key_prefix: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if dayfirst is not None:
        options["dayfirst"] = dayfirst
    if key_prefix is not None:
        options["key_prefix"] = key_prefix
    return options


@app.command()
def kpis(
    by: Annotated[
        str | None,
        typer.Option("--by", help="Grain and dimensions, e.g. month,channel."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, json or csv.")
    ] = "table",
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="Only these KPI ids (repeat, or comma-separate)."),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Print every KPI the data supports, one row per (metric, period, group).

    Example: cxlens kpis --by month,channel --format json
    """
    from cxlens.metrics import KPIS, compute_kpis, kpi_records, parse_by

    if output_format not in ("table", "json", "csv"):
        raise typer.BadParameter("use table, json or csv", param_hint="--format")
    metric = [m.strip() for given in metric or [] for m in given.split(",") if m.strip()] or None
    unknown = [m for m in metric or [] if m not in KPIS]
    if unknown:
        raise typer.BadParameter(
            f"unknown KPI id(s) {', '.join(unknown)}; the ids are: {', '.join(KPIS)}",
            param_hint="--metric",
        )
    try:
        grouping = parse_by(by)
    except CxlensError as error:
        raise typer.BadParameter(str(error), param_hint="--by") from None

    settings, warehouse = project(config, db)
    frame = compute_kpis(warehouse, settings, by=grouping, metrics=metric)
    records = kpi_records(frame)
    _render(records, output_format)


@app.command()
def clv(
    until: Annotated[
        str | None,
        typer.Option("--until", help="Observation end, YYYY-MM-DD (default: last order day)."),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="json or table.")] = "json",
    customers: Annotated[
        Path | None,
        typer.Option("--customers", help="Also write each customer's value here (CSV)."),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Fit BG/NBD and Gamma-Gamma on the orders and print each model and the value totals.

    Example: cxlens clv --until 1997-09-30 --format json --customers clv.csv
    """
    from cxlens.models.lifetime import customer_lifetime_values

    if output_format not in ("json", "table"):
        raise typer.BadParameter("use json or table", param_hint="--format")
    settings, warehouse = project(config, db)
    with warehouse.connect(read_only=True) as con:
        values = customer_lifetime_values(con, settings, until=until)
    if customers is not None:
        values.customers.to_csv(customers, index=False)
        stderr().print(f"{len(values.customers):,} customers written to {customers}")
    result = values.to_json()
    if output_format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _clv_table(result)


def _clv_table(result: dict[str, Any]) -> None:
    """The fitted parameters and the value totals as a short table."""
    from rich.console import Console
    from rich.table import Table

    table = Table("model", "item", "value", "std. error", box=None)
    for model in ("bgnbd", "gamma_gamma"):
        fit = result[model]
        for name, value in fit["params"].items():
            table.add_row(model, name, number(value), number(fit["std_errors"][name]))
        table.add_row(model, "log-likelihood", number(fit["log_likelihood"]), "")
    for name in ("mean", "median", "total"):
        table.add_row("clv", name, number(result["clv"][name]), "")
    Console(width=200).print(table)
    print(f"{result['customers']:,} customers up to {result['until']} in {result['time_unit']}s")


@app.command()
def retention(
    by: Annotated[
        str | None,
        typer.Option("--by", help="Compare groups: plan, segment or channel."),
    ] = None,
    until: UntilOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="json or table.")] = "table",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Kaplan-Meier retention curves (by plan, segment or channel) and the log-rank test.

    Example: cxlens retention --by plan --format table
    """
    from cxlens.models.survival import retention_curves

    check_format(output_format)
    settings, warehouse = project(config, db)
    with warehouse.connect(read_only=True) as con:
        curves = retention_curves(con, settings, by=by, until=until)
    if output_format == "json":
        print_json(curves.to_json())
        return
    print_frame(_retention_table(curves))
    if curves.logrank is not None:
        print(curves.logrank.sentence)


def _retention_table(curves: Any) -> Any:
    """Per group: customers, churned, the share retained at 90/180/365 days, median days."""
    import pandas as pd

    days = (90, 180, 365)
    rows = []
    for group, model in curves.curves.items():
        kept = model.survival_at(list(days)).to_numpy()
        rows.append(
            {
                "group": group,
                "customers": model.n_,
                "churned": model.events_,
                **{
                    f"retained {d}d": "" if k != k else f"{k:.1%}"
                    for d, k in zip(days, kept, strict=True)
                },
                "median days": "not reached" if model.median_ is None else model.median_,
            }
        )
    return pd.DataFrame(rows)


@app.command()
def drivers(
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome", help="csat (satisfied or not), nps (promoter or not) or churn (left)."
        ),
    ] = "csat",
    until: UntilOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="json or table.")] = "table",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Which service factors move CSAT, NPS or churn: effects with intervals, noise marked so.

    Example: cxlens drivers --outcome csat --format table
    """
    from cxlens.models.drivers import service_drivers

    check_format(output_format)
    if outcome not in ("csat", "nps", "churn"):
        raise typer.BadParameter(f"{outcome!r} is not csat, nps or churn", param_hint="--outcome")
    settings, warehouse = project(config, db)
    with warehouse.connect(read_only=True) as con:
        if outcome == "churn":
            from cxlens.models.churn import predict_churn
            from cxlens.models.drivers import churn_service_drivers

            result = churn_service_drivers(con, settings, predict_churn(con, settings, until))
        else:
            result = service_drivers(con, settings, outcome, until=until)
    if output_format == "json":
        print_json(result.to_json())
        return
    sentence = "sentence_zh" if settings.language == "zh" else "sentence"
    table = result.table
    shown = table.assign(
        effect=table["odds_ratio"].map(lambda v: f"{v:.2f}×"),
        interval=[
            f"{lo:.2f}–{hi:.2f}" for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
        ],
        driver=table["significant"].map({True: "yes", False: "no (noise)"}),
    )[["label", "level", "effect", "interval", "n", "driver"]]
    print_frame(shown)
    for line in table.loc[table["significant"], sentence]:
        print(line)


@app.command()
def churn(
    until: UntilOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    customers: Annotated[
        Path | None,
        typer.Option("--customers", help="Also write each customer's risk and reasons (CSV)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Customers shown in the table.")] = 20,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Churn risk per active customer, how well the model predicted held-out churn, and why.

    Example: cxlens churn --format table --customers risk.csv
    """
    from cxlens.models.churn import predict_churn
    from cxlens.report.exports import write_csv

    check_format(output_format, ("table", "json"))
    settings, warehouse = project(config, db)
    with warehouse.connect(read_only=True) as con:
        prediction = predict_churn(con, settings, until=until)
    if customers is not None:
        write_csv(prediction.customers, customers)
        stderr().print(f"{len(prediction.customers):,} customers written to {customers}")
    if output_format == "json":
        print_json(prediction.to_json())
        return
    shown = prediction.customers.head(top).assign(
        p_churn=lambda f: f["p_churn"].map(lambda v: f"{v:.1%}")
    )
    print_frame(shown)
    print(_churn_line(prediction))
    for warning in prediction.validation.get("warnings", []):
        print(f"Warning: {warning}.")


def _churn_line(prediction: Any) -> str:
    """How well the model ranked held-out churn, in one sentence."""
    validation = prediction.validation
    auc = validation["metrics"]["roc_auc"]
    lift = validation["metrics"]["top_decile_lift"]
    how = {"time_split": "a later window held out", "stratified_cv": "5-fold cross-validation"}
    spread = (
        f"95 % {auc['low']:.2f}–{auc['high']:.2f}"
        if "low" in auc and auc["low"] is not None
        else f"± {auc.get('sd', float('nan')):.2f}"
    )
    return (
        f"ROC AUC {auc['value']:.2f} ({spread}) on {how.get(validation['method'], validation['method'])}; "
        f"the riskiest tenth churned {lift['value']:.1f}× as often as average "
        f"(base rate {validation['base_rate']:.1%} within {validation['window_days']} days). "
        f"{len(prediction.customers):,} active customers scored"
        + (
            " (one snapshot: each with the fold that did not see it, a likeness to past "
            "leavers rather than a dated forecast)."
            if validation.get("scores") == "out_of_fold"
            else "."
        )
    )


@app.command()
def targets(
    budget: Annotated[
        float, typer.Option("--budget", "-b", help="What the actions may cost in all (currency).")
    ],
    until: UntilOption = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for targets.csv and targets.xlsx.")
    ] = Path("out"),
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    top: Annotated[int, typer.Option("--top", help="Rows shown in the table.")] = 20,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The retention call list: whom to contact with which offer within the budget.

    Expected saved value = P(churn) × save rate × value − cost, with the actions of
    [targets] in cxlens.toml. Example: cxlens targets --budget 500 --out out
    """
    from cxlens.actions.retention import retention_targets

    check_format(output_format, ("table", "json"))
    if budget < 0:
        raise typer.BadParameter("the budget cannot be negative", param_hint="--budget")
    settings, warehouse = project(config, db)
    with warehouse.connect(read_only=True) as con:
        result = retention_targets(con, settings, budget, until=until)
    calls = result.calls
    out.mkdir(parents=True, exist_ok=True)
    replace_file(out / "targets.csv", calls.write_csv)
    replace_file(out / "targets.xlsx", calls.write_xlsx)
    stderr().print(f"{len(calls.rows):,} customers written to {out / 'targets.csv'} and .xlsx")
    if output_format == "json":
        print_json(result.to_json())
        return
    shown = calls.rows.head(top)[
        ["rank", "customer_id", "action", "p_churn", "value", "expected_saved_value", "reasons"]
    ].assign(p_churn=lambda f: f["p_churn"].map(lambda v: f"{v:.0%}"))
    print_frame(shown)
    print(_targets_line(result, settings.currency))


def _targets_line(result: Any, currency: str) -> str:
    """One sentence: how many, what it costs, what it keeps, how close to the best."""
    calls = result.calls
    cheapest = min(action.cost for action in result.actions)
    if calls.rows.empty and calls.budget < cheapest:
        return (
            f"The budget of {calls.budget:,.2f} {currency} buys no action: the cheapest, "
            f"{min(result.actions, key=lambda a: a.cost).name}, costs {cheapest:,.2f}."
        )
    if calls.rows.empty:
        return (
            f"No customer is worth an action: for each of the {len(result.customers):,} scored, "
            "P(churn) × save rate × value stays below the cost. Lower [targets] "
            "cost_per_action, raise save_rate, or check the values."
        )
    quality = (
        "the best possible" if calls.method == "exact" else f"within {calls.gap:.2%} of the best"
    )
    actions = ", ".join(f"{a.name} {a.cost:,.2f} keeping {a.save_rate:.0%}" for a in result.actions)
    return (
        f"{len(calls.rows):,} customers, cost {calls.total_cost:,.2f} of {calls.budget:,.2f} "
        f"{currency}, expected saved value {calls.total_expected_value:,.2f} {currency} "
        f"({quality}; values from {result.value_basis}; [targets]: {actions})."
    )


@app.command()
def cohorts(
    basis: Annotated[
        str | None,
        typer.Option("--basis", help="orders or subscriptions (default: subscriptions if loaded)."),
    ] = None,
    until: UntilOption = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, csv or json.")
    ] = "table",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The cohort retention matrix: first month × months since, share still active.

    Example: cxlens cohorts --basis orders --format csv > cohorts.csv
    """
    from cxlens.models.survival import cohort_matrix

    check_format(output_format, ("table", "csv", "json"))
    settings, warehouse = project(config, db)
    with warehouse.connect(read_only=True) as con:
        matrix = cohort_matrix(con, settings, until=until, basis=basis)
    matrix = matrix.reset_index()
    matrix.columns = [str(c) for c in matrix.columns]
    if output_format == "csv":
        print(matrix.to_csv(index=False, float_format="%.4f"), end="")
    elif output_format == "json":
        print_json(json.loads(matrix.to_json(orient="records")))
    else:
        shown = matrix.copy()
        for column in shown.columns[2:]:
            shown[column] = shown[column].map(lambda v: "" if v != v else f"{v:.0%}")
        print_frame(shown)


PdfOption = Annotated[
    bool,
    typer.Option("--pdf", help="Also print report.pdf with headless Chromium (chromium on PATH)."),
]


@app.command()
def run(
    config: ConfigOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the report.")] = Path("out"),
    lang: LangOption = None,
    month: MonthOption = None,
    db: DbOption = None,
    full: Annotated[
        bool, typer.Option("--full", help="Reimport every source, changed or not.")
    ] = False,
    pdf: PdfOption = False,
    channel: FilterOption = None,
    category: FilterOption = None,
    team: FilterOption = None,
    segment: FilterOption = None,
    silent: Annotated[bool, typer.Option("--silent", help="No progress bar.")] = False,
    fail_on_alert: Annotated[
        bool,
        typer.Option(
            "--fail-on-alert", help="Exit with status 3 when an alert rule fires (for cron)."
        ),
    ] = False,
) -> None:
    """Import the sources that changed, clean, compute the KPIs and write the report,
    then check the alert rules (and call their webhook when one fires).

    A source whose file and settings are as at its last import is skipped; --full
    reimports all. Example: cxlens run --config examples/public-data/cxlens.toml --pdf
    """
    from cxlens.pipeline import run_project

    filters = dimension_filters(channel=channel, category=category, team=team, segment=segment)
    settings, warehouse = project(config, db, language=language(lang))
    with _progress(not silent) as progress:
        result = run_project(
            settings,
            warehouse,
            out,
            month=month_option(month),
            progress=progress,
            full=full,
            filters=filters,
            pdf=pdf,
        )
    print(result.summary)
    if fail_on_alert and result.fired:
        raise typer.Exit(3)


@app.command()
def report(
    config: ConfigOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the report.")] = Path("out"),
    lang: LangOption = None,
    month: MonthOption = None,
    db: DbOption = None,
    pdf: PdfOption = False,
    channel: FilterOption = None,
    category: FilterOption = None,
    team: FilterOption = None,
    segment: FilterOption = None,
) -> None:
    """Write the monthly report (HTML and XLSX, PDF with --pdf) from what the warehouse holds.

    Example: cxlens report --out out --lang zh --channel email --pdf
    """
    from cxlens.pipeline import report_project

    filters = dimension_filters(channel=channel, category=category, team=team, segment=segment)
    settings, warehouse = project(config, db, language=language(lang))
    _, paths = report_project(
        settings, warehouse, out, month=month_option(month), filters=filters, pdf=pdf
    )
    for path in paths.values():
        print(path)


token_app = typer.Typer(
    no_args_is_help=True,
    help="API tokens for writes through cxlens serve: create, list, revoke.",
)
survey_app = typer.Typer(no_args_is_help=True, help="Survey links for customers to answer.")
app.add_typer(token_app, name="token")
app.add_typer(survey_app, name="survey")


@token_app.command("create")
def token_create(
    name: Annotated[
        str, typer.Option("--name", "-n", help="What the token is for, e.g. crm-sync.")
    ] = "api",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Make an API token; print it alone on stdout (it is shown only this once).

    A running cxlens serve accepts it at once. Example: TOKEN=$(cxlens token create -n crm)
    """
    from cxlens.web.tokens import create_token

    _, warehouse = project(config, db)
    token_id, token = create_token(warehouse, name)
    print(token)
    stderr().print(
        f"API token {token_id} ({name}) for writes to {warehouse.location}: send it as "
        "'Authorization: Bearer <token>'. It is not stored and cannot be shown again; "
        f"revoke it with: cxlens token revoke {token_id}",
        highlight=False,
    )


@token_app.command("list")
def token_list(db: DbOption = None, config: ConfigOption = None) -> None:
    """List every API token: id, name, when made, when revoked (never the token itself).

    Example: cxlens token list
    """
    import pandas as pd

    from cxlens.web.tokens import list_tokens

    _, warehouse = project(config, db)
    tokens = list_tokens(warehouse)
    if not tokens:
        stderr().print("no API tokens yet; make one with: cxlens token create")
        return
    frame = pd.DataFrame(tokens, columns=["token_id", "name", "created_at", "revoked_at"])
    frame["revoked_at"] = frame["revoked_at"].map(lambda at: "live" if pd.isna(at) else str(at))
    print_frame(frame.astype(str))


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id, as cxlens token list shows.")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Refuse a token from now on, also in a running cxlens serve.

    Example: cxlens token revoke 3f9a0c1b2d4e
    """
    from cxlens.web.tokens import revoke_token

    _, warehouse = project(config, db)
    revoke_token(warehouse, token_id)
    stderr().print(f"API token {token_id} revoked")


@survey_app.command("links")
def survey_links(
    kind: Annotated[str, typer.Option("--kind", "-k", help="csat, nps or ces.")],
    tickets: Annotated[
        str | None, typer.Option("--tickets", help="Ticket ids, comma-separated.")
    ] = None,
    customers: Annotated[
        str | None, typer.Option("--customers", help="Customer ids, comma-separated.")
    ] = None,
    solved_since: Annotated[
        str | None,
        typer.Option("--solved-since", help="Every ticket solved on or after this local day."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Address of cxlens serve as customers reach it (default: \\[serve] host and port).",
        ),
    ] = None,
    expires_days: Annotated[
        int, typer.Option("--expires-days", help="Days a link stays open.")
    ] = 14,
    lang: LangOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the links here (CSV).")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Make signed, expiring, single-use survey links for tickets or customers.

    Example: cxlens survey links --kind csat --solved-since 2025-06-01 --out links.csv
    """
    from datetime import timedelta

    from cxlens.web.links import make_links, solved_tickets

    subject_type, subjects = _survey_subjects(tickets, customers, solved_since)
    if expires_days < 1:
        raise typer.BadParameter("give at least 1 day", param_hint="--expires-days")
    settings, warehouse = project(config, db, language=language(lang))
    if subjects is None:
        subjects = solved_tickets(warehouse, day_option(solved_since, "--solved-since"))
        if not subjects:
            stderr().print(f"no tickets solved since {solved_since}; no link made")
            return
    base_url = base_url or f"http://{settings.serve['host']}:{settings.serve['port']}"
    links = make_links(
        warehouse,
        kind,
        subjects,
        subject_type=subject_type,
        base_url=base_url,
        expires_in=timedelta(days=expires_days),
        lang=lang or settings.language,
    )
    frame = _links_frame(links, settings.timezone)
    if out is None:
        print_frame(frame)
        return
    from cxlens.report.exports import write_csv

    replace_file(out, lambda path: write_csv(frame, path))
    stderr().print(f"{len(links):,} {kind} link(s) written to {out}")


def _survey_subjects(
    tickets: str | None, customers: str | None, solved_since: str | None
) -> tuple[str, list[str] | None]:
    """("ticket" or "customer", the ids given); ids None when --solved-since chooses them."""
    given = [flag for flag in (tickets, customers, solved_since) if flag is not None]
    if len(given) != 1:
        raise typer.BadParameter(
            "give exactly one of --tickets, --customers or --solved-since",
            param_hint="--tickets / --customers / --solved-since",
        )
    if solved_since is not None:
        day_option(solved_since, "--solved-since")
        return "ticket", None
    ids = [i.strip() for i in (tickets or customers or "").split(",") if i.strip()]
    if not ids:
        raise typer.BadParameter("name at least one id", param_hint="--tickets / --customers")
    return ("ticket" if tickets is not None else "customer"), ids


def _links_frame(links: list[Any], timezone: str) -> Any:
    """subject, url, expires_at (local time of the project, with its offset)."""
    from zoneinfo import ZoneInfo

    import pandas as pd

    zone = ZoneInfo(timezone)
    return pd.DataFrame(
        {
            "subject": [link.subject_id for link in links],
            "url": [link.url for link in links],
            "expires_at": [link.expires_at.astimezone(zone).isoformat() for link in links],
        }
    )


@app.command()
def serve(
    db: DbOption = None,
    config: ConfigOption = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Address to listen on (\\[serve] host; default 127.0.0.1: this computer).",
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on (\\[serve] port; default 8000).")
    ] = None,
) -> None:
    """Serve the dashboard, the API and the survey forms until Ctrl-C.

    Example: cxlens serve --db cxlens.duckdb --port 8000
    """
    from cxlens.web.app import serve as serve_app

    settings, warehouse = project(config, db)
    host = host or settings.serve["host"]
    port = port or settings.serve["port"]
    stderr().print(f"cxlens: dashboard on http://{host}:{port}/ (API docs: /api/v1/docs)")
    serve_app(settings, warehouse, host=host, port=port)


def _render(records: list[dict[str, Any]], output_format: str) -> None:
    try:
        _write(records, output_format)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader stopped early (`cxlens kpis | head`): not a failure of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


def _write(records: list[dict[str, Any]], output_format: str) -> None:
    if output_format == "json":
        print(json.dumps(records, ensure_ascii=False, indent=2, default=str))
    elif output_format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["metric", "period", "group", "value", "n", "ci_low", "ci_high"])
        for r in records:
            group = json.dumps(r["group"], ensure_ascii=False) if r["group"] else ""
            writer.writerow(
                [r["metric"], r["period"], group, r["value"], r["n"], r["ci_low"], r["ci_high"]]
            )
    elif output_format == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table("metric", "period", "group", "value", "n", "95% CI", box=None)
        for r in records:
            group = ", ".join(f"{k}={v}" for k, v in r["group"].items())
            ci = "" if r["ci_low"] is None else f"{number(r['ci_low'])} – {number(r['ci_high'])}"
            table.add_row(r["metric"], r["period"], group, number(r["value"]), f"{r['n']:,}", ci)
        Console(width=200).print(table)


# The actions' commands live in cxlens.commands, one module each with a
# ``register(app)`` function; the order here is the order of ``cxlens --help``.
ACTION_COMMANDS: list[str] = ["tiers", "alerts", "staffing", "bottlenecks", "coach", "topics"]
for _name in ACTION_COMMANDS:
    importlib.import_module(f"cxlens.commands.{_name}").register(app)


def main() -> None:
    """Entry point: run the app and turn cxlens errors into one message and exit 1.

    Usage errors are the parser's own (exit 2); anything else is a bug and keeps its
    traceback.
    """
    try:
        app()
    except CxlensError as error:
        if _DEBUG[0]:
            log.exception("failed")
        from rich.text import Text

        stderr().print(Text.assemble(("Error: ", "bold red"), str(error)), highlight=False)
        sys.exit(1)
