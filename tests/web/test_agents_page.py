"""The agents leaderboard against figures made another way: the team row against
``compute_kpis`` without a split, ticket counts against SQL on the warehouse, and the
above/below marks against Wilson intervals from statsmodels on a hand-made warehouse."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import httpx
import pytest
from statsmodels.stats.proportion import proportion_confint

from conftest import Project, live_server
from cxlens.clean import clean_warehouse
from cxlens.ingest import import_file
from cxlens.metrics import compute_kpis
from cxlens.settings import load_settings
from cxlens.store import Warehouse

LEADERBOARD = [
    "tickets",
    "first_response_median_min",
    "resolution_median_min",
    "fcr",
    "reopen_rate",
    "csat",
]
MARCH = "period=custom&from=2025-03-01&to=2025-03-31"


def leaderboard(server, query: str) -> dict:
    answer = httpx.get(f"{server.url}/agents?format=json&{query}", timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()


def tickets_of(project, agent: str | None, first: str, last: str, channels=None) -> int:
    """Unmerged tickets the agent holds, created on local days first..last (plain SQL)."""
    where = (
        "created_at_local >= ?::DATE AND created_at_local < ?::DATE + 1 "
        "AND NOT coalesce(is_merged, false)"
    )
    params: list = [first, last]
    if agent is None:
        where += " AND agent_id IS NULL"
    else:
        where += " AND agent_id = ?"
        params.append(agent)
    if channels:
        where += f" AND channel IN ({', '.join('?' for _ in channels)})"
        params += channels
    with project.warehouse.connect(read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM tickets WHERE {where}", params).fetchone()[0]


@pytest.mark.parametrize("query", [MARCH, f"{MARCH}&channel=email&channel=chat"])
def test_team_row_is_the_unsplit_kpi(served, sample_project, query):
    view = leaderboard(served, query)
    channels = ["email", "chat"] if "channel" in query else None
    expected = compute_kpis(
        sample_project.warehouse,
        sample_project.settings,
        metrics=LEADERBOARD,
        filters={"channel": channels} if channels else None,
        window=(date(2025, 3, 1), date(2025, 3, 31)),
    ).set_index("metric")

    team = view["team"]["figures"]
    assert set(team) == set(LEADERBOARD)
    for metric in LEADERBOARD:
        assert team[metric]["n"] == expected.loc[metric, "n"], metric
        assert team[metric]["value"] == pytest.approx(expected.loc[metric, "value"]), metric
        assert team[metric]["mark"] is None


@pytest.mark.parametrize("channels", [None, ["email", "chat"]])
def test_each_agents_tickets_match_sql(served, sample_project, channels):
    query = MARCH + "".join(f"&channel={c}" for c in channels or [])
    view = leaderboard(served, query)

    assert len(view["agents"]) > 10
    for row in view["agents"]:
        cell = row["figures"]["tickets"]
        counted = tickets_of(sample_project, row["agent"], "2025-03-01", "2025-03-31", channels)
        assert cell["n"] == counted, row["label"]
    assert view["team"]["figures"]["tickets"]["n"] == sum(
        row["figures"]["tickets"]["n"] for row in view["agents"]
    )
    volumes = [row["figures"]["tickets"]["n"] for row in view["agents"] if row["agent"]]
    assert volumes == sorted(volumes, reverse=True)  # by volume, never by a score


@pytest.mark.parametrize("query", ["period=custom&from=2025-06-01&to=2025-06-07", MARCH])
def test_small_samples_are_never_marked(served, query):
    view = leaderboard(served, query)
    team = view["team"]["figures"]
    cells = [(metric, cell) for row in view["agents"] for metric, cell in row["figures"].items()]

    small = [cell for _, cell in cells if cell["n"] is not None and cell["n"] < 30]
    assert small and all(cell["mark"] is None and cell["too_few"] for cell in small)
    for metric, cell in cells:
        if cell["mark"] == "above":
            assert cell["n"] >= 30 and cell["ci_low"] > team[metric]["value"]
        if cell["mark"] == "below":
            assert cell["n"] >= 30 and cell["ci_high"] < team[metric]["value"]


def test_links_carry_the_agent_the_kpi_and_the_filters(served):
    view = leaderboard(served, f"{MARCH}&channel=email")
    row = next(r for r in view["agents"] if r["agent"])

    csat, fcr = row["figures"]["csat"]["link"], row["figures"]["fcr"]["link"]
    assert csat.startswith("/surveys?") and f"agent={row['agent']}" in csat
    assert fcr.startswith("/tickets?") and "metric=fcr" in fcr and "channel=email" in fcr
    assert "from=2025-03-01" in fcr and "to=2025-03-31" in fcr


def test_export_is_the_table(served):
    view = leaderboard(served, MARCH)
    answer = httpx.get(f"{served.url}/agents?format=csv&{MARCH}", timeout=120)
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))

    assert answer.content.startswith(b"\xef\xbb\xbf")
    assert len(rows) == 1 + 1 + len(view["agents"])  # header, team, agents
    assert [r[1] for r in rows[2:]] == [row["agent"] or "" for row in view["agents"]]


# -- a hand-made warehouse ------------------------------------------------------------

# CSAT answers per agent (satisfied, answered) and tickets held, chosen so that:
# A and C both answer 100 % satisfied, far above the team; A on 60 answers, C on 3.
CSAT = {"A": (60, 60), "B": (20, 200), "C": (3, 3)}
TICKETS = {"A": 3, "B": 2, "C": 1}
NAMES = {"A": "Ann", "B": "Bo", "C": "Cy"}


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory) -> Project:
    folder = tmp_path_factory.mktemp("agents-hand-made")
    (folder / "cxlens.toml").write_text(
        '[project]\ntimezone = "UTC"\nlanguage = "en"\nwarehouse = "cxlens.duckdb"\n'
    )
    settings = load_settings(folder / "cxlens.toml")
    warehouse = Warehouse(folder / "cxlens.duckdb")
    tickets = [
        [f"T{agent}{i}", f"2024-03-{i + 2:02d} 09:00:00", "email", agent, "open"]
        for agent, count in TICKETS.items()
        for i in range(count)
    ]
    answers = [
        [
            f"R{agent}{i}",
            "csat",
            5 if i < satisfied else 1,
            agent,
            f"2024-03-10 {i // 60:02d}:{i % 60:02d}:00",
        ]
        for agent, (satisfied, answered) in CSAT.items()
        for i in range(answered)
    ]
    files = {
        "tickets": write_csv(
            folder / "tickets.csv",
            ["ticket_id", "created_at", "channel", "agent_id", "status"],
            tickets,
        ),
        "survey_responses": write_csv(
            folder / "survey_responses.csv",
            ["response_id", "kind", "score", "agent_id", "responded_at"],
            answers,
        ),
        "agents": write_csv(
            folder / "agents.csv", ["agent_id", "name"], [[a, n] for a, n in NAMES.items()]
        ),
    }
    for table, path in files.items():
        import_file(warehouse, path, table=table, timezone="UTC")
    clean_warehouse(warehouse, settings)
    return Project(settings, warehouse)


def test_a_reliable_gap_is_marked_and_the_same_gap_on_three_answers_is_not(hand_made):
    with live_server(hand_made) as server:
        view = leaderboard(server, "period=all")
    rows = {row["agent"]: row for row in view["agents"]}
    satisfied = sum(k for k, _ in CSAT.values())
    answered = sum(n for _, n in CSAT.values())
    team = satisfied / answered  # 83 / 263, by hand

    assert view["team"]["figures"]["csat"]["value"] == pytest.approx(team)
    assert view["team"]["figures"]["csat"]["n"] == answered
    # Wilson 95 % intervals from statsmodels, not from our code
    low_a, _ = proportion_confint(60, 60, alpha=0.05, method="wilson")
    _, high_b = proportion_confint(20, 200, alpha=0.05, method="wilson")
    low_c, _ = proportion_confint(3, 3, alpha=0.05, method="wilson")
    assert low_a > team and high_b < team and low_c > team  # all three exclude the team

    assert rows["A"]["figures"]["csat"]["mark"] == "above"
    assert rows["B"]["figures"]["csat"]["mark"] == "below"
    assert rows["C"]["figures"]["csat"]["mark"] is None  # n = 3: too few to judge
    assert rows["C"]["figures"]["csat"]["too_few"]
    assert [row["label"] for row in view["agents"]] == ["Ann (A)", "Bo (B)", "Cy (C)"]
    assert [row["figures"]["tickets"]["n"] for row in view["agents"]] == [3, 2, 1]


def test_the_page_states_its_rules(hand_made):
    with live_server(hand_made) as server:
        english = httpx.get(f"{server.url}/agents?period=all", timeout=60).text
        chinese = httpx.get(f"{server.url}/agents?period=all&lang=zh", timeout=60).text

    assert "never ranked by a score" in english and "at least 30 records" in english
    assert "the agent who solved the ticket" in english
    assert "first human public reply" in english
    assert "too few to judge" in english  # C's greyed CSAT
    assert "样本太少" in chinese and "归属规则" in chinese
