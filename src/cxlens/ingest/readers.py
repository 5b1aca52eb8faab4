"""Reading a file into a staging table of text: one VARCHAR column per header.

Every reader ends in the same place, the temporary table ``_cx_stage`` with
``_cx_row`` (where the record sits: the spreadsheet row, header = row 1, for text
and workbooks; the record number from 1 for JSON and Parquet) and one VARCHAR
column per header, named as the file names it. All parsing happens afterwards in
SQL, so every format gets the same date, number and yes/no handling.

Report downloads often wrap the table in lines that are not records: a title or
"Reporting period …" line and a blank line above the header, a "Timezone: …" or
period line below the last row. A preset says so with two read options, applied to
delimited text and workbooks alike:

- ``header_with``: names the header row holds; the lines above the first such row
  (within the first ``PREAMBLE_LINES``) are a preamble and are skipped;
- ``trailer``: a regular expression for the lines after the records; trailing lines
  that match it, and blank lines around them, are left out of the read.

Only the head and the tail of the file are looked at; the records themselves are
read by DuckDB as usual. A third option, ``refuse``, lists layouts (headers a file
has) that the preset knows and must not import, each with the message that says
what to export instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxlens.errors import InputError, UnreadableFile
from cxlens.ingest import detect
from cxlens.store import literal, quote

log = logging.getLogger(__name__)

STAGE = "_cx_stage"
ROW = "_cx_row"
WHITESPACE_DELIMITERS = ("whitespace", " ", r"\s+", " +")
PREAMBLE_LINES = 50  # how far down a header named by ``header_with`` is looked for
TRAILER_BYTES = 1 << 16  # how much of a text file's end is searched for trailer lines


@dataclass(frozen=True)
class Staged:
    """What was read: the headers in file order, and how the file was read."""

    headers: list[str]
    format: str
    encoding: str | None
    sheet: str | None
    records: bool  # True when _cx_row counts records (JSON, Parquet), not spreadsheet rows
    sheets: tuple[str, ...] = ()  # every sheet of a workbook, in order


def stage(
    con: Any,
    path: Path,
    sniffed: detect.Sniffed,
    read: dict[str, Any],
    sheet: str | None,
    workdir: Path,
    progress: detect.Progress,
) -> Staged:
    """Read ``path`` into ``_cx_stage`` with the reader its content calls for."""
    staged = _stage(con, path, sniffed, read, sheet, workdir, progress)
    refuse_known_layouts(path, staged.headers, read.get("refuse") or ())
    return staged


def _stage(
    con: Any,
    path: Path,
    sniffed: detect.Sniffed,
    read: dict[str, Any],
    sheet: str | None,
    workdir: Path,
    progress: detect.Progress,
) -> Staged:
    if sniffed.format == "xlsx":
        return _stage_workbook(con, path, read, sheet)
    source = path
    if detect.needs_transcoding(sniffed.encoding) or (
        sniffed.format == "json" and sniffed.encoding == "utf-8-sig"
    ):
        source = detect.transcode(path, sniffed.encoding or "utf-8", workdir, progress)
    if sniffed.format == "parquet":
        return _stage_parquet(con, path)
    if sniffed.format == "json":
        return _stage_json(con, path, source, sniffed.encoding, read)
    if read.get("trailer"):
        source = without_trailer(source, read["trailer"], workdir)
    return _stage_delimited(con, path, source, sniffed.encoding, read, progress)


def refuse_known_layouts(path: Path, headers: list[str], layouts: Any) -> None:
    """Refuse a file whose headers are a layout the preset knows it cannot import.

    ``layouts`` holds ``(headers, message)`` pairs; a file having every header of a
    pair is refused with its message. An empty header list matches every file.
    """
    from cxlens.ingest.headers import normalise

    have = {normalise(h) for h in headers}
    for needed, message in layouts:
        if {normalise(h) for h in needed} <= have:
            raise InputError(f"{path}: {message}; nothing was imported", path)


def _refuse_in_rows(path: Path, rows: list[list[Any]], layouts: Any) -> None:
    """Refuse a known layout from the file's first rows, before a preamble can trip the read."""
    from cxlens.ingest.headers import normalise

    head = [{normalise(_cell_text(c) or "") for c in row} for row in rows[:PREAMBLE_LINES]]
    for needed, message in layouts:
        wanted = {normalise(h) for h in needed}
        if any(wanted <= cells for cells in head) or not wanted:
            raise InputError(f"{path}: {message}; nothing was imported", path)


