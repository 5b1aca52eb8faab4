"""Freshdesk ticket conversations, JSON (``freshdesk-conversations``) → ticket_events.

Freshdesk's API lists a ticket's conversations (``GET /api/v2/tickets/{id}/conversations``)
as an array of objects: ``id, ticket_id, created_at, user_id, incoming, private,
source, body_text, from_email, to_emails, …``. A file may hold one such array, the
conversations as JSON lines, or objects that carry them under ``conversations`` (a
ticket fetched with its conversations); each conversation is one event:

- actor: ``incoming`` true (the customer wrote it: a reply by e-mail or the portal)
  → ``customer``, otherwise ``agent``. Freshdesk marks no bot or automation in a
  conversation; automatic e-mails (acknowledgements, notifications) are not
  conversations at all, so nothing here is ``bot`` or ``system``;
- kind: ``private`` true → ``note`` (``public`` false); otherwise ``message``;
- actor_id: ``user_id``; ``at``: ``created_at`` (UTC); ``seq``: the conversation's
  position in the file, counting from 1.

What the conversations cannot give: status changes and assignments (Freshdesk keeps
them in the ticket's activity log, which the conversations API does not return), and
the customer's first message (the ticket's description is not a conversation). So
statuses, solve times and creation come from the ticket export (``freshdesk``
preset); first responses are timed from the ticket's creation. ``attributes`` keeps
the conversation's ``id`` and ``source`` code.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target
from cxlens.ingest.readers import ROW

_PRIVATE = "coalesce(lower(trim({private})) IN ('true', '1'), false)"
_INCOMING = "coalesce(lower(trim({incoming})) IN ('true', '1'), false)"

EVENTS = Target(
    table="ticket_events",
    columns={
        "ticket_id": "ticket_id",
        "at": "created_at",
        "seq": f"sql:{ROW}",
        "actor": f"sql:CASE WHEN {_INCOMING} THEN 'customer' ELSE 'agent' END",
        "actor_id": "user_id",
        "kind": f"sql:CASE WHEN {_PRIVATE} THEN 'note' ELSE 'message' END",
        "public": f"sql:NOT {_PRIVATE}",
    },
    attributes=("id", "source"),
)

PRESET = Preset(
    name="freshdesk-conversations",
    description="Freshdesk conversations JSON (ticket_id, created_at, user_id, incoming, private)",
    targets=(EVENTS,),
    read={
        "json_records": "conversations",
        "json_keys": ("id", "user_id", "incoming", "private", "source"),
    },
    documentation=(
        "Freshdesk's conversations API JSON (an array, JSON lines, or objects holding "
        "'conversations'), one event per conversation: incoming -> customer, otherwise "
        "agent; private -> note, otherwise public message; seq = position in the file. "
        "The conversations carry no status changes, assignments or the ticket's first "
        "message: statuses and creation come from the freshdesk ticket export."
    ),
)
