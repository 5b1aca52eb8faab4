"""`cxlens run` as a whole: a refused source stops the report but leaves the warehouse
consistent; a month outside the data is refused; piping stdout into `head` is no failure."""

import subprocess
import sys

import pytest

from cxlens.errors import ConfigError
from cxlens.pipeline import SourcesRejected, run_project
from cxlens.settings import load_settings
from cxlens.store import Warehouse

GOOD = "ticket_id,created_at\nA,2024-03-01 10:00\nB,2024-03-31 23:00\n"
BAD = "response_id,kind,score,responded_at\nR1,nps,7.5,2024-03-05 10:00\n"


def project(folder, *files):
    sources = "".join(
        f'[[sources]]\ntable = "{table}"\npath = "{name}"\n\n' for name, table, _ in files
    )
    (folder / "cxlens.toml").write_text(f'[project]\nwarehouse = "w.duckdb"\n\n{sources}')
    for name, _, text in files:
        (folder / name).write_text(text, encoding="utf-8")
    return load_settings(folder / "cxlens.toml")


def counts(warehouse):
    with warehouse.connect(read_only=True) as con:
        return con.execute(
            "SELECT (SELECT count(*) FROM raw_tickets), (SELECT count(*) FROM tickets)"
        ).fetchall()[0]


def test_a_refused_source_stops_the_report_but_the_accepted_ones_are_cleaned(tmp_path):
    settings = project(tmp_path, ("t.csv", "tickets", GOOD), ("s.csv", "survey_responses", BAD))
    warehouse = Warehouse(settings.warehouse_path)

    with pytest.raises(SourcesRejected) as refused:
        run_project(settings, warehouse, tmp_path / "out")

    assert "1 of 2 source(s) refused" in str(refused.value)
    assert "Imported and cleaned: t.csv" in str(refused.value)
    assert counts(warehouse) == (2, 2)  # raw and cleaned tables agree
    assert not (tmp_path / "out" / "report.html").exists()


def test_a_month_outside_the_data_is_refused(tmp_path):
    settings = project(tmp_path, ("t.csv", "tickets", GOOD))
    warehouse = Warehouse(settings.warehouse_path)

    with pytest.raises(ConfigError, match="no data in 2030-01: the data runs from 2024-03"):
        run_project(settings, warehouse, tmp_path / "out", month="2030-01")


def test_a_closed_pipe_is_not_a_failure(tmp_path):
    # twenty years of days: far more output than a pipe buffers
    settings = project(tmp_path, ("t.csv", "tickets", GOOD + "C,2004-03-01 10:00\n"))
    run_project(settings, Warehouse(settings.warehouse_path), tmp_path / "out")
    command = f"{sys.executable} -m cxlens kpis --by day -f csv | head -1; echo ${{PIPESTATUS[0]}}"

    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, check=False
    )

    header, status = done.stdout.strip().splitlines()
    assert header == "metric,period,group,value,n,ci_low,ci_high"
    assert status == "0"
    assert "Traceback" not in done.stderr
