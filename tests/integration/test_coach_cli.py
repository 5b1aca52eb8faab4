"""`cxlens coach` on the bundled sample, as a user runs it (subprocesses).

Every flag's value, n and interval are recomputed here from the warehouse with plain SQL
(the KPI's records: the solver's solved tickets, the first responder's answered tickets)
and statsmodels / numpy; the records the plan reads must count what compute_kpis counts.
"""

import io
import json
import subprocess
import sys
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

CXLENS = [sys.executable, "-m", "cxlens"]
WINDOW = ("2025-04-01", "2025-06-30")  # 91 days: the [coaching] lookback of 90 days fits


def cx(*args, cwd):
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coach")
    assert cx("sample", "demo", cwd=folder).returncode == 0
    done = cx("run", "--silent", "--out", "out", cwd=folder / "demo")
    assert done.returncode == 0, done.stderr
    return folder / "demo"


@pytest.fixture(scope="module")
def plan_rows(project):
    args = ("coach", "--from", WINDOW[0], "--to", WINDOW[1])
    done = cx(*args, "--format", "csv", "--out", "plan", cwd=project)
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(io.StringIO(done.stdout), dtype={"agent": str})
    written = (project / "plan" / "coaching_plan.csv").read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")  # a byte-order mark for Excel
    return rows


def solved(con, agent, category):
    """The agent's tickets solved in the window, in the category: FCR and reopen outcomes
    and resolution minutes, written from the KPI definitions (docs/kpis.md)."""
    return con.execute(
        """
        SELECT ticket_id, resolution_min,
               coalesce(reopens, 0) = 0 AND coalesce(customer_contacts, agent_replies) <= 1
                   AS first_contact,
               coalesce(reopens, 0) >= 1 AS reopened
        FROM tickets
        WHERE NOT is_merged AND is_solved AND solved_by_agent_id = ? AND category = ?
          AND greatest(solved_at_local, created_at_local) >= ?
          AND greatest(solved_at_local, created_at_local) < ?
        """,
        [agent, category, date.fromisoformat(WINDOW[0]), date(2025, 7, 1)],
    ).df()


def test_the_sample_flags_its_two_weak_agents(plan_rows):
    # docs/sample-data.md: A07 (Messaging) and A14 (Technical) are clearly slow, reopen
    # more tickets and get lower CSAT; A03 is the best: never flagged
    agents = plan_rows[plan_rows["level"] == "agent"]
    assert set(agents["agent"]) == {"A07", "A14"}
    assert agents.groupby("agent")["topic_rank"].max().tolist() == [3.0, 3.0]


def test_rate_flags_recomputed_from_sql(plan_rows, project):
    from statsmodels.stats.proportion import proportion_confint

    rates = plan_rows[(plan_rows["level"] == "agent") & plan_rows["kpi"].isin(["fcr", "reopen_rate"])
                      & (plan_rows["dimension"] == "category")]  # fmt: skip
    assert len(rates) > 0
    with duckdb.connect(str(project / "cxlens.duckdb"), read_only=True) as con:
        for row in rates.itertuples():
            tickets = solved(con, row.agent, row.item)
            outcome = tickets["first_contact" if row.kpi == "fcr" else "reopened"]
            assert row.n == len(tickets)
            assert row.value == pytest.approx(outcome.mean())
            low, high = proportion_confint(
                int(outcome.sum()), len(tickets), alpha=1 - row.confidence, method="wilson"
            )
            assert (row.ci_low, row.ci_high) == (pytest.approx(low), pytest.approx(high))
            assert row.examples.split(" ")[0] in set(
                tickets["ticket_id"][~outcome.astype(bool) if row.kpi == "fcr" else outcome]
            )


def test_time_flags_recomputed_from_sql(plan_rows, project):
    times = plan_rows[(plan_rows["level"] == "agent")
                      & (plan_rows["kpi"] == "resolution_median_min")
                      & (plan_rows["dimension"] == "category")]  # fmt: skip
    assert len(times) > 0
    with duckdb.connect(str(project / "cxlens.duckdb"), read_only=True) as con:
        for row in times.itertuples():
            minutes = np.sort(solved(con, row.agent, row.item)["resolution_min"].dropna())
            assert row.n == len(minutes)
            assert row.value == pytest.approx(np.median(minutes))
            assert row.ci_low in minutes and row.ci_high in minutes  # order statistics
            slowest = solved(con, row.agent, row.item).nlargest(1, "resolution_min")
            assert row.examples.split(" ")[0] == slowest["ticket_id"].iloc[0]


def test_the_records_count_what_compute_kpis_counts(project):
    from cxlens.actions import coaching
    from cxlens.metrics.compute import compute_kpis
    from cxlens.settings import load_settings
    from cxlens.store import Warehouse

    settings = load_settings(project / "cxlens.toml")
    warehouse = Warehouse.for_settings(settings, None)
    span = (date.fromisoformat(WINDOW[0]), date.fromisoformat(WINDOW[1]))
    with warehouse.connect(read_only=True) as con:
        records = coaching._records(con, coaching._columns(con), settings, span, {})
    counted = (
        records.dropna(subset=["agent", "category"]).groupby(["kpi", "agent", "category"]).size()
    )
    kpis = compute_kpis(warehouse, settings, by=["agent", "category"],
                        metrics=[m.kpi for m in coaching.MEASURES], window=span)  # fmt: skip
    groups = pd.DataFrame(list(kpis["group"]))
    kpis = kpis.assign(agent=groups["agent"], category=groups["category"])
    kpis = kpis.dropna(subset=["agent", "category"])
    kpis = kpis[kpis["n"] > 0].set_index(["metric", "agent", "category"])["n"]
    kpis.index.names = counted.index.names
    pd.testing.assert_series_equal(
        counted.sort_index(), kpis.sort_index().astype(counted.dtype), check_names=False
    )


def test_json_view_and_chinese(project):
    done = cx("coach", "--from", WINDOW[0], "--to", WINDOW[1], "--format", "json",
              "--lang", "zh", "--agent", "A07", cwd=project)  # fmt: skip
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert view["title"] == "坐席辅导计划"
    assert any(
        line.startswith("坐席 Huang Chao 黄超（Messaging）：重点辅导") for line in view["lines"]
    )
    assert {row["坐席"] for row in view["tables"]["coaching_flags_rates"]} == {"Huang Chao 黄超"}


def test_bad_flags_and_settings_are_explained(project, tmp_path):
    done = cx("coach", "--from", "April", cwd=project)
    assert done.returncode == 2 and "'April' is not a day like 2025-06-30" in done.stderr
    done = cx("coach", "--format", "xml", cwd=project)
    assert done.returncode == 2 and "use table or json or csv" in done.stderr
    toml = (project / "cxlens.toml").read_text(encoding="utf-8")
    bad = tmp_path / "cxlens.toml"
    bad.write_text(toml + "\n[coaching]\nmin_n = 0\n", encoding="utf-8")
    done = cx("coach", "--config", str(bad), "--db", str(project / "cxlens.duckdb"), cwd=project)
    assert done.returncode == 1
    assert "[coaching] min_n = 0: it must be a whole number of records, at least 1" in done.stderr
