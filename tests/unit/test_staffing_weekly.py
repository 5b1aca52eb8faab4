"""The week's staffing from a tiny hand-made warehouse, counted by hand.

The project's time zone is Asia/Shanghai (UTC+8): the raw times below are UTC, and each
comment gives the local time that decides the weekday and the interval.
"""

import math
from datetime import date

import pandas as pd
import pytest

from cxlens.actions.staffing import staff_interval, weekly_staffing
from cxlens.errors import WarehouseError
from cxlens.insights.actions import Scope
from cxlens.insights.staffing import (
    WORDS,
    _stretch_line,
    build_view,
    gap_stretches,
    plan_frame,
    staffing_view,
)
from cxlens.settings import Settings
from helpers_raw import clean_rows

TICKETS = [
    # before the two weeks learned from: only makes the data start early enough
    {"ticket_id": "T0", "created_at": "2024-02-29 18:00", "channel": "phone"},  # Fri 03-01 02:00
    {"ticket_id": "T1", "created_at": "2024-03-04 01:10", "channel": "phone"},  # Mon 09:10, week 1
    {"ticket_id": "T2", "created_at": "2024-03-11 01:29", "channel": "phone"},  # Mon 09:29, week 2
    {"ticket_id": "T3", "created_at": "2024-03-03 16:05", "channel": "phone"},  # Mon 03-04 00:05
    {"ticket_id": "T4", "created_at": "2024-03-17 16:30", "channel": "phone"},  # Mon 03-18: after
    {"ticket_id": "T5", "created_at": "2024-03-05 02:00", "channel": "chat"},  # Tue 10:00, week 1
    {"ticket_id": "T6", "created_at": "2024-03-04 01:15", "channel": "phone",
     "merged_into": "T1"},  # Mon 09:15 but merged: not an arrival
    {"ticket_id": "T7", "created_at": "2024-03-04 01:05", "channel": "email"},  # not staffed
]  # fmt: skip
EVENTS = [
    # T1, week 1, Monday 09:00–09:30 local: agents a1 (twice) and a2 reply; a3's note is
    # internal and the bot is no agent, so 2 agents were seen
    {"ticket_id": "T1", "at": "2024-03-04 01:10", "seq": 1, "actor": "customer",
     "kind": "message", "public": True},
    {"ticket_id": "T1", "at": "2024-03-04 01:12", "seq": 2, "actor": "bot", "actor_id": "b1",
     "kind": "message", "public": True},
    {"ticket_id": "T1", "at": "2024-03-04 01:20", "seq": 3, "actor": "agent", "actor_id": "a1",
     "kind": "message", "public": True},
    {"ticket_id": "T1", "at": "2024-03-04 01:21", "seq": 4, "actor": "agent", "actor_id": "a3",
     "kind": "note", "public": False},
    {"ticket_id": "T1", "at": "2024-03-04 01:25", "seq": 5, "actor": "agent", "actor_id": "a2",
     "kind": "message", "public": True},
    {"ticket_id": "T1", "at": "2024-03-04 01:28", "seq": 6, "actor": "agent", "actor_id": "a1",
     "kind": "message", "public": True},
    # T2, week 2: a1 replies at 09:40 local, in the 09:30–10:00 interval
    {"ticket_id": "T2", "at": "2024-03-11 01:29", "seq": 1, "actor": "customer",
     "kind": "message", "public": True},
    {"ticket_id": "T2", "at": "2024-03-11 01:40", "seq": 2, "actor": "agent", "actor_id": "a1",
     "kind": "message", "public": True},
]  # fmt: skip
LAST_DAY = Scope(window=(None, date(2024, 3, 17)))  # a Sunday


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staffing")
    warehouse, _ = clean_rows(
        folder, {"tickets": TICKETS, "ticket_events": EVENTS}, timezone="Asia/Shanghai"
    )
    return warehouse


def settings(**staffing):
    return Settings(timezone="Asia/Shanghai", staffing=staffing)


def row(plan, channel, weekday, start):
    table = plan.table.set_index(["channel", "weekday", "start"])
    return table.loc[(channel, weekday, start)]


