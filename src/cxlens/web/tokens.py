"""API tokens: who may write through ``cxlens serve``, kept in the warehouse itself.

A token reads ``cxl_<token_id>_<secret>``: the id names the row of ``api_tokens`` and
the secret is 32 random bytes from ``secrets`` (43 URL-safe characters). Only the
SHA-256 of the whole token is stored. Password hashes are slow on purpose, to make
guessing a weak password expensive; a 256-bit random secret cannot be guessed, so a
plain fast hash loses nothing and keeps every API request cheap.

Tokens live in the warehouse so that ``cxlens token create`` in another process is
seen by a running server at its next request, with no restart. A warehouse without
the table has no tokens: reading never creates it (read-only connections cannot).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from cxlens.errors import ConfigError
from cxlens.store import has_table

log = logging.getLogger(__name__)

TABLE = "api_tokens"
PREFIX = "cxl"
TOKEN_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (token_id VARCHAR PRIMARY KEY, name VARCHAR, "
    "token_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, revoked_at TIMESTAMP)"
)
_TOKEN = re.compile(rf"{PREFIX}_([0-9a-f]{{12}})_[A-Za-z0-9_-]{{43}}")


def create_token(warehouse: Any, name: str) -> tuple[str, str]:
    """Make a new token called ``name``; return (token_id, token). The token is shown once."""
    token_id = secrets.token_hex(6)
    token = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"

    with warehouse.transaction() as con:
        con.execute(TOKEN_DDL)
        con.execute(
            f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, NULL)",
            [token_id, name, _digest(token), _utc_now()],
        )
    log.info("API token %s (%s) created", token_id, name)
    return token_id, token


def list_tokens(warehouse: Any) -> list[dict[str, Any]]:
    """Every token ever made, oldest first: token_id, name, created_at, revoked_at."""
    with warehouse.connect(read_only=True) as con:
        if not has_table(con, TABLE):
            return []
        rows = con.execute(
            f"SELECT token_id, name, created_at, revoked_at FROM {TABLE} "
            "ORDER BY created_at, token_id"
        ).fetchall()
    columns = ("token_id", "name", "created_at", "revoked_at")
    return [dict(zip(columns, row, strict=True)) for row in rows]


def revoke_token(warehouse: Any, token_id: str) -> None:
    """Refuse the token from now on; revoking it again changes nothing."""
    with warehouse.transaction() as con:
        con.execute(TOKEN_DDL)
        found = con.execute(
            f"UPDATE {TABLE} SET revoked_at = coalesce(revoked_at, ?) WHERE token_id = ?",
            [_utc_now(), token_id],
        ).fetchone()[0]
    if not found:
        raise ConfigError(f"no API token {token_id!r}; see the ids with: cxlens token list")
    log.info("API token %s revoked", token_id)


def verify_token(warehouse: Any, token: str | None) -> str | None:
    """The token_id of ``token`` if it is a live token of this warehouse, else None."""
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        return None

    with warehouse.connect(read_only=True) as con:
        if not has_table(con, TABLE):
            return None
        row = con.execute(
            f"SELECT token_hash FROM {TABLE} WHERE token_id = ? AND revoked_at IS NULL",
            [match.group(1)],
        ).fetchone()
    if row is None or not hmac.compare_digest(row[0], _digest(token or "")):
        return None
    return match.group(1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _utc_now() -> datetime:
    """Now in UTC, naive, as the warehouse stores times."""
    return datetime.now(UTC).replace(tzinfo=None)
