"""Zammad ticket list download, XLSX (``zammad``).

Zammad's reporting (and a ticket overview's download) writes a workbook laid out by
its ticket sheet: a title in the first row, a blank row, then the header ``#, Title,
State, Priority, Group, Owner, Customer, Organization, Create Channel, Sender, Tags,
Time Units Total``, the ticket object's custom attributes, ``Created At, Updated At,
Closed At, Close Escalation At, Close In Min, Close Diff In Min, First Response At,
First Response Escalation At, First Response In Min, First Response Diff In Min, …,
Last Contact At, Last Contact Agent At, Last Contact Customer At, Article Count,
Escalation At``. After the last ticket come a blank row and a footer ``Timezone:
<zone>``. The title and the footer are read options of the preset (``header_with``,
``trailer``), so they never reach the data.

- Times are typed cells holding wall-clock times of the zone the footer names: give
  the source that ``timezone``.
- Owner, Customer, Group and Organization are names (Zammad writes the user's full
  name); an unassigned ticket's owner is ``-``, read as missing.
- ``State`` holds the state's stored name (``new, open, pending reminder, pending close,
  closed, merged, removed``), German spellings of an installation that renamed its
  states are read too; ``Priority`` is ``1 low, 2 normal, 3 high``.
- Zammad's ``Closed At`` is set when a ticket is first closed and kept when it is
  reopened, so it is the first solve time; it is also the solve time of a ticket that
  is closed now. A reopened ticket that is open again has no solve time.
- The ``… In Min`` columns are counted in the SLA's business hours (and only where an
  SLA applies); durations are computed from the timestamps instead, so they stay in
  attributes.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

_STATE = "lower(trim({State}))"
# Zammad's stored state names, then the German names of the same states.
_STATE_WORDS = {
    "new": ("new", "neu"),
    "open": ("open", "offen"),
    "pending": (
        "pending reminder",
        "pending close",
        "warten auf erinnerung",
        "warten auf schließen",
        "warten auf schliessen",
    ),
    "closed": ("closed", "geschlossen"),
    "merged": ("merged", "zusammengefügt", "zusammengefuegt"),
}
_CLOSED_STATES = _STATE_WORDS["closed"]


def _case(value: str, words: dict[str, tuple[str, ...]], otherwise: str) -> str:
    arms = " ".join(
        f"WHEN {value} IN ({', '.join(repr(w) for w in ws)}) THEN '{code}'"
        for code, ws in words.items()
    )
    return f"CASE {arms} ELSE {otherwise} END"


_STATUS = _case(_STATE, _STATE_WORDS, "nullif(trim({State}), '')")

# "1 low", "2 normal", "3 high": the number orders them, the word names them.
_PRIORITY_WORD = r"regexp_replace(lower(trim({Priority})), '^\d+\s*', '')"
_PRIORITY = _case(
    _PRIORITY_WORD,
    {"low": ("low", "niedrig"), "normal": ("normal",), "high": ("high", "hoch")},
    "nullif(trim({Priority}), '')",
)

# The article type of a ticket's first article ("Create Channel"). Types named here
# get the standard word; any other passes through for cleaning to map or log.
_CHANNEL_WORDS = {
    "email": ("email",),
    "phone": ("phone",),
    "help_center": ("web",),
    "chat": ("chat",),
    "sms": ("sms",),
    "social": (
        "twitter status",
        "twitter direct-message",
        "facebook feed post",
        "facebook feed comment",
        "telegram personal-message",
        "whatsapp message",
    ),
    "manual": ("note",),
}
_CHANNEL = _case(
    "lower(trim({Create Channel}))", _CHANNEL_WORDS, "nullif(trim({Create Channel}), '')"
)

_CREATED_BY = _case(
    "lower(trim({Sender}))",
    {"customer": ("customer", "kunde"), "agent": ("agent",), "system": ("system",)},
    "NULL",
)

_SOLVED_AT = (
    f"CASE WHEN {_STATE} IN ({', '.join(repr(w) for w in _CLOSED_STATES)}) THEN {{Closed At}} END"
)

# The footer "Timezone: Europe/Berlin" ("Zeitzone: …" in German, translated by locale):
# one cell, a word or two, a colon and an IANA zone name.
_FOOTER = r"[^:]{1,40}:\s*(UTC|GMT|[A-Za-z]+(/[A-Za-z0-9_+\-]+)+)"

TICKETS = Target(
    table="tickets",
    columns={
        "ticket_id": "#",
        "created_at": "Created At",
        "customer_id": "Customer",
        "channel": "sql:" + _CHANNEL,
        "priority": "sql:" + _PRIORITY,
        "status": "sql:" + _STATUS,
        "agent_id": "Owner",
        "team": "Group",
        "created_by": "sql:" + _CREATED_BY,
        "first_response_at": "First Response At",
        "first_solved_at": "Closed At",
        "solved_at": "sql:" + _SOLVED_AT,
        "closed_at": "sql:" + _SOLVED_AT,
    },
)

PRESET = Preset(
    name="zammad",
    description="Zammad ticket list download, XLSX (#, Title, State, Priority, Created At, ...)",
    targets=(TICKETS,),
    read={"header_with": ("#", "Title", "State"), "trailer": _FOOTER},
    documentation=(
        "Layout of Zammad's ticket sheet (lib/excel_sheet/ticket.rb): title row, blank "
        "row, header (#, Title, State, Priority, Group, Owner, Customer, Organization, "
        "Create Channel, Sender, ..., Created At, Closed At, First Response At, ...), "
        "tickets, blank row, 'Timezone: <zone>' footer; title and footer are skipped. "
        "Times are local to the footer's zone: set the source's timezone. State new/open "
        "/pending reminder/pending close/closed/merged (also German) -> new/open/pending/"
        "closed/merged; priority '1 low, 2 normal, 3 high'; Create Channel -> channel "
        "(web -> help_center, note -> manual); Sender -> created_by. Closed At is the "
        "first close: first_solved_at always, solved_at and closed_at while closed. The "
        "business-hour '... In Min' columns stay in attributes."
    ),
)
