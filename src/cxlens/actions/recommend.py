"""Next-best product: for each customer, the product they lack that their purchases point to.

Built from order lines of completed orders (cancelled and refunded orders, and lines
with a quantity of zero or less, are not purchases). ``B`` is the customer × product
matrix of who bought what (1 if ever, however often). Products bought by the same
customers are related: the co-occurrence ``C = BᵀB`` counts the customers who bought
both, with the diagonal zeroed.

Counts favour best-sellers (everyone's next product would be the most popular one), so
``C`` is normalised to the cosine similarity of the products' buyer sets:
``C[i, j] / sqrt(n_i · n_j)``, where ``n_i`` is how many customers bought ``i``. Lift
(``C[i, j] · N / (n_i · n_j)``) was the alternative, but it rewards rarity: two
products each bought once, by the same customer, get the largest lift in the data.
Cosine lies between 0 and 1, is symmetric, and needs a pair to be bought together
often *relative to how often each is bought*.

A customer's score for a product is the sum of its similarities to the products they
bought (``B · C``), products they already have excluded; the highest scores are the
recommendations, and ``because`` names the bought product contributing most.
Customers whose products co-occur with nothing get the most popular products they
lack (by number of buyers), marked ``basis = "popularity"`` with no score.

Written with scipy.sparse rather than a recommender library: the method is a few
matrix products, and a library would add a large dependency for no better answer.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxlens.errors import ConfigError
from cxlens.models.dates import as_day
from cxlens.store import has_table

if TYPE_CHECKING:
    import duckdb
    from scipy import sparse

log = logging.getLogger(__name__)

__all__ = ["next_best_products"]

COLUMNS = ["customer_id", "rank", "product_id", "product_name", "score", "because", "basis"]
CO_OCCURRENCE = "co-occurrence"
POPULARITY = "popularity"

# Score matrices are built for this many customer × product cells at a time.
CHUNK_CELLS = 5_000_000

# A product is its id, or its name where the export gives no id. Orders on the
# observation end's local day count.
_PURCHASES = """
WITH purchases AS (
SELECT
    CAST(o.customer_id AS VARCHAR) AS customer_id,
    CAST(coalesce(l.product_id, l.product_name) AS VARCHAR) AS product_id,
    l.product_name
FROM order_lines AS l
JOIN orders AS o USING (order_id)
WHERE o.status = 'completed'
  AND o.customer_id IS NOT NULL
  AND coalesce(l.product_id, l.product_name) IS NOT NULL
  AND (l.quantity IS NULL OR l.quantity > 0)
  AND (CAST($until AS DATE) IS NULL OR CAST(o.ordered_at_local AS DATE) <= CAST($until AS DATE))
)
"""
_PAIRS_SQL = _PURCHASES + "SELECT DISTINCT customer_id, product_id FROM purchases"
_NAMES_SQL = (
    _PURCHASES + "SELECT product_id, mode(product_name) AS product_name FROM purchases "
    "GROUP BY product_id"
)


def next_best_products(
    con: duckdb.DuckDBPyConnection, until: date | str | None = None, top: int = 1
) -> pd.DataFrame:
    """Up to ``top`` products per customer that their purchases suggest they buy next.

    ``con`` is a connection to a cleaned warehouse (``orders`` and ``order_lines``);
    only orders up to ``until`` (a date or ``'YYYY-MM-DD'``; default all) count.
    Returns one row per recommendation, sorted by customer and rank: customer_id, rank
    (1 = best), product_id, product_name, score (summed cosine similarity; empty for
    popularity picks), because (name of the bought product that most supports it) and
    basis ("co-occurrence" or "popularity"). Customers who already own every product
    get none. An empty frame (and a log line) when there are no order lines.
    """
    if int(top) < 1:
        raise ConfigError(f"top = {top!r}: ask for at least one product per customer")
    pairs, names = _purchases(con, as_day(until))
    if pairs.empty:
        return _empty()

    customers, customer_ids = pd.factorize(pairs["customer_id"], sort=True)
    products, product_ids = pd.factorize(pairs["product_id"], sort=True)
    bought = _bought_matrix(customers, products, len(customer_ids), len(product_ids))
    similarity = _cosine_co_occurrence(bought)

    picks = _co_occurrence_picks(bought, similarity, int(top))
    picks = pd.concat([picks, _popularity_picks(bought, picks, int(top))], ignore_index=True)

    product_names = names.reindex(product_ids).to_numpy()
    label = np.where(pd.isna(product_names), np.asarray(product_ids, dtype=object), product_names)
    result = pd.DataFrame(
        {
            "customer_id": np.asarray(customer_ids, dtype=object)[picks["customer"]],
            "rank": picks["rank"].to_numpy(),
            "product_id": np.asarray(product_ids, dtype=object)[picks["product"]],
            "product_name": product_names[picks["product"]],
            "score": picks["score"].to_numpy(),
            "because": _names_of(label, picks["because"].to_numpy()),
            "basis": picks["basis"].to_numpy(),
        }
    )
    result = result.sort_values(["customer_id", "rank"], kind="stable").reset_index(drop=True)
    log.info(
        "next-best products for %d customers from %d products (%d by popularity)",
        result["customer_id"].nunique(),
        len(product_ids),
        int((result["basis"] == POPULARITY).sum()),
    )
    return result


def _empty() -> pd.DataFrame:
    """The result's columns with no rows."""
    return pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})


