"""`cxlens run` reimports only the sources that changed (issue 6, part 7).

Every incremental run is checked against a full run on a fresh warehouse with the same
files: all tables, raw and cleaned, must hold the same rows (the ledgers of imports, which
keep history and times, aside).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cxlens.pipeline import SourcesRejected, refresh_warehouse
from cxlens.settings import load_settings
from cxlens.store import Warehouse

CUSTOMERS = "customer_id,name\nC1,Ann\nC2,Bo\n"
TICKETS = (
    "ticket_id,created_at,customer_id,channel,status\n"
    "T1,2024-03-01 10:00,C1,email,open\n"
    "T2,2024-03-02 11:00,C2,chat,solved\n"
    "T3,2024-03-03 12:00,C1,email,open\n"
)
SURVEYS = (
    "response_id,kind,score,responded_at,ticket_id\n"
    "R1,csat,5,2024-03-02 12:00,T2\nR2,csat,2,2024-03-04 09:00,T1\n"
)
LEDGERS = {"imports", "imports_sources", "imports_cleaned"}  # history and times by design


def write_project(folder, files, extra=""):
    """A project whose sources are ``files`` (name, table, text), in that order."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = "".join(f'[[sources]]\ntable = "{t}"\npath = "{n}"\n\n' for n, t, _ in files)
    (folder / "cxlens.toml").write_text(
        f'[project]\ntimezone = "Asia/Shanghai"\nwarehouse = "w.duckdb"\n{extra}\n{sources}'
    )
    for name, _, text in files:
        (folder / name).write_text(text, encoding="utf-8")
    return load_settings(folder / "cxlens.toml")


def refresh(settings, **options):
    return refresh_warehouse(settings, Warehouse(settings.warehouse_path), **options)


def tables(settings):
    """Every table's rows, sorted, by name (the ledgers left out)."""
    with Warehouse(settings.warehouse_path).connect(read_only=True) as con:
        names = [
            n
            for (n,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
        ]
        return {
            name: sorted(map(repr, con.execute(f'SELECT * FROM "{name}"').fetchall()))
            for name in names
            if name not in LEDGERS
        }


def fresh_full_run(settings):
    """A full run on a new warehouse, reading the very same files."""
    fresh = settings.root / "fresh.toml"
    fresh.write_text(settings.config_path.read_text().replace("w.duckdb", "fresh.duckdb"))
    fresh_settings = load_settings(fresh)
    refresh(fresh_settings)
    return tables(fresh_settings)


def sources(tickets=TICKETS):
    return [
        ("customers.csv", "customers", CUSTOMERS),
        ("tickets.csv", "tickets", tickets),
        ("surveys.csv", "survey_responses", SURVEYS),
    ]


@pytest.fixture
def project(tmp_path):
    settings = write_project(tmp_path / "project", sources())
    first = refresh(settings)
    assert len(first.imports) == 3 and first.cleaned
    return settings


def test_a_second_run_imports_nothing_and_skips_cleaning(project):
    second = refresh(project)

    assert second.imports == [] and len(second.unchanged) == 3
    assert not second.cleaned
    assert second.describe().startswith("3 files unchanged, 0 reimported; cleaning skipped")


def test_a_touched_file_with_the_same_content_is_not_reimported(project):
    path = project.root / "tickets.csv"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**10))

    again = refresh(project)

    assert again.imports == [] and not again.cleaned


def test_one_changed_row_reimports_that_file_only_and_matches_a_full_run(project, tmp_path):
    changed = TICKETS.replace(
        "T3,2024-03-03 12:00,C1,email,open", "T3,2024-03-03 12:00,C1,email,solved"
    )
    (project.root / "tickets.csv").write_text(changed, encoding="utf-8")

    again = refresh(project)

    assert [imp.source for imp in again.imports] == [str(project.root / "tickets.csv")]
    assert again.describe() == "2 files unchanged, 1 reimported"
    with Warehouse(project.warehouse_path).connect(read_only=True) as con:
        status = con.execute("SELECT status FROM tickets WHERE ticket_id = 'T3'").fetchone()
    assert status == ("solved",)  # the file's new value, cleaned
    assert tables(project) == fresh_full_run(project)