def _refuse_in_text(path: Path, sample: str, layouts: Any) -> None:
    import csv

    lines = sample.splitlines()[:PREAMBLE_LINES]
    for candidate in detect.DELIMITERS:
        _refuse_in_rows(path, list(csv.reader(lines, delimiter=candidate)), layouts)


# -- preambles and trailers ------------------------------------------------------------


def preamble_rows(rows: list[list[Any]], names: Any) -> int:
    """How many rows stand above the header row holding every one of ``names`` (0: none)."""
    from cxlens.ingest.headers import normalise

    wanted = {normalise(n) for n in ([names] if isinstance(names, str) else names)}
    for index, row in enumerate(rows[:PREAMBLE_LINES]):
        cells = {normalise(_cell_text(c) or "") for c in row}
        if wanted <= cells:
            return index
    return 0


def _preamble_lines(sample: str, names: Any, delim: str | None) -> int:
    """The header line's place in delimited text: the lines above it are a preamble."""
    import csv

    lines = sample.splitlines()[:PREAMBLE_LINES]
    delimiters = [delim] if delim else list(detect.DELIMITERS)
    best = 0
    for candidate in delimiters:
        rows = list(csv.reader(lines, delimiter=candidate))
        found = preamble_rows(rows, names)
        if found:
            best = found if not best else min(best, found)
    return best


def is_trailer(cells: list[str], pattern: str) -> bool:
    """A trailer row: blank, or one filled cell (the first) that matches ``pattern``."""
    filled = [c.strip() for c in cells if c and c.strip()]
    if not filled:
        return True
    return len(filled) == 1 and bool(cells[0]) and re.fullmatch(pattern, filled[0]) is not None


def trailer_rows(rows: list[list[Any]], pattern: str) -> int:
    """How many rows at the end are a trailer (blank rows count only around a match)."""
    count, matched = 0, 0
    for row in reversed(rows):
        cells = [_cell_text(c) or "" for c in row]
        if not is_trailer(cells, pattern):
            break
        count += 1
        if any(c.strip() for c in cells):
            matched = count
    return count if matched else 0


def without_trailer(source: Path, pattern: str, workdir: Path) -> Path:
    """``source`` itself, or a copy of it that stops before its trailer lines.

    Only the last ``TRAILER_BYTES`` are read to find where the trailer starts; the
    body is copied as bytes. Blank lines before the trailer go with it.
    """
    import csv
    import shutil

    size = source.stat().st_size
    with source.open("rb") as handle:
        handle.seek(max(0, size - TRAILER_BYTES))
        tail = handle.read()
    lines = tail.split(b"\n")
    kept, matched = len(lines), False
    for index in range(len(lines) - 1, 0, -1):  # the first piece may be a partial line
        text = lines[index].decode("utf-8", errors="replace").strip("\r\ufeff")
        text = text.rstrip(",;\t| ")  # a trailer saved from a spreadsheet: empty cells after it
        cells = next(csv.reader([text]), []) if text.strip() else []
        if not is_trailer(cells, pattern):
            break
        matched = matched or bool(text.strip())
        kept = index
    if not matched:
        return source
    cut = size - len(b"\n".join(lines[kept:]))
    body = workdir / f"{source.stem}.body{source.suffix or '.csv'}"
    with source.open("rb") as src, body.open("wb") as dst:
        shutil.copyfileobj(_Limited(src, cut), dst)
    log.debug("%s: %d trailer bytes left out", source, size - cut)
    return body


class _Limited:
    """A binary file read only up to ``limit`` bytes (for copying a file's head)."""

    def __init__(self, handle: Any, limit: int) -> None:
        self.handle, self.left = handle, limit

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        size = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(size)
        self.left -= len(data)
        return data


