"""Per-customer purchase summaries: same-day merging, observation end, units, row order.

Every expected value is worked out by hand in the comments, read from the published
CDNOW summary, or computed a second way with plain pandas.
"""

from datetime import date, datetime, timedelta
from itertools import permutations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import ConfigError, WarehouseError
from cxlens.models.summary import purchase_summary
from helpers_raw import clean_rows

DATASETS = Path("/work/shared/datasets")


def order(order_id, customer_id, ordered_at, amount, status=None):
    return {"order_id": order_id, "customer_id": customer_id, "ordered_at": ordered_at,
            "amount": amount, "status": status}  # fmt: skip


def summarise(tmp_path, orders, until=None, time_unit="day", **settings):
    warehouse, _ = clean_rows(tmp_path, {"orders": orders}, **settings)
    with warehouse.connect() as con:
        return purchase_summary(con, until=until, time_unit=time_unit)


def row_of(summary, customer_id):
    rows = summary[summary["customer_id"] == customer_id]
    assert len(rows) == 1, f"{customer_id}: {len(rows)} rows"
    return rows.iloc[0]


def test_two_orders_on_one_day_are_one_purchase(tmp_path):
    # case CL-3: two orders on 2024-01-01, observation ends 360 days later.
    orders = [order("O1", "C1", "2024-01-01 09:00", 5), order("O2", "C1", "2024-01-01 18:00", 7)]
    summary = summarise(tmp_path, orders, until=date(2024, 1, 1) + timedelta(days=360))
    c1 = row_of(summary, "C1")
    assert (c1["frequency"], c1["recency"], c1["T"], c1["monetary_value"]) == (0, 0, 360, 0)


def test_eight_orders_on_four_days_give_three_repeats_and_mean_repeat_day_spend(tmp_path):
    # case CL-3: days 1 (1+1), 2 (3+6), 3 (3), 4 (1+1+4): frequency 3, recency 3 days;
    # repeat days spend 9, 3 and 6 -> mean 6. A cancelled and a refunded order do not count.
    orders = [
        order("A", "C1", "2024-03-01 08:00", 1),
        order("B", "C1", "2024-03-01 20:00", 1),
        order("C", "C1", "2024-03-02 10:00", 3),
        order("D", "C1", "2024-03-02 11:00", 6),
        order("E", "C1", "2024-03-03 12:00", 3),
        order("F", "C1", "2024-03-04 09:00", 1),
        order("G", "C1", "2024-03-04 10:00", 1),
        order("H", "C1", "2024-03-04 11:00", 4),
        order("X", "C1", "2024-03-05 11:00", 100, status="cancelled"),
        order("Y", "C1", "2024-03-03 11:00", 100, status="refunded"),
    ]
    c1 = row_of(summarise(tmp_path, orders, until="2024-03-10"), "C1")
    assert (c1["frequency"], c1["recency"], c1["T"]) == (3, 3, 9)
    assert c1["monetary_value"] == pytest.approx(6)


def test_orders_merge_on_local_days_not_utc_days(tmp_path):
    # 2024-01-01 17:00 and 2024-01-02 01:00 UTC are both 2024-01-02 in Shanghai (UTC+8):
    # one purchase day, then a repeat on 2024-01-05 local (04:00 UTC).
    orders = [
        order("O1", "C1", "2024-01-01 17:00", 2),
        order("O2", "C1", "2024-01-02 01:00", 3),
        order("O3", "C1", "2024-01-05 04:00", 8),
    ]
    c1 = row_of(summarise(tmp_path, orders, timezone="Asia/Shanghai"), "C1")
    assert (c1["frequency"], c1["recency"], c1["T"], c1["monetary_value"]) == (1, 3, 3, 8)


def test_month_first_date_strings_through_the_importer(tmp_path):
    # case CL-4: 11/01/2025, 12/20/2025, 01/15/2026 read month-first. Days from the first:
    # 49 and 75; the observation ends on the last date, so recency = T = 75; spend 60, 70.
    from cxlens.clean import clean_warehouse
    from cxlens.ingest import import_file
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

    export = tmp_path / "orders.csv"
    export.write_text(
        "order_id,customer_id,ordered_at,amount\n"
        "O1,C1,11/01/2025,50\nO2,C1,12/20/2025,60\nO3,C1,01/15/2026,70\n"
    )
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(warehouse, export, table="orders", options={"dayfirst": False})
    clean_warehouse(warehouse, Settings(root=tmp_path))
    with warehouse.connect() as con:
        c1 = row_of(purchase_summary(con, time_unit="day"), "C1")
    assert (c1["frequency"], c1["recency"], c1["T"], c1["monetary_value"]) == (2, 75, 75, 65)