def test_two_full_weeks_end_at_the_last_day(warehouse):
    """Data from Fri 03-01 to Sun 03-17 hold two full weeks (of the eight asked)."""
    plan = weekly_staffing(warehouse, settings(), LAST_DAY)
    assert (plan.first.isoformat(), plan.last.isoformat(), plan.weeks) == (
        "2024-03-04",
        "2024-03-17",
        2,
    )
    assert plan.channels == ["phone", "chat"]


def test_arrivals_per_interval_counted_by_hand(warehouse):
    plan = weekly_staffing(warehouse, settings(), LAST_DAY)
    assert row(plan, "phone", 1, 9 * 60)["calls"] == 1.0  # T1, T2 over 2 weeks (T6 merged)
    assert row(plan, "phone", 1, 0)["calls"] == 0.5  # T3: Sunday in UTC, Monday locally
    assert row(plan, "chat", 2, 10 * 60)["calls"] == 0.5  # week 2 had none: counts as 0
    assert row(plan, "phone", 1, 9 * 60 + 30)["calls"] == 0.0
    assert plan.table["calls"].sum() == 2.0  # T4 (after), T0 (before), T7 (email) left out
    assert len(plan.table) == 2 * 7 * 48  # every interval of the week, per channel


def test_agents_on_shift_counted_by_hand(warehouse):
    plan = weekly_staffing(warehouse, settings(), LAST_DAY)
    assert row(plan, "phone", 1, 9 * 60)["observed_agents"] == 1.0  # (2 + 0) / 2 weeks
    assert row(plan, "phone", 1, 9 * 60 + 30)["observed_agents"] == 0.5  # (0 + 1) / 2
    assert row(plan, "chat", 2, 10 * 60)["observed_agents"] == 0.0


def test_each_interval_is_staffed_as_one_interval_alone(warehouse):
    """1 phone call per 30 min at 360 s is 0.2 erlangs: one agent answers
    1 − 0.2·e^(−0.8·20/360) ≈ 80.9 % within 20 s, enough for 80 %. (No least number of
    agents on an open queue here: min_agents = 0, the formula alone.)"""
    plan = weekly_staffing(warehouse, settings(min_agents=0), LAST_DAY)
    nine = row(plan, "phone", 1, 9 * 60)
    assert nine["agents"] == 1
    assert nine["service_level"] == pytest.approx(1 - 0.2 * math.exp(-0.8 * 20 / 360))
    assert nine["gap"] == 0.0
    chat = row(plan, "chat", 2, 10 * 60)
    alone = staff_interval(0.5, 30, 600, 0.8, 20)
    assert (chat["agents"], chat["asa_seconds"]) == (alone.agents, pytest.approx(alone.asa_seconds))
    assert row(plan, "phone", 3, 12 * 60)["agents"] == 0  # no calls, no agents


def test_hourly_intervals_and_settings_from_flags(warehouse):
    plan = weekly_staffing(
        warehouse,
        settings(interval_minutes=60),
        LAST_DAY,
        overrides={"channels": ["phone"], "aht_seconds": 1800, "shrinkage": 0.5},
    )
    nine = row(plan, "phone", 1, 9 * 60)
    assert nine["calls"] == 1.0 and nine["traffic"] == 0.5  # 1 call × 1800 s / 3600 s
    assert nine["observed_agents"] == 1.5  # (2 + 1) / 2: both replies fall in 09:00–10:00
    assert nine["agents_rostered"] == 2 * nine["agents"]
    assert len(plan.table) == 7 * 24


def test_a_window_ending_before_a_week_of_data_is_refused(warehouse):
    early = Scope(window=(None, date(2024, 3, 5)))
    with pytest.raises(WarehouseError, match="less than one; import at least seven days"):
        weekly_staffing(warehouse, settings(), early)


def test_channels_without_tickets_are_refused(warehouse):
    with pytest.raises(WarehouseError, match=r"no tickets on the staffed channels \(wechat\)"):
        weekly_staffing(warehouse, settings(channels=["wechat"], aht_seconds=300), LAST_DAY)


