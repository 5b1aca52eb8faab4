"""``cxlens kpis --db postgres://…`` from a folder with neither cxlens.toml nor a staging
file: the settings come from the published ``project_settings``, the KPIs from Postgres,
and the figures are DuckDB's."""

import json
import subprocess
import sys

import pytest

from cxlens.metrics import compute_kpis, kpi_records

pytestmark = pytest.mark.postgres


def test_kpis_command_on_postgres_prints_the_duckdb_figures(projects, tmp_path):
    settings, on_postgres, on_duckdb = projects["sample"]
    assert on_postgres.schema == "cxlens"  # the default, so the URL alone finds it
    asked = ["-m", "tickets", "-m", "first_response_median_min", "-m", "csat"]
    done = subprocess.run(
        [sys.executable, "-m", "cxlens", "kpis", "--db", on_postgres.postgres_url]
        + ["--by", "month,channel", "-f", "json", *asked],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.iterdir())  # nothing staged or written here
    printed = json.loads(done.stdout)
    metrics = ["tickets", "first_response_median_min", "csat"]
    frame = compute_kpis(on_duckdb, settings, by=["month", "channel"], metrics=metrics)
    expected = kpi_records(frame)
    assert len(printed) == len(expected) > 0
    for got, want in zip(printed, expected, strict=True):
        assert (got["metric"], got["period"], got["group"], got["n"]) == (
            want["metric"],
            want["period"],
            want["group"],
            want["n"],
        )
        # both rounded to 4 places from values equal to 1e-12 (see test_postgres_parity)
        if want["value"] is None:
            assert got["value"] is None
        else:
            assert got["value"] == pytest.approx(want["value"], abs=1e-4)


def test_kpis_command_with_a_wrong_password_says_so(projects, tmp_path):
    _, on_postgres, _ = projects["sample"]
    wrong = on_postgres.postgres_url.replace(":s3cret-pw@", ":nope@")
    done = subprocess.run(
        [sys.executable, "-m", "cxlens", "kpis", "--db", wrong],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "password authentication failed" in done.stderr
    assert "nope" not in done.stderr