def test_month_first_case_from_datetimes(tmp_path):
    # case CL-4, the same purchases given as datetimes (times of day do not matter).
    orders = [
        order("O1", "C1", datetime(2025, 11, 1, 8, 15), 50),
        order("O2", "C1", datetime(2025, 12, 20, 23, 59), 60),
        order("O3", "C1", datetime(2026, 1, 15, 0, 1), 70),
    ]
    c1 = row_of(summarise(tmp_path, orders), "C1")
    assert (c1["frequency"], c1["recency"], c1["T"], c1["monetary_value"]) == (2, 75, 75, 65)


@pytest.mark.parametrize("rows", list(permutations([0, 1, 2])))
def test_monetary_value_excludes_the_first_purchase_in_any_row_order(tmp_path, rows):
    # case CL-9: 2014-03-14 (10) is first; repeats 20 and 25 -> 22.5, whatever the row order.
    purchases = [("2014-03-14", 10), ("2014-04-09", 20), ("2014-05-21", 25)]
    orders = [order(f"O{i}", "C1", purchases[i][0], purchases[i][1]) for i in rows]
    c1 = row_of(summarise(tmp_path, orders), "C1")
    assert c1["monetary_value"] == pytest.approx(22.5)
    assert (c1["frequency"], c1["recency"]) == (2, 68)  # 26 + 42 days


def test_orders_after_until_are_ignored_and_later_customers_left_out(tmp_path):
    orders = [
        order("O1", "C1", "2024-01-01", 10),
        order("O2", "C1", "2024-01-11", 20),
        order("O3", "C1", "2024-01-12", 99),  # the day after until
        order("O4", "C2", "2024-02-01", 5),  # first purchase after until
    ]
    by_text = summarise(tmp_path / "a", orders, until="2024-01-11")
    by_date = summarise(tmp_path / "b", orders, until=date(2024, 1, 11))
    pd.testing.assert_frame_equal(by_text, by_date)
    assert by_text["customer_id"].tolist() == ["C1"]
    c1 = row_of(by_text, "C1")
    assert (c1["frequency"], c1["recency"], c1["T"], c1["monetary_value"]) == (1, 10, 10, 20)


# Customer 1 of the CDNOW sample (master id 00004): purchases 1997-01-01, 1997-01-18 and
# 1997-08-02; the calibration period ends 1997-09-30. Recency 213 days, T 272 days.
CUSTOMER_1_DAYS = (213, 272)


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    """The CDNOW master file imported through the ``cdnow`` preset and cleaned."""
    from cxlens.clean import clean_warehouse
    from cxlens.ingest import import_file
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

    folder = tmp_path_factory.mktemp("cdnow")
    warehouse = Warehouse(folder / "w.duckdb")
    import_file(warehouse, DATASETS / "cdnow_master.txt", table="orders", preset="cdnow")
    clean_warehouse(warehouse, Settings(root=folder))
    return warehouse


@pytest.mark.parametrize(
    ("time_unit", "days"),
    [("day", 1), ("week", 7), ("month", 365.25 / 12), ("quarter", 365.25 / 4), ("year", 365.25)],
)
def test_units_are_elapsed_days_over_unit_length(cdnow, time_unit, days):
    # case CL-5: in weeks 213/7 = 30.43 and 272/7 = 38.86, not calendar-week counts 30 and 39.
    with cdnow.connect() as con:
        c1 = row_of(purchase_summary(con, until="1997-09-30", time_unit=time_unit), "00004")
    recency_days, t_days = CUSTOMER_1_DAYS
    assert c1["recency"] == pytest.approx(recency_days / days, rel=1e-12)
    assert c1["T"] == pytest.approx(t_days / days, rel=1e-12)
    assert c1["frequency"] == 2


