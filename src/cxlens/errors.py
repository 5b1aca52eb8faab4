"""The errors cxlens raises, one tree so callers can catch at the level they need.

    CxlensError
    ├── ConfigError          a cxlens.toml setting is missing or wrong (carries the file)
    ├── WarehouseError       the warehouse cannot be opened or is locked
    ├── ModelError           a model cannot be fitted or asked this question (says why)
    └── InputError           an input file cannot be used
        ├── UnreadableFile   format or encoding not recognised, file truncated
        ├── ColumnsError     required columns missing or unknown (lists them, shows a mapping)
        └── RowsRejected     values that do not parse or break the contract (carries RowErrors)

The CLI turns every ``CxlensError`` into one ``Error:`` message and exit status 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class CxlensError(Exception):
    """Root of every error cxlens raises on purpose."""


class ConfigError(CxlensError):
    """A setting in cxlens.toml (or a flag) is missing or invalid."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class WarehouseError(CxlensError):
    """The warehouse cannot be opened, is locked, or lacks a table."""


class ModelError(CxlensError):
    """A model's input or learned parameters do not allow the fit or prediction asked for."""


class InputError(CxlensError):
    """An input file cannot be imported; nothing from it was stored."""

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(message)


class UnreadableFile(InputError):
    """The file's format or encoding is not recognised, or it is truncated."""


class ColumnsError(InputError):
    """Required columns are missing, or headers cannot be mapped."""

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        missing: list[str] | None = None,
        unknown: list[str] | None = None,
    ) -> None:
        self.missing = missing or []
        self.unknown = unknown or []
        super().__init__(message, path)


@dataclass(frozen=True)
class RowError:
    """One rejected value: where it is, what it was, and what was expected.

    ``row`` counts as a spreadsheet does: the header is row 1, the first record row 2.
    ``column`` is the header as the file names it; ``canonical`` the warehouse column.
    """

    file: str
    row: int | None
    column: str | None
    canonical: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            col = self.column
            if self.canonical and self.canonical != self.column:
                col += f" (→ {self.canonical})"
            where.append(f"column {col!r}")
        value = "empty" if self.value is None else repr(self.value)
        return f"{', '.join(where)}: {value} — expected {self.expected}"


class RowsRejected(InputError):
    """Values in the file do not parse or break the contract. Nothing was stored."""

    def __init__(
        self,
        path: Path | str,
        errors: list[RowError],
        truncated: bool = False,
        total: int | None = None,
        preset: str | None = None,
    ) -> None:
        self.errors = errors
        self.truncated = truncated
        self.total = max(total or 0, len(errors))
        if truncated and self.total > len(errors):
            head = (
                f"{self.total:,} values rejected (the first {len(errors)} of {self.total:,} "
                "rejected values are shown)"
            )
        elif truncated:
            head = f"{len(errors)} value(s) rejected (the first {len(errors)} shown)"
        else:
            head = f"{len(errors)} value(s) rejected"
        lines = [
            f"{path}: {head}; nothing was imported.",
            *(f"  {error}" for error in errors),
            "Fix these cells and import the file again."
            if preset
            else "Fix these cells (or map the columns with a preset) and import the file again.",
        ]
        super().__init__("\n".join(lines), path)
