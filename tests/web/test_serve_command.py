"""`cxlens serve` as a user starts it: a real process on 127.0.0.1, pages and the
OpenAPI document answered, and a CLI write accepted while it runs."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"cxlens serve exited: {process.stderr.read()}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("cxlens serve did not answer within a minute")


def test_serve_answers_pages_and_api_while_the_cli_writes(sample_project, tmp_path):
    project = sample_project.copy(tmp_path / "project")
    port = free_port()
    cxlens = [sys.executable, "-m", "cxlens"]
    common = ["--db", str(project.warehouse.path), "--config", str(project.settings.config_path)]
    process = subprocess.Popen(
        [*cxlens, "serve", *common, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/v1/status", process)
        overview = httpx.get(f"{url}/?format=json", timeout=120)
        document = httpx.get(f"{url}/api/v1/openapi.json", timeout=30).json()
        token = subprocess.run(
            [*cxlens, "token", "create", "--name", "trial", *common],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
        refused = httpx.post(f"{url}/api/v1/customers", json={"customer_id": "Z1"}, timeout=60)
        accepted = httpx.post(
            f"{url}/api/v1/customers",
            json={"customer_id": "Z1", "segment": "vip"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
    finally:
        process.terminate()
        process.wait(timeout=60)

    assert overview.status_code == 200 and overview.json()["cards"]
    assert {"/api/v1/kpis", "/api/v1/status"} <= set(document["paths"])
    assert token.startswith("cxl_") and "\n" not in token
    assert refused.status_code == 401
    assert accepted.status_code == 200 and accepted.json()["inserted"] == 1
