"""Zendesk Support ticket export, CSV or Excel (``zendesk``).

Headers as Zendesk documents its ticket CSV export: ``Id, Requester, Requester email,
Assignee, Group, Subject, Tags, Status, Priority, Via, Ticket type, Created at,
Updated at, Solved at, Satisfaction Score, Reopens, Replies, First reply time in
minutes, First resolution time in minutes, Full resolution time in minutes, …``.

Dates in the export are wall-clock times of the account's time zone with no offset
(case IM-3): give the source a ``timezone`` so they are stored in UTC correctly.
The export gives first-reply and resolution durations in minutes but no first-reply
timestamp, so those durations are mapped as they are.
``Satisfaction Score`` holds the rating's state; only Good and Bad are answers
(Good = 1, Bad = 0 on a 0–1 scale). Offered and Not Offered are not responses.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

_RATING = "lower(trim({Satisfaction Score}))"

_STATUS = (
    "CASE lower(trim({Status})) WHEN 'new' THEN 'new' WHEN 'open' THEN 'open'"
    " WHEN 'pending' THEN 'pending' WHEN 'hold' THEN 'on_hold' WHEN 'on-hold' THEN 'on_hold'"
    " WHEN 'on hold' THEN 'on_hold' WHEN 'solved' THEN 'solved' WHEN 'closed' THEN 'closed' END"
)
_PRIORITY = (
    "CASE lower(trim({Priority})) WHEN 'low' THEN 'low' WHEN 'normal' THEN 'normal'"
    " WHEN 'high' THEN 'high' WHEN 'urgent' THEN 'urgent' END"
)
# "Via" names the channel a ticket came in by: Web form, Email, Chat, Phone call
# (incoming), Voicemail, API, Twitter, Facebook, Mobile SDK, Help Center, ...
_VIA = "lower(trim({Via}))"
_CHANNEL = (
    f"CASE WHEN nullif({_VIA}, '') IS NULL THEN NULL"
    f" WHEN {_VIA} LIKE '%twitter%' OR {_VIA} LIKE '%facebook%' OR {_VIA} LIKE '%instagram%'"
    f" OR {_VIA} LIKE '%whatsapp%' OR {_VIA} LIKE '%wechat%' THEN 'social'"
    f" WHEN {_VIA} LIKE '%phone%' OR {_VIA} LIKE '%voicemail%' OR {_VIA} LIKE '%call%'"
    " THEN 'phone'"
    f" WHEN {_VIA} LIKE '%mail%' THEN 'email'"
    f" WHEN {_VIA} LIKE '%chat%' OR {_VIA} LIKE '%messag%' THEN 'chat'"
    f" WHEN {_VIA} LIKE '%sms%' OR {_VIA} LIKE '%text%' THEN 'sms'"
    f" WHEN {_VIA} LIKE '%help cent%' THEN 'help_center'"
    f" WHEN {_VIA} LIKE '%api%' OR {_VIA} LIKE '%web service%' THEN 'api'"
    f" WHEN {_VIA} LIKE '%web%' OR {_VIA} LIKE '%mobile%' THEN 'web'"
    " ELSE 'other' END"
)

TICKETS = Target(
    table="tickets",
    columns={
        "ticket_id": "Id",
        "created_at": "Created at",
        "customer_id": "Requester email",
        "channel": "sql:" + _CHANNEL,
        "category": "Ticket type",
        "priority": "sql:" + _PRIORITY,
        "status": "sql:" + _STATUS,
        "agent_id": "Assignee",
        "team": "Group",
        "solved_at": "Solved at",
        "reopens": "Reopens",
        "agent_replies": "Replies",
        "first_response_minutes": "First reply time in minutes",
        "resolution_minutes": "Full resolution time in minutes",
    },
)

SATISFACTION = Target(
    table="survey_responses",
    columns={
        "response_id": "sql:'csat-' || {Id}",
        "kind": "sql:'csat'",
        "score": f"sql:CASE WHEN {_RATING} LIKE 'good%' THEN '1' ELSE '0' END",
        "scale_min": "sql:'0'",
        "scale_max": "sql:'1'",
        "customer_id": "Requester email",
        "ticket_id": "Id",
        "agent_id": "Assignee",
        "channel": "sql:" + _CHANNEL,
        "responded_at": "sql:coalesce(nullif(trim({Solved at}), ''), {Created at})",
    },
    where=f"{_RATING} LIKE 'good%' OR {_RATING} LIKE 'bad%'",
    attributes=(),
)

PRESET = Preset(
    name="zendesk",
    description="Zendesk Support ticket export (Id, Requester, Assignee, Created at, ...)",
    targets=(TICKETS, SATISFACTION),
    documentation=(
        "Headers of the ticket CSV export in Zendesk's help-centre article 'Exporting "
        "data to a JSON, CSV, or XML file'. Times are naive local times of the account's "
        "zone (IM-3): set the source's timezone. Durations are minutes as exported "
        "(first reply, full resolution). Status, priority and Via are mapped to the "
        "standard words. Satisfaction Score Good/Bad become CSAT answers 'csat-<Id>' "
        "scored 1/0 on a 0-1 scale, timed at Solved at, else Created at; Offered and Not "
        "Offered are not answers and yield no row."
    ),
)
