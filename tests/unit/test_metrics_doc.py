"""docs/metrics.md cannot drift: every worked example there is computed and checked.

Each ```` ```cxlens-example ```` block of the page is a tiny project: settings (its
``cxlens.toml``), CSV tables and ``expect`` lines. The test writes the files, imports
them with the real importer, cleans the warehouse, runs ``compute_kpis`` and compares
each expected value, which the page computes by hand in its prose. A second test
reads the catalogue at test time and fails when an implemented KPI has no ``expect``
line, so a KPI added to the code must be added to the page.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cxlens.clean import clean_warehouse
from cxlens.ingest import import_file
from cxlens.metrics import KPIS, compute_kpis
from cxlens.metrics.periods import LABEL_PATTERNS
from cxlens.settings import load_settings
from cxlens.store import Warehouse

PAGE = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
BLOCK = re.compile(r"^```cxlens-example\n(.*?)^```", re.S | re.M)
EXPECT = re.compile(r"^(?P<metric>\S+) (?P<period>\S+)(?: (?P<group>\S+=\S*))? = (?P<value>\S+)$")


@dataclass
class Expectation:
    metric: str
    period: str
    group: dict
    value: float | None
    line: str


@dataclass
class Example:
    number: int
    settings: str
    tables: list[tuple[str, str | None, str]] = field(default_factory=list)
    expect: list[Expectation] = field(default_factory=list)


def parse_page(text: str) -> list[Example]:
    """The page's examples in order: settings text, (table, zone, CSV) parts, expectations."""
    examples = []
    for number, block in enumerate(BLOCK.findall(text), start=1):
        head, *parts = re.split(r"^--- ", block, flags=re.M)
        example = Example(number, head)
        for part in parts:
            marker, _, body = part.partition("\n")
            name, *options = marker.split()
            if name == "expect":
                example.expect += [expectation(line) for line in body.splitlines() if line]
                continue
            zone = dict(option.split("=", 1) for option in options).get("timezone")
            example.tables.append((name, zone, body))
        examples.append(example)
    return examples


def expectation(line: str) -> Expectation:
    match = EXPECT.match(line.strip())
    assert match, f"docs/metrics.md: cannot read the expect line {line!r}"
    group = {}
    if match["group"]:
        key, value = match["group"].split("=", 1)
        group = {key: value or None}
    value = None if match["value"] == "null" else float(match["value"])
    return Expectation(match["metric"], match["period"], group, value, line)


def grain(period: str) -> str | None:
    """The grain whose labels look like ``period`` (``all``: none)."""
    for name, pattern in LABEL_PATTERNS.items():
        if re.fullmatch(pattern, period):
            return name
    raise AssertionError(f"docs/metrics.md: {period!r} is no period label")


EXAMPLES = parse_page(PAGE.read_text(encoding="utf-8"))


def run_example(example: Example, folder: Path):
    """Import, clean and compute one example; returns a function (by) -> KPI frame."""
    config = folder / "cxlens.toml"
    config.write_text(example.settings, encoding="utf-8")
    settings = load_settings(config)
    warehouse = Warehouse(folder / "example.duckdb")
    for index, (table, zone, body) in enumerate(example.tables):
        path = folder / f"{index}_{table}.csv"
        path.write_text(body, encoding="utf-8")
        import_file(warehouse, path, table=table, timezone=zone or settings.timezone)
    clean_warehouse(warehouse, settings)
    return lambda by: compute_kpis(warehouse, settings, by=by)


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{e.number}" for e in EXAMPLES])
def test_every_worked_example_gives_its_stated_values(example, tmp_path):
    compute = run_example(example, tmp_path)
    frames: dict[tuple, object] = {}
    failures = []
    for want in example.expect:
        by = tuple(([grain(want.period)] if grain(want.period) else []) + list(want.group))
        if by not in frames:
            frames[by] = compute(list(by))
        frame = frames[by]
        hits = frame[
            (frame["metric"] == want.metric)
            & (frame["period"] == want.period)
            & frame["group"].map(lambda g, w=want.group: g == w)
        ]
        if len(hits) != 1:
            failures.append(f"{want.line}: {len(hits)} rows")
            continue
        got = hits.iloc[0]["value"]
        if want.value is None:
            ok = got is None or math.isnan(got)
        else:
            ok = got is not None and not math.isnan(got) and abs(got - want.value) <= 5e-5
            ok = ok or math.isclose(got, want.value, rel_tol=1e-9)
        if not ok:
            failures.append(f"{want.line}: computed {got}")
    assert not failures, f"docs/metrics.md example {example.number}:\n" + "\n".join(failures)


def test_every_implemented_kpi_has_a_worked_example():
    covered = {want.metric for example in EXAMPLES for want in example.expect}
    missing = [kpi.id for kpi in KPIS.values() if kpi.implemented and kpi.id not in covered]
    assert not missing, f"docs/metrics.md has no worked example for: {', '.join(missing)}"


def test_every_expect_line_names_a_kpi_of_the_catalogue():
    unknown = {w.metric for e in EXAMPLES for w in e.expect} - set(KPIS)
    assert not unknown, f"docs/metrics.md names KPIs the catalogue lacks: {sorted(unknown)}"


def test_the_page_parser_reads_blocks_tables_and_expectations():
    # a hand-made page: one block, a table in UTC, a null and a grouped expectation
    page = (
        'text\n```cxlens-example\n[project]\ntimezone = "UTC"\n\n--- tickets timezone=UTC\n'
        "ticket_id,created_at\nT1,2024-03-01 10:00\n--- expect\ntickets all = 1\n"
        "csat 2024-02 = null\ntickets all channel=email = 1\n```\n"
    )
    [example] = parse_page(page)
    assert example.settings == '[project]\ntimezone = "UTC"\n\n'
    assert example.tables == [("tickets", "UTC", "ticket_id,created_at\nT1,2024-03-01 10:00\n")]
    assert [(w.metric, w.period, w.group, w.value) for w in example.expect] == [
        ("tickets", "all", {}, 1.0),
        ("csat", "2024-02", {}, None),
        ("tickets", "all", {"channel": "email"}, 1.0),
    ]
    assert [grain(p) for p in ("all", "2024-03-05", "2024-W10", "2024-03", "2024-Q1", "2024")] == [
        None, "day", "week", "month", "quarter", "year"
    ]  # fmt: skip
