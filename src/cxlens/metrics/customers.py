"""Customer KPIs: churn and retention rates, and historical lifetime value.

Churn is contractual where subscriptions are loaded, else non-contractual from
orders:

- contractual: a customer is active from their first subscription start and churns
  when their last subscription ends (no subscription left open); ends after the
  data's end do not count yet;
- non-contractual: a customer is active from their first order (cancelled orders
  ignored) and churns ``[churn] window_days`` after their last order, counted only
  when that day is not after the data's end.

For a period, churn rate = customers churned in it / customers active at its start
(customers who join and leave within one period count in neither). Without a grain
the period is all the data: customers ever active, and those churned by its end.
Retention rate is 1 − churn rate over the same customers.

A date window is the period: churn rate = customers churned within it / customers
active at its start (those who join inside it count in neither, as within a month), so a
window of one calendar month gives that month's figure. With a grain, the window only
limits the periods shown: a churn after the window's end is not counted (as one after
the data's end), and customers lost before its start leave the figure. Lifetime values cover
all the data whatever the window; a segment filter keeps that segment's customers.

Predicted lifetime value is the mean of every buyer's discounted value over
``[clv] horizon_months`` from the BG/NBD and Gamma-Gamma fits of ``cxlens clv``
(observation end: the last order day). The fit runs in numpy on the completed
purchases per customer and day, which any warehouse hands over; with too few repeat
buyers to fit, the KPI is null. Its interval reflects the spread of customers' values,
not the uncertainty of the fitted parameters.
"""

from __future__ import annotations

import logging

from cxlens.metrics import periods, rows

log = logging.getLogger(__name__)

FAMILY = {"churn_rate", "retention_rate", "clv_historical_mean", "clv_predicted_mean"}


def customer_rows(request, wanted: set[str]) -> list:
    """KPI rows of the customer family for the wanted ids the data supports."""
    out: list = []
    if wanted & {"churn_rate", "retention_rate"}:
        churn = _churn(request)
        if "churn_rate" in wanted:
            out.append(churn)
        if "retention_rate" in wanted:
            out.append(rows.complement(churn).assign(metric="retention_rate"))
    if "clv_historical_mean" in wanted:
        out.append(_clv(request))
    if "clv_predicted_mean" in wanted:
        out.append(_clv_predicted(request))
    return out


def _lifetimes(request):
    """One row per customer: when they became active and when they churned (or null)."""
    import ibis

    end = request.end_literal()
    if request.has("subscriptions.started_at_local"):
        s = request.table("subscriptions")
        s = s.filter(s.started_at_local.notnull())
        per = s.group_by("customer_id").aggregate(
            active_from=s.started_at_local.min(),
            still_open=s.ended_at_local.isnull().ifelse(1, 0).sum(),
            last_end=s.ended_at_local.max(),
        )
        lost = (per.still_open == 0) & (per.last_end <= end)
        return per.mutate(churned_at=ibis.ifelse(lost, per.last_end, ibis.null("timestamp")))
    o = _live_orders(request.table("orders"))
    o = o.filter(o.ordered_at_local.notnull())
    per = o.group_by("customer_id").aggregate(
        active_from=o.ordered_at_local.min(), last_order=o.ordered_at_local.max()
    )
    window = int((request.settings.churn or {}).get("window_days", 90))
    churn_day = per.last_order + ibis.interval(days=window)
    return per.mutate(churned_at=ibis.ifelse(churn_day <= end, churn_day, ibis.null("timestamp")))


def _live_orders(o):
    if "status" not in o.columns:
        return o
    return o.filter(o.status.fill_null("completed") != "cancelled")


def _with_segment(request, per):
    """``per`` with a ``g_segment`` column where segments are grouped or filtered, and the
    filter applied."""
    return request.narrow(_segment_column(request, per))


def _segment_column(request, per):
    import ibis

    if not request.uses("segment"):
        return per
    if not request.has("customers.segment"):
        return per.mutate(g_segment=ibis.null("string"))
    c = request.table("customers")
    segments = c.select(c_customer_id=c.customer_id, g_segment=c.segment.cast("string"))
    joined = per.left_join(segments, per.customer_id == segments.c_customer_id)
    return joined.drop("c_customer_id")


def _in_window(request, per):
    """Customers' lifetimes as the window sees them (see the module docstring)."""
    import ibis

    first, after = request.window_bounds()
    if after is not None:
        per = per.filter(per.active_from < after)
        churned = ibis.ifelse(per.churned_at < after, per.churned_at, ibis.null("timestamp"))
        per = per.mutate(churned_at=churned)
    if first is not None:
        per = per.filter(per.churned_at.isnull() | (per.churned_at >= first))
    return per


def churn_population(request):
    """The customers a churn figure over the request's window counts, one row each
    (``customer_id``, ``active_from``, ``churned_at``: null while retained), after the
    request's filters: the records behind the figure, for a drill-down.

    With a window, the window is the period: customers active at its start, as a month
    counts them (one who joined inside it is not yet at risk of leaving in it).
    """
    per = _with_segment(request, _in_window(request, _lifetimes(request)))
    first, _after = request.window_bounds()
    if first is not None:
        per = per.filter(per.active_from < first)
    return per


