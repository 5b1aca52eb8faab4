"""Loyalty tiers on a ten-customer table scored by hand (issue 6, part 4).

As of 2025-03-31 (n = 10) a quintile score is 1 + floor(5 (k - 1) / 10) for rank k, worst
first: ranks 1-2 → 1, 3-4 → 2, 5-6 → 3, 7-8 → 4, 9-10 → 5; tied values share their lowest
rank. On the previous month's end, 2025-02-28, seven customers had bought (n = 7): ranks
1-2 → 1, 3 → 2, 4-5 → 3, 6 → 4, 7 → 5. By default R and M are quintiles and F takes the
fixed edges 1, 2, 3, 4-5, 6+ purchase days → 1..5.

Customer  completed orders (local day, amount)          as of 03-31: R days, F days, M
A         01-10 200; 03-30 100 + 50 (one day)            1, 2, 350
B         03-31 80                                       0, 1, 80
C         24-12-15, 01-15, 02-15 at 300                  44, 3, 900
D         24-11-01, 24-12-01 at 500                      120, 2, 1000
E         24-06-30 40                                    274, 1, 40
F         03-01 60 (and a refunded 999 on 03-20)         30, 1, 60
G         24-07-01, 08-01, 09-01, 10-01 at 200           181, 4, 800
H         03-15 20 (and a cancelled order on 03-25)      16, 1, 20
I         02-28 150                                      31, 1, 150
J         01-31, 02-28, 03-31 at 100                     0, 3, 300
K         a cancelled order only                         (not a customer)
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from cxlens.actions.tiers import (
    NOT_YET,
    LoyaltyTiers,
    check_settings,
    customer_rfm,
    edge_scores,
    loyalty_tiers,
    movement_matrix,
    quintile_scores,
)
from cxlens.errors import WarehouseError
from cxlens.insights.actions import Scope
from cxlens.insights.tiers import WORDS, build_view, campaign_lists, tiers_view
from cxlens.settings import Settings

ORDERS = [
    ("A", "2025-01-10", 200, "completed"),
    ("A", "2025-03-30", 100, "completed"),
    ("A", "2025-03-30", 50, "completed"),
    ("B", "2025-03-31", 80, "completed"),
    ("C", "2024-12-15", 300, "completed"),
    ("C", "2025-01-15", 300, "completed"),
    ("C", "2025-02-15", 300, "completed"),
    ("D", "2024-11-01", 500, "completed"),
    ("D", "2024-12-01", 500, "completed"),
    ("E", "2024-06-30", 40, "completed"),
    ("F", "2025-03-01", 60, "completed"),
    ("F", "2025-03-20", 999, "refunded"),
    ("G", "2024-07-01", 200, "completed"),
    ("G", "2024-08-01", 200, "completed"),
    ("G", "2024-09-01", 200, "completed"),
    ("G", "2024-10-01", 200, "completed"),
    ("H", "2025-03-15", 20, "completed"),
    ("H", "2025-03-25", 500, "cancelled"),
    ("I", "2025-02-28", 150, "completed"),
    ("J", "2025-01-31", 100, "completed"),
    ("J", "2025-02-28", 100, "completed"),
    ("J", "2025-03-31", 100, "completed"),
    ("K", "2025-03-10", 700, "cancelled"),
]
SEGMENTS = {"A": "vip", "B": "vip", "C": "basic", "D": "vip", "E": "basic", "F": "basic",
            "G": "vip", "H": "basic", "I": "basic", "J": "vip", "K": "vip"}  # fmt: skip

# scored by hand (module docstring)
R_NOW = dict(A=4, B=5, C=2, D=2, E=1, F=3, G=1, H=4, I=3, J=5)
M_NOW = dict(A=4, B=2, C=5, D=5, E=1, F=2, G=4, H=1, I=3, J=3)
# default F, fixed edges on purchase days 2, 1, 3, 2, 1, 1, 4, 1, 1, 3
F_NOW = dict(A=2, B=1, C=3, D=2, E=1, F=1, G=4, H=1, I=1, J=3)
TIERS_NOW = dict(A="potential loyalists", B="new", C="at risk", D="hibernating", E="lost",
                 F="hibernating", G="cannot lose", H="potential loyalists", I="hibernating",
                 J="loyal")  # fmt: skip
# 2025-02-28: A r3 f1 m2; C r3 f3 m4; D r2 f2 m5; E r1 f1 m1; G r1 f4 m3; I r4 f1 m1; J r4 f2 m2
TIERS_BEFORE = dict(A="hibernating", C="loyal", D="hibernating", E="lost", G="at risk",
                    I="potential loyalists", J="potential loyalists")  # fmt: skip

# frequency = "quintiles": F by rank among 10 (five one-day buyers tie at rank 1 → 1)
F_BY_QUINTILES = dict(A=3, B=1, C=4, D=3, E=1, F=1, G=5, H=1, I=1, J=4)
TIERS_BY_QUINTILES = dict(A="loyal", B="new", C="cannot lose", D="at risk", E="lost",
                          F="hibernating", G="cannot lose", H="potential loyalists",
                          I="hibernating", J="champions")  # fmt: skip
# 2025-02-28: as above but f: A 1, C 4, D 3, E 1, G 5, I 1, J 3
BEFORE_BY_QUINTILES = dict(A="hibernating", C="loyal", D="at risk", E="lost", G="at risk",
                           I="potential loyalists", J="loyal")  # fmt: skip


@pytest.fixture
def shop(warehouse):
    rows = pd.DataFrame(ORDERS, columns=["customer_id", "day", "amount", "status"])
    rows["ordered_at_local"] = pd.to_datetime(rows["day"]) + pd.Timedelta(hours=12)
    rows["ordered_at"] = rows["ordered_at_local"]
    people = pd.DataFrame({"customer_id": list(SEGMENTS), "segment": list(SEGMENTS.values())})
    people["name"] = people["customer_id"].map(lambda c: f"Customer {c}")
    people.loc[people["customer_id"] == "C", "name"] = "=HYPERLINK(1)"
    with warehouse.connect() as con:
        con.register("rows", rows.drop(columns="day"))
        con.register("people", people)
        con.execute("CREATE TABLE orders AS SELECT * FROM rows")
        con.execute("CREATE TABLE customers AS SELECT * FROM people")
    return warehouse


def plain(output: str) -> str:
    """A CLI message without the box rich draws around it, on one line."""
    return " ".join(output.replace("│", " ").split())


def tiers_of(shop, until="2025-03-31", settings=None, segments=None):
    with shop.connect(read_only=True) as con:
        return loyalty_tiers(con, settings or Settings(), until=until, segments=segments)


def test_rfm_values_count_completed_orders_only_and_days_not_orders(shop):
    with shop.connect(read_only=True) as con:
        rfm = customer_rfm(con, date(2025, 3, 31)).set_index("customer_id")
    assert sorted(rfm.index) == list("ABCDEFGHIJ")
    assert rfm.loc["A", ["recency_days", "purchase_days", "orders", "spend"]].tolist() == [
        1, 2, 3, 350.0]  # fmt: skip
    assert rfm.loc["C", "recency_days"] == 44  # Feb 15 → Mar 31
    assert rfm.loc["D", "recency_days"] == 120  # Dec 1 → Mar 31: 30 + 31 + 28 + 31
    assert rfm.loc["F", "spend"] == 60.0  # the refund is left out
    assert rfm.loc["H", "orders"] == 1  # the cancelled order is left out
    assert rfm.loc["J", "last_order"] == date(2025, 3, 31)


def test_default_scores_and_tiers_match_the_hand_table(shop):
    tiers = tiers_of(shop)
    customers = tiers.customers.set_index("customer_id")
    assert customers["r"].to_dict() == R_NOW  # B and J tie on 0 days: both rank 9 → 5
    assert customers["f"].to_dict() == F_NOW
    assert customers["m"].to_dict() == M_NOW
    assert customers["tier"].to_dict() == TIERS_NOW
    assert customers["previous_tier"].dropna().to_dict() == TIERS_BEFORE
    assert customers.loc[["B", "F", "H"], "previous_tier"].isna().all()
    assert (tiers.as_of, tiers.previous_end) == (date(2025, 3, 31), date(2025, 2, 28))
    assert tiers.scoring == {"recency_days": "quintiles", "frequency": [2.0, 3.0, 4.0, 6.0],
                             "monetary": "quintiles"}  # fmt: skip


def test_default_frequency_edges_score_purchase_days():
    # 1, 2, 3, 4-5, 6+ purchase days → 1..5
    days = pd.Series([1, 2, 3, 4, 5, 6, 50])
    assert edge_scores(days, check_settings({})["frequency"]).tolist() == [1, 2, 3, 4, 4, 5, 5]


def test_frequency_by_quintiles_on_request(shop):
    settings = Settings(tiers=check_settings({"frequency": "quintiles"}))
    customers = tiers_of(shop, settings=settings).customers.set_index("customer_id")
    assert customers["f"].to_dict() == F_BY_QUINTILES
    assert customers["r"].to_dict() == R_NOW
    assert customers["tier"].to_dict() == TIERS_BY_QUINTILES
    assert customers["previous_tier"].dropna().to_dict() == BEFORE_BY_QUINTILES
    view = build_view(tiers_of(shop, settings=settings), "en", "CNY")
    # F takes 1, 3, 4, 5 only: 5 of 10 customers bought on one day
    assert "Frequency takes only the scores 1, 3, 4, 5 here: 50.0% of customers" in view.method


def test_quintile_scores_of_a_plain_ranking_and_of_ties():
    # ten distinct values: two per quintile; lower-is-better turns the order around
    values = pd.Series([5, 1, 9, 3, 7, 2, 8, 4, 10, 6])
    assert quintile_scores(values).tolist() == [3, 1, 5, 2, 4, 1, 4, 2, 5, 3]
    assert quintile_scores(values, higher_is_better=False).tolist() == [3, 5, 1, 4, 2, 5, 2, 4,
                                                                        1, 3]  # fmt: skip
    # four tied at the top share rank 3 of 6: 1 + floor(5 * 2 / 6) = 2
    assert quintile_scores(pd.Series([1, 2, 9, 9, 9, 9])).tolist() == [1, 1, 2, 2, 2, 2]


def test_fixed_edges_replace_the_quintiles(shop):
    config = {"recency_days": [30, 90, 180, 365], "frequency": [2, 3, 5, 8],
              "monetary": [100, 300, 600, 1000]}  # fmt: skip
    tiers = tiers_of(shop, settings=Settings(tiers=check_settings(config)))
    customers = tiers.customers.set_index("customer_id")
    # 30 days is still a 5, 31 a 4; 181 days a 2; 1000 spent starts score 5
    assert customers["r"].to_dict() == dict(A=5, B=5, C=4, D=3, E=2, F=5, G=2, H=5, I=4, J=5)
    assert customers["f"].to_dict() == dict(A=2, B=1, C=3, D=2, E=1, F=1, G=3, H=1, I=1, J=3)
    assert customers["m"].to_dict() == dict(A=3, B=1, C=4, D=5, E=1, F=1, G=4, H=1, I=2, J=3)
    assert edge_scores(pd.Series([0, 365, 366]), [30, 90, 180, 365], False).tolist() == [5, 2, 1]


def test_custom_segments_first_match_wins_and_the_rest_are_others(shop):
    rules = [{"name": "vip", "name_zh": "贵宾", "r": [1, 5], "f": [1, 5], "m": [4, 5]},
             {"name": "recent", "r": [4, 5], "f": [1, 5]}]  # fmt: skip
    settings = Settings(tiers=check_settings({"segments": rules}))
    tiers = tiers_of(shop, settings=settings)
    customers = tiers.customers.set_index("customer_id")
    # A (r 4, m 4) meets both rules: the first wins
    assert customers["tier"].to_dict() == dict(A="vip", B="recent", C="vip", D="vip",
                                               E="others", F="others", G="vip", H="recent",
                                               I="others", J="recent")  # fmt: skip
    assert settings.tiers["call"] == []
    # without ranks the list's order is the order of worth; "others" is worth least
    assert [(s["name"], s["rank"]) for s in tiers.segments] == [("vip", 1), ("recent", 2),
                                                                ("others", 3)]  # fmt: skip


def test_movement_matrix_counts_each_customer_once(shop):
    matrix = tiers_of(shop).movements
    expected = pd.crosstab(
        pd.Series({c: TIERS_BEFORE.get(c, NOT_YET) for c in TIERS_NOW}, name="previous"),
        pd.Series(TIERS_NOW, name="current"),
    )
    nonzero = matrix.stack()[lambda s: s > 0].sort_index()
    assert nonzero.to_dict() == expected.stack()[lambda s: s > 0].sort_index().to_dict()
    assert matrix.loc[NOT_YET].sum() == 3  # B, F and H bought first in March
    assert matrix.loc["potential loyalists", "loyal"] == 1  # J
    assert matrix.loc["at risk", "cannot lose"] == 1  # G
    assert matrix.to_numpy().sum() == 10
    assert list(matrix.index)[0] == NOT_YET
    assert "others" not in matrix.columns  # nobody falls to the fallback


def test_summary_shares_and_spend(shop):
    summary = tiers_of(shop).summary.set_index("tier")
    assert summary.loc["hibernating", "customers"] == 3  # D, F and I
    assert summary.loc["hibernating", "spend"] == 1210.0  # 1000 + 60 + 150
    assert summary.loc["hibernating", "spend_share"] == pytest.approx(1210 / 3700)
    assert summary.loc["hibernating", "recency_days"] == pytest.approx((120 + 30 + 31) / 3)
    assert summary.loc["champions", "customers"] == 0  # every rule's tier is listed
    assert summary["customers"].sum() == 10
    assert summary["share"].sum() == pytest.approx(1.0)


def test_segment_filter_scores_among_the_segment_only(shop):
    customers = tiers_of(shop, segments=["vip"]).customers.set_index("customer_id")
    # A B D G J (n = 5: one rank per score); recency days 1, 0, 120, 181, 0
    assert sorted(customers.index) == list("ABDGJ")
    assert customers["r"].to_dict() == dict(A=3, B=4, D=2, G=1, J=4)


def test_default_as_of_is_the_last_order_day_of_any_status(shop):
    with shop.connect() as con:
        con.execute(
            "INSERT INTO orders VALUES ('K', 30.0, 'cancelled', "
            "TIMESTAMP '2025-04-02 12:00', TIMESTAMP '2025-04-02 12:00')"
        )
    tiers = tiers_of(shop, until=None)
    assert (tiers.as_of, tiers.previous_end) == (date(2025, 4, 2), date(2025, 3, 31))
    assert tiers.customers.set_index("customer_id").loc["B", "recency_days"] == 2


def test_no_customer_yet_is_a_warehouse_error(shop):
    with pytest.raises(WarehouseError, match="no customer has a completed order by 2024-01-01"):
        tiers_of(shop, until="2024-01-01")


def test_every_word_is_in_both_languages():
    assert set(WORDS["en"]) == set(WORDS["zh"])
    assert all(WORDS["zh"][key] for key in WORDS["zh"])


def test_view_lines_and_tables_carry_the_hand_numbers(shop):
    view = tiers_view(shop, Settings(currency="CNY"), "en", Scope(window=(None, date(2025, 3, 31))))
    assert view.missing is None
    call = next(line for line in view.lines if line.startswith("Call"))
    # cannot lose (G 800) and at risk (C 900): 1,700 of 3,700 = 45.9%
    assert "2 customers" in call and "1,700.00 CNY" in call and "45.9%" in call
    # moves (rank of worth: loyal 2, cannot lose 3, potential loyalists 4, at risk 5,
    # hibernating 6): slips C loyal → at risk (900), I potential loyalists → hibernating
    # (150); moves up G at risk → cannot lose (800), A hibernating → potential loyalists
    # (350), J potential loyalists → loyal (300): the one told is G's, the most spend
    moves = [line for line in view.lines if " from “" in line]
    assert moves == [
        "1 customer slipped from “loyal” to “at risk” between 2025-02-28 and 2025-03-31; "
        "they have spent 900.00 CNY to date.",
        "1 customer slipped from “potential loyalists” to “hibernating” between 2025-02-28 "
        "and 2025-03-31; they have spent 150.00 CNY to date.",
        "1 customer moved up from “at risk” to “cannot lose” between 2025-02-28 and "
        "2025-03-31; they have spent 800.00 CNY to date.",
    ]
    first = next(line for line in view.lines if "first completed order" in line)
    assert first.startswith("3 customers")
    assert view.covering == "customers with a completed order by 2025-03-31; moves since 2025-02-28"
    keys = [table.key for table in view.tables]
    assert keys == ["tiers_summary", "tiers_movements", "tiers_call"]
    called = view.tables[2].frame
    assert called["Customer"].tolist() == ["C", "G"]  # by spend
    assert len(view.figures) == 2


def test_view_in_chinese_names_tiers_in_chinese(shop):
    scope = Scope(window=(None, date(2025, 3, 31)), filters={"channel": ["email"]})
    view = tiers_view(shop, Settings(), "zh", scope)
    summary = view.tables[0].frame
    assert list(summary.columns[:3]) == ["层级", "客户数", "客户占比"]
    assert "冠军客户" in summary["层级"].tolist()
    assert "channel" in view.method  # a ticket filter that orders cannot honour is named


def test_campaign_lists_one_per_tier_by_spend(shop):
    lists = campaign_lists(tiers_of(shop), "zh")
    every = lists["tiers.csv"]
    assert every["spend"].tolist() == sorted(every["spend"], reverse=True)
    assert every.set_index("customer_id").loc["J", "tier"] == "忠诚客户"
    per_tier = {name: len(frame) for name, frame in lists.items() if name != "tiers.csv"}
    assert per_tier["tier_hibernating.csv"] == 3
    assert per_tier["tier_champions.csv"] == 0
    assert sum(per_tier.values()) == 10
    assert "tier_others.csv" not in per_tier
    assert {"email", "phone"}.isdisjoint(every.columns)  # the warehouse has neither
    assert np.array_equal(every.columns[:2], ["customer_id", "name"])


def test_build_view_without_moves_or_callers(shop):
    tiers = tiers_of(shop, until="2025-01-31")
    tiers.call = []
    view = build_view(tiers, "en", "CNY")
    assert [t.key for t in view.tables] == ["tiers_summary", "tiers_movements"]
    assert not any(line.startswith("Call") for line in view.lines)


def test_cli_writes_excel_safe_lists_and_prints_one_tier(shop, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cxlens.cli import app

    monkeypatch.chdir(tmp_path)
    db = str(shop.path)
    done = CliRunner().invoke(app, ["tiers", "--db", db, "--until", "2025-03-31", "--out", "lists"])
    assert done.exit_code == 0, done.output
    raw = (tmp_path / "lists" / "tier_hibernating.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese text
    written = pd.read_csv(tmp_path / "lists" / "tier_hibernating.csv", encoding="utf-8-sig")
    assert written["customer_id"].tolist() == ["D", "I", "F"]  # 1000, 150, 60
    every = pd.read_csv(tmp_path / "lists" / "tiers.csv", encoding="utf-8-sig")
    assert every.set_index("customer_id").loc["C", "name"] == "'=HYPERLINK(1)"

    one = CliRunner().invoke(
        app, ["tiers", "--db", db, "--until", "2025-03-31", "--tier", "流失风险客户", "-f", "csv"]
    )
    assert one.exit_code == 0, one.output
    assert one.stdout.splitlines()[1].startswith("C,'=HYPERLINK(1),")
    assert len(one.stdout.splitlines()) == 2


def test_cli_refuses_an_unknown_tier_and_csv_without_a_tier(shop, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cxlens.cli import app

    monkeypatch.chdir(tmp_path)
    db = str(shop.path)
    unknown = CliRunner().invoke(app, ["tiers", "--db", db, "--tier", "gold"])
    assert unknown.exit_code == 2
    assert "'gold' is not a tier; use one of champions (冠军客户)" in plain(unknown.output)
    csv = CliRunner().invoke(app, ["tiers", "--db", db, "--format", "csv"])
    assert csv.exit_code == 2
    assert "csv prints one tier's list; add --tier NAME" in plain(csv.output)


def test_move_lines_lead_with_the_spend_at_stake_and_follow_the_ranks():
    rules = [{"name": "gold", "r": [5, 5], "f": [1, 5], "rank": 1},
             {"name": "silver", "r": [4, 4], "f": [1, 5], "rank": 2},
             {"name": "bronze", "r": [3, 3], "f": [1, 5], "rank": 2},
             {"name": "gone", "r": [1, 2], "f": [1, 5], "rank": 3}]  # fmt: skip
    segments = check_settings({"segments": rules})["segments"]
    # (tier then, tier now, customers, spend each): the slip of one gold customer costs
    # 5,000 and leads the slip of four silver ones (400); the move up of two (600) beats
    # that of three (150); silver → bronze is a move between equal ranks
    groups = [("gold", "gone", 1, 5000.0), ("silver", "gone", 4, 100.0),
              ("gone", "silver", 2, 300.0), ("gone", "gold", 3, 50.0),
              ("silver", "bronze", 2, 1000.0), ("bronze", "silver", 1, 10.0),
              ("gold", "gold", 1, 2000.0)]  # fmt: skip
    rows = [(before, now, spend) for before, now, n, spend in groups for _ in range(n)]
    customers = pd.DataFrame(rows, columns=["previous_tier", "tier", "spend"])
    customers = customers.assign(
        customer_id=[f"C{i:02d}" for i in range(len(customers))],
        name=pd.NA, email=pd.NA, phone=pd.NA, r=3, f=1, m=3, recency_days=10,
        purchase_days=1, orders=1, last_order=date(2025, 3, 1),
    )  # fmt: skip
    order = [s["name"] for s in segments] + ["others"]
    tiers = LoyaltyTiers(
        as_of=date(2025, 3, 31),
        previous_end=date(2025, 2, 28),
        customers=customers,
        movements=movement_matrix(customers["previous_tier"], customers["tier"], order),
        segments=[*segments, {"name": "others", "name_zh": "其他", "rank": 4}],
        scoring=dict.fromkeys(("recency_days", "frequency", "monetary"), "quintiles"),
    )
    lines = build_view(tiers, "en", "EUR").lines
    moves = [line.split(" between ")[0] for line in lines if " from “" in line]
    assert moves == [
        "1 customer slipped from “gold” to “gone”",
        "4 customers slipped from “silver” to “gone”",
        "2 customers moved up from “gone” to “silver”",
        "2 customers moved from “silver” to “bronze”",
    ]
    assert "spent 5,000.00 EUR" in next(line for line in lines if "“gold” to “gone”" in line)
    zh = build_view(tiers, "zh", "EUR").lines
    assert any("有2位silver转为bronze" in line for line in zh)


def test_tiers_without_ranks_are_worth_their_list_order():
    rules = [{"name": "a", "r": [4, 5], "f": [1, 5]}, {"name": "b", "r": [1, 3], "f": [1, 5]}]
    assert [s["rank"] for s in check_settings({"segments": rules})["segments"]] == [1, 2]


def test_a_day_without_moves_says_so_instead_of_failing(shop):
    # 2025-04-01 has no order: every recency grows by one day, so the quintile ranks, the
    # frequency edges and the spend ranks stay as on 2025-03-31 and nobody changes tier
    tiers = tiers_of(shop, until="2025-04-01")
    assert tiers.previous_end == date(2025, 3, 31)
    assert (tiers.customers["previous_tier"] == tiers.customers["tier"]).all()
    en = build_view(tiers, "en", "CNY")
    assert "No customer changed tier between 2025-03-31 and 2025-04-01." in en.lines
    assert not any(" from “" in line for line in en.lines)
    zh = build_view(tiers, "zh", "CNY")
    assert "2025-03-31至2025-04-01，没有客户变换层级。" in zh.lines
    assert zh.covering == "截至2025-04-01有已完成订单的客户；层级变化自2025-03-31起"


def test_an_empty_tier_to_call_is_a_line_not_an_empty_table(shop):
    tiers = tiers_of(shop)
    tiers.call = ["champions"]  # nobody is a champion on 2025-03-31 (hand table above)
    view = build_view(tiers, "en", "CNY")
    assert "No customer is in “champions” on 2025-03-31: nobody to call back." in view.lines
    assert "tiers_call" not in [t.key for t in view.tables]
    assert all(not t.frame.empty for t in view.tables)


def test_one_customer_is_counted_in_the_singular(shop):
    tiers = tiers_of(shop)
    tiers.call = ["new"]  # B alone: 80 of 3,700 spent, last order 0 days before
    call = next(line for line in build_view(tiers, "en", "CNY").lines if line.startswith("Call"))
    assert "the 1 customer of these tiers spent 80.00 CNY (2.2% of all spend)" in call
    assert call.endswith("; they are listed below.")


def test_an_unknown_segment_is_named_with_the_segments_there_are(shop):
    with pytest.raises(WarehouseError) as refused:
        tiers_of(shop, segments=["nope", "vip"])
    assert str(refused.value) == ("no customer is in segment 'nope'; the segments are: basic, vip")