def test_a_row_deleted_from_the_export_leaves_the_warehouse(project, tmp_path):
    shorter = TICKETS.replace("T3,2024-03-03 12:00,C1,email,open\n", "")
    (project.root / "tickets.csv").write_text(shorter, encoding="utf-8")

    refresh(project)

    with Warehouse(project.warehouse_path).connect(read_only=True) as con:
        kept = con.execute("SELECT ticket_id FROM tickets ORDER BY 1").fetchall()
    assert kept == [("T1",), ("T2",)]
    assert tables(project) == fresh_full_run(project)


def test_full_reimports_every_file_and_changes_nothing(project):
    before = tables(project)

    again = refresh(project, full=True)

    assert len(again.imports) == 3 and again.cleaned
    assert tables(project) == before


def test_a_changed_source_setting_reimports_and_a_cleaning_setting_recleans(project):
    text = (project.root / "cxlens.toml").read_text()
    (project.root / "cxlens.toml").write_text(
        text.replace('path = "tickets.csv"', 'path = "tickets.csv"\ntimezone = "UTC"')
    )
    moved = refresh(load_settings(project.root / "cxlens.toml"))
    assert [imp.source.endswith("tickets.csv") for imp in moved.imports] == [True]

    text = (project.root / "cxlens.toml").read_text()
    (project.root / "cxlens.toml").write_text(
        text.replace("[project]", '[sla]\nfirst_response = "2h"\n\n[project]')
    )
    recleaned = refresh(load_settings(project.root / "cxlens.toml"))
    assert recleaned.imports == [] and recleaned.cleaned


def test_a_missing_source_file_is_named_and_the_others_stay(project):
    (project.root / "surveys.csv").unlink()

    with pytest.raises(SourcesRejected) as refused:
        refresh(project)

    message = str(refused.value)
    assert f"{project.root / 'surveys.csv'}: the file is missing" in message
    assert "remove its [[sources]] entry" in message
    with Warehouse(project.warehouse_path).connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM survey_responses").fetchone() == (2,)


OTHER = "ticket_id,created_at,status\nT3,2024-03-03 12:00,pending\nT9,2024-03-09 09:00,new\n"


@pytest.mark.parametrize("changed", ["earlier", "later"])
def test_sources_sharing_keys_end_as_in_a_full_run(tmp_path, changed):
    # tickets.csv and other.csv both deliver T3; in a full run the later file's T3 wins
    files = [*sources(), ("other.csv", "tickets", OTHER)]
    settings = write_project(tmp_path / "project", files)
    refresh(settings)
    if changed == "earlier":  # the earlier file changes: the later one must still win T3
        edited = TICKETS.replace(
            "T1,2024-03-01 10:00,C1,email,open", "T1,2024-03-01 10:00,C1,email,solved"
        )
        files[1] = ("tickets.csv", "tickets", edited)
    else:  # the later file drops T3: the earlier file's T3 must come back
        files[3] = ("other.csv", "tickets", OTHER.replace("T3,2024-03-03 12:00,pending\n", ""))
    (settings.root / files[1][0]).write_text(files[1][2], encoding="utf-8")
    (settings.root / files[3][0]).write_text(files[3][2], encoding="utf-8")

    refresh(settings)

    expected_t3 = ("pending",) if changed == "earlier" else ("open",)
    with Warehouse(settings.warehouse_path).connect(read_only=True) as con:
        assert (
            con.execute("SELECT status FROM tickets WHERE ticket_id = 'T3'").fetchone()
            == expected_t3
        )
    assert tables(settings) == fresh_full_run(settings)


def test_the_run_command_says_what_it_skipped(project):
    command = [
        sys.executable,
        "-m",
        "cxlens",
        "run",
        "--silent",
        "--config",
        str(project.config_path),
        "--out",
        str(project.root / "out"),
    ]

    done = subprocess.run(command, capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Sources: 3 files unchanged, 0 reimported; cleaning skipped")
    assert "report.html" in done.stdout
