"""Signed survey links: one per ticket or customer, expiring, answered at most once.

A link reads ``<base_url>/s/<payload>.<signature>``. The payload (base64url JSON) says
which survey (csat, nps, ces) about which ticket or customer, until when, in which
language, under a random link id; the signature is an HMAC-SHA256 of the payload with
a secret of 32 random bytes made once per warehouse (table ``web_secrets``). Nobody
without the secret can make or alter a link, so a link needs no lookup to be told
genuine; the lookup in ``survey_links`` (one row per link made) then gives what the
answer is linked to.

Each link made is also a survey sent: ``make_links`` writes, in the same transaction, one
survey response per link with no score yet (``link-<link_id>``, ``sent_at`` the link's
creation), through the same import path as a survey file. The response rate counts
these sends; an answer carries the same response id and so replaces its send by key.

Answers are written in batches (``submit_responses``; a busy server gathers them),
each in one transaction with the marks that their links were used
(``survey_link_uses``, the link id its primary key): if two answers to one link race,
from two threads or two processes, the second cannot commit, and its answer is gone
with it. Answers go through the same import path as a survey file
(``cxlens.ingest.records``, one call per batch), as responses ``link-<link_id>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cxlens.errors import ConfigError, CxlensError, InputError, WarehouseError
from cxlens.schema import DEFAULT_SCALES
from cxlens.store import has_table

log = logging.getLogger(__name__)

KINDS = tuple(DEFAULT_SCALES)  # csat, nps, ces
SUBJECT_TYPES = ("ticket", "customer")
LANGUAGES = ("zh", "en")
SECRET_NAME = "survey_links"
MAX_COMMENT = 5000  # characters; a survey comment, not a document
SHOWN_MISSING = 5
PAYLOAD_VERSION = 1
# Tries of a batch whose commit clashed with another process's write (or the importer
# refused some of its answers) before every answer of it gets the error.
WRITE_ATTEMPTS = 3

SECRETS_DDL = (
    "CREATE TABLE IF NOT EXISTS web_secrets (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"
)
LINKS_DDL = (
    "CREATE TABLE IF NOT EXISTS survey_links (link_id VARCHAR PRIMARY KEY, kind VARCHAR, "
    "subject_type VARCHAR, subject_id VARCHAR, created_at TIMESTAMP, expires_at TIMESTAMP, "
    "lang VARCHAR, customer_id VARCHAR, ticket_id VARCHAR, agent_id VARCHAR, channel VARCHAR)"
)
USES_DDL = (
    "CREATE TABLE IF NOT EXISTS survey_link_uses (link_id VARCHAR PRIMARY KEY, "
    "used_at TIMESTAMP NOT NULL, response_id VARCHAR NOT NULL)"
)
# Where a customer can be known from: their own row, or a ticket, order or contract.
CUSTOMER_SOURCES = ("raw_customers", "raw_tickets", "raw_orders", "raw_subscriptions")
_TEXT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}")


class LinkForged(InputError):
    """The link was not made by this warehouse, or was altered."""

    def __init__(self) -> None:
        super().__init__(
            "This survey link is not valid. Please open the link exactly as you received it."
        )


class LinkExpired(InputError):
    """The link's time to answer has passed."""

    def __init__(self, expires_at: datetime) -> None:
        self.expires_at = expires_at
        super().__init__("This survey has closed. Thank you for your time all the same.")


class LinkUsed(InputError):
    """The link was answered already; each link takes one answer."""

    def __init__(self) -> None:
        super().__init__("This survey has already been answered. Thank you!")


class ScoreInvalid(InputError):
    """The score is not a whole number on the survey's scale."""


@dataclass(frozen=True)
class SurveyLink:
    """One survey link: what it asks about whom until when, and its signed text."""

    link_id: str
    kind: str
    subject_type: str
    subject_id: str
    expires_at: datetime
    lang: str | None
    text: str
    url: str | None = None
    created_at: datetime | None = None
    customer_id: str | None = None
    ticket_id: str | None = None
    agent_id: str | None = None
    channel: str | None = None

    @property
    def scale(self) -> tuple[int, int]:
        """The lowest and highest score of the survey's kind (CSAT 1–5, NPS 0–10, CES 1–7)."""
        return scale(self.kind)