def _unreadable(path: Path, what: str, error: Exception, fix: str) -> UnreadableFile:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return UnreadableFile(f"{path}: cannot be read as {what} ({first}); {fix}", path)


# -- delimited text -----------------------------------------------------------------


def _stage_delimited(
    con: Any,
    path: Path,
    source: Path,
    encoding: str | None,
    read: dict[str, Any],
    progress: detect.Progress,
) -> Staged:
    """CSV/TSV via DuckDB's reader: all text, strict quoting, header as the file gives it."""
    import duckdb

    sample = detect.sample_text(source, "utf-8")
    if read.get("refuse"):
        _refuse_in_text(path, sample, read["refuse"])
    skip = int(read.get("skip_rows", 0))
    if read.get("header_with") and not skip:
        skip = _preamble_lines(sample, read["header_with"], read.get("delimiter"))
    body = "\n".join(sample.splitlines()[skip:])
    delim = read.get("delimiter") or detect.delimiter(body)
    if delim in WHITESPACE_DELIMITERS:
        return _stage_whitespace(con, path, source, encoding, {**read, "skip_rows": skip})
    header = bool(read.get("header", True))
    size = source.stat().st_size
    if progress:
        progress(0, size, "reading")
    options = [
        "all_varchar = true",
        f"header = {str(header).lower()}",
        f"delim = {literal(delim)}",
        "quote = '\"'",
        "escape = '\"'",
        "strict_mode = true",
        f"null_padding = {str(bool(read.get('null_padding', False))).lower()}",
        f"skip = {skip}",
        "max_line_size = 100000000",
        # read in 128 MiB pieces: left to itself, DuckDB sizes its buffer from the longest
        # line allowed and the file, and a 1 GB file then needs one 1 GB allocation
        "buffer_size = 134217728",
    ]
    if read.get("names"):
        options.append(f"names = [{', '.join(literal(n) for n in read['names'])}]")
    first_row = skip + (2 if header else 1)
    try:
        con.execute(
            f"CREATE TEMP TABLE {STAGE} AS SELECT (row_number() OVER () + {first_row - 1}) "
            f"AS {ROW}, * FROM read_csv({literal(str(source))}, {', '.join(options)})"
        )
    except duckdb.Error as error:
        raise _broken_text(path, source, delim, options, skip, error) from None
    if progress:
        progress(size, size, "reading")
    headers = _headers(con)
    log.debug("%s: delimited text, delimiter %r, %d columns", path, delim, len(headers))
    return Staged(headers, "tsv" if delim == "\t" else "csv", encoding, None, False)


def _broken_text(
    path: Path,
    source: Path,
    delim: str,
    options: list[str],
    skip: int,
    error: Exception,
) -> UnreadableFile:
    """Say, in plain words, which line of a delimited file breaks it and what to do.

    DuckDB names the line of a row with too few or too many fields, but not always
    (a failure while it sniffs the file says nothing of where): the file is read once
    more keeping the rejected rows, and failing that scanned for a quote never closed.
    """
    kind = f"{_delimiter_name(delim)}-separated text"
    found = _error_line(str(error)) or _rejected_line(source, options)
    if found is None:
        found = _unclosed_quote(source, delim, skip)
    if found is None:
        return _unreadable(
            path,
            kind,
            error,
            "check for an unterminated quote or a truncated last line, or set the source "
            "options delimiter / skip_rows / header",
        )
    line, what = found
    known = _report_line_presets(what, source)
    if known:
        presets = " or ".join(f"--preset {name}" for name in known)
        return UnreadableFile(
            f"{path}: cannot be read as {kind}: line {line} {what}. That line is the "
            f"period or time-zone line of a report download, not a record: import the "
            f"file with {presets}, which skips it",
            path,
        )
    return UnreadableFile(
        f"{path}: cannot be read as {kind}: line {line} {what}. The file may be cut off "
        "(export it again and import the complete file), or a value holds the delimiter "
        "or a quote without being quoted itself; correct that line, or set the source "
        "options delimiter / skip_rows / header",
        path,
    )


