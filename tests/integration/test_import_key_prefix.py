"""Two helpdesks that reuse ticket numbers: key_prefix keeps them apart, and an import
that would replace rows another layout delivered is refused (the user trial: a
Freshdesk export silently replaced Zendesk tickets 1001-1120)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from cxlens.errors import InputError, RowsRejected
from cxlens.ingest import import_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_presets import FRESHDESK_CSV, write_zendesk  # noqa: E402

# The Freshdesk export renumbered 101, 102, 3 so that two of its tickets reuse Zendesk ids.
FRESHDESK_REUSING = FRESHDESK_CSV.replace("\n1,Cannot", "\n101,Cannot").replace(
    "\n2,Refund", "\n102,Refund"
)


def rows(warehouse, sql):
    with warehouse.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def freshdesk(tmp_path: Path, name: str = "fd.csv") -> Path:
    path = tmp_path / name
    path.write_text(FRESHDESK_REUSING, encoding="utf-8")
    return path


def test_other_preset_reusing_ids_is_refused_naming_count_file_and_remedy(tmp_path, warehouse):
    zendesk = write_zendesk(tmp_path / "zendesk.csv")
    import_file(warehouse, zendesk, preset="zendesk")
    before = rows(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id")

    with pytest.raises(InputError) as caught:
        import_file(warehouse, freshdesk(tmp_path), preset="freshdesk")

    message = str(caught.value)
    # 101 and 102 are in both exports: 2 rows, delivered by zendesk.csv with preset zendesk
    assert "would replace 2 tickets row(s) imported from" in message
    assert f"{zendesk} (preset zendesk)" in message
    assert "read with preset freshdesk" in message
    assert '  path = "fd.csv"\n  preset = "freshdesk"\n  key_prefix = "freshdesk-"' in message
    assert "cxlens import fd.csv --preset freshdesk --key-prefix freshdesk-" in message
    assert rows(warehouse, "SELECT * FROM raw_tickets ORDER BY ticket_id") == before
    assert rows(warehouse, "SELECT count(*) FROM imports") == [(2,)]  # zendesk's two tables


def test_key_prefix_keeps_both_helpdesks_tickets_and_answers(tmp_path, warehouse):
    import_file(warehouse, write_zendesk(tmp_path / "zendesk.csv"), preset="zendesk")
    result = import_file(
        warehouse, freshdesk(tmp_path), preset="freshdesk", options={"key_prefix": "fd-"}
    )

    assert result.replaced == {"tickets": 0}
    ids = [r[0] for r in rows(warehouse, "SELECT ticket_id FROM raw_tickets ORDER BY 1")]
    assert ids == ["101", "102", "103", "104", "105", "fd-101", "fd-102", "fd-3"]
    # Zendesk's answers still belong to Zendesk's tickets
    answers = rows(warehouse, "SELECT response_id, ticket_id FROM raw_survey_responses ORDER BY 1")
    assert answers == [  # 103 is a survey sent (Offered) and not answered
        ("csat-101", "101"),
        ("csat-102", "102"),
        ("csat-103", "103"),
        ("csat-105", "105"),
    ]
    # people keep their ids: the Freshdesk contact's e-mail as written
    people = rows(warehouse, "SELECT customer_id FROM raw_tickets WHERE ticket_id = 'fd-101'")
    assert people == [("wang@example.com",)]


def test_key_prefix_prefixes_own_references_but_not_people(tmp_path, warehouse):
    import_file(
        warehouse,
        write_zendesk(tmp_path / "zendesk.csv"),
        preset="zendesk",
        options={"key_prefix": "zd-"},
    )
    answers = rows(
        warehouse,
        "SELECT response_id, ticket_id, customer_id, agent_id FROM raw_survey_responses ORDER BY 1",
    )
    assert answers == [
        ("zd-csat-101", "zd-101", "ann@example.com", "Bo"),
        ("zd-csat-102", "zd-102", "cy@example.com", "Bo"),
        ("zd-csat-103", "zd-103", "di@example.com", "Ed"),  # Offered: a send, no answer
        ("zd-csat-105", "zd-105", "gu@example.com", "Ed"),
    ]


def test_key_prefix_on_a_survey_file_alone_leaves_its_ticket_references(tmp_path, warehouse):
    # the file fills survey_responses only: its ticket_id names tickets of another file
    path = tmp_path / "survey.csv"
    path.write_text("response_id,kind,score,ticket_id,responded_at\nr1,csat,4,7,2024-01-01\n")
    import_file(warehouse, path, table="survey_responses", options={"key_prefix": "s-"})
    assert rows(warehouse, "SELECT response_id, ticket_id FROM raw_survey_responses") == [
        ("s-r1", "7")
    ]


def test_key_prefix_on_ticket_events_prefixes_the_ticket_id_only(tmp_path, warehouse):
    path = tmp_path / "events.csv"
    path.write_text(
        "ticket_id,at,seq,actor,actor_id,kind\n"
        "9,2024-01-01 10:00,1,customer,c1,message\n"
        "9,2024-01-01 11:00,2,agent,a1,message\n"
    )
    import_file(warehouse, path, table="ticket_events", options={"key_prefix": "x-"})
    got = rows(warehouse, "SELECT ticket_id, seq, actor_id FROM raw_ticket_events ORDER BY seq")
    assert got == [("x-9", 1, "c1"), ("x-9", 2, "a1")]


def test_key_prefix_leaves_a_blank_id_missing(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at\n,2024-01-01\n")
    with pytest.raises(RowsRejected, match="row 2, column 'ticket_id'"):
        import_file(warehouse, path, table="tickets", options={"key_prefix": "fd-"})


def test_same_preset_redelivered_under_another_name_replaces(tmp_path, warehouse):
    first = write_zendesk(tmp_path / "zendesk.csv")
    import_file(warehouse, first, preset="zendesk")
    frame = pd.read_csv(first, dtype=str, keep_default_na=False)
    frame.loc[frame["Id"] == "103", "Status"] = "Solved"
    corrected = tmp_path / "zendesk-corrected.csv"
    frame.to_csv(corrected, index=False)

    result = import_file(warehouse, corrected, preset="zendesk")

    assert result.replaced == {"tickets": 5, "survey_responses": 4}  # 101, 102, 103 (sent), 105
    statuses = rows(warehouse, "SELECT ticket_id, status FROM raw_tickets ORDER BY 1")
    assert statuses[2] == ("103", "solved") and len(statuses) == 5


def test_canonical_headers_then_a_preset_reusing_ids_is_refused(tmp_path, warehouse):
    canonical = tmp_path / "mine.csv"
    canonical.write_text("ticket_id,created_at\n104,2024-01-01\n999,2024-01-02\n")
    import_file(warehouse, canonical, table="tickets")
    shutil.copy(canonical, tmp_path / "again.csv")
    import_file(warehouse, tmp_path / "again.csv", table="tickets")  # same layout: fine

    with pytest.raises(InputError) as caught:
        import_file(warehouse, write_zendesk(tmp_path / "zendesk.csv"), preset="zendesk")
    message = str(caught.value)
    assert "would replace 1 tickets row(s)" in message  # ticket 104 only
    assert "(canonical headers)" in message and "read with preset zendesk" in message
