"""Pooling across periods, groups and files, checked on random data (issue 3, part 6).

Hypothesis draws a few tickets and survey responses around the month ends and the
2024 daylight-saving changes of Europe/Berlin, writes them as CSV files with UTC
times, and runs them through the real importer, the clean step and ``compute_kpis``.
The test then checks three properties:

- a figure over all the data is the figure pooled from its months (sum of numerators
  over sum of denominators; a mean weighted by its n; NPS from promoters and
  detractors), never a mean of monthly figures, and a month without data is null;
- the same records imported in one file or split over two give the same KPI table;
- the groups of a dimension pool to the undivided figure.

The expected figures are computed a second way, here, from the generated records:
local months with ``zoneinfo`` and the KPI definitions of docs/kpis.md in plain
Python and pandas. Case SV-3 (a month with no answers is null; the months together
are pooled) is the hand-sized instance of the first property.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cxlens.clean import clean_warehouse
from cxlens.ingest import import_file
from cxlens.metrics import KPIS
from cxlens.metrics.compute import kpi_session
from cxlens.settings import Settings
from cxlens.store import Warehouse

ZONE = "Europe/Berlin"
TARGETS = {"urgent": 60}  # minutes; every other priority gets the default
DEFAULT_TARGET = 240
SLA = {"first_response": "4h", "priority": {"urgent": {"first_response": "1h"}}}
# Each example imports and cleans a warehouse (about a second), so examples are few and a
# failure is reported as drawn: shrinking one took minutes.
EXAMPLES = settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Instants (UTC) where local and UTC periods part: month ends in winter and summer
# time, and the two clock changes of 2024 (31 Mar 01:00 UTC, 27 Oct 01:00 UTC).
EDGES = [
    datetime(2024, 2, 29, 23, 0), datetime(2024, 3, 31, 1, 0), datetime(2024, 3, 31, 22, 0),
    datetime(2024, 4, 30, 22, 0), datetime(2024, 9, 30, 22, 0), datetime(2024, 10, 27, 1, 0),
    datetime(2024, 10, 31, 23, 0),
]  # fmt: skip
SPAN_START = datetime(2024, 2, 20)
SPAN_MINUTES = int((datetime(2024, 11, 10) - SPAN_START).total_seconds() // 60)
CHANNELS = ["email", "chat", "phone", None]
AGENTS = ["A", "B", None]


# --- generated records ------------------------------------------------------------------

instants = st.one_of(
    st.integers(0, SPAN_MINUTES).map(lambda m: SPAN_START + timedelta(minutes=m)),
    st.tuples(st.sampled_from(EDGES), st.integers(-150, 150)).map(
        lambda pair: pair[0] + timedelta(minutes=pair[1])
    ),
)


@st.composite
def tickets(draw, index: int) -> dict:
    created = draw(instants)
    reply = draw(st.one_of(st.none(), st.integers(0, 3000)))
    solve = draw(st.one_of(st.none(), st.integers(0, 6000)))
    if solve is not None and reply is not None:
        solve = max(solve, reply)  # a solve before the first reply is a flagged row
    return {
        "ticket_id": f"T{index}",
        "created_at": created,
        "channel": draw(st.sampled_from(CHANNELS)),
        "agent_id": draw(st.sampled_from(AGENTS)),
        "priority": draw(st.sampled_from(["urgent", "normal", None])),
        "status": "solved" if solve is not None else draw(st.sampled_from(["open", "pending"])),
        "first_response_at": None if reply is None else created + timedelta(minutes=reply),
        "solved_at": None if solve is None else created + timedelta(minutes=solve),
        "reopens": draw(st.one_of(st.none(), st.integers(0, 2))),
        "agent_replies": draw(st.one_of(st.none(), st.integers(0, 3))),
    }


@st.composite
def responses(draw, index: int, ticket_count: int) -> dict:
    kind = draw(st.sampled_from(["csat", "nps"]))
    score = draw(st.integers(0, 10)) if kind == "nps" else draw(st.none() | st.integers(1, 5))
    linked = draw(st.none() | st.integers(0, ticket_count - 1))
    return {
        "response_id": f"R{index}",
        "kind": kind,
        "score": score,
        "ticket_id": None if linked is None else f"T{linked}",
        "channel": draw(st.sampled_from(CHANNELS)),
        "responded_at": draw(instants),
    }


@st.composite
def datasets(draw) -> dict[str, list[dict]]:
    count = draw(st.integers(1, 12))
    ticket_rows = [draw(tickets(i)) for i in range(count)]
    answers = [draw(responses(i, count)) for i in range(draw(st.integers(0, 12)))]
    return {"tickets": ticket_rows, "survey_responses": answers}


# --- through the product ------------------------------------------------------------------

COUNTER = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pooling")


def project_settings(root: Path) -> Settings:
    return Settings(root=root, timezone=ZONE, sla=SLA)


def write_csv(records: list[dict], path: Path, columns: list[str]) -> Path:
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in columns:
        if column.endswith("_at"):
            frame[column] = [
                "" if value is None or pd.isna(value) else value.strftime("%Y-%m-%d %H:%M")
                for value in frame[column]
            ]
    frame = frame.astype(object).where(frame.notna(), "")
    frame = frame.map(lambda v: str(int(v)) if isinstance(v, float) else v)
    frame.to_csv(path, index=False)
    return path


def load(folder: Path, parts: list[dict[str, list[dict]]]) -> Warehouse:
    """A fresh warehouse holding ``parts``, one CSV file per part and table, cleaned."""
    number = next(COUNTER)
    warehouse = Warehouse(folder / f"w{number}.duckdb")
    for index, part in enumerate(parts):
        for table, records in part.items():
            if not records:
                continue
            path = write_csv(records, folder / f"{table}_{number}_{index}.csv", list(records[0]))
            import_file(warehouse, path, table=table, timezone="UTC")
    clean_warehouse(warehouse, project_settings(folder))
    return warehouse


def computed(warehouse: Warehouse, folder: Path, groupings: list[list[str]]) -> list:
    with kpi_session(warehouse, project_settings(folder)) as compute:
        return [compute(by=by) for by in groupings]


def rows_of(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame[frame["metric"] == metric]


def single(frame: pd.DataFrame, metric: str, period: str = "all") -> pd.Series:
    hits = frame[(frame["metric"] == metric) & (frame["period"] == period)]
    assert len(hits) == 1, f"{metric} {period}: {len(hits)} rows"
    return hits.iloc[0]


# --- the second method: plain Python and pandas over the records -----------------------


def local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(ZONE))
    return aware.replace(tzinfo=None)


def month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def expected_parts(data: dict[str, list[dict]]) -> pd.DataFrame:
    """Per (metric, period) the numerator and denominator the definitions name.

    Rows: metric, period (a local month), num, den. Durations and scores carry sums
    in ``num`` and counts in ``den``; NPS carries promoters − detractors (× 100).
    """
    out: list[tuple[str, str, float, float]] = []
    ticket_rows = data["tickets"]
    sla_end = ticket_end(ticket_rows)
    for t in ticket_rows:
        created = local(t["created_at"])
        out.append(("tickets", month(created), 1, 1))
        if t["first_response_at"] is not None:
            minutes = minutes_between(t["created_at"], t["first_response_at"])
            out.append(("first_response_mean_min", month(created), minutes, 1))
        # SLA (docs/kpis.md): the clock stops at the first reply or the solve, whichever
        # comes first; it falls due at creation + target (an instant), judged when that is
        # at or before the tickets' latest timestamp, in the local month of the due time
        target = TARGETS.get(t["priority"], DEFAULT_TARGET)
        due = t["created_at"] + timedelta(minutes=target)
        stops = [s for s in (t["first_response_at"], t["solved_at"]) if s is not None]
        if due <= sla_end:
            met = bool(stops) and minutes_between(t["created_at"], min(stops)) <= target
            out.append(("sla_first_response", month(local(due)), int(met), 1))
        if t["solved_at"] is not None:
            solved = month(local(t["solved_at"]))
            reopened = (t["reopens"] or 0) >= 1
            resolution = minutes_between(t["created_at"], t["solved_at"])
            out.append(("resolution_mean_min", solved, resolution, 1))
            out.append(("reopen_rate", solved, int(reopened), 1))
            if t["agent_replies"] is not None:
                out.append(("fcr", solved, int(not reopened and t["agent_replies"] <= 1), 1))
    for r in data["survey_responses"]:
        period = month(local(r["responded_at"]))
        if r["kind"] == "csat" and r["score"] is not None:
            out.append(("csat", period, int(r["score"] >= 4), 1))
            out.append(("csat_mean", period, r["score"], 1))
        if r["kind"] == "nps":
            out.append(("nps", period, 100 * ((r["score"] >= 9) - (r["score"] <= 6)), 1))
    parts = pd.DataFrame(out, columns=["metric", "period", "num", "den"])
    # a KPI whose columns hold no value at all is left out (docs/kpis.md, "Which KPIs appear")
    if all(t["reopens"] is None for t in ticket_rows):
        parts = parts[parts["metric"] != "reopen_rate"]
    if all(t["first_response_at"] is None for t in ticket_rows):  # SLA needs a reply
        parts = parts[parts["metric"] != "sla_first_response"]
    return parts


def minutes_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def ticket_end(ticket_rows) -> datetime:
    """The latest time (UTC) any ticket column holds: where SLA clocks are judged."""
    columns = ("created_at", "first_response_at", "solved_at")
    return max(t[c] for t in ticket_rows for c in columns if t[c] is not None)


def data_months(data) -> list[str]:
    """Local months from the first to the last time any record holds (replies included)."""
    columns = ("created_at", "first_response_at", "solved_at")
    times = [local(t[c]) for t in data["tickets"] for c in columns if t[c] is not None]
    times += [local(r["responded_at"]) for r in data["survey_responses"]]
    months = pd.period_range(min(times), max(times), freq="M")
    return [str(m) for m in months]


def expected_backlog(data) -> dict[str, float | None]:
    """Open tickets at each month's end: created by then and not solved by then."""
    shown = {}
    for label in data_months(data):
        month_end = pd.Period(label, "M").end_time.to_pydatetime()
        created = [t for t in data["tickets"] if local(t["created_at"]) <= month_end]
        solved = [c for c in created if c["solved_at"] and local(c["solved_at"]) <= month_end]
        shown[label] = float(len(created) - len(solved)) if created else None
    return shown


