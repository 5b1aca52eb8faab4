"""The JSON API against a live server over a copy of the sample: KPIs read, records
written, tokens checked, bodies capped, and the OpenAPI document.

Expected values come from elsewhere: the ``cxlens kpis`` command run as a subprocess,
period labels and counts worked out by hand, SQL on the warehouse, and the bold
columns of the contract's table in docs/schema.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from conftest import live_server
from cxlens.metrics import compute_kpis
from cxlens.web.tokens import create_token, revoke_token

DOCS_SCHEMA = Path(__file__).parents[2] / "docs" / "schema.md"
WRITABLE = ("tickets", "ticket_events", "survey_responses", "orders", "customers")
# A time in the middle of March 2024, so it is in 2024-03 in any time zone.
MID_MARCH = "2024-03-15T12:00:00+00:00"


@pytest.fixture(scope="module")
def project(sample_project, tmp_path_factory):
    return sample_project.copy(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def server(project):
    with live_server(project) as live:
        yield live


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=120) as http:
        yield http


@pytest.fixture(scope="module")
def token(server, project):
    with server.app.state.access.lock.exclusive():  # a write, alone
        return create_token(project.warehouse, "tests")[1]


@pytest.fixture
def writer(client, token):
    """A client that sends the module's token."""
    client.headers["Authorization"] = f"Bearer {token}"
    yield client
    del client.headers["Authorization"]


def cli(project, *args: str) -> subprocess.CompletedProcess:
    """``cxlens`` in another process, on the same warehouse and settings."""
    flags = ["--db", str(project.warehouse.path), "--config", str(project.settings.config_path)]
    return subprocess.run(
        [sys.executable, "-m", "cxlens", *args, *flags],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )


