"""`cxlens staffing` as a user runs it: one interval from flags, the week from the sample."""

import io
import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pandas as pd
import pytest

CXLENS = [sys.executable, "-m", "cxlens"]
WIDE = {**os.environ, "COLUMNS": "300"}  # usage errors unwrapped, to read them whole


def cx(*args, cwd):
    return subprocess.run(
        [*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False, env=WIDE
    )


def said(stream: str) -> str:
    return " ".join(stream.replace("│", " ").split())


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The bundled sample, imported and cleaned (the warehouse `cxlens run` builds, without
    the report, which this command does not read)."""
    from cxlens.pipeline import import_and_clean
    from cxlens.settings import load_settings
    from cxlens.store import Warehouse

    folder = tmp_path_factory.mktemp("staffing")
    assert cx("sample", "demo", cwd=folder).returncode == 0
    settings = load_settings(folder / "demo" / "cxlens.toml")
    import_and_clean(settings, Warehouse.for_settings(settings))
    return folder / "demo"


def test_one_interval_prints_exactly_the_four_answers(tmp_path):
    """The published case (ErlangC README on CRAN, 0.1.0): 100 calls per 30 min at 180 s need
    14 agents for 80 % in 20 s, giving 0.88835, occupancy 0.7142857, ASA 7.83593701177724 s."""
    done = cx(
        "staffing", "--calls", "100", "--interval-minutes", "30", "--aht-seconds", "180",
        "--target", "0.8", "--within-seconds", "20", "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result) == ["agents", "service_level", "occupancy", "asa_seconds"]
    assert result["agents"] == 14 and isinstance(result["agents"], int)
    assert result["service_level"] == pytest.approx(0.88835, abs=5e-6)
    assert result["occupancy"] == pytest.approx(0.7142857, abs=5e-8)
    assert result["asa_seconds"] == pytest.approx(7.83593701177724, abs=5e-15)


def test_shrinkage_and_the_occupancy_cap_add_their_counts(tmp_path):
    """The same README: agents_shrinked 20 with shrinkage 0.3 and occupancy at most 0.85."""
    done = cx(
        "staffing", "--calls", "100", "--aht-seconds", "180", "--shrinkage", "0.3",
        "--max-occupancy", "0.85", "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    result = json.loads(done.stdout)
    assert (result["agents"], result["agents_for_target"], result["agents_rostered"]) == (
        14,
        14,
        20,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--calls", "-5", "--aht-seconds", "180"),
         "Invalid value for --calls: the number of calls cannot be negative"),
        (("--calls", "100", "--aht-seconds", "0"),
         "Invalid value for --aht-seconds: the average handle time must be more than 0 seconds"),
        (("--calls", "100", "--aht-seconds", "180", "--target", "80"),
         "Invalid value for --target: 80 is not a share between 0 and 1 (exclusive); "
         "write 80 % as 0.8"),
        (("--calls", "100", "--aht-seconds", "180", "--within-seconds", "-1"),
         "Invalid value for --within-seconds: the answer time cannot be negative"),
        (("--calls", "100", "--aht-seconds", "180", "--interval-minutes", "0"),
         "Invalid value for --interval-minutes: the interval must be longer than 0 minutes"),
        (("--calls", "100"),
         "Invalid value for --aht-seconds: give the average handle time with --calls"),
        (("--calls", "100", "--aht-seconds", "180", "--shrinkage", "1"),
         "Invalid value for --shrinkage: 1 is not a share from 0 up to (not including) 1"),
        (("--calls", "100", "--aht-seconds", "180", "--max-occupancy", "1.5"),
         "Invalid value for --max-occupancy: 1.5 is not a share above 0 and at most 1"),
        (("--interval-minutes", "7"),
         "Invalid value for --interval-minutes: 7 minutes does not divide a day"),
        (("--to", "30/06/2025"), "Invalid value for --to: '30/06/2025' is not a day like"),
        (("--format", "xml"), "Invalid value for --format: use table or json or csv"),
        (("--open-hours", "24/7"),
         "Invalid value for --open-hours: '24/7': use business_hours (the desk's opening "
         "hours) or always"),
        (("--calls", "nan", "--aht-seconds", "240"),
         "Invalid value for --calls: give a number, not nan"),
        (("--calls", "inf", "--aht-seconds", "240"),
         "Invalid value for --calls: give a finite number, not inf"),
        (("--calls", "100", "--aht-seconds", "inf"),
         "Invalid value for --aht-seconds: give a finite number, not inf"),
        (("--within-seconds", "inf"),
         "Invalid value for --within-seconds: give a finite number, not inf"),
        (("--from", "2025-06-01", "--weeks", "4"),
         "Invalid value for --from: give the first day (--from) or the number of weeks "
         "(--weeks), not both"),
        (("--from", "2025-07-01", "--to", "2025-06-30"),
         "Invalid value for --from: the first day is after the last day (--to)"),
    ],
)  # fmt: skip
def test_bad_flags_exit_2_with_what_to_give(tmp_path, monkeypatch, args, message):
    from typer.testing import CliRunner

    from cxlens.cli import app

    monkeypatch.chdir(tmp_path)  # no cxlens.toml: the flags are refused before any is read
    done = CliRunner().invoke(app, ["staffing", *args], env={"COLUMNS": "300"})
    assert done.exit_code == 2
    assert message in said(done.stderr)
    assert "Traceback" not in done.stderr


def test_absurd_traffic_is_refused_at_once(tmp_path):
    """10⁹ calls at 240 s in 30 min are 133 million erlangs: refused, not searched."""
    done = cx("staffing", "--calls", "1e9", "--aht-seconds", "240", cwd=tmp_path)
    assert done.returncode == 1
    assert said(done.stderr) == (
        "Error: the traffic, 133,333,333 erlangs (calls × handle time ÷ interval), is beyond "
        "the 100,000 erlangs this plans; check the calls, the handle time (in seconds) and the "
        "interval (in minutes)"
    )


def test_one_interval_reads_in_chinese(tmp_path):
    """The CRAN README case: 14 agents, service level 0.88835, occupancy 0.7142857, ASA
    7.8359 s, printed to one decimal."""
    done = cx("staffing", "--calls", "100", "--aht-seconds", "180", "--lang", "zh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "所需坐席：14",
        "服务水平：88.8%",
        "占用率：71.4%",
        "平均应答时间：7.8 秒",
    ]


def sample_last_day(project) -> date:
    from cxlens.metrics.compute import compute_kpis
    from cxlens.settings import load_settings
    from cxlens.store import Warehouse

    settings = load_settings(project / "cxlens.toml")
    days = compute_kpis(Warehouse.for_settings(settings), settings, by=["day"], metrics=["tickets"])
    return date.fromisoformat(days["period"].max())


def test_every_open_interval_is_planned_with_an_agent(project):
    """The sample desk opens 24 half-hours on weekdays and 16 at weekends: 152 a week per
    channel, 304 for phone and chat, each with at least min_agents = 1, contacts or not;
    no stretch reads as over with 0 agents needed."""
    done = cx("staffing", "--format", "json", cwd=project)
    view = json.loads(done.stdout)
    plan = pd.DataFrame(view["tables"]["staffing_plan"])
    assert len(plan) == 2 * (5 * 24 + 2 * 16)
    assert (plan["Agents needed"] >= 1).all()
    assert (plan["Contacts per interval"] == 0).any()  # quiet open intervals are kept
    assert not any(" 0 would meet" in line for line in view["lines"])
    assert "at least 1 agent on it ([staffing] min_agents)" in view["method"]


def test_the_view_names_the_weeks_it_covers_and_from_sets_them(project):
    last = sample_last_day(project)
    done = cx("staffing", "--format", "json", "--lang", "zh", cwd=project)
    first = last - timedelta(days=55)
    assert json.loads(done.stdout)["covering"] == (
        f"{first} 至 {last} 这 8 个完整周内新建的工单，营业时间内"
    )
    since = last - timedelta(days=30)  # 31 days: 4 full weeks, ending at the last day
    done = cx("staffing", "--format", "json", "--from", since.isoformat(), cwd=project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["covering"] == (
        f"tickets created in the 4 full weeks {last - timedelta(days=27)} to {last}, in open hours"
    )


def test_the_week_from_the_sample_counts_the_tickets_the_kpis_count(project):
    """Contacts per interval × 8 weeks, summed, are the tickets the KPI engine counts on
    those 56 days (merged tickets left out in both)."""
    from cxlens.metrics.compute import compute_kpis
    from cxlens.settings import load_settings
    from cxlens.store import Warehouse

    done = cx("staffing", "--format", "csv", cwd=project)
    assert done.returncode == 0, done.stderr
    week = pd.read_csv(io.StringIO(done.stdout))
    assert len(week) == 2 * 7 * 48
    calls = week.groupby("Channel")["Contacts per interval"].sum() * 8

    settings = load_settings(project / "cxlens.toml")
    days = compute_kpis(
        Warehouse.for_settings(settings), settings, by=["day", "channel"], metrics=["tickets"]
    )
    last = date.fromisoformat(days["period"].max())
    window = days[days["period"] >= (last - timedelta(days=55)).isoformat()]
    tickets = window.assign(channel=window["group"].map(lambda g: g["channel"]))
    counted = tickets.groupby("channel")["value"].sum()
    assert calls["Phone"] == pytest.approx(counted["phone"])
    assert calls["Chat"] == pytest.approx(counted["chat"])


def test_the_week_as_json_in_chinese(project):
    done = cx("staffing", "--format", "json", "--lang", "zh", cwd=project)
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert view["title"] == "排班与服务水平" and view["missing"] is None
    assert set(view["tables"]) == {"staffing_gaps", "staffing_waiting", "staffing_plan"}
    plan = pd.DataFrame(view["tables"]["staffing_plan"])
    assert (plan["所需坐席"] >= 1).all()  # every interval with contacts needs someone
    assert (plan["服务水平"] >= 0.8).all()
    assert view["lines"] and "Erlang C" in view["method"]


def test_the_table_reads_what_to_change(project):
    done = cx("staffing", "--top", "5", cwd=project)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    last = sample_last_day(project)
    assert lines[0] == (
        f"Staffing for the SLA (tickets created in the 8 full weeks "
        f"{last - timedelta(days=55)} to {last}, in open hours)"
    )
    assert "short on average" in lines[1] and "needed for 80 % answered in 20 s" in lines[1]
    assert any(line.startswith("- The week needs ") for line in lines)


def test_the_sample_desk_is_planned_only_in_its_opening_hours(project):
    """The sample desk opens 09:00–21:00 on weekdays and 10:00–18:00 at weekends
    (demo/cxlens.toml): 24 + 16 half-hours a day. Nothing is planned outside them, and the
    contacts that arrive while it is closed are moved to an opening, not lost."""
    done = cx("staffing", "--format", "csv", cwd=project)
    week = pd.read_csv(io.StringIO(done.stdout))
    starts = week["Interval"].str[:2].astype(int) * 60 + week["Interval"].str[3:5].astype(int)
    weekend = week["Weekday"].isin(["Sat", "Sun"])
    expected = ((~weekend) & starts.between(540, 1260 - 30)) | (
        weekend & starts.between(600, 1080 - 30)
    )
    assert week["Open"].tolist() == expected.tolist()
    closed = week[~week["Open"]]
    assert (closed["Agents needed"] == 0).all() and (closed["Contacts per interval"] == 0).all()
    assert closed["Contacts arriving"].sum() > 0  # the sample has night-time contacts
    totals = week.groupby("Channel")[["Contacts arriving", "Contacts per interval"]].sum()
    assert totals["Contacts per interval"].to_numpy() == pytest.approx(
        totals["Contacts arriving"].to_numpy()
    )
    waiting = week[week["Waiting for opening"] > 0]
    assert set(waiting["Interval"]) == {"09:00–09:30", "10:00–10:30"}  # each day's opening

    always = cx("staffing", "--format", "csv", "--open-hours", "always", cwd=project)
    every = pd.read_csv(io.StringIO(always.stdout))
    assert "Open" not in every.columns  # every interval planned: nothing to mark
    assert every["Contacts per interval"].sum() == pytest.approx(week["Contacts arriving"].sum())
