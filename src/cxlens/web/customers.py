"""The customer page (``/customers``): who is likely to leave, what they are worth, and why.

The list comes from the same models as the report's predictions: the churn model's
calibrated P(churn within ``[churn] window_days``) with its reasons, and each customer's
value on the churn model's basis (subscription revenue kept over the horizon where churn
is contractual, else the BG/NBD × Gamma-Gamma lifetime value). Fitting them takes
seconds, so it runs once per warehouse version (``Access.cached``), reasons in both
languages at once; a filter, a sort or a page only re-reads the cached frame.

Expected loss is risk × value: what leaving would cost, the default order. The filter
bar's segment narrows the list; its period sets the churn cards' window and the tickets
counted per customer. ``metric=churn_rate`` (or ``retention_rate``) lists instead the
customers behind the churn figure: everyone active at the window's start, with who was
lost in it, the same population the KPI counts (``cxlens.metrics.customers``), so the
rows number the KPI's n.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request

from cxlens.errors import ModelError, WarehouseError
from cxlens.insights.catalogue import view as kpi_view
from cxlens.insights.formatting import format_interval, format_value
from cxlens.insights.labels import kpi_name
from cxlens.models.plain import finite
from cxlens.store import table_columns
from cxlens.web.access import Access
from cxlens.web.filters import FilterError, Filters
from cxlens.web.pages import access_of, page_filters, respond
from cxlens.web.words import word

log = logging.getLogger(__name__)

router = APIRouter()

SORTS = ("loss", "risk", "value")
BANDS = ("high", "medium", "low")
DRILLS = ("churn_rate", "retention_rate")
CARD_METRICS = ("churn_rate", "retention_rate", "clv_historical_mean", "clv_predicted_mean")
# Only the customer's segment narrows customer figures (the catalogue's dimensions).
CUSTOMER_FILTERS = ("segment",)
PAGE_ROWS = 50
LANGUAGES = ("en", "zh")
# The list's columns: (key, word key, kind); kinds tell the template how to show a cell.
LIST_COLUMNS = (
    ("customer_id", "cust_col_customer", "text"),
    ("name", "cust_col_name", "text"),
    ("segment", "dimension_segment", "text"),
    ("plan", "cust_col_plan", "text"),
    ("p_churn", "cust_col_risk", "rate"),
    ("risk_band", "cust_col_band", "band"),
    ("value", "cust_col_value", "money"),
    ("loss", "cust_col_loss", "money"),
    ("reasons", "cust_col_reasons", "text"),
    ("last_order", "cust_col_last_order", "text"),
    ("tickets", "cust_col_tickets", "count"),
)
CHURN_COLUMNS = (
    ("customer_id", "cust_col_customer", "text"),
    ("name", "cust_col_name", "text"),
    ("segment", "dimension_segment", "text"),
    ("active_from", "cust_col_active_from", "text"),
    ("churned_on", "cust_col_churned_on", "text"),
    ("lost", "cust_col_lost", "flag"),
)


@dataclass(frozen=True)
class ListChoice:
    """What the page adds to the filter bar: order, risk bands, page, drill-down."""

    sort: str = "loss"
    bands: tuple[str, ...] = ()
    page: int = 1
    metric: str | None = None

    def params(self, **changes: Any) -> dict[str, Any]:
        """The choice as query parameters (for links), with ``changes`` applied."""
        chosen = replace(self, **changes)
        return {
            "sort": chosen.sort,
            "band": list(chosen.bands) or None,
            "page": chosen.page,
            "metric": chosen.metric,
        }


def read_choice(params: Any) -> ListChoice:
    """The page's own query parameters; a FilterError names a value it cannot read."""
    metric = params.get("metric") or None
    if metric is not None and metric not in CARD_METRICS:
        raise FilterError(f"metric must be one of {', '.join(CARD_METRICS)}, not {metric!r}")
    sort = params.get("sort") or ("value" if metric and metric.startswith("clv") else "loss")
    if sort not in SORTS:
        raise FilterError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    bands = tuple(dict.fromkeys(b for b in params.getlist("band") if b))
    if any(band not in BANDS for band in bands):
        raise FilterError(f"band must be any of {', '.join(BANDS)}, not {list(bands)!r}")
    page = params.get("page") or "1"
    if not page.isdigit() or int(page) < 1:
        raise FilterError(f"page must be a whole number from 1, not {page!r}")
    return ListChoice(sort, bands, int(page), metric)


