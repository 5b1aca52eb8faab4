"""ServiceNow incident event log, one row per update (``servicenow-incidents``).

The layout is the UCI "Incident management process enriched event log", an export of a
ServiceNow instance: 36 columns such as ``number, incident_state, reopen_count,
sys_mod_count, opened_at, sys_updated_at, resolved_at, closed_at, category, priority,
assignment_group, assigned_to``; dates ``DD-MM-YYYY HH:MM``; ``?`` for missing.

Every row repeats the incident's fields as they were after one update, so the preset
keeps one ticket per ``number``: the row with the highest modification count, ties
broken by the update time and then by file order.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

_DATE = {"format": "%d-%m-%Y %H:%M"}

_LATEST_UPDATE = (
    "[try_cast({sys_mod_count} AS BIGINT),"
    " epoch(try_strptime({sys_updated_at}, '%d-%m-%Y %H:%M'))::BIGINT]"
)

# ServiceNow states onto the contract's statuses: waiting on the caller is "pending",
# waiting on a problem, vendor or evidence is "on_hold" (a third party holds it).
_STATUS = (
    "CASE lower(trim({incident_state})) WHEN 'new' THEN 'new' WHEN 'active' THEN 'open'"
    " WHEN 'awaiting user info' THEN 'pending' WHEN 'awaiting problem' THEN 'on_hold'"
    " WHEN 'awaiting vendor' THEN 'on_hold' WHEN 'awaiting evidence' THEN 'on_hold'"
    " WHEN 'awaiting change' THEN 'on_hold' WHEN 'resolved' THEN 'solved'"
    " WHEN 'closed' THEN 'closed' WHEN 'canceled' THEN 'closed' END"
)
# "1 - Critical" … "5 - Planning" onto urgent / high / normal / low.
_PRIORITY = (
    "CASE trim(split_part({priority}, '-', 1)) WHEN '1' THEN 'urgent' WHEN '2' THEN 'high'"
    " WHEN '3' THEN 'normal' WHEN '4' THEN 'low' WHEN '5' THEN 'low' END"
)
_CHANNEL = (
    "CASE lower(trim({contact_type})) WHEN 'phone' THEN 'phone' WHEN 'ivr' THEN 'phone'"
    " WHEN 'email' THEN 'email' WHEN 'self service' THEN 'web'"
    " WHEN 'direct opening' THEN 'manual' WHEN '' THEN NULL ELSE 'other' END"
)

INCIDENTS = Target(
    table="tickets",
    columns={
        "ticket_id": "number",
        "created_at": "opened_at",
        "customer_id": "caller_id",
        "channel": "sql:" + _CHANNEL,
        "category": "category",
        "priority": "sql:" + _PRIORITY,
        "status": "sql:" + _STATUS,
        "agent_id": "assigned_to",
        "team": "assignment_group",
        "solved_at": "resolved_at",
        "closed_at": "closed_at",
        "reopens": "reopen_count",
    },
    latest_by=_LATEST_UPDATE,
    hints={"created_at": _DATE, "solved_at": _DATE, "closed_at": _DATE},
    attributes=(
        "incident_state",
        "priority",
        "contact_type",
        "reassignment_count",
        "sys_mod_count",
        "made_sla",
        "subcategory",
        "u_symptom",
        "impact",
        "urgency",
        "location",
        "opened_by",
        "resolved_by",
        "closed_code",
        "knowledge",
        "sys_updated_at",
    ),
)

PRESET = Preset(
    name="servicenow-incidents",
    description="ServiceNow incident event log (number, incident_state, sys_mod_count, ...)",
    targets=(INCIDENTS,),
    read={"na_values": ["?"]},
    documentation=(
        "Layout of the UCI 'Incident management process enriched event log', a ServiceNow "
        "export (MANIFEST entry uci_incident_event_log_head6k.csv). One ticket per number: "
        "the update with the highest sys_mod_count (then the latest sys_updated_at). "
        "created_at = opened_at, solved_at = resolved_at, closed_at = closed_at, dates "
        "DD-MM-YYYY HH:MM in the source's time zone; '?' is missing. Priority '1 - Critical' "
        "… '5 - Planning' becomes urgent, high, normal, low, low; incident_state becomes "
        "new/open/pending/on_hold/solved/closed; agent = assigned_to, team = "
        "assignment_group, reopens = reopen_count, customer = caller_id."
    ),
)
