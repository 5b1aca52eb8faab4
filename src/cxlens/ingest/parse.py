"""Typed parsing of text values, written as DuckDB SQL so a million rows parse in seconds.

Each canonical column type has one SQL expression turning the staged text into the
warehouse type, NULL where the text does not parse; a separate check then reports
every non-blank text whose parse is NULL as a row error. The building blocks are
temporary macros (``cx_number``, ``cx_bool``, ``cx_minutes``, …) installed on the
import's connection.

Timestamps are decided per column, from the whole column, before any row is parsed:

- a ``format`` hint (strptime codes, or a list of them) wins;
- a column that is entirely numeric is read as ``YYYYMMDD`` (8 digits),
  ``YYYYMMDDhhmmss`` (14 digits), epoch seconds (10⁹–10¹⁰, i.e. 2001–2286, with or
  without a fraction, as JSON numbers often are), epoch milliseconds (10¹²–10¹³) or
  Excel serial days (20,000–80,000, i.e. 1954–2119);
- in a workbook, a column of date cells that also holds plain numbers reads each
  number in the serial range as an Excel serial day (a cell typed as a number
  instead of a date);
- otherwise every value is read as ISO (``2024-03-05T14:02:01+08:00``, year first
  with ``-``, ``/`` or ``.``), Chinese (``2024年3月5日 14:02``), ``dd/mm/yyyy`` or
  ``mm/dd/yyyy`` (with optional time and AM/PM), or ``5 Mar 2024``. Whether
  ``05/03/2024`` is day-first is decided by the column: a first part above 12 makes
  it day-first, a second part above 12 month-first, both is an error, and neither
  (every value ambiguous) is an error that asks for ``dayfirst`` to be said.

Numbers lose thousands separators, spaces, brackets (negative) and currency signs
or codes; the sign is kept apart (``cx_currency``) so that an amount's currency can
be filled from it. Whether ``1.234`` is one thousand two hundred thirty-four or one
point two is decided per column, like the order of dates: a column showing decimal
commas (``1.234,50``, ``12,5``) and no decimal points is read decimal-comma; any
other column reads each value by its own shape, ``1,234`` and ``1.234`` as a
comma-grouped thousand and a decimal point respectively.

Times carrying an offset (``Z``, ``+08:00``) are converted to UTC by it; epoch
times are UTC already; every other (naive) time is wall-clock time in the
source's zone and is converted to UTC with DuckDB's ICU time zones. At a
daylight-saving change, a wall-clock time that does not exist (02:30 on the
spring-forward night) moves forward by the gap (03:30 local), and one that
occurs twice (01:30 on the fall-back night) is taken at its first occurrence
(still on summer time). Overlaps of other than one hour take ICU's reading.

Whatever its reading, a stored time must fall in 1900–2199 (UTC); one outside is a row
error like an unreadable date (``out_of_range_sql``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxlens.store import literal, quote

NA_VALUES = ("", "na", "n/a", "#n/a", "null", "none", "nan", "-", "--", "—")
TRUE_WORDS = ("yes", "y", "true", "t", "1", "1.0", "是", "对", "有", "已", "√", "✓")
FALSE_WORDS = ("no", "n", "false", "f", "0", "0.0", "否", "错", "无", "未", "×", "✗")
UNIT_MINUTES = {"seconds": 1 / 60, "minutes": 1.0, "hours": 60.0, "days": 1440.0}

# A currency sign or code, as written beside an amount (lower case), and the ISO code
# it stands for. ¥ alone is also the yen's sign; a Chinese helpdesk's ¥ is the yuan,
# so ¥ and ￥ mean CNY here (write JPY or 円 for yen).
CURRENCY_SIGNS = {
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "¥": "CNY",
    "￥": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "元": "CNY",
    "人民币": "CNY",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "hk$": "HKD",
    "hkd": "HKD",
    "jpy": "JPY",
    "円": "JPY",
    "nt$": "TWD",
    "twd": "TWD",
    "s$": "SGD",
    "sgd": "SGD",
    "a$": "AUD",
    "aud": "AUD",
    "c$": "CAD",
    "cad": "CAD",
    "chf": "CHF",
    "₩": "KRW",
    "krw": "KRW",
    "₹": "INR",
    "inr": "INR",
    "mop": "MOP",
    "nzd": "NZD",
}
# What is left of an amount once its digits, separators, sign and spaces are gone.
_NUMBER_CHARS = r"[0-9.,+\-()%\s\x{00A0}\x{202F}\x{3000}]"

# Evidence for a decimal comma / a decimal point, on a value without currency and spaces.
DECIMAL_COMMA = r"[+-]?(\d{1,3}(\.\d{3})+,\d+|\d+,(\d{1,2}|\d{4,})|0,\d+|\d{1,3}(\.\d{3}){2,})"
DECIMAL_POINT = r"[+-]?(\d{1,3}(,\d{3})+\.\d+|\d+\.(\d{1,2}|\d{4,})|0\.\d+|\d{1,3}(,\d{3}){2,})"

_ISO = (
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*([AaPp][Mm])?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)
_DMY = (
    r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*([AaPp][Mm])?$"
)
_FALLBACK_FORMATS = (
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y %H:%M",
    "%d %b %Y %H:%M:%S",
    "%b %d, %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%d-%b-%Y",
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%y",
    "%a, %d %b %Y %H:%M:%S",
)
_UNIT_WORDS = (
    ("1440", ("d", "day", "days", "天", "日")),
    ("60", ("h", "hr", "hrs", "hour", "hours", "小时", "小時", "时", "時")),
    ("1", ("m", "min", "mins", "minute", "minutes", "分钟", "分鐘", "分")),
    ("1.0/60", ("s", "sec", "secs", "second", "seconds", "秒")),
)


# Days before a clock, as reports and spreadsheets print long durations: ``1 day
# 03:04:05``, ``2 days, 3:04:05`` (Python's and Excel's text of a duration), ``1天 03:04``.
_DAYS_CLOCK = (
    r"\s*(\d+)\s*(?:d|day|days|天)\s*,?\s*([01]?\d|2[0-3]):([0-5]?\d)(?::([0-5]?\d(?:\.\d+)?))?\s*"
)


def one_of(words: tuple[str, ...] | list[str]) -> str:
    """An SQL regex literal matching exactly one of ``words``.

    Used instead of ``IN (…)``, which DuckDB plans as a join per column.
    """
    import re

    pattern = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return literal(f"(?:{pattern})")


def _sql_list(words: tuple[str, ...]) -> str:
    return ", ".join(literal(w) for w in words)


def _unit_alternatives() -> str:
    words = sorted((w for _, ws in _UNIT_WORDS for w in ws), key=len, reverse=True)
    return "|".join(words)


def _unit_case() -> str:
    arms = " ".join(
        f"WHEN regexp_full_match(u, {one_of(ws)}) THEN {factor}" for factor, ws in _UNIT_WORDS
    )
    return f"CASE {arms} END"


def _currency_alternatives() -> str:
    import re

    return "|".join(re.escape(w) for w in sorted(CURRENCY_SIGNS, key=len, reverse=True))


def _currency_case() -> str:
    arms = " ".join(f"WHEN {literal(sign)} THEN '{code}'" for sign, code in CURRENCY_SIGNS.items())
    return f"CASE s {arms} END"


def install_macros(con: Any) -> None:
    """Create the temporary parsing macros on this connection (they vanish with it)."""
    token = rf"\d+(?:\.\d+)?\s*(?:{_unit_alternatives()})"
    signs = _currency_alternatives().replace("'", "''")
    for statement in (
        # numbers: brackets mean negative; currency signs/codes, percent, spaces go
        rf"""CREATE OR REPLACE TEMP MACRO cx_num_text(v) AS regexp_replace(
            regexp_replace(lower(v), '^\((.*)\)$', '-\1'),
            '({signs}|[%\s\x{{00A0}}\x{{202F}}\x{{3000}}])', '', 'g')""",
        # the currency an amount's sign or code names (NULL: none, or not one we know)
        f"CREATE OR REPLACE TEMP MACRO cx_currency_of(s) AS {_currency_case()}",
        f"""CREATE OR REPLACE TEMP MACRO cx_currency(v) AS
            cx_currency_of(regexp_replace(lower(v), '{_NUMBER_CHARS}', '', 'g'))""",
        r"""CREATE OR REPLACE TEMP MACRO cx_num_fix(t) AS CASE
            WHEN regexp_full_match(t, '[+-]?\d{1,3}(,\d{3})+(\.\d+)?') THEN replace(t, ',', '')
            WHEN regexp_full_match(t, '[+-]?\d{1,3}(\.\d{3})+,\d+')
                THEN replace(replace(t, '.', ''), ',', '.')
            WHEN regexp_full_match(t, '[+-]?\d+,\d+') THEN replace(t, ',', '.')
            ELSE t END""",
        r"""CREATE OR REPLACE TEMP MACRO cx_num_clean(t) AS CASE
            WHEN regexp_full_match(t, '[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?')
            THEN CAST(t AS DOUBLE) END""",
        # plain numbers take the quick cast; everything else the clean-up above
        """CREATE OR REPLACE TEMP MACRO cx_number(v) AS CASE
            WHEN isfinite(TRY_CAST(v AS DOUBLE)) THEN TRY_CAST(v AS DOUBLE)
            ELSE cx_num_clean(cx_num_fix(cx_num_text(v))) END""",
        # a decimal-comma column: dots group thousands, the comma is the decimal mark
        r"""CREATE OR REPLACE TEMP MACRO cx_number_dc(v) AS CASE
            WHEN regexp_full_match(cx_num_text(v), '[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?')
            THEN CAST(replace(replace(cx_num_text(v), '.', ''), ',', '.') AS DOUBLE)
            ELSE cx_num_clean(cx_num_text(v)) END""",
        f"""CREATE OR REPLACE TEMP MACRO cx_bool(v) AS CASE
            WHEN regexp_full_match(lower(v), {one_of(TRUE_WORDS)}) THEN TRUE
            WHEN regexp_full_match(lower(v), {one_of(FALSE_WORDS)}) THEN FALSE END""",
        f"CREATE OR REPLACE TEMP MACRO cx_unit_minutes(u) AS {_unit_case()}",
        rf"""CREATE OR REPLACE TEMP MACRO cx_minutes(v, factor) AS CASE
            WHEN cx_number(v) IS NOT NULL THEN cx_number(v) * factor
            WHEN regexp_full_match(lower(v), '{_DAYS_CLOCK}')
                THEN CAST(regexp_extract(lower(v), '{_DAYS_CLOCK}', 1) AS DOUBLE) * 1440
                    + CAST(regexp_extract(lower(v), '{_DAYS_CLOCK}', 2) AS DOUBLE) * 60
                    + CAST(regexp_extract(lower(v), '{_DAYS_CLOCK}', 3) AS DOUBLE)
                    + coalesce(TRY_CAST(regexp_extract(lower(v), '{_DAYS_CLOCK}', 4)
                        AS DOUBLE), 0) / 60
            WHEN regexp_full_match(v, '\d+:[0-5]?\d:[0-5]?\d(\.\d+)?')
                THEN CAST(split_part(v, ':', 1) AS DOUBLE) * 60
                    + CAST(split_part(v, ':', 2) AS DOUBLE)
                    + CAST(split_part(v, ':', 3) AS DOUBLE) / 60
            WHEN regexp_full_match(v, '\d+:[0-5]?\d(\.\d+)?')
                -- two parts: h:mm in a column of hours, else mm:ss
                THEN CASE WHEN factor >= 60
                    THEN CAST(split_part(v, ':', 1) AS DOUBLE) * 60
                        + CAST(split_part(v, ':', 2) AS DOUBLE)
                    ELSE CAST(split_part(v, ':', 1) AS DOUBLE)
                        + CAST(split_part(v, ':', 2) AS DOUBLE) / 60 END
            WHEN regexp_full_match(lower(v), '\s*(?:{token}\s*(?:,|and)?\s*)+')
                THEN list_sum(list_transform(
                    regexp_extract_all(lower(v), '{token}'),
                    lambda t: CAST(regexp_extract(t, '^[0-9.]+') AS DOUBLE)
                        * cx_unit_minutes(trim(regexp_replace(t, '^[0-9.]+', '')))))
            END""",
        # timestamps: text in a regular shape, then parts into a TIMESTAMP
        r"""CREATE OR REPLACE TEMP MACRO cx_ts_norm(v) AS trim(regexp_replace(
            replace(replace(replace(replace(replace(v, '年', '-'), '月', '-'), '日', ' '), '号', ' '),
                '：', ':'), '\s+', ' ', 'g'))""",
        r"""CREATE OR REPLACE TEMP MACRO cx_hour(h, ap) AS CASE
            WHEN ap = '' THEN CAST(h AS INTEGER)
            WHEN lower(ap) = 'pm' THEN CAST(h AS INTEGER) % 12 + 12
            ELSE CAST(h AS INTEGER) % 12 END""",
        r"""CREATE OR REPLACE TEMP MACRO cx_year(y) AS CASE
            WHEN length(y) = 2 THEN CAST(y AS INTEGER) + CASE WHEN CAST(y AS INTEGER) < 70
                THEN 2000 ELSE 1900 END
            ELSE CAST(y AS INTEGER) END""",
        r"""CREATE OR REPLACE TEMP MACRO cx_ts_parts(y, mo, d, h, mi, s, f, ap) AS CASE
            WHEN y <> '' AND (ap = '' OR (h <> '' AND CAST(h AS INTEGER) BETWEEN 1 AND 12)) THEN
            TRY_CAST(printf('%04d-%02d-%02d %02d:%02d:%02d.', cx_year(y), CAST(mo AS INTEGER),
                CAST(d AS INTEGER), cx_hour(coalesce(nullif(h, ''), '0'), ap),
                CAST(coalesce(nullif(mi, ''), '0') AS INTEGER),
                CAST(coalesce(nullif(s, ''), '0') AS INTEGER))
                || rpad(substr(f, 1, 6), 6, '0') AS TIMESTAMP) END""",
        r"""CREATE OR REPLACE TEMP MACRO cx_offset_minutes(z) AS CASE
            WHEN z = '' THEN NULL
            WHEN upper(z) IN ('Z', 'UTC') THEN 0
            ELSE (CASE WHEN z[1] = '-' THEN -1 ELSE 1 END)
                * (CAST(z[2:3] AS INTEGER) * 60
                   + coalesce(TRY_CAST(nullif(replace(z[4:], ':', ''), '') AS INTEGER), 0))
            END""",
        # wall-clock time in a zone → UTC: ICU moves times in a spring-forward gap forward
        # and reads times in a fall-back overlap at their second occurrence; an overlap
        # is detected (an hour earlier in UTC shows the same wall-clock time) and taken
        # at its first occurrence instead
        """CREATE OR REPLACE TEMP MACRO cx_icu_utc(ts, zone) AS
            timezone('UTC', timezone(zone, ts))""",
        """CREATE OR REPLACE TEMP MACRO cx_local_to_utc(ts, zone) AS CASE
            WHEN timezone(zone, timezone('UTC', cx_icu_utc(ts, zone) - INTERVAL 1 HOUR)) = ts
            THEN cx_icu_utc(ts, zone) - INTERVAL 1 HOUR
            ELSE cx_icu_utc(ts, zone) END""",
    ):
        con.execute(statement)


@dataclass(frozen=True)
class TimestampPlan:
    """How one timestamp column is read: ``mode`` and, for text, whether day comes first."""

    mode: str  # plain | text | format | epoch_s | epoch_ms | serial
    dayfirst: bool = False
    formats: tuple[str, ...] = ()
    problem: dict[str, Any] | None = None  # a column-level row error, when undecidable
    serial_cells: bool = False  # text mode: numbers in the serial range are Excel days


PLAIN_ISO = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?"
# A plain non-negative number, as CSV text or as a JSON number prints (1.7096e9 too).
NUMERIC = r"\d+(\.\d+)?([eE][+]?\d+)?"


def profile_features(column: str) -> str:
    """Per-row features of one text column, computed once for ``profile_sql``.

    Plain ISO values (the common case) skip the costlier day/month matching.
    """
    v = quote(column)
    plain = f"regexp_full_match({v}, '{PLAIN_ISO}')"
    dmy = f"regexp_extract(cx_ts_norm({v}), '{_DMY}', ['p1', 'p2'])"
    return (
        f"{plain} AS {quote(column + '#plain')}, "
        f"CASE WHEN {v} IS NOT NULL AND NOT {plain} THEN {dmy} END AS {quote(column + '#dmy')}"
    )


def profile_sql(column: str) -> str:
    """Aggregates over one column's features that decide its timestamp plan."""
    v, dmy = quote(column), quote(column + "#dmy")
    p1, p2 = f"TRY_CAST({dmy}.p1 AS INTEGER)", f"TRY_CAST({dmy}.p2 AS INTEGER)"
    ambiguous = f"({p1} <> {p2} AND {p1} <= 12 AND {p2} <= 12)"
    return f"""struct_pack(
        n := count({v}),
        n_plain := count(*) FILTER (WHERE {quote(column + "#plain")}),
        n_num := count(*) FILTER (WHERE regexp_full_match({v}, '{NUMERIC}')),
        n8 := count(*) FILTER (WHERE regexp_full_match({v}, '\\d{{8}}')),
        n14 := count(*) FILTER (WHERE regexp_full_match({v}, '\\d{{14}}')),
        lo := min(TRY_CAST({v} AS DOUBLE)),
        hi := max(TRY_CAST({v} AS DOUBLE)),
        n_amb := count(*) FILTER (WHERE {ambiguous}),
        amb_row := min(_row) FILTER (WHERE {ambiguous}),
        amb_value := arg_min({v}, _row) FILTER (WHERE {ambiguous}),
        day_row := min(_row) FILTER (WHERE {p1} > 12),
        day_value := arg_min({v}, _row) FILTER (WHERE {p1} > 12),
        month_row := min(_row) FILTER (WHERE {p2} > 12),
        month_value := arg_min({v}, _row) FILTER (WHERE {p2} > 12)
    )"""


