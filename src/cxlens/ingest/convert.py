"""Staged text → typed rows of one canonical table, and the row errors on the way.

For each target of an import: a view maps the staged columns to canonical names
(blank and "missing" markers become NULL, ``where`` keeps the target's rows,
``latest_by`` keeps one row per key), then one ``CREATE TABLE … AS SELECT`` parses
every column by its type, keeping the original text beside each parsed column so
that a failed parse can be reported with the value the file holds.

Amounts keep their currency: in a table with a ``currency`` column the file does
not give, each row's currency is the sign or code beside its amount (``$`` → USD,
``¥`` → CNY, ``1.234,50 €`` → EUR); where the file does give one, an amount whose
sign names another currency is a row error. Counts and durations must not be
negative; amounts may be (refunds), and so may quantities (returned items). Times
must fall in 1900–2199 (UTC) however they were written: see ``parse.out_of_range_sql``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxlens.errors import RowError
from cxlens.ingest import parse
from cxlens.ingest.mapping import Resolved
from cxlens.ingest.readers import ROW, STAGE
from cxlens.schema import BOOL, DEFAULT_SCALES, DUCKDB_TYPES, FLOAT, INT, STRING, TIMESTAMP
from cxlens.store import literal, quote

log = logging.getLogger(__name__)

DURATION_COLUMNS = ("first_response_minutes", "resolution_minutes")
# Counts and durations: a negative value is a mistake in the file, not a fact.
NON_NEGATIVE = {
    "tickets": ("reopens", "agent_replies", "customer_contacts", *DURATION_COLUMNS),
    "order_lines": ("line_no",),
    "customers": ("age",),
}
FREE_TEXT = {("tickets", "status"), ("tickets", "channel"), ("tickets", "priority")}
# Tables whose required columns need a value in every row, not only a column in the file.
REQUIRED_IN_EVERY_ROW = {"ticket_events"}
KIND_WORDS = {
    "csat": ("csat", "满意度", "satisfaction", "customer satisfaction", "csat score"),
    "nps": ("nps", "net promoter score", "推荐度", "净推荐值"),
    "ces": ("ces", "customer effort score", "effort", "费力度"),
}
GOOD_WORDS = ("good", "satisfied", "满意", "好评", "thumbs up", "👍")
BAD_WORDS = ("bad", "unsatisfied", "dissatisfied", "不满意", "差评", "thumbs down", "👎")
# Removed from both ends of every value: spaces, tab, line breaks, no-break space,
# ideographic space, and a byte-order mark left inside a cell.
TRIMMED = (" ", "\t", "\n", "\r", "\u00a0", "\u3000", "\ufeff")


@dataclass
class Converted:
    """One target's typed rows, in the temporary view or table ``name``.

    ``keys`` names the table of keys this file re-delivers, when it differs from the
    keys of ``name``: a target with ``where`` derives rows from some records only, yet
    every record of the file replaces what was derived from it before. ``in_order``:
    ``name`` yields its rows in file order (a view over the staged rows), so writing
    them needs no sort.
    """

    resolved: Resolved
    name: str
    keys: str | None = None
    in_order: bool = False


@dataclass(frozen=True)
class Check:
    """One kind of bad value: the rows where ``condition`` holds, and how to report them.

    ``select`` reads (_row, canonical, value, expected) from ``{table}``.
    """

    condition: str
    select: str


def install_na(con: Any, extra: list[str]) -> None:
    """``cx_na(v)``: trimmed text, NULL for blanks and the spellings of "missing".

    Every staged value passes through here, so both steps take a quick path first:
    DuckDB's ``trim`` with a character list is slow, and runs only on values whose
    first or last character is one it removes; a value longer than the longest
    "missing" word cannot be one, and only shorter ones are lower-cased and looked up.
    """
    words = sorted({w.lower() for w in (*parse.NA_VALUES, *(str(x).strip() for x in extra))})
    longest = max(len(w) for w in words)
    listed = "[" + ", ".join(literal(w) for w in words) + "]"
    chars = " || ".join(f"chr({ord(c)})" for c in TRIMMED)
    # v[1] and v[-1] are the first and last characters ('' for ''); a list lookup
    # here would be planned as a join per staged column, used or not
    edges = f"contains({chars}, v[1]) OR contains({chars}, v[-1])"
    con.execute(
        f"CREATE OR REPLACE TEMP MACRO cx_trim(v) AS CASE "
        f"WHEN {edges} THEN trim(v, {chars}) ELSE v END"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO cx_na_trimmed(t) AS CASE "
        f"WHEN length(t) > {longest} THEN t WHEN list_contains({listed}, lower(t)) THEN NULL "
        "ELSE t END"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO cx_na(v) AS CASE "
        f"WHEN {edges} THEN cx_na_trimmed(trim(v, {chars})) ELSE cx_na_trimmed(v) END"
    )


def mapped_view(con: Any, resolved: Resolved, index: int | str, headers: list[str]) -> str:
    """A view of the staged rows under canonical names (text), one per target."""
    name = f"_cx_m{index}"
    columns = [f"{ROW} AS _row"]
    columns += [f"cx_na({sql}) AS {quote(c)}" for c, sql in resolved.sources.items()]
    columns.append(f"{_attributes_sql(resolved.attributes)} AS attributes")
    present = " OR ".join(f"{quote(h)} IS NOT NULL" for h in headers) or "TRUE"
    where = f"({present})" + (f" AND ({resolved.where})" if resolved.where else "")
    qualify = _latest_sql(resolved)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(columns)} "
        f"FROM {STAGE} WHERE {where} {qualify}"
    )
    return name


def _attributes_sql(headers: list[str]) -> str:
    if not headers:
        return "CAST(NULL AS JSON)"
    pairs = ", ".join(f"'{h.replace(chr(39), chr(39) * 2)}', cx_na({quote(h)})" for h in headers)
    return f"json_object({pairs})"


def _latest_sql(resolved: Resolved) -> str:
    if not resolved.latest_by:
        return ""
    keys = ", ".join(f"cx_na({resolved.sources[k]})" for k in resolved.table.key)
    return (
        f"QUALIFY row_number() OVER (PARTITION BY {keys} "
        f"ORDER BY ({resolved.latest_by}) DESC NULLS LAST, {ROW} DESC) = 1"
    )


def typed_table(
    con: Any,
    resolved: Resolved,
    view: str,
    index: int | str,
    timezone: str,
    options: dict[str, Any],
    *,
    workbook: bool = False,
    only: tuple[str, ...] | None = None,
) -> tuple[str, list[RowError | dict[str, Any]]]:
    """Parse every mapped column by type in the view ``_cx_t<index>``; column-level problems returned.

    A view, not a table: its rows are read twice (a count of bad values, then the
    insert into ``raw_<table>``), and parsing them again costs less than holding a
    typed copy of the whole file. A target that keeps the latest row per key is the
    exception: its ranking runs once, into a table. ``workbook``: the cells come from
    a workbook, where a date column may hold a cell typed as a number (an Excel serial
    day). ``only``: parse just these columns.
    """
    wanted = [c for c in resolved.table.columns if only is None or c.name in only]
    plans, problems = _timestamp_plans(con, resolved, view, options, workbook, only)
    comma = _decimal_comma_columns(con, resolved, view, options, only)
    prep = {k: v for c, plan in plans.items() for k, v in parse.timestamp_prep(c, plan).items()}
    parts = {k: v for c, plan in plans.items() for k, v in parse.timestamp_parts(c, plan).items()}
    selects = ["_row"]
    for column in wanted:
        if column.name == "attributes":
            continue
        typed = _typed_sql(resolved, column.name, column.type, plans, timezone, comma)
        selects.append(f"{typed} AS {quote(column.name)}")
        if column.name in resolved.sources and _keeps_text(resolved, column.name, column.type):
            selects.append(f"{quote(column.name)} AS {quote(column.name + '#text')}")
    if only is None:
        selects.append("attributes")
    inner = f"SELECT *{''.join(f', {sql} AS {quote(a)}' for a, sql in prep.items())} FROM {view}"
    inner = (
        f"SELECT *{''.join(f', {sql} AS {quote(a)}' for a, sql in parts.items())} FROM ({inner})"
    )
    name = f"_cx_t{index}"
    kind = "VIEW" if row_wise(resolved) else "TABLE"
    con.execute(f"CREATE TEMP {kind} {name} AS SELECT {', '.join(selects)} FROM ({inner})")
    return name, problems


def row_wise(resolved: Resolved) -> bool:
    """Whether each mapped row is computed from its own staged row alone, in file order.

    Not so for a target keeping the latest row per key, nor for ``sql:`` sources with
    a window or a subquery (a preset numbering a customer's orders of one day): those
    are computed once into a table, and their rows sorted by ``_row`` when written.
    """
    if resolved.latest_by:
        return False
    texts = [*resolved.sources.values(), resolved.where or ""]
    return not any(_SET_WISE.search(text) for text in texts)


_SET_WISE = re.compile(r"\b(over|select|qualify)\b", re.IGNORECASE)


def _keeps_text(resolved: Resolved, column: str, kind: str) -> bool:
    """Whether the original text is kept beside the parsed value (it can fail to parse)."""
    choices = resolved.table.column(column).choices
    return kind != STRING or bool(choices) and (resolved.table.name, column) not in FREE_TEXT


def key_table(
    con: Any,
    resolved: Resolved,
    index: int,
    headers: list[str],
    timezone: str,
    options: dict[str, Any],
    workbook: bool,
) -> str:
    """The keys of every record of the file for a target with ``where``, ``where`` ignored.

    A ticket export re-delivered after a rating went from Good to Offered no longer
    yields the ``csat-<Id>`` row, but its record is still in the file: the key it
    would derive is deleted all the same, so the old answer goes.
    """
    from dataclasses import replace

    unfiltered = replace(resolved, where=None, latest_by=None)
    view = mapped_view(con, unfiltered, f"{index}k", headers)
    name, _ = typed_table(
        con,
        unfiltered,
        view,
        f"{index}k",
        timezone,
        options,
        workbook=workbook,
        only=resolved.table.key,
    )
    return name


def _timestamp_plans(
    con: Any,
    resolved: Resolved,
    view: str,
    options: dict[str, Any],
    workbook: bool = False,
    only: tuple[str, ...] | None = None,
) -> tuple[dict[str, parse.TimestampPlan], list[dict[str, Any]]]:
    from dataclasses import replace

    columns = [
        c
        for c in resolved.table.timestamps
        if c in resolved.sources and (only is None or c in only)
    ]
    if not columns:
        return {}, []
    profiles = _profiles(con, view, columns)
    plans, problems = {}, []
    for column, profile in zip(columns, profiles, strict=True):
        hints = dict(resolved.target.hints.get(column, {}))
        plan = parse.plan_timestamp(profile, hints, options.get("dayfirst"))
        if workbook and plan.mode == "text":
            plan = replace(plan, serial_cells=True)
        plans[column] = plan
        if plan.problem:
            problems.append({**plan.problem, "column": column})
        log.debug(
            "%s.%s read as %s (dayfirst=%s)", resolved.table.name, column, plan.mode, plan.dayfirst
        )
    return plans, problems


def _profiles(con: Any, view: str, columns: list[str]) -> list[dict[str, Any]]:
    """Each column's profile; plain ISO columns (the common case) need only a quick count."""
    quick = ", ".join(
        f"count({quote(c)}), count(*) FILTER (WHERE regexp_full_match({quote(c)}, "
        f"'{parse.PLAIN_ISO}'))"
        for c in columns
    )
    counts = con.execute(f"SELECT {quick} FROM {view}").fetchone()
    plain = {c for i, c in enumerate(columns) if counts[2 * i] == counts[2 * i + 1] > 0}
    rest = [c for c in columns if c not in plain]
    full: list[Any] = []
    if rest:
        features = ", ".join(parse.profile_features(c) for c in rest)
        full = list(
            con.execute(
                f"SELECT {', '.join(parse.profile_sql(c) for c in rest)} "
                f"FROM (SELECT *, {features} FROM {view})"
            ).fetchone()
        )
    by_column = dict(zip(rest, full, strict=True))
    return [{"n": 1, "n_plain": 1} if c in plain else by_column[c] for c in columns]


def _decimal_comma_columns(
    con: Any,
    resolved: Resolved,
    view: str,
    options: dict[str, Any],
    only: tuple[str, ...] | None = None,
) -> set[str]:
    """Number columns to read with a decimal comma: said so, or shown by their values.

    A column is decimal-comma when some value can only be read that way (``1.234,50``,
    ``12,5``) and none can only be read with a decimal point (``1,234.50``, ``12.5``);
    ``decimal_comma = true / false`` (source option or column hint) says it outright.
    """
    columns = [c for c in _number_columns(resolved) if only is None or c in only]
    said = {c: resolved.target.hints.get(c, {}).get("decimal_comma") for c in columns}
    said = {c: options.get("decimal_comma") if v is None else v for c, v in said.items()}
    chosen = {c for c, v in said.items() if v is not None and parse.truthy(v)}
    ask = [c for c, v in said.items() if v is None]
    if not ask:
        return chosen
    # Either shape needs a comma or a dot: values without one (most) skip the regexes
    # (CASE, not AND: DuckDB evaluates both sides of an AND outside a WHERE).
    shape = (
        "CASE WHEN contains({v}, ',') OR contains({v}, '.') "
        "THEN regexp_full_match(cx_num_text({v}), '{pattern}') ELSE false END"
    )
    counts = ", ".join(
        f"count(*) FILTER (WHERE {shape.format(v=quote(c), pattern=parse.DECIMAL_COMMA)}), "
        f"count(*) FILTER (WHERE {shape.format(v=quote(c), pattern=parse.DECIMAL_POINT)})"
        for c in ask
    )
    found = con.execute(f"SELECT {counts} FROM {view}").fetchone()
    for i, column in enumerate(ask):
        comma, point = found[2 * i], found[2 * i + 1]
        if comma and not point:
            chosen.add(column)
        log.debug("%s.%s: %d decimal-comma, %d decimal-point values", view, column, comma, point)
    return chosen


def _number_columns(resolved: Resolved) -> list[str]:
    """Mapped columns parsed as plain numbers (not durations, not survey scores)."""
    table = resolved.table
    return [
        c.name
        for c in table.columns
        if c.type in (FLOAT, INT)
        and c.name in resolved.sources
        and not _is_duration(resolved, c.name)
        and not (table.name == "survey_responses" and c.name in ("score", "scale_min", "scale_max"))
    ]


def _is_duration(resolved: Resolved, column: str) -> bool:
    hints = resolved.target.hints.get(column, {})
    return resolved.table.column(column).type == FLOAT and (
        column in DURATION_COLUMNS or "unit" in hints
    )


def money_columns(resolved: Resolved) -> list[str]:
    """Mapped amounts whose sign can name the row's currency (tables with ``currency``)."""
    if "currency" not in resolved.table.column_by_name:
        return []
    return [
        c.name
        for c in resolved.table.columns
        if c.type == FLOAT and c.name in resolved.sources and not _is_duration(resolved, c.name)
    ]


def _currency_sql(resolved: Resolved) -> str:
    """The currency the amounts' signs name (a file without a currency column)."""
    signs = [f"cx_currency({quote(c)})" for c in money_columns(resolved)]
    if not signs:
        return "CAST(NULL AS VARCHAR)"
    return signs[0] if len(signs) == 1 else f"coalesce({', '.join(signs)})"


def _typed_sql(
    resolved: Resolved,
    column: str,
    kind: str,
    plans: dict[str, parse.TimestampPlan],
    timezone: str,
    decimal_comma: set[str] = frozenset(),
) -> str:
    if column not in resolved.sources:
        if resolved.table.name == "survey_responses" and column in ("scale_min", "scale_max"):
            return _scale_sql(resolved, column)
        if column == "currency":
            return _currency_sql(resolved)
        return f"CAST(NULL AS {DUCKDB_TYPES[kind]})"
    table, hints = resolved.table.name, resolved.target.hints.get(column, {})
    if table == "survey_responses" and column in ("kind", "score", "scale_min", "scale_max"):
        return _survey_sql(resolved, column)
    if kind == TIMESTAMP:
        return parse.timestamp_sql(column, timezone)
    if kind == FLOAT and (column in DURATION_COLUMNS or "unit" in hints):
        return parse.minutes_sql(column, hints.get("unit"))
    if kind == FLOAT:
        return parse.number_sql(column, column in decimal_comma)
    if kind == INT:
        return parse.int_sql(column, column in decimal_comma)
    if kind == BOOL:
        return parse.bool_sql(column)
    choices = resolved.table.column(column).choices
    if choices and (table, column) not in FREE_TEXT:
        return f"lower({quote(column)})"
    if column == "currency" and money_columns(resolved):
        return f"coalesce({quote(column)}, {_currency_sql(resolved)})"
    return quote(column)


# -- surveys ------------------------------------------------------------------------


def _kind_sql() -> str:
    arms = " ".join(
        f"WHEN regexp_full_match(lower(kind), {parse.one_of(ws)}) THEN '{k}'"
        for k, ws in KIND_WORDS.items()
    )
    return f"(CASE {arms} END)"


def _survey_sql(resolved: Resolved, column: str) -> str:
    if column == "kind":
        return _kind_sql()
    if column == "score":
        return (
            f"(CASE WHEN regexp_full_match(lower(score), {parse.one_of(GOOD_WORDS)}) THEN 1.0 "
            f"WHEN regexp_full_match(lower(score), {parse.one_of(BAD_WORDS)}) THEN 0.0 ELSE cx_number(score) END)"
        )
    return _scale_sql(resolved, column)


def _scale_sql(resolved: Resolved, column: str) -> str:
    """A row's scale: its own value, else 0–1 for Good/Bad, else the hint, else the kind's default."""
    low = column == "scale_min"
    own = f"cx_number({quote(column)})" if column in resolved.sources else "NULL"
    hint = resolved.target.hints.get("score", {}).get("scale")
    hinted = repr(float(hint[0 if low else 1])) if hint else "NULL"
    defaults = " ".join(
        f"WHEN '{k}' THEN {float(v[0 if low else 1])!r}" for k, v in DEFAULT_SCALES.items()
    )
    good_bad = f"regexp_full_match(lower(score), {parse.one_of(GOOD_WORDS + BAD_WORDS)})"
    goodbad = f"CASE WHEN {good_bad} THEN {0.0 if low else 1.0} END"
    if "score" not in resolved.sources:
        goodbad = "NULL"
    return f"coalesce({own}, {goodbad}, {hinted}, CASE {_kind_sql()} {defaults} END)"


# -- row errors ---------------------------------------------------------------------


def error_checks(resolved: Resolved, undecided: set[str] | None = None) -> list[Check]:
    """The checks for every kind of bad value, each with its select of error rows.

    Columns in ``undecided`` already failed as a whole (their date order cannot be
    told); their values are not reported again one by one.
    """
    checks = []
    for column in resolved.table.columns:
        name, kind = column.name, column.type
        if name == "attributes" or name in (undecided or set()):
            continue
        col = quote(name)
        keeps_text = name in resolved.sources and _keeps_text(resolved, name, kind)
        if name in resolved.table.key:
            text = quote(name + "#text") if keeps_text else col
            checks.append(
                _check(f"{text} IS NULL", name, "NULL", "a value (it is part of the key)")
            )
        elif column.required and resolved.table.name in REQUIRED_IN_EVERY_ROW:
            checks.append(_required_check(name, keeps_text))
        if name not in resolved.sources:
            continue
        if keeps_text and kind != STRING:
            text = quote(name + "#text")
            checks.append(
                _check(
                    f"{text} IS NOT NULL AND {col} IS NULL",
                    name,
                    text,
                    _expected(resolved, name, kind),
                )
            )
            if kind == TIMESTAMP:
                checks.append(
                    _check(parse.out_of_range_sql(name), name, text, parse.TIMESTAMP_RANGE_EXPECTED)
                )
        elif column.choices and (resolved.table.name, name) not in FREE_TEXT:
            text = quote(name + "#text")
            checks.append(
                _check(
                    f"{text} IS NOT NULL AND ({col} IS NULL OR NOT regexp_full_match({col}, {parse.one_of(column.choices)}))",
                    name,
                    text,
                    _choice_expected(resolved, name, column.choices),
                )
            )
    checks += _sign_checks(resolved)
    if resolved.table.name == "survey_responses":
        checks += _survey_checks(resolved)
    return checks


def _required_check(name: str, keeps_text: bool) -> Check:
    """An event without its actor or kind is a row error: it cannot be placed on any clock.

    Elsewhere a required column must be in the file but a cell may be empty: a blank
    rating is an unanswered survey, a ticket without a creation time is kept and flagged
    by the clean step. Only a value missing altogether is reported here; a value that
    fails to parse gets the column's own message.
    """
    text = quote(name + "#text") if keeps_text else quote(name)
    return _check(f"{text} IS NULL", name, "NULL", "a value (the column is required)")


def _sign_checks(resolved: Resolved) -> list[Check]:
    """Negative counts and durations; amounts whose sign contradicts the row's currency."""
    checks = [
        _check(
            f"{quote(name)} < 0",
            name,
            quote(name + "#text"),
            "a count or duration of zero or more",
        )
        for name in NON_NEGATIVE.get(resolved.table.name, ())
        if name in resolved.sources
    ]
    if "currency" in resolved.sources:
        for name in money_columns(resolved):
            text, sign = quote(name + "#text"), f"cx_currency({quote(name + '#text')})"
            written = "cx_currency(currency)"
            checks.append(
                _check(
                    f"{sign} IS NOT NULL AND {written} IS NOT NULL AND {sign} <> {written}",
                    name,
                    text,
                    f"('an amount in ' || currency || ' as the row''s currency says, but its "
                    f"sign means ' || {sign} || '; correct the sign or the currency')",
                )
            )
    return checks


def _check(condition: str, column: str, value: str, expected: str) -> Check:
    shown = expected if expected.startswith("(") else literal(expected)
    return Check(
        condition,
        f"SELECT _row, '{column}' AS canonical, CAST({value} AS VARCHAR) AS value, "
        f"{shown} AS expected FROM {{table}} WHERE {condition}",
    )


def _expected(resolved: Resolved, column: str, kind: str) -> str:
    hints = resolved.target.hints.get(column, {})
    if hints.get("expected"):
        return hints["expected"]
    if kind == TIMESTAMP:
        if hints.get("format"):
            return f"a date/time in the form {hints['format']}"
        return parse.TIMESTAMP_EXPECTED
    if resolved.table.name == "survey_responses" and column == "kind":
        return "a survey kind: csat, nps or ces"
    if resolved.table.name == "survey_responses" and column == "score":
        return "a numeric score (or Good/Bad)"
    if kind == FLOAT and (column in DURATION_COLUMNS or "unit" in hints):
        unit = hints.get("unit", "minutes")
        clock = "hh:mm:ss, h:mm" if unit == "hours" else "hh:mm:ss, mm:ss"
        return (
            f"a duration: a number of {unit}, {clock} (minutes and seconds below 60) "
            "or text such as '1 day 3 hours'"
        )
    if kind == FLOAT:
        return "a number such as 1234.5, 1,234.50 or ¥99"
    if kind == INT:
        return "a whole number"
    if kind == BOOL:
        return "yes/no (yes, no, y, n, true, false, 1, 0, 是, 否)"
    return "a value"


def _choice_expected(resolved: Resolved, column: str, choices: tuple[str, ...]) -> str:
    expected = resolved.target.hints.get(column, {}).get("expected")
    if expected:
        return expected
    if (resolved.table.name, column) == ("survey_responses", "kind"):
        return "a survey kind: csat, nps or ces"
    return f"one of {', '.join(choices)}"


def _survey_checks(resolved: Resolved) -> list[Check]:
    """Scores off their scale; NPS scores that are not whole numbers from 0 to 10.

    An NPS answer is checked against 0–10 whatever scale the file writes beside it: the
    promoter and detractor bands are defined on that scale only. Each bad cell is
    reported once.
    """
    if "score" not in resolved.sources:
        return []
    off_scale = (
        "kind IS DISTINCT FROM 'nps' AND score IS NOT NULL AND scale_min IS NOT NULL "
        "AND scale_max IS NOT NULL AND (score < scale_min OR score > scale_max)"
    )
    scale_text = (
        f"('a score from ' || {_bound('scale_min')} || ' to ' || {_bound('scale_max')} || "
        "' (the ' || coalesce(kind, 'survey') || ' scale)')"
    )
    not_nps = (
        "kind = 'nps' AND score IS NOT NULL AND (score <> round(score) OR score < 0 OR score > 10)"
    )
    return [
        _check(off_scale, "score", '"score#text"', scale_text),
        _check(not_nps, "score", '"score#text"', "a whole number from 0 to 10 (an NPS answer)"),
    ]


def _bound(column: str) -> str:
    """A scale bound as text: ``5`` rather than ``5.0``."""
    return f"regexp_replace(CAST({column} AS VARCHAR), '\\.0$', '')"


def collect_errors(
    con: Any,
    converted: list[Converted],
    problems: list[tuple[Resolved, dict[str, Any]]],
    path: Path,
    limit: int,
) -> tuple[list[RowError], int]:
    """Up to ``limit + 1`` row errors over every target, in row order, and how many in all."""
    found: list[tuple[int, int, RowError]] = []
    total = len(problems)
    for resolved, problem in problems:
        found.append(
            (
                problem["row"],
                0,
                _row_error(
                    path,
                    resolved,
                    problem["column"],
                    problem["row"],
                    problem["value"],
                    problem["expected"],
                ),
            )
        )
    for target_index, item in enumerate(converted):
        undecided = {p["column"] for r, p in problems if r is item.resolved}
        checks = error_checks(item.resolved, undecided)
        bad = _count_bad(con, item.name, checks)
        if not bad:
            continue
        selects = [
            f"SELECT *, {number} AS check_no FROM ({c.select.format(table=item.name)})"
            for number, c in enumerate(checks)
        ]
        rows = con.execute(
            f"SELECT * EXCLUDE (check_no) FROM ({' UNION ALL '.join(selects)}) "
            f"ORDER BY _row, check_no LIMIT {limit + 1}"
        ).fetchall()
        for row, canonical, value, expected in rows:
            error = _row_error(path, item.resolved, canonical, row, value, expected)
            found.append((row, target_index + 1, error))
        total += bad
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [error for _, _, error in found[: limit + 1]], total


def _count_bad(con: Any, name: str, checks: list[Check]) -> int:
    """How many (row, check) pairs fail, in one pass: the rows are listed only when some do."""
    if not checks:
        return 0
    counts = " + ".join(f"count(*) FILTER (WHERE {c.condition})" for c in checks)
    return int(con.execute(f"SELECT {counts} FROM {name}").fetchone()[0])


def _row_error(
    path: Path, resolved: Resolved, canonical: str, row: int, value: Any, expected: str
) -> RowError:
    label = resolved.labels.get(canonical, canonical)
    return RowError(
        str(path), row, label, canonical, None if value is None else str(value), expected
    )
