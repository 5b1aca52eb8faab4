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
"""

from __future__ import annotations

from cxlens.metrics import periods, rows

FAMILY = {"churn_rate", "retention_rate", "clv_historical_mean"}


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
    """``per`` with a ``g_segment`` column where segments were asked for."""
    import ibis

    if "segment" not in request.dimensions:
        return per
    if not request.has("customers.segment"):
        return per.mutate(g_segment=ibis.null("string"))
    c = request.table("customers")
    segments = c.select(c_customer_id=c.customer_id, g_segment=c.segment.cast("string"))
    joined = per.left_join(segments, per.customer_id == segments.c_customer_id)
    return joined.drop("c_customer_id")


def _churn(request):
    per = _with_segment(request, _lifetimes(request))
    groups = request.group_columns
    if request.grain is None:
        frame = per.group_by(groups).aggregate(
            active=per.count(), lost=per.churned_at.notnull().ifelse(1, 0).sum()
        ) if groups else per.aggregate(
            active=per.count(), lost=per.churned_at.notnull().ifelse(1, 0).sum()
        )  # fmt: skip
        frame = request.finish(request.execute(frame))
        return rows.rate("churn_rate", frame, request.keys, "lost", "active")
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