def plan_timestamp(profile: dict[str, Any], hints: dict[str, Any], dayfirst: Any) -> TimestampPlan:
    """The reading of one timestamp column, from its profile, its hints and the dayfirst option."""
    if hints.get("format"):
        formats = hints["format"]
        return TimestampPlan(
            "format", formats=tuple([formats] if isinstance(formats, str) else formats)
        )
    n = profile["n"]
    if n and profile["n_plain"] == n:
        return TimestampPlan("plain")
    if n and profile["n_num"] == n:
        numeric = _numeric_plan(profile)
        if numeric is not None:
            return numeric
    said = hints.get("dayfirst", dayfirst)
    if said is not None:
        return TimestampPlan("text", dayfirst=truthy(said))
    return _decide_order(profile)


def _numeric_plan(profile: dict[str, Any]) -> TimestampPlan | None:
    """An all-numeric column: compact dates by their digits, epochs and serials by range."""
    n, lo, hi = profile["n"], profile["lo"], profile["hi"]
    if profile["n8"] == n:
        return TimestampPlan("format", formats=("%Y%m%d",))
    if profile["n14"] == n:
        return TimestampPlan("format", formats=("%Y%m%d%H%M%S",))
    for mode, low, high in (
        ("epoch_s", 1e9, 1e10),
        ("epoch_ms", 1e12, 1e13),
        ("serial", 20000, 80000),
    ):
        if low <= lo and hi <= high:
            return TimestampPlan(mode)
    return None