def test_a_channel_filter_outside_the_staffed_channels_is_refused(warehouse):
    scope = Scope(window=LAST_DAY.window, filters={"channel": ["email"]})
    with pytest.raises(WarehouseError) as error:
        weekly_staffing(warehouse, settings(), scope)
    assert str(error.value) == (
        "the channel filter (email) keeps none of the staffed channels (phone, chat); list it "
        "in [staffing] channels (or --channel) to staff it"
    )


def test_the_view_names_the_short_interval(warehouse):
    """Phone on Monday 00:00 (0.5 calls) and chat on Tuesday 10:00 (0.5 calls at 600 s:
    1 − (1/6)·e^(−(5/6)·20/600) ≈ 83.8 % with one agent) each need 1 and saw nobody
    reply: 1 short each, for 30 minutes, 0.5 agent-hours a week; the earlier in the week
    first. Phone on Monday 09:00 needs 1 and saw 1: even. Monday 09:30 has no call but
    a1's reply in week 2: 0.5 seen, 0 needed, over by half an agent (min_agents = 0: the
    formula alone)."""
    plan = weekly_staffing(warehouse, settings(min_agents=0), LAST_DAY)
    stretches = gap_stretches(plan)
    short = stretches[stretches["kind"] == "short"]
    assert short[["channel", "weekday", "start", "end"]].values.tolist() == [
        ["phone", 1, 0, 30],
        ["chat", 2, 600, 630],
    ]
    assert short[["agents", "observed", "gap", "agent_hours"]].values.tolist() == [
        [1, 0.0, 1.0, 0.5],
        [1, 0.0, 1.0, 0.5],
    ]
    over = stretches[stretches["kind"] == "over"]
    assert over[["channel", "weekday", "start", "end", "gap"]].values.tolist() == [
        ["phone", 1, 570, 600, -0.5]
    ]
    # 00:30 to 09:30 on phone is even throughout (no call and nobody seen, then 09:00)
    monday = stretches[(stretches["channel"] == "phone") & (stretches["weekday"] == 1)]
    assert monday[["start", "end", "kind", "gap"]].values.tolist() == [
        [0, 30, "short", 1.0],
        [570, 600, "over", -0.5],
        [30, 570, "even", 0.0],
        [600, 1440, "even", 0.0],
    ]

    english = build_view(plan, "en")
    # lines[0]: tickets arrive on 3 of the 14 days (03-04, 03-05, 03-11), a diluted average
    assert english.lines[0].startswith("Warning: only 3 of the 14 days from 2024-03-04")
    assert english.lines[1] == (
        "Mondays 00:00–00:30: 1 phone agent short on average — 1 needed for 80 % answered "
        "in 20 s, 0 seen on shift over the last 2 weeks (0.5 agent-hours a week)."
    )
    chinese = build_view(plan, "zh")
    assert chinese.lines[1] == (
        "每周一 00:00–00:30：电话坐席平均缺 1 名——要做到 20 秒内接起 80% 需要 1 名，"
        "过去 2 周平均在岗 0 名（每周共缺 0.5 坐席小时）。"
    )
    assert [t.key for t in english.tables] == ["staffing_gaps", "staffing_plan"]
    assert len(english.figures) == 2 and "2024-03-04" in english.method
    assert "every interval of every day is planned" in english.method


def test_the_plan_table_speaks_the_readers_language(warehouse):
    plan = weekly_staffing(warehouse, settings(), LAST_DAY)
    frame = plan_frame(plan, "zh")
    assert list(frame.columns[:3]) == ["渠道", "星期", "时段"]
    # every open interval (no opening hours: all of them), each with at least the one
    # agent of min_agents; most agents then most calls first: phone Monday 09:00
    assert frame.iloc[0].tolist()[:5] == ["电话", "周一", "09:00–09:30", 1.0, 1]
    assert len(frame) == 2 * 7 * 48
    assert len(plan_frame(plan, "en", every_interval=True)) == 2 * 7 * 48


def test_every_word_exists_in_both_languages():
    assert set(WORDS["en"]) == set(WORDS["zh"])
    assert all(WORDS["zh"][key].strip() for key in WORDS["zh"])


