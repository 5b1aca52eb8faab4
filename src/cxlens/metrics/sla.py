"""First-response targets from ``[sla]`` settings.

``first_response`` (default ``"24h"``) is the target; ``[sla.priority.<p>]
first_response`` overrides it for tickets of priority ``p``. Durations are written as
``"24h"``, ``"90m"``, ``"1d"``, ``"1h30m"`` (see ``cxlens.settings.parse_duration``). Targets
run in calendar time in this release, also where ``business_hours = true`` is set.
"""

from __future__ import annotations

import logging

from cxlens.settings import parse_duration

log = logging.getLogger(__name__)

DEFAULT_FIRST_RESPONSE = "24h"


def target_minutes(settings) -> tuple[int, dict[str, int]]:
    """The default first-response target and the per-priority overrides, in minutes."""
    sla = settings.sla or {}
    default = parse_duration(sla.get("first_response", DEFAULT_FIRST_RESPONSE))
    overrides = {}
    for priority, section in (sla.get("priority") or {}).items():
        if isinstance(section, dict) and "first_response" in section:
            where = f"[sla.priority.{priority}] first_response"
            overrides[str(priority).lower()] = parse_duration(section["first_response"], where)
    if sla.get("business_hours") or any(
        isinstance(s, dict) and s.get("business_hours")
        for s in (sla.get("priority") or {}).values()
    ):
        log.warning(
            "[sla] business_hours is set, but SLA targets are measured in calendar time "
            "in this release; business-hours SLA clocks are not available yet"
        )
    return default, overrides


def first_response_targets(settings, priority):
    """An Ibis integer expression: each ticket's first-response target in minutes."""
    import ibis

    default, overrides = target_minutes(settings)
    if not overrides:
        return ibis.literal(default, type="int64")
    key = priority.lower()
    cases = [(key == name, minutes) for name, minutes in overrides.items()]
    return ibis.cases(*cases, else_=default).cast("int64")