@router.get("/customers", summary="Customer page (HTML; ?format=json for its data)")
def customers_page(request: Request):
    filters = page_filters(request)
    choice = read_choice(request.query_params)
    access = access_of(request)
    whole = request.query_params.get("format") in ("csv", "xlsx")
    view = customers_view(access, filters, choice, whole=whole)
    return respond(request, "customers.html", view, filters, table="table", name="customers")


def customers_view(
    access: Access, filters: Filters, choice: ListChoice, *, whole: bool = False
) -> dict[str, Any]:
    """The page as plain JSON-ready values; ``whole`` puts every row in the table, not a page."""
    lang = filters.lang
    kept = _customer_filters(filters)
    cards = _cards(access, filters)
    predictions = access.cached(("customer-predictions",), lambda: _predictions(access))
    view: dict[str, Any] = {
        "page": "customers",
        "title": word("customers_heading", lang),
        "covering": filters.covering(),
        "cards": cards,
        "ignored_filters": [d for d in filters.chosen if d not in kept],
        "validation": _validation_line(predictions["validation"], lang),
        "model_check": _model_check(predictions["validation"]),
        "missing": predictions["missing"].get(lang),
        "value_note": predictions["value_note"],
        "sort": choice.sort,
        "bands": list(choice.bands),
        "metric": choice.metric,
    }
    if choice.metric in DRILLS:
        frame = access.cached(
            ("churn-population", filters.key()), lambda: _churned(access, filters)
        )
        columns = CHURN_COLUMNS
    else:
        listed = access.cached(("customer-list", filters.key()), lambda: _listed(access, filters))
        frame = _chosen(listed, filters, choice, lang)
        columns = LIST_COLUMNS
    return {**view, **_paged(frame, columns, filters, choice, whole, lang)}


def _customer_filters(filters: Filters) -> dict[str, list[str]]:
    return {d: v for d, v in filters.chosen.items() if d in CUSTOMER_FILTERS}


def _cards(access: Access, filters: Filters) -> list[dict[str, Any]]:
    """Churn, retention and lifetime-value KPIs in the window, for the segments chosen.

    The lifetime values cover all the data whatever the window, so they are computed
    (a model fit) once per segment choice, not once per period.
    """
    lang = filters.lang
    kept = _customer_filters(filters)
    segments = tuple(kept.get("segment", ()))
    churn = access.cached(
        ("customer-churn-kpis", filters.window, segments),
        lambda: _kpis(access, CARD_METRICS[:2], kept, filters.window),
    )
    value = access.cached(
        ("customer-value-kpis", segments), lambda: _kpis(access, CARD_METRICS[2:], kept, None)
    )
    kpis = pd.concat([churn, value], ignore_index=True)
    cards = []
    for metric, value, n, low, high in zip(
        kpis["metric"], kpis["value"], kpis["n"], kpis["ci_low"], kpis["ci_high"], strict=True
    ):
        unit = kpi_view(metric).unit
        cards.append(
            {
                "metric": metric,
                "name": kpi_name(metric, lang),
                "value": finite(value),
                "value_text": format_value(finite(value), unit, lang),
                "n": None if finite(n) is None else int(n),
                "ci_low": finite(low),
                "ci_high": finite(high),
                "interval_text": format_interval(finite(low), finite(high), unit, lang),
                "link": f"/customers?{filters.query(metric=metric)}",
            }
        )
    return cards


def _kpis(access: Access, metrics: tuple[str, ...], kept: dict, window: Any) -> pd.DataFrame:
    from cxlens.metrics.compute import kpi_session

    with access.lock, kpi_session(access.warehouse, access.settings) as compute:
        return compute((), list(metrics), filters=kept, window=window)


