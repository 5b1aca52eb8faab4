"""API tokens on real DuckDB files: made, listed, revoked, checked, through the CLI too.

Expected digests are computed here with hashlib; the command line runs as a real
process, as a user or a cron job meets it.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cxlens.errors import ConfigError
from cxlens.store import Warehouse
from cxlens.web.tokens import create_token, list_tokens, revoke_token, verify_token

CXLENS = [sys.executable, "-m", "cxlens"]
TOKEN = re.compile(r"cxl_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")


def cx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


def stored(warehouse: Warehouse) -> list[tuple]:
    with warehouse.connect(read_only=True) as con:
        return con.execute(
            "SELECT token_id, name, token_hash, revoked_at FROM api_tokens ORDER BY created_at"
        ).fetchall()


def test_only_the_sha256_of_a_token_is_stored(warehouse, tmp_path):
    token_id, token = create_token(warehouse, "crm")

    assert TOKEN.fullmatch(token) and TOKEN.fullmatch(token).group(1) == token_id
    [(row_id, name, digest, revoked)] = stored(warehouse)
    assert (row_id, name, revoked) == (token_id, "crm", None)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    secret = token[len(f"cxl_{token_id}_") :]
    assert secret.encode() not in (tmp_path / "w.duckdb").read_bytes()


def test_list_shows_every_token_and_never_the_secret(warehouse):
    first, token_a = create_token(warehouse, "crm")
    second, token_b = create_token(warehouse, "forms")
    revoke_token(warehouse, first)

    listed = list_tokens(warehouse)

    assert [(t["token_id"], t["name"]) for t in listed] == [(first, "crm"), (second, "forms")]
    assert listed[0]["revoked_at"] is not None and listed[1]["revoked_at"] is None
    assert set(listed[0]) == {"token_id", "name", "created_at", "revoked_at"}
    assert token_a not in repr(listed) and token_b not in repr(listed)


def test_verify_accepts_a_live_token_and_refuses_revoked_altered_and_malformed_ones(warehouse):
    token_id, token = create_token(warehouse, "crm")
    other_id, other = create_token(warehouse, "forms")
    last = token[-1]
    altered = token[:-1] + ("A" if last != "A" else "B")
    swapped = f"cxl_{token_id}_{other.split('_', 2)[2]}"  # another token's secret, this id

    assert verify_token(warehouse, token) == token_id
    assert verify_token(warehouse, other) == other_id
    for bad in (altered, swapped, "", None, "Bearer " + token, token + "x", "cxl_zz_x"):
        assert verify_token(warehouse, bad) is None, bad

    revoke_token(warehouse, token_id)
    assert verify_token(warehouse, token) is None
    assert verify_token(warehouse, other) == other_id


def test_revoking_an_unknown_token_says_how_to_list_them(warehouse):
    create_token(warehouse, "crm")
    with pytest.raises(ConfigError, match="cxlens token list"):
        revoke_token(warehouse, "000000000000")


def test_a_warehouse_without_tokens_has_none_to_accept(tmp_path):
    path = tmp_path / "plain.duckdb"
    duckdb.connect(str(path)).close()  # exists, holds no table
    warehouse = Warehouse(path)

    assert list_tokens(warehouse) == []
    assert verify_token(warehouse, "cxl_0123456789ab_" + "a" * 43) is None


def test_cli_create_prints_the_token_alone_then_list_and_revoke(tmp_path):
    made = cx("token", "create", "--name", "crm", "--db", "w.duckdb", cwd=tmp_path)

    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert made.stdout == token + "\n" and TOKEN.fullmatch(token)
    token_id = TOKEN.fullmatch(token).group(1)
    assert "Authorization: Bearer" in made.stderr and token not in made.stderr

    listed = cx("token", "list", "--db", "w.duckdb", cwd=tmp_path)
    assert listed.returncode == 0 and token_id in listed.stdout and "live" in listed.stdout
    assert token.split("_", 2)[2] not in listed.stdout

    warehouse = Warehouse(tmp_path / "w.duckdb")
    assert verify_token(warehouse, token) == token_id
    revoked = cx("token", "revoke", token_id, "--db", "w.duckdb", cwd=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    assert verify_token(warehouse, token) is None

    unknown = cx("token", "revoke", "nope", "--db", "w.duckdb", cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Error: ") and "Traceback" not in unknown.stderr


HOLD_OPEN = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT count(*) FROM api_tokens").fetchall()
print("open", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_create_waits_for_a_reader_in_another_process_then_succeeds(warehouse, tmp_path):
    create_token(warehouse, "first")  # the file and table exist for the reader
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(tmp_path / "w.duckdb"), "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        made = cx("--debug", "token", "create", "-n", "cron", "--db", "w.duckdb", cwd=tmp_path)
    finally:
        reader.wait(timeout=30)

    assert reader.returncode == 0
    assert made.returncode == 0, made.stderr
    assert "is locked; retrying" in made.stderr  # it met the reader's lock and waited
    token = made.stdout.strip()
    assert verify_token(warehouse, token) == TOKEN.fullmatch(token).group(1)
    assert [row[1] for row in stored(warehouse)] == ["first", "cron"]


def test_a_token_made_by_another_process_is_seen_at_once(warehouse, tmp_path):
    create_token(warehouse, "first")
    # A reader of this process verifies between two short-lived connections, as the
    # server does per request; the token made meanwhile by the CLI is accepted.
    assert verify_token(warehouse, "cxl_0123456789ab_" + "a" * 43) is None
    made = cx("token", "create", "--db", "w.duckdb", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert verify_token(warehouse, made.stdout.strip()) is not None
