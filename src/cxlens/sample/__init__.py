"""The bundled sample project: a fictional retailer's exports for trying cxlens out.

``cxlens sample DIR`` (and ``make demo``) call :func:`write_sample_project`. What the data
contains and which faults it carries on purpose is described in docs/sample-data.md.
"""

from __future__ import annotations

from cxlens.sample.project import write_sample_project

__all__ = ["write_sample_project"]
