"""The six actions' views at 1,000,000 tickets, as ratios to the KPI suite by month.

    python benchmarks/bench_actions.py                      # 1,000,000 tickets, 300,000 responses
    python benchmarks/bench_actions.py --tickets 200000     # responses: 30 % of tickets
    python benchmarks/bench_actions.py --profile staffing   # cProfile that action (default: slowest)
    python benchmarks/bench_actions.py --actions coaching --memory-gb 16

The warehouse is bench_serve's: ``build_warehouse`` imports and cleans, through the
product, the files ``bench_pipeline.generate`` writes, and keeps the result in
``benchmarks/data/serve_<tickets>_<responses>.duckdb``. Those builders make tickets, SLA
clocks and survey scores only: no ticket events, no survey comments, no orders or
customers. Actions that need them answer ``missing``; the table prints the reason, and
their time is then the time the view takes to find out.

Each action's view (``cxlens.insights.actions.action_view``, English) is measured for two
scopes, all the data and the latest complete month, each in its own child process so
its peak memory is its own. In the child: imports (not timed); the baseline, which is
``compute_kpis`` by month over every KPI (what ``/api/v1/kpis?by=month`` asks), once to
warm the file and the libraries, then best of ``--repeat``, with its peak memory (VmHWM,
reset first through ``/proc/self/clear_refs``); then the view, best of ``--repeat`` (once
if it takes 10 s), with its own peak (reset again; a peak is the whole process's,
interpreter and libraries included). The ratio view / baseline comes from one process
at one moment, so load on the shared machine weighs on both alike. Coaching and other
views that look back a fixed number of days ending at the window's last day read about
as much for the month as for all the data. Then one view, the slowest by ratio unless
``--profile`` names another, runs under cProfile in a further child, and its heaviest
functions are printed: by own time, then cxlens's own functions by cumulative time.

The machine is shared: a child whose resident memory passes ``--memory-gb`` (default 6)
or whose run passes ``--timeout`` seconds is killed, and its row says how far it got.

This is not a test and asserts nothing: read the ratios and the load average beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_serve import build_warehouse

ACTION_KEYS = ("coaching", "bottlenecks", "staffing", "tiers", "topics", "alerts")
SCOPES = ("all", "month")
ONCE_SECONDS = 10.0  # a view this slow is timed once, not best of --repeat


# --- in the child ---------------------------------------------------------------------------


def project(path: Path):
    """Settings and warehouse as ``cxlens <command> --db <path>`` has them: the settings
    the file was cleaned with, completed with every action's defaults."""
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

    warehouse = Warehouse(path)
    stored = warehouse.stored_settings()
    if stored is None:
        raise SystemExit(f"{path} holds no stored settings; delete it so that it is rebuilt")
    return Settings.from_stored(stored, str(path)), warehouse


def scope_of(name: str, warehouse):
    """The Scope called ``name``: all the data, or the report's month (the latest complete
    month of ticket creation, as ``cxlens.insights.periods`` picks it)."""
    from datetime import timedelta

    from cxlens.insights.actions import Scope
    from cxlens.insights.periods import latest_complete_month, month_bounds

    if name == "all":
        return Scope()
    with warehouse.connect(read_only=True) as con:
        newest = con.execute("SELECT max(created_at_local)::DATE FROM tickets").fetchone()[0]
        months = con.execute(
            "SELECT DISTINCT strftime(created_at_local, '%Y-%m') FROM tickets"
        ).fetchall()
    month, _partial = latest_complete_month(newest, {label for (label,) in months})
    start, end = month_bounds(month)
    return Scope(window=(start.date(), (end - timedelta(days=1)).date()))