def _predictions(access: Access) -> dict[str, Any]:
    """Risk, band, value and reasons (both languages) of every customer the model scores.

    ``missing`` holds, per language, why there is no list (the model's own words, as the
    report gives them); ``value_note`` why customers have no value, where that is so.
    """
    from cxlens.models.churn import predict_churn
    from cxlens.report.predictions import Predictions

    found = Predictions(currency=access.settings.currency)
    empty = {"scored": None, "validation": None, "missing": {}, "value_note": None}
    with access.lock, access.warehouse.connect(read_only=True) as con:
        try:
            churn = predict_churn(con, access.settings)
        except (WarehouseError, ModelError) as error:
            kind = "data" if isinstance(error, WarehouseError) else "model"
            found.note_missing("churn", kind, error)
            return {**empty, "missing": {lang: found.reason("churn", lang) for lang in LANGUAGES}}
        scored = _with_reasons(con, access.settings, churn)
        values, value_note = _values(con, access.settings, churn)
    scored = scored.merge(values, on="customer_id", how="left")
    return {
        "scored": scored,
        "validation": churn.to_json(),
        "missing": {},
        "value_note": value_note,
    }


def _with_reasons(con: Any, settings: Any, churn: Any) -> pd.DataFrame:
    """customer_id, p_churn, risk_band and the reasons joined, in each language."""
    from cxlens.models.features import customer_features

    customers = churn.customers
    scored = customers[["customer_id", "p_churn", "risk_band"]].copy()
    given = settings.language if settings.language in LANGUAGES else "en"
    scored[f"reasons_{given}"] = _joined(customers.set_index("customer_id")).to_numpy()
    other = "zh" if given == "en" else "en"
    if customers.empty:
        scored[f"reasons_{other}"] = pd.Series(dtype=object)
        return scored
    features = customer_features(con, settings, churn.validation["as_of"]["scored"])
    reasons = churn.model.reasons(features.loc[customers["customer_id"]], other)
    scored[f"reasons_{other}"] = _joined(reasons).to_numpy()
    return scored


def _joined(reasons: pd.DataFrame) -> pd.Series:
    """reason_1..3 in one text ("; "), empty where the model gave none."""
    columns = [c for c in reasons.columns if c.startswith("reason_")]
    parts = reasons[columns].astype(object).where(reasons[columns].notna(), "")
    return parts.astype(str).agg("; ".join, axis=1).str.replace(r"(; )+$|^(; )+", "", regex=True)


def _values(con: Any, settings: Any, churn: Any) -> tuple[pd.DataFrame, str | None]:
    """Each scored customer's value on the churn model's basis (see the module docstring)."""
    from cxlens.actions.retention import subscription_values
    from cxlens.models.lifetime import customer_lifetime_values

    end = churn.validation["as_of"]["scored"]
    try:
        if churn.validation.get("kind") == "contractual":
            return subscription_values(con, settings, end), None
        lifetime = customer_lifetime_values(con, settings, until=end)
    except (WarehouseError, ModelError) as error:
        log.warning("customer page: no values (%s)", error)
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "value": []}), str(error)
    return lifetime.customers[["customer_id", "clv"]].rename(columns={"clv": "value"}), None


def _listed(access: Access, filters: Filters) -> pd.DataFrame:
    """The scored customers with name, segment, plan, last order and tickets in the period."""
    predictions = access.cached(("customer-predictions",), lambda: _predictions(access))
    scored = predictions["scored"]
    if scored is None:
        return pd.DataFrame(
            columns=[key for key, _, _ in LIST_COLUMNS] + ["reasons_en", "reasons_zh"]
        )
    first, after = filters.bounds()
    with access.reading() as con:
        con.register("scored", scored)
        try:
            return con.execute(_list_sql(con), {"first": first, "after": after}).df()
        finally:
            con.unregister("scored")


