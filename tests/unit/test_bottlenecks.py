"""Process bottlenecks (actions.bottlenecks) on tiny timelines worked out by hand.

Times are hours after 2024-03-04 00:00 UTC. Each ticket's stage hours below come from
the rules in docs/bottlenecks.md, read off the timeline by hand, and its total from a
second route: (last solve or data end) − creation − the time it spent solved before
a reopen.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from cxlens.actions.bottlenecks import (
    STAGES,
    US_PER_HOUR,
    bounces,
    check_settings,
    pareto,
    process_bottlenecks,
    stage_shares,
)
from cxlens.errors import ConfigError, WarehouseError
from cxlens.insights.actions import Scope

START = datetime(2024, 3, 4)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


TICKET_COLUMNS = [
    "ticket_id", "created_at", "customer_id", "channel", "category", "priority", "team",
    "agent_id", "solved_at", "reopens", "is_merged", "is_solved",
]  # fmt: skip
EVENT_COLUMNS = ["ticket_id", "at", "seq", "actor", "actor_id", "kind", "public", "status_to"]


def warehouse(tickets: list[tuple], events: list[tuple], agents: list[tuple] | None = None):
    """An in-memory warehouse with the cleaned tables' columns the action reads."""
    con = duckdb.connect()
    ticket_frame = pd.DataFrame(tickets, columns=TICKET_COLUMNS)
    ticket_frame["created_at_local"] = ticket_frame["created_at"] + pd.Timedelta(hours=8)
    event_frame = pd.DataFrame(events, columns=EVENT_COLUMNS)
    con.register("ticket_frame", ticket_frame)
    con.register("event_frame", event_frame)
    con.execute("CREATE TABLE tickets AS SELECT * FROM ticket_frame")
    con.execute(
        'CREATE TABLE ticket_events AS SELECT ticket_id, "at"::TIMESTAMP AS "at", seq, actor, '
        "actor_id, kind, public::BOOLEAN AS public, status_to::VARCHAR AS status_to "
        "FROM event_frame"
    )
    if agents is not None:
        con.register("agent_frame", pd.DataFrame(agents, columns=["agent_id", "team"]))
        con.execute("CREATE TABLE agents AS SELECT * FROM agent_frame")
    return con


def options(**section):
    return SimpleNamespace(bottlenecks=check_settings(section))


def msg(ticket, hours, seq, actor, actor_id=None, public=True):
    return (ticket, at(hours), seq, actor, actor_id, "message", public, None)


def status(ticket, hours, seq, to, actor="agent", actor_id=None):
    return (ticket, at(hours), seq, actor, actor_id, "status", None, to)


def assign(ticket, hours, seq):
    return (ticket, at(hours), seq, "system", None, "assign", None, None)


# -- replies: who spoke last decides (no pending status in the data) --------------------