def truthy(value: Any) -> bool:
    """A yes/no setting given as a bool or as text (``"true"``, ``"yes"``, ``1``)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    return bool(value)


def _decide_order(profile: dict[str, Any]) -> TimestampPlan:
    """Day-first or month-first from the column's values as a whole."""
    day, month = profile["day_row"] is not None, profile["month_row"] is not None
    if day and month:
        return TimestampPlan(
            "text",
            problem={
                "row": max(profile["day_row"], profile["month_row"]),
                "value": profile["month_value"]
                if profile["month_row"] > profile["day_row"]
                else profile["day_value"],
                "expected": (
                    "dates in one order, but this column has day-first dates (row "
                    f"{profile['day_row']}: {profile['day_value']!r}) and month-first dates "
                    f"(row {profile['month_row']}: {profile['month_value']!r}); correct the "
                    "odd ones"
                ),
            },
        )
    if day or month:
        return TimestampPlan("text", dayfirst=day)
    if profile["n_amb"]:
        return TimestampPlan(
            "text",
            problem={
                "row": profile["amb_row"],
                "value": profile["amb_value"],
                "expected": (
                    "a date whose order can be told, but every date in this column has day "
                    "and month ≤ 12, so it cannot tell whether 05/03 is 5 March or May 3; "
                    f"{DAYFIRST_HOW}"
                ),
            },
        )
    return TimestampPlan("text", dayfirst=False)