def _purchases(
    con: duckdb.DuckDBPyConnection, until: date | None
) -> tuple[pd.DataFrame, pd.Series]:
    """Distinct (customer, product) purchases, and each product's most common name."""
    for table in ("orders", "order_lines"):
        if not has_table(con, table):
            log.info("no %s table in the warehouse: no next-best products", table)
            return pd.DataFrame(columns=["customer_id", "product_id"]), pd.Series(dtype=object)

    pairs = con.execute(_PAIRS_SQL, {"until": until}).df()
    names = con.execute(_NAMES_SQL, {"until": until}).df()
    if pairs.empty:
        log.info("no order lines of completed orders: no next-best products")
    return pairs, names.set_index("product_id")["product_name"]


def _bought_matrix(
    customers: np.ndarray, products: np.ndarray, n_customers: int, n_products: int
) -> sparse.csr_array:
    """The binary customer × product matrix from distinct (customer, product) index pairs."""
    from scipy import sparse

    ones = np.ones(len(customers))
    return sparse.csr_array((ones, (customers, products)), shape=(n_customers, n_products))


def _cosine_co_occurrence(bought: sparse.csr_array) -> sparse.csr_array:
    """Products' co-occurrence ``BᵀB`` with zero diagonal, scaled to cosine similarity."""
    from scipy import sparse

    together = (bought.T @ bought).tocsr()
    buyers = together.diagonal()
    together.setdiag(0)
    together.eliminate_zeros()
    scale = sparse.diags_array(1 / np.sqrt(buyers))
    return (scale @ together @ scale).tocsr()


