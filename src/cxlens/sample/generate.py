"""Generate the sample company's data, deterministically from one seed.

``generate(seed)`` returns the export tables with canonical column names, ready to be
written; every random draw comes from one ``numpy.random.Generator`` in a fixed order,
so the same seed gives the same bytes on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlens.sample import exports, people
from cxlens.sample.events import make_events
from cxlens.sample.lines import make_order_lines
from cxlens.sample.orders import make_orders
from cxlens.sample.subscriptions import make_subscriptions
from cxlens.sample.surveys import make_surveys
from cxlens.sample.tickets import make_tickets
from cxlens.sample.timing import add_timing


@dataclass
class SampleData:
    """The generated exports, one DataFrame per canonical table, columns as written."""

    customers: pd.DataFrame
    orders: pd.DataFrame
    order_lines: pd.DataFrame
    tickets: pd.DataFrame
    ticket_events: pd.DataFrame
    survey_responses: pd.DataFrame
    subscriptions: pd.DataFrame
    agents: pd.DataFrame


def generate(seed: int = 7) -> SampleData:
    """The whole sample for ``seed``: 10,000 customers, ~14,400 orders with their lines,
    ~2,400 care plans and ~24,000 tickets."""
    rng = np.random.default_rng(seed)
    customers = people.make_customers(rng)
    agents = people.agents_frame()
    orders = make_orders(customers, rng)
    plans = make_subscriptions(customers, orders, rng)
    tickets = make_tickets(customers, orders, agents, rng)
    add_timing(tickets, agents, rng)

    everyone = people.add_duplicate_people(customers, rng)
    orders["customer_id"] = _customer_ids(orders["customer"], orders["ordered_at"], everyone, rng)
    orders["english"] = customers["english"].to_numpy()[orders["customer"].to_numpy()]
    tickets["customer_id"] = _customer_ids(tickets["customer"], tickets["created"], everyone, rng)
    plans["customer_id"] = orders["customer_id"].to_numpy()[plans["order"].to_numpy()]

    events = make_events(tickets, rng)
    _count_messages(tickets, events)
    surveys = make_surveys(tickets, orders, agents, rng)
    ticket_export = exports.tickets(tickets, rng)
    lines = make_order_lines(orders, rng)  # last, so that the draws before keep their values
    return SampleData(
        customers=exports.customers(everyone),
        orders=exports.orders(orders),
        order_lines=exports.order_lines(lines),
        tickets=ticket_export,
        ticket_events=exports.ticket_events(events),
        survey_responses=exports.survey_responses(surveys),
        subscriptions=exports.subscriptions(plans),
        agents=agents[["agent_id", "name", "team", "hired_at"]],
    )


def _customer_ids(
    rows: pd.Series, moments: pd.Series, everyone: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    """Customer ids for records of customer row ``rows`` (-1: anonymous → None).

    After a person registered a second time, about half of their later orders and
    tickets carry the second registration's id, as the cleaning must discover.
    """
    rows = rows.to_numpy()
    ids = everyone["customer_id"].to_numpy(dtype=object)[np.maximum(rows, 0)]
    copies = everyone[everyone["duplicate_of"].notna()]
    first = pd.Series(np.arange(len(everyone)), index=everyone["customer_id"])
    copy_of_row = pd.Series(copies.index.to_numpy(), index=first[copies["duplicate_of"]].to_numpy())

    copy_row = copy_of_row.reindex(rows).to_numpy()
    has_copy = ~np.isnan(copy_row)
    copy_row = np.nan_to_num(copy_row).astype(int)
    since = everyone["created_at"].to_numpy()[copy_row]
    repoint = has_copy & (moments.to_numpy() >= since) & (rng.random(rows.size) < 0.5)
    ids = np.where(repoint, everyone["customer_id"].to_numpy(dtype=object)[copy_row], ids)
    return np.where(rows >= 0, ids, None)


def _count_messages(tickets: pd.DataFrame, events: pd.DataFrame) -> None:
    """Agent replies and customer contacts per ticket, counted from the events."""
    message = events["kind"] == "message"
    for column, actor in (("agent_replies", "agent"), ("customer_contacts", "customer")):
        mine = events.loc[message & (events["actor"] == actor) & events["public"], "ticket"]
        tickets[column] = np.bincount(mine, minlength=len(tickets))
