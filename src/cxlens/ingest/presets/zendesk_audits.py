"""Zendesk Support ticket audits, JSON (``zendesk-audits``) → ticket_events.

The Ticket Audits API returns pages such as ``{"audits": [...], "next_page": ...}``;
each audit is one update of one ticket: ``id, ticket_id, created_at, author_id,
via {channel, source {from, to, rel}}, events [...]``. An audit's events are what the
update did: ``{type: Comment, public, author_id, body}``, ``{type: Create | Change,
field_name, value, previous_value}``, notifications, CCs, tags and more. A file may
hold one page, or pages or bare audits as JSON lines; the reader takes the audits out
of their pages and makes one row per event (``json_records`` / ``json_explode``), so
the rules below run in SQL over every event at once.

Which events become rows (kind):

- a ``Comment`` or ``VoiceComment``: ``message`` when public, ``note`` when private;
  in an audit made by a merge (via channel ``merge``), the comment of the ticket the
  same audit closes is the ``merge`` event, and the notice on the ticket merged into
  is a ``note`` (it is no reply to anyone);
- a ``Create`` or ``Change`` of ``status``: ``status``, ``status_to`` the new status
  (Zendesk's ``hold`` written ``on_hold``);
- a ``Change`` of ``assignee_id``, or a ``Create`` that sets one: ``assign``;
- every other event (tags, notifications, CCs, other fields) yields no row.

Who acted (actor), first rule that applies:

1. via channel ``answer_bot…`` (Zendesk's bots): ``bot``;
2. a business rule — via channel ``rule`` or via source rel ``trigger`` or
   ``automation`` — ``bot`` for its comments (an automatic acknowledgement is a bot's
   reply, case FR-2) and ``system`` for its other changes (a routing trigger's
   assignment is no bot hand-off);
3. author ``-1`` (Zendesk's own system user): ``system``;
4. the ticket's requester: ``customer``. The requester is read from the same file:
   every ``requester_id`` that a ``Create`` or ``Change`` event of that ticket names
   (value or previous value);
5. anyone else: ``agent``.

A comment by someone else (rules 1–3 not applying) on a ticket whose requester the
file never names is rejected with a row error: it cannot be told whether a customer
or an agent wrote it. Export each ticket's full audit history (its first audit holds
the ``Create`` of ``requester_id``).

The actor's id is the comment's ``author_id``, else the audit's. ``at`` is the audit's
``created_at`` (UTC). ``seq`` is the event's position in the file, counting from 1,
so events of one audit keep their order. ``attributes`` keeps the audit id
(``{"id": …}``); bodies are not stored.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target
from cxlens.ingest.readers import STAGE


def _event(field: str, row: str = "") -> str:
    """An event property as text; ``row`` qualifies the column (``r.``) in a subquery."""
    return f"json_extract_string({row}{{events}}, '$.{field}')"


_TYPE = _event("type")
_FIELD = _event("field_name")
_VALUE = _event("value")
_COMMENT = f"{_TYPE} IN ('Comment', 'VoiceComment')"
_AUTHOR = f"coalesce({_event('author_id')}, {{author_id}})"
# an event carries its own via only where it differs from its audit's
_CHANNEL = (
    "lower(coalesce(json_extract_string({events}, '$.via.channel'), "
    "json_extract_string({via}, '$.channel')))"
)
_REL = (
    "lower(coalesce(json_extract_string({events}, '$.via.source.rel'), "
    "json_extract_string({via}, '$.source.rel')))"
)
_RULE = f"({_CHANNEL} = 'rule' OR coalesce({_REL} IN ('trigger', 'automation'), false))"
_BOT = f"coalesce({_CHANNEL} LIKE 'answer_bot%', false)"

# The ticket's requesters: every requester_id that a Create or Change of the ticket sets
# or replaces, anywhere in the file. Uncorrelated subqueries over the staged file (which
# the row filter below does not narrow), so DuckDB answers them with one hash join each.
_REQUESTER_EVENTS = f"FROM {STAGE} r WHERE {_event('field_name', 'r.')} = 'requester_id'"
_REQUESTER_PAIRS = (
    f"SELECT r.{{ticket_id}} || ':' || unnest([{_event('value', 'r.')}, "
    f"{_event('previous_value', 'r.')}]) {_REQUESTER_EVENTS}"
)
_IS_REQUESTER = f"({{ticket_id}} || ':' || {_AUTHOR}) IN ({_REQUESTER_PAIRS})"
_REQUESTER_KNOWN = f"{{ticket_id}} IN (SELECT r.{{ticket_id}} {_REQUESTER_EVENTS})"
_ACTOR = (
    f"CASE WHEN {_BOT} THEN 'bot' "
    f"WHEN {_RULE} THEN CASE WHEN {_COMMENT} THEN 'bot' ELSE 'system' END "
    f"WHEN {_AUTHOR} = '-1' THEN 'system' "
    f"WHEN {_IS_REQUESTER} THEN 'customer' "
    f"WHEN {_COMMENT} AND NOT {_REQUESTER_KNOWN} THEN "
    f"'author ' || {_AUTHOR} || ' on a ticket whose requester this file does not name "
    "(include the ticket''s first audit, which sets requester_id)' "
    "ELSE 'agent' END"
)

_STATUS_EVENT = f"({_TYPE} IN ('Create', 'Change') AND {_FIELD} = 'status')"
_ASSIGN_EVENT = (
    f"({_TYPE} = 'Change' AND {_FIELD} = 'assignee_id' "
    f"OR {_TYPE} = 'Create' AND {_FIELD} = 'assignee_id' AND {_VALUE} IS NOT NULL)"
)
# The merge audit that closes a ticket is the merged ticket's side of the merge.
_CLOSES = (
    f"bool_or({_STATUS_EVENT} AND {_VALUE} = 'closed') OVER (PARTITION BY {{ticket_id}}, {{id}})"
)
_PUBLIC = f"coalesce(CAST({_event('public')} AS BOOLEAN), true)"
_KIND = (
    f"CASE WHEN {_COMMENT} AND {_CHANNEL} = 'merge' THEN "
    f"CASE WHEN {_CLOSES} THEN 'merge' ELSE 'note' END "
    f"WHEN {_COMMENT} THEN CASE WHEN {_PUBLIC} THEN 'message' ELSE 'note' END "
    f"WHEN {_STATUS_EVENT} THEN 'status' WHEN {_ASSIGN_EVENT} THEN 'assign' END"
)

EVENTS = Target(
    table="ticket_events",
    columns={
        "ticket_id": "ticket_id",
        "at": "created_at",
        "seq": "events#",
        "actor": "sql:" + _ACTOR,
        "actor_id": "sql:" + _AUTHOR,
        "kind": "sql:" + _KIND,
        "public": (
            f"sql:CASE WHEN {_COMMENT} THEN {_PUBLIC} AND coalesce({_CHANNEL}, '') <> 'merge' END"
        ),
        "status_to": (
            f"sql:CASE WHEN {_STATUS_EVENT} THEN "
            f"CASE lower({_VALUE}) WHEN 'hold' THEN 'on_hold' ELSE lower({_VALUE}) END END"
        ),
    },
    where=f"{_COMMENT} OR {_STATUS_EVENT} OR {_ASSIGN_EVENT}",
    attributes=("id",),
)

PRESET = Preset(
    name="zendesk-audits",
    description="Zendesk ticket audits JSON (audits: ticket_id, created_at, via, events)",
    targets=(EVENTS,),
    read={"json_records": "audits", "json_explode": "events"},
    documentation=(
        "Zendesk's Ticket Audits API JSON ({audits: [...]} pages, or audits as JSON "
        "lines), one row per Comment, status change and assignee change. Public comment "
        "-> message, private -> note; the comment of a merge audit that closes the ticket "
        "-> merge. Actor: answer_bot channels -> bot; triggers and automations -> bot for "
        "comments, system for changes; author -1 -> system; the ticket's requester (from "
        "requester_id Create/Change events in the same file) -> customer; others -> agent. "
        "A comment on a ticket whose requester the file never names is a row error. "
        "seq = the event's position in the file."
    ),
)
