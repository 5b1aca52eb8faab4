"""The KPI catalogue on Postgres gives DuckDB's numbers (issue 3, part 8).

Over the real data sets (the public-data example and the bundled sample project) and
the grid of grain (all, month) × dimension (none, channel, agent), every row of
``compute_kpis`` on Postgres is compared with the same row on DuckDB over the same
cleaned tables: the same rows, the same n, counts and rates equal to 1e-9, means to a
relative 1e-12 (the order of the floating-point additions follows each engine's plan),
medians and 90th percentiles to a relative 1e-12: both engines take the exact order
statistics and interpolate linearly between them (DuckDB ``quantile_cont``, Postgres
``percentile_cont``), so they may differ only in the last bits of the interpolation.
"""

import pandas as pd
import pytest

from helpers_parity import PROJECTS, assert_same_kpis, both, compared_metrics, grid

pytestmark = pytest.mark.postgres

GRID = grid([None, "month"], [None, "channel", "agent"])
PERCENTILE_REL = 1e-12


@pytest.fixture(scope="module")
def computed(projects):
    """(project, grain, dimension) -> (DuckDB frame, Postgres frame); filled as tests ask."""
    return {}


@pytest.mark.parametrize("name", PROJECTS)
@pytest.mark.parametrize(("grain", "dimension"), GRID)
def test_postgres_gives_duckdbs_kpis(projects, computed, name, grain, dimension):
    duck, postgres = both(projects, computed, name, grain, dimension)
    assert_same_kpis(duck, postgres, PERCENTILE_REL)


@pytest.mark.parametrize("name", PROJECTS)
def test_the_grid_covers_every_kpi_the_data_supports(projects, computed, name):
    """Every KPI DuckDB computes over all the data is compared on Postgres somewhere,
    medians and 90th percentiles among them."""
    supported, compared = compared_metrics(projects, computed, name, GRID)
    assert supported <= compared
    assert {"tickets", "first_response_median_min", "first_response_p90_min"} <= supported


def test_monthly_tickets_match_pandas_over_the_postgres_rows(projects, computed):
    """A second method: tickets per month counted in pandas from the rows in Postgres."""
    import psycopg

    settings, on_postgres, _ = projects["sample"]
    with psycopg.connect(on_postgres.postgres_url) as con:
        rows = con.execute('SELECT created_at_local, is_merged FROM "cxlens".tickets').fetchall()
    tickets = pd.DataFrame(rows, columns=["created_at_local", "is_merged"])
    tickets = tickets[~tickets["is_merged"].fillna(False).astype(bool)]
    by_month = pd.to_datetime(tickets["created_at_local"]).dt.strftime("%Y-%m").value_counts()
    _, postgres = both(projects, computed, "sample", "month", None)
    counted = postgres[postgres["metric"] == "tickets"].set_index("period")["value"]
    counted = counted[counted.notna()]
    assert counted.to_dict() == {month: float(n) for month, n in by_month.items()}


def test_medians_are_computed_exactly_by_percentile_cont(projects):
    """Ibis compiles the KPIs' medians and percentiles to Postgres's exact
    ``percentile_cont`` (never an approximation)."""
    import ibis

    settings, on_postgres, _ = projects["sample"]
    with on_postgres.metrics() as backend:
        tickets = backend.table("tickets")
        sql = ibis.to_sql(
            tickets.aggregate(
                m=tickets.first_response_min.median(),
                q=tickets.first_response_min.quantile([0.5, 0.9]),
            ),
            dialect="postgres",
        )
    assert sql.count("PERCENTILE_CONT") == 2
    assert "APPROX" not in sql.upper()
