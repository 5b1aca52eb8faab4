"""Loyalty tiers: RFM scores, named segments, and how customers moved between them.

Each customer with a completed order by the as-of day is described by three numbers:

- recency: days from the last completed order to the as-of day;
- frequency: distinct local days with a completed order. Days rather than orders, as the
  lifetime-value models count them (``models.summary``): a basket split into three orders
  at one checkout is one visit, not three;
- monetary: completed spend. Refunded and cancelled orders are left out, as
  ``models.summary`` leaves them out: it is money the customer did not keep spending.

Each number becomes a score from 1 (worst) to 5 (best), by default:

- frequency by fixed edges on purchase days: 1, 2, 3, 4-5 and 6 or more days score 1 to 5.
  Where most customers bought once (60 % of the sample's customers), quintiles of rank
  tie them all into one score and leave F with two or three scores; fixed
  edges keep all five, and a customer's F then rises only when that customer buys;
- recency and monetary by the customer's quintile of rank among the customers scored that
  day: with n customers and rank k (1 = worst), the score is 1 + floor(5 (k - 1) / n).
  Days and spend rarely tie, so quintiles give five even groups without knowing the shop's
  purchase cycle or price level. Equal values share the lowest rank of their group
  (``rank(method="min")``), so nobody's score is raised by a tie.

``[tiers]`` sets either way per dimension: ``"quintiles"``, or four rising edges:
``recency_days = [30, 90, 180, 365]`` gives 5 up to 30 days, 4 up to 90 ... 1 beyond 365;
``frequency = [2, 3, 5, 8]`` and ``monetary = [...]`` give the value at which scores 2, 3,
4 and 5 begin.

Tiers are named by rules, ``[[tiers.segments]]`` with ``name``, ``name_zh``, score ranges
``r``, ``f`` and optionally ``m`` (both ends included) and ``rank``; the first rule a
customer meets wins and a customer no rule takes falls to "others". ``rank`` is the tier's
worth, 1 the most valuable, ties allowed (without ranks, the list's order): a move to a
tier of a larger rank is a slip, to a smaller one a move up, between equal ranks a move.
The movement matrix compares each customer's tier at the previous month's end with the
tier at the as-of day; scores are recomputed on each day among the customers of that day.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlens.errors import ConfigError, WarehouseError
from cxlens.models.dates import as_day
from cxlens.store import has_table, quote, table_columns

if TYPE_CHECKING:
    import duckdb

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

# Defaults: a common RFM scheme on the recency × frequency grid, monetary only where
# it separates the big spenders nobody may lose from the rest of the lapsing regulars.
# Rank is worth, 1 the most: regulars by how recently they bought, then the early customers,
# then those gone quiet. "new" and "potential loyalists" share a rank: a new customer
# becomes a potential loyalist by a second purchase day or by a month without one, which
# the tiers alone cannot tell apart, so the move is neither progress nor a slip.
DEFAULT_SEGMENTS: list[dict[str, Any]] = [
    {"name": "champions", "name_zh": "冠军客户", "r": [4, 5], "f": [4, 5], "rank": 1},
    {"name": "loyal", "name_zh": "忠诚客户", "r": [3, 5], "f": [3, 5], "rank": 2},
    {"name": "new", "name_zh": "新客户", "r": [5, 5], "f": [1, 1], "rank": 4},
    {"name": "potential loyalists", "name_zh": "潜力客户", "r": [4, 5], "f": [1, 2], "rank": 4},
    {"name": "cannot lose", "name_zh": "不能流失的客户", "r": [1, 2], "f": [4, 5], "m": [4, 5],
     "rank": 3},
    {"name": "at risk", "name_zh": "流失风险客户", "r": [1, 2], "f": [3, 5], "rank": 5},
    {"name": "hibernating", "name_zh": "沉睡客户", "r": [2, 3], "f": [1, 2], "rank": 6},
    {"name": "lost", "name_zh": "已流失客户", "r": [1, 1], "f": [1, 2], "rank": 7},
]  # fmt: skip
DEFAULT_CALL = ("cannot lose", "at risk")
FALLBACK = {"name": "others", "name_zh": "其他"}
# The row of the movement matrix for customers who had no completed order by then.
NOT_YET = "not yet a customer"

EDGE_KEYS = {"recency_days": "recency_days", "frequency": "purchase_days", "monetary": "spend"}
QUINTILES = "quintiles"
# 1, 2, 3, 4-5 and 6 or more purchase days score 1 to 5 (docs/tiers.md says why).
DEFAULT_SCORING: dict[str, Any] = {
    "recency_days": QUINTILES,
    "frequency": [2.0, 3.0, 4.0, 6.0],
    "monetary": QUINTILES,
}
SECTION_KEYS = ("recency_days", "frequency", "monetary", "segments", "call")
SEGMENT_KEYS = ("name", "name_zh", "r", "f", "m", "rank")
CUSTOMER_COLUMNS = [
    "customer_id", "name", "email", "phone", "tier", "r", "f", "m", "recency_days",
    "purchase_days", "orders", "spend", "last_order", "previous_tier",
]  # fmt: skip


def check_settings(section: dict[str, Any]) -> dict[str, Any]:
    """``[tiers]`` checked and completed with defaults; a ConfigError names the bad key.

    Returns ``recency_days``, ``frequency``, ``monetary`` (four rising edges, or
    ``"quintiles"``), ``segments`` (the rules, each with name, name_zh, r, f, m and rank)
    and ``call`` (the tiers whose high spenders the view says to call).
    """
    unknown = sorted(set(section) - set(SECTION_KEYS))
    if unknown:
        raise ConfigError(
            f"[tiers] {', '.join(unknown)}: not a setting; use {', '.join(SECTION_KEYS)}"
        )

    checked: dict[str, Any] = {
        key: _edges(section.get(key, DEFAULT_SCORING[key]), key) for key in EDGE_KEYS
    }
    checked["segments"] = _segments(section.get("segments", DEFAULT_SEGMENTS))
    names = [segment["name"] for segment in checked["segments"]]
    default_call = [name for name in DEFAULT_CALL if name in names]
    checked["call"] = _call(section.get("call", default_call), names)
    return checked


def _edges(edges: Any, key: str) -> list[float] | str:
    """Four rising, non-negative numbers, or ``"quintiles"``."""
    if edges == QUINTILES:
        return QUINTILES
    numbers = isinstance(edges, list) and all(
        isinstance(e, int | float) and not isinstance(e, bool) and math.isfinite(e) for e in edges
    )
    if not numbers or len(edges) != 4 or any(e < 0 for e in edges):
        raise ConfigError(
            f"[tiers] {key} = {edges!r}; write four ascending finite numbers, 0 or more "
            "(where scores change), "
            f'e.g. recency_days = [30, 90, 180, 365], or "{QUINTILES}" for quintiles of rank'
        )
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ConfigError(f"[tiers] {key} = {edges!r}; the four edges must rise strictly")
    return [float(e) for e in edges]


def _segments(segments: Any) -> list[dict[str, Any]]:
    """The rules, each checked: known keys, a unique name, score ranges inside 1-5."""
    if not isinstance(segments, list) or not segments:
        raise ConfigError(
            "[tiers] segments must be [[tiers.segments]] tables with name, r and f "
            "(and optionally name_zh, m and rank); leave them out for the default tiers"
        )
    checked, seen = [], {FALLBACK["name"]}
    for number, segment in enumerate(segments, start=1):
        where = f"[[tiers.segments]] number {number}"
        if not isinstance(segment, dict):
            raise ConfigError(f"{where} must be a table with name, r and f")
        unknown = sorted(set(segment) - set(SEGMENT_KEYS))
        if unknown:
            raise ConfigError(
                f"{where}: {', '.join(unknown)} is not a key; use {', '.join(SEGMENT_KEYS)}"
            )
        name = segment.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f'{where} needs a name, e.g. name = "champions"')
        if name in seen:
            raise ConfigError(f"{where}: the name {name!r} is taken; give each tier its own name")
        seen.add(name)
        where = f"{where} ({name})"
        missing = [key for key in ("r", "f") if key not in segment]
        if missing:
            raise ConfigError(f"{where} lacks {' and '.join(missing)}, e.g. r = [4, 5]")
        checked.append(
            {
                "name": name,
                "name_zh": str(segment.get("name_zh") or name),
                **{key: _range(segment.get(key, [1, 5]), where, key) for key in ("r", "f", "m")},
                "rank": _rank(segment.get("rank", number), where),
            }
        )
    ranked = ["rank" in segment for segment in segments]
    if any(ranked) and not all(ranked):
        unranked = [s["name"] for s, has in zip(checked, ranked, strict=True) if not has]
        raise ConfigError(
            f"[[tiers.segments]] without a rank: {', '.join(map(repr, unranked))}; give every "
            "tier a rank (1 = most valuable) or none (then the list's order is the order of "
            "worth)"
        )
    return checked


def _rank(rank: Any, where: str) -> int:
    """A tier's worth: a whole number from 1 (the most valuable) up."""
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
        raise ConfigError(
            f"{where}: rank = {rank!r}; write a whole number from 1 (the most valuable tier) "
            "up, equal for tiers of equal worth"
        )
    return rank


