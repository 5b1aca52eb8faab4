"""Chatwoot conversation messages, JSON (``chatwoot-messages``) → ticket_events.

Chatwoot's API lists a conversation's messages as ``{"meta": {...}, "payload":
[...]}``; each message has ``id, conversation_id, created_at`` (epoch seconds),
``message_type`` (0 incoming, 1 outgoing, 2 activity, 3 template; webhooks write the
words), ``private``, ``content``, ``content_type``, ``content_attributes`` and its
sender (``sender_type`` Contact / User / AgentBot, or a ``sender`` object with
``type`` contact / user / agent_bot). A file may hold pages, a bare array or JSON lines
of messages. A conversation is a ticket (``ticket_id`` = ``conversation_id``).

- incoming → ``message`` by the sender, ``customer`` when the sender is not named;
- outgoing → ``message`` (``note`` when ``private``) by the sender, ``agent`` when not
  named; a sender of type AgentBot (or Captain, Chatwoot's assistant) is ``bot``;
- template (greetings, away and survey messages Chatwoot sends by itself) →
  ``message`` by ``bot``: like an automatic acknowledgement, a first *any* response
  but never a human's (case FR-2);
- activity messages are Chatwoot's log lines, written in the account's language.
  Those in English that can be read without doubt become events (others yield none):
  "Conversation was marked resolved by …" and "Conversation was resolved by …" →
  ``status`` solved; "… was reopened by …", "… was marked open …" and "System reopened
  the conversation …" → open; "… marked as pending by …" → pending; "… was snoozed
  by …" → on_hold; "… self-assigned this conversation", "Assigned to … by …" and
  "Conversation unassigned by …" → ``assign``. Their actor: the sender where one is
  named; else ``customer`` for "was resolved by <contact>", ``system`` where the line
  says the system or "automatically" did it, ``agent`` otherwise. A bot's hand-off is
  seen only where the activity names an AgentBot sender.

``actor_id`` is the sender's id (``sender_id``, else ``sender.id``); ``seq`` is the
message's position in the file, counting from 1. ``attributes`` keeps the message id
and ``content_type``; message texts are not stored.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target
from cxlens.ingest.readers import ROW

_TYPE = (
    "CASE lower(trim({message_type})) WHEN '0' THEN 'incoming' WHEN '1' THEN 'outgoing' "
    "WHEN '2' THEN 'activity' WHEN '3' THEN 'template' ELSE lower(trim({message_type})) END"
)
_SENDER = (
    "replace(lower(coalesce({sender_type}, json_extract_string({sender}, '$.type'))), '_', '')"
)
_SENDER_ACTOR = (
    f"CASE WHEN {_SENDER} = 'contact' THEN 'customer' WHEN {_SENDER} = 'user' THEN 'agent' "
    f"WHEN {_SENDER} IN ('agentbot', 'captain::assistant', 'captainassistant') THEN 'bot' END"
)
_PRIVATE = "coalesce(lower(trim({private})) IN ('true', '1'), false)"
_TEXT = "lower(trim({content}))"

_STATUS_TO = (
    f"CASE WHEN {_TEXT} LIKE 'conversation was marked resolved by %' "
    f"OR {_TEXT} LIKE 'conversation was resolved by %' THEN 'solved' "
    f"WHEN {_TEXT} LIKE 'conversation was reopened by %' "
    f"OR {_TEXT} LIKE 'conversation was marked open %' "
    f"OR {_TEXT} LIKE 'system reopened the conversation%' THEN 'open' "
    f"WHEN {_TEXT} LIKE 'conversation was marked as pending by %' THEN 'pending' "
    f"WHEN {_TEXT} LIKE 'conversation was snoozed by %' THEN 'on_hold' END"
)
_ASSIGNED = (
    f"({_TEXT} LIKE '% self-assigned this conversation' OR {_TEXT} LIKE 'assigned to % by %' "
    f"OR {_TEXT} LIKE 'conversation unassigned by %')"
)
_ACTIVITY_ACTOR = (
    f"coalesce({_SENDER_ACTOR}, CASE "
    f"WHEN {_TEXT} LIKE 'conversation was resolved by %' THEN 'customer' "
    f"WHEN {_TEXT} LIKE '% by system%' OR {_TEXT} LIKE 'system %' "
    f"OR {_TEXT} LIKE '%automatically%' THEN 'system' ELSE 'agent' END)"
)

_ACTOR = (
    f"CASE {_TYPE} WHEN 'incoming' THEN coalesce({_SENDER_ACTOR}, 'customer') "
    f"WHEN 'outgoing' THEN coalesce({_SENDER_ACTOR}, 'agent') WHEN 'template' THEN 'bot' "
    f"WHEN 'activity' THEN {_ACTIVITY_ACTOR} END"
)
_KIND = (
    f"CASE {_TYPE} WHEN 'incoming' THEN 'message' "
    f"WHEN 'outgoing' THEN CASE WHEN {_PRIVATE} THEN 'note' ELSE 'message' END "
    "WHEN 'template' THEN 'message' "
    f"WHEN 'activity' THEN CASE WHEN ({_STATUS_TO}) IS NOT NULL THEN 'status' "
    f"WHEN {_ASSIGNED} THEN 'assign' END "
    "ELSE 'message_type ' || coalesce({message_type}, 'missing') END"
)

EVENTS = Target(
    table="ticket_events",
    columns={
        "ticket_id": "conversation_id",
        "at": "created_at",
        "seq": f"sql:{ROW}",
        "actor": "sql:" + _ACTOR,
        "actor_id": "sql:coalesce({sender_id}, json_extract_string({sender}, '$.id'))",
        "kind": "sql:" + _KIND,
        "public": f"sql:CASE WHEN {_TYPE} <> 'activity' THEN NOT {_PRIVATE} END",
        "status_to": f"sql:CASE WHEN {_TYPE} = 'activity' THEN {_STATUS_TO} END",
    },
    # every message, and the activity lines read as a status change or an assignment;
    # an unknown message_type is kept, so that it is rejected by name, not dropped
    where=(
        f"{_TYPE} IS NULL OR {_TYPE} <> 'activity' OR ({_STATUS_TO}) IS NOT NULL OR {_ASSIGNED}"
    ),
    attributes=("id", "content_type"),
)

PRESET = Preset(
    name="chatwoot-messages",
    description="Chatwoot messages JSON (conversation_id, message_type, sender_type, created_at)",
    targets=(EVENTS,),
    read={
        "json_records": "payload",
        "json_keys": (
            "id",
            "content",
            "content_type",
            "private",
            "sender",
            "sender_type",
            "sender_id",
        ),
    },
    documentation=(
        "Chatwoot's messages API JSON ({meta, payload: [...]} pages, an array or JSON "
        "lines), ticket_id = conversation_id, created_at in epoch seconds. Incoming -> "
        "message (customer unless a sender says otherwise); outgoing -> message, private "
        "-> note (agent; AgentBot/Captain senders -> bot); template -> bot message; "
        "English activity lines: resolved -> status solved, reopened/marked open -> open, "
        "pending, snoozed -> on_hold, assigned/self-assigned/unassigned -> assign; others "
        "dropped. seq = position in the file."
    ),
)
