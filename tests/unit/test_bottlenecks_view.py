"""The bottlenecks view's words (insights.bottlenecks): both languages, same placeholders,
and sentences that carry the numbers of the tables they summarise."""

from __future__ import annotations

import string
from datetime import datetime

import pandas as pd
import pytest

from cxlens.actions.bottlenecks import STAGES, US_PER_HOUR, Bottlenecks
from cxlens.insights.bottlenecks import WORDS, _lines

H = US_PER_HOUR


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(WORDS))
def test_every_phrase_exists_in_both_languages_and_chinese_needs_no_other_values(key):
    # Chinese may refer back (其, 这类) where English names the group again, so its
    # placeholders are a subset of the English ones, never another value
    assert set(WORDS[key]) == {"en", "zh"}
    assert WORDS[key]["en"].strip() and WORDS[key]["zh"].strip()
    assert placeholders(WORDS[key]["zh"]) <= placeholders(WORDS[key]["en"])


def result() -> Bottlenecks:
    # refund: 2 tickets, 70 h waiting on the customer in all, one reassigned;
    # delivery: 1 ticket, 10 h first reply and 8 h on hold
    tickets = pd.DataFrame(
        {
            "ticket_id": ["a", "b", "c"],
            "channel": ["email", "email", "chat"],
            "category": ["refund", "refund", "delivery"],
            "priority": ["normal", "high", "normal"],
            "still_open": [False, True, False],
            "first_reply_us": [1 * H, 3 * H, 10 * H],
            "agent_work_us": [0, 2 * H, 4 * H],
            "customer_us": [50 * H, 20 * H, 0],
            "on_hold_us": [0, 0, 8 * H],
            "reassignments": [1, 0, 0],
            "handovers": [1, 0, 0],
            "transfers": [1, 0, 0],
            "reopens": [0, 0, 1],
            "recontacted": [True, None, False],
        }
    )
    tickets["total_us"] = tickets[[f"{s}_us" for s in STAGES]].sum(axis=1)
    return Bottlenecks(tickets, "replies", datetime(2024, 4, 1), 0, 7, 0.8, True)


def lines(lang: str) -> list[str]:
    found = result()
    bounces = found.bounces("category").assign(reopen_rate=float("nan"), reopen_n=0)
    shares = {d: found.stage_shares(d) for d in ("category", "channel", "priority")}
    return _lines(found, found.pareto("category"), bounces, shares, "category", lang)


def test_the_first_line_names_the_top_stage_and_group_with_its_hours_and_share():
    # of 98 h: refund waits on the customer 70 h = 71 %; half of refund tickets reassigned
    assert lines("en")[0] == (
        "Refund tickets wait on the customer 70 h (71% of all ticket time) — the biggest "
        "single bottleneck; 50% of refund tickets are reassigned at least once."
    )
    assert lines("zh")[0].startswith("“refund”工单等待客户回复共 70 小时，占全部工单时长的 71%")


def test_the_split_line_gives_each_stage_share_of_all_ticket_time():
    # first reply 14/98, agent work 6/98, customer 70/98, on hold 8/98; one ticket open
    assert lines("en")[2] == (
        "Of 98 h of ticket time over 3 tickets (1 still open), waiting for the first reply "
        "takes 14%, agent work takes 6%, waiting on the customer takes 71%, on hold takes 8%."
    )
