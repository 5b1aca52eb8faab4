"""Business-hours first response against calendar-time first response, at scale.

    python benchmarks/bench_business.py                  # 1,000,000 tickets with events
    python benchmarks/bench_business.py --tickets 200000

Synthetic raw tables (tickets and about four events per ticket over two years, in the
importer's layout) are written once into ``benchmarks/data``. Each step runs in its own
child process, so that its peak memory (VmHWM) is its own; times are wall-clock after
imports. Steps, all on the same data in the same run:

- clean, calendar: ``clean_warehouse`` without ``[business_hours]`` (first response from
  the events in calendar time; the business columns stay NULL);
- clean, business: the same with Mon–Fri 09:00–17:00 in Europe/Berlin and holidays
  (adds the business calendar and the ASOF-joined business minutes);
- first response alone: from the same instants (clock start, reply) of every ticket,
  the median/p90/mean in calendar minutes (an epoch difference) against the same in
  business minutes (calendar table written, two ASOF joins);
- KPIs: ``compute_kpis`` of the first-response statistics, calendar against business.

This is not a test: the machine is shared and seconds vary, so read the ratios.
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

HOURS = {day: ["09:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu")} | {
    "fri": ["09:00-16:00"],
    "holidays": ["2023-12-25", "2023-12-26", "2024-01-01", "2024-12-25", "2024-12-26"],
}
ZONE = "Europe/Berlin"


def generate(tickets: int, folder: Path) -> Path:
    """A warehouse holding ``raw_tickets`` and ``raw_ticket_events`` (SQL, seconds)."""
    import duckdb

    from cxlens.schema import DUCKDB_TYPES, TABLES

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"business_{tickets}.duckdb"
    if path.exists():
        return path
    con = duckdb.connect(str(path))
    for name in ("tickets", "ticket_events"):
        columns = [f'"{c.name}" {DUCKDB_TYPES[c.type]}' for c in TABLES[name].columns]
        columns += ["_source VARCHAR", "_row BIGINT", "_batch BIGINT"]
        con.execute(f"CREATE TABLE raw_{name} ({', '.join(columns)})")
    con.execute("SELECT setseed(0.25)")
    con.execute(
        """CREATE TEMP TABLE base AS SELECT i,
            TIMESTAMP '2023-01-01' + to_seconds((random() * 730 * 86400)::BIGINT) AS created,
            to_seconds((exp(6.5 + 1.2 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())))
                ::BIGINT) AS wait,
            to_seconds((exp(9 + sqrt(-2 * ln(random())) * cos(2 * pi() * random())))::BIGINT)
                AS work,
            random() < 0.3 AS acked, random() < 0.03 AS still_open,
            ['low', 'normal', 'high', 'urgent'][1 + (random() * 4)::INT % 4] AS priority
        FROM range(?) r(i)""",
        [tickets],
    )
    con.execute(
        """INSERT INTO raw_tickets (ticket_id, created_at, priority, status, channel,
            agent_id, _source, _row, _batch)
        SELECT 'T' || i, created, priority, CASE WHEN still_open THEN 'open' ELSE 'solved' END,
            'email', 'A' || (i % 200), 'bench', i + 2, 1 FROM base"""
    )
    con.execute(
        """INSERT INTO raw_ticket_events (ticket_id, "at", seq, actor, kind, public, status_to,
            _source, _row, _batch)
        SELECT 'T' || i, event_at, seq, actor, kind, true, status_to, 'bench', 0, 1 FROM (
            SELECT i, created AS event_at, 1 AS seq, 'customer' AS actor, 'message' AS kind,
                NULL AS status_to FROM base
            UNION ALL SELECT i, created + INTERVAL 5 SECOND, 2, 'bot', 'message', NULL
                FROM base WHERE acked
            UNION ALL SELECT i, created + wait, 3, 'agent', 'message', NULL FROM base
            UNION ALL SELECT i, created + wait + work, 4, 'agent', 'status', 'solved'
                FROM base WHERE NOT still_open)"""
    )
    con.execute("UPDATE raw_ticket_events SET _row = rowid + 2")
    con.close()
    return path


def child(step: str, path: Path) -> dict[str, float]:
    """Run one step in a fresh interpreter; return its seconds and peak MB."""
    code = textwrap.dedent(
        f"""
        import json, sys, time
        sys.path.insert(0, {str(HERE)!r})
        from bench_business import run_step
        print(json.dumps(run_step({step!r}, {str(path)!r})))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"step {step} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_step(step: str, path: str) -> dict[str, float]:
    """One measured step (called in the child); imports happen before the clock starts."""
    import time

    import duckdb  # noqa: F401
    import ibis  # noqa: F401
    import pandas  # noqa: F401

    from cxlens.clean import clean_warehouse
    from cxlens.metrics import compute_kpis
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

    warehouse = Warehouse(path)
    business = step.endswith("business")
    settings = Settings(root=Path(path).parent, timezone=ZONE,
                        business_hours=HOURS if business else {})  # fmt: skip
    stem = "first_response_business" if business else "first_response"
    began = time.perf_counter()
    if step.startswith("clean"):
        clean_warehouse(warehouse, settings)
    elif step.startswith("kpi"):
        compute_kpis(warehouse, settings, metrics=[f"{stem}_{s}_min" for s in
                                                   ("median", "p90", "mean")])  # fmt: skip
    else:
        began = _first_response_alone(warehouse, settings, business)
    return {"seconds": time.perf_counter() - began, "peak_mb": peak_mb()}


def _first_response_alone(warehouse, settings, business: bool) -> float:
    """The statistics from each ticket's (start, reply) instants; returns the clock start."""
    import time

    from cxlens.clean import business as calendar

    with warehouse.connect() as con:
        con.execute(
            "CREATE TEMP TABLE instants AS SELECT created_at AS s, created_at + "
            "to_microseconds(round(first_response_min * 60e6)::BIGINT) AS e FROM tickets "
            "WHERE first_response_min IS NOT NULL"
        )
        began = time.perf_counter()
        if business:
            first, last = con.execute("SELECT min(s), max(e) FROM instants").fetchall()[0]
            cal = calendar.business_calendar(settings)
            calendar.write_intervals(con, cal, first, last)
            minutes = f"({calendar.business_minutes(con, 'instants', 's', 'e')})"
            column = "business_min"
        else:
            minutes, column = "(SELECT (epoch(e) - epoch(s)) / 60 AS m FROM instants)", "m"
        con.execute(
            f"SELECT median({column}), quantile_cont({column}, 0.9), avg({column}) FROM {minutes}"
        ).fetchall()
        return began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    path = generate(args.tickets, DATA)
    print(f"{args.tickets:,} tickets with events ({path.name}); zone {ZONE}")
    rows = []
    for label, stem in (("clean", "clean"), ("first response alone", "alone"),
                        ("KPIs (median, p90, mean)", "kpi")):  # fmt: skip
        calendar = child(f"{stem}_calendar", path)
        business = child(f"{stem}_business", path)
        ratio = business["seconds"] / calendar["seconds"]
        rows.append((label, calendar, business, ratio))
    print(f"{'step':28} {'calendar s':>10} {'MB':>6} {'business s':>10} {'MB':>6} {'ratio':>6}")
    for label, calendar, business, ratio in rows:
        print(
            f"{label:28} {calendar['seconds']:10.2f} {calendar['peak_mb']:6.0f} "
            f"{business['seconds']:10.2f} {business['peak_mb']:6.0f} {ratio:5.2f}x"
        )


if __name__ == "__main__":
    main()