def _list_sql(con: Any) -> str:
    """The list's query; a table or column the warehouse lacks gives nulls (or 0 tickets)."""
    customers = {"name", "segment"} <= table_columns(con, "customers")
    plans = {"plan", "started_at_local"} <= table_columns(con, "subscriptions")
    orders = "ordered_at_local" in table_columns(con, "orders")
    live = "coalesce(status, 'completed') <> 'cancelled'" if "status" in table_columns(
        con, "orders"
    ) else "true"  # fmt: skip
    tickets = "created_at_local" in table_columns(con, "tickets")
    merged = "NOT coalesce(is_merged, false)" if "is_merged" in table_columns(
        con, "tickets"
    ) else "true"  # fmt: skip
    joins = [
        ("c", "SELECT customer_id, any_value(name) AS name, any_value(segment) AS segment "
              "FROM customers GROUP BY 1", customers),
        ("p", "SELECT customer_id, arg_max(plan, started_at_local) AS plan FROM subscriptions "
              "GROUP BY 1", plans),
        ("o", "SELECT customer_id, strftime(max(ordered_at_local), '%Y-%m-%d') AS last_order "
              f"FROM orders WHERE {live} GROUP BY 1", orders),
        ("t", "SELECT customer_id, count(*) AS tickets FROM tickets WHERE created_at_local >= "
              f"$first AND created_at_local < $after AND {merged} GROUP BY 1", tickets),
    ]  # fmt: skip
    present = {alias for alias, _, there in joins if there}
    text = " ".join(
        f"LEFT JOIN ({sql}) {alias} ON CAST({alias}.customer_id AS VARCHAR) = s.customer_id"
        for alias, sql, there in joins
        if there
    )
    column = lambda alias, name: f"{alias}.{name}" if alias in present else f"NULL AS {name}"  # noqa: E731
    return (
        f"SELECT s.customer_id, {column('c', 'name')}, {column('c', 'segment')}, "
        f"{column('p', 'plan')}, s.p_churn, s.risk_band, s.value, s.p_churn * s.value AS loss, "
        f"s.reasons_en, s.reasons_zh, {column('o', 'last_order')}, "
        f"{'coalesce(t.tickets, 0)' if 't' in present else '0'} AS tickets "
        f"FROM scored s {text}"
    )


def _chosen(listed: pd.DataFrame, filters: Filters, choice: ListChoice, lang: str) -> pd.DataFrame:
    """The list narrowed to the segments and bands chosen, in the order chosen."""
    rows = listed
    segments = filters.chosen.get("segment")
    if segments:
        rows = rows[rows["segment"].isin(segments)]
    if choice.bands:
        rows = rows[rows["risk_band"].isin(choice.bands)]
    key = {"loss": "loss", "risk": "p_churn", "value": "value"}[choice.sort]
    rows = rows.sort_values(
        [key, "customer_id"], ascending=[False, True], na_position="last", kind="stable"
    )
    return rows.assign(reasons=rows[f"reasons_{lang}"])


def _churned(access: Access, filters: Filters) -> pd.DataFrame:
    """The customers the churn KPI counts in the window: active at its start, and lost in it.

    Built by the KPI's own expressions (``cxlens.metrics.customers``) on one request with
    the window and the segment filter, so the rows are the KPI's n by construction.
    """
    from cxlens.metrics import customers as customer_kpis
    from cxlens.metrics.request import Request, profile

    columns = [key for key, _, _ in CHURN_COLUMNS]
    with access.lock, access.warehouse.metrics() as backend:
        request = Request(backend, access.settings, None, [])
        profile(request)
        if request.end is None or not (
            request.has("subscriptions.started_at_local") or request.has("orders.ordered_at_local")
        ):
            return pd.DataFrame(columns=columns)
        kept = {d: tuple(v) for d, v in _customer_filters(filters).items()}
        request = replace(request, filters=kept, window=filters.window)
        per = customer_kpis.churn_population(request)
        frame = request.execute(per.select("customer_id", "active_from", "churned_at"))
    return _named(access, frame)[columns]


