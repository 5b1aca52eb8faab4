"""The surveys page against figures made another way: score counts against SQL
``GROUP BY`` on the warehouse, the drill-down's rows against the KPI's ``n``, NPS
recomputed by hand from the distribution, and a response rate on a hand-made
warehouse counted by hand."""

from __future__ import annotations

import csv
import io
from datetime import date

import httpx
import pytest

from conftest import Project, live_server
from cxlens.clean import clean_warehouse
from cxlens.ingest import import_file
from cxlens.metrics import compute_kpis
from cxlens.settings import load_settings
from cxlens.store import Warehouse

MARCH = "period=custom&from=2025-03-01&to=2025-03-31"
MARCH_DAYS = (date(2025, 3, 1), date(2025, 3, 31))
# Valid answers by hand from the contract: CSAT on 1-5, NPS whole numbers 0-10.
VALID = (
    "((kind = 'csat' AND score BETWEEN 1 AND 5) OR "
    "(kind = 'nps' AND score BETWEEN 0 AND 10 AND score = round(score)))"
)


def surveys(server, query: str) -> dict:
    answer = httpx.get(f"{server.url}/surveys?format=json&{query}", timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()


def counts_by_sql(project, first: str, last: str, channels=None, team=None) -> dict:
    """{(kind, score): responses} of valid answers in the local days, plain SQL."""
    sql = (
        "SELECT r.kind, r.score, count(*) FROM survey_responses r "
        "LEFT JOIN tickets t ON t.ticket_id = r.ticket_id "
        f"WHERE {VALID.replace('kind', 'r.kind').replace('score', 'r.score')} "
        "AND r.responded_at_local >= ?::DATE AND r.responded_at_local < ?::DATE + 1"
    )
    params: list = [first, last]
    if channels:
        sql += f" AND r.channel IN ({', '.join('?' for _ in channels)})"
        params += channels
    if team:
        sql += " AND t.team = ?"
        params.append(team)
    with project.warehouse.connect(read_only=True) as con:
        rows = con.execute(sql + " GROUP BY ALL", params).fetchall()
    return {(kind, score): n for kind, score, n in rows}


def shown_counts(view: dict) -> dict:
    return {
        (count["kind"], count["score"]): count["responses"]
        for section in view["sections"]
        for count in section["distribution"]
    }


@pytest.mark.parametrize(
    "extra, channels, team",
    [("", None, None), ("&channel=email&channel=wechat", ["email", "wechat"], None)],
)
def test_distribution_is_a_group_by_on_the_responses(served, sample_project, extra, channels, team):
    view = surveys(served, MARCH + extra)

    expected = counts_by_sql(sample_project, "2025-03-01", "2025-03-31", channels, team)
    assert expected and shown_counts(view) == expected


def test_distribution_follows_a_ticket_side_filter(served, sample_project):
    with sample_project.warehouse.connect(read_only=True) as con:
        team = con.execute(
            "SELECT team FROM tickets WHERE team IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC"
        ).fetchone()[0]
    view = surveys(served, f"{MARCH}&team={team}")

    expected = counts_by_sql(sample_project, "2025-03-01", "2025-03-31", team=team)
    assert expected and shown_counts(view) == expected


@pytest.mark.parametrize("metric", ["csat", "nps"])
def test_drill_down_lists_exactly_the_kpis_records(served, sample_project, metric):
    query = f"{MARCH}&channel=email&metric={metric}"
    view = surveys(served, query)
    kpi = compute_kpis(
        sample_project.warehouse,
        sample_project.settings,
        metrics=[metric],
        filters={"channel": ["email"]},
        window=MARCH_DAYS,
    ).iloc[0]
    export = httpx.get(f"{served.url}/surveys?format=csv&{query}", timeout=120)
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))

    assert view["responses"]["total"] == kpi["n"] == view["kpi_n"]
    assert len(rows) == kpi["n"]  # the export holds every page
    assert {row["Survey"] for row in rows} == {metric}
    assert {row["Channel"] for row in rows} == {"email"}
    shown = view["responses"]["rows"]
    assert len(shown) == min(50, kpi["n"])
    assert [r["responded_at"] for r in shown] == sorted(
        (r["responded_at"] for r in shown), reverse=True
    )


def test_nps_by_hand_from_the_distribution_equals_the_card(served):
    view = surveys(served, MARCH)
    section = next(s for s in view["sections"] if s["kind"] == "nps")
    counts = {c["score"]: c["responses"] for c in section["distribution"]}
    answered = sum(counts.values())
    promoters = sum(n for score, n in counts.items() if score >= 9)
    detractors = sum(n for score, n in counts.items() if score <= 6)
    card = next(k for k in section["kpis"] if k["metric"] == "nps")

    assert card["n"] == answered
    assert card["value"] == pytest.approx(100 * (promoters - detractors) / answered)
    assert "9–10" in section["formula"] and "0–6" in section["formula"]