def settled(client) -> dict:
    """Poll /status until the clean after the last write is done."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get("/api/v1/status").json()
        if status["cleaning"] == "done":
            return status
        time.sleep(0.1)
    raise AssertionError("cleaning did not finish in 120 s")


def sql(server, query: str, params=()) -> list[tuple]:
    with server.app.state.access.reading() as con:
        return con.execute(query, list(params)).fetchall()


def tickets_in(server, project, month: str) -> int:
    frame = server.app.state.access.run(
        lambda: compute_kpis(project.warehouse, project.settings, ["month"], ["tickets"])
    )
    row = frame[frame["period"] == month]
    return int(row["n"].iloc[0])


def problems(response) -> set[tuple]:
    return {(e.get("record"), e.get("column")) for e in response.json()["errors"]}


# -- KPIs ---------------------------------------------------------------------------------


def test_kpis_equal_the_cli_output(client, project):
    answer = client.get("/api/v1/kpis", params={"by": "month,channel"})

    printed = cli(project, "kpis", "--by", "month,channel", "--format", "json")
    assert answer.status_code == 200
    assert answer.json() == json.loads(printed.stdout)


def test_from_and_to_keep_the_periods_they_cover(client):
    everything = client.get("/api/v1/kpis", params={"by": "month", "metric": "tickets"}).json()
    window = client.get(
        "/api/v1/kpis",
        params={"by": "month", "metric": "tickets", "from": "2024-03-01", "to": "2024-05-31"},
    ).json()

    assert [row["period"] for row in window] == ["2024-03", "2024-04", "2024-05"]
    whole = {row["period"]: row["value"] for row in everything}
    # Whole months: the window keeps every ticket of them.
    assert {row["period"]: row["value"] for row in window} == {
        month: whole[month] for month in ("2024-03", "2024-04", "2024-05")
    }


def test_a_channel_filter_equals_that_channel_s_group(client):
    grouped = client.get("/api/v1/kpis", params={"by": "month,channel"}).json()
    filtered = client.get("/api/v1/kpis", params={"by": "month", "channel": "email"}).json()

    email = {
        (r["metric"], r["period"]): (r["value"], r["n"])
        for r in grouped
        if r["group"] == {"channel": "email"}
    }
    assert email
    assert {(r["metric"], r["period"]): (r["value"], r["n"]) for r in filtered} == email
    assert all(r["group"] == {} for r in filtered)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"by": "month;DROP TABLE tickets"}, "month;drop table tickets"),
        ({"by": "month,week"}, "at most one period grain"),
        ({"from": "2024-02-30"}, "2024-02-30"),
        ({"from": "2024-05-01", "to": "2024-04-01"}, "after"),
        ({"metric": "happiness"}, "happiness"),
    ],
)
def test_bad_kpi_requests_are_400_in_the_error_shape(client, server, params, named):
    before = sql(server, "SELECT count(*) FROM tickets")

    answer = client.get("/api/v1/kpis", params=params)

    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert named in error["problem"]
    assert sql(server, "SELECT count(*) FROM tickets") == before


# -- tokens -------------------------------------------------------------------------------

TICKET = {"ticket_id": "api-auth-1", "created_at": MID_MARCH}


def test_a_write_without_a_token_is_401_with_a_bearer_challenge(client):
    answer = client.post("/api/v1/tickets", json=TICKET)

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in answer.json()["errors"][0]["problem"]


def test_garbage_and_revoked_tokens_get_the_same_401(client, server, project):
    access = server.app.state.access
    with access.lock.exclusive():  # a write, alone: the server may be reading (warming up)
        token_id, token = create_token(project.warehouse, "soon revoked")
    live = client.post("/api/v1/tickets", json=TICKET, headers={"Authorization": f"Bearer {token}"})
    with access.lock.exclusive():
        revoke_token(project.warehouse, token_id)

    revoked = client.post(
        "/api/v1/tickets", json=TICKET, headers={"Authorization": f"Bearer {token}"}
    )
    garbage = client.post(
        "/api/v1/tickets", json=TICKET, headers={"Authorization": "Bearer cxl_0123456789ab_x"}
    )
    assert live.status_code == 200
    assert revoked.status_code == garbage.status_code == 401
    assert revoked.json() == garbage.json()
    assert revoked.headers["WWW-Authenticate"] == garbage.headers["WWW-Authenticate"]


def test_a_token_made_by_the_cli_while_serving_works_at_once(client, project):
    made = cli(project, "token", "create", "--name", "cli-test")
    token = made.stdout.strip()

    answer = client.post(
        "/api/v1/tickets", json=TICKET, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text


# -- writes -------------------------------------------------------------------------------


def test_a_posted_ticket_counts_once_however_often_it_is_posted(writer, server, project):
    ticket = {"ticket_id": "api-write-1", "created_at": MID_MARCH, "channel": "email"}
    settled(writer)
    before = tickets_in(server, project, "2024-03")

    first = writer.post("/api/v1/tickets", json=ticket)
    settled(writer)
    once = tickets_in(server, project, "2024-03")
    again = writer.post("/api/v1/tickets", json=[ticket])
    settled(writer)

    assert first.json() == {
        "table": "tickets",
        "received": 1,
        "inserted": 1,
        "replaced": 0,
        "cleaning": "pending",
    }
    assert once == before + 1
    assert again.json()["replaced"] == 1
    assert tickets_in(server, project, "2024-03") == before + 1
    assert sql(server, "SELECT count(*) FROM tickets WHERE ticket_id = 'api-write-1'") == [(1,)]


def test_a_bad_batch_names_every_bad_record_and_writes_nothing(writer, server):
    batch = [
        {"ticket_id": "api-bad-0", "created_at": "the fifth of never"},
        {"ticket_id": "api-bad-1", "channel": "email"},
        {"ticket_id": "api-bad-2", "created_at": MID_MARCH},
    ]
    settled(writer)
    count = "SELECT (SELECT count(*) FROM raw_tickets), (SELECT count(*) FROM tickets)"
    before = sql(server, count)

    answer = writer.post("/api/v1/tickets", json=batch)

    assert answer.status_code == 422
    assert problems(answer) == {(0, "created_at"), (1, "created_at")}
    bad_time = next(e for e in answer.json()["errors"] if e["record"] == 0)
    assert bad_time["value"] == "the fifth of never"
    assert sql(server, count) == before


def test_an_unknown_column_is_422(writer):
    answer = writer.post(
        "/api/v1/orders",
        json={"order_id": "o-1", "customer_id": "c", "ordered_at": MID_MARCH, "amont": 5},
    )

    assert answer.status_code == 422
    assert problems(answer) == {(0, "amont"), (0, "amount")}


def test_a_survey_response_without_its_time_gets_the_time_of_receipt(writer, server):
    response = {"response_id": "api-csat-1", "kind": "csat", "score": 5}

    sent = datetime.now(UTC).replace(tzinfo=None)
    answer = writer.post("/api/v1/survey_responses", json=response)
    received = datetime.now(UTC).replace(tzinfo=None)
    settled(writer)

    assert answer.status_code == 200, answer.text
    [(stored,)] = sql(
        server, "SELECT responded_at FROM survey_responses WHERE response_id = 'api-csat-1'"
    )
    # Stored in UTC; a second either side for a time kept to whole seconds.
    assert sent - timedelta(seconds=1) <= stored <= received + timedelta(seconds=1)


def test_invalid_json_is_400_naming_its_line_and_column(writer):
    answer = writer.post("/api/v1/tickets", content=b'{\n  "ticket_id": "a",\n}')

    assert answer.status_code == 400
    # The closing brace at line 3, column 1 is where a name was expected.
    assert "line 3, column 1" in answer.json()["errors"][0]["problem"]


def test_a_9_mb_body_is_413(writer):
    answer = writer.post("/api/v1/tickets", content=b" " * (9 * 1024 * 1024))

    assert answer.status_code == 413
    assert "errors" in answer.json()


def test_a_chunked_body_over_the_cap_is_413(writer, server):
    def chunks():
        for _ in range(9 * 16):  # 9 MB in 64 kB chunks, with no Content-Length
            yield b" " * 65536

    before = sql(server, "SELECT count(*) FROM raw_tickets")
    answer = writer.post("/api/v1/tickets", content=chunks())

    assert answer.request.headers.get("Transfer-Encoding") == "chunked"
    assert answer.status_code == 413
    assert "errors" in answer.json()
    assert sql(server, "SELECT count(*) FROM raw_tickets") == before


def test_unknown_tables_and_addresses_are_404_in_the_error_shape(writer):
    for answer in (writer.post("/api/v1/agents", json={}), writer.get("/api/v1/nowhere")):
        assert answer.status_code == 404
        assert set(answer.json()) == {"errors"}
        assert answer.json()["errors"][0]["problem"]


# -- OpenAPI ------------------------------------------------------------------------------


def bold_columns() -> dict[str, set[str]]:
    """Each table's key and bold columns, read from the contract's table in docs/schema.md."""
    text = DOCS_SCHEMA.read_text(encoding="utf-8")
    tables = text.split("## Tables", 1)[1].split("\n## ", 1)[0]
    required = {}
    for line in tables.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] not in WRITABLE:
            continue
        key = re.findall(r"\w+", cells[1])
        required[cells[0]] = set(key) | set(re.findall(r"\*\*(\w+)\*\*", cells[2]))
    return required


def test_openapi_lists_the_paths_and_the_bearer_scheme(client):
    document = client.get("/api/v1/openapi.json").json()

    paths = document["paths"]
    assert {"/api/v1/kpis", "/api/v1/status"} <= set(paths)
    assert {f"/api/v1/{table}" for table in WRITABLE} <= set(paths)
    [scheme] = document["components"]["securitySchemes"].values()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert all(paths[f"/api/v1/{table}"]["post"]["security"] for table in WRITABLE)


def test_record_models_require_the_contract_s_bold_columns(client):
    document = client.get("/api/v1/openapi.json").json()
    required = bold_columns()

    assert set(required) == set(WRITABLE)
    for table in WRITABLE:
        body = document["paths"][f"/api/v1/{table}"]["post"]["requestBody"]
        one, many = body["content"]["application/json"]["schema"]["anyOf"]
        assert set(one["required"]) == required[table], table
        assert many["items"] == one


def test_a_grid_too_large_to_return_is_refused_with_what_to_ask_instead(served, sample_project):
    by = "day,agent,priority,segment,category,team,channel"
    with sample_project.warehouse.connect(read_only=True) as con:
        days = con.execute(
            "SELECT date_diff('day', min(created_at_local), max(created_at_local)) FROM tickets"
        ).fetchone()[0]
        combos = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT agent_id, priority, category, team, channel "
            "FROM tickets)"
        ).fetchone()[0]

    answer = httpx.get(f"{served.url}/api/v1/kpis", params={"by": by}, timeout=300)

    assert answer.status_code == 400
    problem = answer.json()["errors"][0]["problem"]
    series, periods = (
        int(number.replace(",", ""))
        for number in re.search(
            r"\(([\d,]+) KPI-and-group series × ([\d,]+) periods", problem
        ).groups()
    )
    assert periods == days + 1  # one per local day of the tickets, by SQL
    assert series >= combos  # every ticket combination holds at least one KPI series
    assert series * periods > 3_000_000 and "coarser grain" in problem


# -- impossible times and failed cleans -----------------------------------------------------


def cleaned(client) -> dict:
    """Poll /status until no clean is due: the answer says whether the last one worked."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get("/api/v1/status").json()
        if status["cleaning"] != "pending":
            return status
        time.sleep(0.1)
    raise AssertionError("cleaning did not finish in 120 s")


