"""The sample's survey answers: CSAT after solved tickets, NPS a month after a purchase.

A CSAT answer reflects the customer's general mood, the agent's quality, how long the
first reply took compared with what the channel usually takes, reopens, the category
and the short-staffed month. NPS reflects the same mood and how the customer's tickets
went, so customers who give low CSAT also give low NPS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import comments, timeline
from cxlens.sample.timeline import DAY, EXPORT_AT, HOUR, MISSING
from cxlens.sample.timing import RESPONSE_MINUTES

CATEGORY_MOOD = {"defect": -0.4, "refund": -0.25, "installation": -0.1, "delivery": 0.0}
CSAT_CUTS = (-1.4, -0.6, 0.2, 1.3)  # latent satisfaction → 1…5
NPS_CHANNELS = (("email", 0.5), ("wechat", 0.35), ("sms", 0.15))
COLUMNS = [
    "response_id", "kind", "score", "scale_min", "scale_max", "customer_id", "ticket_id",
    "agent_id", "channel", "responded_at", "comment",
]  # fmt: skip


def make_surveys(
    tickets: pd.DataFrame, orders: pd.DataFrame, agents: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """CSAT and NPS responses in canonical columns; ``responded_at`` still in seconds."""
    latent = _ticket_satisfaction(tickets, agents, rng)
    csat = _csat(tickets, latent, rng)
    nps = _nps(tickets, orders, latent, rng)
    responses = pd.concat([csat, nps], ignore_index=True)
    responses = responses.sort_values(["responded_at", "kind"], kind="stable", ignore_index=True)
    responses["response_id"] = [f"R{i:06d}" for i in range(1, len(responses) + 1)]
    _plant_untrusted_text(responses, rng)
    return responses[COLUMNS]


def _ticket_satisfaction(tickets: pd.DataFrame, agents: pd.DataFrame, rng) -> np.ndarray:
    """How satisfied each ticket left its customer (a latent number, higher is better)."""
    created = tickets["created"].to_numpy()
    replied = tickets["first_response"].to_numpy()
    minutes = np.where(replied != MISSING, (replied - created) / 60, np.nan)
    usual = tickets["channel"].map(RESPONSE_MINUTES).to_numpy(dtype=float)
    slowness = np.clip(np.log(np.maximum(minutes, 0.5) / usual), -2, 4)
    slowness = np.nan_to_num(slowness, nan=2.0)
    quality = tickets["agent_id"].map(agents.set_index("agent_id")["quality"]).fillna(0.0)
    return (
        1.8
        + 0.5 * tickets["mood"].to_numpy()
        + quality.to_numpy(dtype=float)
        - 0.45 * slowness
        - 1.3 * (tickets["reopens"].to_numpy() > 0)
        + tickets["category"].map(CATEGORY_MOOD).fillna(0.0).to_numpy()
        - 0.3 * tickets["short_staffed"].to_numpy()
        + rng.logistic(0, 0.6, len(tickets))
    )


def _csat(tickets: pd.DataFrame, latent: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Answers to the survey sent when a ticket is solved (about a third answer)."""
    solved = tickets["solved"].to_numpy()
    valued = tickets["segment"].isin(["vip", "business"]).to_numpy()
    answers = (solved != MISSING) & (rng.random(len(tickets)) < np.where(valued, 0.34, 0.26))
    delay = np.minimum(rng.lognormal(np.log(2 * HOUR), 1.3, len(tickets)), 7 * DAY)
    responded = solved + delay.astype(np.int64)
    rows = np.flatnonzero(answers & (responded < EXPORT_AT))

    score = 1 + np.searchsorted(CSAT_CUTS, latent[rows]).astype(float)
    picked = tickets.iloc[rows]
    frame = pd.DataFrame(
        {
            "kind": "csat",
            "score": np.where(rng.random(rows.size) < 0.02, np.nan, score),
            "scale_min": 1.0,
            "scale_max": 5.0,
            "customer_id": picked["customer_id"].to_numpy(),
            "ticket_id": picked["ticket_id"].to_numpy(),
            "agent_id": _sometimes_blank(picked["agent_id"].to_numpy(dtype=object), rng),
            "channel": _sometimes_blank(picked["channel"].to_numpy(dtype=object), rng),
            "responded_at": responded[rows],
        }
    )
    frame["comment"] = _csat_comments(frame, picked, rng)
    return frame