REPLY_TICKETS = [
    # T1 email refund, customer C1: solved at 10, reopened by the customer at 20, solved at 26
    ("T1", at(0), "C1", "email", "refund", "normal", "Email", "A1", at(26), 1, False, True),
    # T2 chat delivery: still open at the data's end
    ("T2", at(0), "C2", "chat", "delivery", "high", "Chat", "A1", None, 0, False, False),
    # T5: C1 again three days later, no events: a re-contact of T1, itself left out
    ("T5", at(72), "C1", "email", "refund", "normal", None, None, None, 0, False, False),
    # T6: merged away, never counted
    ("T6", at(1), "C3", "email", "refund", "normal", None, None, None, 0, True, False),
    # T9: created on 2024-03-20, answered and solved in an hour; its solve is the data's end
    ("T9", at(384), "C9", "email", "billing", "low", "Email", "A1", at(385), 0, False, True),
]
REPLY_EVENTS = [
    msg("T1", 0, 1, "customer", "C1"),
    assign("T1", 0.5, 2),
    msg("T1", 2, 3, "agent", "A1"),  # first reply: first_reply 0 → 2
    msg("T1", 5, 4, "customer", "C1"),  # customer 2 → 5
    msg("T1", 6, 5, "agent", "A1", public=False),  # a note answers nobody
    assign("T1", 6.5, 6),  # reassigned
    msg("T1", 7, 7, "agent", "A2"),  # agent work 5 → 7; A1 (Email) → A2 (Billing)
    status("T1", 10, 8, "solved", actor_id="A2"),  # customer 7 → 10
    msg("T1", 20, 9, "customer", "C1"),  # reopens: 10 → 20 not counted
    status("T1", 20, 10, "open", actor="system"),
    msg("T1", 24, 11, "agent", "A2"),  # agent work 20 → 24
    status("T1", 26, 12, "solved", actor_id="A2"),  # customer 24 → 26
    status("T1", 30, 13, "closed", actor="system"),
    msg("T2", 0, 1, "customer", "C2"),
    msg("T2", 0.01, 2, "bot", "bot-1"),  # a bot's reply is no first reply
    (("T2", at(1), 3, "bot", "bot-1", "assign", None, None)),
    msg("T2", 4, 4, "agent", "A1"),  # first_reply 0 → 4
    msg("T2", 6, 5, "customer", "C2"),  # customer 4 → 6, then agent work to the end
    msg("T9", 384, 1, "customer", "C9"),
    msg("T9", 385, 2, "agent", "A1"),
    status("T9", 385, 3, "solved", actor_id="A1"),
]
AGENTS = [("A1", "Email"), ("A2", "Billing")]
# by hand: (first_reply, agent_work, customer, on_hold) hours
REPLY_STAGES = {
    "T1": (2, 2 + 4, 3 + 3 + 2, 0),
    "T2": (4, 385 - 6, 2, 0),
    "T9": (1, 0, 0, 0),
}


@pytest.fixture
def replies():
    con = warehouse(REPLY_TICKETS, REPLY_EVENTS, AGENTS)
    yield process_bottlenecks(con, options(), Scope())
    con.close()


def stage_hours(result) -> dict[str, tuple[float, ...]]:
    rows = result.tickets.set_index("ticket_id")
    return {
        ticket: tuple(rows.loc[ticket, f"{stage}_us"] / US_PER_HOUR for stage in STAGES)
        for ticket in rows.index
    }


def test_each_stage_of_each_ticket_matches_the_timeline_by_hand(replies):
    assert replies.waiting_rule == "replies"
    assert stage_hours(replies) == REPLY_STAGES


def test_stages_add_up_to_the_ticket_time_from_its_solves_and_reopens(replies):
    rows = replies.tickets.set_index("ticket_id")
    stage_sum = rows[[f"{stage}_us" for stage in STAGES]].sum(axis=1)
    assert (stage_sum == rows["total_us"]).all()  # whole microseconds: exact
    # second route: end − creation − time solved before the reopen
    by_hand = {"T1": 26 - 0 - (20 - 10), "T2": 385 - 0, "T9": 385 - 384}
    assert (rows["total_us"] / US_PER_HOUR).to_dict() == by_hand
    assert rows["total_us"].sum() == sum(by_hand.values()) * US_PER_HOUR


def test_open_tickets_run_to_the_data_end_and_are_marked_open(replies):
    rows = replies.tickets.set_index("ticket_id")
    assert replies.data_end == at(385)
    assert rows["still_open"].to_dict() == {"T1": False, "T2": True, "T9": False}


def test_tickets_without_events_and_merged_tickets_are_left_out(replies):
    assert set(replies.tickets["ticket_id"]) == {"T1", "T2", "T9"}
    assert replies.without_events == 1  # T5; T6 is merged, so not in scope at all


def test_reassignments_transfers_and_reopens_counted_by_hand(replies):
    rows = replies.tickets.set_index("ticket_id")
    # T1: two assign events (one reassignment); acting agents A1, A1 (note), A2, A2...:
    # one handover, from team Email to team Billing. T2: one assignment by a bot, one agent.
    assert rows.loc["T1", ["assignments", "reassignments", "handovers", "transfers"]].tolist() == [
        2, 1, 1, 1,
    ]  # fmt: skip
    assert rows.loc["T2", ["assignments", "reassignments", "handovers", "transfers"]].tolist() == [
        1, 0, 0, 0,
    ]  # fmt: skip
    assert rows["reopens"].to_dict() == {"T1": 1, "T2": 0, "T9": 0}