DAYFIRST_HOW = (
    "pass --dayfirst or --monthfirst to cxlens import, or set dayfirst = true / false in "
    "the file's [[sources]] entry"
)


def timestamp_parts(column: str, plan: TimestampPlan) -> dict[str, str]:
    """``<col>#utc`` (times that carry their zone) and ``<col>#local`` (naive wall-clock times).

    Reads the matched parts that ``timestamp_prep`` computed one step earlier.
    """
    v = quote(column)
    if plan.mode in ("epoch_s", "epoch_ms"):
        scale = 1000000 if plan.mode == "epoch_s" else 1000
        micros = (
            f"CASE WHEN regexp_full_match({v}, '\\d+') THEN CAST({v} AS BIGINT) * {scale} "
            f"ELSE CAST(round(CAST({v} AS DOUBLE) * {scale}) AS BIGINT) END"
        )
        return {
            f"{column}#utc": f"make_timestamp({micros})",
            f"{column}#local": "CAST(NULL AS TIMESTAMP)",
        }
    if plan.mode == "plain":
        return {
            f"{column}#utc": "CAST(NULL AS TIMESTAMP)",
            f"{column}#local": f"TRY_CAST({v} AS TIMESTAMP)",
        }
    if plan.mode == "serial":
        return {f"{column}#utc": "CAST(NULL AS TIMESTAMP)", f"{column}#local": _serial(v)}
    if plan.mode == "format":
        formats = "[" + _sql_list(plan.formats) + "]"
        if any("%z" in f or "%Z" in f for f in plan.formats):
            return {
                f"{column}#utc": f"timezone('UTC', try_strptime({v}, {formats}))",
                f"{column}#local": "CAST(NULL AS TIMESTAMP)",
            }
        return {
            f"{column}#utc": "CAST(NULL AS TIMESTAMP)",
            f"{column}#local": f"try_strptime({v}, {formats})",
        }
    return _text_timestamp_parts(column, plan.dayfirst, plan.serial_cells)