def _report_line_presets(what: str, source: Path) -> list[str]:
    """Presets whose report downloads end in a line like the one that broke the read.

    The line is the one quoted in ``what`` when DuckDB showed it, else any of the
    last lines of the file (DuckDB does not always show the line it names).
    """
    from cxlens.ingest.presets import PRESETS

    quoted = re.search(r"\((['\"])(.*)\1\)\s*$", what)
    texts = [quoted.group(2)] if quoted and quoted.group(2).strip() else _last_lines(source)
    texts = [t.strip().strip("\ufeff").rstrip(",;\t| ") for t in texts]
    return [
        name
        for name, preset in PRESETS.items()
        if preset.targets
        and preset.read.get("trailer")
        and any(t and re.fullmatch(preset.read["trailer"], t) for t in texts)
    ]


def _last_lines(source: Path, count: int = 5) -> list[str]:
    size = source.stat().st_size
    with source.open("rb") as handle:
        handle.seek(max(0, size - 4096))
        tail = handle.read().decode("utf-8", errors="replace")
    return tail.splitlines()[-count:]


def _error_line(message: str) -> tuple[int, str] | None:
    """(line, what is wrong) from DuckDB's 'CSV Error on Line: N … Expected … Found …'."""
    line = re.search(r"CSV Error on Line: (\d+)", message)
    if not line:
        return None
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    original = re.search(r"Original Line: ?(.*)", message)
    what = "does not fit the header"
    if fields:
        what = f"has {fields.group(2)} fields where the header has {fields.group(1)}"
    if original:
        what += f" ({original.group(1)[:120]!r})"
    return int(line.group(1)), what


def _rejected_line(source: Path, options: list[str]) -> tuple[int, str] | None:
    """The first row DuckDB rejects when told to keep rejected rows aside, if it can tell.

    A connection of its own: the import's transaction is aborted by the failed read.
    """
    import duckdb

    try:
        con = duckdb.connect()
        con.execute(
            f"SELECT count(*) FROM read_csv({literal(str(source))}, {', '.join(options)}, "
            "store_rejects = true, ignore_errors = true)"
        ).fetchall()  # read to the end: the rejects table is filled when the scan finishes
        first = con.execute(
            "SELECT line, error_message, csv_line FROM reject_errors ORDER BY line LIMIT 1"
        ).fetchone()
    except duckdb.Error:
        return None
    if first is None:
        return None
    line, message, text = first
    found = _error_line(f"CSV Error on Line: {line}\n{message}\nOriginal Line: {text}")
    return found


def _unclosed_quote(source: Path, delim: str, skip: int) -> tuple[int, str] | None:
    """The line where a quoted value opens and the file ends before it closes."""
    import csv

    with source.open(encoding="utf-8", errors="replace", newline="") as handle:
        for _ in range(skip):
            handle.readline()
        reader = csv.reader(handle, delimiter=delim, strict=True)
        last = 0
        try:
            for _ in reader:
                last = reader.line_num
        except csv.Error as error:
            if "EOF" in str(error) or "end of data" in str(error).lower():
                return last + skip + 1, "opens a quoted value that is never closed"
            return reader.line_num + skip, f"is not valid delimited text ({error})"
    return None


def _stage_whitespace(
    con: Any, path: Path, source: Path, encoding: str | None, read: dict[str, Any]
) -> Staged:
    """Whitespace-separated columns (fixed-width style exports): split each line in SQL."""
    import duckdb

    header = bool(read.get("header", True))
    skip = int(read.get("skip_rows", 0))
    try:
        con.execute(
            "CREATE TEMP TABLE _cx_lines AS SELECT row_number() OVER () AS n, "
            "string_split_regex(trim(line), '\\s+') AS parts "
            f"FROM read_csv({literal(str(source))}, columns = {{'line': 'VARCHAR'}}, "
            f"header = false, delim = {literal(chr(1))}, quote = '', escape = '', skip = {skip}, "
            "auto_detect = false) WHERE trim(line) <> ''"
        )
    except duckdb.Error as error:
        raise _unreadable(path, "whitespace-separated text", error, "check the file") from None
    width = con.execute("SELECT max(len(parts)) FROM _cx_lines").fetchone()[0] or 0
    names = list(read.get("names") or [])
    if header:
        first = con.execute("SELECT parts FROM _cx_lines WHERE n = 1").fetchone()
        names = list(first[0]) if first else []
    names = _dedupe(names + [f"column{i + 1}" for i in range(len(names), width)])
    columns = ", ".join(f"parts[{i + 1}] AS {quote(n)}" for i, n in enumerate(names))
    offset = skip + (1 if header else 0)
    where = "WHERE n > 1" if header else ""
    con.execute(
        f"CREATE TEMP TABLE {STAGE} AS SELECT n + {skip} AS {ROW}, {columns} "
        f"FROM _cx_lines {where} ORDER BY n"
    )
    con.execute("DROP TABLE _cx_lines")
    log.debug("%s: whitespace-separated text, %d columns, offset %d", path, width, offset)
    return Staged(names, "csv", encoding, None, False)