def _sometimes_blank(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blank a fifth of the values: the survey tool does not always copy them over."""
    return np.where(rng.random(values.size) < 0.2, None, values)


def _csat_comments(frame: pd.DataFrame, picked: pd.DataFrame, rng) -> pd.Series:
    """About a third comment, unhappy customers more often; topic from score and ticket."""
    score = frame["score"].to_numpy()
    writes = rng.random(len(frame)) < np.where(score <= 2, 0.6, 0.3)
    writes &= ~np.isnan(score)
    slow = (picked["first_response"] - picked["created"]).to_numpy() > 6 * HOUR
    topic = np.select(
        [
            score >= 4,
            score == 3,
            slow & (rng.random(len(frame)) < 0.6),
            picked["reopens"].to_numpy() > 0,
        ],
        ["praise", "neutral", "waiting", "repeat"],
        picked["category"].to_numpy(dtype=object),
    )
    text = _texts(topic, picked["english"].to_numpy(dtype=bool), rng)
    return text.where(writes, None)


def _texts(topic: np.ndarray, english: np.ndarray, rng: np.random.Generator) -> pd.Series:
    language = np.where(english | (rng.random(topic.size) < 0.12), "en", "zh")
    return comments.compose(pd.Series(topic), pd.Series(language), rng)


def _nps(tickets, orders: pd.DataFrame, latent: np.ndarray, rng) -> pd.DataFrame:
    """Answers to the NPS e-mail sent a month after a purchase (about one in six answer)."""
    mood = pd.Series(latent).groupby(tickets["customer"].to_numpy()).mean()
    sent = orders["ordered_at"].to_numpy() + 30 * DAY
    delay = rng.lognormal(np.log(5 * HOUR), 1.2, len(orders)).astype(np.int64)
    responded = sent + delay
    rows = np.flatnonzero((rng.random(len(orders)) < 0.18) & (responded < EXPORT_AT))

    picked = orders.iloc[rows]
    service = mood.reindex(picked["customer"]).fillna(0.8).to_numpy()
    refunded = (picked["status"] != "completed").to_numpy()
    feeling = 0.9 * (service - 0.8) - 0.8 * refunded + rng.normal(0, 0.9, rows.size)
    score = np.clip(np.round(8.4 + 1.5 * feeling), 0, 10)
    channel = rng.choice([c for c, _ in NPS_CHANNELS], rows.size, p=[p for _, p in NPS_CHANNELS])
    frame = pd.DataFrame(
        {
            "kind": "nps",
            "score": np.where(rng.random(rows.size) < 0.015, np.nan, score),
            "scale_min": 0.0,
            "scale_max": 10.0,
            "customer_id": picked["customer_id"].to_numpy(),
            "ticket_id": None,
            "agent_id": None,
            "channel": channel,
            "responded_at": responded[rows],
        }
    )
    topic = np.select([score >= 9, score >= 7], ["recommend", "neutral"], "discourage")
    writes = (rng.random(rows.size) < 0.45) & ~np.isnan(frame["score"].to_numpy())
    english = picked["english"].to_numpy(dtype=bool)
    frame["comment"] = _texts(topic, english, rng).where(writes, None)
    return frame


def _plant_untrusted_text(responses: pd.DataFrame, rng: np.random.Generator) -> None:
    """Put a script tag, a formula and a multi-line comment where the report will show them."""
    low = np.flatnonzero(
        (responses["kind"] == "csat").to_numpy()
        & (responses["score"].to_numpy() <= 2)
        & responses["comment"].notna().to_numpy()
        & (timeline.month_index(responses["responded_at"].to_numpy()) >= 12)
    )
    chosen = rng.choice(low, 3, replace=False)
    column = responses.columns.get_loc("comment")
    responses.iloc[chosen, column] = [
        comments.SCRIPT_COMMENT,
        comments.FORMULA_COMMENT,
        comments.MULTILINE_COMMENT,
    ]
