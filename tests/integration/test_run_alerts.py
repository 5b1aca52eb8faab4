"""``cxlens run`` checks the alert rules after writing the report: the summary lists what
fired, the webhook (a local HTTP server on 127.0.0.1) receives it, and only
``--fail-on-alert`` turns a fired rule into exit status 3.

The project is the hand-made CSAT warehouse of test_alerts_cli: 90/100 satisfied in ISO
week 2024-W09, 70/100 in 2024-W10, so a 5-point drop rule fires and a 30-point one does
not.
"""

from __future__ import annotations

from integration.test_alerts_cli import cxlens, receiver, shop, write_config

__all__ = ["receiver", "shop"]  # the fixtures this module borrows


def test_run_lists_the_fired_alert_and_calls_the_webhook(shop, receiver):
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    config = write_config(shop, 0.05, webhook=url)

    done = cxlens("run", "--config", str(config), "--out", str(shop / "out"), "--silent")

    assert done.returncode == 0, done.stderr  # the report was written: the run succeeded
    assert (shop / "out" / "report.html").is_file()
    assert "CSAT fell from 90.0% to 70.0% (-20.0 pp) in 2024-W10 against 2024-W09" in done.stdout
    assert f"1 alert sent to http://127.0.0.1:{receiver.server_port}" in done.stdout
    ((path, _, body),) = receiver.received
    assert path == "/hook" and len(body["fired"]) == 1
    assert body["fired"][0]["value"] == 0.7 and body["fired"][0]["previous"] == 0.9


def test_fail_on_alert_exits_3_only_when_a_rule_fired(shop):
    fired = cxlens(
        "run", "--config", str(write_config(shop, 0.05)), "--out", str(shop / "out"),
        "--silent", "--fail-on-alert",
    )  # fmt: skip
    quiet = cxlens(
        "run", "--config", str(write_config(shop, 0.30)), "--out", str(shop / "out"),
        "--silent", "--fail-on-alert",
    )  # fmt: skip

    assert fired.returncode == 3, fired.stderr
    assert quiet.returncode == 0, quiet.stderr
    assert "Rules checked: 1; none fired." in quiet.stdout