# Opening hours: Monday opens at 09:15 (so 09:00–09:30 is partly open and planned),
# Tuesday 10:30–18:00, the rest of the week closed; Monday 2024-03-11 is a holiday.
HOURS = {"mon": ["09:15-12:00"], "tue": ["10:30-18:00"], "holidays": ["2024-03-11"]}


def open_settings(hours=HOURS, **staffing):
    return Settings(timezone="Asia/Shanghai", business_hours=hours, staffing=staffing)


def erlang_c_level(calls, aht, agents, minutes=30, within=20):
    """Service level by the textbook sum (independent of the module's recursion)."""
    traffic = calls * aht / (minutes * 60)
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    below = sum(traffic**k / math.factorial(k) for k in range(agents))
    waiting = top / (below + top)
    return 1 - waiting * math.exp(-(agents - traffic) * within / aht)


def test_only_open_intervals_are_planned(warehouse):
    plan = weekly_staffing(warehouse, open_settings(), LAST_DAY)
    assert plan.open_hours and plan.holidays == [date(2024, 3, 11)]
    opened = plan.table.set_index(["channel", "weekday", "start"])["open"]
    assert opened[("phone", 1, 9 * 60)]  # 09:00–09:30: open from 09:15, so planned
    assert not opened[("phone", 1, 8 * 60 + 30)]
    assert opened[("phone", 1, 11 * 60 + 30)] and not opened[("phone", 1, 12 * 60)]
    assert not opened[("chat", 2, 10 * 60)] and opened[("chat", 2, 10 * 60 + 30)]
    assert not opened[("phone", 3, 12 * 60)]  # Wednesday is closed all day
    # per channel: Monday 6 intervals (09:00–12:00), Tuesday 15 (10:30–18:00)
    assert opened.groupby(level="channel").sum().to_dict() == {"chat": 21, "phone": 21}


def test_closed_hours_contacts_wait_for_opening(warehouse):
    """Mondays: only 03-04 counts (03-11 is a holiday, so T2 and its reply are left out).
    T1 arrives at 09:10 (open interval); T3 at 00:05 while closed waits for 09:00–09:30.
    Tuesdays 03-05 and 03-12: T5 (chat, 10:00, closed) waits for 10:30, 1 over 2 days."""
    plan = weekly_staffing(warehouse, open_settings(), LAST_DAY)
    nine = row(plan, "phone", 1, 9 * 60)
    assert (nine["arrivals"], nine["waiting"], nine["calls"]) == (1.0, 1.0, 2.0)
    midnight = row(plan, "phone", 1, 0)
    assert (midnight["arrivals"], midnight["calls"], midnight["agents"]) == (1.0, 0.0, 0)
    assert math.isnan(midnight["gap"]) and math.isnan(midnight["service_level"])
    chat = row(plan, "chat", 2, 10 * 60 + 30)
    assert (chat["arrivals"], chat["waiting"], chat["calls"]) == (0.0, 0.5, 0.5)
    assert row(plan, "chat", 2, 10 * 60)["calls"] == 0.0
    # moved, not lost: each channel's planned contacts are its arrivals
    sums = plan.table.groupby("channel")[["arrivals", "calls"]].sum()
    assert sums.loc["phone"].tolist() == [2.0, 2.0] and sums.loc["chat"].tolist() == [0.5, 0.5]


def test_the_opening_interval_is_staffed_for_its_wait(warehouse):
    """2 calls at 360 s in 30 min (0.4 erlangs): one agent answers 61 % in 20 s, two 94 %;
    the interval's own call alone needs one. Seen: a1 and a2 on the one Monday, 2."""
    assert erlang_c_level(2, 360, 1) < 0.8 <= erlang_c_level(2, 360, 2)
    plan = weekly_staffing(warehouse, open_settings(), LAST_DAY)
    nine = row(plan, "phone", 1, 9 * 60)
    assert (nine["agents"], nine["agents_without_waiting"]) == (2, 1)
    assert nine["service_level"] == pytest.approx(erlang_c_level(2, 360, 2))
    assert (nine["observed_agents"], nine["gap"]) == (2.0, 0.0)
    assert row(plan, "phone", 1, 9 * 60 + 30)["observed_agents"] == 0.0  # 03-11: a holiday


