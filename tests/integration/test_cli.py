"""The command line as a user meets it: real processes, a real DuckDB file, exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

CXLENS = [sys.executable, "-m", "cxlens"]

TICKETS = """ticket_id,created_at,channel,status,solved_at,first_response_at,agent_id
T1,2024-03-04 10:00,Email,solved,2024-03-04 17:00,2024-03-04 10:30,A
T2,2024-03-04 23:50,邮箱,solved,2024-03-05 00:10,2024-03-05 00:00,B
T3,2024-04-01 09:00,电话,open,,,A
"""

SURVEYS = """response_id,kind,score,ticket_id,responded_at
R1,csat,5,T1,2024-03-05 09:00
R2,csat,4,T2,2024-03-05 09:00
R3,csat,2,T3,2024-04-02 09:00
R4,nps,9,T1,2024-03-05 09:00
R5,nps,10,T2,2024-03-05 09:00
R6,nps,10,T3,2024-04-02 09:00
R7,nps,6,T3,2024-04-02 09:00
"""


def cx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "tickets.csv").write_text(TICKETS, encoding="utf-8")
    (tmp_path / "surveys.csv").write_text(SURVEYS, encoding="utf-8")
    for name, table in (("tickets.csv", "tickets"), ("surveys.csv", "survey_responses")):
        done = cx("import", name, "--table", table, "--db", "w.duckdb", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    return tmp_path


def kpis(project: Path, *args: str) -> list[dict]:
    done = cx("kpis", "--db", "w.duckdb", "--format", "json", *args, cwd=project)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_kpis_json_has_the_contract_shape_and_hand_computed_values(project):
    rows = {(r["metric"], r["period"]): r for r in kpis(project, "--by", "month")}

    csat_march = rows[("csat", "2024-03")]
    assert set(csat_march) == {"metric", "period", "group", "value", "n", "ci_low", "ci_high"}
    assert csat_march["group"] == {}
    assert (csat_march["value"], csat_march["n"]) == (1.0, 2)
    assert rows[("csat", "2024-04")]["value"] == 0.0
    # case SV-2: 9, 10, 10, 6 → +50 over the whole data
    all_rows = {r["metric"]: r for r in kpis(project)}
    assert all_rows["nps"]["value"] == pytest.approx(50.0)
    assert all_rows["nps"]["period"] == "all"
    # case RS-2: 420 and 20 minutes → mean 220
    assert all_rows["resolution_mean_min"]["value"] == pytest.approx(220.0)
    assert all_rows["tickets"]["value"] == 3


def test_chinese_and_english_channel_names_are_one_channel(project):
    # case IM-5: 邮箱 is e-mail
    rows = kpis(project, "--by", "channel", "--metric", "tickets")
    by_channel = {r["group"]["channel"]: r["value"] for r in rows}
    assert by_channel == {"email": 2, "phone": 1}


def test_metric_takes_a_comma_separated_list_or_repeats(project):
    # the same two KPIs either way; 3 tickets and RS-2's mean of 420 and 20 minutes
    for flags in (
        ("--metric", "tickets,resolution_mean_min"),
        ("-m", "tickets", "-m", "resolution_mean_min"),
    ):
        rows = {r["metric"]: r["value"] for r in kpis(project, *flags)}
        assert rows == {"tickets": 3, "resolution_mean_min": pytest.approx(220.0)}


def test_kpis_csv_and_table_formats(project):
    done = cx("kpis", "--db", "w.duckdb", "--format", "csv", "--metric", "tickets", cwd=project)
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.strip().splitlines()
    assert header == "metric,period,group,value,n,ci_low,ci_high"
    assert row.startswith("tickets,all,,3")

    table = cx("kpis", "--db", "w.duckdb", "--metric", "csat", cwd=project)
    assert table.returncode == 0 and "csat" in table.stdout


def test_bad_file_exits_1_with_one_error_line_and_changes_nothing(project):
    (project / "bad.csv").write_text(
        "response_id,kind,score,responded_at\nR9,nps,7.5,2024-03-05 10:00\n", encoding="utf-8"
    )
    before = kpis(project)

    done = cx("import", "bad.csv", "--table", "survey_responses", "--db", "w.duckdb", cwd=project)

    assert done.returncode == 1
    assert done.stderr.startswith("Error: ")
    assert "bad.csv" in done.stderr and "row 2" in done.stderr and "score" in done.stderr
    assert "Traceback" not in done.stderr
    assert kpis(project) == before


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("kpis", "--by", "month,fortnight"), "fortnight"),
        (("kpis", "--by", "month,week"), "grain"),
        (("kpis", "--metric", "nosuch"), "nosuch"),
        (("kpis", "--format", "xml"), "--format"),
        (("report", "--lang", "fr"), "--lang"),
        (("report", "--month", "2025-13"), "--month"),
    ],
)
def test_usage_errors_exit_2_and_name_the_flag(project, args, named):
    done = cx(*args, "--db", "w.duckdb", cwd=project)

    assert done.returncode == 2
    assert named in done.stderr
    assert "Traceback" not in done.stderr


def test_version():
    assert cx("--version", cwd=Path.cwd()).stdout.strip() == "0.1.0"


def test_slash_dates_the_column_cannot_tell_are_read_as_told(tmp_path):
    (tmp_path / "t.csv").write_text(
        "ticket_id,created_at\nA,05/03/2024 10:00\nB,06/04/2024 11:00\n", encoding="utf-8"
    )

    refused = cx("import", "t.csv", "--table", "tickets", "--db", "w.duckdb", cwd=tmp_path)
    assert refused.returncode == 1 and "--dayfirst" in refused.stderr

    told = cx(
        "import", "t.csv", "--table", "tickets", "--dayfirst", "--db", "w.duckdb", cwd=tmp_path
    )
    assert told.returncode == 0, told.stderr
    rows = kpis(tmp_path, "--by", "month", "--metric", "tickets")
    assert {r["period"]: r["value"] for r in rows} == {"2024-03": 1, "2024-04": 1}


def test_the_warehouse_remembers_the_settings_it_was_built_with(tmp_path):
    # case FR-6: 1 Mar 20:00 UTC is 2 Mar in Asia/Kolkata, in every command
    project = tmp_path / "project"
    project.mkdir()
    (project / "cxlens.toml").write_text(
        '[project]\ntimezone = "Asia/Kolkata"\nwarehouse = "w.duckdb"\n', encoding="utf-8"
    )
    (project / "t.csv").write_text(
        "ticket_id,created_at\nA,2024-03-01T20:00:00Z\n", encoding="utf-8"
    )
    done = cx("import", "t.csv", "--table", "tickets", cwd=project)
    assert done.returncode == 0, done.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = str(project / "w.duckdb")
    out = cx("kpis", "--db", db, "--by", "day", "-m", "tickets", "-f", "json", cwd=elsewhere)

    assert out.returncode == 0, out.stderr
    assert [r["period"] for r in json.loads(out.stdout)] == ["2024-03-02"]


def test_settings_in_another_zone_than_the_tables_are_refused(tmp_path):
    (tmp_path / "t.csv").write_text("ticket_id,created_at\nA,2024-03-01 20:00\n", encoding="utf-8")
    assert (
        cx("import", "t.csv", "--table", "tickets", "--db", "w.duckdb", cwd=tmp_path).returncode
        == 0
    )
    (tmp_path / "cxlens.toml").write_text(
        '[project]\ntimezone = "America/Los_Angeles"\nwarehouse = "w.duckdb"\n', encoding="utf-8"
    )

    done = cx("kpis", "--by", "day", cwd=tmp_path)

    assert done.returncode == 1
    assert "cleaned for the time zone UTC" in done.stderr
    assert "America/Los_Angeles" in done.stderr


def test_key_prefix_keeps_two_helpdesks_with_the_same_ticket_numbers(tmp_path):
    (tmp_path / "a.csv").write_text("ticket_id,created_at\n1,2024-03-01 10:00\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("ticket_id,created_at\n1,2024-03-02 10:00\n", encoding="utf-8")

    for name, prefix in (("a.csv", "a-"), ("b.csv", "b-")):
        done = cx(
            "import",
            name,
            "-t",
            "tickets",
            "--key-prefix",
            prefix,
            "--db",
            "w.duckdb",
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr

    rows = kpis(tmp_path, "--metric", "tickets")
    assert rows[0]["value"] == 2