def test_a_ticket_dated_9999_is_refused_and_later_writes_reach_the_kpis(writer, server, project):
    # Such a ticket was once accepted, and every clean after it failed with OverflowError.
    far = {"ticket_id": "api-far-1", "created_at": "9999-12-31T23:59:59Z"}
    good = {"ticket_id": "api-after-far-1", "created_at": MID_MARCH, "channel": "chat"}
    settled(writer)
    before = tickets_in(server, project, "2024-03")
    raw = sql(server, "SELECT count(*) FROM raw_tickets")

    refused = writer.post("/api/v1/tickets", json=far)
    raw_after = sql(server, "SELECT count(*) FROM raw_tickets")
    accepted = writer.post("/api/v1/tickets", json=good)
    status = settled(writer)

    assert refused.status_code == 422
    assert problems(refused) == {(0, "created_at")}
    [error] = refused.json()["errors"]
    assert error["value"] == "9999-12-31T23:59:59Z"
    assert "between 1900 and 2199" in error["problem"]
    assert raw_after == raw
    assert accepted.status_code == 200, accepted.text
    assert status == {"cleaning": "done", "last_clean_error": None}
    assert tickets_in(server, project, "2024-03") == before + 1


def test_status_says_failed_while_the_last_clean_failed(client, server):
    # A raw row written by SQL, past the importer's check: the clean cannot place 9999 on
    # the business calendar (Python's datetime ends at 9999-12-31) and fails.
    access = server.app.state.access
    settled(client)

    def write_raw(statement: str) -> None:
        with access.warehouse.connect() as con:
            con.execute(statement)

    access.write(
        lambda: write_raw(
            "INSERT INTO raw_tickets (ticket_id, created_at) "
            "VALUES ('api-raw-far', TIMESTAMP '9999-12-31 23:59:59')"
        )
    )
    try:
        failed = cleaned(client)
    finally:
        access.write(lambda: write_raw("DELETE FROM raw_tickets WHERE ticket_id = 'api-raw-far'"))
    recovered = cleaned(client)

    assert failed["cleaning"] == "failed"
    assert "out of range" in failed["last_clean_error"]  # Python's OverflowError text
    assert recovered == {"cleaning": "done", "last_clean_error": None}
