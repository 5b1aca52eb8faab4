"""The overview's "why" section: where one KPI's change over the filter bar comes from.

For the KPI named by ``explain=`` it splits the change from the period before across
the groups of each dimension the filter does not already pin to one value (category,
team, agent, priority, channel), with ``cxlens.insights.changes``: for rates and NPS
each group's exact part (its own value moving, and its share of the records moving);
for durations the groups whose own value moved most, weighted by their records.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxlens.insights import catalogue
from cxlens.insights.changes import explain_change
from cxlens.insights.formatting import format_change, format_value
from cxlens.insights.labels import dimension_value, kpi_name
from cxlens.models.plain import finite
from cxlens.web.filters import Filters
from cxlens.web.words import word

DIMENSIONS = ("category", "team", "agent", "priority", "channel")
SHOWN = 5  # groups per dimension


def explain_view(
    compute: Any, filters: Filters, metric: str, settings: Any, agent_names: dict[str, str]
) -> dict[str, Any] | None:
    """The section's content, or None when there is no period before to compare with."""
    previous = filters.previous()
    if previous is None:
        return None
    view = catalogue.view(metric, settings)
    lang = filters.lang
    totals = [
        _value(compute((), [metric], filters=filters.chosen, window=window), metric)
        for window in (filters.window, previous.window)
    ]
    parts = []
    for dimension in DIMENSIONS:
        if len(filters.values.get(dimension, ())) == 1:
            continue  # pinned by the filter: one group, nothing to split
        now, before = (
            compute((dimension,), [metric], filters=filters.chosen, window=window)
            for window in (filters.window, previous.window)
        )
        if now.empty and before.empty:
            continue
        change = explain_change(metric, view.unit, dimension, now, before, *totals)
        parts.append(_part(change, view.unit, lang, agent_names, filters))
    return {
        "metric": metric,
        "name": kpi_name(metric, lang),
        "now_text": format_value(totals[0], view.unit, lang),
        "before_text": format_value(totals[1], view.unit, lang),
        "change_text": _change_text(totals, view.unit, lang),
        "additive": view.unit in ("rate", "points"),
        "parts": [part for part in parts if part["rows"]],
    }


def _part(change, unit: str, lang: str, names: dict[str, str], filters: Filters) -> dict:
    rows = []
    for row in change.groups.head(SHOWN).itertuples(index=False):
        label = dimension_value(change.dimension, row.key, lang)
        if change.dimension == "agent" and row.key in names:
            label = f"{names[row.key]} ({row.key})"
        entry = {
            "key": row.key,
            "label": label,
            "n_before": int(row.n_before),
            "n_now": int(row.n_now),
            "share_before": finite(row.share_before),
            "share_now": finite(row.share_now),
            "value_before": finite(row.value_before),
            "value_now": finite(row.value_now),
            "value_before_text": format_value(finite(row.value_before), unit, lang),
            "value_now_text": format_value(finite(row.value_now), unit, lang),
            "link": None
            if row.key is None
            else f"/?{filters.query(**{change.dimension: row.key}, explain=change.metric)}#explain",
        }
        if change.additive:
            entry.update(
                contribution=finite(row.contribution),
                mix=finite(row.mix),
                rate=finite(row.rate),
                contribution_text=format_change(finite(row.contribution), None, unit, lang),
                mix_text=format_change(finite(row.mix), None, unit, lang),
                rate_text=format_change(finite(row.rate), None, unit, lang),
            )
        else:
            entry["weight"] = finite(row.weight)
        rows.append(entry)
    return {
        "dimension": change.dimension,
        "heading": word(f"dimension_{change.dimension}", lang),
        "rows": rows,
        "rest": _rest(change, unit, lang),
        "lead": _lead(rows, change.additive, unit, lang),
    }


def _rest(change, unit: str, lang: str) -> dict[str, Any] | None:
    """The groups beyond the first ``SHOWN`` as one line, so that the shown parts add up
    to the whole change (for rates and NPS; durations have no parts to add)."""
    others = change.groups.iloc[SHOWN:]
    if others.empty:
        return None
    rest = {
        "groups": len(others),
        "n_before": int(others["n_before"].sum()),
        "n_now": int(others["n_now"].sum()),
        "label": word("explain_rest", lang, groups=len(others)),
    }
    if change.additive:
        contribution = finite(others["contribution"].sum())
        rest["contribution"] = contribution
        rest["contribution_text"] = format_change(contribution, None, unit, lang)
        rest["rate_text"] = format_change(finite(others["rate"].sum()), None, unit, lang)
        rest["mix_text"] = format_change(finite(others["mix"].sum()), None, unit, lang)
    return rest


def _lead(rows: list[dict], additive: bool, unit: str, lang: str) -> str:
    """One sentence naming the group that moved the figure most."""
    if not rows:
        return ""
    top = rows[0]
    if additive and top.get("contribution") is not None:
        return word(
            "explain_lead_rate",
            lang,
            group=top["label"],
            contribution=top["contribution_text"],
            rate=top["rate_text"],
            mix=top["mix_text"],
            before=top["value_before_text"],
            now=top["value_now_text"],
        )
    if top.get("weight") is None:
        return ""
    return word(
        "explain_lead_duration",
        lang,
        group=top["label"],
        before=top["value_before_text"],
        now=top["value_now_text"],
        n=top["n_now"],
    )


def _value(frame: pd.DataFrame, metric: str) -> float | None:
    rows = frame[frame["metric"] == metric]
    return finite(rows["value"].iloc[0]) if len(rows) else None


def _change_text(totals: list, unit: str, lang: str) -> str:
    now, before = totals
    if now is None or before is None:
        return ""
    relative = (now - before) / abs(before) if before else None
    return format_change(now - before, relative, unit, lang)
