"""Where the sample's tickets come from and who handles them.

Most tickets follow an order: "where is my parcel" a few days after buying, an
installation appointment, a defect weeks later, a refund after a return. So the
promotion peaks in orders come back a few days later as peaks in tickets. The rest are
account and billing questions from existing customers on ordinary office days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import timeline
from cxlens.sample.people import ON_LEAVE_IN_STAFFING_MONTH, TEAMS

CATEGORIES = ("delivery", "installation", "defect", "refund", "billing", "account")
CHANNELS = (
    "email", "phone", "chat", "wechat", "weibo", "help_center", "api", "manual",
    "feedback_widget",
)  # fmt: skip
PRIORITIES = ("low", "normal", "high", "urgent")
N_BACKGROUND_TICKETS = 9_500

# Share of categories among tickets that follow an order, and the delay in days.
ORDER_CATEGORY_SHARES = (0.42, 0.27, 0.17, 0.06, 0.08, 0.0)
BACKGROUND_CATEGORY_SHARES = (0.14, 0.02, 0.10, 0.04, 0.25, 0.45)
# Channels for ordinary questions; product problems come more often by phone.
CHANNEL_SHARES = {
    "question": (0.17, 0.15, 0.26, 0.23, 0.02, 0.08, 0.03, 0.03, 0.03),
    "product": (0.14, 0.29, 0.17, 0.23, 0.02, 0.07, 0.02, 0.04, 0.02),
}


def make_tickets(
    customers: pd.DataFrame, orders: pd.DataFrame, agents: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """One row per ticket: origin, channel, priority, team and agent (times come later)."""
    tickets = pd.concat(
        [_order_tickets(orders, rng), _background_tickets(customers, rng)], ignore_index=True
    )
    tickets = tickets[tickets["created"] < timeline.EXPORT_AT]
    tickets = tickets.sort_values(["created", "customer"], kind="stable", ignore_index=True)
    tickets["ticket_id"] = (100_001 + np.arange(len(tickets))).astype(str)

    tickets["segment"] = _lookup(customers["segment"], tickets["customer"], "consumer")
    tickets["english"] = _lookup(customers["english"], tickets["customer"], False).astype(bool)
    tickets["mood"] = _lookup(customers["mood"], tickets["customer"], 0.0).astype(float)
    tickets["channel"] = _channels(tickets, rng)
    tickets["created_by"] = np.select(
        [tickets["channel"] == "manual", tickets["channel"] == "api"],
        ["agent", "system"],
        "customer",
    )
    tickets["priority"] = _priorities(tickets, rng)
    tickets["team"] = _teams(tickets)
    _assign_agents(tickets, agents, rng)
    return tickets


def _lookup(values: pd.Series, rows: pd.Series, missing) -> np.ndarray:
    """``values`` at customer row numbers; ``missing`` for anonymous tickets (row -1)."""
    index = rows.to_numpy()
    picked = values.to_numpy(dtype=object)[np.maximum(index, 0)]
    return np.where(index >= 0, picked, missing)


def _order_tickets(orders: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Tickets caused by orders, a few days to weeks after each one."""
    ordered_at = orders["ordered_at"].to_numpy()
    in_promotion = timeline.promotion_lift()[ordered_at // timeline.DAY] > 1.5
    status = orders["status"].to_numpy()
    per_order = rng.poisson(np.where(in_promotion, 1.15, 0.95) * (status != "cancelled"))
    refund = (status == "refunded") | ((status == "cancelled") & (rng.random(status.size) < 0.5))

    source = np.r_[np.repeat(np.arange(len(orders)), per_order), np.flatnonzero(refund)]
    category = np.r_[
        _pick(rng, CATEGORIES, ORDER_CATEGORY_SHARES, per_order.sum()),
        np.full(refund.sum(), "refund"),
    ]
    delay = _delay_days(category, in_promotion[source], rng)
    created = _office_time(ordered_at[source] + (delay * timeline.DAY).astype(np.int64), rng)
    customer = orders["customer"].to_numpy()[source]
    return pd.DataFrame({"customer": customer, "created": created, "category": category})


def _delay_days(category: np.ndarray, in_promotion: np.ndarray, rng) -> np.ndarray:
    """Days from the order to the ticket; parcels bought in a promotion arrive late."""
    n = category.size
    delivery = rng.gamma(2.0, 1.2, n) + in_promotion * rng.gamma(2.0, 1.5, n)
    return np.select(
        [
            category == "delivery",
            category == "installation",
            category == "defect",
            category == "refund",
        ],
        [delivery, 2 + rng.gamma(2.0, 1.5, n), 3 + rng.exponential(40, n), rng.exponential(6, n)],
        rng.exponential(8, n),
    )


def _background_tickets(customers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Account and billing questions from customers registered before the sample starts."""
    n = N_BACKGROUND_TICKETS
    weights = timeline.ticket_day_weights()
    day = rng.choice(timeline.N_DAYS, n, p=weights / weights.sum())
    created = _office_time(day * timeline.DAY, rng, shift_weekends=False)
    existing = np.flatnonzero(customers["existing"].to_numpy())
    customer = rng.choice(existing, n)
    customer = np.where(rng.random(n) < 0.04, -1, customer)  # visitors who never logged in
    category = _pick(rng, CATEGORIES, BACKGROUND_CATEGORY_SHARES, n)
    return pd.DataFrame({"customer": customer, "created": created, "category": category})


def _office_time(
    moment: np.ndarray, rng: np.random.Generator, shift_weekends: bool = True
) -> np.ndarray:
    """Keep the day of each moment, draw the hour from office habits.

    Many customers who hit a problem at the weekend wait until Monday to write.
    """
    day = moment // timeline.DAY
    if shift_weekends:
        weekday = timeline.weekday(day)
        waits = (weekday >= 5) & (rng.random(day.size) < 0.45)
        day = np.where(waits, day + 7 - weekday, day)
    hours = timeline.hour_weights("ticket")
    hour = rng.choice(24, day.size, p=hours / hours.sum())
    return day * timeline.DAY + hour * timeline.HOUR + rng.integers(0, timeline.HOUR, day.size)


def _pick(rng: np.random.Generator, labels, shares, n: int) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    return rng.choice(np.array(labels), n, p=shares / shares.sum())


def _channels(tickets: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    product = tickets["category"].isin(["installation", "defect"]).to_numpy()
    question = _pick(rng, CHANNELS, CHANNEL_SHARES["question"], len(tickets))
    problem = _pick(rng, CHANNELS, CHANNEL_SHARES["product"], len(tickets))
    channel = np.where(product, problem, question)
    business = (tickets["segment"] == "business").to_numpy() & (rng.random(len(tickets)) < 0.3)
    return np.where(business & (channel != "manual"), "email", channel)


def _priorities(tickets: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Mostly normal; defects run higher; business and VIP customers get bumped up."""
    n = len(tickets)
    defect = (tickets["category"] == "defect").to_numpy()
    level = np.where(
        defect,
        rng.choice(4, n, p=[0.05, 0.50, 0.33, 0.12]),
        rng.choice(4, n, p=[0.22, 0.60, 0.15, 0.03]),
    )
    valued = tickets["segment"].isin(["business", "vip"]).to_numpy()
    level = np.minimum(level + (valued & (rng.random(n) < 0.3)), 3)
    return np.array(PRIORITIES)[level]


def _teams(tickets: pd.DataFrame) -> np.ndarray:
    """English speakers go to the English desk, products to technicians, then by channel."""
    return np.select(
        [
            tickets["english"].to_numpy(),
            tickets["category"].isin(["installation", "defect"]).to_numpy(),
            tickets["channel"].isin(["phone", "email", "manual"]).to_numpy(),
        ],
        [TEAMS[3], TEAMS[2], TEAMS[1]],
        TEAMS[0],
    )


def _assign_agents(tickets: pd.DataFrame, agents: pd.DataFrame, rng: np.random.Generator) -> None:
    """Each ticket to an agent of its team who was hired and not on leave that month."""
    month = timeline.month_index(tickets["created"].to_numpy())
    tickets["agent_id"] = ""
    u = rng.random(len(tickets))
    for team in TEAMS:
        rows = np.flatnonzero((tickets["team"] == team).to_numpy())
        members = agents[agents["team"] == team]
        available = _availability(members, month.max() + 1)
        cumulative = available.cumsum(axis=1) / available.sum(axis=1, keepdims=True)
        choice = (u[rows, None] > cumulative[month[rows]]).sum(axis=1)
        tickets.loc[rows, "agent_id"] = members["agent_id"].to_numpy()[choice]


def _availability(members: pd.DataFrame, n_months: int) -> np.ndarray:
    """Month × agent: 1 where the agent worked that month, else 0."""
    months = np.datetime64("2024-01", "M") + np.arange(n_months)
    hired = members["hired_at"].to_numpy().astype("datetime64[M]")
    available = (hired[None, :] <= months[:, None]).astype(float)
    on_leave = members["agent_id"].isin(ON_LEAVE_IN_STAFFING_MONTH).to_numpy()
    available[timeline.staffing_month_index(), on_leave] = 0.0
    return available
