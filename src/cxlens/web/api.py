"""The JSON API under ``/api/v1``: KPIs to read, records to write, the cleaning's state.

    GET  /api/v1/kpis?by=month,channel&from=DAY&to=DAY   the ``cxlens kpis --format json`` rows
    POST /api/v1/{table}                                  one record or a list (bearer token)
    GET  /api/v1/status                                   whether posted records are in the KPIs

Every error, whatever its cause, answers ``{"errors": [{"problem": ...}, ...]}``; a
rejected record adds ``record`` (its place in the batch, from 0), ``column`` and
``value``, so a client can fix a whole batch in one round trip.

Write bodies are read here rather than by FastAPI: the body is streamed and refused
past the size cap even when no Content-Length announces it, the JSON error names its
line and column, and the records are validated once, by ``write_records``, the same
path a file import takes (FastAPI's own validation would be a second, drifting set of
rules). The record models below exist for the OpenAPI document only.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.concurrency import run_in_threadpool

from cxlens import schema
from cxlens.errors import ConfigError
from cxlens.ingest.records import WRITABLE
from cxlens.web.access import Access
from cxlens.web.filters import MAX_VALUE_LENGTH, MAX_VALUES, FilterError
from cxlens.web.pages import access_of

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
FILTERED = ("channel", "category", "team", "agent", "segment")
# A batch larger than this is refused before validation: split it (the body cap alone
# would let a few million empty objects through, each to be listed as an error).
MAX_RECORDS = 20_000
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from `cxlens token create`, sent as `Authorization: Bearer <token>`.",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cxlens"'}
NO_TOKEN = (
    "this request writes records and needs an API token: send the header "
    "'Authorization: Bearer <token>' (make a token with: cxlens token create)"
)
# One message for an unknown and a revoked token, so a caller learns nothing about which.
BAD_TOKEN = "the API token is not valid; make a new one with: cxlens token create"

router = APIRouter(prefix=PREFIX, tags=["api"])


# -- the documented bodies ----------------------------------------------------------------


class Problem(BaseModel):
    """One thing wrong with a request; record errors also say where."""

    problem: str = Field(description="What is wrong and what to send instead.")
    record: int | None = Field(None, description="The record's place in the batch, from 0.")
    column: str | None = Field(None, description="The canonical column at fault.")
    value: Any = Field(None, description="The value as posted.")


class Errors(BaseModel):
    """The one error shape of the whole API."""

    errors: list[Problem]


class KpiRow(BaseModel):
    """One KPI value for one period and group (docs/schema.md, Output)."""

    metric: str = Field(examples=["csat"])
    period: str = Field(description="2024-03-05, 2024-W10, 2024-03, 2024-Q1, 2024 or all.")
    group: dict[str, str | int | float | bool | None] = Field(examples=[{"channel": "email"}])
    value: float | None = Field(description="null where the period or group has no data.")
    n: int = Field(description="The denominator (or the count of records) behind the value.")
    ci_low: float | None
    ci_high: float | None


class WriteResult(BaseModel):
    """What a write did; the KPIs show it once ``/status`` says cleaning is done."""

    table: str
    received: int = Field(description="Records in the request.")
    inserted: int = Field(description="Rows written to the raw table.")
    replaced: int = Field(description="Rows that replaced a stored row with the same key.")
    cleaning: Literal["pending"] = "pending"


class Status(BaseModel):
    """Whether every record written so far has reached the cleaned tables and the KPIs."""

    cleaning: Literal["pending", "done", "failed"] = Field(
        description=(
            "pending: a clean is due or running; done: the last clean succeeded; failed: the "
            "last clean failed, so the latest writes are not in the KPIs (see last_clean_error)."
        )
    )
    last_clean_error: str | None


PYTHON_TYPES = {
    schema.STRING: str,
    schema.TIMESTAMP: str,
    schema.FLOAT: float,
    schema.INT: int,
    schema.BOOL: bool,
    schema.JSON: dict[str, Any],
}


def record_model(table: schema.Table) -> type[BaseModel]:
    """A record of ``table`` as the API takes it, built from the contract (cxlens.schema).

    Required: the key and the contract's required columns, except a survey response's
    ``responded_at``, which the time of receipt fills.
    """
    fields: dict[str, Any] = {}
    for column in table.columns:
        kind: Any = PYTHON_TYPES[column.type]
        if column.choices:
            kind = Literal[column.choices]
        required = column.name in table.required and not _receipt_timed(table, column.name)
        fields[column.name] = (
            kind if required else kind | None,
            Field(... if required else None, description=_describe_column(column)),
        )
    name = "".join(part.title() for part in table.name.split("_")).removesuffix("s")
    config = ConfigDict(extra="forbid", title=f"{name}Record")
    return create_model(f"{name}Record", __config__=config, __doc__=table.description, **fields)


def _receipt_timed(table: schema.Table, column: str) -> bool:
    return table.name == "survey_responses" and column == "responded_at"


def _describe_column(column: schema.Column) -> str | None:
    notes = [column.description] if column.description else []
    if column.type == schema.TIMESTAMP:
        notes.append("ISO 8601; a time without an offset is read in the project's time zone")
    if column.type == schema.JSON:
        notes.append("extra name: value pairs the contract does not name")
    return "; ".join(notes) or None


def _request_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a write: one record, or a list of them."""
    record = model.model_json_schema()
    body = {"anyOf": [record, {"type": "array", "items": record, "maxItems": MAX_RECORDS}]}
    return {"required": True, "content": {"application/json": {"schema": body}}}