def test_a_new_ticket_within_the_days_after_a_solve_is_a_re_contact(replies):
    rows = replies.tickets.set_index("ticket_id")
    # T1 solved at hour 26; T5 by the same customer at hour 72 (< 26 + 7 × 24): re-contact.
    # T2 is open and T9 solved at the data's end (no seven days to watch): unknown.
    assert rows.loc["T1", "recontacted"] == True  # noqa: E712 (numpy bool)
    assert rows["recontacted"].isna().to_dict() == {"T1": False, "T2": True, "T9": True}


def test_re_contact_days_come_from_the_settings():
    con = warehouse(REPLY_TICKETS, REPLY_EVENTS, AGENTS)
    # 1 day: T5 comes 46 hours after T1's solve, too late to count
    result = process_bottlenecks(con, options(recontact_days=1), Scope())
    assert result.tickets.set_index("ticket_id").loc["T1", "recontacted"] == False  # noqa: E712


def test_transfers_are_unknown_without_an_agents_table():
    con = warehouse(REPLY_TICKETS, REPLY_EVENTS)
    result = process_bottlenecks(con, options(), Scope())
    rows = result.tickets.set_index("ticket_id")
    assert rows.loc["T1", "handovers"] == 1
    assert rows["transfers"].isna().all()
    assert not result.has_teams


def test_the_window_keeps_tickets_created_in_it_by_local_day():
    con = warehouse(REPLY_TICKETS, REPLY_EVENTS, AGENTS)
    # T9 is created 2024-03-20 08:00 Shanghai: outside a window ending 2024-03-19
    result = process_bottlenecks(
        con, options(), Scope(window=(date(2024, 3, 4), date(2024, 3, 19)))
    )
    assert set(result.tickets["ticket_id"]) == {"T1", "T2"}
    assert result.data_end == at(385)  # the data's end is the warehouse's, not the window's
    assert stage_hours(result)["T2"] == REPLY_STAGES["T2"]


def test_filters_keep_the_tickets_of_their_values():
    con = warehouse(REPLY_TICKETS, REPLY_EVENTS, AGENTS)
    result = process_bottlenecks(con, options(), Scope(filters={"channel": ["chat"]}))
    assert list(result.tickets["ticket_id"]) == ["T2"]
    with pytest.raises(WarehouseError, match="no ticket in this scope has ticket events"):
        process_bottlenecks(con, options(), Scope(filters={"channel": ["phone"]}))


def test_a_filter_the_action_cannot_apply_is_refused():
    con = warehouse(REPLY_TICKETS, REPLY_EVENTS, AGENTS)
    with pytest.raises(ConfigError, match="cannot filter bottlenecks by 'colour'"):
        process_bottlenecks(con, options(), Scope(filters={"colour": ["red"]}))


def test_no_events_table_says_what_to_import():
    con = duckdb.connect()
    con.execute("CREATE TABLE tickets (ticket_id VARCHAR, created_at TIMESTAMP)")
    with pytest.raises(WarehouseError, match="need the ticket_events table; import"):
        process_bottlenecks(con, options(), Scope())


# -- statuses: Zendesk's new/open/pending/hold/solved ---------------------------------

STATUS_TICKETS = [
    ("T3", at(0), "C3", "email", "account", "urgent", "Email", "A1", at(15), 0, False, True),
    ("T4", at(0), "C4", "email", "account", "low", "Email", "A1", at(6), 0, False, True),
]
STATUS_EVENTS = [
    msg("T3", 0, 1, "customer", "C3"),
    status("T3", 0, 2, "new", actor="customer", actor_id="C3"),
    status("T3", 1, 3, "open", actor="system"),  # taken in: still no reply
    msg("T3", 3, 4, "agent", "A1"),  # first_reply 0 → 3
    status("T3", 3, 5, "pending", actor_id="A1"),
    msg("T3", 8, 6, "customer", "C3"),  # pending 3 → 8: customer; then agent work
    status("T3", 10, 7, "hold", actor_id="A1"),  # agent work 8 → 10
    status("T3", 14, 8, "open", actor_id="A1"),  # on hold 10 → 14
    msg("T3", 15, 9, "agent", "A1"),
    status("T3", 15, 10, "solved", actor_id="A1"),  # agent work 14 → 15
    msg("T4", 0, 1, "customer", "C4"),
    msg("T4", 2, 2, "agent", "A1"),  # first_reply 0 → 2; the ticket stays open
    status("T4", 6, 3, "solved", actor_id="A1"),  # 2 → 6: agent work (pending rule)
]


