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


def _flag(field: str, when_true: str, when_false: str) -> str:
    """``when_true``/``when_false`` for a true/false field (missing is false); any other
    value passes through as written, so the column's check rejects it naming the cell."""
    value = "{" + field + "}"
    return (
        f"sql:CASE WHEN cx_bool({value}) THEN '{when_true}' "
        f"WHEN NOT cx_bool({value}) OR nullif(trim({value}), '') IS NULL THEN '{when_false}' "
        f"ELSE {value} END"
    )


EVENTS = Target(
    table="ticket_events",
    columns={
        "ticket_id": "ticket_id",
        "at": "created_at",
        "seq": f"sql:{ROW}",
        "actor": _flag("incoming", "customer", "agent"),
        "actor_id": "user_id",
        "kind": _flag("private", "note", "message"),
        "public": "sql:NOT coalesce(cx_bool({private}), false)",
    },
    attributes=("id", "source"),
    hints={
        "actor": {"expected": "incoming: true or false"},
        "kind": {"expected": "private: true or false"},
    },
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
