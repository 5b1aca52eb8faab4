"""The monthly report as one self-contained HTML file.

plotly.js is inlined once in the page head; every figure after that is a
``<div>`` with its data and no library. The page loads no script, style sheet
or font from anywhere: it opens offline, from an e-mail attachment or a USB
stick. Jinja2 renders it with autoescaping on, because names and comments come
from customers and agents.

The predictions section (``report.predictions``) follows the month's sections: each
model's chart with the sentences a manager reads, or one line saying why the data do
not support it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cxlens.insights import definition, dimension_value, kpi_name, label
from cxlens.insights.cards import MATERIAL_CHANGE
from cxlens.insights.catalogue import BREAKDOWN, MONEY, RATE
from cxlens.insights.cleaning import flag_name, rule_description, table_name
from cxlens.insights.formatting import format_interval, format_n, format_value
from cxlens.report import charts
from cxlens.report.actions import sections, summary_items
from cxlens.report.predictions import REPORT_CONTACTS, call_list_frame, capped_bins

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.insights import Breakdown, Insights, KpiCard
    from cxlens.insights.actions import ActionView
    from cxlens.report.detail import Details
    from cxlens.report.predictions import Predictions

BREAKDOWN_ROWS_SHOWN = 25
VERDICT_CLASS = {
    "better": "good",
    "worse": "bad",
    "noise": "flat",
    "slight": "flat",
    "neutral": "flat",
    "unchanged": "flat",
    "none": "none",
}


def render_html(
    insights: Insights,
    details: Details,
    predictions: Predictions | None = None,
    actions: list[ActionView] | None = None,
) -> str:
    """The report page as text; without ``predictions`` (``actions``) the page has no
    predictions (actions) section."""
    from jinja2 import Environment, PackageLoader
    from markupsafe import Markup
    from plotly.offline import get_plotlyjs

    environment = Environment(
        loader=PackageLoader("cxlens.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("report.html.j2")
    return template.render(
        lang=insights.lang,
        L=lambda key, **values: label(key, insights.lang, **values),
        insights=insights,
        generated_at=datetime.now().strftime("%Y-%m-%d %H:%M"),
        plotly_js=Markup(get_plotlyjs()),
        cards=[_card(card) for card in insights.cards],
        threshold=f"{MATERIAL_CHANGE:.0%}",
        all_data=_all_data(insights),
        trend_charts=[_trend(insights, card) for card in insights.cards],
        distributions=_distributions(insights, details),
        heatmap=Markup(_div(charts.heatmap_figure(details.arrivals, insights.lang))),
        arrivals_total=int(details.arrivals.to_numpy().sum()),
        breakdowns=[_breakdown_table(insights, breakdown) for breakdown in insights.breakdowns],
        comments=_comments(details.comments, insights.lang),
        quality_flags=_quality_flags(details.quality_flags, insights.lang),
        cleaning_log=_cleaning_log(details.cleaning_log, insights.lang),
        predictions=None if predictions is None else _predictions(predictions, insights.lang),
        action_summary=summary_items(actions or []),
        actions=sections(actions or [], lambda figure: Markup(_div(figure))),
        definitions=_definitions(insights),
        scope=_scope_line(insights),
    )


SCOPE_WORDS = {
    "language": {"en": "Language: English", "zh": "语言：中文"},
    "filters": {"en": "Filters", "zh": "筛选"},
    "covers": {
        "en": "key figures, trends, breakdowns and actions",
        "zh": "关键指标、趋势、细分与行动建议",
    },
    "none": {"en": "none (all records)", "zh": "无（全部记录）"},
    "channel": {"en": "channel", "zh": "渠道"},
    "category": {"en": "category", "zh": "类别"},
    "team": {"en": "team", "zh": "团队"},
    "segment": {"en": "segment", "zh": "客户分群"},
    "priority": {"en": "priority", "zh": "优先级"},
    "agent": {"en": "agent", "zh": "客服"},
}


def _scope_line(insights: Insights) -> dict[str, str]:
    """The report's language and active dimension filters, for the page's first screen.

    The filters are those the insights were computed with (``insights.filters``, as
    ``report.actions.report_scope`` reads them): ``Filters (…): channel = email, chat``.
    """
    lang = insights.lang
    filters = insights.filters
    sep, equals = ("；", " = ") if lang == "zh" else ("; ", " = ")
    shown = sep.join(
        SCOPE_WORDS.get(dimension, {}).get(lang, dimension)
        + equals
        + ", ".join(dimension_value(dimension, value, lang) for value in values)
        for dimension, values in filters.items()
    )
    opening, closing = ("（", "）") if lang == "zh" else (" (", ")")
    head = SCOPE_WORDS["filters"][lang] + opening + SCOPE_WORDS["covers"][lang] + closing
    colon = "：" if lang == "zh" else ": "
    return {
        "language": SCOPE_WORDS["language"][lang],
        "filters": head + colon + (shown or SCOPE_WORDS["none"][lang]),
        "active": "yes" if filters else "no",
    }


def _div(figure: Any) -> str:
    return figure.to_html(full_html=False, include_plotlyjs=False, config=charts.PLOTLY_CONFIG)


def _card(card: KpiCard) -> dict[str, Any]:
    changes = []
    for key, change in (("vs_previous", card.previous), ("vs_year_ago", card.year_ago)):
        changes.append(
            {
                "label": label(key, card.lang),
                "period": change.base.period,
                "base": format_value(change.base.value, card.view.unit, card.lang),
                "text": card.change_text(change),
                "verdict": card.verdict_text(change),
                "css": VERDICT_CLASS[change.verdict],
            }
        )
    return {
        "metric": card.metric,
        "name": card.name,
        "value": card.value_text,
        "n": card.n_text,
        "interval": card.interval_text,
        "hours": card.hours_text,
        "changes": changes,
    }


def _trend(insights: Insights, card: KpiCard) -> dict[str, Any]:
    """A trend chart, or its title and a sentence when the months shown hold no value."""
    from markupsafe import Markup

    figure = charts.trend_figure(insights, card)
    if figure is not None:
        return {"title": card.name, "chart": Markup(_div(figure)), "note": ""}
    months = insights.trend_months
    note = label("no_trend_data", insights.lang, first=months[0], last=months[-1])
    return {"title": card.name, "chart": None, "note": note}


def _all_data(insights: Insights) -> list[dict[str, Any]]:
    """KPIs computed over all the data (period "all"): value, n and interval, no comparison."""
    lang = insights.lang
    shown = []
    for metric, reading in insights.all_data.items():
        unit = insights.views[metric].unit if metric in insights.views else "score"
        shown.append(
            {
                "metric": metric,
                "name": kpi_name(metric, lang),
                "value": format_value(reading.value, unit, lang),
                "n": format_n(reading.n),
                "interval": format_interval(reading.ci_low, reading.ci_high, unit, lang),
            }
        )
    return shown


def _distributions(insights: Insights, details: Details) -> list[dict[str, Any]]:
    """Histograms of first response and resolution, marked with the month's KPIs."""
    from markupsafe import Markup

    shown = []
    for stem, bins, title_key in (
        ("first_response", details.first_response_bins, "first_response_minutes"),
        ("resolution", details.resolution_bins, "resolution_minutes"),
    ):
        markers = {
            stat: insights.reading(f"{stem}_{stat}_min") for stat in ("median", "p90", "mean")
        }
        title = label(title_key, insights.lang)
        if bins.empty:
            shown.append({"title": title, "chart": None})
            continue
        figure = charts.distribution_figure(bins, markers, title, insights.lang)
        shown.append({"title": title, "chart": Markup(_div(figure))})
    return shown