def _serial(v: str) -> str:
    """Excel serial days (1 = 1900-01-01, counting Excel's phantom 29 Feb 1900) as a time."""
    return (
        f"TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(TRY_CAST({v} AS DOUBLE) "
        "* 86400000000) AS BIGINT))"
    )


def timestamp_sql(column: str, timezone: str) -> str:
    """The stored value: the zoned time, else the local time converted from ``timezone``."""
    utc, local = quote(f"{column}#utc"), quote(f"{column}#local")
    if timezone.upper() in ("UTC", "ETC/UTC", "GMT", "Z"):
        return f"coalesce({utc}, {local})"
    return f"coalesce({utc}, cx_local_to_utc({local}, {literal(timezone)}))"


def timestamp_prep(column: str, plan: TimestampPlan) -> dict[str, str]:
    """Columns the text reading needs computed one step earlier (the matched date parts)."""
    if plan.mode != "text":
        return {}
    v = quote(column)
    return {
        f"{column}#iso": (
            f"regexp_extract(cx_ts_norm({v}), '{_ISO}', ['y','mo','d','h','mi','s','f','ap','z'])"
        ),
        f"{column}#dmy": (
            f"regexp_extract(cx_ts_norm({v}), '{_DMY}', ['p1','p2','y','h','mi','s','f','ap'])"
        ),
    }


