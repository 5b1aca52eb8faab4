"""Import exports into the warehouse: read → map (preset) → parse → validate, all or nothing.

``import_file`` reads CSV, TSV, XLSX, JSON or Parquet (told from the content), in
UTF-8, GB18030/GBK, UTF-16 or Windows-1252 (docs/import.md says when each is taken),
maps headers onto the canonical tables (by name, by Chinese alias, or through a
preset), parses every value by its column's type in DuckDB SQL, and writes
``raw_<table>`` plus an ``imports`` record in one transaction. ``PRESETS`` lists the
known export layouts.
"""

from __future__ import annotations

from cxlens.ingest.importer import ImportResult, RecordsRejected, import_file
from cxlens.ingest.presets import PRESETS, get_preset

__all__ = ["PRESETS", "ImportResult", "RecordsRejected", "get_preset", "import_file"]