def expected_value(metric: str, num: float, den: float) -> float | None:
    if den == 0:
        return None
    return num if metric == "tickets" else num / den


# --- the properties -----------------------------------------------------------------------

POOLED_UNITS = {"count", "rate", "points", "score"}


def poolable(metric: str) -> bool:
    """Figures whose pooled value follows from (value, n) rows: all but medians and p90s."""
    kpi = KPIS.get(metric)
    if kpi is None or metric == "backlog":
        return False
    return kpi.unit in POOLED_UNITS or metric.endswith("_mean_min")


def pooled(rows: pd.DataFrame, metric: str) -> tuple[float | None, int]:
    """(value, n) pooled from rows: counts add up; other figures are weighted by n."""
    rows = rows[rows["n"] > 0]
    n = int(rows["n"].sum())
    if n == 0:
        return None, 0
    if KPIS[metric].unit == "count":
        return float(rows["value"].sum()), n
    return float((rows["value"] * rows["n"]).sum() / n), n


def same(actual, expected) -> bool:
    if expected is None:
        return actual is None or (isinstance(actual, float) and math.isnan(actual))
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)


@given(data=datasets())
@EXAMPLES
def test_all_data_figures_are_pooled_not_averaged_and_empty_months_are_null(data, folder):
    warehouse = load(folder, [data])
    whole, monthly = computed(warehouse, folder, [[], ["month"]])
    parts = expected_parts(data)
    months = data_months(data)
    assert sorted(set(monthly["period"])) == months  # local months, first to last record

    for metric, group in parts.groupby("metric"):
        # the second method, all data and every month (a month with no record: null, n 0)
        all_value = expected_value(metric, group["num"].sum(), group["den"].sum())
        assert same(single(whole, metric).value, all_value), metric
        by_month = group.groupby("period")[["num", "den"]].sum()
        for label in months:
            num, den = by_month.loc[label] if label in by_month.index else (0.0, 0.0)
            row = single(monthly, metric, label)
            assert same(row.value, expected_value(metric, num, den)), (metric, label)
            assert row.n == den, (metric, label)

    # every poolable figure the product computed (including KPIs added later) pools
    for metric in set(whole["metric"]):
        if poolable(metric):
            value, n = pooled(rows_of(monthly, metric), metric)
            assert same(single(whole, metric).value, value), metric
            assert single(whole, metric).n == n, metric
            assert (rows_of(monthly, metric).query("n == 0")["value"].isna()).all(), metric

    backlog = expected_backlog(data)
    for label, value in backlog.items():
        assert same(single(monthly, "backlog", label).value, value), label
    assert same(single(whole, "backlog").value, backlog[months[-1]])
    check_medians_of_all_values(data, whole)


