"""The KPI catalogue computed with Ibis over the cleaned warehouse tables.

    compute_kpis(warehouse, settings, by=["month", "channel"]) -> DataFrame
    kpi_records(frame) -> list of JSON-safe dicts (the ``cxlens kpis --format json`` rows)
    parse_by("month,channel") -> ["month", "channel"]
    KPIS -> {id: Kpi} in catalogue order, with definitions in English and Chinese

Definitions and the choices behind them: docs/kpis.md.
"""

from cxlens.metrics.catalogue import KPIS, Kpi
from cxlens.metrics.compute import compute_kpis, kpi_records
from cxlens.metrics.periods import DIMENSIONS, GRAINS, parse_by

__all__ = ["DIMENSIONS", "GRAINS", "KPIS", "Kpi", "compute_kpis", "kpi_records", "parse_by"]