def peak_mb() -> float:
    """This process's peak resident memory since the last reset, in MB."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def reset_peak() -> None:
    """Start a new peak: writing 5 to clear_refs resets VmHWM to the current RSS (Linux)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure_child(key: str, scope_name: str, path: Path, repeat: int) -> dict:
    """The baseline once to warm up, then best of ``repeat``; then the view, best of
    ``repeat`` (once when it takes ``ONCE_SECONDS`` or more); figures as one JSON object."""
    import importlib

    from cxlens.insights.actions import ACTIONS, action_view
    from cxlens.metrics.compute import compute_kpis

    started = time.perf_counter()
    importlib.import_module("plotly.graph_objects")  # every view draws its figures with it
    importlib.import_module(ACTIONS[key].split(":")[0])
    import_seconds = time.perf_counter() - started
    settings, warehouse = project(path)
    scope = scope_of(scope_name, warehouse)

    def baseline() -> float:
        started = time.perf_counter()
        compute_kpis(warehouse, settings, by=["month"])
        return time.perf_counter() - started

    baseline_first = baseline()
    reset_peak()
    baseline_seconds = min(baseline() for _ in range(repeat))
    baseline_peak = peak_mb()

    reset_peak()
    times = []
    while len(times) < repeat and sum(times) < ONCE_SECONDS:
        started = time.perf_counter()
        view = action_view(key, warehouse, settings, "en", scope)
        times.append(time.perf_counter() - started)
    seconds = min(times)
    return {
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "baseline_seconds": baseline_seconds,
        "baseline_first_seconds": baseline_first,
        "baseline_peak_mb": baseline_peak,
        "import_seconds": import_seconds,
        "runs": len(times),
        "window": [str(day) for day in scope.window] if scope.window else None,
        "missing": view.missing,
        "lines": len(view.lines),
        "rows": sum(len(table.frame) for table in view.tables),
    }


def profile_child(key: str, scope_name: str, path: Path, top: int) -> None:
    """cProfile of one view: the ``top`` functions by own time, then by cumulative time
    among cxlens's own functions (where the time is spent, and which of our code
    spends it)."""
    import cProfile
    import pstats

    from cxlens.insights.actions import action_view

    settings, warehouse = project(path)
    scope = scope_of(scope_name, warehouse)
    profiler = cProfile.Profile()
    profiler.runcall(action_view, key, warehouse, settings, "en", scope)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("cxlens", top * 2)


# --- in the parent --------------------------------------------------------------------------


class Stopped(Exception):
    """A child passed the memory or time limit and was stopped."""


def run_child(*arguments: str, limits: argparse.Namespace) -> str:
    """This script in a fresh interpreter, with ``arguments`` after ``--child``; its stdout.

    The child's resident memory is read every quarter second: past
    ``limits.memory_gb`` (or ``limits.timeout`` seconds) it is killed and ``Stopped``
    says when, so that one view cannot take the memory of a shared machine.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *arguments]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started, highest = time.monotonic(), 0.0
    while True:
        try:
            out, err = child.communicate(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            highest = max(highest, resident_mb(child.pid))
            elapsed = time.monotonic() - started
            if highest > limits.memory_gb * 1024 or elapsed > limits.timeout:
                child.kill()
                child.communicate()
                raise Stopped(
                    f"stopped after {elapsed:.0f} s at {highest:,.0f} MB resident (limits: "
                    f"{limits.memory_gb:g} GB, {limits.timeout:.0f} s)"
                ) from None
    if child.returncode != 0:
        raise Stopped((err.strip().splitlines() or ["no output"])[-1])
    return out


def resident_mb(pid: int) -> float:
    """A running process's resident memory (VmRSS), in MB; 0 once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0) / 1024