def _delimiter_name(delim: str) -> str:
    return {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}.get(delim, repr(delim))


def _headers(con: Any) -> list[str]:
    names = [row[0] for row in con.execute(f"DESCRIBE {STAGE}").fetchall()]
    return [name for name in names if name != ROW]


def _dedupe(names: list[str]) -> list[str]:
    """Blank headers become columnN; repeated ones get _2, _3 (as DuckDB's reader does)."""
    seen: dict[str, int] = {}
    result = []
    for index, name in enumerate(names):
        name = str(name).strip() if name is not None and str(name).strip() else f"column{index + 1}"
        if name.lower() in seen:
            seen[name.lower()] += 1
            name = f"{name}_{seen[name.lower()]}"
        seen.setdefault(name.lower(), 1)
        result.append(name)
    return result


# -- JSON and Parquet ---------------------------------------------------------------


def _stage_json(
    con: Any, path: Path, source: Path, encoding: str | None, read: dict[str, Any] | None = None
) -> Staged:
    """An array of objects or JSON lines; every value as text (nested values as JSON).

    Two reader options serve API exports that nest their records (see ``_unwrap`` and
    ``_explode``): ``json_records`` and ``json_explode``. ``json_keys`` names keys to
    stage even when no record has them (all values missing), so that a preset's
    ``sql:`` sources can read optional fields.
    """
    import duckdb

    read = read or {}
    _check_json_ends(path, source)
    try:
        con.execute(
            "CREATE TEMP TABLE _cx_json AS SELECT row_number() OVER () AS n, json AS j, "
            f"1 AS o FROM read_json_objects({literal(str(source))}, format = 'auto')"
        )
        if read.get("json_records"):
            _unwrap(con, read["json_records"])
        kinds = con.execute("SELECT DISTINCT json_type(j) FROM _cx_json").fetchall()
    except duckdb.Error as error:
        raise _unreadable(
            path,
            "JSON",
            error,
            "the file must hold an array of objects or one object per line (JSON lines); "
            "check that it is complete",
        ) from None
    if any(kind[0] != "OBJECT" for kind in kinds):
        raise UnreadableFile(
            f"{path}: JSON records must be objects (name: value); found "
            f"{', '.join(sorted(str(k[0]) for k in kinds))}",
            path,
        )
    if read.get("json_explode"):
        _explode(con, read["json_explode"])
    keys = [
        row[0]
        for row in con.execute(
            "SELECT k FROM (SELECT n, unnest(json_keys(j)) AS k, "
            "generate_subscripts(json_keys(j), 1) AS i FROM _cx_json) "
            "GROUP BY k ORDER BY min(n * 1000000 + i)"
        ).fetchall()
    ]
    keys += [key for key in read.get("json_keys", ()) if key not in keys]
    paths = ", ".join(literal('$."' + key.replace('"', '\\"') + '"') for key in keys)
    columns = ", ".join(f"v[{i + 1}] AS {quote(key)}" for i, key in enumerate(keys))
    con.execute(
        f"CREATE TEMP TABLE {STAGE} AS SELECT n AS {ROW}, {columns or 'NULL AS _empty'} "
        f"FROM (SELECT n, o, json_extract_string(j, [{paths}]) AS v FROM _cx_json) ORDER BY n, o"
    )
    con.execute("DROP TABLE _cx_json")
    return Staged(keys, "json", encoding or "utf-8", None, True)


