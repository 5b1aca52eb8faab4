"""``cxlens kpis`` with ``warehouse = "pyspark://"``: the settings' tables_dir is found,
Spark starts in the command's own process and prints DuckDB's figures."""

import json
import subprocess
import sys
import tomllib

import pytest

from cxlens.metrics import compute_kpis, kpi_records

pytestmark = pytest.mark.spark


def test_kpis_command_on_spark_prints_the_duckdb_figures(projects):
    settings, on_spark, on_duckdb = projects["sample"]
    text = settings.config_path.read_text(encoding="utf-8")
    assert 'warehouse = "cxlens.duckdb"' in text
    text = text.replace('warehouse = "cxlens.duckdb"', 'warehouse = "pyspark://"')
    text += f"\n[spark]\ntables_dir = {json.dumps(str(on_spark.tables_dir))}\n"
    config = settings.config_path.with_name("spark.toml")
    config.write_text(text, encoding="utf-8")
    assert tomllib.loads(text)["spark"]["tables_dir"] == str(on_spark.tables_dir)
    asked = ["-m", "tickets", "-m", "first_response_median_min", "-m", "csat"]
    done = subprocess.run(
        [sys.executable, "-m", "cxlens", "kpis", "--config", str(config), "--by", "month"]
        + ["-f", "json", *asked],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    metrics = ["tickets", "first_response_median_min", "csat"]
    expected = kpi_records(compute_kpis(on_duckdb, settings, by=["month"], metrics=metrics))
    assert len(printed) == len(expected) > 0
    for got, want in zip(printed, expected, strict=True):
        assert (got["metric"], got["period"], got["n"]) == (
            want["metric"],
            want["period"],
            want["n"],
        )
        # both rounded to 4 places from values equal to 1e-13 (see test_parity)
        if want["value"] is None:
            assert got["value"] is None
        else:
            assert got["value"] == pytest.approx(want["value"], abs=1e-4)