def _range(bounds: Any, where: str, key: str) -> list[int]:
    """A score range [lo, hi] with 1 <= lo <= hi <= 5."""
    whole = isinstance(bounds, list) and len(bounds) == 2
    whole = whole and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
    if not whole or not 1 <= bounds[0] <= bounds[1] <= 5:
        raise ConfigError(
            f"{where}: {key} = {bounds!r}; scores run from 1 to 5, write [lo, hi] with "
            "1 <= lo <= hi <= 5, e.g. [4, 5]"
        )
    return [int(bounds[0]), int(bounds[1])]


def _call(call: Any, names: list[str]) -> list[str]:
    """The tiers to call, each one of the segments' names."""
    if not isinstance(call, list) or not all(isinstance(c, str) for c in call):
        raise ConfigError('[tiers] call must be a list of tier names, e.g. ["at risk"]')
    unknown = [c for c in call if c not in names]
    if unknown:
        raise ConfigError(
            f"[tiers] call names {', '.join(map(repr, unknown))}, which no segment has; "
            f"use some of {', '.join(names)}"
        )
    return call


@dataclass
class LoyaltyTiers:
    """Each customer's tier at ``as_of`` and the moves since ``previous_end``.

    ``customers``: one row per customer with a completed order by ``as_of`` (columns
    ``CUSTOMER_COLUMNS``; contact columns empty where the warehouse has none);
    ``movements``: counts, rows the tier at ``previous_end`` (``NOT_YET`` first),
    columns the tier at ``as_of``; ``segments``: the rules in order (each with its worth
    ``rank``), the fallback last and least worth; ``scoring``: per dimension,
    ``"quintiles"`` or the edges used.
    """

    as_of: date
    previous_end: date
    customers: pd.DataFrame
    movements: pd.DataFrame
    segments: list[dict[str, Any]]
    scoring: dict[str, Any] = field(default_factory=dict)
    call: list[str] = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        """Per tier (in rule order): customers, share, spend, spend share, mean recency
        days, purchase days and R/F/M scores. Every rule's tier is listed, empty or not;
        the fallback only when someone falls to it."""
        customers = self.customers
        grouped = customers.groupby("tier", sort=False).agg(
            customers=("customer_id", "size"),
            spend=("spend", "sum"),
            recency_days=("recency_days", "mean"),
            purchase_days=("purchase_days", "mean"),
            r=("r", "mean"),
            f=("f", "mean"),
            m=("m", "mean"),
        )
        order = [s["name"] for s in self.segments]
        if FALLBACK["name"] not in grouped.index:
            order.remove(FALLBACK["name"])
        table = grouped.reindex(order).rename_axis("tier").reset_index()
        table["customers"] = table["customers"].fillna(0).astype("int64")
        table["spend"] = table["spend"].fillna(0.0)
        table.insert(2, "share", table["customers"] / max(len(customers), 1))
        total = customers["spend"].sum()
        table.insert(4, "spend_share", table["spend"] / total if total > 0 else np.nan)
        return table


