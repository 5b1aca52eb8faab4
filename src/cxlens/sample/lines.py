"""The sample's order lines: which appliances each order held.

The retention list suggests a next product from what customers buy together, so the
lines carry a purchase structure worth finding. The catalogue's 25 appliances fall
into three families: kitchen, cleaning and laundry, and climate. Each order belongs to
one family: a customer's first order draws it by the families' shares, and each later
order keeps the family of the customer's first with probability ``KEEP_FAMILY``, else
draws again. An order has one to four lines (fewer on small amounts); the first line
is from the order's family, each further one too with probability ``SAME_FAMILY``,
else from another family. Within what is allowed, a product is drawn by popularity and
by how close its list price is to the order's amount per line, never twice in one
order.

Line prices are the list prices scaled so that the lines add up to the order's
amount: every line but the last in whole yuan, rounded down, and the last line takes
the rest. Only the cheaper appliances are sometimes bought two at a time, never on
the last line, so the rest is always one unit's price.

These draws come after every other draw of the sample's generator, so adding the
lines left every other export byte for byte as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FAMILIES = ("kitchen", "cleaning", "climate")
FAMILY_SHARES = (0.45, 0.30, 0.25)  # of customers' first orders
KEEP_FAMILY = 0.7  # a later order stays in the family of the customer's first order
SAME_FAMILY = 0.85  # a second, third or fourth line stays in the order's family
LINE_COUNT_SHARES = (0.50, 0.28, 0.14, 0.08)  # one, two, three, four lines
YUAN_PER_EXTRA_LINE = 200  # an order has at most 1 + amount // 200 lines
PRICE_FIT = 0.8  # spread (in log price) of the products drawn around the amount per line
PAIR_PRICE = 500  # appliances cheaper than this are sometimes bought two at a time
PAIR_SHARE = 0.1

# product_id, name, family, list price (yuan), popularity (relative)
CATALOGUE = (
    ("P-KETTLE", "电水壶", "kitchen", 149, 3.0),
    ("P-RICE", "电饭煲", "kitchen", 399, 3.0),
    ("P-AIRFRY", "空气炸锅", "kitchen", 349, 2.5),
    ("P-INDUCT", "电磁炉", "kitchen", 299, 1.5),
    ("P-BLENDER", "破壁机", "kitchen", 699, 1.5),
    ("P-OVEN", "电烤箱", "kitchen", 499, 1.0),
    ("P-MICRO", "微波炉", "kitchen", 599, 1.5),
    ("P-PURIFY", "净水器", "kitchen", 1799, 1.0),
    ("P-HOOD", "油烟机", "kitchen", 2499, 0.8),
    ("P-DISHWASH", "洗碗机", "kitchen", 3299, 0.8),
    ("P-FRIDGE", "冰箱", "kitchen", 3999, 1.2),
    ("P-VACUUM", "吸尘器", "cleaning", 999, 2.0),
    ("P-ROBOT", "扫地机器人", "cleaning", 2299, 1.5),
    ("P-FLOOR", "洗地机", "cleaning", 1999, 1.0),
    ("P-WASHER", "洗衣机", "cleaning", 2799, 1.5),
    ("P-DRYER", "干衣机", "cleaning", 3499, 0.7),
    ("P-STEAMER", "挂烫机", "cleaning", 299, 2.0),
    ("P-MITE", "除螨仪", "cleaning", 399, 1.5),
    ("P-AC", "空调", "climate", 3299, 1.5),
    ("P-FAN", "电风扇", "climate", 199, 3.0),
    ("P-HEATER", "电暖器", "climate", 399, 2.0),
    ("P-HUMID", "加湿器", "climate", 249, 2.0),
    ("P-DEHUMID", "除湿机", "climate", 1199, 1.0),
    ("P-AIRPURE", "空气净化器", "climate", 1499, 1.2),
    ("P-HEATPUMP", "电热水器", "climate", 1599, 1.0),
)
MAX_LINES = len(LINE_COUNT_SHARES)

PRODUCT_IDS = np.array([p[0] for p in CATALOGUE], dtype=object)
PRODUCT_NAMES = np.array([p[1] for p in CATALOGUE], dtype=object)
PRODUCT_FAMILY = np.array([FAMILIES.index(p[2]) for p in CATALOGUE])
LIST_PRICES = np.array([p[3] for p in CATALOGUE], dtype=float)
POPULARITY = np.array([p[4] for p in CATALOGUE])


def make_order_lines(orders: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Lines of every order: order_id, line_no (from 1), product_id, product_name, quantity,
    unit_price; ``orders`` needs ``order_id``, ``customer`` and ``amount``, in time order."""
    amount = orders["amount"].to_numpy(dtype=float)
    family = _order_families(orders["customer"].to_numpy(), rng)
    counts = _line_counts(amount, rng)
    products = _pick_products(family, counts, amount, rng)
    quantity, unit_price = _quantities_and_prices(products, amount, rng)

    order_row, slot = np.nonzero(products >= 0)  # row-major: orders in turn, lines in order
    chosen = products[order_row, slot]
    return pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy()[order_row],
            "line_no": slot + 1,
            "product_id": PRODUCT_IDS[chosen],
            "product_name": PRODUCT_NAMES[chosen],
            "quantity": quantity[order_row, slot],
            "unit_price": unit_price[order_row, slot],
        }
    )


