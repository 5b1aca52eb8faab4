"""Kaggle "Customer Support Ticket Dataset" (``kaggle-support-tickets``).

A synthetic ticket list with one row per ticket and no creation timestamp. Its only
per-ticket clocks are ``First Response Time`` (answered tickets) and ``Time to
Resolution`` (closed tickets), both within about a day of each other; ``Date of
Purchase`` is years earlier and says nothing about when the ticket was opened.

What this preset decides (docs/presets.md explains the consequences):

- ``created_at`` is the first response time: the earliest moment the file proves the
  ticket existed. A ticket that was never answered (status Open) has no clock at all;
  it is dated at the file's latest clock, the moment the export evidently was taken.
- ``solved_at`` is mapped as given, so the tickets the file shows "resolved" before
  their first response keep their timestamps and are flagged by cleaning (a solve
  before creation) instead of being silently repaired. ``first_response_at`` is left
  empty: with creation taken from the first response it would measure nothing, and a
  first-response time of 0 minutes would read as a real figure in the report. The
  original clock stays in ``attributes``.
- The customer is identified by the lower-cased e-mail address, the only identifier.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

_EMAIL = "lower(trim({Customer Email}))"
_FIRST_RESPONSE = "nullif(trim({First Response Time}), '')"
_RESOLVED = "nullif(trim({Time to Resolution}), '')"
# The latest clock in the file: when the export was taken (ISO text sorts as time).
_EXPORTED_AT = f"max(greatest({_FIRST_RESPONSE}, {_RESOLVED})) OVER ()"

_STATUS = (
    "CASE lower(trim({Ticket Status})) WHEN 'open' THEN 'open'"
    " WHEN 'pending customer response' THEN 'pending' WHEN 'closed' THEN 'closed' END"
)
_PRIORITY = (
    "CASE lower(trim({Ticket Priority})) WHEN 'critical' THEN 'urgent' WHEN 'high' THEN 'high'"
    " WHEN 'medium' THEN 'normal' WHEN 'low' THEN 'low' END"
)
_CHANNEL = (
    "CASE lower(trim({Ticket Channel})) WHEN 'email' THEN 'email' WHEN 'phone' THEN 'phone'"
    " WHEN 'chat' THEN 'chat' WHEN 'social media' THEN 'social'"
    " WHEN '' THEN NULL ELSE 'other' END"
)

TICKETS = Target(
    table="tickets",
    columns={
        "ticket_id": "Ticket ID",
        "created_at": f"sql:coalesce({_FIRST_RESPONSE}, {_EXPORTED_AT})",
        "customer_id": "sql:" + _EMAIL,
        "channel": "sql:" + _CHANNEL,
        "category": "Ticket Type",
        "priority": "sql:" + _PRIORITY,
        "status": "sql:" + _STATUS,
        "created_by": "sql:'customer'",
        "solved_at": "Time to Resolution",
    },
    attributes=(
        "First Response Time",
        "Product Purchased",
        "Date of Purchase",
        "Ticket Subject",
        "Ticket Description",
        "Resolution",
    ),
)

CUSTOMERS = Target(
    table="customers",
    columns={
        "customer_id": "sql:" + _EMAIL,
        "name": "Customer Name",
        "email": "Customer Email",
        "age": "Customer Age",
        "gender": "Customer Gender",
    },
    where=f"nullif({_EMAIL}, '') IS NOT NULL",
    latest_by="try_cast({Ticket ID} AS BIGINT)",
    attributes=(),
)

RATINGS = Target(
    table="survey_responses",
    columns={
        "response_id": "sql:'csat-' || {Ticket ID}",
        "kind": "sql:'csat'",
        "score": "Customer Satisfaction Rating",
        "scale_min": "sql:'1'",
        "scale_max": "sql:'5'",
        "customer_id": "sql:" + _EMAIL,
        "ticket_id": "Ticket ID",
        "channel": "sql:" + _CHANNEL,
        "responded_at": f"sql:coalesce({_RESOLVED}, {_FIRST_RESPONSE})",
    },
    where="nullif(trim({Customer Satisfaction Rating}), '') IS NOT NULL",
    attributes=(),
)

PRESET = Preset(
    name="kaggle-support-tickets",
    description="Kaggle Customer Support Ticket Dataset (Ticket ID, Customer Name, ...)",
    targets=(TICKETS, CUSTOMERS, RATINGS),
    documentation=(
        "Layout of the Kaggle 'Customer Support Ticket Dataset' (MANIFEST entry "
        "customer_support_tickets_kaggle.csv). The file has no creation time: created_at "
        "is the First Response Time, or for never-answered tickets the file's latest clock "
        "(the export moment). Time to Resolution is kept as solved_at, so tickets resolved "
        "before their first response are flagged by cleaning, not dropped. No first "
        "response time is derived (it would be 0 by construction). Customers are keyed by lower-cased "
        "e-mail (latest ticket's name, age and gender); each 'Customer Satisfaction "
        "Rating' (1-5, closed tickets only) is a CSAT answer 'csat-<Ticket ID>' timed at "
        "the resolution."
    ),
)