def test_the_view_reports_the_wait_and_the_open_hours_total(warehouse):
    """Phone needs 2 agents for the one 09:00–09:30 interval: 1 agent-hour, and 2 agents
    were seen there: 1 agent-hour. Chat needs 1 agent for Tuesday 10:30–11:00. (min_agents
    = 0: the formula alone.)"""
    plan = weekly_staffing(warehouse, open_settings(min_agents=0), LAST_DAY)
    view = build_view(plan, "en")
    assert (
        "Phone: contacts that arrive while the desk is closed wait for opening, 1 a week; the "
        "most, 1, for Mondays 09:00–09:30, which then needs 2 agents (1 for its own arrivals)."
    ) in view.lines
    assert (
        "The week needs 1 agent-hour on phone; 1 seen on shift in open hours (agents "
        "replying to its tickets: one on shift who sent no reply is not seen)."
    ) in view.lines
    assert any(
        line.startswith("The week needs 0.5 agent-hours on chat; 0 seen") for line in view.lines
    )
    assert [t.key for t in view.tables] == ["staffing_gaps", "staffing_waiting", "staffing_plan"]
    waiting = view.tables[1].frame
    assert waiting.values.tolist() == [
        ["Phone", "Mon", "09:00–09:30", 1.0, 1.0, 2, 1],
        ["Chat", "Tue", "10:30–11:00", 0.5, 0.0, 1, 0],  # no own arrival: none alone
    ]
    assert "Holidays (2024-03-11) are left out" in view.method
    assert "first open interval's arrivals" in view.method
    heat = view.figures[0].data[0]  # phone: closed intervals left blank, open ones filled
    for weekday, values in enumerate(heat.z, start=1):
        for clock, value in zip(heat.x, values, strict=True):
            start = int(clock[:2]) * 60 + int(clock[3:])
            assert math.isnan(value) != bool(row(plan, "phone", weekday, start)["open"])


def test_an_overnight_shift_opens_the_next_morning_and_waits_wrap_round(warehouse):
    """Sunday 22:00–06:00 runs into Monday: T3 (Monday 00:05) arrives while open. T1 and
    T2 (Monday 09:10, 09:29) and T5 (Tuesday 10:00) arrive closed and wait for Sunday
    22:00, the next opening; the week's last opening then wraps to its first."""
    plan = weekly_staffing(warehouse, open_settings({"sun": ["22:00-06:00"]}), LAST_DAY)
    assert row(plan, "phone", 1, 0)[["arrivals", "calls"]].tolist() == [0.5, 0.5]
    assert row(plan, "phone", 7, 22 * 60)["waiting"] == 1.0
    assert row(plan, "chat", 7, 22 * 60)["waiting"] == 0.5
    assert row(plan, "phone", 1, 5 * 60 + 30)["open"] and not row(plan, "phone", 1, 6 * 60)["open"]

    monday_only = weekly_staffing(warehouse, open_settings({"mon": ["09:00-09:30"]}), LAST_DAY)
    assert row(monday_only, "chat", 1, 9 * 60)["waiting"] == 0.5  # Tuesday's T5, a week on
    assert row(monday_only, "phone", 1, 9 * 60)["waiting"] == 0.5  # T3 at 00:05, same day


def test_always_plans_every_interval_as_without_opening_hours(warehouse):
    """open_hours = "always" ignores [business_hours], holidays included: the same plan as a
    project with no opening hours."""
    always = weekly_staffing(warehouse, open_settings(open_hours="always"), LAST_DAY)
    plain = weekly_staffing(warehouse, settings(), LAST_DAY)
    assert not always.open_hours and always.holidays == []
    assert always.table["open"].all()
    assert always.table["calls"].tolist() == plain.table["calls"].tolist()
    assert always.table["waiting"].sum() == 0.0
    assert 'open_hours = "always"' in build_view(always, "en").method
    assert "每个时段都排班" in build_view(always, "zh").method


