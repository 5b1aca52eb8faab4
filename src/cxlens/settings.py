"""Project settings from ``cxlens.toml`` (SCHEMA.md, "Settings").

Paths in the file are relative to the folder that holds it. Flags on the command
line override settings; the CLI passes them in as ``overrides``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxlens.errors import ConfigError
from cxlens.schema import TABLES

CONFIG_NAME = "cxlens.toml"

PROJECT_KEYS = ("timezone", "language", "currency", "warehouse", "region")
SECTIONS = (
    "project",
    "spark",
    "postgres",
    "business_hours",
    "sla",
    "csat",
    "ces",
    "churn",
    "clv",
    "targets",
    "serve",
    "coaching",
    "bottlenecks",
    "staffing",
    "tiers",
    "topics",
    "alerts",
    "sources",
)
# The actions' sections: each is checked (unknown keys, ranges) and completed with its
# defaults by the action's own module, which knows what its keys mean.
ACTION_SECTIONS = {
    "coaching": "cxlens.actions.coaching:check_settings",
    "bottlenecks": "cxlens.actions.bottlenecks:check_settings",
    "staffing": "cxlens.actions.staffing:check_settings",
    "tiers": "cxlens.actions.tiers:check_settings",
    "topics": "cxlens.models.text:check_settings",
    "alerts": "cxlens.insights.alert_rules:check_settings",
}
# [serve]: where `cxlens serve` listens and how many survey answers one address may send
# a minute (a guard against scripted submissions, not against a busy help desk).
SERVE_KEYS = ("host", "port", "survey_submissions_per_minute")
# [postgres]: the local DuckDB file where import and clean run, and the Postgres schema
# the cleaned tables are published to (only for warehouse = "postgres://…").
POSTGRES_KEYS = ("staging", "schema")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.I)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTERVAL = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


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
    targets: dict[str, Any] = field(
        default_factory=lambda: {"action": "call", "cost_per_action": 20.0, "save_rate": 0.2}
    )
    serve: dict[str, Any] = field(
        default_factory=lambda: {
            "host": "127.0.0.1",
            "port": 8000,
            "survey_submissions_per_minute": 30,
        }
    )
    spark: dict[str, Any] = field(default_factory=dict)
    postgres: dict[str, Any] = field(default_factory=dict)
    coaching: dict[str, Any] = field(default_factory=dict)
    bottlenecks: dict[str, Any] = field(default_factory=dict)
    staffing: dict[str, Any] = field(default_factory=dict)
    tiers: dict[str, Any] = field(default_factory=dict)
    topics: dict[str, Any] = field(default_factory=dict)
    alerts: dict[str, Any] = field(default_factory=dict)
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

    def to_stored(self) -> str:
        """The settings that change what a number means, as JSON for the warehouse.

        The cleaned tables are cut in this project's time zone; storing the settings
        beside them lets a command that has only the warehouse file (``--db``, no
        cxlens.toml) compute the same numbers, and lets a command with different
        settings notice that the tables were built for others.
        """
        import json

        # [alerts] may carry a webhook URL with its token: it stays in cxlens.toml only
        stored = {k: v for k, v in self.raw.items() if k not in ("sources", "alerts")}
        stored["project"] = {
            **self.raw.get("project", {}),
            "timezone": self.timezone,
            "language": self.language,
            "currency": self.currency,
        }
        stored["project"].pop("warehouse", None)
        return json.dumps(stored, ensure_ascii=False, sort_keys=True, default=str)

    @classmethod
    def from_stored(
        cls, text: str, warehouse: str, overrides: dict[str, Any] | None = None
    ) -> Settings:
        """Settings rebuilt from ``to_stored`` output, for the warehouse at ``warehouse``."""
        import json

        raw = json.loads(text)
        raw["project"]["warehouse"] = str(Path(warehouse).resolve())
        return _build(raw, Path(warehouse).resolve().parent, None, overrides or {})


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
    return _build(raw, root, config_path, overrides or {})


def _build(
    raw: dict[str, Any], root: Path, config_path: Path | None, overrides: dict[str, Any]
) -> Settings:
    _check_names(raw, config_path)
    project = dict(raw.get("project", {}))
    for key, value in overrides.items():
        if value is not None:
            project[key] = value

    settings = Settings(root=root.resolve(), config_path=config_path, raw=raw)
    for key in ("timezone", "language", "currency", "warehouse"):
        if key in project:
            setattr(settings, key, str(project[key]))
    sections = [name for name in SECTIONS if name not in ("project", "sources")]
    for section in sections:
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


def _check_names(raw: dict[str, Any], where: Path | None) -> None:
    """Refuse misspelt sections and [project] keys instead of silently ignoring them."""
    for section in raw:
        if section not in SECTIONS:
            raise ConfigError(
                f"unknown section [{section}]; the sections are: {', '.join(SECTIONS)}", where
            )
    for key in raw.get("project", {}):
        if key not in PROJECT_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in [project]; the keys are: {', '.join(PROJECT_KEYS)}", where
            )


def parse_duration(text: Any, where: str = "[sla] first_response") -> int:
    """Minutes in a target written as ``"24h"``, ``"90m"``, ``"1d"`` or ``"1h30m"``.

    A bare number is refused: "24" could mean minutes or hours, and a wrong guess
    changes every SLA figure without a word.
    """
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise ConfigError(
            f"{where} = {text!r} is not a duration; write it with a unit, "
            "like '24h', '90m', '1d' or '1h30m'"
        )
    days, hours, minutes = (int(part or 0) for part in match.groups())
    total = days * 1440 + hours * 60 + minutes
    if total <= 0:
        raise ConfigError(f"{where} = {text!r} must be longer than zero")
    return total


def _validate(settings: Settings) -> None:
    where = settings.config_path
    check_timezone(settings.timezone, where)
    if settings.language not in ("zh", "en"):
        raise ConfigError(f"language must be 'zh' or 'en', not {settings.language!r}", where)
    try:
        _validate_sections(settings)
    except ConfigError as error:
        raise ConfigError(str(error), where) from None
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


def _validate_sections(settings: Settings) -> None:
    _validate_sla(settings.sla)
    _number(settings.csat, "csat", "satisfied_from", low=1, high=5, integer=True)
    _validate_churn(settings.churn)
    _validate_targets(settings.targets)
    _known_keys(
        settings.clv,
        "[clv]",
        ("time_unit", "horizon_months", "annual_discount_rate", "penalizer"),
    )
    _number(settings.clv, "clv", "penalizer", low=0)
    _number(settings.clv, "clv", "horizon_months", low=1)
    _number(settings.clv, "clv", "annual_discount_rate", low=0, high=0.99)
    if settings.clv.get("time_unit") not in ("day", "week", "month", "quarter", "year"):
        raise ConfigError(
            f"[clv] time_unit = {settings.clv.get('time_unit')!r}; use day, week, month, "
            "quarter or year"
        )
    _known_keys(settings.csat, "[csat]", ("satisfied_from", "satisfied_from_by_scale"))
    _known_keys(settings.ces, "[ces]", ("higher_is_easier",))
    if not isinstance(settings.ces.get("higher_is_easier"), bool):
        raise ConfigError("[ces] higher_is_easier must be true or false")
    _validate_business_hours(settings.business_hours)
    _validate_postgres(settings.postgres)
    _validate_serve(settings.serve)
    _known_keys(settings.spark, "[spark]", ("tables_dir",))
    if not isinstance(settings.spark.get("tables_dir", "spark-tables"), str):
        raise ConfigError("[spark] tables_dir must be a folder path written as a string")
    _validate_actions(settings)


def _validate_actions(settings: Settings) -> None:
    """Each action's section, checked and completed with its defaults by its module."""
    import importlib

    for section, checker in ACTION_SECTIONS.items():
        module, name = checker.split(":")
        check = getattr(importlib.import_module(module), name)
        setattr(settings, section, check(dict(getattr(settings, section))))