def _named(access: Access, frame: pd.DataFrame) -> pd.DataFrame:
    """The churn population with names and segments, lost customers first."""
    frame = frame.assign(
        customer_id=frame["customer_id"].astype(str),
        active_from=pd.to_datetime(frame["active_from"]).dt.strftime("%Y-%m-%d"),
        churned_on=pd.to_datetime(frame["churned_at"]).dt.strftime("%Y-%m-%d"),
        lost=frame["churned_at"].notna(),
    )
    with access.reading() as con:
        if {"name", "segment"} <= table_columns(con, "customers"):
            people = con.execute(
                "SELECT CAST(customer_id AS VARCHAR) AS customer_id, any_value(name) AS name, "
                "any_value(segment) AS segment FROM customers GROUP BY 1"
            ).df()
        else:
            people = pd.DataFrame({"customer_id": [], "name": [], "segment": []}, dtype=object)
    frame = frame.merge(people, on="customer_id", how="left")
    return frame.sort_values(
        ["lost", "churned_on", "customer_id"], ascending=[False, True, True], kind="stable"
    )


def _paged(
    frame: pd.DataFrame,
    columns: tuple,
    filters: Filters,
    choice: ListChoice,
    whole: bool,
    lang: str,
) -> dict[str, Any]:
    """The table (one page, or every row for an export) and the links around it."""
    total = len(frame)
    pages = max(1, math.ceil(total / PAGE_ROWS))
    page = min(choice.page, pages)
    shown = frame if whole else frame.iloc[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    keys = [key for key, _, _ in columns]
    cells = shown[keys].astype(object).where(shown[keys].notna(), None)

    def link(**changes: Any) -> str:
        return f"/customers?{filters.query(**choice.params(**changes))}"

    return {
        "total": total,
        "page_number": page,
        "pages": pages,
        "kinds": [kind for _, _, kind in columns],
        "keys": keys,
        "table": {
            "columns": [word(title, lang) for _, title, _ in columns],
            "rows": cells.to_numpy().tolist(),
        },
        "previous_link": link(page=page - 1) if page > 1 else None,
        "next_link": link(page=page + 1) if page < pages else None,
        "sort_links": {sort: link(sort=sort, page=1) for sort in SORTS},
        "band_links": {band: link(bands=(band,), page=1) for band in BANDS},
        "all_bands_link": link(bands=(), page=1),
        "list_link": link(metric=None, page=1),
        "keep": [
            (name, str(value)) for name, value in _flat(choice.params(page=1)) if name != "page"
        ],
    }


def _flat(params: dict[str, Any]) -> list[tuple[str, Any]]:
    flat = []
    for name, value in params.items():
        if value is None:
            continue
        flat += [(name, v) for v in (value if isinstance(value, list) else [value])]
    return flat


def _validation_line(validation: dict | None, lang: str) -> str | None:
    """How well the model ranked customers it had not seen: ROC AUC with its spread."""
    if not validation:
        return None
    auc = validation["metrics"]["roc_auc"]
    n = validation["n"]["validation"]
    if validation["method"] == "time_split":
        return word(
            "cust_validation_time_split", lang, auc=f"{auc['value']:.2f}", low=f"{auc['low']:.2f}",
            high=f"{auc['high']:.2f}", n=f"{n:,}", since=str(validation["as_of"]["validation_features"]),
        )  # fmt: skip
    return word(
        "cust_validation_folds", lang, auc=f"{auc['value']:.2f}", sd=f"{auc['sd']:.2f}",
        low=f"{auc['min']:.2f}", high=f"{auc['max']:.2f}", folds=validation["folds"], n=f"{n:,}",
    )  # fmt: skip


def _model_check(validation: dict | None) -> dict[str, Any] | None:
    """The validation's method, size, ROC AUC (with its spread) and leakage warnings."""
    if not validation:
        return None
    return {
        "method": validation["method"],
        "n": validation["n"]["validation"],
        "roc_auc": validation["metrics"]["roc_auc"],
        "warnings": validation.get("warnings", []),
    }
