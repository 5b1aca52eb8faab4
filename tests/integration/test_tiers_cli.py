"""`cxlens tiers` on the bundled sample, as a user runs it (subprocesses).

The sample's customers and orders are imported with the CLI; the tiers' counts and spend
must add up to what plain SQL finds among completed orders, the movement matrix to the
customers of both month ends, and the lists written to disk to the tiers printed.
"""

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

CXLENS = [sys.executable, "-m", "cxlens"]


def cx(*args, cwd):
    return subprocess.run([*CXLENS, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiers")
    assert cx("sample", "demo", cwd=folder).returncode == 0
    demo = folder / "demo"
    for table in ("customers", "orders"):
        done = cx("import", f"exports/{table}.csv", "--table", table,
                  "--timezone", "Asia/Shanghai", cwd=demo)  # fmt: skip
        assert done.returncode == 0, done.stderr
    return demo


@pytest.fixture(scope="module")
def tiers(project):
    done = cx("tiers", "--format", "json", "--out", "lists", cwd=project)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def sql(project, query, parameters=()):
    with duckdb.connect(str(project / "cxlens.duckdb"), read_only=True) as con:
        return con.execute(query, list(parameters)).fetchall()


def test_tier_counts_and_spend_add_up_to_completed_orders(project, tiers):
    summary = pd.DataFrame(tiers["tables"]["tiers_summary"])
    ((last_day,),) = sql(project, "SELECT max(CAST(ordered_at_local AS DATE)) FROM orders")
    ((customers, spend),) = sql(
        project,
        "SELECT count(DISTINCT customer_id), sum(amount) FROM orders "
        "WHERE status = 'completed' AND CAST(ordered_at_local AS DATE) <= ?",
        [last_day],
    )
    assert summary["Customers"].sum() == customers
    assert summary["Spend"].sum() == pytest.approx(spend)
    assert summary["Share of customers"].sum() == pytest.approx(1.0)
    assert f"by {last_day.isoformat()}" in tiers["lines"][0]


def test_movements_hold_every_customer_and_the_first_buyers(project, tiers):
    moves = pd.DataFrame(tiers["tables"]["tiers_movements"])
    matrix = moves.set_index(moves.columns[0])  # the first column names the earlier tier
    summary = pd.DataFrame(tiers["tables"]["tiers_summary"]).set_index("Tier")
    assert matrix.sum().to_dict() == summary["Customers"].to_dict()

    ((last_day,),) = sql(project, "SELECT max(CAST(ordered_at_local AS DATE)) FROM orders")
    month_start = last_day.replace(day=1)
    ((first_buyers,),) = sql(
        project,
        "SELECT count(*) FROM (SELECT customer_id, min(CAST(ordered_at_local AS DATE)) AS first "
        "FROM orders WHERE status = 'completed' GROUP BY 1) WHERE first >= ? AND first <= ?",
        [month_start, last_day],
    )
    assert matrix.loc["not yet a customer"].sum() == first_buyers
    ((before,),) = sql(
        project,
        "SELECT count(DISTINCT customer_id) FROM orders "
        "WHERE status = 'completed' AND CAST(ordered_at_local AS DATE) < ?",
        [month_start],
    )
    assert matrix.drop(index="not yet a customer").to_numpy().sum() == before


def test_lists_on_disk_match_the_tiers(project, tiers):
    summary = pd.DataFrame(tiers["tables"]["tiers_summary"]).set_index("Tier")
    folder = project / "lists"
    every = pd.read_csv(folder / "tiers.csv", encoding="utf-8-sig", dtype=str)
    assert len(every) == summary["Customers"].sum()
    assert every["customer_id"].is_unique
    assert every["tier"].value_counts().to_dict() == summary["Customers"][lambda s: s > 0].to_dict()
    for name in ("tiers.csv", "tier_at_risk.csv"):
        assert (folder / name).read_bytes().startswith(b"\xef\xbb\xbf")
    at_risk = pd.read_csv(folder / "tier_at_risk.csv", encoding="utf-8-sig", dtype=str)
    assert len(at_risk) == summary.loc["at risk", "Customers"]
    phones = every["phone"].dropna()
    assert phones.str.startswith("'+").all()  # a leading + would start a formula in Excel


def test_default_frequency_scores_count_purchase_days(project, tiers):
    # F 5 = 6 or more distinct days with a completed order, F 1 = one day (docs/tiers.md)
    every = pd.read_csv(project / "lists" / "tiers.csv", encoding="utf-8-sig", dtype=str)
    ((last_day,),) = sql(project, "SELECT max(CAST(ordered_at_local AS DATE)) FROM orders")
    days = dict(
        sql(
            project,
            "SELECT least(days, 6), count(*) FROM (SELECT customer_id, "
            "count(DISTINCT CAST(ordered_at_local AS DATE)) AS days FROM orders "
            "WHERE status = 'completed' AND CAST(ordered_at_local AS DATE) <= ? GROUP BY 1) "
            "GROUP BY 1",
            [last_day],
        )
    )
    scores = every["f"].astype(int).value_counts().to_dict()
    assert scores == {1: days[1], 2: days[2], 3: days[3], 4: days[4] + days[5], 5: days[6]}


def test_one_tier_printed_in_chinese_names(project, tiers):  # tiers wrote the lists
    done = cx("tiers", "--tier", "流失风险客户", "--format", "csv", "--lang", "zh", cwd=project)
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert rows[0].startswith("customer_id,name,email,phone,tier,r,f,m,recency_days")
    assert {row.split(",")[4] for row in rows[1:]} == {"流失风险客户"}
    listed = pd.read_csv(project / "lists" / "tier_at_risk.csv", encoding="utf-8-sig", dtype=str)
    assert len(rows) - 1 == len(listed)


def test_a_segment_filter_and_an_as_of_day(project):
    done = cx("tiers", "--segment", "vip", "--until", "2025-01-15", "--format", "json",
              cwd=project)  # fmt: skip
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    ((vips,),) = sql(
        project,
        "SELECT count(DISTINCT o.customer_id) FROM orders o JOIN customers c USING (customer_id) "
        "WHERE o.status = 'completed' AND c.segment = 'vip' "
        "AND CAST(o.ordered_at_local AS DATE) <= DATE '2025-01-15'",
    )
    assert sum(row["Customers"] for row in view["tables"]["tiers_summary"]) == vips
    assert "2024-12-31" in view["method"]
    assert "segment vip" in view["method"]


def test_bad_flags_say_what_to_do(project):
    bad_day = cx("tiers", "--until", "15/01/2025", cwd=project)
    assert bad_day.returncode == 1
    assert "--until '15/01/2025' is not a date; write it as YYYY-MM-DD" in bad_day.stderr
    bad_lang = cx("tiers", "--lang", "fr", cwd=project)
    assert bad_lang.returncode == 2
    assert "'fr' is not zh or en" in bad_lang.stderr


def test_a_day_after_the_last_order_has_tiers_and_no_moves(project):
    # the first day of the month after the last order: the month before ends after every
    # order, so all recencies grow alike, no rank changes and nobody changes tier
    ((last,),) = sql(project, "SELECT max(CAST(ordered_at_local AS DATE)) FROM orders")
    month_end = (pd.Timestamp(last) + pd.offsets.MonthEnd(0)).date().isoformat()
    after = (pd.Timestamp(last) + pd.offsets.MonthBegin(1)).date().isoformat()
    done = cx("tiers", "--until", after, "--format", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert f"No customer changed tier between {month_end} and {after}." in view["lines"]
    assert view["covering"] == (
        f"customers with a completed order by {after}; moves since {month_end}"
    )


def test_an_unknown_segment_lists_the_segments_there_are(project):
    known = [row[0] for row in sql(project, "SELECT DISTINCT segment FROM customers ORDER BY 1")]
    done = cx("tiers", "--segment", "nope", cwd=project)
    assert done.returncode == 1
    message = " ".join(done.stderr.split())
    assert f"no customer is in segment 'nope'; the segments are: {', '.join(known)}" in message