def test_pending_and_hold_statuses_decide_waiting_on_the_customer_and_on_hold():
    con = warehouse(STATUS_TICKETS, STATUS_EVENTS, AGENTS)
    result = process_bottlenecks(con, options(), Scope())
    assert result.waiting_rule == "pending"
    assert stage_hours(result) == {"T3": (3, 2 + 1, 5, 4), "T4": (2, 4, 0, 0)}


def test_the_replies_rule_can_be_forced_where_pending_exists():
    con = warehouse(STATUS_TICKETS, STATUS_EVENTS, AGENTS)
    result = process_bottlenecks(con, options(waiting_on_customer="replies"), Scope())
    # T4's open time after the reply is now the customer's turn; T3 is unchanged, as its
    # pending and hold statuses decide its waiting whatever the rule
    assert stage_hours(result) == {"T3": (3, 3, 5, 4), "T4": (2, 0, 4, 0)}


def test_a_status_only_log_is_answered_by_its_first_status_other_than_new():
    tickets = [("S1", at(0), "C1", "phone", "account", "normal", None, None, at(9), 0, False, True)]
    events = [
        status("S1", 0.5, 1, "New"),
        status("S1", 2, 2, "Active"),  # taken in hand: first_reply 0 → 2
        status("S1", 3, 3, "Awaiting User Info"),  # agent work 2 → 3
        status("S1", 7, 4, "Active"),  # customer 3 → 7
        status("S1", 9, 5, "Resolved"),  # agent work 7 → 9
    ]
    con = warehouse(tickets, events)
    assert stage_hours(process_bottlenecks(con, options(), Scope())) == {"S1": (2, 3, 4, 0)}


def test_the_ticket_rows_solve_ends_a_ticket_whose_events_carry_no_status():
    tickets = [("F1", at(0), "C1", "email", "account", "normal", None, None, at(5), 0, False, True)]
    events = [msg("F1", 0, 1, "customer", "C1"), msg("F1", 1, 2, "agent", "A1")]
    con = warehouse(tickets, events)
    result = process_bottlenecks(con, options(), Scope())
    # first_reply 0 → 1, waiting on the customer 1 → 5 (the export's solve), then solved
    assert stage_hours(result) == {"F1": (1, 0, 4, 0)}
    assert not result.tickets["still_open"].any()


# -- Pareto, shares and bounce rates on a frame written by hand --------------------------

H = US_PER_HOUR
FRAME = pd.DataFrame(
    {
        "ticket_id": ["a", "b", "c", "d"],
        "category": ["refund", "refund", "delivery", None],
        "first_reply_us": [1 * H, 3 * H, 10 * H, 0],
        "agent_work_us": [0, 2 * H, 4 * H, 2 * H],
        "customer_us": [50 * H, 20 * H, 0, 0],
        "on_hold_us": [0, 0, 8 * H, 0],
        "reassignments": [1, 0, 0, 2],
        "handovers": [1, 0, 1, 2],
        "transfers": [1, 0, 0, 0],
        "reopens": [1, 0, 2, 0],
        "recontacted": [True, False, None, None],
    }
)
FRAME["total_us"] = FRAME[[f"{s}_us" for s in STAGES]].sum(axis=1)  # 51 + 25 + 22 + 2 = 100