def _validate_churn(churn: dict[str, Any]) -> None:
    """The churn window, and attribute keys the churn model must not learn from."""
    _known_keys(churn, "[churn]", ("window_days", "exclude"))
    _number(churn, "churn", "window_days", low=1, integer=True)
    exclude = churn.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(k, str) for k in exclude):
        raise ConfigError(
            '[churn] exclude must be a list of attribute names, e.g. exclude = ["Status"]'
        )


def _validate_targets(targets: dict[str, Any]) -> None:
    """One action (``action``, ``cost_per_action``, ``save_rate``) or several to choose
    from (``[[targets.actions]]`` with ``name``, ``cost``, ``save_rate``)."""
    _known_keys(targets, "[targets]", ("action", "cost_per_action", "save_rate", "actions"))
    _number(targets, "targets", "cost_per_action", low=0)
    _number(targets, "targets", "save_rate", low=0, high=1)
    if not isinstance(targets.get("action", "call"), str):
        raise ConfigError('[targets] action must be a name written as a string, e.g. "call"')
    actions = targets.get("actions", [])
    if not isinstance(actions, list):
        raise ConfigError("[targets] actions must be [[targets.actions]] tables")
    for number, action in enumerate(actions, start=1):
        where = f"[[targets.actions]] number {number}"
        if not isinstance(action, dict):
            raise ConfigError(f"{where} must be a table with name, cost and save_rate")
        _known_keys(action, where, ("name", "cost", "save_rate"))
        missing = [key for key in ("name", "cost", "save_rate") if key not in action]
        if missing:
            raise ConfigError(f"{where} lacks {', '.join(missing)}")
        _number(action, f"targets.actions {action.get('name')}", "cost", low=0)
        _number(action, f"targets.actions {action.get('name')}", "save_rate", low=0, high=1)


SLA_TARGETS = ("first_response", "next_response", "resolution")