def loyalty_tiers(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    until: date | str | None = None,
    segments: list[str] | None = None,
) -> LoyaltyTiers:
    """Score and name every customer as of ``until`` and compare with the month before.

    ``until`` (a date or ``YYYY-MM-DD``; default: the last local day with an order)
    is the as-of day, orders on it included. ``segments`` keeps the customers whose
    ``customers.segment`` is one of them. Raises a WarehouseError when there are no
    orders, no completed order by that day, or a segment filter without segments.
    """
    if not has_table(con, "orders"):
        raise WarehouseError(
            "loyalty tiers need orders; import an orders file with "
            "`cxlens import FILE --table orders` (or list it in cxlens.toml and `cxlens run`)"
        )
    config = check_settings(dict(settings.tiers))
    if segments:
        _check_segments(con, segments)
    as_of = as_day(until) or last_order_day(con)
    previous_end = as_of.replace(day=1) - timedelta(days=1)

    now = score_customers(customer_rfm(con, as_of, segments), config)
    if now.empty:
        raise WarehouseError(
            f"no customer has a completed order by {as_of}"
            + (f" in segment {', '.join(segments)}" if segments else "")
            + "; choose a later --until or check the orders' status column"
        )
    before = score_customers(customer_rfm(con, previous_end, segments), config)

    now = now.merge(
        before[["customer_id", "tier"]].rename(columns={"tier": "previous_tier"}),
        on="customer_id",
        how="left",
    )
    order = [s["name"] for s in config["segments"]] + [FALLBACK["name"]]
    movements = movement_matrix(now["previous_tier"], now["tier"], order)
    customers = _with_contacts(con, now)
    log.info("loyalty tiers as of %s: %d customers", as_of, len(customers))
    return LoyaltyTiers(
        as_of=as_of,
        previous_end=previous_end,
        customers=customers[CUSTOMER_COLUMNS],
        movements=movements,
        segments=[*config["segments"], _fallback(config["segments"])],
        scoring={key: config[key] for key in EDGE_KEYS},
        call=list(config["call"]),
    )


