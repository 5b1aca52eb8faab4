"""The week's staffing from a tiny hand-made warehouse, counted by hand.

The project's time zone is Asia/Shanghai (UTC+8): the raw times below are UTC, and each
comment gives the local time that decides the weekday and the interval.
"""

import math
from datetime import date

import pytest

from cxlens.actions.staffing import staff_interval, weekly_staffing
from cxlens.errors import WarehouseError
from cxlens.insights.actions import Scope
from cxlens.insights.staffing import WORDS, build_view, gap_stretches, plan_frame
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
    1 − 0.2·e^(−0.8·20/360) ≈ 80.9 % within 20 s, enough for 80 %."""
    plan = weekly_staffing(warehouse, settings(), LAST_DAY)
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
    reply: 1 short each, the earlier in the week first. Phone on Monday 09:00 needs 1 and
    saw 1: no gap."""
    plan = weekly_staffing(warehouse, settings(), LAST_DAY)
    stretches = gap_stretches(plan)
    short = stretches[stretches["gap"] >= 1]
    assert short[["channel", "weekday", "start", "end"]].values.tolist() == [
        ["phone", 1, 0, 30],
        ["chat", 2, 600, 630],
    ]
    assert short[["agents", "observed", "gap"]].values.tolist() == [[1, 0.0, 1.0], [1, 0.0, 1.0]]
    nine = stretches[(stretches["channel"] == "phone") & (stretches["start"] == 540)]
    assert nine["gap"].tolist() == [0.0]

    english = build_view(plan, "en")
    assert english.lines[0] == (
        "Mondays 00:00–00:30 need 1 phone agent for 80 % answered in 20 s; the last 2 weeks "
        "averaged 0 on shift — 1 short."
    )
    chinese = build_view(plan, "zh")
    assert chinese.lines[0] == (
        "每周一 00:00–00:30 需要 1 名电话坐席，才能做到 20 秒内接起 80%；过去 2 周平均在岗 0 名，"
        "缺 1 名。"
    )
    assert [t.key for t in english.tables] == ["staffing_gaps", "staffing_plan"]
    assert len(english.figures) == 2 and "2024-03-04" in english.method


def test_the_plan_table_speaks_the_readers_language(warehouse):
    plan = weekly_staffing(warehouse, settings(), LAST_DAY)
    frame = plan_frame(plan, "zh")
    assert list(frame.columns[:3]) == ["渠道", "星期", "时段"]
    # intervals with calls only, most agents then most calls first: phone Monday 09:00
    assert frame.iloc[0].tolist()[:5] == ["电话", "周一", "09:00–09:30", 1.0, 1]
    assert len(frame) == 3
    assert len(plan_frame(plan, "en", every_interval=True)) == 2 * 7 * 48


def test_every_word_exists_in_both_languages():
    assert set(WORDS["en"]) == set(WORDS["zh"])
    assert all(WORDS["zh"][key].strip() for key in WORDS["zh"])
