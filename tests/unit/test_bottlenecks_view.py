"""The bottlenecks view's words (insights.bottlenecks): both languages, same placeholders,
and sentences that carry the numbers of the tables they summarise."""

from __future__ import annotations

import string
from datetime import datetime

import pandas as pd
import pytest

from cxlens.actions.bottlenecks import STAGES, US_PER_HOUR, Bottlenecks
from cxlens.insights.actions import Scope
from cxlens.insights.bottlenecks import WORDS, _comeback_line, _lines, _within

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
    within = "in all the data" if lang == "en" else "全部数据中"
    return _lines(found, found.pareto("category"), bounces, shares, "category", lang, within)


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


def test_tickets_coming_back_are_named_both_ways_and_the_window_in_words():
    # defect reopens most (15 % of 2,844) but delivery brings most new tickets (31 % of
    # 6,555): both are said, each with its own group.
    bounces = pd.DataFrame(
        {
            "group": ["defect", "delivery"],
            "reopen_rate": [0.15, 0.05],
            "reopen_n": [2844, 6000],
            "recontact_rate": [0.10, 0.31],
            "recontact_n": [2800, 6555],
        }
    )
    within = _within(Scope(), "en")
    assert within == "in all the data"
    assert _comeback_line(result(), bounces, "category", "en", within) == (
        "Tickets come back most by reopening: defect 15% (2,844 solved in all the data); "
        "by a new ticket from the same customer within 7 days: delivery 31% (6,555 solved)."
    )
    dated = Scope(window=(datetime(2025, 4, 1).date(), None))
    assert _within(dated, "en") == "in the window" and _within(dated, "zh") == "期内"
    # without any reopen figure, the re-contact sentence alone
    no_reopens = bounces.assign(reopen_rate=float("nan"), reopen_n=0)
    assert _comeback_line(result(), no_reopens, "category", "en", within) == (
        "Delivery tickets come back most: 31% of solved ones bring a new ticket from the "
        "same customer within 7 days (6,555 solved)."
    )