def _validate_sla(sla: dict[str, Any]) -> None:
    """Targets, the business-hours switch and per-priority tables; a misspelt key is an
    error, not a target silently left at its default."""
    _known_keys(sla, "[sla]", (*SLA_TARGETS, "business_hours", "priority"))
    _flag(sla, "[sla]", "business_hours")
    for key in SLA_TARGETS:
        if key in sla:
            parse_duration(sla[key], f"[sla] {key}")
    priorities = sla.get("priority") or {}
    if not isinstance(priorities, dict):
        raise ConfigError("[sla] priority must be tables such as [sla.priority.urgent]")
    for priority, section in priorities.items():
        if not isinstance(section, dict):
            raise ConfigError(f"[sla.priority.{priority}] must be a table of targets")
        where = f"[sla.priority.{priority}]"
        _known_priority(priority, where)
        _known_keys(section, where, (*SLA_TARGETS, "business_hours"))
        _flag(section, where, "business_hours")
        for key in ("first_response", "next_response", "resolution"):
            if key in section:
                parse_duration(section[key], f"[sla.priority.{priority}] {key}")


def _known_keys(section: dict[str, Any], where: str, keys: tuple[str, ...]) -> None:
    for key in section:
        if key not in keys:
            raise ConfigError(f"unknown key {key!r} in {where}; the keys are: {', '.join(keys)}")


def _flag(section: dict[str, Any], where: str, key: str) -> None:
    if key in section and not isinstance(section[key], bool):
        raise ConfigError(f"{where} {key} = {section[key]!r} must be true or false")


def _known_priority(name: str, where: str) -> None:
    """A priority table must name a priority the clean step knows (or one of its names)."""
    from cxlens.clean.codes import PRIORITIES, vocabulary_mapper

    if not vocabulary_mapper(PRIORITIES)(str(name))[1]:
        raise ConfigError(
            f"{where}: unknown priority {name!r}; tickets' priorities are read as "
            f"{', '.join(PRIORITIES)} (names such as 'critical' or 'P1' count as urgent)"
        )


def _number(
    section: dict[str, Any],
    name: str,
    key: str,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
) -> None:
    if key not in section:
        return
    value = section[key]
    kind = "a whole number" if integer else "a number"
    valid_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not valid_type:
        raise ConfigError(f"[{name}] {key} = {value!r} must be {kind}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low}" + (f" to {high}" if high is not None else " up")
        raise ConfigError(f"[{name}] {key} = {value!r} is out of range ({bounds})")


def _validate_business_hours(hours: dict[str, Any]) -> None:
    for key, value in hours.items():
        if key in WEEKDAYS:
            intervals = value if isinstance(value, list) else [value]
            for interval in intervals:
                if not isinstance(interval, str) or not _INTERVAL.match(interval.replace(" ", "")):
                    raise ConfigError(
                        f"[business_hours] {key} = {value!r}: write local intervals "
                        'like ["09:00-12:00", "13:00-18:00"]'
                    )
        elif key == "always":
            if not isinstance(value, bool):
                raise ConfigError("[business_hours] always must be true or false")
        elif key == "holidays":
            _validate_holidays(value)
        else:
            raise ConfigError(
                f"unknown key {key!r} in [business_hours]; the keys are: "
                f"{', '.join(WEEKDAYS)}, holidays, always"
            )


def _validate_serve(section: dict[str, Any]) -> None:
    _known_keys(section, "[serve]", SERVE_KEYS)
    if not isinstance(section["host"], str) or not section["host"].strip():
        raise ConfigError(f"[serve] host = {section['host']!r} must be a host name or address")
    port = section["port"]
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"[serve] port = {port!r} must be a whole number from 1 to 65535")
    rate = section["survey_submissions_per_minute"]
    if not isinstance(rate, int) or isinstance(rate, bool) or rate < 1:
        raise ConfigError(
            f"[serve] survey_submissions_per_minute = {rate!r} must be a whole number of 1 or more"
        )


def _validate_postgres(section: dict[str, Any]) -> None:
    for key, value in section.items():
        if key not in POSTGRES_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in [postgres]; the keys are: {', '.join(POSTGRES_KEYS)}"
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"[postgres] {key} = {value!r} must be a non-empty string")
    schema = section.get("schema")
    if schema is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise ConfigError(
            f"[postgres] schema = {schema!r}: use lower-case letters, digits and _ "
            "(at most 63, not starting with a digit), e.g. 'cxlens'"
        )


def _validate_holidays(value: Any) -> None:
    """Holidays are a list of ISO dates (``["2024-10-01"]``); anything else is refused here,
    before a file is imported, rather than when the calendar is built."""
    from datetime import date

    example = '["2024-10-01", "2024-10-02"]'
    if not isinstance(value, list):
        raise ConfigError(
            f"[business_hours] holidays = {value!r}: write a list of dates like {example}"
        )
    for day in value:
        text = day.isoformat() if isinstance(day, date) else day
        if not isinstance(text, str) or not _ISO_DATE.match(text):
            raise ConfigError(
                f"[business_hours] holidays: {day!r} is not a date written YYYY-MM-DD; "
                f"write them like {example}"
            )
        try:
            date.fromisoformat(text)
        except ValueError:
            raise ConfigError(
                f"[business_hours] holidays: {day!r} is not a calendar date"
            ) from None