def _check_segments(con: duckdb.DuckDBPyConnection, segments: list[str]) -> None:
    """A WarehouseError naming the segments no customer has, and the segments there are."""
    if "segment" not in table_columns(con, "customers"):
        raise WarehouseError(
            "the segment filter needs a customers table with a segment column; import "
            "customers with their segment, or drop the filter"
        )
    known = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT CAST(segment AS VARCHAR) FROM customers "
            "WHERE segment IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    unknown = [s for s in segments if s not in known]
    if unknown:
        listed = ", ".join(known) if known else "none (the segment column is empty)"
        raise WarehouseError(
            f"no customer is in segment {', '.join(map(repr, unknown))}; the segments are: {listed}"
        )


def _fallback(segments: list[dict[str, Any]]) -> dict[str, Any]:
    """The tier of customers no rule takes: any scores, worth less than every rule's tier."""
    rank = max(segment["rank"] for segment in segments) + 1
    return {**FALLBACK, "r": [1, 5], "f": [1, 5], "m": [1, 5], "rank": rank}


def last_order_day(con: duckdb.DuckDBPyConnection) -> date:
    """The last local day with an order of any status (how far the export reaches), as
    ``models.summary`` takes it; orders dated after tomorrow (a mistyped year) are left
    out, as ``models.dates.data_end`` leaves them out."""
    tomorrow = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    row = con.execute(
        "SELECT max(CAST(ordered_at_local AS DATE)) FROM orders WHERE ordered_at < ?", [tomorrow]
    ).fetchone()
    if row is None or row[0] is None:
        raise WarehouseError(
            "the orders table is empty; import orders (cxlens import FILE --table orders) first"
        )
    return row[0]


_RFM_SQL = """
SELECT
    CAST(customer_id AS VARCHAR) AS customer_id,
    datediff('day', max(CAST(ordered_at_local AS DATE)), CAST($as_of AS DATE)) AS recency_days,
    count(DISTINCT CAST(ordered_at_local AS DATE)) AS purchase_days,
    count(*) AS orders,
    sum(amount)::DOUBLE AS spend,
    max(CAST(ordered_at_local AS DATE)) AS last_order
FROM orders
WHERE status = 'completed'
  AND customer_id IS NOT NULL
  AND CAST(ordered_at_local AS DATE) <= CAST($as_of AS DATE)
  {segment_filter}
GROUP BY 1
ORDER BY 1
"""