RECORD_MODELS = {name: record_model(schema.TABLES[name]) for name in WRITABLE}


# -- reading KPIs --------------------------------------------------------------------------


ByParam = Annotated[
    str | None,
    Query(
        description="At most one grain (day, week, month, quarter, year) and any dimensions "
        "(channel, category, priority, agent, team, segment), comma-separated.",
        examples=["month,channel"],
    ),
]
Values = Annotated[
    list[str] | None,
    Query(description="Keep only records with these values (repeat the parameter)."),
]


@router.get(
    "/kpis",
    response_model=list[KpiRow],
    responses={400: {"model": Errors}, 503: {"model": Errors}},
    summary="KPI values by period and group, as `cxlens kpis --format json` prints them",
)
def read_kpis(
    request: Request,
    by: ByParam = None,
    first: Annotated[str | None, Query(alias="from", description="First day, YYYY-MM-DD.")] = None,
    last: Annotated[str | None, Query(alias="to", description="Last day (included).")] = None,
    metric: Annotated[list[str] | None, Query(description="Only these KPI ids.")] = None,
    channel: Values = None,
    category: Values = None,
    team: Values = None,
    agent: Values = None,
    segment: Values = None,
) -> Response:
    """Every KPI the data supports, one row per (metric, period, group)."""
    from cxlens.metrics import parse_by

    grouping = tuple(parse_by(by))
    window = _window(first, last)
    metrics = _metrics(metric)
    chosen = {"channel": channel, "category": category, "team": team}
    chosen |= {"agent": agent, "segment": segment}
    filters = {dimension: _values(dimension, chosen[dimension]) for dimension in FILTERED}
    filters = {dimension: values for dimension, values in filters.items() if values}

    access = access_of(request)
    key = ("api-kpis", grouping, window, metrics, tuple(sorted(filters.items())))
    records = access.cached(key, lambda: _kpi_records(access, grouping, metrics, filters, window))
    return JSONResponse(records)


def _kpi_records(access: Any, grouping, metrics, filters, window) -> list[dict[str, Any]]:
    from cxlens.metrics import compute_kpis, kpi_records

    frame = compute_kpis(
        access.warehouse,
        access.settings,
        by=list(grouping),
        metrics=list(metrics) if metrics is not None else None,
        filters=filters,
        window=window,
    )
    return kpi_records(frame)


def _window(first: str | None, last: str | None) -> tuple[date | None, date | None] | None:
    days = (_day("from", first), _day("to", last))
    if days[0] is not None and days[1] is not None and days[0] > days[1]:
        raise FilterError(f"from ({days[0]}) is after to ({days[1]}); swap them")
    return None if days == (None, None) else days


def _day(name: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{name} must be a day as YYYY-MM-DD, not {text[:40]!r}") from None


def _metrics(given: list[str] | None) -> tuple[str, ...] | None:
    """KPI ids from repeated (or comma-separated) ``metric``, as ``cxlens kpis -m`` reads them."""
    from cxlens.metrics import KPIS

    ids = [m.strip() for text in given or [] for m in text.split(",") if m.strip()]
    unknown = [m[:40] for m in ids if m not in KPIS]
    if unknown:
        raise ConfigError(f"unknown KPI id(s) {', '.join(unknown)}; the ids are: {', '.join(KPIS)}")
    return tuple(dict.fromkeys(ids)) or None


def _values(dimension: str, given: list[str] | None) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v for v in given or [] if v != ""))
    if len(values) > MAX_VALUES:
        raise FilterError(f"{dimension}: at most {MAX_VALUES} values, not {len(values)}")
    if any(len(v) > MAX_VALUE_LENGTH for v in values):
        raise FilterError(f"{dimension}: a value longer than {MAX_VALUE_LENGTH} characters")
    return tuple(sorted(values))


# -- whether writes have reached the KPIs -----------------------------------------------------


@router.get(
    "/status",
    response_model=Status,
    summary="Whether posted records have reached the cleaned tables and the KPIs",
)
def read_status(request: Request) -> Status:
    """``pending`` from a write until the clean after it ends, then ``done`` or ``failed``."""
    return cleaning_status(access_of(request))


def cleaning_status(access: Access) -> Status:
    """The cleaning's state as ``/status`` reports it.

    ``failed`` while the last clean has failed and none has succeeded since (the
    cleaner clears ``clean_error`` on success): the writes after the last good clean
    are stored but not in the KPIs, and a client waiting for ``done`` must not be told
    they are. A write after a failure is ``pending`` until its own clean ends.
    """
    error = access.clean_error
    if access.pending:
        return Status(cleaning="pending", last_clean_error=error)
    return Status(cleaning="failed" if error else "done", last_clean_error=error)