def scale(kind: str) -> tuple[int, int]:
    """The lowest and highest score of a survey kind (CSAT 1–5, NPS 0–10, CES 1–7)."""
    low, high = DEFAULT_SCALES[kind]
    return int(low), int(high)


def make_links(
    warehouse: Any,
    kind: str,
    subjects: list[str],
    *,
    subject_type: str = "ticket",
    base_url: str,
    expires_in: timedelta,
    lang: str | None = None,
    now: datetime | None = None,
) -> list[SurveyLink]:
    """Make one signed link per subject; record them in ``survey_links`` and as sends.

    A ticket link keeps the ticket's customer, agent and channel, so that its answer
    is linked as a ticket export's satisfaction column would be. Each link is also
    written as an unanswered survey response (see the module docstring), in the same
    transaction: links and sends land together or not at all. Subjects the warehouse
    does not know raise ``ConfigError`` (listing a few), and no link is made.
    """
    _check_request(kind, subject_type, lang, expires_in, base_url)
    wanted = list(dict.fromkeys(str(s).strip() for s in subjects if str(s).strip()))
    if not wanted:
        raise ConfigError(f"no {subject_type}s given; name at least one to make survey links for")
    created = _utc(now).replace(microsecond=0)
    expires = created + expires_in

    with warehouse.transaction() as con:
        _ensure_tables(con)
        subjects_frame = _subjects(con, subject_type, wanted)
        secret = _secret(con, create=True)
        links = [
            _signed(secret, kind, subject_type, row, created, expires, lang, base_url)
            for row in subjects_frame.to_dict("records")
        ]
        _record(con, links)
        _record_sends(warehouse, con, links)
    log.info("%d %s link(s) made for %ss", len(links), kind, subject_type)
    return links


def solved_tickets(warehouse: Any, since: date) -> list[str]:
    """Tickets solved on or after the local day ``since`` (merged ones left out), oldest first."""
    with warehouse.connect(read_only=True) as con:
        if not has_table(con, "tickets"):
            raise ConfigError(
                "the warehouse has no cleaned tickets yet; import them first "
                "(cxlens import FILE --table tickets, or cxlens run)"
            )
        rows = con.execute(
            "SELECT ticket_id FROM tickets WHERE solved_at_local >= ? AND NOT is_merged "
            "ORDER BY solved_at, ticket_id",
            [datetime(since.year, since.month, since.day)],
        ).fetchall()
    return [row[0] for row in rows]


def open_link(warehouse: Any, text: str, now: datetime | None = None) -> SurveyLink:
    """The survey a link asks, if it may still be answered.

    ``text`` is the link (``…/s/<payload>.<signature>``) or its last part. Raises
    ``LinkForged``, ``LinkUsed`` or ``LinkExpired``, each with a message for the customer.
    """
    with warehouse.connect(read_only=True) as con:
        return _open(con, text, _utc(now))


def claimed(text: str) -> tuple[str, str, str | None] | None:
    """What a link says of itself before it is checked: its token, survey kind and language.

    None when the text cannot be a link at all. For choosing a reply's scale and
    language without reading the warehouse; the signature is checked when the answer
    is written, so nothing claimed here is trusted for more than that.
    """
    token = _token(text)
    if token is None:
        return None
    try:
        fields = json.loads(_unb64(token.split(".")[0]))
        kind, lang = fields[2], fields[6]
    except (ValueError, TypeError, LookupError):
        return None
    if kind not in KINDS or lang not in (*LANGUAGES, None):
        return None
    return token, kind, lang


@dataclass(frozen=True)
class Answer:
    """One answer as sent: the link (whole or its last part), the score and a comment.

    ``answered_at`` is when the customer sent it (default: the time of its batch): a
    link takes an answer sent before it expired.
    """

    text: str
    score: Any
    comment: str | None = None
    answered_at: datetime | None = None


def submit_response(
    warehouse: Any,
    text: str,
    score: Any,
    comment: str | None,
    now: datetime | None = None,
) -> str:
    """Record the answer to a link, at most once; return its response_id (``link-<id>``).

    A batch of one (see ``submit_responses``) whose refusal is raised: ``LinkForged``,
    ``LinkExpired``, ``LinkUsed``, ``ScoreInvalid`` (not a whole number on the kind's
    scale), ``InputError`` (a comment over ``MAX_COMMENT`` characters) or
    ``WarehouseError`` (the answer could not be written; send it again).
    """
    [outcome] = submit_responses(warehouse, [Answer(text, score, comment)], now)
    if isinstance(outcome, CxlensError):
        raise outcome
    return outcome


