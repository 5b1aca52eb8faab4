"""Re-importing: the same file twice changes nothing; a corrected file replaces what it re-delivers.
Presets: several targets per file, ``where``, ``latest_by`` and read options."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from cxlens.errors import ConfigError
from cxlens.ingest import PRESETS, get_preset, import_file
from cxlens.ingest.presets.base import Preset, Target

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def content(warehouse):
    with warehouse.connect() as con:
        raw = con.execute("SELECT * FROM raw_tickets ORDER BY ticket_id").fetchall()
        imports = con.execute("SELECT * FROM imports ORDER BY batch").fetchall()
    return raw, imports


def test_same_file_twice_changes_nothing(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at,status\n1,2024-01-01,open\n2,2024-01-02,open\n")
    first = import_file(warehouse, path, table="tickets")
    before = content(warehouse)
    second = import_file(warehouse, path, table="tickets")
    assert content(warehouse) == before
    assert len(before[0]) == 2 and len(before[1]) == 1
    assert (first.replaced, second.replaced) == ({"tickets": 0}, {"tickets": 2})


def test_corrected_file_replaces_the_rows_it_redelivers(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at,status\n1,2024-01-01,open\n2,2024-01-02,open\n")
    import_file(warehouse, path, table="tickets")
    path.write_text("ticket_id,created_at,status\n2,2024-01-02,solved\n3,2024-01-03,new\n")
    result = import_file(warehouse, path, table="tickets")
    raw, imports = content(warehouse)
    assert [(r[0], r[6]) for r in raw] == [("1", "open"), ("2", "solved"), ("3", "new")]
    assert result.tables == {"tickets": 2} and result.replaced == {"tickets": 1}
    assert len(imports) == 2
    assert "1 replaced" in result.describe()


def test_within_file_duplicates_are_kept_for_clean(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at\n1,2024-01-01\n1,2024-01-05\n")
    assert import_file(warehouse, path, table="tickets").tables == {"tickets": 2}


def register(monkeypatch, preset):
    monkeypatch.setitem(PRESETS, preset.name, preset)


def test_preset_with_two_targets_where_latest_by_and_read_options(tmp_path, warehouse, monkeypatch):
    preset = Preset(
        name="test-log",
        description="an update log with ratings, semicolon-separated, '?' for missing",
        targets=(
            Target(
                "tickets",
                {"ticket_id": "Num", "created_at": "sql:{Day} || ' ' || {Hour}", "status": "State"},
                latest_by="cx_number({Update})",
                hints={"created_at": {"format": "%d.%m.%Y %H:%M"}},
            ),
            Target(
                "survey_responses",
                {
                    "response_id": "sql:'r-' || {Num}",
                    "kind": "sql:'csat'",
                    "score": "Rating",
                    "ticket_id": "Num",
                    "responded_at": "sql:{Day} || ' ' || {Hour}",
                },
                where="{Rating} <> '?'",
                hints={"responded_at": {"format": "%d.%m.%Y %H:%M"}},
            ),
        ),
        read={"delimiter": ";", "skip_rows": 1, "na_values": ["?"]},
    )
    register(monkeypatch, preset)
    path = tmp_path / "log.csv"
    path.write_text(
        "Exported by HelpDesk 3.1\n"
        "Num;Day;Hour;State;Update;Rating\n"
        "A;05.03.2024;09:00;new;1;?\n"
        "A;05.03.2024;09:00;solved;2;4\n"
        "B;06.03.2024;10:30;open;1;?\n"
    )
    result = import_file(warehouse, path, preset="test_log", timezone="Asia/Shanghai")
    assert result.tables == {"tickets": 2, "survey_responses": 1}
    with warehouse.connect() as con:
        assert con.execute(
            "SELECT ticket_id, status, created_at, _row FROM raw_tickets ORDER BY 1"
        ).fetchall() == [
            ("A", "solved", datetime(2024, 3, 5, 1, 0), 4),
            ("B", "open", datetime(2024, 3, 6, 2, 30), 5),
        ]
        assert con.execute(
            "SELECT response_id, score, ticket_id FROM raw_survey_responses"
        ).fetchall() == [("r-A", 4.0, "A")]
        assert con.execute("SELECT DISTINCT preset FROM imports").fetchall() == [("test-log",)]


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ConfigError) as caught:
        get_preset("nosuch")
    assert all(name in str(caught.value) for name in PRESETS)


@pytest.mark.skipif("pwc-call-center" not in PRESETS, reason="preset not written yet")
def test_pwc_call_center_counts_match_pandas(warehouse):
    import pandas as pd

    path = DATASETS / "pwc_call_center.csv"
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    result = import_file(warehouse, path, preset="pwc-call-center")
    rated = frame["Satisfaction rating"].fillna("").str.strip().ne("").sum()
    assert result.tables == {"tickets": len(frame), "survey_responses": int(rated)}
    assert result.encoding == "utf-8-sig"


def test_real_kaggle_file_with_embedded_newlines_keeps_every_record(warehouse):
    path = DATASETS / "customer_support_tickets_kaggle.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    import_file(
        warehouse,
        path,
        table="tickets",
        options={"columns": {"created_at": "Date of Purchase"}},
    )
    with warehouse.connect() as con:
        stored = con.execute("SELECT ticket_id, _row FROM raw_tickets ORDER BY _row").fetchall()
    assert len(stored) == len(records)
    assert stored[-1] == (records[-1]["Ticket ID"], len(records) + 1)