# -- writing records ----------------------------------------------------------------------


async def write_table(
    request: Request,
    table: str,
    credentials: HTTPAuthorizationCredentials | None,
) -> Response:
    """Check the token, read the capped body, write the records; each step may answer."""
    if table not in WRITABLE:
        return _errors(
            404, f"no table {table[:60]!r} to write; the API writes: {', '.join(WRITABLE)}"
        )
    if credentials is None:
        return _errors(401, NO_TOKEN, headers=CHALLENGE)

    access = access_of(request)
    token_id = await run_in_threadpool(_verified, access, credentials.credentials)
    if token_id is None:
        return _errors(401, BAD_TOKEN, headers=CHALLENGE)

    body = await _capped_body(request)
    if body is None:
        return _errors(
            413, f"request body over {_cap()} bytes; send the records in smaller batches"
        )
    return await run_in_threadpool(_parse_and_write, access, table, body, token_id)


def _verified(access: Any, token: str) -> str | None:
    """The token's id if it is live now (read afresh: a token made a moment ago counts)."""
    from cxlens.web.tokens import verify_token

    return access.run(lambda: verify_token(access.warehouse, token))


async def _capped_body(request: Request) -> bytes | None:
    """The request body, or None as soon as it passes the cap (the rest is never read)."""
    cap = _cap()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _cap() -> int:
    from cxlens.web.app import MAX_BODY_BYTES

    return MAX_BODY_BYTES


def _parse_and_write(access: Any, table: str, body: bytes, token_id: str) -> Response:
    from cxlens.ingest.records import RecordsInvalid, write_records

    records = _records(body)
    if isinstance(records, Response):
        return records
    if not records:
        return JSONResponse(_result(table, 0, 0, 0))

    def write():
        return write_records(access.warehouse, table, records, timezone=access.settings.timezone)

    try:
        written = access.write(write)
    except RecordsInvalid as invalid:
        return JSONResponse({"errors": invalid.errors}, status_code=422)
    log.info("token %s wrote %d record(s) to %s", token_id, len(records), table)
    return JSONResponse(_result(table, len(records), written.inserted, written.replaced))


def _records(body: bytes) -> list[Any] | Response:
    """The posted records as a list, or the 400 answer saying what is wrong with the body."""
    try:
        posted = json.loads(body, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return _errors(
            400, f"the body is not JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        )
    except UnicodeDecodeError:
        return _errors(400, "the body is not JSON: it is not UTF-8 text")
    except RecursionError:
        return _errors(400, "the body is not JSON this API reads: it nests too deeply")
    except ValueError as error:
        return _errors(400, f"the body is not JSON: {error}")

    if not isinstance(posted, dict | list):
        return _errors(400, "the body must be one JSON object (a record) or a list of them")
    records = posted if isinstance(posted, list) else [posted]
    if len(records) > MAX_RECORDS:
        return _errors(
            413, f"{len(records)} records in one request; send at most {MAX_RECORDS} at a time"
        )
    return records


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number; send null for a missing value")


def _result(table: str, received: int, inserted: int, replaced: int) -> dict[str, Any]:
    return WriteResult(
        table=table, received=received, inserted=inserted, replaced=replaced
    ).model_dump()


def _errors(status: int, problem: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"problem": problem}]}, status_code=status, headers=headers)


def _write_route(table: str):
    """The endpoint of ``POST /api/v1/<table>``, documented with that table's record model."""

    async def write(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
    ) -> Response:
        return await write_table(request, table, credentials)

    write.__name__ = f"write_{table}"
    write.__doc__ = (
        f"Write one {table} record or a list of them; a stored key is replaced. Nothing is "
        "written when any record is bad: every bad value is listed, by record and column."
    )
    return write


WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Errors, "description": "The body is not JSON (line and column named)."},
    401: {"model": Errors, "description": "No token, or not a valid one."},
    413: {"model": Errors, "description": "The body or the batch is too large."},
    422: {"model": Errors, "description": "Bad records: each problem by record and column."},
}

for _table in WRITABLE:
    router.add_api_route(
        f"/{_table}",
        _write_route(_table),
        methods=["POST"],
        response_model=WriteResult,
        responses=WRITE_RESPONSES,
        summary=f"Write {_table} records (one or a list)",
        openapi_extra={"requestBody": _request_body(RECORD_MODELS[_table])},
    )


@router.post("/{table}", include_in_schema=False)
async def write_unknown(
    request: Request,
    table: str,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Response:
    return await write_table(request, table, credentials)


@router.api_route(
    "/{rest:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    include_in_schema=False,
)
def unknown_address(request: Request, rest: str) -> Response:
    """Anything else under /api/v1, in the API's one error shape."""
    known = {f"{PREFIX}/kpis", f"{PREFIX}/status", *(f"{PREFIX}/{t}" for t in WRITABLE)}
    if request.url.path in known:
        return _errors(405, f"{request.method} is not allowed here; see {PREFIX}/docs")
    return _errors(404, f"no API address {request.url.path[:100]!r}; see {PREFIX}/docs")