def _order_families(customer: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The family of each order: the first order's by share, later ones mostly the same."""
    n = customer.size
    drawn = rng.choice(len(FAMILIES), n, p=FAMILY_SHARES)
    keep = rng.random(n) < KEEP_FAMILY
    first = pd.Series(drawn).groupby(customer).transform("first").to_numpy()
    later = pd.Series(customer).duplicated().to_numpy()  # orders come in time order
    return np.where(later & keep, first, drawn)


def _line_counts(amount: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One to four lines, fewer on small amounts (a ¥199 order holds one appliance)."""
    wanted = rng.choice(np.arange(1, MAX_LINES + 1), amount.size, p=LINE_COUNT_SHARES)
    return np.minimum(wanted, 1 + amount // YUAN_PER_EXTRA_LINE).astype(int)


def _pick_products(
    family: np.ndarray, counts: np.ndarray, amount: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Product index per order and line slot (-1: no such line).

    Each slot takes the best of the allowed products by log weight plus Gumbel noise,
    which draws them with probability proportional to their weight (the Gumbel-max
    trick), for every order at once.
    """
    n, size = family.size, len(CATALOGUE)
    per_line = amount / counts
    fit = -0.5 * (np.log(LIST_PRICES[None, :] / per_line[:, None]) / PRICE_FIT) ** 2
    log_weight = np.log(POPULARITY)[None, :] + fit
    own = PRODUCT_FAMILY[None, :] == family[:, None]
    taken = np.zeros((n, size), dtype=bool)
    products = np.full((n, MAX_LINES), -1)

    for slot in range(MAX_LINES):
        stray = rng.random(n) >= (1.0 if slot == 0 else SAME_FAMILY)
        allowed = np.where(stray[:, None], ~own, own) & ~taken
        score = np.where(allowed, log_weight + rng.gumbel(size=(n, size)), -np.inf)
        choice = score.argmax(axis=1)
        active = slot < counts
        products[:, slot] = np.where(active, choice, -1)
        taken[np.arange(n), choice] |= active
    return products


def _quantities_and_prices(
    products: np.ndarray, amount: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Quantity and unit price per order and slot; each order's lines add up to its amount."""
    present = products >= 0
    counts = present.sum(axis=1)
    last = np.arange(MAX_LINES)[None, :] == (counts - 1)[:, None]
    list_price = np.where(present, LIST_PRICES[np.maximum(products, 0)], 0.0)

    paired = present & ~last & (list_price < PAIR_PRICE)
    paired &= rng.random(products.shape) < PAIR_SHARE
    quantity = np.where(paired, 2, 1) * present

    share = list_price * quantity / (list_price * quantity).sum(axis=1, keepdims=True)
    unit_price = np.floor(amount[:, None] * share / np.maximum(quantity, 1))
    paid_before_last = np.where(last, 0.0, unit_price * quantity).sum(axis=1)
    unit_price = np.where(last, (amount - paid_before_last)[:, None], unit_price)
    return quantity, np.where(present, unit_price, 0.0)
