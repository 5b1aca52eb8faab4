"""Fixtures shared by the test modules."""

import pytest

from cxlens.store import Warehouse


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    """An empty warehouse file of the test's own."""
    return Warehouse(tmp_path / "w.duckdb")
