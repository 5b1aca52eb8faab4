"""``cxlens topics`` (what customers complain about) and ``cxlens sentiment`` (how well a
sentiment model fitted on labelled comments reads them, against the shipped one)."""

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
    print_frame,
    print_json,
    print_view,
    project,
)


def topics(
    first: Annotated[
        str | None, typer.Option("--from", help="First day of the comments, YYYY-MM-DD.")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last day of the comments, YYYY-MM-DD.")
    ] = None,
    channel: FilterOption = None,
    category: FilterOption = None,
    team: FilterOption = None,
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", help="table, json, or csv (every topic, raw values)."),
    ] = "table",
    top: TopOption = 20,
    lang: LangOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Complaint topics in customers' comments, zh and en: size, negative share, trend.

    Learns the topics from all negative comments (survey comments and the comments
    table) and counts the comments of the dates and filters given.
    Example: cxlens topics --from 2025-06-01 --to 2025-06-30 --channel phone
    """
    from cxlens.insights.actions import Scope

    check_format(output_format, ("table", "json", "csv"))
    if top < 1:
        raise typer.BadParameter("show at least one row", param_hint="--top")
    window = (day_option(first, "--from"), day_option(last, "--to"))
    if window[0] and window[1] and window[0] > window[1]:
        raise typer.BadParameter(f"{last} is before --from {first}", param_hint="--to")
    filters = {
        name: values
        for name, values in (("channel", channel), ("category", category), ("team", team))
        if values
    }
    scope = Scope(window=None if window == (None, None) else window, filters=filters)
    settings, warehouse = project(config, db, language=language(lang))
    if output_format == "csv":
        _print_topics_csv(warehouse, settings, scope)
        return
    from cxlens.insights.topics import topics_view

    print_view(
        topics_view(warehouse, settings, lang or settings.language, scope), output_format, top
    )


def _print_topics_csv(warehouse, settings, scope) -> None:
    """Every topic of the scope as CSV on stdout, with stable English column names."""
    import sys

    from cxlens.insights.topics import scoped_topics
    from cxlens.models.topics import analysed
    from cxlens.report.exports import neutralise

    _, table = scoped_topics(analysed(warehouse, settings), scope)
    columns = [
        "topic",
        "label",
        "language",
        "keywords",
        "comments",
        "negative",
        "negative_share",
        "previous",
        "trend",
        "examples",
    ]
    neutralise(table[columns]).to_csv(sys.stdout, index=False)


def sentiment(
    labelled: Annotated[
        Path | None,
        typer.Option(
            "--labelled",
            help="A CSV of your own labelled comments (default: the warehouse's comments "
            "labelled by their CSAT/NPS score).",
        ),
    ] = None,
    text_column: Annotated[
        str | None,
        typer.Option(
            "--text-column",
            help="The labelled file's text column (default: text, review or comment).",
        ),
    ] = None,
    label_column: Annotated[
        str,
        typer.Option(
            "--label-column", help="The labelled file's label column: 1/0 or positive/negative."
        ),
    ] = "label",
    holdout: Annotated[
        float | None,
        typer.Option(
            "--holdout",
            help="Held out of the fit: a share below 1 (0.2) or a "
            "number of distinct texts (1500). Default: holdout in the topics section.",
        ),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Held-out accuracy of a sentiment model fitted on labelled comments vs the shipped one.

    Keeps a stratified share of the labels out of the fit and scores it with the fitted
    model and the shipped one (SnowNLP for Chinese, VADER for English).

    Example: cxlens sentiment --labelled reviews.csv --text-column review --label-column label
    """
    from cxlens.models.sentiment import fit_labelled_file

    check_format(output_format)
    if holdout is not None and not (0 < holdout < 1 or (holdout >= 1 and holdout.is_integer())):
        raise typer.BadParameter(
            "give a share between 0 and 1 or a whole number of texts", param_hint="--holdout"
        )
    share = None if holdout is None else (holdout if holdout < 1 else int(holdout))
    if labelled is not None:
        if not labelled.is_file():
            raise typer.BadParameter(f"{labelled} is not a file", param_hint="--labelled")
        model = fit_labelled_file(labelled, text_column, label_column, holdout=share or 0.2)
        source = str(labelled)
    else:
        model, source = _warehouse_model(config, db, share)
    summary = model.summary
    if output_format == "json":
        print_json(
            {
                "source": source,
                "accuracy": model.accuracy_,
                "shipped_accuracy": model.shipped_accuracy_,
                "languages": summary.to_dict(orient="records"),
            }
        )
        return
    shown = summary.assign(
        fitted_accuracy=summary["fitted_accuracy"].map(lambda v: f"{v:.1%}"),
        shipped_accuracy=summary["shipped_accuracy"].map(lambda v: "" if v != v else f"{v:.1%}"),
    )
    print_frame(shown, title=f"Held-out accuracy: {source}")
    shipped = model.shipped_accuracy_
    against = "no shipped model" if shipped != shipped else f"shipped {shipped:.1%}"
    print(
        f"Fitted {model.accuracy_:.1%} against {against} on "
        f"{len(model.holdout_index_):,} held-out comments."
    )


def _warehouse_model(config, db, holdout):
    """The sentiment model fitted on the warehouse's labelled comments, as topics fits it."""
    from cxlens.errors import ModelError
    from cxlens.models.sentiment import SentimentModel
    from cxlens.models.text import check_settings
    from cxlens.models.topics import read_comments

    settings, warehouse = project(config, db)
    section = check_settings(dict(settings.topics or {}))
    with warehouse.connect(read_only=True) as con:
        comments = read_comments(con, settings)
    labelled = comments[comments["label"].notna()]
    if labelled.empty:
        raise ModelError(
            "no comment in the warehouse is labelled by a score; give a labelled file "
            "with --labelled"
        )
    model = SentimentModel(
        holdout=holdout or section["holdout"], min_labelled=section["min_labelled"]
    )
    return model.fit(labelled["text"], labelled["label"], labelled["language"]), warehouse.location


def register(app: typer.Typer) -> None:
    app.command("topics")(topics)
    app.command("sentiment")(sentiment)
