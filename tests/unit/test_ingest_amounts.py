"""Amounts keep their currency, decimal commas are read by column, counts are never negative.

Each test writes a tiny CSV, imports it and compares the stored values with ones
worked out by hand.
"""

from __future__ import annotations

import pytest

from cxlens.errors import RowsRejected
from cxlens.ingest import import_file


def import_orders(tmp_path, warehouse, amounts, currencies=None, options=None):
    """Orders whose amount cells are ``amounts`` (and currency cells, when given)."""
    header = "order_id,customer_id,ordered_at,amount" + (",currency" if currencies else "")
    lines = [header]
    for i, amount in enumerate(amounts, 1):
        line = f'o{i},c{i},2024-01-01,"{amount}"'
        lines.append(line + (f",{currencies[i - 1]}" if currencies else ""))
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_file(warehouse, path, table="orders", options=options)
    with warehouse.connect() as con:
        return con.execute("SELECT amount, currency FROM raw_orders ORDER BY _row").fetchall()


# -- currency signs -------------------------------------------------------------------


def test_currency_is_filled_per_row_from_the_amounts_sign(tmp_path, warehouse):
    cells = ["$1,234.50", "1.234,50 €", "¥99", "￥1,000", "RMB 88", "£3", "USD -2", "hk$10", "7"]
    assert import_orders(tmp_path, warehouse, cells) == [
        (1234.5, "USD"),
        (1234.5, "EUR"),
        (99.0, "CNY"),  # ¥ alone is read as the yuan, not the yen
        (1000.0, "CNY"),
        (88.0, "CNY"),
        (3.0, "GBP"),
        (-2.0, "USD"),
        (10.0, "HKD"),
        (7.0, None),  # no sign: the project's currency is applied when cleaning
    ]


def test_a_currency_column_that_agrees_with_the_sign_is_kept(tmp_path, warehouse):
    got = import_orders(tmp_path, warehouse, ["$5", "€6", "7", "£8"], ["USD", "eur", "EUR", ""])
    assert got == [(5.0, "USD"), (6.0, "eur"), (7.0, "EUR"), (8.0, "GBP")]


def test_a_currency_column_that_contradicts_the_sign_is_a_row_error(tmp_path, warehouse):
    with pytest.raises(RowsRejected) as caught:
        import_orders(tmp_path, warehouse, ["$5", "€6", "¥7"], ["USD", "USD", "CNY"])
    [error] = caught.value.errors
    assert (error.row, error.canonical, error.value) == (3, "amount", "€6")
    assert "USD" in error.expected and "EUR" in error.expected


def test_negative_amounts_are_refunds_and_allowed(tmp_path, warehouse):
    assert import_orders(tmp_path, warehouse, ["-5", "(4.25)"]) == [(-5.0, None), (-4.25, None)]


# -- decimal comma by column ------------------------------------------------------------


def test_a_column_showing_decimal_commas_reads_every_value_that_way(tmp_path, warehouse):
    # "12,5" can only be twelve and a half; so "1.234" in the same column is 1234
    # and "0,125" one eighth (by hand).
    got = import_orders(tmp_path, warehouse, ["1.234", "12,5", "1.234.567,8", "0,125", "7"])
    assert [a for a, _ in got] == [1234.0, 12.5, 1234567.8, 0.125, 7.0]


def test_a_column_showing_decimal_points_keeps_the_existing_rule(tmp_path, warehouse):
    # "12.5" shows decimal points: "1,234" is a thousands group, "1.234" a decimal.
    got = import_orders(tmp_path, warehouse, ["1,234", "12.5", "1.234"])
    assert [a for a, _ in got] == [1234.0, 12.5, 1.234]


def test_a_column_without_evidence_keeps_the_existing_rule(tmp_path, warehouse):
    got = import_orders(tmp_path, warehouse, ["1,234", "1.234"])
    assert [a for a, _ in got] == [1234.0, 1.234]


def test_a_column_with_both_marks_reads_each_value_by_its_own_shape(tmp_path, warehouse):
    got = import_orders(tmp_path, warehouse, ["1,234", "1.234", "1.234,50", "1,234.50"])
    assert [a for a, _ in got] == [1234.0, 1.234, 1234.5, 1234.5]


def test_decimal_comma_option_settles_an_undecided_column(tmp_path, warehouse):
    got = import_orders(tmp_path, warehouse, ["1,234", "1.234"], options={"decimal_comma": True})
    assert [a for a, _ in got] == [1.234, 1234.0]


# -- counts and durations ---------------------------------------------------------------


def test_negative_counts_and_durations_are_row_errors(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text(
        "ticket_id,created_at,reopens,agent_replies,customer_contacts,"
        "first_response_minutes,resolution_minutes\n"
        "1,2024-01-01,-1,0,0,5,10\n"
        "2,2024-01-01,0,-2,0,5,10\n"
        "3,2024-01-01,0,0,-3,5,10\n"
        "4,2024-01-01,0,0,0,-4,10\n"
        "5,2024-01-01,0,0,0,5,-5\n"
        "6,2024-01-01,0,0,0,0,0\n"
    )
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table="tickets")
    assert [(e.row, e.canonical, e.value) for e in caught.value.errors] == [
        (2, "reopens", "-1"),
        (3, "agent_replies", "-2"),
        (4, "customer_contacts", "-3"),
        (5, "first_response_minutes", "-4"),
        (6, "resolution_minutes", "-5"),
    ]


def test_line_numbers_must_not_be_negative_but_quantities_may(tmp_path, warehouse):
    path = tmp_path / "lines.csv"
    path.write_text("order_id,line_no,quantity\no1,1,-1\no1,-2,3\n")
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table="order_lines")
    assert [(e.row, e.canonical) for e in caught.value.errors] == [(3, "line_no")]
