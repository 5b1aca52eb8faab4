"""Turn the generated records into export files' columns, warts included.

Times become naive local wall-clock text (``2024-03-05 14:02:11``) as helpdesks export
them. Tickets created before the company moved helpdesks in July 2024 keep the old
system's Chinese channel names. The ticket export also carries the faults the cleaning
must find: exact duplicate rows, tickets delivered twice (an earlier state, then the
later one appended at the end) and a few tickets solved before they were created.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import timeline
from cxlens.sample.timeline import HOUR, MISSING

MIGRATION = np.datetime64("2024-07-01T00:00:00", "s")  # the new helpdesk went live
CHINESE_CHANNELS = {
    "email": "邮箱", "phone": "电话", "chat": "即时聊天", "wechat": "微信", "weibo": "微博",
    "help_center": "帮助中心", "manual": "手工录入", "api": "API", "feedback_widget": "反馈标签",
}  # fmt: skip
TICKET_COLUMNS = [
    "ticket_id", "created_at", "customer_id", "channel", "category", "priority", "status",
    "agent_id", "team", "created_by", "first_response_at", "first_solved_at", "solved_at",
    "closed_at", "reopens", "agent_replies", "customer_contacts", "merged_into", "answered",
]  # fmt: skip
N_EXACT_DUPLICATES = 8
N_REDELIVERED = 12
N_IMPOSSIBLE = 6


def local_text(seconds) -> np.ndarray:
    """Seconds since the sample's start → ``YYYY-MM-DD HH:MM:SS``; missing → ``""``."""
    moments = timeline.to_datetimes(np.asarray(seconds, dtype=np.int64))
    text = np.datetime_as_string(moments, unit="s")
    return np.where(np.isnat(moments), "", np.char.replace(text, "T", " "))


def customers(everyone: pd.DataFrame) -> pd.DataFrame:
    frame = everyone[["customer_id", "name", "email", "phone", "gender", "age", "region"]].copy()
    frame.insert(1, "created_at", local_text(everyone["created_at"]))
    frame["segment"] = everyone["segment"]
    return frame


def orders(records: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": records["order_id"],
            "customer_id": records["customer_id"],
            "ordered_at": local_text(records["ordered_at"]),
            "amount": records["amount"].map("{:.2f}".format),
            "currency": "CNY",
            "status": records["status"],
        }
    )


def order_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """The shop's order lines: whole quantities, prices with two decimals."""
    return pd.DataFrame(
        {
            "order_id": lines["order_id"],
            "line_no": lines["line_no"],
            "product_id": lines["product_id"],
            "product_name": lines["product_name"],
            "quantity": lines["quantity"],
            "unit_price": lines["unit_price"].map("{:.2f}".format),
        }
    )


def subscriptions(plans: pd.DataFrame) -> pd.DataFrame:
    """The care plans as the billing system exports them; a running plan has no end."""
    return pd.DataFrame(
        {
            "subscription_id": plans["subscription_id"],
            "customer_id": plans["customer_id"],
            "started_at": local_text(plans["started"]),
            "ended_at": local_text(plans["ended"]),
            "plan": plans["plan"],
            "mrr": plans["mrr"].map("{:.2f}".format),
        }
    )


def ticket_events(events: pd.DataFrame) -> pd.DataFrame:
    frame = events[["ticket_id", "at", "seq", "actor", "actor_id", "kind", "public", "status_to"]]
    frame = frame.copy()
    frame["at"] = local_text(frame["at"])
    frame["public"] = np.where(frame["public"].astype(bool), "true", "false")
    return frame


def survey_responses(responses: pd.DataFrame) -> pd.DataFrame:
    frame = responses.copy()
    for column in ("score", "scale_min", "scale_max"):
        frame[column] = frame[column].astype("Int64")
    frame["responded_at"] = local_text(frame["responded_at"])
    return frame


def tickets(records: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The ticket export as the helpdesk wrote it, then its faults planted."""
    frame = pd.DataFrame({"ticket_id": records["ticket_id"]})
    frame["created_at"] = local_text(records["created"])
    frame["customer_id"] = records["customer_id"]
    before = timeline.to_datetimes(records["created"].to_numpy()) < MIGRATION
    chinese = records["channel"].map(CHINESE_CHANNELS)
    frame["channel"] = np.where(before, chinese, records["channel"])
    for column in ("category", "priority", "status", "agent_id", "team", "created_by"):
        frame[column] = records[column].replace("", None)
    for column, source in (
        ("first_response_at", "first_response"),
        ("first_solved_at", "first_solved"),
        ("solved_at", "solved"),
        ("closed_at", "closed"),
    ):
        frame[column] = local_text(records[source])
    for column in ("reopens", "agent_replies", "customer_contacts", "merged_into"):
        frame[column] = records[column]
    answered = records["answered"].map({True: "true", False: "false"})
    frame["answered"] = answered.where(records["answered"].notna(), None)
    return plant_ticket_faults(frame[TICKET_COLUMNS], records, rng)


def plant_ticket_faults(
    frame: pd.DataFrame, records: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Solved-before-created times, re-delivered tickets and exact duplicate rows."""
    settled = np.flatnonzero(
        (frame["status"] == "closed").to_numpy()
        & (records["reopens"].to_numpy() == 0)
        & (records["solved"].to_numpy() != MISSING)
    )
    impossible, redelivered = np.split(
        rng.choice(settled, N_IMPOSSIBLE + N_REDELIVERED, replace=False), [N_IMPOSSIBLE]
    )
    early = records["created"].to_numpy()[impossible]
    early -= rng.integers(HOUR, 3 * 24 * HOUR, N_IMPOSSIBLE)
    for column in ("first_solved_at", "solved_at"):
        frame.iloc[impossible, frame.columns.get_loc(column)] = local_text(early)

    later_state = frame.iloc[np.sort(redelivered)]
    earlier = frame.iloc[redelivered].copy()
    earlier[["first_solved_at", "solved_at", "closed_at"]] = ""
    earlier["status"] = "open"
    frame.iloc[redelivered] = earlier.to_numpy()

    untouched = np.setdiff1d(np.arange(len(frame)), np.r_[impossible, redelivered])
    copies = np.sort(rng.choice(untouched, N_EXACT_DUPLICATES, replace=False))
    order = np.sort(np.r_[np.arange(len(frame)), copies], kind="stable")
    return pd.concat([frame.iloc[order], later_state], ignore_index=True)
