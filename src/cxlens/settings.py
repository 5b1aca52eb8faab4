"""Project settings from ``cxlens.toml`` (SCHEMA.md, "Settings").

Paths in the file are relative to the folder that holds it. Flags on the command
line override settings; the CLI passes them in as ``overrides``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxlens.errors import ConfigError
from cxlens.schema import TABLES

CONFIG_NAME = "cxlens.toml"


@dataclass
class Source:
    """One input file listed under ``[[sources]]``."""

    table: str | None
    path: Path
    preset: str | None = None
    timezone: str | None = None
    sheet: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Settings:
    """Everything a command needs to know about the project."""

    root: Path = field(default_factory=Path.cwd)
    config_path: Path | None = None
    timezone: str = "UTC"
    language: str = "en"
    currency: str = "CNY"
    warehouse: str = "cxlens.duckdb"
    business_hours: dict[str, Any] = field(default_factory=dict)
    sla: dict[str, Any] = field(default_factory=lambda: {"first_response": "24h"})
    csat: dict[str, Any] = field(default_factory=dict)
    ces: dict[str, Any] = field(default_factory=lambda: {"higher_is_easier": True})
    churn: dict[str, Any] = field(default_factory=lambda: {"window_days": 90})
    clv: dict[str, Any] = field(
        default_factory=lambda: {
            "time_unit": "week",
            "horizon_months": 12,
            "annual_discount_rate": 0.10,
        }
    )
    spark: dict[str, Any] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def warehouse_path(self) -> str:
        """The warehouse as a path (DuckDB file, resolved against the project) or a URL."""
        if "://" in self.warehouse:
            return self.warehouse
        return str((self.root / self.warehouse).resolve())

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Read ``cxlens.toml`` (or ``path``); without one, defaults rooted in the working folder.

    ``overrides`` holds ``[project]`` keys given as flags (``timezone``, ``warehouse``,
    ``language``); ``None`` values are ignored.
    """
    config_path = _find_config(path)
    raw: dict[str, Any] = {}
    if config_path is not None:
        raw = _read_toml(config_path)
    root = config_path.parent if config_path else Path.cwd()

    project = dict(raw.get("project", {}))
    for key, value in (overrides or {}).items():
        if value is not None:
            project[key] = value

    settings = Settings(root=root.resolve(), config_path=config_path, raw=raw)
    for key in ("timezone", "language", "currency", "warehouse"):
        if key in project:
            setattr(settings, key, str(project[key]))
    for section in ("business_hours", "sla", "csat", "ces", "churn", "clv", "spark"):
        if section in raw:
            merged = dict(getattr(settings, section))
            merged.update(raw[section])
            setattr(settings, section, merged)
    settings.sources = [_source(entry, root, config_path) for entry in raw.get("sources", [])]

    _validate(settings)
    return settings


def _find_config(path: str | Path | None) -> Path | None:
    if path is not None:
        config_path = Path(path)
        if not config_path.is_file():
            raise ConfigError(f"settings file {config_path} not found")
        return config_path.resolve()
    default = Path.cwd() / CONFIG_NAME
    return default.resolve() if default.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML: {error}", path) from None


def _source(entry: dict[str, Any], root: Path, config_path: Path | None) -> Source:
    if "path" not in entry:
        raise ConfigError(f"a [[sources]] entry has no path: {entry}", config_path)
    known = {"table", "path", "preset", "timezone", "sheet"}
    return Source(
        table=entry.get("table"),
        path=(root / entry["path"]).resolve(),
        preset=entry.get("preset"),
        timezone=entry.get("timezone"),
        sheet=entry.get("sheet"),
        options={k: v for k, v in entry.items() if k not in known},
    )


def _validate(settings: Settings) -> None:
    where = settings.config_path
    check_timezone(settings.timezone, where)
    if settings.language not in ("zh", "en"):
        raise ConfigError(f"language must be 'zh' or 'en', not {settings.language!r}", where)
    for source in settings.sources:
        if source.table is not None and source.table not in TABLES:
            raise ConfigError(
                f"source {source.path.name}: unknown table {source.table!r}; "
                f"the tables are: {', '.join(TABLES)}",
                where,
            )
        if source.timezone:
            check_timezone(source.timezone, where)


def check_timezone(name: str, where: Path | None = None) -> ZoneInfo:
    """The IANA zone called ``name``; offsets such as ``+08:00`` are refused."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"time zone {name!r} is not an IANA name; use one such as 'Asia/Shanghai' "
            "or 'America/New_York' (an offset cannot follow daylight-saving changes)",
            where,
        ) from None
