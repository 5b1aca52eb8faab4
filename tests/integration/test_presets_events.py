"""Event exports (Zendesk audits, Freshdesk conversations, Chatwoot messages) → ticket_events.

Each test writes a small export in the vendor's documented JSON shape, imports it
through the real importer and compares the warehouse's rows with the rows worked out
by hand from the rules in docs/presets.md ("Event exports"). The end-to-end tests then
clean the warehouse and compute first response times, also worked out by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cxlens.errors import RowsRejected
from cxlens.ingest import import_file
from cxlens.store import Warehouse

EVENT_COLUMNS = 'ticket_id, "at", seq, actor, actor_id, kind, public, status_to'


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_lines(path: Path, records: list) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def events(warehouse: Warehouse) -> list[tuple]:
    with warehouse.connect(read_only=True) as con:
        return con.execute(f"SELECT {EVENT_COLUMNS} FROM raw_ticket_events ORDER BY seq").fetchall()


def snapshot(warehouse: Warehouse) -> tuple[list[tuple], list[tuple]]:
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            'SELECT * FROM raw_ticket_events ORDER BY ticket_id, "at", seq'
        ).fetchall()
        imports = con.execute("SELECT batch, source, rows FROM imports ORDER BY batch").fetchall()
    return rows, imports


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def epoch(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


# -- Zendesk ticket audits -----------------------------------------------------------

WEB = {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}}
TRIGGER = {"channel": "rule", "source": {"from": {"id": 22, "title": "Ack"}, "rel": "trigger"}}


def audit(audit_id, ticket_id, at, author, via, *evts) -> dict:
    return {
        "id": audit_id,
        "ticket_id": ticket_id,
        "created_at": at,
        "author_id": author,
        "via": via,
        "metadata": {"system": {"client": "Mozilla/5.0"}, "custom": {}},
        "events": list(evts),
    }


def comment(author, public=True, body="text") -> dict:
    return {"id": 1, "type": "Comment", "public": public, "author_id": author, "body": body}


def change(field, value, previous=None, kind="Change") -> dict:
    return {"id": 1, "type": kind, "field_name": field, "value": value, "previous_value": previous}


AUDITS = [
    # ticket 7, case FR-2: the customer writes, a trigger acknowledges, an agent replies
    audit(
        101,
        7,
        "2024-03-04T10:00:00Z",
        5,
        WEB,
        comment(5, body="My parcel never came"),  # seq 1
        change("requester_id", "5", kind="Create"),  # seq 2: no row
        change("status", "new", kind="Create"),  # seq 3
    ),
    audit(
        102,
        7,
        "2024-03-04T10:00:05Z",
        -1,
        TRIGGER,
        comment(-1, body="We received your request"),  # seq 4
        {"id": 1, "type": "Notification", "subject": "Received", "recipients": [5]},  # 5
        change("assignee_id", "9"),  # seq 6
    ),
    audit(
        103,
        7,
        "2024-03-04T10:30:00Z",
        9,
        WEB,
        comment(9, public=False, body="checking the courier"),  # seq 7
        comment(9, body="It ships today"),  # seq 8
        change("status", "hold", "new"),  # seq 9
    ),
    # ticket 8: Answer Bot, a requester change, a reopen by the new requester
    audit(
        201,
        8,
        "2024-03-05T09:00:00Z",
        6,
        {"channel": "email", "source": {"from": {"address": "a@b.cn"}, "rel": None}},
        comment(6),  # seq 10
        change("requester_id", "6", kind="Create"),  # seq 11
        change("status", "new", kind="Create"),  # seq 12
        change("tags", ["vip"], []),  # seq 13: no row
    ),
    audit(
        202,
        8,
        "2024-03-05T09:00:30Z",
        77,
        {"channel": "answer_bot_for_web_widget", "source": {"rel": None}},
        comment(77),  # seq 14
    ),
    audit(
        203,
        8,
        "2024-03-05T09:20:00Z",
        9,
        WEB,
        change("requester_id", "66", "6"),  # seq 15: no row
        comment(9),  # seq 16
        change("status", "solved", "new"),  # seq 17
    ),
    audit(
        204,
        8,
        "2024-03-06T08:00:00Z",
        66,
        {"channel": "email", "source": {"rel": None}},
        comment(66),  # seq 18
        change("status", "open", "solved"),  # seq 19
    ),
    audit(
        205,
        8,
        "2024-03-09T08:00:00Z",
        -1,
        {"channel": "system", "source": {"rel": None}},
        change("status", "closed", "open"),  # seq 20
    ),
]

# By hand from the rules: requester → customer; trigger comment → bot, trigger change →
# system; answer_bot channel → bot; author -1 → system; anyone else → agent.
AUDIT_ROWS = [
    ("7", t("2024-03-04 10:00:00"), 1, "customer", "5", "message", True, None),
    ("7", t("2024-03-04 10:00:00"), 3, "customer", "5", "status", None, "new"),
    ("7", t("2024-03-04 10:00:05"), 4, "bot", "-1", "message", True, None),
    ("7", t("2024-03-04 10:00:05"), 6, "system", "-1", "assign", None, None),
    ("7", t("2024-03-04 10:30:00"), 7, "agent", "9", "note", False, None),
    ("7", t("2024-03-04 10:30:00"), 8, "agent", "9", "message", True, None),
    ("7", t("2024-03-04 10:30:00"), 9, "agent", "9", "status", None, "on_hold"),
    ("8", t("2024-03-05 09:00:00"), 10, "customer", "6", "message", True, None),
    ("8", t("2024-03-05 09:00:00"), 12, "customer", "6", "status", None, "new"),
    ("8", t("2024-03-05 09:00:30"), 14, "bot", "77", "message", True, None),
    ("8", t("2024-03-05 09:20:00"), 16, "agent", "9", "message", True, None),
    ("8", t("2024-03-05 09:20:00"), 17, "agent", "9", "status", None, "solved"),
    ("8", t("2024-03-06 08:00:00"), 18, "customer", "66", "message", True, None),
    ("8", t("2024-03-06 08:00:00"), 19, "customer", "66", "status", None, "open"),
    ("8", t("2024-03-09 08:00:00"), 20, "system", "-1", "status", None, "closed"),
]


@pytest.fixture(scope="module")
def audits_imported(tmp_path_factory):
    """One page of the Ticket Audits API, imported once for the tests that only read it."""
    folder = tmp_path_factory.mktemp("audits")
    path = write_json(folder / "audits.json", {"audits": AUDITS, "next_page": None})
    warehouse = Warehouse(folder / "w.duckdb")
    return warehouse, import_file(warehouse, path, preset="zendesk-audits")


def test_zendesk_audit_page_becomes_one_row_per_comment_status_and_assignment(audits_imported):
    warehouse, result = audits_imported
    assert result.tables == {"ticket_events": len(AUDIT_ROWS)}
    assert events(warehouse) == AUDIT_ROWS


def test_zendesk_events_name_their_audit_record_and_keep_its_id(audits_imported):
    warehouse, _ = audits_imported
    with warehouse.connect(read_only=True) as con:
        got = con.execute(
            "SELECT _row, attributes->>'id' FROM raw_ticket_events WHERE seq = 16"
        ).fetchall()
    assert got == [(6, "203")]  # audit 203 is the file's sixth record


def test_zendesk_audits_imported_again_replace_themselves(audits_imported):
    warehouse, _ = audits_imported
    path = warehouse.path.parent / "audits.json"
    again = import_file(warehouse, path, preset="zendesk-audits")
    assert again.replaced == {"ticket_events": len(AUDIT_ROWS)}
    assert events(warehouse) == AUDIT_ROWS


def test_zendesk_audits_as_json_lines_read_the_same(tmp_path):
    # pages of the cursor export, one per line: the first page with three audits, the
    # second with the rest
    pages = [{"audits": AUDITS[:3], "meta": {"has_more": True}}, {"audits": AUDITS[3:]}]
    path = write_lines(tmp_path / "audits.jsonl", pages)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(warehouse, path, preset="zendesk-audits")
    assert events(warehouse) == AUDIT_ROWS


def test_zendesk_merge_audit_marks_the_closed_ticket_merged_and_notes_the_other(tmp_path):
    merge = {"channel": "merge", "source": {"rel": None}}
    audits = [
        audit(
            1,
            30,
            "2024-03-04T09:00:00Z",
            5,
            WEB,
            comment(5),
            change("requester_id", "5", kind="Create"),
        ),
        audit(
            2,
            31,
            "2024-03-04T09:10:00Z",
            5,
            WEB,
            comment(5),
            change("requester_id", "5", kind="Create"),
        ),
        # the agent merges 31 into 30: 31 is closed with a comment, 30 gets a notice
        audit(
            3, 31, "2024-03-04T09:30:00Z", 9, merge, comment(9), change("status", "closed", "new")
        ),
        audit(4, 30, "2024-03-04T09:30:00Z", 9, merge, comment(9)),
    ]
    path = write_json(tmp_path / "merge.json", {"audits": audits})
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(warehouse, path, preset="zendesk-audits")
    merged = [row for row in events(warehouse) if row[0] in ("30", "31") and row[4] == "9"]
    assert merged == [
        ("31", t("2024-03-04 09:30:00"), 5, "agent", "9", "merge", False, None),
        ("31", t("2024-03-04 09:30:00"), 6, "agent", "9", "status", None, "closed"),
        ("30", t("2024-03-04 09:30:00"), 7, "agent", "9", "note", False, None),
    ]


def test_zendesk_comment_on_ticket_without_its_requester_is_rejected(tmp_path):
    audits = [*AUDITS, audit(301, 9, "2024-03-07T10:00:00Z", 44, WEB, comment(44))]
    path = write_json(tmp_path / "audits.json", {"audits": audits})
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, preset="zendesk-audits")
    (error,) = caught.value.errors
    assert (error.file, error.row, error.canonical) == (str(path), 9, "actor")
    assert "requester" in error.value and "44" in error.value
    assert "9-th record" not in str(caught.value)  # the note says rows count records
    assert "'row N' means the N-th record" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "canonical"),
    [("created_at", "2024-03-04T25:61:00Z", "at"), ("ticket_id", None, "ticket_id")],
)
def test_zendesk_bad_audit_is_a_row_error_and_changes_nothing(tmp_path, field, value, canonical):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    earlier = write_json(tmp_path / "earlier.json", CONVERSATIONS)  # events already stored
    import_file(warehouse, earlier, preset="freshdesk-conversations")
    before = snapshot(warehouse)
    bad_audit = {**AUDITS[4], field: value}  # the second audit of the bad file
    if value is None:
        del bad_audit[field]
    path = write_json(tmp_path / "bad.json", {"audits": [AUDITS[3], bad_audit]})
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, preset="zendesk-audits")
    errors = caught.value.errors
    # audit 202 has one event, a comment: one rejected row, named by its record
    assert [(e.file, e.row, e.column, e.canonical) for e in errors] == [
        (str(path), 2, field, canonical)
    ]
    assert errors[0].value == value
    assert snapshot(warehouse) == before


# -- Freshdesk conversations ----------------------------------------------------------


def conversation(conv_id, ticket_id, at, user, incoming, private, source=0) -> dict:
    return {
        "id": conv_id,
        "body": "<div>text</div>",
        "body_text": "text",
        "incoming": incoming,
        "private": private,
        "user_id": user,
        "support_email": None,
        "source": source,
        "ticket_id": ticket_id,
        "to_emails": ["a@b.cn"],
        "from_email": None,
        "created_at": at,
        "updated_at": at,
        "attachments": [],
    }


CONVERSATIONS = [
    conversation(9001, 55, "2024-03-04T09:05:00Z", 300, False, True, 2),  # private note
    conversation(9002, 55, "2024-03-04T11:00:00Z", 300, False, False),  # agent reply
    conversation(9003, 55, "2024-03-04T12:00:00Z", 700, True, False),  # customer reply
    conversation(9004, 56, "2024-03-05T08:00:00Z", 301, False, False),
]
CONVERSATION_ROWS = [
    ("55", t("2024-03-04 09:05:00"), 1, "agent", "300", "note", False, None),
    ("55", t("2024-03-04 11:00:00"), 2, "agent", "300", "message", True, None),
    ("55", t("2024-03-04 12:00:00"), 3, "customer", "700", "message", True, None),
    ("56", t("2024-03-05 08:00:00"), 4, "agent", "301", "message", True, None),
]


def test_freshdesk_conversations_become_messages_and_notes(tmp_path):
    path = write_json(tmp_path / "conversations.json", CONVERSATIONS)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(warehouse, path, preset="freshdesk-conversations")
    assert events(warehouse) == CONVERSATION_ROWS
    with warehouse.connect(read_only=True) as con:
        kept = con.execute("SELECT attributes FROM raw_ticket_events ORDER BY seq").fetchall()
    assert json.loads(kept[0][0]) == {"id": "9001", "source": "2"}


def refused_after_good_conversations(tmp_path, bad: list[dict]) -> list:
    """Import two good conversations, then ``bad``: the row errors it gets, after checking
    that the refused file left the warehouse exactly as it was."""
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(
        warehouse,
        write_json(tmp_path / "a.json", CONVERSATIONS[:2]),
        preset="freshdesk-conversations",
    )
    before = snapshot(warehouse)
    path = write_json(tmp_path / "b.json", bad)
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, preset="freshdesk-conversations")
    assert snapshot(warehouse) == before
    return caught.value.errors


def test_freshdesk_malformed_time_is_a_row_error_and_changes_nothing(tmp_path):
    bad = [CONVERSATIONS[2], {**CONVERSATIONS[3], "created_at": "yesterday"}]
    errors = refused_after_good_conversations(tmp_path, bad)
    assert [(e.row, e.column, e.canonical, e.value) for e in errors] == [
        (2, "created_at", "at", "yesterday")
    ]


def test_freshdesk_flags_other_than_true_or_false_are_row_errors(tmp_path):
    # "maybe" in incoming and "nope" in private must not silently read as false (a
    # private note would become a public reply); "1" and "true" are read as true
    bad = [
        {**CONVERSATIONS[0], "private": "1"},
        {**CONVERSATIONS[1], "incoming": "maybe"},
        {**CONVERSATIONS[2], "private": "nope"},
    ]
    errors = refused_after_good_conversations(tmp_path, bad)
    assert [(e.row, e.canonical, e.value, e.expected) for e in errors] == [
        (2, "actor", "maybe", "incoming: true or false"),
        (3, "kind", "nope", "private: true or false"),
    ]


# -- Chatwoot messages ----------------------------------------------------------------

T0 = "2024-03-04T10:00:00"


def message(msg_id, at, message_type, content, **extra) -> dict:
    return {
        "id": msg_id,
        "content": content,
        "inbox_id": 3,
        "conversation_id": 41,
        "message_type": message_type,
        "content_type": extra.pop("content_type", "text"),
        "content_attributes": {},
        "created_at": epoch(at),
        "private": extra.pop("private", False),
        "source_id": None,
        **extra,
    }


MESSAGES = [
    message(1, T0, 0, "Where is my parcel?", sender_type="Contact", sender_id=500),
    message(
        2, "2024-03-04T10:00:05", 3, "Give the team a way to reach you.", content_type="input_email"
    ),
    message(3, "2024-03-04T10:01:00", 1, "Let me look", sender_type="AgentBot", sender_id=3),
    message(4, "2024-03-04T10:02:00", 2, "Li Wei self-assigned this conversation"),
    message(
        5, "2024-03-04T10:10:00", 1, "courier?", private=True, sender={"id": 12, "type": "user"}
    ),
    message(
        6, "2024-03-04T10:30:00", "outgoing", "It ships today", sender_type="User", sender_id=12
    ),
    message(7, "2024-03-04T10:31:00", 2, "Li Wei added billing"),
    message(8, "2024-03-04T10:33:00", 2, "Conversation was marked resolved by Li Wei"),
    message(9, "2024-03-05T10:00:00", 0, "Not here yet", sender_type="Contact", sender_id=500),
    message(
        10,
        "2024-03-05T10:00:01",
        2,
        "System reopened the conversation due to a new incoming message.",
    ),
    message(
        11,
        "2024-03-07T10:00:00",
        2,
        "Conversation was marked resolved by system due to 2 days of inactivity",
    ),
    message(12, "2024-03-08T09:00:00", 2, "Conversation was resolved by Ana"),
]
# By hand: template → bot; AgentBot → bot; an activity without a sender is the agent's,
# the system's where it says so, the contact's for "was resolved by"; labels dropped.
MESSAGE_ROWS = [
    ("41", t("2024-03-04 10:00:00"), 1, "customer", "500", "message", True, None),
    ("41", t("2024-03-04 10:00:05"), 2, "bot", None, "message", True, None),
    ("41", t("2024-03-04 10:01:00"), 3, "bot", "3", "message", True, None),
    ("41", t("2024-03-04 10:02:00"), 4, "agent", None, "assign", None, None),
    ("41", t("2024-03-04 10:10:00"), 5, "agent", "12", "note", False, None),
    ("41", t("2024-03-04 10:30:00"), 6, "agent", "12", "message", True, None),
    ("41", t("2024-03-04 10:33:00"), 8, "agent", None, "status", None, "solved"),
    ("41", t("2024-03-05 10:00:00"), 9, "customer", "500", "message", True, None),
    ("41", t("2024-03-05 10:00:01"), 10, "system", None, "status", None, "open"),
    ("41", t("2024-03-07 10:00:00"), 11, "system", None, "status", None, "solved"),
    ("41", t("2024-03-08 09:00:00"), 12, "customer", None, "status", None, "solved"),
]


def test_chatwoot_message_pages_become_events(tmp_path):
    # two API pages as JSON lines; records count across the pages
    pages = [
        {"meta": {"labels": [], "contact": {"id": 500}}, "payload": MESSAGES[:6]},
        {"meta": {"labels": []}, "payload": MESSAGES[6:]},
    ]
    path = write_lines(tmp_path / "messages.jsonl", pages)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(warehouse, path, preset="chatwoot-messages")
    assert events(warehouse) == MESSAGE_ROWS


def test_chatwoot_unknown_message_type_and_missing_conversation_are_row_errors(tmp_path):
    bad = [
        MESSAGES[0],
        {**MESSAGES[1], "message_type": 7},
        {k: v for k, v in MESSAGES[2].items() if k != "conversation_id"},
    ]
    path = write_json(tmp_path / "bad.json", {"meta": {}, "payload": bad})
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, preset="chatwoot-messages")
    got = [(e.row, e.canonical, e.value) for e in caught.value.errors]
    assert (2, "kind", "message_type 7") in got
    assert (3, "ticket_id", None) in got
    assert [e.column for e in caught.value.errors if e.canonical == "ticket_id"] == [
        "conversation_id"
    ]
    assert not (tmp_path / "w.duckdb").exists() or snapshot_empty(warehouse)


def snapshot_empty(warehouse: Warehouse) -> bool:
    from cxlens.store import has_table

    with warehouse.connect(read_only=True) as con:
        return not has_table(con, "raw_ticket_events")


# -- end to end: import, clean, first response ----------------------------------------


def first_responses(warehouse: Warehouse, root: Path) -> dict[str, float]:
    from cxlens.clean import clean_warehouse
    from cxlens.metrics import compute_kpis
    from cxlens.settings import Settings

    settings = Settings(root=root)
    clean_warehouse(warehouse, settings)
    frame = compute_kpis(
        warehouse,
        settings,
        metrics=["first_response_median_min", "first_any_response_median_min"],
    )
    return {row["metric"]: row["value"] for row in frame.to_dict("records")}


def test_zendesk_export_and_audits_give_the_fr2_first_response(tmp_path):
    # case FR-2: created 10:00:00, trigger acknowledgement 10:00:05, human reply 10:30:00
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "Id,Requester email,Status,Priority,Via,Created at,Solved at,Satisfaction Score\n"
        "7,kim@example.cn,Hold,Normal,Web form,2024-03-04 10:00:00,,Unoffered\n",
        encoding="utf-8",
    )
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(warehouse, tickets, preset="zendesk", timezone="UTC")
    import_file(
        warehouse, write_json(tmp_path / "a.json", {"audits": AUDITS[:3]}), preset="zendesk-audits"
    )
    got = first_responses(warehouse, tmp_path)
    assert got["first_response_median_min"] == pytest.approx(30.0)
    assert got["first_any_response_median_min"] == pytest.approx(5 / 60)


def test_freshdesk_export_and_conversations_skip_the_private_note(tmp_path):
    # case FR-3 shape: created 09:00, private note 09:05, public reply 11:00 → 120 minutes
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "Ticket ID,Subject,Status,Priority,Source,Created time,Resolved time\n"
        "55,Parcel,Open,Medium,Email,2024-03-04 09:00:00,\n",
        encoding="utf-8",
    )
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(warehouse, tickets, preset="freshdesk", timezone="UTC")
    path = write_json(tmp_path / "c.json", CONVERSATIONS[:3])
    import_file(warehouse, path, preset="freshdesk-conversations")
    got = first_responses(warehouse, tmp_path)
    assert got["first_response_median_min"] == pytest.approx(120.0)
    assert got["first_any_response_median_min"] == pytest.approx(120.0)


def test_chatwoot_messages_give_the_first_human_reply(tmp_path):
    # created 10:00:00; template 10:00:05 and AgentBot 10:01 are not human; the private
    # note 10:10 does not count; the agent's reply 10:30 → 30 minutes; any response 5 s
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("ticket_id,created_at\n41,2024-03-04 10:00:00\n", encoding="utf-8")
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(warehouse, tickets, table="tickets", timezone="UTC")
    path = write_json(tmp_path / "m.json", {"meta": {}, "payload": MESSAGES})
    import_file(warehouse, path, preset="chatwoot-messages")
    got = first_responses(warehouse, tmp_path)
    assert got["first_response_median_min"] == pytest.approx(30.0)
    assert got["first_any_response_median_min"] == pytest.approx(5 / 60)
