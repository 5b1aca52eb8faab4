"""KPI filters and the date window, on real DuckDB files built through the importer.

Filters are checked by a second method: warehouse A holds a small ticket, event, survey,
customer and subscription set; warehouse B holds only the rows a filter keeps, imported
and cleaned the same way. ``compute_kpis(A, filters=...)`` must equal ``compute_kpis(B)``
for every KPI and period. Both sets share two anchor tickets (the data's first and last
times) that every filter keeps, so both warehouses span the same periods.

The window is checked on a handful of tickets and responses whose counts and medians
are worked out by hand in the comments. On the bundled sample, a channel filter must
give the rows that grouping by channel gives for that channel (a consistency check).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.clean import clean_warehouse
from cxlens.errors import ConfigError
from cxlens.ingest import import_file
from cxlens.metrics import compute_kpis
from cxlens.settings import Settings
from cxlens.store import Warehouse

MINUTE = pd.Timedelta(minutes=1)
START = pd.Timestamp("2024-01-01 00:00")  # the first anchor's creation: the data's start
SOLVED = [
    f"{stem}_{stat}_min" for stem in ("resolution",) for stat in ("median", "p90", "mean")
] + ["fcr", "reopen_rate"]
FIRST_REPLY = [f"first_response_{stat}_min" for stat in ("median", "p90", "mean")]


def build(folder: Path, frames: dict[str, pd.DataFrame]) -> tuple[Warehouse, Settings]:
    """A warehouse of ``frames`` written as CSV files, imported and cleaned."""
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = Warehouse(folder / "cxlens.duckdb")
    for table, frame in frames.items():
        path = folder / f"{table}.csv"
        frame.to_csv(path, index=False)
        import_file(warehouse, path, table=table)
    settings = Settings(root=folder, timezone="UTC")
    clean_warehouse(warehouse, settings)
    return warehouse, settings


def stamp(times: pd.Series) -> pd.Series:
    return times.dt.strftime("%Y-%m-%d %H:%M")


def service_data() -> dict[str, pd.DataFrame]:
    """A small service history (Jan–Mar 2024), with the truth of who answered and solved.

    Tickets ``anchor-first`` and ``anchor-last`` hold the data's first and last times; they
    are email tickets of an SMB customer, answered and solved by agent a1.
    """
    rng = np.random.default_rng(11)
    count = 40
    created = (
        START
        + pd.Timedelta(days=1)
        + pd.to_timedelta(np.sort(rng.integers(0, 86 * 24 * 60, count)), unit="m")
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": [f"t{i:02d}" for i in range(count)],
            "created_at": created,
            "customer_id": rng.choice(["c1", "c2", "c3", "c4", "c5", "c6"], count),
            "channel": rng.choice(["email", "chat", "phone", "web"], count),
            "category": rng.choice(["billing", "delivery"], count),
            "agent_id": rng.choice(["a1", "a2", "a3"], count),
            "responder": rng.choice(["a1", "a2", "a3"], count),
            "solver": rng.choice(["a1", "a2", "a3", None], count, p=[0.3, 0.3, 0.25, 0.15]),
            "reply_min": rng.integers(3, 1600, count),  # some miss the 24 h target
            "solve_min": rng.integers(1700, 5000, count),
            "reopened": rng.random(count) < 0.25,
            "extra_replies": rng.integers(0, 3, count),
        }
    )
    anchors = pd.DataFrame(
        {
            "ticket_id": ["anchor-first", "anchor-last"],
            "created_at": [START, pd.Timestamp("2024-03-31 20:00")],
            "customer_id": ["c1", "c1"],
            "channel": ["email", "email"],
            "category": ["billing", "billing"],
            "agent_id": ["a1", "a1"],
            "responder": ["a1", "a1"],
            "solver": ["a1", "a1"],
            "reply_min": [30, 60],
            "solve_min": [90, 120],
            "reopened": [False, False],
            "extra_replies": [0, 0],
        }
    )
    truth = pd.concat([anchors, tickets], ignore_index=True)
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
                "segment": ["smb", "smb", "enterprise", "enterprise", "smb", None],
            }
        ),
        "tickets": truth,
        "ticket_events": _events(truth),
        "survey_responses": _responses(truth, rng),
        "subscriptions": pd.DataFrame(
            {
                "subscription_id": [f"s{i}" for i in range(1, 7)],
                "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
                "started_at": ["2024-01-01 00:00"] * 3 + ["2024-01-15 00:00"] * 3,
                "ended_at": [
                    None,
                    "2024-02-10 00:00",
                    "2024-03-05 00:00",
                    None,
                    "2024-03-20 00:00",
                    "2024-02-01 00:00",
                ],
            }
        ),  # fmt: skip
    }


def _events(truth: pd.DataFrame) -> pd.DataFrame:
    """Per ticket: the customer writes, the responder replies (plus extra replies), the
    solver solves; a reopened ticket is solved, written to again and solved once more."""
    rows = []
    for t in truth.itertuples():  # building test input row by row, not product code
        at = t.created_at
        replied = at + t.reply_min * MINUTE
        rows.append((t.ticket_id, at, 1, "customer", "c", "message", True, None))
        rows.append((t.ticket_id, replied, 2, "agent", t.responder, "message", True, None))
        for k in range(t.extra_replies):
            rows.append((t.ticket_id, replied + (k + 1) * MINUTE, 3 + k, "agent", t.responder,
                         "message", True, None))  # fmt: skip
        if t.solver is None:
            continue
        solved = at + t.solve_min * MINUTE
        if t.reopened:
            rows.append((t.ticket_id, solved - 60 * MINUTE, 10, "agent", t.solver, "status",
                         False, "solved"))  # fmt: skip
            rows.append((t.ticket_id, solved - 30 * MINUTE, 11, "customer", "c", "message",
                         True, None))  # fmt: skip
        rows.append((t.ticket_id, solved, 12, "agent", t.solver, "status", False, "solved"))
    events = pd.DataFrame(
        rows,
        columns=["ticket_id", "at", "seq", "actor", "actor_id", "kind", "public", "status_to"],
    )
    return events.assign(at=stamp(events["at"]))


def _responses(truth: pd.DataFrame, rng) -> pd.DataFrame:
    """CSAT (1–5) and NPS answers on most tickets; some give their own channel, one has no
    ticket (only its customer and channel)."""
    rated = truth[truth["ticket_id"].str.startswith("t")].iloc[::2]
    n = len(rated)
    own_channel = rng.choice(["", "email", "chat"], n, p=[0.6, 0.2, 0.2])
    responses = pd.DataFrame(
        {
            "response_id": [f"r{i:02d}" for i in range(n)],
            "kind": np.where(np.arange(n) % 3 == 0, "nps", "csat"),
            "score": np.where(np.arange(n) % 3 == 0, rng.integers(0, 11, n),
                              rng.integers(1, 6, n)),
            "customer_id": rated["customer_id"].to_numpy(),
            "ticket_id": rated["ticket_id"].to_numpy(),
            "channel": own_channel,
            "responded_at": stamp(rated["created_at"] + pd.Timedelta(hours=30)),
        }
    )  # fmt: skip
    loose = pd.DataFrame(
        {"response_id": ["r-loose"], "kind": ["csat"], "score": [2], "customer_id": ["c3"],
         "ticket_id": [""], "channel": ["chat"], "responded_at": ["2024-02-14 12:00"]}
    )  # fmt: skip
    return pd.concat([responses, loose], ignore_index=True)


def ticket_file(truth: pd.DataFrame) -> pd.DataFrame:
    """The tickets as an export gives them (the truth columns left out)."""
    columns = ["ticket_id", "created_at", "customer_id", "channel", "category", "agent_id"]
    return truth[columns].assign(created_at=stamp(truth["created_at"]))


def exported(data: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {**data, "tickets": ticket_file(data["tickets"])}


def keep(data: dict[str, pd.DataFrame], tickets, responses=None, customers=None) -> dict:
    """The rows of ``data`` a filter keeps: the given tickets (and their events), responses
    (default: those of the kept tickets) and customers (default: all)."""
    kept = data["tickets"][tickets]
    ids = set(kept["ticket_id"])
    answers = data["survey_responses"]
    answers = answers[answers["ticket_id"].isin(ids) if responses is None else responses]
    people = data["customers"] if customers is None else data["customers"][customers]
    out = {
        "customers": people,
        "tickets": kept,
        "ticket_events": data["ticket_events"][data["ticket_events"]["ticket_id"].isin(ids)],
        "survey_responses": answers,
        "subscriptions": data["subscriptions"][
            data["subscriptions"]["customer_id"].isin(set(people["customer_id"]))
        ],
    }
    return exported(out)


def assert_same(filtered: pd.DataFrame, direct: pd.DataFrame) -> None:
    """The same KPI rows (value, n, interval), KPIs of A with no record in B aside.

    A KPI computed on A but not on B (its column holds values only in rows the filter
    drops) must have n 0 and no value in every row.
    """
    key = ["metric", "period"]
    only = filtered[~filtered["metric"].isin(set(direct["metric"]))]
    assert (only["n"] == 0).all() and only["value"].isna().all(), only
    left = filtered[filtered["metric"].isin(set(direct["metric"]))]
    left, right = left.set_index(key).sort_index(), direct.set_index(key).sort_index()
    assert list(left.index) == list(right.index)
    assert (left["n"] == right["n"]).all(), pd.concat([left["n"], right["n"]], axis=1)
    for column in ("value", "ci_low", "ci_high"):
        np.testing.assert_allclose(
            left[column].to_numpy(float), right[column].to_numpy(float), rtol=1e-9, err_msg=column
        )


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The full service history (warehouse A), its settings and its rows."""
    data = service_data()
    warehouse, settings = build(tmp_path_factory.mktemp("service") / "a", exported(data))
    return warehouse, settings, data


