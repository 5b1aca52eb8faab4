"""Fixtures of the dashboard, API and survey-form tests: the sample project imported
once per worker, a live server on 127.0.0.1 (uvicorn in a thread, a free port), and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from cxlens.pipeline import import_and_clean
from cxlens.sample import write_sample_project
from cxlens.settings import Settings, load_settings
from cxlens.store import Warehouse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


@dataclass
class Project:
    settings: Settings
    warehouse: Warehouse

    def copy(self, folder: Path) -> Project:
        """The same project over a copy of its warehouse file (for tests that write)."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "cxlens.duckdb"
        shutil.copyfile(self.warehouse.path, target)
        return Project(self.settings, Warehouse(target))


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory) -> Project:
    """The bundled sample, imported and cleaned (read it; copy it before writing)."""
    folder = tmp_path_factory.mktemp("web-sample")
    config = write_sample_project(folder / "project")
    settings = load_settings(config)
    warehouse = Warehouse(settings.warehouse_path)
    import_and_clean(settings, warehouse)
    return Project(settings, warehouse)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    app: object


@contextmanager
def live_server(project: Project):
    """``cxlens serve``'s application on 127.0.0.1 in a thread, for one test or module."""
    import uvicorn

    from cxlens.web.app import create_app

    app = create_app(project.settings, project.warehouse)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def served(sample_project):
    """A live server over the sample project (read-only tests share it)."""
    with live_server(sample_project) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian's package, through Playwright (no download)."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


def local_only(context):
    """``context`` with every request to anywhere but 127.0.0.1 aborted."""
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:", "about:"))
            else route.abort()
        ),
    )
    return context


@pytest.fixture
def page(browser):
    """A fresh browser page that may reach 127.0.0.1 only."""
    context = local_only(browser.new_context())
    tab = context.new_page()
    yield tab
    context.close()
