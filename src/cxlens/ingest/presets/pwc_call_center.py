"""PwC call-centre training data: one row per inbound call (``pwc-call-center``).

The layout is the ``Call-Center-Dataset.csv`` of PwC's Power BI virtual case, as
described in the data set's MANIFEST entry: ``Call Id, Agent, Date, Time, Topic,
Answered (Y/N), Resolved, Speed of answer in seconds, AvgTalkDuration, Satisfaction
rating``. Each call becomes a ticket on the phone channel; each rating a CSAT answer.
"""

from __future__ import annotations

from cxlens.ingest.presets.base import Preset, Target

# The call starts at Date + Time; times come without a leading zero (``9:12:58``).
_CALLED_AT = "{Date} || ' ' || lpad(trim({Time}), 8, '0')"

# A resolved call ends after the wait and the talk; that end is its solve time.
_CALL_ENDED_AT = (
    "strftime(strptime(" + _CALLED_AT + ", '%Y-%m-%d %H:%M:%S')"
    " + to_seconds(coalesce(try_cast({Speed of answer in seconds} AS BIGINT), 0))"
    " + coalesce(try_cast({AvgTalkDuration} AS INTERVAL), INTERVAL 0 SECOND),"
    " '%Y-%m-%d %H:%M:%S')"
)
_SOLVED_AT = "CASE WHEN upper(trim({Resolved})) = 'Y' THEN " + _CALL_ENDED_AT + " END"

CALLS = Target(
    table="tickets",
    columns={
        "ticket_id": "Call Id",
        "created_at": "sql:" + _CALLED_AT,
        "channel": "sql:'phone'",
        "category": "Topic",
        "agent_id": "Agent",
        "status": "sql:CASE WHEN upper(trim({Resolved})) = 'Y' THEN 'solved' ELSE 'open' END",
        "solved_at": "sql:" + _SOLVED_AT,
        "answered": "sql:CASE upper(trim({Answered (Y/N)})) WHEN 'Y' THEN 'yes' WHEN 'N' THEN 'no' END",
        "first_response_minutes": "Speed of answer in seconds",
    },
    hints={"first_response_minutes": {"unit": "seconds"}},
    attributes=("AvgTalkDuration",),
)

RATINGS = Target(
    table="survey_responses",
    columns={
        "response_id": "sql:'csat-' || {Call Id}",
        "kind": "sql:'csat'",
        "score": "Satisfaction rating",
        "scale_min": "sql:'1'",
        "scale_max": "sql:'5'",
        "ticket_id": "Call Id",
        "agent_id": "Agent",
        "channel": "sql:'phone'",
        "responded_at": "sql:coalesce(" + _SOLVED_AT + ", " + _CALLED_AT + ")",
    },
    where="nullif(trim({Satisfaction rating}), '') IS NOT NULL",
    attributes=(),
)

PRESET = Preset(
    name="pwc-call-center",
    description="PwC call-centre calls (Call Id, Agent, Date, Time, Topic, Answered (Y/N), ...)",
    targets=(CALLS, RATINGS),
    documentation=(
        "Layout of PwC's Power BI virtual-case call-centre file (MANIFEST entry "
        "pwc_call_center.csv). A call is a phone ticket created at Date + Time; answered "
        "from 'Answered (Y/N)'; status 'solved' when Resolved is Y, else 'open'; a resolved "
        "call is solved when it ends (start + speed of answer + talk time). Speed of answer "
        "(seconds) is the first-response duration; talk time stays in attributes. Each "
        "non-blank 'Satisfaction rating' (1-5) is a CSAT answer 'csat-<Call Id>', timed at "
        "the solve time, else the call's start."
    ),
)