@pytest.mark.parametrize("by", [["month"], []])
def test_a_channel_filter_equals_a_warehouse_of_those_channels(service, tmp_path, by):
    warehouse, settings, data = service
    chosen = ["email", "chat"]
    tickets = data["tickets"]["channel"].isin(chosen)
    # a response's channel is its own, else its ticket's
    answers = data["survey_responses"]
    ticket_channel = answers["ticket_id"].map(data["tickets"].set_index("ticket_id")["channel"])
    channel = answers["channel"].where(answers["channel"] != "", ticket_channel)
    b, b_settings = build(tmp_path / "b", keep(data, tickets, responses=channel.isin(chosen)))

    filtered = compute_kpis(warehouse, settings, by, filters={"channel": chosen})
    direct = compute_kpis(b, b_settings, by)
    assert {"tickets", "backlog", "csat", "nps", "fcr", "resolution_median_min"} <= set(
        direct["metric"]
    )
    customer_side = {"churn_rate", "retention_rate"}  # split by segment only: left out
    assert customer_side <= set(direct["metric"]) and not customer_side & set(filtered["metric"])
    assert_same(filtered, direct[~direct["metric"].isin(customer_side)])


def test_a_segment_filter_equals_a_warehouse_of_that_segment(service, tmp_path):
    warehouse, settings, data = service
    smb = set(data["customers"].loc[data["customers"]["segment"] == "smb", "customer_id"])
    tickets = data["tickets"]["customer_id"].isin(smb)
    answers = data["survey_responses"]["customer_id"].isin(smb)
    customers = data["customers"]["customer_id"].isin(smb)
    b, b_settings = build(tmp_path / "b", keep(data, tickets, answers, customers))

    filtered = compute_kpis(warehouse, settings, ["month"], filters={"segment": ["smb"]})
    direct = compute_kpis(b, b_settings, ["month"])
    assert {"tickets", "csat", "churn_rate", "retention_rate"} <= set(direct["metric"])
    assert_same(filtered, direct)


