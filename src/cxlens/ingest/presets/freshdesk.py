"""Freshdesk ticket export, CSV or Excel (``freshdesk``).

Headers as Freshdesk's ticket export names them: ``Ticket ID, Subject, Status,
Priority, Source, Type, Agent, Group, Created time, Due by Time, Resolved time, Closed
time, Last update time, Initial response time, Time tracked, First response time (in
hrs), Resolution time (in hrs), Agent interactions, Customer interactions, Resolution
status, First response status, Tags, Survey results, …`` plus the contact fields the
exporter ticks (``Full name, Email, Contact ID, …``).

The export carries timestamps for creation, first response ("Initial response time"),
resolution and closing, all wall-clock times of the helpdesk's zone without offset:
give the source a ``timezone``. ``First response time (in hrs)`` and ``Resolution time
(in hrs)`` are written as ``hh:mm:ss`` text that runs past 24 hours (``26:15:00``), or
as a number of hours; they become ``first_response_minutes`` and
``resolution_minutes``. Where the timestamps are there too they win in cleaning (the
contract's rule), and a disagreement is noted in the cleaning log, as it will be
where the helpdesk counts these durations in business hours. "Survey results" depend
on how each helpdesk words its survey, so they are kept in attributes rather than
guessed onto a scale.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

_STATUS = (
    "CASE lower(trim({Status})) WHEN 'open' THEN 'open' WHEN 'pending' THEN 'pending'"
    " WHEN 'waiting on customer' THEN 'pending' WHEN 'waiting on third party' THEN 'on_hold'"
    " WHEN 'resolved' THEN 'solved' WHEN 'closed' THEN 'closed'"
    " WHEN '' THEN NULL ELSE 'open' END"
)
_PRIORITY = (
    "CASE lower(trim({Priority})) WHEN 'low' THEN 'low' WHEN 'medium' THEN 'normal'"
    " WHEN 'high' THEN 'high' WHEN 'urgent' THEN 'urgent' END"
)
# Freshdesk's ticket sources (the export's Source, the API's source codes): Email,
# Portal, Phone, Forum, Twitter, Facebook, Chat, MobiHelp, Feedback Widget, Outbound
# Email, E-commerce, WhatsApp, ... Sources named here get the standard word, read as
# the zendesk preset reads the same channels (the customer portal's ticket form is
# the help centre, the mobile app SDK is api); any other passes through as written,
# so that cleaning maps it or keeps it in attributes.channel_original and logs it.
_SOURCE_WORDS = {
    "email": ("email", "outbound email"),
    "help_center": ("portal", "forum"),
    "phone": ("phone",),
    "chat": ("chat",),
    "feedback_widget": ("feedback widget",),
    "api": ("mobihelp", "api"),
    "social": ("twitter", "facebook", "whatsapp", "instagram"),
}
_SOURCE = "lower(trim({Source}))"
_CHANNEL = (
    "CASE "
    + " ".join(
        f"WHEN {_SOURCE} IN ({', '.join(repr(w) for w in words)}) THEN '{code}'"
        for code, words in _SOURCE_WORDS.items()
    )
    + " ELSE trim({Source}) END"
)

TICKETS = Target(
    table="tickets",
    columns={
        "ticket_id": "Ticket ID",
        "created_at": "Created time",
        "customer_id": "Email",
        "channel": "sql:" + _CHANNEL,
        "category": "Type",
        "priority": "sql:" + _PRIORITY,
        "status": "sql:" + _STATUS,
        "agent_id": "Agent",
        "team": "Group",
        "first_response_at": "Initial response time",
        "solved_at": "Resolved time",
        "closed_at": "Closed time",
        "agent_replies": "Agent interactions",
        "customer_contacts": "Customer interactions",
        "first_response_minutes": "First response time (in hrs)",
        "resolution_minutes": "Resolution time (in hrs)",
    },
    # hh:mm:ss is read as a clock whatever the unit; a plain number is hours
    hints={
        "first_response_minutes": {"unit": "hours"},
        "resolution_minutes": {"unit": "hours"},
    },
)

PRESET = Preset(
    name="freshdesk",
    description="Freshdesk ticket export (Ticket ID, Status, Created time, Resolved time, ...)",
    targets=(TICKETS,),
    documentation=(
        "Headers of Freshdesk's ticket export (the field labels of Freshdesk's export "
        "dialog, as also listed in its API ticket object). Times are naive local times "
        "of the helpdesk's zone: set the source's timezone. created/first response/"
        "solved/closed come from Created time, Initial response time, Resolved time, "
        "Closed time; 'First response time (in hrs)' and 'Resolution time (in hrs)' (hh:mm:ss "
        "such as 26:15:00, or hours) -> first_response_minutes / resolution_minutes, "
        "the timestamps winning in cleaning where both exist; Survey results stay in "
        "attributes. Status Resolved -> solved, Waiting on Customer -> pending, Waiting on "
        "Third Party -> on_hold, other custom statuses -> open; priority Medium -> normal; "
        "Source -> standard channel (Portal and Forum -> help_center, MobiHelp -> api, "
        "others as written); customer = the contact's Email."
    ),
)
