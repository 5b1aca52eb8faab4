"""Zendesk Support ticket export, CSV or Excel (``zendesk``).

Headers as Zendesk documents its ticket CSV export: ``Id, Requester, Requester email,
Assignee, Group, Subject, Tags, Status, Priority, Via, Ticket type, Created at,
Updated at, Solved at, Satisfaction Score, Reopens, Replies, First reply time in
minutes, First resolution time in minutes, Full resolution time in minutes, …``.

Dates in the export are wall-clock times of the account's time zone with no offset
(case IM-3): give the source a ``timezone`` so they are stored in UTC correctly.
The export gives first-reply and resolution durations in minutes but no first-reply
timestamp, so those durations are mapped as they are.
``Satisfaction Score`` holds the rating's state, and each state says whether a survey
went out: Good and Bad are sent and answered (Good = 1, Bad = 0 on a 0–1 scale);
Offered is sent and not answered (a row with no score, so that the response rate
counts it while CSAT leaves it out); Unoffered / Not Offered and blank mean no survey
(no row). Any other value is a row error naming the cell. The export carries no time
of sending or answering, so both are the ticket's solve time, else its creation time.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

_RATING = "lower(trim({Satisfaction Score}))"
# The states of a rating that mean no survey was sent; a blank cell means none either.
# Any other state but Offered reaches the score parser, so an unknown one is a row error.
_NOT_SENT = ("unoffered", "not offered")
_SENT_AT = "coalesce(nullif(trim({Solved at}), ''), {Created at})"

_STATUS = (
    "CASE lower(trim({Status})) WHEN 'new' THEN 'new' WHEN 'open' THEN 'open'"
    " WHEN 'pending' THEN 'pending' WHEN 'hold' THEN 'on_hold' WHEN 'on-hold' THEN 'on_hold'"
    " WHEN 'on hold' THEN 'on_hold' WHEN 'solved' THEN 'solved' WHEN 'closed' THEN 'closed' END"
)
_PRIORITY = (
    "CASE lower(trim({Priority})) WHEN 'low' THEN 'low' WHEN 'normal' THEN 'normal'"
    " WHEN 'high' THEN 'high' WHEN 'urgent' THEN 'urgent' END"
)
# "Via" names the channel a ticket came in by, as Zendesk's ticket export writes its
# via channel (the API's via.channel, e.g. voice or mobile_sdk, spelt either way).
# Channels named here get the standard word; any other passes through as written, so
# that cleaning maps it or keeps it in attributes.channel_original and logs it.
_VIA_WORDS = {
    "web": ("web", "web widget", "widget"),
    "help_center": ("web form", "web_form", "help center", "help_center", "help centre"),
    "email": ("email", "e-mail", "mail"),
    "api": ("api", "web service", "mobile sdk", "mobile_sdk"),
    "phone": (
        "voice",
        "phone",
        "phone call",
        "phone call (incoming)",
        "phone call (outgoing)",
        "voicemail",
        "talk",
    ),
    "chat": ("chat", "messaging", "native messaging", "native_messaging", "chat transcript"),
    "wechat": ("wechat",),
    "social": (
        "facebook",
        "facebook post",
        "facebook message",
        "twitter",
        "twitter dm",
        "twitter direct message",
        "instagram",
        "instagram dm",
        "instagram_dm",
        "whatsapp",
    ),
    "sms": ("sms", "text", "text message"),
}
_VIA = "lower(trim({Via}))"
_CHANNEL = (
    "CASE "
    + " ".join(
        f"WHEN {_VIA} IN ({', '.join(repr(w) for w in words)}) THEN '{code}'"
        for code, words in _VIA_WORDS.items()
    )
    + " ELSE trim({Via}) END"
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
        "score": (
            f"sql:CASE WHEN {_RATING} LIKE 'good%' THEN '1' WHEN {_RATING} LIKE 'bad%' THEN '0'"
            f" WHEN {_RATING} = 'offered' THEN NULL ELSE {{Satisfaction Score}} END"
        ),
        "scale_min": "sql:'0'",
        "scale_max": "sql:'1'",
        "customer_id": "Requester email",
        "ticket_id": "Id",
        "agent_id": "Assignee",
        "channel": "sql:" + _CHANNEL,
        "responded_at": f"sql:CASE WHEN {_RATING} <> 'offered' THEN {_SENT_AT} END",
        "sent_at": "sql:" + _SENT_AT,
    },
    where=f"lower(cx_na({{Satisfaction Score}})) NOT IN {_NOT_SENT!r}",
    attributes=(),
    hints={"score": {"expected": "a rating: Good, Bad, Offered, Unoffered, Not Offered or blank"}},
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
        "standard words (Via per Zendesk's channel names; others as written). "
        "Satisfaction Score Good/Bad become CSAT answers 'csat-<Id>' "
        "scored 1/0 on a 0-1 scale, sent and answered at Solved at, else Created at; "
        "Offered is a survey sent then and not answered (a row with no score); "
        "Unoffered, Not Offered and blank are no survey and yield no row; any other "
        "value is a row error."
    ),
)
