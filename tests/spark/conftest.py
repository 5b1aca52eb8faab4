"""One local Spark session and the real data sets, imported and cleaned once.

Each project is imported and cleaned once into the staging file of a ``pyspark://``
warehouse in a temporary folder and published as Parquet; the DuckDB side of every
comparison reads that same staging file, so both engines see the same cleaned rows.
"""

import os
from pathlib import Path

import pytest

from cxlens.pipeline import import_and_clean
from cxlens.settings import load_settings
from cxlens.store import Warehouse

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_DATA = ROOT / "examples" / "public-data" / "cxlens.toml"
DATASETS = ROOT.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def spark():
    """The one local Spark session of the suite (the metrics pick it up as theirs)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("one Spark session per suite: run `make test-spark` (no xdist)")
    pytest.importorskip("pyspark")
    from cxlens import spark as engine

    session = engine.session("pyspark://")
    yield session
    session.stop()


def _load(settings, folder: Path) -> Warehouse:
    """Import every source of ``settings`` into a Spark warehouse in ``folder``, clean, publish."""
    warehouse = Warehouse("pyspark://", tables_dir=folder / "spark-tables")
    import_and_clean(settings, warehouse)
    return warehouse


@pytest.fixture(scope="session")
def projects(tmp_path_factory, spark):
    """name -> (settings, Spark warehouse, DuckDB warehouse over the same staging file)."""
    from cxlens.sample import write_sample_project

    loaded = {}
    if DATASETS.is_dir():
        settings = load_settings(PUBLIC_DATA)
        warehouse = _load(settings, tmp_path_factory.mktemp("public-data"))
        loaded["public-data"] = (settings, warehouse, Warehouse(warehouse.path))
    folder = tmp_path_factory.mktemp("sample")
    settings = load_settings(write_sample_project(folder / "project", seed=7))
    warehouse = _load(settings, folder)
    loaded["sample"] = (settings, warehouse, Warehouse(warehouse.path))
    return loaded