def hand_plan(rows):
    """A plan whose table is written by hand: (weekday, start hour, open, agents, seen)
    for chat in 60-minute intervals."""
    from cxlens.actions.staffing import WeeklyStaffing, check_settings

    table = pd.DataFrame(rows, columns=["weekday", "hour", "open", "agents", "observed_agents"])
    table = table.assign(
        channel="chat",
        start=table["hour"] * 60,
        calls=1.0,
        gap=(table["agents"] - table["observed_agents"]).where(table["open"]),
    )
    section = check_settings({"interval_minutes": 60})
    return WeeklyStaffing(table, date(2024, 3, 4), date(2024, 3, 17), 2, ["chat"], section)


def test_stretches_merge_same_sign_neighbours_largest_shortfall_first():
    plan = hand_plan(
        [
            (1, 9, True, 2, 1.0),  # short 1  ┐ one stretch 09–11: 3 agent-hours, 1.5 a hour
            (1, 10, True, 3, 1.0),  # short 2 ┘
            (1, 11, True, 2, 1.8),  # even (0.2)
            (1, 12, True, 2, 1.0),  # short 1, alone: the closed hour after it breaks it
            (1, 13, False, 0, 0.0),  # closed
            (1, 14, True, 2, 1.0),  # short 1, alone
            (1, 15, True, 1, 2.5),  # over 1.5
            (2, 9, True, 3, 1.0),  # Tuesday 09–11: short 2 + 2 = 4 agent-hours
            (2, 10, True, 3, 1.0),
            (2, 11, True, 1, 0.6),  # short 0.4: under half an agent, even
        ]
    )
    stretches = gap_stretches(plan)
    assert stretches[["weekday", "start", "end", "kind", "agent_hours"]].values.tolist() == [
        [2, 540, 660, "short", 4.0],
        [1, 540, 660, "short", 3.0],
        [1, 720, 780, "short", 1.0],
        [1, 840, 900, "short", 1.0],
        [1, 900, 960, "over", -1.5],
        [2, 660, 720, "even", pytest.approx(0.4)],  # even last, the larger gap first
        [1, 660, 720, "even", pytest.approx(0.2)],
    ]
    monday = stretches.iloc[1]
    assert (monday["agents_low"], monday["agents_high"], monday["gap"]) == (2, 3, 1.5)
    line = _stretch_line(WORDS["en"]["short"], next(stretches.iloc[[1]].itertuples()), plan, "en")
    assert line == (
        "Mondays 09:00–11:00: 1.5 chat agents short on average — 2–3 needed for 80 % answered "
        "in 20 s, 1 seen on shift over the last 2 weeks (3 agent-hours a week)."
    )
    line = _stretch_line(WORDS["en"]["short"], next(stretches.iloc[[2]].itertuples()), plan, "en")
    assert line.endswith("1 seen on shift over the last 2 weeks (1 agent-hour a week).")


def test_an_open_queue_keeps_min_agents(warehouse):
    """HOURS open 21 half-hours a channel (Monday 09:00–12:00: 6, Tuesday 10:30–18:00: 15).
    Phone's Monday 09:00 needs 2 by the formula (2 calls at 360 s), each other open one has
    no contact and keeps min_agents = 1: 2 + 20 = 22 agents × ½ h = 11 agent-hours; a closed
    interval needs none."""
    plan = weekly_staffing(warehouse, open_settings(), LAST_DAY)
    assert row(plan, "phone", 1, 9 * 60)["agents"] == 2
    empty = row(plan, "phone", 1, 9 * 60 + 30)
    assert (empty["calls"], empty["agents"], empty["service_level"], empty["occupancy"]) == (
        0.0,
        1,
        1.0,
        0.0,
    )
    assert row(plan, "phone", 3, 12 * 60)["agents"] == 0  # Wednesday: closed
    chat = row(plan, "chat", 2, 10 * 60 + 30)  # 0.5 waiting, no own arrival: 1 either way
    assert (chat["agents"], chat["agents_without_waiting"]) == (1, 1)

    view = build_view(plan, "en")
    assert any(
        line.startswith("The week needs 11 agent-hours on phone; 1 seen") for line in view.lines
    )
    assert len(view.tables[-1].frame) == 2 * 21  # every open interval, none dropped
    assert "keeps at least 1 agent on it ([staffing] min_agents)" in view.method
    assert "至少安排 1 名坐席" in build_view(plan, "zh").method

    two = weekly_staffing(warehouse, open_settings(min_agents=2), LAST_DAY)
    assert row(two, "phone", 1, 9 * 60 + 30)["agents"] == 2
    assert "keeps at least 2 agents on it" in build_view(two, "en").method


