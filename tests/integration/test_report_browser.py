"""The HTML report in a real headless Chromium, offline: every chart is drawn by the
inlined plotly.js and the page asks the network for nothing."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cxlens.pipeline import run_project
from cxlens.sample import write_sample_project
from cxlens.settings import load_settings
from cxlens.store import Warehouse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


def headless(page: Path, profile: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            *flags,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    config = write_sample_project(folder / "project")
    with (folder / "project" / "exports" / "survey_responses.csv").open("a", encoding="utf-8") as f:
        # an untrusted comment, lowest score of the report month so the report quotes it
        f.write("R000000,csat,1,1,5,,,,,2025-06-15 10:00:00,<script>alert(1)</script>\n")
    settings = load_settings(config)
    outputs = run_project(settings, Warehouse(settings.warehouse_path), folder / "out").outputs
    return outputs["html"]


def test_every_chart_is_drawn_offline(report, tmp_path):
    html = report.read_text(encoding="utf-8")
    charts = html.count("Plotly.newPlot(")
    assert charts >= 10

    done = headless(report, tmp_path / "profile", "--dump-dom")

    assert done.returncode == 0, done.stderr
    page = re.sub(r"<(script|style)\b.*?</\1>", "", done.stdout, flags=re.S)
    # plotly marks each chart it has drawn; a plotly.js that failed to load draws none
    assert page.count("js-plotly-plot") == charts
    assert page.count('class="main-svg"') >= 2 * charts
    assert "alert(1)" in html and "<script>alert(1)</script>" not in done.stdout


def test_screenshot_renders(report, tmp_path):
    shot = tmp_path / "report.png"

    done = headless(report, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000")

    assert done.returncode == 0, done.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a drawn page, not a blank one