def _check_json_ends(path: Path, source: Path) -> None:
    """Refuse a JSON file cut off between records (``[{…}, {…},``).

    DuckDB's reader stops quietly at the last whole record of a truncated array; the
    records after the cut would be missing without a word, and a re-import would replace
    the full data with the part. A whole file ends with ``]`` (an array) or ``}`` (an
    object, or JSON lines).
    """
    with open(source, "rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        handle.seek(max(handle.seek(0, 2) - 64, 0))
        tail = handle.read().rstrip(b" \t\r\n\x00")
    if not head or not tail:
        return
    closing = b"]" if head[:1] == b"[" else b"}"
    if tail[-1:] != closing:
        raise UnreadableFile(
            f"{path}: the JSON ends with {tail[-20:].decode('utf-8', 'replace')!r}, not "
            f"{closing.decode()!r}: the file looks cut off; export or copy it again",
            path,
        )


def _json_path(key: str) -> str:
    return literal('$."' + key.replace('"', '\\"') + '"')


def _unwrap(con: Any, key: str) -> None:
    """Take the records out of wrapper objects: ``{"audits": [...], "next_page": ...}``.

    An API page holds its records in an array under one name (Zendesk ``audits``,
    Chatwoot ``payload``). Each object whose ``key`` is an array yields that array's
    items as records; any other object is a record itself, so a file of JSON lines
    of bare records reads the same. Records are numbered anew in file order.
    """
    path = _json_path(key)
    con.execute(
        "CREATE TEMP TABLE _cx_json_unwrapped AS SELECT row_number() OVER (ORDER BY n, i) AS n, "
        "r AS j, 1 AS o FROM ("
        f"SELECT n, unnest(items) AS r, generate_subscripts(items, 1) AS i FROM ("
        f"SELECT n, CAST(json_extract(j, {path}) AS JSON[]) AS items FROM _cx_json "
        f"WHERE json_type(j, {path}) = 'ARRAY') "
        f"UNION ALL SELECT n, j AS r, 0 AS i FROM _cx_json "
        f"WHERE json_type(j, {path}) IS DISTINCT FROM 'ARRAY')"
    )
    con.execute("DROP TABLE _cx_json")
    con.execute("ALTER TABLE _cx_json_unwrapped RENAME TO _cx_json")


def _explode(con: Any, key: str) -> None:
    """One row per item of each record's ``key`` array (a Zendesk audit's ``events``).

    The row is the record with ``key`` holding that one item (as JSON) and ``key#``
    the item's position in the file, counting from 1; ``_cx_row`` stays the record's
    number, so a row error names the record it came from. Records whose ``key`` is not
    an array, or is empty, yield no row.
    """
    path = _json_path(key)
    con.execute(
        "CREATE TEMP TABLE _cx_json_items AS SELECT n, "
        f"json_merge_patch(j, json_object({literal(key)}, item, {literal(key + '#')}, o)) AS j, "
        "o FROM (SELECT n, j, item, row_number() OVER (ORDER BY n, i) AS o FROM ("
        f"SELECT n, j, unnest(items) AS item, generate_subscripts(items, 1) AS i FROM ("
        f"SELECT n, j, CAST(json_extract(j, {path}) AS JSON[]) AS items FROM _cx_json "
        f"WHERE json_type(j, {path}) = 'ARRAY')))"
    )
    con.execute("DROP TABLE _cx_json")
    con.execute("ALTER TABLE _cx_json_items RENAME TO _cx_json")


def _stage_parquet(con: Any, path: Path) -> Staged:
    """Parquet columns cast to text (timestamps as ISO text, nested values as JSON)."""
    import duckdb

    source = literal(str(path))
    try:
        schema = con.execute(f"DESCRIBE SELECT * FROM read_parquet({source})").fetchall()
        con.execute("SET TimeZone = 'UTC'")
        columns = ", ".join(_as_text(name, kind) for name, kind, *_ in schema)
        con.execute(
            f"CREATE TEMP TABLE {STAGE} AS SELECT row_number() OVER () AS {ROW}, {columns} "
            f"FROM read_parquet({source})"
        )
    except duckdb.Error as error:
        raise _unreadable(
            path,
            "Parquet",
            error,
            "the file looks truncated or damaged; write it again and import the new file",
        ) from None
    return Staged([row[0] for row in schema], "parquet", None, None, True)


def _as_text(name: str, kind: str) -> str:
    column = quote(name)
    if re.search(r"STRUCT|MAP|\[\]|UNION", kind):
        return f"CAST(to_json({column}) AS VARCHAR) AS {column}"
    if kind in ("FLOAT", "DOUBLE"):
        # as a workbook cell reads: a whole-valued 6.0 is the 6 the user typed
        whole = f"isfinite({column}) AND {column} = trunc({column}) AND abs({column}) < 1e15"
        return (
            f"CASE WHEN {whole} THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({column} AS VARCHAR) END AS {column}"
        )
    return f"CAST({column} AS VARCHAR) AS {column}"


# -- workbooks ----------------------------------------------------------------------


def _stage_workbook(con: Any, path: Path, read: dict[str, Any], sheet: str | None) -> Staged:
    """One sheet of an XLSX (or legacy XLS) workbook, cells as text, rows as Excel shows them."""
    rows, sheet_name, sheets = _sheet_rows(path, sheet)
    if read.get("refuse"):
        _refuse_in_rows(path, rows, read["refuse"])
    skip = int(read.get("skip_rows", 0))
    if read.get("header_with") and not skip:
        skip = preamble_rows(rows, read["header_with"])
    if read.get("trailer"):
        rows = rows[: len(rows) - trailer_rows(rows[skip + 1 :], read["trailer"])]
    header = bool(read.get("header", True))
    body_start = skip + (1 if header else 0)
    width = max((len(r) for r in rows), default=0)
    given = rows[skip] if header and len(rows) > skip else list(read.get("names") or [])
    names = _dedupe([_cell_text(c) for c in given] + [None] * (width - len(given)))
    _register_sheet(con, rows[body_start:], names, body_start)
    log.debug("%s: sheet %r, %d columns", path, sheet_name, len(names))
    return Staged(names, "xlsx", None, sheet_name, False, tuple(sheets))


def _sheet_rows(path: Path, sheet: str | None) -> tuple[list[list[Any]], str, list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # noqa: BLE001 - calamine raises its own untyped errors
        raise _unreadable(
            path, "a workbook", error, "open it in Excel or WPS, save it again and import that"
        ) from None
    names = list(book.sheet_names)
    chosen = sheet if sheet is not None else (names[0] if names else None)
    if chosen not in names:
        listed = ", ".join(repr(n) for n in names) or "none"
        raise InputError(
            f"{path}: the workbook has no sheet {chosen!r}; its sheets are: {listed}. "
            'Choose one with --sheet NAME (or sheet = "NAME" in [[sources]])',
            path,
        )
    try:
        return book.get_sheet_by_name(chosen).to_python(skip_empty_area=False), chosen, names
    except Exception as error:  # noqa: BLE001 - calamine raises its own untyped errors
        raise _unreadable(
            path, f"sheet {chosen!r}", error, "save the workbook again from Excel and retry"
        ) from None


def _cell_text(value: Any) -> str | None:
    """A cell as the text a person sees: integral floats without .0, dates in ISO form."""
    import datetime as dt

    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return value.isoformat() if not isinstance(value, dt.timedelta) else str(value)
    return str(value)


def _register_sheet(con: Any, body: list[list[Any]], names: list[str], start: int) -> None:
    """Move the sheet's cells into ``_cx_stage`` through an Arrow table of strings."""
    import pyarrow as pa

    width = len(names)
    columns = {ROW: pa.array(range(start + 1, start + 1 + len(body)), pa.int64())}
    for index, name in enumerate(names):
        cells = [_cell_text(r[index]) if index < len(r) else None for r in body]
        columns[name] = pa.array(cells, pa.string())
    arrow = pa.table(columns) if width else pa.table({ROW: columns[ROW]})
    con.register("_cx_sheet", arrow)
    try:
        con.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT * FROM _cx_sheet")
    finally:
        con.unregister("_cx_sheet")
