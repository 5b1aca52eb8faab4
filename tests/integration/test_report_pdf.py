"""The report as PDF and its filters (issue 6, part 7): printed by headless Chromium, with
the report month, time zone, language and dimension filters on the first page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cxlens.pipeline import refresh_warehouse
from cxlens.report.pdf import BrowserMissing, find_browser, print_pdf
from cxlens.settings import load_settings
from cxlens.store import Warehouse

# 2024-03 holds 4 tickets: 2 Billing/Alpha, 1 Billing/Beta, 1 Returns/Alpha
TICKETS = """ticket_id,created_at,channel,category,team,status
J1,2024-01-10 10:00,email,Billing,Alpha,solved
J2,2024-01-11 10:00,chat,Returns,Beta,solved
F1,2024-02-05 10:00,email,Billing,Alpha,solved
F2,2024-02-06 10:00,chat,Returns,Alpha,solved
M1,2024-03-04 10:00,email,Billing,Alpha,solved
M2,2024-03-05 10:00,chat,Billing,Alpha,open
M3,2024-03-06 10:00,email,Billing,Beta,solved
M4,2024-03-07 10:00,email,Returns,Alpha,solved
A1,2024-04-01 10:00,email,Billing,Alpha,open
"""
FILTERS = ["--category", "Billing", "--team", "Alpha"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    (folder / "tickets.csv").write_text(TICKETS, encoding="utf-8")
    (folder / "cxlens.toml").write_text(
        '[project]\ntimezone = "Asia/Shanghai"\nlanguage = "en"\nwarehouse = "w.duckdb"\n\n'
        '[[sources]]\ntable = "tickets"\npath = "tickets.csv"\n'
    )
    settings = load_settings(folder / "cxlens.toml")
    refresh_warehouse(settings, Warehouse(settings.warehouse_path))
    return folder


def report(folder: Path, out: str, *flags: str, env: dict | None = None):
    command = [sys.executable, "-m", "cxlens", "report", "--config", str(folder / "cxlens.toml")]
    command += ["--out", str(folder / out), "--month", "2024-03", *flags]
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env)


def tickets_card(html: str) -> str:
    card = re.search(r'data-metric="tickets">\s*<div class="name">[^<]*</div>\s*'
                     r'<div class="value">([^<]*)</div>', html)  # fmt: skip
    assert card, "no tickets card"
    return card.group(1)


@pytest.mark.skipif(find_browser() is None, reason="no chromium, chromium-browser or "
                    "google-chrome on PATH to print with")  # fmt: skip
def test_the_pdf_shows_the_month_and_filters_on_its_first_page(project):
    from pypdf import PdfReader

    done = report(project, "out", "--pdf", *FILTERS)

    assert done.returncode == 0, done.stderr
    pages = PdfReader(project / "out" / "report.pdf").pages
    first = pages[0].extract_text()
    for expected in ("2024-03", "Asia/Shanghai", "Language: English", "Billing", "Alpha"):
        assert expected in first
    assert "category = Billing; team = Alpha" in first
    assert len(pages) > 1


def test_the_filters_narrow_the_kpis_and_show_on_the_first_screen(project):
    filtered = report(project, "filtered", *FILTERS)
    unfiltered = report(project, "all")

    assert filtered.returncode == 0 and unfiltered.returncode == 0, filtered.stderr
    page = (project / "filtered" / "report.html").read_text(encoding="utf-8")
    header = page[page.index("<header>") : page.index("</header>")]
    assert "category = Billing; team = Alpha" in header
    assert 'data-filters="yes"' in header
    assert tickets_card(page) == "2"  # M1, M2: Billing and Alpha in March
    whole = (project / "all" / "report.html").read_text(encoding="utf-8")
    assert "Filters (key figures, trends, breakdowns and actions): none (all records)" in whole
    assert tickets_card(whole) == "4"


def test_pdf_without_a_browser_is_an_error_that_says_how_to_install_one(project, tmp_path):
    bare = tmp_path / "bin"  # a PATH holding no browser
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare)}

    done = report(project, "nobrowser", "--pdf", env=env)

    assert done.returncode == 1
    assert "printing the PDF needs Chromium" in done.stderr
    assert "apt install chromium" in done.stderr
    assert (project / "nobrowser" / "report.html").exists()
    assert not (project / "nobrowser" / "report.pdf").exists()


def test_print_pdf_names_the_browsers_it_looked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserMissing, match="none of chromium, chromium-browser, google-chrome"):
        print_pdf(tmp_path / "report.html", tmp_path / "report.pdf")


def test_a_blank_filter_value_is_refused(project):
    done = report(project, "blank", "--channel", " ")

    assert done.returncode == 2
    assert "give a value" in done.stderr