def _text_timestamp_parts(column: str, dayfirst: bool, serial_cells: bool) -> dict[str, str]:
    v, i, m = quote(column), quote(f"{column}#iso"), quote(f"{column}#dmy")
    day, month = ("p1", "p2") if dayfirst else ("p2", "p1")
    from_iso = f"cx_ts_parts({i}.y, {i}.mo, {i}.d, {i}.h, {i}.mi, {i}.s, {i}.f, {i}.ap)"
    from_dmy = f"cx_ts_parts({m}.y, {m}.{month}, {m}.{day}, {m}.h, {m}.mi, {m}.s, {m}.f, {m}.ap)"
    fallback = "try_strptime(" + v + ", [" + _sql_list(_FALLBACK_FORMATS) + "])"
    if serial_cells:
        fallback += (
            f", CASE WHEN regexp_full_match({v}, '\\d+(\\.\\d+)?') "
            f"AND TRY_CAST({v} AS DOUBLE) BETWEEN 20000 AND 80000 THEN {_serial(v)} END"
        )
    return {
        f"{column}#utc": (
            f"CASE WHEN {i}.z <> '' THEN {from_iso} - to_minutes(cx_offset_minutes({i}.z)) END"
        ),
        f"{column}#local": (
            f"CASE WHEN {i}.z = '' THEN coalesce({from_iso}, {from_dmy}, {fallback}) END"
        ),
    }