def test_cdnow_sample_matches_the_published_weekly_summary(cdnow):
    # case CL-5: x, t_x, T (weeks, 2 decimals) and mean repeat spend zbar of all 2,357 sample
    # customers; the sample file maps master ids to the published sample ids.
    sample = pd.read_csv(DATASETS / "cdnow_sample.txt", sep=r"\s+", header=None, dtype=str)
    ids = sample[[0, 1]].drop_duplicates().set_axis(["customer_id", "ID"], axis=1)
    ids["ID"] = ids["ID"].astype(int)
    published = pd.read_csv(DATASETS / "cdnow_customers_summary.csv")
    spend = pd.read_csv(DATASETS / "cdnow_customers_summary_with_transactions.csv")
    with cdnow.connect() as con:
        ours = purchase_summary(con, until="1997-09-30", time_unit="week")
    merged = ids.merge(ours, on="customer_id").merge(published, on="ID", suffixes=("", "_pub"))
    assert len(merged) == 2357
    assert (merged["frequency"] == merged["frequency_pub"]).all()
    assert np.abs(merged["recency"] - merged["recency_pub"]).max() <= 0.005 + 1e-9
    assert np.abs(merged["T"] - merged["T_pub"]).max() <= 0.005 + 1e-9
    with_spend = merged.merge(spend[["ID", "zbar"]], on="ID")
    assert len(with_spend) == len(spend)
    assert np.abs(with_spend["monetary_value"] - with_spend["zbar"]).max() <= 0.005 + 1e-9


def pandas_summary(orders, until, days_per_unit):
    """The summary a second way: pandas group-bys on local days of completed orders."""
    kept = orders[(orders["status"] == "completed") & (orders["day"] <= until)]
    days = kept.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    days = days.sort_values(["customer_id", "day"])
    first = days.groupby("customer_id")["day"].transform("min")
    repeat = days[days["day"] > first].groupby("customer_id")["amount"].mean()
    per = days.groupby("customer_id")["day"].agg(["count", "min", "max"])
    return pd.DataFrame(
        {
            "customer_id": per.index.astype(str),
            "frequency": (per["count"] - 1).to_numpy(),
            "recency": ((per["max"] - per["min"]).dt.days / days_per_unit).to_numpy(),
            "T": ((until - per["min"]).dt.days / days_per_unit).to_numpy(),
            "monetary_value": repeat.reindex(per.index, fill_value=0.0).to_numpy(),
        }
    )


def test_matches_an_independent_pandas_computation_on_random_orders(tmp_path):
    rng = np.random.default_rng(7)
    n = 400
    start = datetime(2024, 1, 1)
    offsets = rng.integers(0, 90 * 24, n)  # hours over 90 days: many same-day orders
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(n)],
            "customer_id": rng.choice([f"C{i:02d}" for i in range(30)], n),
            "ordered_at": [start + timedelta(hours=int(h)) for h in offsets],
            "amount": rng.integers(1, 20000, n) / 100,
            "status": rng.choice(["completed"] * 8 + ["refunded", "cancelled"], n),
        }
    )
    until = pd.Timestamp("2024-03-10")
    warehouse, _ = clean_rows(tmp_path, {"orders": orders.to_dict("records")})
    with warehouse.connect() as con:
        ours = purchase_summary(con, until=until.date(), time_unit="week")
    orders["day"] = orders["ordered_at"].dt.normalize()
    expected = pandas_summary(orders, until, 7.0)
    pd.testing.assert_frame_equal(
        ours.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


def test_default_observation_end_is_the_last_order_day(tmp_path):
    orders = [order("O1", "C1", "2024-05-01", 10), order("O2", "C2", "2024-05-31 23:00", 4)]
    summary = summarise(tmp_path, orders)
    assert row_of(summary, "C1")["T"] == 30
    assert row_of(summary, "C2")["T"] == 0


def test_unknown_unit_and_unreadable_until_are_refused(tmp_path):
    warehouse, _ = clean_rows(tmp_path, {"orders": [order("O1", "C1", "2024-05-01", 10)]})
    with warehouse.connect() as con:
        with pytest.raises(ConfigError, match="time_unit = 'fortnight'"):
            purchase_summary(con, time_unit="fortnight")
        with pytest.raises(ConfigError, match="YYYY-MM-DD"):
            purchase_summary(con, until="05/01/2024")


def test_warehouse_without_orders_is_refused(warehouse):
    with warehouse.connect() as con, pytest.raises(WarehouseError, match="no cleaned orders"):
        purchase_summary(con)