def submit_responses(
    warehouse: Any, answers: list[Answer], now: datetime | None = None
) -> list[str | CxlensError]:
    """Record many answers in one write transaction; per answer, its response_id or refusal.

    Each link is checked as ``open_link`` checks it; a link answered before, or earlier
    in this batch, is refused with ``LinkUsed`` (the first answer wins); a score off the
    scale is ``ScoreInvalid`` and leaves the link open. The accepted answers' links are
    marked used and their responses written by one ``write_records`` call, in the same
    transaction: all of them land or none. A write costs about the same for one answer
    as for hundreds, which is why a busy server answers in batches.

    If another process answers one of these links between the check and the commit,
    the primary key of ``survey_link_uses`` stops the commit, and the batch is checked
    and written again (that link now refused as used). An answer the importer rejects
    is refused alone and the others written again. If the write still fails, nothing
    lands and every answer of the batch gets the same ``WarehouseError``.
    """
    import duckdb

    batch_time = _utc(now)
    refused: dict[int, CxlensError] = {}
    problem: Exception | None = None
    for _ in range(WRITE_ATTEMPTS):
        try:
            outcomes = _submit(warehouse, answers, batch_time, refused)
        except _Rejected as rejected:
            refused.update(rejected.by_answer)
            problem = rejected.__cause__
            continue
        except (duckdb.ConstraintException, duckdb.TransactionException) as clash:
            log.info("survey answers clashed with another write (%s); checking again", clash)
            problem = clash
            continue
        except CxlensError as error:
            return [error] * len(answers)
        saved = sum(isinstance(outcome, str) for outcome in outcomes)
        log.info("%d of %d survey answer(s) saved", saved, len(answers))
        return outcomes

    failure = WarehouseError(
        f"{len(answers)} survey answer(s) could not be saved ({problem}); send them again"
    )
    return [failure] * len(answers)


# -- making links ----------------------------------------------------------------------


def _check_request(
    kind: str, subject_type: str, lang: str | None, expires_in: timedelta, base_url: str
) -> None:
    if kind not in KINDS:
        raise ConfigError(f"survey kind {kind!r} is not one of {', '.join(KINDS)}")
    if subject_type not in SUBJECT_TYPES:
        raise ConfigError(f"links are for tickets or customers, not {subject_type!r}")
    if lang is not None and lang not in LANGUAGES:
        raise ConfigError(f"language {lang!r} is not zh or en")
    if expires_in <= timedelta(0):
        raise ConfigError("a link must stay open for some time; give a positive expiry")
    if not re.match(r"https?://[^/\s]+", base_url):
        raise ConfigError(
            f"base URL {base_url!r} must start with http:// or https:// and a host, "
            "e.g. http://127.0.0.1:8000"
        )


def _ensure_tables(con: Any) -> None:
    """Every table an answer writes, made now so that answers never race to create one."""
    from cxlens.ingest import write
    from cxlens.schema import table

    for ddl in (SECRETS_DDL, LINKS_DDL, USES_DDL, write.IMPORTS_DDL):
        con.execute(ddl)
    write.ensure_raw_table(con, table("survey_responses"))


def _subjects(con: Any, subject_type: str, wanted: list[str]) -> Any:
    """One row per subject: its id and, for tickets, customer, agent and channel.

    Raises ConfigError naming subjects the warehouse does not hold.
    """
    import pandas as pd

    given = pd.DataFrame({"subject_id": wanted})
    con.register("_cx_subjects", given)
    try:
        known = con.execute(_known_sql(con, subject_type)).fetchdf()
    finally:
        con.unregister("_cx_subjects")
    missing = [s for s in wanted if s not in set(known["subject_id"])]
    if missing:
        shown = ", ".join(missing[:SHOWN_MISSING])
        more = f" and {len(missing) - SHOWN_MISSING} more" if len(missing) > SHOWN_MISSING else ""
        raise ConfigError(
            f"{len(missing)} {subject_type}(s) not in the warehouse: {shown}{more}. "
            f"Import them first, or check the ids; no link was made"
        )
    return given.merge(known, on="subject_id", how="left")