@pytest.mark.parametrize(("truth", "metrics"), [("solver", SOLVED), ("responder", FIRST_REPLY)])
def test_an_agent_filter_keeps_the_credited_agents_tickets(service, tmp_path, truth, metrics):
    # resolutions, FCR and reopens go to the solver, first responses to the first human
    # reply: warehouse B holds only the tickets a2 solved (or answered first), and the
    # anchors (which hold the data's ends) as tickets nobody answered or solved
    warehouse, settings, data = service
    agent = "a2"
    anchor = data["tickets"]["ticket_id"].str.startswith("anchor")
    b_data = keep(data, (data["tickets"][truth] == agent) | anchor)
    events = b_data["ticket_events"]
    untouched = ~events["ticket_id"].str.startswith("anchor") | (events["seq"] == 1)
    b_data["ticket_events"] = events[untouched]
    b, b_settings = build(tmp_path / "b", b_data)

    filtered = compute_kpis(warehouse, settings, ["month"], metrics, filters={"agent": [agent]})
    direct = compute_kpis(b, b_settings, ["month"], metrics)
    assert set(direct["metric"]) == set(metrics) and direct["n"].sum() > 0
    assert_same(filtered, direct)


# The window's warehouse (UTC): window 1–29 Feb 2024.
#   ticket created            first reply  solved            in the window as
#   w1     10 Jan 09:00       +30 min      10 Jan 10:00      -
#   w2     31 Jan 23:00       -            open              backlog only (created before)
#   w3      2 Feb 08:00       +10 min      2 Feb 08:30       created, solved (30 min)
#   w4     10 Feb 12:00       +20 min      5 Mar 12:00       created; open at the window's end
#   w5     29 Feb 23:59       +5 min       1 Mar 00:09       created; open at the window's end
#   w6      1 Mar 00:00       +15 min      1 Mar 01:00       - (the day after the last day)
#   w7     20 Jan 00:00       +60 min      5 Feb 10:00       solved (23,640 min)
WINDOW = (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
WINDOW_TICKETS = """\
ticket_id,created_at,channel,agent_id,status,first_response_at,solved_at
w1,2024-01-10 09:00,email,a1,solved,2024-01-10 09:30,2024-01-10 10:00
w2,2024-01-31 23:00,email,a1,open,,
w3,2024-02-02 08:00,chat,a2,solved,2024-02-02 08:10,2024-02-02 08:30
w4,2024-02-10 12:00,email,a2,solved,2024-02-10 12:20,2024-03-05 12:00
w5,2024-02-29 23:59,chat,a1,solved,2024-03-01 00:04,2024-03-01 00:09
w6,2024-03-01 00:00,email,a1,solved,2024-03-01 00:15,2024-03-01 01:00
w7,2024-01-20 00:00,email,a2,solved,2024-01-20 01:00,2024-02-05 10:00
"""
# CSAT 1–5 (4 and 5 satisfied) on each side of both ends of the window.
WINDOW_RESPONSES = """\
response_id,kind,score,ticket_id,responded_at
v1,csat,5,w2,2024-01-31 23:59
v2,csat,2,w3,2024-02-01 00:00
v3,csat,4,w4,2024-02-29 23:59
v4,csat,1,w5,2024-03-01 00:00
"""
Z = 1.959963984540054  # the 97.5 % point of the standard normal


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def windowed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("window")
    warehouse = Warehouse(folder / "cxlens.duckdb")
    import_file(warehouse, write(folder / "t.csv", WINDOW_TICKETS), table="tickets")
    import_file(warehouse, write(folder / "r.csv", WINDOW_RESPONSES), table="survey_responses")
    settings = Settings(root=folder, timezone="UTC")
    clean_warehouse(warehouse, settings)
    return warehouse, settings


def row(frame: pd.DataFrame, metric: str, period: str = "all"):
    hits = frame[(frame["metric"] == metric) & (frame["period"] == period)]
    assert len(hits) == 1, f"{metric} {period}: {len(hits)} rows"
    return hits.iloc[0]


def test_a_window_counts_records_whose_period_time_falls_in_it(windowed):
    warehouse, settings = windowed
    frame = compute_kpis(warehouse, settings, window=WINDOW)
    # created 1–29 Feb: w3, w4, w5 (w6 at 1 Mar 00:00 is the day after)
    assert (row(frame, "tickets").value, row(frame, "tickets").n) == (3, 3)
    # their first replies: 10, 20, 5 minutes → median 10
    first = row(frame, "first_response_median_min")
    assert (first.value, first.n) == (10, 3)
    # solved 1–29 Feb: w3 (30 min) and w7 (20 Jan 00:00 → 5 Feb 10:00: 16 d 10 h)
    solved = row(frame, "resolution_median_min")
    assert (solved.value, solved.n) == ((30 + (16 * 24 + 10) * 60) / 2, 2)
    # responses 1 Feb 00:00 (2) and 29 Feb 23:59 (4): one satisfied of two
    csat = row(frame, "csat")
    assert (csat.value, csat.n) == (0.5, 2)
    # Wilson at k = 1, n = 2: the centre stays at 1/2; half-width z/(1 + z²/n) ·
    # sqrt(p(1 − p)/n + z²/(4n²))
    half = Z / (1 + Z**2 / 2) * math.sqrt(0.25 / 2 + Z**2 / 16)
    assert (csat.ci_low, csat.ci_high) == (pytest.approx(0.5 - half), pytest.approx(0.5 + half))


def test_the_backlog_with_a_window_counts_tickets_opened_before_it(windowed):
    warehouse, settings = windowed
    frame = compute_kpis(warehouse, settings, metrics=["backlog"], window=WINDOW)
    # open at the end of 29 Feb: created by then w1 w2 w3 w4 w5 w7, solved by then w1 w3 w7
    # → w2 (created in January), w4 and w5
    assert (row(frame, "backlog").value, row(frame, "backlog").n) == (3, 3)
    # with only a first day the window runs to the data's end: only w2 is still open
    late = compute_kpis(
        warehouse, settings, metrics=["backlog"], window=(dt.date(2024, 2, 1), None)
    )
    assert row(late, "backlog").value == 1


def test_a_window_keeps_only_the_periods_it_overlaps(windowed):
    warehouse, settings = windowed
    monthly = compute_kpis(warehouse, settings, ["month"], ["tickets", "backlog"], window=WINDOW)
    # the data runs January to March; the window covers February only
    assert sorted(set(monthly["period"])) == ["2024-02"]
    assert row(monthly, "tickets", "2024-02").value == 3
    assert row(monthly, "backlog", "2024-02").value == 3
    daily = compute_kpis(
        warehouse, settings, ["day"], ["tickets"], window=(dt.date(2024, 2, 1), dt.date(2024, 2, 3))
    )
    assert list(daily["period"]) == ["2024-02-01", "2024-02-02", "2024-02-03"]
    assert list(daily["n"]) == [0, 1, 0]  # w3 on 2 Feb


def test_a_window_ending_before_it_starts_is_refused(windowed):
    warehouse, settings = windowed
    with pytest.raises(ConfigError, match="2024-03-01 is after the last day 2024-02-01"):
        compute_kpis(warehouse, settings, window=(dt.date(2024, 3, 1), dt.date(2024, 2, 1)))


def test_an_unknown_filter_dimension_is_refused_with_the_known_ones(windowed):
    warehouse, settings = windowed
    with pytest.raises(ConfigError, match="unknown dimension.*country.*channel, category"):
        compute_kpis(warehouse, settings, filters={"country": ["cn"]})


def test_churn_in_a_window_counts_the_churns_within_it(tmp_path):
    # window 1–29 Feb; the data ends on 20 Mar (c6's end)
    #   c1 smb  5 Jan – 10 Feb   lost in the window
    #   c2 smb  5 Jan – open     active
    #   c3 smb  5 Jan – 20 Jan   lost before the window: out
    #   c4 ent 15 Feb – 10 Mar   joined inside the window: not active at its start, out
    #   c5 ent  5 Mar – open     joined after the window: out
    #   c6 ent  1 Jan – 20 Mar   lost after the window: active in it
    subscriptions = """\
subscription_id,customer_id,started_at,ended_at
s1,c1,2024-01-05 00:00,2024-02-10 00:00
s2,c2,2024-01-05 00:00,
s3,c3,2024-01-05 00:00,2024-01-20 00:00
s4,c4,2024-02-15 00:00,2024-03-10 00:00
s5,c5,2024-03-05 00:00,
s6,c6,2024-01-01 00:00,2024-03-20 00:00
"""
    customers = "customer_id,segment\nc1,smb\nc2,smb\nc3,smb\nc4,ent\nc5,ent\nc6,ent\n"
    warehouse = Warehouse(tmp_path / "cxlens.duckdb")
    import_file(warehouse, write(tmp_path / "s.csv", subscriptions), table="subscriptions")
    import_file(warehouse, write(tmp_path / "c.csv", customers), table="customers")
    settings = Settings(root=tmp_path, timezone="UTC")
    clean_warehouse(warehouse, settings)
    churn = row(
        compute_kpis(warehouse, settings, metrics=["churn_rate"], window=WINDOW), "churn_rate"
    )
    # the window is the period: customers active at its start, as a month counts them
    assert (churn.value, churn.n) == (1 / 3, 3)  # c1 of c1 c2 c6
    smb = compute_kpis(
        warehouse, settings, metrics=["churn_rate"], filters={"segment": ["smb"]}, window=WINDOW
    )
    assert (row(smb, "churn_rate").value, row(smb, "churn_rate").n) == (1 / 2, 2)  # c1 of c1 c2


@pytest.mark.parametrize("dimension", ["channel", "agent"])
def test_an_injection_attempt_matches_nothing_and_changes_nothing(windowed, dimension):
    warehouse, settings = windowed
    before = compute_kpis(warehouse, settings, ["month"])
    attempts = ["x' OR 1=1 --", "x'); DROP TABLE tickets; --"]
    frame = compute_kpis(warehouse, settings, filters={dimension: attempts})
    assert len(frame) and (frame["n"] == 0).all()
    assert row(frame, "tickets").value == 0  # no ticket matches: a count of 0
    assert frame.loc[frame["metric"] != "tickets", "value"].isna().all()
    pd.testing.assert_frame_equal(compute_kpis(warehouse, settings, ["month"]), before)
    # the filter still works on the next call: the email tickets are w1 w2 w4 w6 w7
    email = compute_kpis(warehouse, settings, metrics=["tickets"], filters={"channel": ["email"]})
    assert row(email, "tickets").value == 5


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample project (seed 7), imported and cleaned in this process."""
    from cxlens.pipeline import import_and_clean
    from cxlens.sample import write_sample_project
    from cxlens.settings import load_settings

    config = write_sample_project(tmp_path_factory.mktemp("sample") / "project")
    settings = load_settings(config)
    warehouse = Warehouse(settings.warehouse_path)
    import_and_clean(settings, warehouse)
    return warehouse, settings


def test_a_channel_filter_on_the_sample_gives_that_channels_grouped_rows(sample):
    warehouse, settings = sample
    metrics = ["tickets", "csat", "fcr"]
    grouped = compute_kpis(warehouse, settings, ["month", "channel"], metrics)
    channels = pd.Series([group["channel"] for group in grouped["group"]])
    channel = channels.value_counts().index[1]  # a channel that is not the largest
    mine = grouped[(channels == channel).to_numpy()].drop(columns="group")
    filtered = compute_kpis(warehouse, settings, ["month"], metrics, filters={"channel": [channel]})
    assert mine["n"].sum() > 0
    assert_same(filtered.drop(columns="group"), mine)


def test_the_report_figures_honour_the_filter(sample):
    # a consistency check: the report's trend is the filtered compute_kpis, its channel
    # breakdown holds the one channel kept, and the figures differ from the unfiltered ones
    from cxlens.insights import build_insights

    warehouse, settings = sample
    insights = build_insights(warehouse, settings, filters={"channel": ["email"]})
    direct = compute_kpis(
        warehouse, settings, ["month"], ["tickets"], filters={"channel": ["email"]}
    )
    monthly = direct.set_index("period")["value"]
    trend = insights.trends[insights.trends["metric"] == "tickets"].set_index("period")["value"]
    assert len(trend) and (trend == monthly.reindex(trend.index)).all()
    unfiltered = build_insights(warehouse, settings, insights.month)
    assert unfiltered.reading("tickets").value > insights.reading("tickets").value
    by_channel = [b for b in insights.breakdowns if b.dimension == "channel"]
    assert len(by_channel) == 1 and set(by_channel[0].rows["key"]) == {"email"}
    every = [b for b in unfiltered.breakdowns if b.dimension == "channel"]
    assert len(every) == 1 and len(every[0].keys) > 1  # unfiltered: every channel