def _breakdown_table(insights: Insights, breakdown: Breakdown) -> dict[str, Any]:
    """Rows of a dimension with one cell per KPI: value, n and interval."""
    lang = insights.lang
    metrics = [metric for metric in BREAKDOWN if metric in breakdown.metrics]
    cells = {
        (key, metric): (value, n, low, high)
        for key, metric, value, n, low, high in breakdown.rows[
            ["key", "metric", "value", "n", "ci_low", "ci_high"]
        ].itertuples(index=False)
    }
    labels = dict(zip(breakdown.rows["key"], breakdown.rows["label"], strict=True))
    rows = []
    for key in breakdown.keys[:BREAKDOWN_ROWS_SHOWN]:
        row_cells = []
        for metric in metrics:
            value, n, low, high = cells.get((key, metric), (None, None, None, None))
            unit = insights.views[metric].unit
            row_cells.append(
                {
                    "value": format_value(value, unit, lang),
                    "n": format_n(n),
                    "interval": format_interval(low, high, unit, lang),
                }
            )
        rows.append({"label": labels[key], "cells": row_cells})
    hidden = len(breakdown.keys) - BREAKDOWN_ROWS_SHOWN
    return {
        "title": label(breakdown.dimension, lang),
        "headers": [kpi_name(metric, lang) for metric in metrics],
        "rows": rows,
        "more": label("more_rows", lang, count=hidden) if hidden > 0 else "",
        "note": label("agent_attribution", lang) if breakdown.dimension == "agent" else "",
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _quality_flags(frame: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    names = [flag_name(flag, lang) for flag in frame["flag"]]
    return _records(frame.assign(name=names))


def _cleaning_log(frame: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """The cleaning log with table names and rule descriptions in the report's language."""
    descriptions = [
        rule_description(rule, text if isinstance(text, str) else "", lang)
        for rule, text in zip(frame["rule"], frame["description"], strict=True)
    ]
    tables = [table_name(name, lang) for name in frame["table_name"]]
    return _records(frame.assign(description=descriptions, table_label=tables))


def _comments(frame: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    channels = [dimension_value("channel", code, lang) for code in frame["channel"]]
    return _records(frame.assign(channel_label=channels))


def _definitions(insights: Insights) -> list[dict[str, str]]:
    lang = insights.lang
    return [
        {
            "name": kpi_name(metric, lang),
            "metric": metric,
            "definition": definition(metric, lang),
            "direction": label(f"direction_{insights.views[metric].better}", lang)
            if metric in insights.views
            else "",
        }
        for metric in insights.defined_metrics
    ]


# ---------------------------------------------------------------------------------------
# The predictions section: one entry per part, each a chart and sentences or a reason


def _predictions(found: Predictions, lang: str) -> dict[str, dict[str, Any]]:
    """Every part of the section by name: its title, and either its content or ``missing``."""
    shapers = {
        "lifetime": _lifetime,
        "churn": _churn,
        "drivers": _drivers,
        "churn_drivers": _churn_drivers,
        "survival": _survival,
        "calls": _calls,
    }
    shown = {}
    for part, shaper in shapers.items():
        title = label(f"pred_{part}", lang)
        if part in found.missing:
            shown[part] = {"title": title, "missing": found.reason(part, lang)}
        else:
            shown[part] = {"title": title, "missing": "", **shaper(found, title, lang)}
    return shown


def _money(value: float, lang: str) -> str:
    return format_value(float(value), MONEY, lang)


def _percent(value: float, lang: str) -> str:
    return format_value(float(value), RATE, lang)


def _lifetime(found: Predictions, title: str, lang: str) -> dict[str, Any]:
    """The CLV histogram (to the 99th percentile) with its mean and median, and a sentence."""
    from markupsafe import Markup

    lifetime = found.lifetime
    values = lifetime.customers["clv"].dropna()
    mean, median, cap = values.mean(), values.median(), values.quantile(0.99)
    bins = capped_bins(values)
    axis = label("clv_axis", lang, months=lifetime.horizon_months, currency=found.currency)
    if bins["overflow"].any():
        axis += " · " + label("overflow_bin", lang, limit=_money(cap, lang))
    markers = [
        (f"{label('mean', lang)} {_money(mean, lang)}", mean, charts.MARKERS["mean"]),
        (f"{label('median', lang)} {_money(median, lang)}", median, charts.MARKERS["median"]),
    ]
    figure = charts.customer_histogram(bins, markers, title, axis, lang)
    sentence = label(
        "clv_sentence",
        lang,
        customers=f"{len(values):,}",
        months=lifetime.horizon_months,
        rate=_percent(lifetime.annual_discount_rate, lang),
        mean=_money(mean, lang),
        median=_money(median, lang),
        total=_money(values.sum(), lang),
        currency=found.currency,
        cap=_money(cap, lang),
    )
    return {"chart": Markup(_div(figure)), "sentences": [sentence]}


def _churn(found: Predictions, title: str, lang: str) -> dict[str, Any]:
    """The risk histogram with the band thresholds, the validation line and plain sentences."""
    from markupsafe import Markup

    churn = found.churn
    customers, validation = churn.customers, churn.validation
    days = validation["window_days"]
    markers = [
        (
            label("band_from", lang, band=label(f"risk_{band}", lang), value=_percent(cut, lang)),
            cut,
            colour,
        )
        for band, cut, colour in (
            ("medium", churn.bands["medium"], charts.MARKERS["mean"]),
            ("high", churn.bands["high"], charts.MARKERS["p90"]),
        )
    ]
    axis = label("churn_axis", lang, days=days)
    bins = capped_bins(customers["p_churn"])
    figure = charts.customer_histogram(bins, markers, title, axis, lang, tickformat=".1%")
    high = int((customers["risk_band"] == "high").sum())
    key = (
        "churn_sentence_out_of_fold"
        if validation.get("scores") == "out_of_fold"
        else ("churn_sentence")
    )
    sentence = label(
        key,
        lang,
        customers=f"{len(customers):,}",
        day=validation["as_of"]["scored"],
        high=f"{high:,}",
        share=_percent(high / len(customers), lang) if len(customers) else "—",
        days=days,
        threshold=_percent(churn.bands["high"], lang),
        base=_percent(validation["base_rate"], lang),
    )
    lift = validation["metrics"]["top_decile_lift"]["value"]
    meaning = label("churn_auc_meaning", lang, lift=f"{lift:.1f}")
    warnings = [
        label("churn_leakage", lang, auc=f"{validation['metrics']['roc_auc']['value']:.2f}",
              features=_feature_names(validation, lang))
        for _ in validation.get("warnings", [])
    ]  # fmt: skip
    return {
        "chart": Markup(_div(figure)),
        "validation": churn_validation_text(validation, lang),
        "sentences": [*warnings, sentence, meaning],
    }


def _feature_names(validation: dict[str, Any], lang: str) -> str:
    """The churn model's most important features, named as the reasons name them."""
    from cxlens.models.features import label_of

    chosen = validation.get("leak_suspects") or validation.get("top_features", [])
    names = [label_of(c) for c in chosen]
    return ("、" if lang == "zh" else ", ").join(n.zh if lang == "zh" else n.en for n in names)


def _leak_caveat(found: Predictions, lang: str) -> list[str]:
    """A reminder on parts built on a churn model flagged as a likely leak."""
    churn = found.churn
    if churn is None or not churn.validation.get("warnings"):
        return []
    return [label("leak_caveat", lang, features=_feature_names(churn.validation, lang))]


def _calls_assumptions(found: Predictions, lang: str) -> str:
    """The actions' costs and save rates and the value horizon the plan rests on."""
    targets = found.calls
    actions = (("、" if lang == "zh" else ", ")).join(
        label("calls_action", lang, name=a.name, cost=_money(a.cost, lang),
              rate=_percent(a.save_rate, lang))
        for a in targets.actions
    )  # fmt: skip
    basis = label(f"calls_value_{targets.value_basis}", lang)
    key = "calls_assumptions" if found.targets_set else "calls_assumptions_default"
    return label(key, lang, actions=actions, basis=basis)


def churn_validation_text(validation: dict[str, Any], lang: str) -> str:
    """How well the churn model ranked customers it had not seen, in one line.

    Time split: ``ROC AUC 0.75 (95 % 0.69–0.80), time split, n = 1,727``; stratified
    cross-validation gives the folds' spread instead of a bootstrap interval.
    """
    method = validation["method"]
    auc = validation["metrics"]["roc_auc"]
    n = f"{validation['n']['validation']:,}"
    if method == "time_split":
        figures = {"low": f"{auc['low']:.2f}", "high": f"{auc['high']:.2f}"}
    else:
        figures = {
            "sd": f"{auc['sd']:.2f}",
            "folds": validation["folds"],
            "low": f"{auc['min']:.2f}",
            "high": f"{auc['max']:.2f}",
        }
    return label(f"churn_validation_{method}", lang, value=f"{auc['value']:.2f}", n=n, **figures)


def _drivers(found: Predictions, title: str, lang: str) -> dict[str, Any]:
    """The odds-ratio chart of what moves CSAT, the significant drivers' sentences, a note."""
    return _driver_part(found.drivers, title, lang, "drivers_note")


def _churn_drivers(found: Predictions, title: str, lang: str) -> dict[str, Any]:
    """The same for leaving: service factors with tenure, plan and segment held fixed."""
    part = _driver_part(found.churn_drivers, title, lang, "churn_drivers_note")
    part["sentences"] = [*_leak_caveat(found, lang), *part["sentences"]]
    return part


def _driver_part(drivers: Any, title: str, lang: str, note_key: str) -> dict[str, Any]:
    """An odds-ratio chart, the significant drivers' sentences and what was fitted on."""
    from markupsafe import Markup

    table = drivers.table
    figure = charts.drivers_figure(table, title, lang)
    column = "sentence_zh" if lang == "zh" else "sentence"
    sentences = table.loc[table["significant"].astype(bool), column].tolist()
    note = label(
        note_key,
        lang,
        tested=len(table),
        rows=f"{drivers.model.n_rows_:,}",
        positive=f"{drivers.model.n_positive_:,}",
    )
    return {
        "chart": Markup(_div(figure)),
        "sentences": sentences or [label("drivers_none", lang)],
        "note": note,
    }


SURVIVAL_GROUP_LABELS = {
    "all": "survival_group_all",
    "other": "survival_group_other",
    "unknown": "none_value",
    "no tickets": "survival_group_no_tickets",
}


def _survival(found: Predictions, title: str, lang: str) -> dict[str, Any]:
    """Retention curves by plan or segment with bands, the log-rank sentence and a note."""
    from markupsafe import Markup

    retention = found.survival
    names = {
        group: label(SURVIVAL_GROUP_LABELS[group], lang)
        if group in SURVIVAL_GROUP_LABELS
        else group
        for group in retention.curves
    }
    by = label(f"survival_by_{retention.by}", lang)
    figure = charts.survival_figure(retention.curves, names, f"{title} · {by}", lang)
    note = label(
        "survival_note",
        lang,
        customers=f"{len(retention.customers):,}",
        basis=label(f"survival_basis_{retention.basis}", lang),
        until=retention.until.isoformat(),
    )
    test = label("survival_test", lang, by=by, sentence=logrank_text(retention, lang))
    return {
        "chart": Markup(_div(figure)),
        "sentences": [test, *_retained_lines(retention, names, lang)],
        "note": note,
    }


def _retained_lines(retention: Any, names: dict[str, str], lang: str) -> list[str]:
    """Per group: the share still with us 90, 180 and 365 days after starting."""
    lines = []
    for group, model in retention.curves.items():
        kept = model.survival_at([90, 180, 365]).to_numpy(float)
        shares = ["—" if k != k else _percent(k, lang) for k in kept]
        lines.append(
            label("survival_retained", lang, group=names[group], n=f"{model.n_:,}",
                  d90=shares[0], d180=shares[1], d365=shares[2])
        )  # fmt: skip
    if any("—" in line for line in lines):
        lines.append(label("survival_dash", lang))
    return lines


def logrank_text(retention: Any, lang: str) -> str:
    """The log-rank conclusion at 5 % in ``lang`` (in English, the model's own sentence)."""
    from cxlens.models.survival import SIGNIFICANCE

    test = retention.logrank
    if test is None:
        return label("logrank_none", lang)
    p = "p < 0.001" if test.p_value < 0.001 else f"p = {test.p_value:.3f}"
    return label("logrank_differ" if test.p_value < SIGNIFICANCE else "logrank_same", lang, p=p)


def _calls(found: Predictions, title: str, lang: str) -> dict[str, Any]:
    """The top ``REPORT_CONTACTS`` rows of the call list, and what the whole plan costs."""
    plan = found.calls.calls
    frame = call_list_frame(found.calls, lang)
    if frame.empty:
        return {"rows": [], "summary": label("calls_empty", lang), "more": ""}
    if plan.method == "exact":
        method = label("calls_exact", lang)
    else:
        method = label("calls_greedy", lang, gap=_percent(plan.gap, lang))
    summary = label(
        "calls_summary",
        lang,
        budget=_money(found.budget, lang),
        currency=found.currency,
        contacts=REPORT_CONTACTS,
        rows=f"{len(frame):,}",
        spent=_money(plan.total_cost, lang),
        saved=_money(plan.total_expected_value, lang),
        method=method,
    )
    summary += " " + _calls_assumptions(found, lang)
    summary = " ".join([*_leak_caveat(found, lang), summary])
    hidden = len(frame) - REPORT_CONTACTS
    products = bool((frame["next_best_product"].astype(str) != "").any())
    shown = frame if products else frame.drop(columns=["next_best_product", "because"])
    return {
        "headers": [label(column, lang) for column in shown.columns],
        "rows": [_call_row(row, lang) for row in _records(frame.head(REPORT_CONTACTS))],
        "products": products,  # no order lines: no product columns
        "summary": summary,
        "more": label("more_rows", lang, count=hidden) if hidden > 0 else "",
    }


def _call_row(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """One call-list row with its numbers formatted as the rest of the page formats them."""
    formatted = {
        "p_churn": _percent(row["p_churn"], lang),
        "customer_value": _money(row["customer_value"], lang),
        "expected_saved_value": _money(row["expected_saved_value"], lang),
        "cost": _money(row["cost"], lang),
    }
    return {**{k: "" if v is None else v for k, v in row.items()}, **formatted}
