"""The default alert rules on the bundled sample, including the topic rule's glue to
``cxlens.models.text.weekly_topic_negatives``.

The topic rule's decision is checked on hand data in tests/unit/test_alerts.py; here
the checks ``check_alerts`` builds are compared with the rule recomputed in plain
pandas from the weekly frame of the text model, for the same two weeks. The module
waits for the text model: until ``weekly_topic_negatives`` exists it is skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cxlens.insights.actions import Scope
from cxlens.insights.alert_rules import check_alerts
from cxlens.models import text
from cxlens.settings import load_settings
from cxlens.store import Warehouse

pytestmark = pytest.mark.skipif(
    not hasattr(text, "weekly_topic_negatives"),
    reason="cxlens.models.text.weekly_topic_negatives is not built yet",
)


def cx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cxlens", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("alerts")
    assert cx("sample", "demo", cwd=folder).returncode == 0
    done = cx("run", "--silent", "--out", "out", cwd=folder / "demo")
    assert done.returncode == 0, done.stderr
    return folder / "demo"


def test_topic_checks_follow_the_weekly_negatives_of_the_text_model(sample):
    settings = load_settings(sample / "cxlens.toml")
    warehouse = Warehouse.for_settings(settings)
    result = check_alerts(warehouse, settings)
    topic_checks = [check for check in result.checks if check.rule.kind == "topic_negative"]
    span = result.spans["week"]

    weekly = text.weekly_topic_negatives(
        warehouse, settings, Scope(window=(span.previous_first, span.last))
    )
    weeks = weekly.assign(
        week=weekly["week"].map(
            lambda w: w if isinstance(w, str) else "{}-W{:02d}".format(*w.isocalendar()[:2])
        )
    )
    now = weeks[weeks["week"] == span.label].groupby("topic")["negative"].sum()
    before = weeks[weeks["week"] == span.previous_label].groupby("topic")["negative"].sum()
    topics = now.index.union(before.index)  # a topic seen in either week
    now, before = now.reindex(topics, fill_value=0), before.reindex(topics, fill_value=0)
    expected = set(now[(now >= 2 * before) & (now >= 10)].index)

    assert {c.group["topic"] for c in topic_checks if c.fired} == expected
    counted = {c.group["topic"]: c.value for c in topic_checks if c.group}
    assert counted == {topic: float(count) for topic, count in now.items()}


def test_the_cli_exit_status_matches_what_fired(sample):
    completed = cx("alerts", "--format", "json", "--no-webhook", cwd=sample)
    result = json.loads(completed.stdout)
    assert completed.returncode == (3 if result["fired"] else 0), completed.stderr
    assert len(result["lines"]) >= 1 and result["tables"]["alerts_rules"]