def _churn(request):
    groups = request.group_columns
    if request.grain is None:
        per = churn_population(request)
        frame = per.group_by(groups).aggregate(
            active=per.count(), lost=per.churned_at.notnull().ifelse(1, 0).sum()
        ) if groups else per.aggregate(
            active=per.count(), lost=per.churned_at.notnull().ifelse(1, 0).sum()
        )  # fmt: skip
        frame = request.finish(request.execute(frame))
        return rows.rate("churn_rate", frame, request.keys, "lost", "active")
    per = _with_segment(request, _in_window(request, _lifetimes(request)))
    return _churn_by_period(request, per)


def _churn_by_period(request, per):
    """Churn rate per grid period from counts of customers by (start period, churn period)."""
    import pandas as pd

    grain = request.grain
    per = per.mutate(
        start_p=periods.truncate(per.active_from, grain),
        churn_p=periods.truncate(per.churned_at, grain),
    )
    counts = per.group_by(["start_p", "churn_p", *request.group_columns]).aggregate(
        customers=per.count()
    )
    frame = request.finish(request.execute(counts), ("start_p", "churn_p"))

    keys = request.keys
    joined = frame.rename(columns={"start_p": "period"}).groupby(keys)["customers"].sum()
    churned = frame[frame["churn_p"].notna()]
    left = churned.rename(columns={"churn_p": "period"}).groupby(keys)["customers"].sum()
    brief = churned[churned["start_p"] == churned["churn_p"]]
    brief = brief.rename(columns={"churn_p": "period"}).groupby(keys)["customers"].sum()
    flows = pd.DataFrame({"joined": joined, "left": left, "brief": brief}).fillna(0)
    flows = rows.on_grid(flows.reset_index(), request, ["joined", "left", "brief"])

    before = flows[["joined", "left"]]
    if request.group_columns:
        before = flows.groupby(request.group_columns, sort=False)[["joined", "left"]]
    running = before.cumsum()
    flows["at_start"] = (running["joined"] - flows["joined"]) - (running["left"] - flows["left"])
    flows["lost"] = flows["left"] - flows["brief"]
    return rows.rate("churn_rate", flows, keys, "lost", "at_start")


def _clv(request):
    """Mean net revenue per customer: completed minus refunded, cancelled left out."""
    import ibis

    o = _live_orders(request.table("orders"))
    o = o.filter(o.amount.notnull() & o.customer_id.notnull())
    if "status" in o.columns:
        refunded = o.status.fill_null("completed") == "refunded"
        net = ibis.ifelse(refunded, -o.amount.abs(), o.amount)
    else:
        net = o.amount
    per = o.mutate(net=net).group_by("customer_id").aggregate(revenue=ibis._.net.sum())
    per = _with_segment(request, per)
    value = per.revenue
    measures = dict(clv_n=per.count(), clv_sum=value.sum(), clv_sumsq=(value * value).sum())
    groups = request.group_columns
    query = per.group_by(groups).aggregate(**measures) if groups else per.aggregate(**measures)
    frame = request.finish(request.execute(query), ())
    frame["period"] = periods.ALL
    return rows.mean("clv_historical_mean", frame, request.keys, "clv")


def _clv_predicted(request):
    """Mean discounted value per buyer over the horizon, from the fitted models."""
    import pandas as pd

    from cxlens.errors import ModelError
    from cxlens.models.lifetime import lifetime_values_from_purchases

    o = request.table("orders")
    o = o.filter(o.customer_id.notnull() & o.ordered_at_local.notnull())
    until = request.execute(o.aggregate(last=o.ordered_at_local.max()))["last"].iloc[0]
    done = o.filter(o.status.fill_null("completed") == "completed") if "status" in o.columns else o
    day = done.ordered_at_local.cast("date").cast("timestamp")
    daily = done.group_by(customer_id=done.customer_id, ordered_at_local=day).aggregate(
        amount=done.amount.sum().cast("float64")
    )
    purchases = request.execute(daily)
    try:
        values = lifetime_values_from_purchases(purchases, request.settings, until.date())
    except ModelError as error:
        log.warning("clv_predicted_mean left null: %s", error)
        return pd.DataFrame()

    per = values.customers[["customer_id", "clv"]]
    if request.uses("segment"):
        per = per.merge(_segments(request), on="customer_id", how="left")
    if "segment" in request.filters:
        per = per[per["g_segment"].isin(request.filters["segment"])]
    per = per.assign(clv_sq=per["clv"] ** 2, one=0)
    groups = request.group_columns or ["one"]
    frame = per.groupby(groups, dropna=False).agg(
        clv_n=("clv", "count"), clv_sum=("clv", "sum"), clv_sumsq=("clv_sq", "sum")
    )
    frame = request.finish(frame.reset_index().drop(columns="one", errors="ignore"), ())
    frame["period"] = periods.ALL
    return rows.mean("clv_predicted_mean", frame, request.keys, "clv")


def _segments(request):
    """customer_id and g_segment (null where the customer has none) as a pandas frame."""
    import pandas as pd

    if not request.has("customers.segment"):
        return pd.DataFrame(
            {"customer_id": pd.Series(dtype=str), "g_segment": pd.Series(dtype=str)}
        )
    c = request.table("customers")
    return request.execute(
        c.select(customer_id=c.customer_id.cast("string"), g_segment=c.segment.cast("string"))
    )
