"""``cxlens alerts`` as cron runs it: exit status 3 when a rule fires, 0 when none does,
1 on bad settings; the webhook against a local HTTP server on 127.0.0.1 only.

The project is a tiny hand-made warehouse: CSAT 90/100 satisfied in ISO week 2024-W09
and 70/100 in 2024-W10 (data end Sunday 10 March 2024), so a 5-point drop rule fires
and a 30-point one does not.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from cxlens.insights.alert_rules import WebhookError, check_alerts
from cxlens.insights.alerts import notify
from cxlens.settings import load_settings
from cxlens.store import Warehouse
from unit.test_metrics_fixtures import warehouse_with

SECRET = "s3cret-token"


def answers(prefix: str, satisfied: int, unsatisfied: int, at: str) -> list[dict]:
    scores = [5] * satisfied + [2] * unsatisfied
    return [
        {"response_id": f"{prefix}{i}", "kind": "csat", "score": s, "responded_at_local": at}
        for i, s in enumerate(scores)
    ]


@pytest.fixture
def shop(tmp_path) -> Path:
    """A project folder named ``shop`` with the CSAT warehouse; returns the folder."""
    folder = tmp_path / "shop"
    folder.mkdir()
    warehouse_with(
        folder,
        tickets=[{"ticket_id": "T-end", "created_at_local": "2024-03-10 12:00"}],
        survey_responses=answers("a", 90, 10, "2024-02-28 10:00")
        + answers("b", 70, 30, "2024-03-06 10:00"),
    )
    return folder


def write_config(folder: Path, drop: float, webhook: str | None = None) -> Path:
    hook = f'webhook = "{webhook}"\ntimeout_seconds = 5\n' if webhook else ""
    config = folder / "cxlens.toml"
    config.write_text(
        '[project]\ntimezone = "UTC"\nlanguage = "en"\nwarehouse = "w.duckdb"\n\n'
        f'[alerts]\n{hook}\n[[alerts.rules]]\nmetric = "csat"\ndrop = {drop}\n',
        encoding="utf-8",
    )
    return config


def cxlens(*args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run(
        [sys.executable, "-m", "cxlens", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


class Receiver(BaseHTTPRequestHandler):
    """Records each POST (path and JSON body) and answers with the server's status."""

    def do_POST(self) -> None:  # noqa: N802 (the http.server name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.server.authorizations.append(self.headers["Authorization"])
        self.send_response(self.server.status)
        if 300 <= self.server.status < 400:
            self.send_header("Location", "/elsewhere")
        self.end_headers()

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.authorizations, server.status = [], [], 204
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_fired_rule_exits_3_and_prints_the_alert(shop):
    completed = cxlens("alerts", "--config", str(write_config(shop, 0.05)), "--no-webhook")
    assert completed.returncode == 3, completed.stderr
    assert "CSAT fell from 90.0% to 70.0% (-20.0 pp) in 2024-W10" in completed.stdout
    assert "Rules checked: 1; fired: 1." in completed.stdout


def test_no_rule_firing_exits_0_and_json_says_why(shop):
    completed = cxlens("alerts", "--config", str(write_config(shop, 0.3)), "--format", "json")
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    (check,) = result["checks"]
    assert (result["fired"], check["state"], check["period"]) == (False, "quiet", "2024-W10")
    assert (check["value"], check["previous"], check["n"]) == (0.7, 0.9, 100)


def test_bad_settings_exit_1_with_the_rule_number(shop):
    config = write_config(shop, 5)
    completed = cxlens("alerts", "--config", str(config))
    assert completed.returncode == 1
    assert "[[alerts.rules]] number 1: drop = 5: rates are fractions" in completed.stderr