def _co_occurrence_picks(
    bought: sparse.csr_array, similarity: sparse.csr_array, top: int
) -> pd.DataFrame:
    """The ``top`` best-scored products each customer lacks, with the product behind each.

    Scores are built for a block of customers at a time so that memory stays bounded.
    """
    n_customers, n_products = bought.shape
    block = max(1, CHUNK_CELLS // max(n_products, 1))
    picks = [
        _top_scores(bought[start : start + block], similarity, top, start)
        for start in range(0, n_customers, block)
    ]
    picks = pd.concat(picks, ignore_index=True)
    picks["because"] = _strongest_support(bought, similarity, picks)
    picks["basis"] = CO_OCCURRENCE
    return picks


def _top_scores(
    bought: sparse.csr_array, similarity: sparse.csr_array, top: int, offset: int
) -> pd.DataFrame:
    """For a block of customers, their ``top`` highest positive scores on products they lack.

    Rather than sorting every score, each round takes every customer's highest remaining
    score (the lowest product index on a tie) and strikes it out: ``top`` passes.
    """
    scores = (bought @ similarity).tocsr()
    scores = (scores - scores.multiply(bought)).tocsr()
    scores.eliminate_zeros()
    scores.sort_indices()
    remaining = scores.data.copy()
    row = np.repeat(np.arange(scores.shape[0]), np.diff(scores.indptr))
    starts = scores.indptr[:-1][np.diff(scores.indptr) > 0]

    rounds = []
    for rank in range(1, top + 1):
        if len(starts) == 0:
            break
        highest = np.maximum.reduceat(remaining, starts)
        at_highest = remaining == np.repeat(highest, np.diff(np.append(starts, len(remaining))))
        at_highest &= remaining > 0
        position = np.flatnonzero(at_highest)
        first = np.ones(len(position), dtype=bool)
        first[1:] = row[position][1:] != row[position][:-1]
        position = position[first]
        rounds.append((position, rank))
        remaining[position] = 0
    positions = np.concatenate([position for position, _ in rounds] or [np.zeros(0, np.int64)])
    ranks = np.concatenate([np.full(len(position), rank) for position, rank in rounds] or [[]])
    return pd.DataFrame(
        {
            "customer": row[positions].astype(np.int64) + offset,
            "product": scores.indices[positions].astype(np.int64),
            "rank": ranks.astype(np.int64),
            "score": scores.data[positions],
        }
    )


def _strongest_support(
    bought: sparse.csr_array, similarity: sparse.csr_array, picks: pd.DataFrame
) -> np.ndarray:
    """For each pick, the bought product with the largest similarity to it (first on a tie)."""
    if picks.empty:
        return np.full(0, -1, dtype=np.int64)
    customer = picks["customer"].to_numpy()
    owned = np.diff(bought.indptr)[customer]
    pick = np.repeat(np.arange(len(picks)), owned)
    within = np.arange(owned.sum()) - np.repeat(np.cumsum(owned) - owned, owned)
    support = bought.indices[np.repeat(bought.indptr[customer], owned) + within]
    strength = np.asarray(similarity[support, picks["product"].to_numpy()[pick]]).ravel()

    order = np.lexsort((support, -strength, pick))
    first = np.ones(len(order), dtype=bool)
    first[1:] = pick[order][1:] != pick[order][:-1]
    because = np.full(len(picks), -1, dtype=np.int64)
    because[pick[order][first]] = support[order][first]
    return because


def _popularity_picks(bought: sparse.csr_array, picks: pd.DataFrame, top: int) -> pd.DataFrame:
    """The ``top`` most-bought products each customer without a co-occurrence pick lacks.

    Walking the products from the most bought, a customer who owns ``k`` products finds
    ``top`` they lack among the first ``top + k``; those candidates are laid out for
    every such customer at once and the owned ones struck out.
    """
    n_customers, n_products = bought.shape
    lonely = np.setdiff1d(np.arange(n_customers), picks["customer"].to_numpy())
    if len(lonely) == 0:
        return picks.iloc[0:0]

    buyers = np.asarray(bought.sum(axis=0)).ravel()
    by_popularity = np.lexsort((np.arange(n_products), -buyers))
    place = np.empty(n_products, dtype=np.int64)
    place[by_popularity] = np.arange(n_products)

    owned = np.diff(bought.indptr)[lonely]
    reach = np.minimum(top + owned, n_products)
    customer = np.repeat(lonely, reach)
    position = np.arange(reach.sum()) - np.repeat(np.cumsum(reach) - reach, reach)
    lonely_bought = bought[lonely].tocoo()
    owned_keys = lonely[lonely_bought.row].astype(np.int64) * n_products + place[lonely_bought.col]
    lacking = ~np.isin(customer.astype(np.int64) * n_products + position, owned_keys)

    customer, position = customer[lacking], position[lacking]
    rank = np.arange(len(customer)) - np.searchsorted(customer, customer, side="left") + 1
    best = rank <= top
    return pd.DataFrame(
        {
            "customer": customer[best].astype(np.int64),
            "product": by_popularity[position[best]].astype(np.int64),
            "rank": rank[best],
            "score": np.nan,
            "because": -1,
            "basis": POPULARITY,
        }
    )


def _names_of(labels: np.ndarray, products: np.ndarray) -> np.ndarray:
    """Product labels by index, with None where the index is -1 (no supporting product)."""
    found = products >= 0
    names = np.full(len(products), None, dtype=object)
    names[found] = labels[products[found]]
    return names