def check_medians_of_all_values(data, whole: pd.DataFrame) -> None:
    """Medians and p90s over all the data are those of all the values, not of the months."""
    replies = [
        minutes_between(t["created_at"], t["first_response_at"])
        for t in data["tickets"]
        if t["first_response_at"] is not None
    ]
    resolutions = [
        minutes_between(t["created_at"], t["solved_at"])
        for t in data["tickets"]
        if t["solved_at"] is not None
    ]
    for stem, values in (("first_response", replies), ("resolution", resolutions)):
        for stat, q in (("median", 0.5), ("p90", 0.9)):
            metric = f"{stem}_{stat}_min"
            if not values:  # no duration at all: the KPI is left out
                assert rows_of(whole, metric).empty, metric
                continue
            assert same(single(whole, metric).value, float(np.quantile(values, q))), metric


@st.composite
def splits(draw):
    data = draw(datasets())
    masks = {
        table: draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
        for table, rows in data.items()
    }
    orders = {
        table: draw(st.permutations(range(len(rows[0])))) if rows else []
        for table, rows in data.items()
    }
    return data, masks, orders


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    import json

    return frame.assign(group=[json.dumps(g, sort_keys=True) for g in frame["group"]])


@given(drawn=splits())
@EXAMPLES
def test_records_split_over_two_files_give_the_same_kpi_table_as_one_file(drawn, folder):
    data, masks, orders = drawn
    first = {t: [r for r, keep in zip(rows, masks[t], strict=True) if keep]
             for t, rows in data.items()}  # fmt: skip
    second = {t: [r for r, keep in zip(rows, masks[t], strict=True) if not keep]
              for t, rows in data.items()}  # fmt: skip
    one = load(folder, [data])
    two = load_split(folder, first, second, orders)
    groupings = [[], ["month", "channel"], ["agent"]]
    for by, left, right in zip(
        groupings, computed(one, folder, groupings), computed(two, folder, groupings), strict=True
    ):
        pd.testing.assert_frame_equal(
            comparable(left), comparable(right), check_exact=True, obj=f"by {by}"
        )


