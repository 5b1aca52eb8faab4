"""The report as PDF: ``report.html`` printed by a headless Chromium, where one is installed.

Why a browser and not a PDF library: the report's charts are drawn by plotly.js when the
page loads, and only a browser runs it; Chromium's print engine also honours the page's
print style sheet (sections kept whole, table headers repeated). The page loads nothing
from anywhere (its Content-Security-Policy forbids it), and Chromium runs with background
networking off, in a throwaway profile, with a virtual-time budget so that every chart has
drawn before the page is printed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cxlens.errors import ConfigError, CxlensError

log = logging.getLogger(__name__)

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Virtual milliseconds the page may run scripts before printing: plotly draws some fifty
# charts of a monthly report in far less; a budget costs nothing once the page is idle.
CHART_BUDGET_MS = 20_000
TIMEOUT_SECONDS = 300


class BrowserMissing(ConfigError):
    """``--pdf`` was asked for, and no Chromium is on PATH to print with."""


class PrintFailed(CxlensError):
    """Chromium ran but wrote no PDF."""


def find_browser() -> str | None:
    """The first of ``BROWSERS`` on PATH, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: Path, pdf: Path, browser: str | None = None) -> Path:
    """Print ``html`` to ``pdf`` (A4, the page's print styles) and return ``pdf``.

    ``browser`` is Chromium's executable (default: the first of ``BROWSERS`` on PATH).
    Writes through a temporary file beside ``pdf``, so a failed print leaves an earlier
    PDF whole. Raises ``BrowserMissing`` (saying how to install one) or ``PrintFailed``.
    """
    browser = browser or find_browser()
    if browser is None:
        raise BrowserMissing(
            f"printing the PDF needs Chromium, and none of {', '.join(BROWSERS)} is on PATH. "
            "Install it (Debian/Ubuntu: sudo apt install chromium; Fedora: sudo dnf install "
            "chromium; macOS: brew install --cask chromium) or leave out --pdf. The other "
            f"report files were written to {html.parent}."
        )
    partial = pdf.with_name(f".{pdf.name}.partial.pdf")
    try:
        _run_browser(browser, Path(html).resolve(), partial)
        os.replace(partial, pdf)
    finally:
        partial.unlink(missing_ok=True)
    log.info("printed %s to %s with %s", html, pdf, browser)
    return pdf


def _run_browser(browser: str, html: Path, pdf: Path) -> None:
    """One headless Chromium run printing ``html`` to ``pdf``, in a profile of its own."""
    with tempfile.TemporaryDirectory(prefix="cxlens-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-extensions",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--virtual-time-budget={CHART_BUDGET_MS}",
            f"--print-to-pdf={pdf}",
            html.as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            raise PrintFailed(
                f"{browser} did not finish printing {html} within {TIMEOUT_SECONDS} s; "
                "the HTML report is complete, open it in a browser and print from there"
            ) from None
    log.debug("%s said: %s", browser, done.stderr.strip())
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        last = (done.stderr.strip().splitlines() or ["(nothing)"])[-1]
        raise PrintFailed(
            f"{browser} wrote no PDF of {html} (exit status {done.returncode}; its last "
            f"message: {last}). The HTML report is complete: open it and print from there."
        )