def test_the_webhook_receives_the_fired_alerts(shop, receiver):
    port = receiver.server_address[1]
    config = write_config(shop, 0.05, f"http://127.0.0.1:{port}/hook?token={SECRET}")
    settings = load_settings(config)
    result = check_alerts(Warehouse.for_settings(settings), settings)
    assert notify(result, settings, "en") is True
    ((path, content_type, body),) = receiver.received
    assert path == f"/hook?token={SECRET}"
    assert content_type == "application/json; charset=utf-8"
    assert set(body) == {"project", "fired", "checked_at"}
    assert body["project"] == "shop"
    (alert,) = body["fired"]
    assert (alert["rule"], alert["metric"], alert["period"]) == (1, "csat", "2024-W10")
    assert (alert["value"], alert["previous"], alert["change"]) == (
        pytest.approx(0.7),
        pytest.approx(0.9),
        pytest.approx(-0.2),
    )
    assert alert["message"].startswith("CSAT fell from 90.0% to 70.0%")
    assert datetime.fromisoformat(body["checked_at"]).tzinfo is not None


def test_the_cli_calls_the_webhook_and_keeps_the_secret_out_of_its_output(shop, receiver):
    port = receiver.server_address[1]
    config = write_config(shop, 0.05, f"http://127.0.0.1:{port}/hook?token={SECRET}")
    completed = cxlens("alerts", "--config", str(config))
    assert completed.returncode == 3, completed.stderr
    assert len(receiver.received) == 1
    assert f"Webhook: 1 alert sent to http://127.0.0.1:{port}/…" in completed.stderr
    assert SECRET not in completed.stdout + completed.stderr


def test_a_webhook_answering_500_is_reported(shop, receiver):
    receiver.status = 500
    port = receiver.server_address[1]
    settings = load_settings(write_config(shop, 0.05, f"http://127.0.0.1:{port}/hook"))
    result = check_alerts(Warehouse.for_settings(settings), settings)
    with pytest.raises(WebhookError, match="answered 500"):
        notify(result, settings, "en")


def test_a_redirect_is_not_followed(shop, receiver):
    receiver.status = 302
    port = receiver.server_address[1]
    settings = load_settings(write_config(shop, 0.05, f"http://127.0.0.1:{port}/hook"))
    result = check_alerts(Warehouse.for_settings(settings), settings)
    with pytest.raises(WebhookError, match="answered 302"):
        notify(result, settings, "en")
    assert [path for path, _, _ in receiver.received] == ["/hook"]


def test_an_unreachable_webhook_is_reported_and_the_exit_status_stays_3(shop):
    port = closed_port()
    config = write_config(shop, 0.05, f"http://127.0.0.1:{port}/hook?token={SECRET}")
    completed = cxlens("alerts", "--config", str(config))
    assert completed.returncode == 3
    assert f"Webhook failed: could not reach the webhook at http://127.0.0.1:{port}/…" in (
        completed.stderr
    )
    assert "answers within 5 s ([alerts] timeout_seconds)" in completed.stderr
    assert SECRET not in completed.stdout + completed.stderr


def test_no_webhook_call_when_nothing_fired(shop, receiver):
    port = receiver.server_address[1]
    completed = cxlens(
        "alerts", "--config", str(write_config(shop, 0.3, f"http://127.0.0.1:{port}/hook"))
    )
    assert completed.returncode == 0
    assert receiver.received == []


def test_a_user_and_password_in_the_url_go_as_basic_auth(shop, receiver):
    port = receiver.server_address[1]
    hook = f"http://Aladdin:open%20sesame@127.0.0.1:{port}/hook"
    completed = cxlens("alerts", "--config", str(write_config(shop, 0.05, hook)))
    assert completed.returncode == 3, completed.stderr
    assert [path for path, _, _ in receiver.received] == ["/hook"]
    # RFC 7617 section 2's example: Aladdin / open sesame.
    assert receiver.authorizations == ["Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="]
    assert f"Webhook: 1 alert sent to http://127.0.0.1:{port}/…" in completed.stderr
    assert "sesame" not in completed.stdout + completed.stderr


def test_a_day_before_the_data_checks_nothing_says_so_and_exits_0(shop):
    config = write_config(shop, 0.05)
    completed = cxlens("alerts", "--config", str(config), "--to", "2023-01-01", "--no-webhook")
    assert completed.returncode == 0, completed.stderr
    assert "The one rule could not be checked." in completed.stdout
    assert "none fired" not in completed.stdout