def load_split(folder: Path, first, second, orders) -> Warehouse:
    """Two files per table: the second with its columns in another order."""
    number = next(COUNTER)
    warehouse = Warehouse(folder / f"w{number}.duckdb")
    for index, part in enumerate((first, second)):
        for table, records in part.items():
            if not records:
                continue
            columns = list(records[0])
            if index == 1:
                columns = [columns[i] for i in orders[table]]
            path = write_csv(records, folder / f"{table}_{number}_{index}.csv", columns)
            import_file(warehouse, path, table=table, timezone="UTC")
    clean_warehouse(warehouse, project_settings(folder))
    return warehouse


@given(data=datasets())
@EXAMPLES
def test_groups_of_a_dimension_pool_to_the_undivided_figure(data, folder):
    warehouse = load(folder, [data])
    whole, by_channel, by_agent, monthly, month_channel = computed(
        warehouse, folder, [[], ["channel"], ["agent"], ["month"], ["month", "channel"]]
    )
    for parts in (by_channel, by_agent):
        for metric in set(whole["metric"]):
            if poolable(metric) or metric == "backlog":  # backlog: a stock, split by group
                value, n = pooled_or_summed(rows_of(parts, metric), metric)
                assert same(single(whole, metric).value, value), metric
                assert single(whole, metric).n == n, metric
    for label in sorted(set(monthly["period"])):
        for metric in set(monthly["metric"]):
            if poolable(metric):
                cells = month_channel[
                    (month_channel["metric"] == metric) & (month_channel["period"] == label)
                ]
                value, n = pooled(cells, metric)
                assert same(single(monthly, metric, label).value, value), (metric, label)
                assert single(monthly, metric, label).n == n, (metric, label)

    # and by the second method: tickets and CSAT answers per channel (a response's own
    # channel, else its ticket's; a missing channel is a group of its own)
    ticket_channel = {t["ticket_id"]: t["channel"] for t in data["tickets"]}
    counts = pd.Series([t["channel"] for t in data["tickets"]]).value_counts(dropna=False)
    for channel, count in counts.items():
        key = None if pd.isna(channel) else channel
        row = by_channel[(by_channel["metric"] == "tickets")
                         & by_channel["group"].map(lambda g, k=key: g == {"channel": k})]  # fmt: skip
        assert row["value"].tolist() == [count]
    answered = [r for r in data["survey_responses"] if r["kind"] == "csat" and r["score"]]
    for r in answered:
        r_channel = r["channel"] or ticket_channel.get(r["ticket_id"])
        mine = [a for a in answered
                if (a["channel"] or ticket_channel.get(a["ticket_id"])) == r_channel]  # fmt: skip
        expected = sum(a["score"] >= 4 for a in mine) / len(mine)
        row = by_channel[(by_channel["metric"] == "csat")
                         & by_channel["group"].map(lambda g, k=r_channel: g == {"channel": k})]  # fmt: skip
        assert same(row["value"].item(), expected), r_channel


def pooled_or_summed(rows: pd.DataFrame, metric: str) -> tuple[float | None, int]:
    if metric != "backlog":
        return pooled(rows, metric)
    return float(rows["value"].fillna(0).sum()), int(rows["n"].sum())
