"""The KPI catalogue on Spark gives DuckDB's numbers (issue 3, part 8).

Over the real data sets (the public-data example and the bundled sample project) and
a representative grid of grain (all, month, week) × dimension (none, channel, agent,
priority, segment), every row of ``compute_kpis`` on Spark is compared with the same
row on DuckDB over the same cleaned tables: the same rows, the same n, counts and rates
equal to 1e-9, means to a relative 1e-12 (the order of the floating-point additions
follows each engine's plan), medians and 90th percentiles to a relative 1e-13: both
engines take the exact order statistics and interpolate linearly between them, but
write the interpolation differently (DuckDB ``lo + (hi - lo) * f``, Spark
``(1 - f) * lo + f * hi``), so an interpolated value may differ in its last bit.
"""

import math

import pandas as pd
import pytest

from cxlens.metrics import KPIS, compute_kpis

pytestmark = pytest.mark.spark

GRAINS = [None, "month", "week"]
DIMENSIONS = [None, "channel", "agent", "priority", "segment"]
GRID = [(grain, dimension) for grain in GRAINS for dimension in DIMENSIONS]
PROJECTS = ["public-data", "sample"]


def _by(grain, dimension) -> list[str]:
    return [part for part in (grain, dimension) if part]


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    keyed = frame.assign(group=frame["group"].map(lambda g: tuple(sorted(g.items()))))
    return keyed.set_index(["metric", "period", "group"]).sort_index()


def _close(metric: str, duck: float, spark: float) -> bool:
    if pd.isna(duck) or pd.isna(spark):
        return pd.isna(duck) and pd.isna(spark)
    if metric.endswith(("_median_min", "_p90_min")):
        return math.isclose(duck, spark, rel_tol=1e-13, abs_tol=0)
    if KPIS[metric].unit in ("count", "rate"):
        return math.isclose(duck, spark, rel_tol=0, abs_tol=1e-9)
    return math.isclose(duck, spark, rel_tol=1e-12, abs_tol=1e-9)


@pytest.fixture(scope="module")
def computed(projects):
    """(project, grain, dimension) -> (DuckDB frame, Spark frame); filled as tests ask."""
    return {}


def _both(projects, computed, name, grain, dimension):
    key = (name, grain, dimension)
    if key not in computed:
        if name not in projects:
            pytest.skip(f"{name}: its data is not beside the repo")
        settings, on_spark, on_duckdb = projects[name]
        by = _by(grain, dimension)
        computed[key] = (
            compute_kpis(on_duckdb, settings, by=by),
            compute_kpis(on_spark, settings, by=by),
        )
    return computed[key]


@pytest.mark.parametrize("name", PROJECTS)
@pytest.mark.parametrize(("grain", "dimension"), GRID)
def test_spark_gives_duckdbs_kpis(projects, computed, name, grain, dimension):
    duck, spark = (_keyed(f) for f in _both(projects, computed, name, grain, dimension))
    assert len(duck) > 0
    assert list(duck.index) == list(spark.index)
    assert (duck["n"] == spark["n"]).all()
    for column in ("value", "ci_low", "ci_high"):
        differ = [
            (key, a, b)
            for key, a, b in zip(duck.index, duck[column], spark[column], strict=True)
            if not _close(key[0], a, b)
        ]
        assert differ == [], f"{column} differs on {len(differ)} row(s), e.g. {differ[:3]}"


@pytest.mark.parametrize("name", PROJECTS)
def test_the_grid_covers_every_kpi_the_data_supports(projects, computed, name):
    """Every KPI DuckDB computes over all the data is compared on Spark somewhere."""
    everything, _ = _both(projects, computed, name, None, None)
    supported = set(everything.loc[everything["n"] > 0, "metric"])
    compared = set()
    for grain, dimension in GRID:
        _, spark = _both(projects, computed, name, grain, dimension)
        compared |= set(spark.loc[spark["n"] > 0, "metric"])
    assert supported <= compared
    assert {"tickets", "first_response_median_min", "csat"} <= supported


def test_monthly_tickets_on_spark_match_pandas_over_the_parquet_tables(projects, computed):
    """A second method: tickets per month counted in pandas from the published Parquet."""
    settings, on_spark, _ = projects["sample"]
    tickets = pd.read_parquet(
        on_spark.tables_dir / "tickets", columns=["created_at_local", "is_merged"]
    )
    tickets = tickets[~tickets["is_merged"].fillna(False).astype(bool)]
    by_month = tickets["created_at_local"].dt.strftime("%Y-%m").value_counts()
    _, spark = _both(projects, computed, "sample", "month", None)
    counted = spark[spark["metric"] == "tickets"].set_index("period")["value"]
    counted = counted[counted.notna()]
    assert counted.to_dict() == {month: float(n) for month, n in by_month.items()}