def test_csat_formula_follows_the_settings(served):
    view = surveys(served, MARCH)
    section = next(s for s in view["sections"] if s["kind"] == "csat")

    # the sample's cxlens.toml sets [csat] satisfied_from = 4 on the 1-5 scale
    assert section["formula"] == "CSAT = satisfied (4–5 on 1–5) / answered"
    bands = {c["score"]: c["band"] for c in section["distribution"]}
    assert bands == {1: "unsatisfied", 2: "unsatisfied", 3: "unsatisfied",
                     4: "satisfied", 5: "satisfied"}  # fmt: skip


def test_comments_are_newest_first_and_paged(served, sample_project):
    first = surveys(served, MARCH)
    second = surveys(served, MARCH + "&page=2")
    with sample_project.warehouse.connect(read_only=True) as con:
        total, newest = con.execute(
            "SELECT count(*), max(responded_at_local) FROM survey_responses "
            "WHERE trim(coalesce(comment, '')) <> '' "
            "AND responded_at_local >= '2025-03-01' AND responded_at_local < '2025-04-01'"
        ).fetchone()

    assert first["responses"]["total"] == total
    assert first["responses"]["rows"][0]["responded_at"] == f"{newest:%Y-%m-%d %H:%M:%S}"
    assert len(first["responses"]["rows"]) == 50
    assert (
        first["responses"]["rows"][-1]["responded_at"]
        >= second["responses"]["rows"][0]["responded_at"]
    )
    assert all(row["comment"] for row in first["responses"]["rows"])


def test_sends_unknown_on_the_sample_and_bad_parameters_refused(served):
    view = surveys(served, MARCH)
    wrong = httpx.get(f"{served.url}/surveys?metric=fcr&format=json", timeout=60)
    page = httpx.get(f"{served.url}/surveys?page=0", timeout=60)

    assert view["response_rate"]["known"] is False
    assert "unknown" in view["response_rate"]["note"]
    assert wrong.status_code == 400 and "fcr" in wrong.json()["errors"][0]["problem"]
    assert page.status_code == 400


@pytest.fixture(scope="module")
def with_sends(tmp_path_factory) -> Project:
    """Six CSAT sends in March 2024: four answered (scores 5, 4, 2, 5), two not."""
    folder = tmp_path_factory.mktemp("surveys-sends")
    (folder / "cxlens.toml").write_text(
        '[project]\ntimezone = "UTC"\nlanguage = "en"\nwarehouse = "cxlens.duckdb"\n'
    )
    rows = [
        ["S1", "csat", "5", "2024-03-01 10:00:00", "2024-03-01 09:00:00", "chat"],
        ["S2", "csat", "4", "2024-03-02 10:00:00", "2024-03-02 09:00:00", "chat"],
        ["S3", "csat", "2", "2024-03-03 10:00:00", "2024-03-03 09:00:00", "email"],
        ["S4", "csat", "5", "2024-03-04 10:00:00", "2024-03-04 09:00:00", "email"],
        ["S5", "csat", "", "", "2024-03-05 09:00:00", "chat"],
        ["S6", "csat", "", "", "2024-03-06 09:00:00", "email"],
    ]
    path = folder / "responses.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["response_id", "kind", "score", "responded_at", "sent_at", "channel"])
        writer.writerows(rows)
    settings = load_settings(folder / "cxlens.toml")
    warehouse = Warehouse(folder / "cxlens.duckdb")
    import_file(warehouse, path, table="survey_responses", timezone="UTC")
    clean_warehouse(warehouse, settings)
    return Project(settings, warehouse)


def test_response_rate_where_sends_are_known(with_sends):
    with live_server(with_sends) as server:
        view = surveys(server, "period=all")
        drill = surveys(server, "period=all&metric=survey_response_rate")
        email = surveys(server, "period=all&channel=email&metric=csat")

    rate = view["response_rate"]
    assert rate["known"] and rate["n"] == 6 and rate["value"] == pytest.approx(4 / 6)
    assert drill["responses"]["total"] == 6
    csat = next(s for s in view["sections"] if s["kind"] == "csat")["kpis"][0]
    assert csat["n"] == 4 and csat["value"] == pytest.approx(3 / 4)  # 5, 4, 5 of 5, 4, 2, 5
    assert email["responses"]["total"] == 2
    assert {row["response_id"] for row in email["responses"]["rows"]} == {"S3", "S4"}