def _known_sql(con: Any, subject_type: str) -> str:
    """SQL selecting the given subjects the warehouse knows (with a ticket's context)."""
    if subject_type == "ticket":
        if not has_table(con, "raw_tickets"):
            return _NONE_KNOWN
        return (
            "SELECT ticket_id AS subject_id, customer_id, ticket_id, agent_id, channel "
            "FROM raw_tickets WHERE ticket_id IN (SELECT subject_id FROM _cx_subjects) "
            "QUALIFY row_number() OVER (PARTITION BY ticket_id ORDER BY _row DESC) = 1"
        )
    sources = [t for t in CUSTOMER_SOURCES if has_table(con, t)]
    if not sources:
        return _NONE_KNOWN
    union = " UNION ".join(f"SELECT customer_id FROM {t}" for t in sources)
    return (
        "SELECT DISTINCT customer_id AS subject_id, customer_id, NULL::VARCHAR AS ticket_id, "
        f"NULL::VARCHAR AS agent_id, NULL::VARCHAR AS channel FROM ({union}) "
        "WHERE customer_id IN (SELECT subject_id FROM _cx_subjects)"
    )


_NONE_KNOWN = (
    "SELECT subject_id, NULL::VARCHAR AS customer_id, NULL::VARCHAR AS ticket_id, "
    "NULL::VARCHAR AS agent_id, NULL::VARCHAR AS channel FROM _cx_subjects WHERE false"
)


def _secret(con: Any, create: bool = False) -> bytes | None:
    """The warehouse's link secret; made on first use when ``create``."""
    if create:
        con.execute(
            "INSERT INTO web_secrets VALUES (?, ?) ON CONFLICT DO NOTHING",
            [SECRET_NAME, secrets.token_hex(32)],
        ).fetchall()
    elif not has_table(con, "web_secrets"):
        return None
    rows = con.execute("SELECT value FROM web_secrets WHERE name = ?", [SECRET_NAME]).fetchall()
    return bytes.fromhex(rows[0][0]) if rows else None


def _signed(
    secret: bytes,
    kind: str,
    subject_type: str,
    subject: dict[str, Any],
    created: datetime,
    expires: datetime,
    lang: str | None,
    base_url: str,
) -> SurveyLink:
    link_id = secrets.token_urlsafe(12)
    fields = [PAYLOAD_VERSION, link_id, kind, subject_type, subject["subject_id"]]
    fields += [int(expires.timestamp()), lang]
    payload = _b64(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode())
    text = f"{payload}.{_signature(secret, payload)}"
    return SurveyLink(
        link_id=link_id,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject["subject_id"],
        expires_at=expires,
        lang=lang,
        text=text,
        url=f"{base_url.rstrip('/')}/s/{text}",
        created_at=created,
        customer_id=_text(subject.get("customer_id")),
        ticket_id=_text(subject.get("ticket_id")),
        agent_id=_text(subject.get("agent_id")),
        channel=_text(subject.get("channel")),
    )


def _record(con: Any, links: list[SurveyLink]) -> None:
    """One ``survey_links`` row per link made: what was sent, the base of a response rate."""
    import pandas as pd

    columns = ["link_id", "kind", "subject_type", "subject_id", "created_at", "expires_at"]
    columns += ["lang", "customer_id", "ticket_id", "agent_id", "channel"]
    frame = pd.DataFrame([[getattr(link, c) for c in columns] for link in links], columns=columns)
    for column in ("created_at", "expires_at"):
        frame[column] = frame[column].map(_naive)
    con.register("_cx_links", frame)
    try:
        con.execute(
            f"INSERT INTO survey_links ({', '.join(columns)}) SELECT * FROM _cx_links"
        ).fetchall()
    finally:
        con.unregister("_cx_links")


def _record_sends(warehouse: Any, con: Any, links: list[SurveyLink]) -> None:
    """One unanswered survey response per link, in ``con``'s transaction: the sends a
    response rate divides by, under the response ids their answers will replace."""
    from cxlens.ingest.records import write_records

    write_records(
        warehouse,
        "survey_responses",
        [_send(link) for link in links],
        timezone="UTC",
        con=con,
        source="survey link sent",
        allow_unanswered=True,
    )


# -- opening and answering -------------------------------------------------------------


