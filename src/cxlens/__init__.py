"""cxlens: customer-service exports in; KPIs, explanations and a monthly report out.

The library is the product; the ``cxlens`` command is a thin skin over it::

    from cxlens.settings import load_settings
    from cxlens.store import Warehouse
    from cxlens.metrics import compute_kpis

    settings = load_settings("cxlens.toml")
    kpis = compute_kpis(Warehouse.for_settings(settings), settings, by=["month", "channel"])
"""

__version__ = "0.1.0"