def test_the_view_says_which_tickets_it_covers(warehouse):
    """Data end on Sunday 03-17: two full weeks from Monday 03-04, one from 03-11."""
    assert build_view(weekly_staffing(warehouse, settings(), LAST_DAY), "en").covering == (
        "tickets created in the 2 full weeks 2024-03-04 to 2024-03-17"
    )
    opened = weekly_staffing(warehouse, open_settings(), LAST_DAY)
    assert build_view(opened, "en").covering == (
        "tickets created in the 2 full weeks 2024-03-04 to 2024-03-17, in open hours"
    )
    assert build_view(opened, "zh").covering == (
        "2024-03-04 至 2024-03-17 这 2 个完整周内新建的工单，营业时间内"
    )
    one = build_view(weekly_staffing(warehouse, settings(weeks=1), LAST_DAY), "en")
    assert one.covering == "tickets created in the 1 full week 2024-03-11 to 2024-03-17"
    assert "averaged over the 1 full week 2024-03-11" in one.method


def test_a_first_day_sets_the_weeks_learned(warehouse):
    """03-06 to 03-17 is 12 days: one full week, ending at the last day (03-11 to 03-17);
    from 03-04, 14 days: two; from 03-12, 6 days: none."""
    plan = weekly_staffing(warehouse, settings(weeks=8), LAST_DAY, since=date(2024, 3, 6))
    assert (plan.first, plan.last, plan.weeks) == (date(2024, 3, 11), date(2024, 3, 17), 1)
    plan = weekly_staffing(warehouse, settings(weeks=1), LAST_DAY, since=date(2024, 3, 4))
    assert (plan.first, plan.weeks) == (date(2024, 3, 4), 2)
    with pytest.raises(WarehouseError) as error:
        weekly_staffing(warehouse, settings(), LAST_DAY, since=date(2024, 3, 12))
    assert str(error.value).startswith(
        "staffing learns from full weeks, and 2024-03-12 to 2024-03-17 hold none"
    )


def test_no_table_of_stretches_when_every_stretch_is_even(warehouse):
    """Open only Monday 09:00–09:30: T1 and T2 arrive in it on the two Mondays, T3 (00:05)
    waits for it: 1.5 calls at 60 s, 0.05 erlangs, one agent answers 96 % in 20 s. a1 and a2
    replied there on 03-04, nobody on 03-11: 1 seen, gap 0, even."""
    plan = weekly_staffing(
        warehouse,
        open_settings({"mon": ["09:00-09:30"]}),
        LAST_DAY,
        overrides={"channels": ["phone"], "aht_seconds": 60},
    )
    nine = row(plan, "phone", 1, 9 * 60)
    assert (nine["calls"], nine["agents"], nine["observed_agents"]) == (1.5, 1, 1.0)
    view = build_view(plan, "en")
    assert [t.key for t in view.tables] == ["staffing_waiting", "staffing_plan"]
    assert (
        "No stretch of phone is half an agent or more from its need; keep the rota." in view.lines
    )


def test_one_interval_in_both_languages():
    """The CRAN README case (100 calls, 30 min, 180 s): 14 agents, 0.88835, 0.7142857,
    7.8359 s, and 20 rostered at 0.3 shrinkage."""
    from cxlens.insights.staffing import interval_lines

    result = staff_interval(100, 30, 180, shrinkage=0.3).to_json()
    assert interval_lines(result, "en") == [
        "Agents needed: 14",
        "Service level: 88.8 %",
        "Occupancy: 71.4 %",
        "Average speed of answer: 7.8 s",
        "Agents rostered after shrinkage: 20",
    ]
    assert interval_lines(result, "zh") == [
        "所需坐席：14",
        "服务水平：88.8%",
        "占用率：71.4%",
        "平均应答时间：7.8 秒",
        "计入人力损耗后的排班人数：20",
    ]