class _Rejected(Exception):
    """Answers the importer refused, by their place in the batch; nothing was written."""

    def __init__(self, by_answer: dict[int, CxlensError]) -> None:
        self.by_answer = by_answer
        super().__init__(f"{len(by_answer)} answer(s) rejected by the importer")


def _open(con: Any, text: str, now: datetime) -> SurveyLink:
    [link], used = _links(con, [text])
    return _answerable(link, used, now)


def _submit(
    warehouse: Any,
    answers: list[Answer],
    batch_time: datetime,
    refused: dict[int, CxlensError],
) -> list[str | CxlensError]:
    """One attempt at a batch: check, mark used and write in one transaction.

    ``refused`` holds answers already refused by an earlier attempt; they are skipped.
    """
    from cxlens.ingest.records import RecordsInvalid, write_records

    outcomes: list[Any] = [refused.get(i) for i in range(len(answers))]
    accepted: list[tuple[int, SurveyLink, dict]] = []
    with warehouse.transaction() as con:
        links, used = _links(con, [answer.text for answer in answers])
        for i, answer in enumerate(answers):
            if outcomes[i] is not None:
                continue
            at = _utc(answer.answered_at or batch_time)
            try:
                link = _answerable(links[i], used, at)
                response = _response(link, _score(link, answer.score), _comment(answer.comment), at)
            except InputError as refusal:
                outcomes[i] = refusal
                continue
            used.add(link.link_id)  # a later answer to this link in the batch is refused
            accepted.append((i, link, response))
        if not accepted:
            return outcomes

        _mark_used(con, accepted)
        try:
            write_records(
                warehouse,
                "survey_responses",
                [response for _, _, response in accepted],
                timezone="UTC",
                received_at=batch_time,
                con=con,
                source="survey link",
            )
        except RecordsInvalid as invalid:
            raise _Rejected(_by_answer(invalid, [i for i, _, _ in accepted])) from invalid

    for i, _, response in accepted:
        outcomes[i] = response["response_id"]
    return outcomes


def _links(con: Any, texts: list[str]) -> tuple[list[SurveyLink | LinkForged], set[str]]:
    """Per text its link (or ``LinkForged``), and the ids among them answered already.

    Signatures are checked here, one HMAC per text; the links and their uses are then
    read with one query each.
    """
    tokens = [_token(text) for text in texts]
    secret = _secret(con)
    genuine: dict[str, str] = {}  # token -> link id
    for token in set(tokens) - {None}:
        payload, signature = token.split(".")
        if secret is not None and hmac.compare_digest(signature, _signature(secret, payload)):
            genuine[token] = _link_id(payload)
    if not genuine:
        return [LinkForged() for _ in texts], set()

    ids = sorted(set(genuine.values()))
    rows = con.execute(
        "SELECT link_id, kind, subject_type, subject_id, expires_at, lang, created_at, "
        "customer_id, ticket_id, agent_id, channel FROM survey_links "
        "WHERE link_id IN (SELECT unnest(?::VARCHAR[]))",
        [ids],
    ).fetchall()
    found = {row[0]: row for row in rows}
    links = [
        _opened(found[genuine[token]], token)
        if token in genuine and genuine[token] in found
        else LinkForged()
        for token in tokens
    ]
    return links, _used_among(con, ids)


def _answerable(link: SurveyLink | LinkForged, used: set[str], now: datetime) -> SurveyLink:
    """``link`` if it may take an answer sent at ``now``; its refusal raised otherwise."""
    if isinstance(link, LinkForged):
        raise link
    if link.link_id in used:
        raise LinkUsed()
    if now >= link.expires_at:
        raise LinkExpired(link.expires_at)
    return link


def _used_among(con: Any, link_ids: list[str]) -> set[str]:
    if not has_table(con, "survey_link_uses"):
        return set()
    rows = con.execute(
        "SELECT link_id FROM survey_link_uses WHERE link_id IN (SELECT unnest(?::VARCHAR[]))",
        [link_ids],
    ).fetchall()
    return {row[0] for row in rows}


