"""Chatwoot report downloads: CSAT responses (``chatwoot-csat``) and the aggregate reports
(``chatwoot-reports``, refused).

**CSAT responses.** Reports → CSAT → Download writes one row per survey answer with
the headers ``Agent Name, Rating, Feedback Comment, Contact Name, Contact Email Address,
Contact Phone Number, Link to the conversation, Recorded date`` (plus ``Review Notes``
on enterprise installations), as Chatwoot's CSAT download template and its English
locale name them. The file ends with a ``Reporting period <since> to <until>`` line;
other report downloads put that line, and a blank line, above the header (case
IM-4). Both are read options of the preset (``header_with``, ``trailer``), so they are
skipped by the reader and never reach the data.

- ``Agent Name`` is written ``Name (email)``: the e-mail is the agent's id (the name
  stays in attributes); a value without an e-mail is taken whole.
- ``Link to the conversation`` ends in ``/conversations/<display id>``: that id is
  the ticket the answer belongs to.
- The contact is its e-mail, else its phone number, else its name.
- ``Rating`` is 1–5; ``Recorded date`` is when the answer was recorded (Chatwoot
  writes it with ``UTC`` or an offset, so no time zone needs to be given).
- The download has no response id: an answer is keyed ``csat-<conversation>-<recorded
  date digits>`` so that downloading overlapping periods replaces instead of doubling.

**Aggregate reports.** The agent, inbox, team and label reports and the conversation
summary hold one row of counts and averages per agent (inbox, team, label) for the
period, with durations as text such as ``1 day 3 hours`` (at most two units). Averages
cannot be turned back into conversations and cxlens computes those KPIs itself, so
such a file is refused, with the export to use instead.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

# The line Chatwoot writes above or below a report's table (its locale's
# "reports.period"), and the UTC notice some versions add.
_TRAILER = r"(?i)(reporting period\b.*|the report generated is in utc timezone\.?)"

_USE_INSTEAD = (
    "Averages cannot be turned back into conversations, and cxlens computes these KPIs "
    "itself from one row per conversation. Import instead the conversations export (one "
    "row per conversation with its id, created time, status, assignee and first reply "
    "time, e.g. from Chatwoot's conversations API) with --table tickets, and the CSAT "
    "responses download (Reports > CSAT > Download) with --preset chatwoot-csat"
)


def _aggregate(kind: str, per: str) -> str:
    return (
        f"this is Chatwoot's {kind} report: one row of totals and averages per {per} for "
        "the reporting period (Avg first response time, Avg resolution time, ...), not one "
        f"row per conversation. {_USE_INSTEAD}"
    )


# The aggregate reports, told apart by their first header (English locale).
AGGREGATE_REPORTS = (
    (("Agent name", "Avg first response time"), _aggregate("agent", "agent")),
    (("Inbox name", "Avg first response time"), _aggregate("inbox", "inbox")),
    (("Team name", "Avg first response time"), _aggregate("team", "team")),
    (("Label", "Avg first response time"), _aggregate("label", "label")),
    (
        ("Conversations", "Avg first response time"),
        _aggregate("conversation summary", "period"),
    ),
)

_CONVERSATION = r"regexp_extract({Link to the conversation}, '/conversations/(\d+)', 1)"
_CONVERSATION_ID = f"nullif({_CONVERSATION}, '')"
_AGENT = (
    r"coalesce(nullif(regexp_extract({Agent Name}, '\(\s*([^()\s]+@[^()\s]+)\s*\)\s*$', 1), ''),"
    " nullif(trim({Agent Name}), ''))"
)
_CONTACT = (
    "coalesce(nullif(trim({Contact Email Address}), ''), nullif(trim({Contact Phone Number}), ''),"
    " nullif(trim({Contact Name}), ''))"
)
_RESPONSE_ID = (
    "'csat-' || coalesce(" + _CONVERSATION_ID + ", 'contact-' || " + _CONTACT + ")"
    " || '-' || regexp_replace({Recorded date}, '[^0-9]', '', 'g')"
)

CSAT = Target(
    table="survey_responses",
    columns={
        "response_id": "sql:" + _RESPONSE_ID,
        "kind": "sql:'csat'",
        "score": "Rating",
        "scale_min": "sql:'1'",
        "scale_max": "sql:'5'",
        "customer_id": "sql:" + _CONTACT,
        "ticket_id": "sql:" + _CONVERSATION_ID,
        "agent_id": "sql:" + _AGENT,
        "responded_at": "Recorded date",
        "comment": "Feedback Comment",
    },
    attributes=("Agent Name", "Contact Name", "Link to the conversation", "Review Notes"),
)

CSAT_PRESET = Preset(
    name="chatwoot-csat",
    description="Chatwoot CSAT responses download (Agent Name, Rating, Recorded date, ...)",
    targets=(CSAT,),
    read={
        "header_with": ("Rating", "Recorded date"),
        "trailer": _TRAILER,
        "refuse": AGGREGATE_REPORTS,
    },
    documentation=(
        "Headers of Chatwoot's CSAT responses download (its CSV template and English "
        "locale): Agent Name, Rating, Feedback Comment, Contact Name, Contact Email "
        "Address, Contact Phone Number, Link to the conversation, Recorded date. The "
        "'Reporting period' line and blank lines around the table are skipped (IM-4). "
        "Rating 1-5 is a CSAT answer keyed csat-<conversation>-<recorded digits>; the "
        "conversation id comes from the link, the agent is the e-mail in 'Name (email)', "
        "the customer the contact's e-mail, else phone, else name; Recorded date is "
        "the answer's time. Aggregate report files are refused."
    ),
)

REPORTS_PRESET = Preset(
    name="chatwoot-reports",
    description="Chatwoot agent/inbox/team/label reports: refused, with what to export instead",
    targets=(),
    read={
        "header_with": ("Avg first response time",),
        "refuse": (
            *AGGREGATE_REPORTS,
            (
                (),
                "--preset chatwoot-reports names Chatwoot's aggregate reports (agents, "
                "inboxes, teams, labels), which cxlens does not import. " + _USE_INSTEAD,
            ),
        ),
    },
    documentation=(
        "Chatwoot's agent, inbox, team and label reports and the conversation summary "
        "(a 'Reporting period' line, a blank line, then one row of counts and averages "
        "per agent/inbox/team/label, durations as text like '1 day 3 hours'). They are "
        "aggregates, not conversations, so any file imported with this preset is "
        "refused with the export to use instead: the conversations export with --table "
        "tickets, and the CSAT download with --preset chatwoot-csat."
    ),
)

PRESETS = (CSAT_PRESET, REPORTS_PRESET)
