"""The dashboard's one filter bar: a period and dimension values, kept in the URL.

Every page and every JSON twin reads the same query parameters, so a link (or a
bookmark, or an export) says exactly which figures it holds:

    period = month | 30d | 90d | 365d | all | custom    (default: month)
    month  = YYYY-MM         (period=month; default: the latest complete month)
    from, to = YYYY-MM-DD    (period=custom; both days included)
    channel, category, team, agent, segment = value     (repeat for several)
    lang   = zh | en

Rolling periods end on the data's last day, not today's date: the warehouse holds
exports, and "the last 30 days" of an export taken in March means March.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from cxlens.errors import ConfigError

DIMENSIONS = ("channel", "category", "team", "agent", "segment")
PERIODS = ("month", "30d", "90d", "365d", "all", "custom")
ROLLING_DAYS = {"30d": 30, "90d": 90, "365d": 365}
MAX_VALUES = 50  # values one dimension may list
MAX_VALUE_LENGTH = 200


class FilterError(ConfigError):
    """A query parameter the filter bar cannot read; the message says which and why."""


@dataclass(frozen=True)
class Filters:
    """What the filter bar holds: a period, its days, and the chosen dimension values."""

    period: str = "month"
    first: date | None = None
    last: date | None = None
    month: str | None = None
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lang: str = "en"

    @property
    def window(self) -> tuple[date | None, date | None] | None:
        """The days the figures cover (both included), or None for all the data."""
        if self.first is None and self.last is None:
            return None
        return (self.first, self.last)

    def bounds(self) -> tuple[datetime, datetime]:
        """The window as local instants: the first day's midnight (included) and the
        midnight after the last day (excluded); an open end reaches past any record."""
        start = datetime.combine(self.first, time()) if self.first else datetime(1, 1, 1)
        after = (
            datetime.combine(self.last + timedelta(days=1), time())
            if self.last
            else datetime(9999, 1, 1)
        )
        return start, after

    def covering(self) -> str:
        """ "Figures cover 2025-06-01 to 2025-06-30" in the filter's language."""
        from cxlens.web.words import word

        if self.first is None and self.last is None:
            return word("covering_all", self.lang)
        first = self.first.isoformat() if self.first else "…"
        last = self.last.isoformat() if self.last else "…"
        return word("covering", self.lang, first=first, last=last)

    @property
    def chosen(self) -> dict[str, list[str]]:
        """The dimension filters as ``compute_kpis(filters=...)`` takes them."""
        return {dimension: list(values) for dimension, values in self.values.items() if values}

    def previous(self) -> Filters | None:
        """The same filters over the period before, for "change since" (None for all data)."""
        if self.first is None or self.last is None:
            return None
        if self.period == "month":
            before = self.first - timedelta(days=1)
            return replace(self, **_month_bounds(before), month=f"{before:%Y-%m}")
        length = (self.last - self.first).days + 1
        return replace(
            self, first=self.first - timedelta(days=length), last=self.first - timedelta(days=1)
        )

    def key(self) -> tuple:
        """A hashable identity, for caching answers."""
        values = tuple(sorted((k, tuple(sorted(v))) for k, v in self.values.items()))
        return (self.period, self.first, self.last, values, self.lang)

    def query(self, **changes: Any) -> str:
        """This filter's URL query string, with ``changes`` applied (None removes a key)."""
        params: list[tuple[str, str]] = [("period", self.period)]
        if self.period == "month" and self.month:
            params.append(("month", self.month))
        if self.period == "custom":
            params += [("from", f"{self.first}"), ("to", f"{self.last}")]
        for dimension in DIMENSIONS:
            params += [(dimension, value) for value in self.values.get(dimension, ())]
        params.append(("lang", self.lang))
        for name, value in changes.items():
            params = [(k, v) for k, v in params if k != name]
            if value is None:
                continue
            items = value if isinstance(value, list | tuple) else [value]
            params += [(name, str(v)) for v in items]
        return urlencode(params)

    def describe(self) -> dict[str, Any]:
        """The filters as plain JSON (each page's JSON twin carries it)."""
        return {
            "period": self.period,
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
            **{dimension: list(self.values.get(dimension, ())) for dimension in DIMENSIONS},
            "lang": self.lang,
        }


def read_filters(
    params: Any, data_end: date | None, default_month: str | None, default_lang: str
) -> Filters:
    """Filters from a request's query parameters (a Starlette ``QueryParams``).

    ``data_end`` is the data's last local day and ``default_month`` the month the
    report would show; both come from the warehouse. Raises ``FilterError``.
    """
    lang = params.get("lang") or default_lang
    if lang not in ("zh", "en"):
        raise FilterError(f"lang must be zh or en, not {lang!r}")
    values = {dimension: _values(params, dimension) for dimension in DIMENSIONS}
    values = {dimension: chosen for dimension, chosen in values.items() if chosen}
    period = params.get("period") or "month"
    if period not in PERIODS:
        raise FilterError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")

    if period == "month":
        month = params.get("month") or default_month
        if month is None:
            return Filters("all", values=values, lang=lang)
        bounds = _month_bounds(_month_start(month))
        return Filters("month", month=month, values=values, lang=lang, **bounds)
    if period == "all":
        return Filters("all", values=values, lang=lang)
    if period == "custom":
        first, last = _day(params, "from"), _day(params, "to")
        if first is not None and last is not None and first > last:
            raise FilterError(f"from ({first}) is after to ({last}); swap them")
        return Filters("custom", first=first, last=last, values=values, lang=lang)
    end = data_end or date.today()
    days = ROLLING_DAYS[period]
    return Filters(period, first=end - timedelta(days=days - 1), last=end, values=values, lang=lang)


def _values(params: Any, dimension: str) -> tuple[str, ...]:
    chosen = [value for value in params.getlist(dimension) if value != ""]
    if len(chosen) > MAX_VALUES:
        raise FilterError(f"{dimension}: at most {MAX_VALUES} values, not {len(chosen)}")
    if any(len(value) > MAX_VALUE_LENGTH for value in chosen):
        raise FilterError(f"{dimension}: a value longer than {MAX_VALUE_LENGTH} characters")
    return tuple(dict.fromkeys(chosen))


def _day(params: Any, name: str) -> date | None:
    text = params.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{name} must be a day as YYYY-MM-DD, not {text!r}") from None


def _month_start(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise FilterError(f"month must be YYYY-MM, not {text!r}") from None


def _month_bounds(day: date) -> dict[str, date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return {"first": day.replace(day=1), "last": day.replace(day=last)}