def customer_rfm(
    con: duckdb.DuckDBPyConnection, as_of: date, segments: list[str] | None = None
) -> pd.DataFrame:
    """Recency days, purchase days, orders, spend and last order day per customer with a
    completed order by ``as_of``, optionally only customers of ``segments``."""
    segment_filter = ""
    parameters: dict[str, Any] = {"as_of": as_of}
    if segments:
        if "segment" not in table_columns(con, "customers"):
            raise WarehouseError(
                "the segment filter needs a customers table with a segment column; import "
                "customers with their segment, or drop the filter"
            )
        segment_filter = (
            "AND customer_id IN (SELECT customer_id FROM customers "
            "WHERE list_contains($segments, segment))"
        )
        parameters["segments"] = list(segments)
    rfm = con.execute(_RFM_SQL.format(segment_filter=segment_filter), parameters).df()
    rfm["last_order"] = pd.to_datetime(rfm["last_order"]).dt.date
    return rfm.astype({"recency_days": "int64", "purchase_days": "int64", "orders": "int64"})


def score_customers(rfm: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """``rfm`` with scores ``r``, ``f``, ``m`` (1-5) and its ``tier`` by ``config``'s rules."""
    scored = rfm.copy()
    for score, key, better in (("r", "recency_days", -1), ("f", "frequency", 1),
                               ("m", "monetary", 1)):  # fmt: skip
        values = scored[EDGE_KEYS[key]]
        edges = config[key]
        scored[score] = (
            quintile_scores(values, higher_is_better=better > 0)
            if edges == QUINTILES
            else edge_scores(values, edges, higher_is_better=better > 0)
        )
    scored["tier"] = assign_tiers(scored, config["segments"])
    return scored


def quintile_scores(values: pd.Series, higher_is_better: bool = True) -> np.ndarray:
    """1-5 by quintile of rank: 1 + floor(5 (k - 1) / n) for rank k of n, worst first;
    equal values share their group's lowest rank."""
    if values.empty:
        return np.array([], dtype="int64")
    ranks = values.rank(method="min", ascending=higher_is_better).to_numpy()
    return (1 + np.floor(5 * (ranks - 1) / len(values))).astype("int64")


def edge_scores(values: pd.Series, edges: list[float], higher_is_better: bool = True) -> np.ndarray:
    """1-5 by fixed edges. Higher is better (frequency, spend): the edges are where scores
    2-5 begin. Lower is better (recency days): the edges are the last values of scores
    5, 4, 3 and 2."""
    numbers = values.to_numpy(dtype=float)
    if higher_is_better:
        return (1 + np.searchsorted(edges, numbers, side="right")).astype("int64")
    return (5 - np.searchsorted(edges, numbers, side="left")).astype("int64")


def assign_tiers(scores: pd.DataFrame, segments: list[dict[str, Any]]) -> np.ndarray:
    """Each row's tier: the first rule whose r, f and m ranges hold its scores, else the
    fallback."""
    matches = [
        np.logical_and.reduce(
            [scores[key].between(*segment[key]).to_numpy() for key in ("r", "f", "m")]
        )
        for segment in segments
    ]
    names = [segment["name"] for segment in segments]
    return np.select(matches, names, default=FALLBACK["name"]) if len(scores) else np.array([])


def movement_matrix(previous: pd.Series, current: pd.Series, order: list[str]) -> pd.DataFrame:
    """Customers by tier then (rows; ``NOT_YET`` where there was none) and now (columns),
    every tier of ``order`` present in both, the fallback only where someone is in it."""
    before = previous.fillna(NOT_YET).rename("previous")
    after = current.rename("current")
    counts = pd.crosstab(before, after)
    used = set(before) | set(after)
    tiers = [t for t in order if t != FALLBACK["name"] or t in used]
    counts = counts.reindex(index=[NOT_YET, *tiers], columns=tiers, fill_value=0)
    return counts.astype("int64")


def _with_contacts(con: duckdb.DuckDBPyConnection, customers: pd.DataFrame) -> pd.DataFrame:
    """``customers`` with name, email and phone from the customers table where present."""
    contacts = ["name", "email", "phone"]
    present = [c for c in contacts if c in table_columns(con, "customers")]
    if present:
        columns = ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in present)
        known = con.execute(
            f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {columns} FROM customers"
        ).df()
        customers = customers.merge(
            known.drop_duplicates("customer_id"), on="customer_id", how="left"
        )
    for column in contacts:
        if column not in customers.columns:
            customers[column] = pd.Series(pd.NA, index=customers.index, dtype="string")
    return customers
