"""Import, cleaning and KPI speed at scale, as ratios against baselines run in the same process.

    python benchmarks/bench_pipeline.py                 # 1,000,000 tickets, 300,000 responses
    python benchmarks/bench_pipeline.py --tickets 10000000 --responses 3000000

Each measurement runs in its own child process so that its peak memory (max RSS) is its
own; the time is the wall-clock time of the work inside the child, after imports.
Baselines: a bare DuckDB ``read_csv`` of the same ticket file; one hand-written DuckDB
query of the core ticket KPIs by month and channel; the same KPIs in plain pandas.
This is not a test: machines here are noisy, so read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

CHANNELS = ["email", "phone", "chat", "wechat", "web"]
CATEGORIES = ["delivery", "refund", "installation", "defect", "account", "billing"]


def generate(tickets: int, responses: int, folder: Path) -> tuple[Path, Path]:
    """Write a canonical ticket file and a survey file (vectorised; seconds per million)."""
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    ticket_path = folder / f"tickets_{tickets}.csv"
    survey_path = folder / f"surveys_{responses}.csv"
    if ticket_path.exists() and survey_path.exists():
        return ticket_path, survey_path

    rng = np.random.default_rng(1)
    start = np.datetime64("2023-01-01T00:00:00")
    created = start + rng.integers(0, 730 * 86400, tickets).astype("timedelta64[s]")
    first = created + rng.lognormal(6.5, 1.2, tickets).astype("timedelta64[s]")
    solved = first + rng.lognormal(9.0, 1.3, tickets).astype("timedelta64[s]")
    open_ = rng.random(tickets) < 0.03
    frame = pd.DataFrame(
        {
            "ticket_id": np.char.add("T", np.arange(tickets).astype(str)),
            "created_at": pd.Series(created).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "customer_id": np.char.add("C", rng.integers(0, tickets // 8, tickets).astype(str)),
            "channel": np.array(CHANNELS)[rng.integers(0, len(CHANNELS), tickets)],
            "category": np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), tickets)],
            "priority": np.array(["low", "normal", "high", "urgent"])[rng.integers(0, 4, tickets)],
            "status": np.where(open_, "open", "solved"),
            "agent_id": np.char.add("A", rng.integers(0, 200, tickets).astype(str)),
            "team": np.char.add("team-", rng.integers(0, 8, tickets).astype(str)),
            "first_response_at": pd.Series(first).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "solved_at": pd.Series(solved).dt.strftime("%Y-%m-%d %H:%M:%S").where(~open_, ""),
            "reopens": (rng.random(tickets) < 0.08).astype(int),
            "agent_replies": rng.integers(1, 6, tickets),
        }
    )
    frame.to_csv(ticket_path, index=False)

    linked = rng.integers(0, tickets, responses)
    kind = np.where(rng.random(responses) < 0.7, "csat", "nps")
    score = np.where(kind == "csat", rng.integers(1, 6, responses), rng.integers(0, 11, responses))
    surveys = pd.DataFrame(
        {
            "response_id": np.char.add("R", np.arange(responses).astype(str)),
            "kind": kind,
            "score": score,
            "ticket_id": np.char.add("T", linked.astype(str)),
            "responded_at": pd.Series(solved[linked] + np.timedelta64(3600, "s")).dt.strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
        }
    )
    surveys.to_csv(survey_path, index=False)
    return ticket_path, survey_path


STEPS = {
    "bare_read_csv": """
        import duckdb
        con = duckdb.connect(str(WORK / "bare.duckdb"))
        start()
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('{TICKETS}')")
    """,
    "cxlens_import_clean": """
        from cxlens.clean import clean_warehouse
        from cxlens.ingest import import_file
        from cxlens.settings import Settings
        from cxlens.store import Warehouse
        (WORK / "cx.duckdb").unlink(missing_ok=True)
        warehouse = Warehouse(WORK / "cx.duckdb")
        start()
        import_file(warehouse, TICKETS, table="tickets", timezone="UTC")
        clean_warehouse(warehouse, Settings(timezone="UTC"))
    """,
    "cxlens_kpi_suite": """
        import ibis.backends.duckdb  # the KPI suite's library, imported before start() as the
        import pandas                # baselines import theirs (cxlens imports it lazily)
        from cxlens.clean import clean_warehouse
        from cxlens.ingest import import_file
        from cxlens.metrics import compute_kpis
        from cxlens.settings import Settings
        from cxlens.store import Warehouse
        warehouse = Warehouse(WORK / "cx.duckdb")
        settings = Settings(timezone="UTC")
        import_file(warehouse, SURVEYS, table="survey_responses", timezone="UTC")
        clean_warehouse(warehouse, settings)
        start()
        compute_kpis(warehouse, settings, by=["month", "channel"])
    """,
    "hand_written_sql": """
        import duckdb
        con = duckdb.connect(str(WORK / "cx.duckdb"), read_only=True)
        start()
        con.execute('''
            SELECT strftime(created_at_local, '%Y-%m') AS month, channel,
                   count(*) AS tickets,
                   quantile_cont(first_response_min, 0.5) AS frt_median,
                   quantile_cont(first_response_min, 0.9) AS frt_p90,
                   avg(first_response_min) AS frt_mean,
                   quantile_cont(resolution_min, 0.5) AS res_median,
                   avg(CASE WHEN reopens > 0 THEN 1.0 ELSE 0.0 END)
                       FILTER (WHERE is_solved) AS reopen_rate
            FROM tickets WHERE NOT is_merged GROUP BY ALL
        ''').fetchall()
    """,
    "plain_pandas": """
        import pandas as pd
        frame = pd.read_parquet(WORK / "tickets.parquet")
        start()
        frame["month"] = frame["created_at_local"].dt.strftime("%Y-%m")
        frame["reopened"] = (frame["reopens"] > 0).astype(float)
        groups = frame.groupby(["month", "channel"])
        result = groups.agg(
            tickets=("ticket_id", "size"),
            frt_median=("first_response_min", "median"),
            frt_p90=("first_response_min", lambda s: s.quantile(0.9)),
            frt_mean=("first_response_min", "mean"),
            res_median=("resolution_min", "median"),
        )
        reopen = frame[frame["is_solved"]].groupby(["month", "channel"])["reopened"].mean()
    """,
}

PRELUDE = """
import json, resource, time
from pathlib import Path
WORK = Path({work!r}); TICKETS = Path({tickets!r}); SURVEYS = Path({surveys!r})
_t = [0.0]
def start():
    _t[0] = time.perf_counter()