def test_a_window_holding_the_weeks_asked_is_learned_whole(warehouse):
    """The dashboard's window 03-04 to 03-17 holds 2 full weeks: with weeks = 1 both are
    learned (as --from 03-04 would), and the method calls no history longer than the
    window. The window 03-11 to 03-17 holds 1 < weeks = 2: the 2 weeks ending 03-17 are
    learned, from 03-04, before the window; all the data (to T4 on 03-18), no window: 8
    asked, 2 held."""
    whole = staffing_view(
        warehouse, settings(weeks=1), "en", Scope((date(2024, 3, 4), date(2024, 3, 17)))
    )
    assert whole.covering == "tickets created in the 2 full weeks 2024-03-04 to 2024-03-17"
    assert "the full weeks that fit from 2024-03-04 to 2024-03-17;" in whole.method
    assert "longer" not in whole.method

    short = staffing_view(
        warehouse, settings(weeks=2), "en", Scope((date(2024, 3, 11), date(2024, 3, 17)))
    )
    assert short.covering == "tickets created in the 2 full weeks 2024-03-04 to 2024-03-17"
    assert (
        "the last 2 ([staffing] weeks) ending at 2024-03-17, a longer history than the window "
        "from 2024-03-11;" in short.method
    )
    assert (
        "比所选时间范围（自 2024-03-11 起）更长"
        in staffing_view(
            warehouse, settings(weeks=2), "zh", Scope((date(2024, 3, 11), date(2024, 3, 17)))
        ).method
    )

    everything = staffing_view(warehouse, settings(), "en", Scope())
    assert "the last 8 ([staffing] weeks) ending at 2024-03-18, all the data hold;" in (
        everything.method
    )
    assert "longer" not in everything.method


def test_a_channel_without_contacts_in_the_weeks_is_not_planned(warehouse):
    """Chat's one ticket (T5) is on 03-05: the week 03-11 to 03-17 has none, so chat is
    left out with a line, phone planned alone; chat alone has nothing to plan."""
    plan = weekly_staffing(warehouse, settings(weeks=1), LAST_DAY)
    assert (plan.channels, plan.silent) == (["phone"], ["chat"])
    assert set(plan.table["channel"]) == {"phone"}
    view = build_view(plan, "en")
    assert (
        "Chat: no contacts from 2024-03-11 to 2024-03-17, the weeks learned, so not planned."
        in view.lines
    )
    assert not any("on chat" in line for line in view.lines)
    assert (
        "在线聊天在 2024-03-11 至 2024-03-17 这几周没有来量，不排班。"
        in build_view(plan, "zh").lines
    )
    with pytest.raises(WarehouseError, match="no contact on the staffed channels \\(chat\\)"):
        weekly_staffing(warehouse, settings(weeks=1, channels=["chat"]), LAST_DAY)


@pytest.mark.parametrize(("days_with_tickets", "warned"), [(3, True), (4, False)])
def test_a_week_mostly_without_contacts_is_flagged(tmp_path, days_with_tickets, warned):
    """One week (Mon 2024-03-04 to Sun 03-10, UTC) with a phone ticket at noon on the first
    3 or 4 days: 3 of 7 is under half the days, 4 of 7 is not."""
    tickets = [
        {"ticket_id": f"T{day}", "created_at": f"2024-03-{4 + day:02d} 12:00", "channel": "phone"}
        for day in range(days_with_tickets)
    ]
    tickets.append({"ticket_id": "END", "created_at": "2024-03-10 12:00", "channel": "email"})
    warehouse, _ = clean_rows(tmp_path, {"tickets": tickets})
    plan = weekly_staffing(warehouse, Settings(), overrides={"weeks": 1})
    assert (plan.first, plan.last) == (date(2024, 3, 4), date(2024, 3, 10))
    assert (plan.days, plan.days_with_contacts) == (7, days_with_tickets)
    lines = build_view(plan, "en").lines
    warning = (
        f"Warning: only {days_with_tickets} of the 7 days from 2024-03-04 to 2024-03-10 hold "
        "any contact"
    )
    assert any(line.startswith(warning) for line in lines) is warned
    assert any(line.startswith("注意：") for line in build_view(plan, "zh").lines) is warned
