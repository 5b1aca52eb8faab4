"""What a preset is: how one known export layout maps onto canonical tables.

A preset names, for each table it fills, the canonical columns and where each comes
from. A source is either a header of the file (matched case- and space-insensitively)
or an SQL expression prefixed with ``sql:`` in which ``{Header Name}`` stands for that
column of the file, e.g. ``"sql:{Date} || ' ' || {Time}"`` or ``"sql:'phone'"``.
Mapped values are then parsed by the canonical column's type exactly as a file with
canonical headers would be, so every preset gets the same date, number, yes/no and
duration handling and the same row errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Target:
    """One canonical table a preset fills from the file.

    ``columns`` maps canonical column → header or ``sql:`` expression.
    ``where`` (SQL, same placeholders) keeps only the rows that belong to this table,
    e.g. a satisfaction column that is not blank.
    ``latest_by`` (SQL) keeps one row per key where a file repeats a record
    (an event log with one row per update): the greatest by this expression,
    ties going to the later row.
    ``hints`` maps canonical column → parse hints, e.g. ``{"format": "%d-%m-%Y %H:%M"}``
    (``"expected"`` words what a row error says the cell should hold),
    ``{"dayfirst": True}``, ``{"unit": "seconds"}`` or ``{"scale": (1, 5)}``.
    ``attributes`` lists headers kept in the ``attributes`` JSON (default: every
    header the target does not map).
    """

    table: str
    columns: dict[str, str]
    where: str | None = None
    latest_by: str | None = None
    hints: dict[str, dict[str, Any]] = field(default_factory=dict)
    attributes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Preset:
    """A known export layout.

    ``read`` holds reader options for files that need them: ``delimiter``,
    ``header`` (False when the file has none), ``names`` (headers to use then),
    ``skip_rows``, ``na_values`` (extra spellings of "missing", e.g. ``"?"``).
    ``documentation`` says where the layout comes from (the vendor's export docs or
    the data set's MANIFEST entry) and anything the mapping decides.
    """

    name: str
    description: str
    targets: tuple[Target, ...]
    read: dict[str, Any] = field(default_factory=dict)
    documentation: str = ""