def number_sql(column: str, decimal_comma: bool = False) -> str:
    return f"{'cx_number_dc' if decimal_comma else 'cx_number'}({quote(column)})"


def int_sql(column: str, decimal_comma: bool = False) -> str:
    v = number_sql(column, decimal_comma)
    return f"CASE WHEN {v} = round({v}) AND abs({v}) < 9e18 THEN CAST({v} AS BIGINT) END"


def bool_sql(column: str) -> str:
    return f"cx_bool({quote(column)})"


def minutes_sql(column: str, unit: str | None) -> str:
    factor = UNIT_MINUTES.get((unit or "minutes").lower().rstrip("s") + "s", 1.0)
    return f"cx_minutes({quote(column)}, {factor!r})"


TIMESTAMP_EXPECTED = (
    "a date/time such as 2024-03-05 14:02, 2024-03-05T14:02:00+08:00, 05/03/2024, "
    "3/5/2024 2:02 PM or 2024年3月5日 (or give a format hint)"
)

# The span a stored time must fall in, UTC. No service record predates 1900, and a year
# near 9999 breaks the steps after the import: Python's datetime stops at 9999-12-31 and
# zoneinfo's conversions overflow before it, so moving such a time into local or business
# hours raises OverflowError in every later clean. 2199 leaves far-future plans room.
EARLIEST_TIMESTAMP = "1900-01-01"
FIRST_TOO_LATE_TIMESTAMP = "2200-01-01"
TIMESTAMP_RANGE_EXPECTED = "a date between 1900 and 2199"


def out_of_range_sql(column: str) -> str:
    """Whether the stored (UTC) time of ``column`` lies outside 1900–2199; NULL when unread."""
    v = quote(column)
    return (
        f"({v} < TIMESTAMP '{EARLIEST_TIMESTAMP}' OR {v} >= TIMESTAMP '{FIRST_TOO_LATE_TIMESTAMP}')"
    )