def _mark_used(con: Any, accepted: list[tuple[int, SurveyLink, dict]]) -> None:
    """One ``survey_link_uses`` row per accepted answer; its primary key keeps links single-use."""
    import pandas as pd

    uses = pd.DataFrame(
        {
            "link_id": [link.link_id for _, link, _ in accepted],
            "used_at": [_naive(datetime.fromisoformat(r["responded_at"])) for *_, r in accepted],
            "response_id": [response["response_id"] for _, _, response in accepted],
        }
    )
    con.register("_cx_uses", uses)
    try:
        con.execute(
            "INSERT INTO survey_link_uses (link_id, used_at, response_id) SELECT * FROM _cx_uses"
        ).fetchall()
    finally:
        con.unregister("_cx_uses")


def _by_answer(invalid: Any, places: list[int]) -> dict[int, CxlensError]:
    """The importer's problems per answer (``places``: the batch place of each record)."""
    problems: dict[int, list[str]] = {}
    for error in invalid.errors:
        record = error.get("record")
        if not isinstance(record, int) or not 0 <= record < len(places):
            return {place: invalid for place in places}  # cannot tell whose: refuse them all
        column = f"{error['column']}: " if error.get("column") else ""
        problems.setdefault(places[record], []).append(f"{column}{error['problem']}")
    return {
        place: InputError(f"This answer could not be recorded ({'; '.join(found)}).")
        for place, found in problems.items()
    }


def _token(text: str) -> str | None:
    """``<payload>.<signature>`` from a whole link or its last part; None if it is neither."""
    token = (text or "").strip().split("?")[0].split("#")[0].rstrip("/")
    token = token.rsplit("/s/", 1)[-1]
    return token if _TEXT.fullmatch(token) else None


def _link_id(payload: str) -> str:
    """The link id of a payload whose signature is good (so it is ours and well formed)."""
    return json.loads(_unb64(payload))[1]


def _opened(row: tuple, token: str) -> SurveyLink:
    link_id, kind, subject_type, subject_id, expires, lang, created, *context = row
    customer_id, ticket_id, agent_id, channel = context
    return SurveyLink(
        link_id=link_id,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        expires_at=expires.replace(tzinfo=UTC),
        lang=lang,
        text=token,
        created_at=created.replace(tzinfo=UTC),
        customer_id=customer_id,
        ticket_id=ticket_id,
        agent_id=agent_id,
        channel=channel,
    )


def _score(link: SurveyLink, score: Any) -> int:
    """``score`` as a whole number on the link's scale; ScoreInvalid otherwise."""
    low, high = link.scale
    value: int | None = None
    if isinstance(score, int) and not isinstance(score, bool):
        value = score
    elif isinstance(score, float) and score.is_integer():
        value = int(score)
    elif isinstance(score, str) and re.fullmatch(r"\s*\d{1,2}\s*", score):
        value = int(score)
    if value is None or not low <= value <= high:
        raise ScoreInvalid(f"Please choose a whole number from {low} to {high}.")
    return value


def _comment(comment: str | None) -> str | None:
    if comment is None or not str(comment).strip():
        return None
    if len(str(comment)) > MAX_COMMENT:
        raise InputError(f"Please keep the comment under {MAX_COMMENT:,} characters.")
    return str(comment).strip()


def _send(link: SurveyLink) -> dict:
    """The survey as sent, not answered yet, linked as a ticket export's satisfaction
    column links it; its answer (``_response``) has the same id and fields."""
    low, high = link.scale
    return {
        "response_id": f"link-{link.link_id}",
        "kind": link.kind,
        "score": None,
        "scale_min": low,
        "scale_max": high,
        "customer_id": link.customer_id,
        "ticket_id": link.ticket_id,
        "agent_id": link.agent_id,
        "channel": link.channel,
        "responded_at": None,
        "comment": None,
        "sent_at": link.created_at.isoformat() if link.created_at else None,
    }


def _response(link: SurveyLink, score: int, comment: str | None, now: datetime) -> dict:
    """The answer to a link: its send with the score, comment and time of answering."""
    return {**_send(link), "score": score, "comment": comment, "responded_at": now.isoformat()}


# -- encoding --------------------------------------------------------------------------


def _signature(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _utc(moment: datetime | None) -> datetime:
    """``moment`` (default now) as an aware UTC time; a naive one is taken as UTC."""
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _naive(moment: datetime) -> datetime:
    """An aware time as the warehouse stores it: UTC, without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _text(value: Any) -> str | None:
    """A context value from the warehouse (None, NaN or text) as text or None."""
    if value is None or value != value:
        return None
    return str(value)
