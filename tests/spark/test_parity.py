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

import pandas as pd
import pytest

from helpers_parity import PROJECTS, assert_same_kpis, both, compared_metrics, grid

pytestmark = pytest.mark.spark

GRID = grid([None, "month", "week"], [None, "channel", "agent", "priority", "segment"])
PERCENTILE_REL = 1e-13


@pytest.fixture(scope="module")
def computed(projects):
    """(project, grain, dimension) -> (DuckDB frame, Spark frame); filled as tests ask."""
    return {}


@pytest.mark.parametrize("name", PROJECTS)
@pytest.mark.parametrize(("grain", "dimension"), GRID)
def test_spark_gives_duckdbs_kpis(projects, computed, name, grain, dimension):
    duck, spark = both(projects, computed, name, grain, dimension)
    assert_same_kpis(duck, spark, PERCENTILE_REL)


@pytest.mark.parametrize("name", PROJECTS)
def test_the_grid_covers_every_kpi_the_data_supports(projects, computed, name):
    """Every KPI DuckDB computes over all the data is compared on Spark somewhere."""
    supported, compared = compared_metrics(projects, computed, name, GRID)
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
    _, spark = both(projects, computed, "sample", "month", None)
    counted = spark[spark["metric"] == "tickets"].set_index("period")["value"]
    counted = counted[counted.notna()]
    assert counted.to_dict() == {month: float(n) for month, n in by_month.items()}