"""

# Peak memory from /proc (VmHWM, this program's own high-water mark): on Linux ru_maxrss
# keeps the parent's peak across fork and exec, so after generating 10 million rows every
# step would report the generator's memory.
EPILOGUE = """
seconds = time.perf_counter() - _t[0]
try:
    status = Path("/proc/self/status").read_text().splitlines()
    peak_mb = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))
"""


def measure(step: str, tickets: Path, surveys: Path) -> dict[str, float]:
    code = PRELUDE.format(work=str(DATA), tickets=str(tickets), surveys=str(surveys))
    code += textwrap.dedent(STEPS[step]) + EPILOGUE
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{step} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def export_for_pandas() -> None:
    import duckdb

    con = duckdb.connect(str(DATA / "cx.duckdb"), read_only=True)
    con.execute(
        "COPY (SELECT ticket_id, channel, created_at_local, first_response_min, resolution_min,"
        " reopens, is_solved FROM tickets WHERE NOT is_merged)"
        f" TO '{DATA / 'tickets.parquet'}' (FORMAT parquet)"
    )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--responses", type=int, default=300_000)
    args = parser.parse_args()

    tickets, surveys = generate(args.tickets, args.responses, DATA)
    size_mb = tickets.stat().st_size / 2**20
    print(f"{args.tickets:,} tickets ({size_mb:.0f} MB CSV), {args.responses:,} responses")

    results = {}
    for step in ("bare_read_csv", "cxlens_import_clean", "cxlens_kpi_suite"):
        results[step] = measure(step, tickets, surveys)
    export_for_pandas()
    for step in ("hand_written_sql", "plain_pandas"):
        results[step] = measure(step, tickets, surveys)

    for step, r in results.items():
        print(f"  {step:22s} {r['seconds']:8.2f} s   peak {r['peak_mb']:7.0f} MB")
    ratio_import = results["cxlens_import_clean"]["seconds"] / results["bare_read_csv"]["seconds"]
    ratio_sql = results["cxlens_kpi_suite"]["seconds"] / results["hand_written_sql"]["seconds"]
    ratio_pandas = results["cxlens_kpi_suite"]["seconds"] / results["plain_pandas"]["seconds"]
    print(f"import+clean / bare read_csv : {ratio_import:5.2f}x   (aim: within 4x, < 1.5 GB)")
    print(f"KPI suite / hand-written SQL : {ratio_sql:5.2f}x   (aim: within 2x)")
    print(f"KPI suite / plain pandas     : {ratio_pandas:5.2f}x   (aim: below 1x)")


if __name__ == "__main__":
    main()