def test_pareto_ranks_stage_by_group_with_cumulative_shares_and_the_vital_few():
    rows = pareto(FRAME, "category", vital_share=0.8)
    # by hand, of 100 h: customer·refund 70, first_reply·delivery 10, on_hold·delivery 8,
    # first_reply·refund 4, agent_work·delivery 4, agent_work·refund 2, agent_work·(none) 2
    assert rows[["stage", "group"]].head(3).values.tolist() == [
        ["customer", "refund"], ["first_reply", "delivery"], ["on_hold", "delivery"],
    ]  # fmt: skip
    assert rows["total_hours"].tolist() == [70, 10, 8, 4, 4, 2, 2]
    assert rows["tickets"].tolist()[:2] == [2, 1]
    assert rows.loc[0, "mean_hours"] == 35
    assert rows["share"].tolist() == pytest.approx([0.70, 0.10, 0.08, 0.04, 0.04, 0.02, 0.02])
    assert rows["cumulative_share"].tolist() == pytest.approx([0.7, 0.8, 0.88, 0.92, 0.96, 0.98, 1])
    # 0.7 < 0.8: the second row is needed, and it reaches 80 % exactly: two vital rows
    assert rows["vital"].tolist() == [True, True, False, False, False, False, False]
    assert rows["group"].isna().sum() == 1  # a ticket with no category keeps its hours


def test_stage_shares_divide_each_groups_stage_hours_by_its_ticket_time():
    rows = stage_shares(FRAME, "category").set_index("group")
    assert rows.loc["refund", "tickets"] == 2
    assert rows.loc["refund", "total_hours"] == 76
    assert rows.loc["refund", "mean_hours"] == 38
    assert rows.loc["refund", "customer_share"] == pytest.approx(70 / 76)
    assert rows.loc["delivery", "on_hold_share"] == pytest.approx(8 / 22)
    shares = rows[[f"{s}_share" for s in STAGES]].sum(axis=1)
    assert shares.tolist() == pytest.approx([1.0] * len(rows))


def test_bounce_rates_per_group_by_hand():
    rows = bounces(FRAME, "category").set_index("group")
    assert rows.loc["refund", "reassigned"] == 0.5
    assert rows.loc["refund", "transferred"] == 0.5
    assert rows.loc["delivery", "handed_over"] == 1.0
    assert rows.loc["refund", "recontact_rate"] == 0.5
    assert rows.loc["refund", "recontact_n"] == 2
    assert rows.loc["delivery", "recontact_n"] == 0
    assert rows.loc["delivery", "reopens"] == 2


def test_a_dimension_the_comparison_does_not_know_is_refused():
    with pytest.raises(ConfigError, match="compare by category, channel, priority, not 'team'"):
        pareto(FRAME, "team")


# -- settings -----------------------------------------------------------------------


def test_settings_are_completed_with_their_defaults():
    assert check_settings({}) == {
        "by": "category",
        "vital_share": 0.8,
        "waiting_on_customer": "auto",
        "recontact_days": 7,
    }
    assert check_settings({"by": "channel"})["by"] == "channel"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"colour": 1}, r"unknown key 'colour' in \[bottlenecks\]; the keys are: by, vital_share"),
        ({"by": "team"}, r"\[bottlenecks\] by = 'team': use one of category, channel, priority"),
        ({"vital_share": 1.5}, r"\[bottlenecks\] vital_share = 1.5 must be a number between 0"),
        ({"vital_share": True}, r"vital_share = True must be a number"),
        ({"recontact_days": 0}, r"\[bottlenecks\] recontact_days = 0 must be a whole number"),
        ({"recontact_days": 2.5}, r"recontact_days = 2.5 must be a whole number"),
        ({"waiting_on_customer": "x"}, r"waiting_on_customer = 'x': use auto"),
    ],
)
def test_bad_settings_name_the_key_and_what_is_allowed(section, message):
    with pytest.raises(ConfigError, match=message):
        check_settings(section)


def test_settings_file_is_checked_at_load(tmp_path):
    from cxlens.settings import load_settings

    path = tmp_path / "cxlens.toml"
    path.write_text('[bottlenecks]\nby = "channel"\n')
    assert load_settings(path).bottlenecks["recontact_days"] == 7
    path.write_text("[bottlenecks]\nvital_share = 0\n")
    with pytest.raises(ConfigError, match="vital_share = 0 must be a number between 0 and 1"):
        load_settings(path)
