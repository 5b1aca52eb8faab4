"""`cxlens bottlenecks` on the bundled sample, as a user runs it (subprocesses).

The ticket time and the time waiting for a first reply are recomputed here with plain
pandas from the cleaned warehouse's tickets and events: a ticket counts from creation
until its last solve (status solved or closed; a customer message on a solved ticket
reopens it) or, while open, until the latest time in the data; the first-reply wait is
the counted time before the first public message of a human agent.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

CXLENS = [sys.executable, "-m", "cxlens"]


def cx(*args, cwd):
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bottlenecks")
    assert cx("sample", "demo", cwd=folder).returncode == 0
    # import and clean as `cxlens run` does, without writing the report (not needed here)
    from cxlens.pipeline import import_and_clean
    from cxlens.settings import load_settings
    from cxlens.store import Warehouse

    settings = load_settings(folder / "demo" / "cxlens.toml")
    import_and_clean(settings, Warehouse.for_settings(settings))
    return folder / "demo"


@pytest.fixture(scope="module")
def by_pandas(project):
    """Per ticket: counted hours and first-reply hours, and its local creation day."""
    with duckdb.connect(str(project / "cxlens.duckdb"), read_only=True) as con:
        tickets = con.execute(
            "SELECT ticket_id, created_at, created_at_local, solved_at, closed_at, is_merged "
            "FROM tickets"
        ).df()
        events = con.execute(
            'SELECT ticket_id, "at", seq, actor, kind, public, status_to FROM ticket_events'
        ).df()
    data_end = max(
        tickets[["created_at", "solved_at", "closed_at"]].max().max(), events["at"].max()
    )
    tickets = tickets[~tickets["is_merged"].fillna(False)]
    tickets = tickets[tickets["ticket_id"].isin(events["ticket_id"])].set_index("ticket_id")

    events = events[events["ticket_id"].isin(tickets.index)].copy()
    created = events["ticket_id"].map(tickets["created_at"])
    events["at"] = np.maximum(events["at"], created)
    starts = pd.DataFrame({"ticket_id": tickets.index, "at": tickets["created_at"].to_numpy()})
    rows = pd.concat([starts.assign(order=-1), events.rename(columns={"seq": "order"})])
    rows = rows.sort_values(["ticket_id", "at", "order"], kind="stable").reset_index(drop=True)

    status = rows["status_to"].where(rows["kind"] == "status")
    customer = (rows["actor"] == "customer") & (rows["kind"] == "message")
    # the latest of (a status, a customer message) so far, and the latest status
    mark = pd.Series(np.where(status.notna(), "status", np.where(customer, "customer", None)))
    rows["mark"] = mark.groupby(rows["ticket_id"]).ffill()
    rows["status_now"] = status.groupby(rows["ticket_id"]).ffill()
    solved = (rows["status_now"] == "closed") | (
        (rows["status_now"] == "solved") & (rows["mark"] == "status")
    )
    reply = (rows["actor"] == "agent") & (rows["kind"] == "message") & rows["public"].fillna(True)
    replied = reply.astype(bool).groupby(rows["ticket_id"]).cummax()
    following = rows.groupby("ticket_id")["at"].shift(-1).fillna(data_end)
    hours = (following - rows["at"]).dt.total_seconds() / 3600
    counted = hours.where(~solved, 0.0)
    out = pd.DataFrame(
        {
            "total": counted.groupby(rows["ticket_id"]).sum(),
            "first_reply": counted.where(~replied, 0.0).groupby(rows["ticket_id"]).sum(),
        }
    )
    out["created_local"] = tickets["created_at_local"]
    return out


def pareto_csv(project, *args) -> pd.DataFrame:
    done = cx("bottlenecks", "--format", "csv", *args, cwd=project)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(io.StringIO(done.stdout))


def test_the_pareto_holds_all_ticket_time_as_pandas_counts_it(project, by_pandas):
    rows = pareto_csv(project)
    assert rows["total_hours"].sum() == pytest.approx(by_pandas["total"].sum(), rel=1e-9)
    first_reply = rows.loc[rows["stage"] == "first_reply", "total_hours"].sum()
    assert first_reply == pytest.approx(by_pandas["first_reply"].sum(), rel=1e-9)
    # ranked largest first; the cumulative share ends at the whole
    assert rows["total_hours"].is_monotonic_decreasing
    assert rows["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert rows["share"].sum() == pytest.approx(1.0)
    vital = rows[rows["vital"]]
    assert vital["share"].sum() >= 0.8 > vital["share"].iloc[:-1].sum()


def test_the_window_counts_the_tickets_created_in_it(project, by_pandas):
    rows = pareto_csv(project, "--from", "2025-01-01", "--to", "2025-03-31", "--by", "channel")
    days = by_pandas["created_local"]
    inside = by_pandas[(days >= datetime(2025, 1, 1)) & (days < datetime(2025, 4, 1))]
    assert rows["total_hours"].sum() == pytest.approx(inside["total"].sum(), rel=1e-9)
    assert set(rows["dimension"]) == {"channel"}


def test_the_view_as_json_leads_with_the_biggest_bottleneck(project):
    done = cx("bottlenecks", "--format", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert view["action"] == "bottlenecks" and view["missing"] is None
    assert set(view["tables"]) == {
        "bottlenecks_pareto",
        "bottlenecks_bounces",
        "bottlenecks_shares",
    }
    top = view["tables"]["bottlenecks_pareto"][0]
    assert f"{top['Total hours']:,.0f} h" in view["lines"][0]
    assert "biggest single bottleneck" in view["lines"][0]
    assert view["covering"] == "tickets created at any time"  # no --from / --to given
    assert "in the window" not in " ".join(view["lines"])
    shares = pd.DataFrame(view["tables"]["bottlenecks_shares"])
    stage_columns = ["waiting for the first reply", "agent work", "waiting on the customer"]
    sums = shares[[*stage_columns, "on hold"]].sum(axis=1)
    assert sums.to_numpy() == pytest.approx(np.ones(len(shares)))


def test_the_view_speaks_chinese(project):
    done = cx("bottlenecks", "--lang", "zh", "--by", "priority", "--top", "3", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("流程瓶颈")
    assert "最大的单一瓶颈" in done.stdout and "优先级" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--by", "team"), "Invalid value for --by: use category, channel, priority"),
        (("--from", "2025-02-30"), "'2025-02-30' is not a day like 2025-06-30"),
        (("--from", "2025-03-01", "--to", "2025-01-01"), "2025-01-01 is before --from"),
        (("--format", "xml"), "Invalid value for --format: use table or json or csv"),
    ],
)
def test_bad_flags_say_what_to_give(args, message):
    from typer.testing import CliRunner

    from cxlens.cli import app

    done = CliRunner().invoke(app, ["bottlenecks", *args])
    assert done.exit_code == 2
    assert message in " ".join(done.output.replace("│", " ").split())
