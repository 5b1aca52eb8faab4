"""The short plain-text KPI summary that ``cxlens run`` prints when it is done."""

from __future__ import annotations

from typing import Any

from cxlens.errors import WarehouseError
from cxlens.insights.assemble import Insights, build_insights
from cxlens.insights.formatting import display_width
from cxlens.insights.labels import check_language, label

NAME_WIDTH = 34
VALUE_WIDTH = 14
N_WIDTH = 12


def kpi_summary(warehouse: Any, settings: Any, month: str | None = None) -> str:
    """The report month and each headline KPI with its value, n and changes, as text.

    ``month`` (``YYYY-MM``) as for the report; by default the latest complete month.
    A warehouse with nothing to report gives one explanatory line, not an error,
    since the summary closes a run that has already told the user what it imported.
    """
    lang = check_language(settings.language)
    try:
        insights = build_insights(warehouse, settings, month, breakdowns=False)
    except WarehouseError:
        return label("summary_empty", lang)
    return summary_text(insights)


def summary_text(insights: Insights) -> str:
    """The summary of already assembled insights (one line per headline KPI)."""
    lang = insights.lang
    header = label(
        "summary_header",
        lang,
        month=insights.month,
        previous=insights.previous_month,
        year_ago=insights.year_ago_month,
    )
    lines = [header]
    if insights.partial:
        lines.append(label("partial_month_note", lang))
    lines.extend(_card_line(card) for card in insights.cards)
    return "\n".join(lines)


def _card_line(card: Any) -> str:
    lang = card.lang
    changes = "   ".join(
        f"{label(key, lang)} {card.change_text(change)} ({card.verdict_text(change)})"
        for key, change in (("vs_previous", card.previous), ("vs_year_ago", card.year_ago))
    )
    return (
        f"  {_pad(card.name, NAME_WIDTH)}{_pad(card.value_text, VALUE_WIDTH)}"
        f"{_pad('n=' + card.n_text, N_WIDTH)}{changes}"
    )


def _pad(text: str, width: int) -> str:
    """Pad to ``width`` terminal columns, counting CJK characters as two."""
    return text + " " * max(1, width - display_width(text))