def measure(key: str, scope_name: str, path: Path, limits: argparse.Namespace) -> dict:
    try:
        out = run_child("measure", key, scope_name, str(path), str(limits.repeat), limits=limits)
    except Stopped as stop:
        return {"failed": str(stop)}
    return json.loads(out.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def show(results: dict[tuple[str, str], dict]) -> None:
    """The table: view seconds, the baseline beside it, the ratio, peak memory, outcome."""
    print(
        f"  {'action':12s} {'scope':6s} {'view s':>8s} {'baseline s':>10s} {'ratio':>7s}"
        f" {'peak MB':>8s} {'base MB':>8s}  outcome"
    )
    for (key, scope_name), r in results.items():
        if "failed" in r:
            print(f"  {key:12s} {scope_name:6s} {r['failed'][:200]}")
            continue
        outcome = (
            f"missing: {r['missing'][:90]}"
            if r["missing"]
            else f"{r['lines']} lines, {r['rows']} table rows"
        )
        print(
            f"  {key:12s} {scope_name:6s} {r['seconds']:8.2f} {r['baseline_seconds']:10.2f}"
            f" {r['seconds'] / r['baseline_seconds']:6.2f}x {r['peak_mb']:8.0f}"
            f" {r['baseline_peak_mb']:8.0f}  {outcome}"
        )


def slowest(results: dict[tuple[str, str], dict]) -> tuple[str, str] | None:
    """The (action, scope) with the highest ratio among views that computed something."""
    ratios = {
        case: r["seconds"] / r["baseline_seconds"]
        for case, r in results.items()
        if "failed" not in r and not r["missing"]
    }
    return max(ratios, key=ratios.get) if ratios else None


def profiled(text: str, parser: argparse.ArgumentParser) -> tuple[str, str]:
    """(action, scope) named by ``--profile`` as ``action`` or ``action:scope``."""
    key, _, scope_name = text.partition(":")
    if key not in ACTION_KEYS or (scope_name or "all") not in SCOPES:
        parser.error(
            f"--profile {text}: use an action ({', '.join(ACTION_KEYS)}), optionally "
            f"followed by :all or :month"
        )
    return key, scope_name or "all"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--responses", type=int, help="default: 30 %% of --tickets")
    parser.add_argument("--actions", nargs="+", choices=ACTION_KEYS, default=list(ACTION_KEYS))
    parser.add_argument("--profile", help="action[:all|month] to profile (default: slowest)")
    parser.add_argument("--no-profile", action="store_true", help="profile nothing")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--top", type=int, default=5, help="functions shown by the profile")
    parser.add_argument(
        "--memory-gb", type=float, default=6.0, help="stop a child past this resident memory"
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="stop a child after this")
    args = parser.parse_args()
    if args.profile:
        profiled(args.profile, parser)  # a bad name fails before the long runs
    responses = args.responses if args.responses is not None else args.tickets * 3 // 10

    path = build_warehouse(args.tickets, responses)
    size_mb = path.stat().st_size / 2**20
    print(f"{args.tickets:,} tickets, {responses:,} responses ({size_mb:.0f} MB warehouse)")
    print(f"load average before: {load()}")

    results = {}
    for key in args.actions:
        for scope_name in SCOPES:
            results[key, scope_name] = measure(key, scope_name, path, args)
            print(f"  measured {key} / {scope_name} (load {load()})", flush=True)
    windows = {tuple(r["window"]) for r in results.values() if r.get("window")}
    print(f"scopes: all the data; month = {', '.join(' to '.join(w) for w in windows)}")
    show(results)
    print(f"load average after: {load()}")

    chosen = profiled(args.profile, parser) if args.profile else slowest(results)
    if chosen and not args.no_profile:
        key, scope_name = chosen
        print(f"\ncProfile of {key} / {scope_name}:")
        try:
            print(run_child("profile", key, scope_name, str(path), str(args.top), limits=args))
        except Stopped as stop:
            print(f"  {stop}")


def child(arguments: list[str]) -> None:
    """Entry of a child: ``measure KEY SCOPE PATH REPEAT`` or ``profile KEY SCOPE PATH TOP``."""
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    task, key, scope_name, path = arguments[:4]
    if task == "measure":
        print(json.dumps(measure_child(key, scope_name, Path(path), int(arguments[4]))))
    else:
        profile_child(key, scope_name, Path(path), int(arguments[4]))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
