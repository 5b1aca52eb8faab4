"""Rejected values are echoed as the file wrote them; the missing-column message offers
only near headers, keeps the path as given, and names a likely encoding for garbled headers."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.errors import ColumnsError, RowsRejected
from cxlens.ingest import import_file


def rejected_lines(warehouse, path, table):
    with pytest.raises(RowsRejected) as caught:
        import_file(warehouse, path, table=table)
    return str(caught.value).splitlines()


SURVEYS = pd.DataFrame(
    {"response_id": ["r1"], "kind": ["csat"], "score": [6.0], "responded_at": ["2024-01-01"]}
)
OFF_SCALE = "'6' — expected a score from 1 to 5 (the csat scale)"


def test_csv_values_of_every_type_are_echoed_as_written(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text(
        "ticket_id,created_at,first_response_minutes,reopens,answered\n"
        "1,2024-13-45,-05,1.50,maybe\n"
    )
    lines = rejected_lines(warehouse, path, "tickets")
    where = f"  {path}, row 2, column"
    assert f"{where} 'created_at': '2024-13-45'" in "\n".join(lines)
    assert f"{where} 'first_response_minutes': '-05' — expected a count" in "\n".join(lines)
    assert f"{where} 'reopens': '1.50' — expected a whole number" in lines
    assert (
        f"{where} 'answered': 'maybe' — expected yes/no (yes, no, y, n, true, false, 1, 0, 是, 否)"
        in lines
    )


def test_csv_score_6_is_echoed_as_6(tmp_path, warehouse):
    path = tmp_path / "s.csv"
    SURVEYS.assign(score=["6"]).to_csv(path, index=False)
    assert f"  {path}, row 2, column 'score': {OFF_SCALE}" in rejected_lines(
        warehouse, path, "survey_responses"
    )


def test_workbook_whole_number_cell_is_echoed_without_point(tmp_path, warehouse):
    path = tmp_path / "s.xlsx"
    SURVEYS.to_excel(path, index=False)
    assert f"  {path}, row 2, column 'score': {OFF_SCALE}" in rejected_lines(
        warehouse, path, "survey_responses"
    )


def test_parquet_whole_valued_double_is_echoed_like_a_cell(tmp_path, warehouse):
    path = tmp_path / "s.parquet"
    SURVEYS.assign(score=[6.0]).to_parquet(path)
    assert f"  {path}, row 1, column 'score': {OFF_SCALE}" in rejected_lines(
        warehouse, path, "survey_responses"
    )


def test_json_integer_is_echoed_as_written(tmp_path, warehouse):
    path = tmp_path / "s.json"
    path.write_text(
        '[{"response_id": "r1", "kind": "csat", "score": 6, "responded_at": "2024-01-01"}]'
    )
    assert f"  {path}, row 1, column 'score': {OFF_SCALE}" in rejected_lines(
        warehouse, path, "survey_responses"
    )


def test_missing_column_offers_no_loose_header_and_keeps_the_given_path(
    tmp_path, warehouse, monkeypatch
):
    (tmp_path / "zz").mkdir()
    (tmp_path / "zz" / "z_nocreated.csv").write_text("Ticket,Solved at\n1,2024-01-01\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ColumnsError) as caught:
        import_file(warehouse, "zz/z_nocreated.csv", table="tickets")
    lines = str(caught.value).splitlines()
    assert '  path = "zz/z_nocreated.csv"' in lines
    # 'ticket' is a near match for ticket_id (ratio 0.8); 'solved_at' is not for created_at
    assert '  columns = { ticket_id = "Ticket", created_at = "<your header>" }' in lines


def test_missing_column_offers_a_near_header(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,Create at\n1,2024-01-01\n")
    with pytest.raises(ColumnsError) as caught:
        import_file(warehouse, path, table="tickets")
    assert '  columns = { created_at = "Create at" }' in str(caught.value).splitlines()


def test_big5_headers_read_as_gb18030_name_the_encoding(tmp_path, warehouse):
    path = tmp_path / "b5.csv"
    path.write_bytes("工單編號,建立時間\n1,2024-01-01\n".encode("big5"))
    with pytest.raises(ColumnsError) as caught:
        import_file(warehouse, path, table="tickets")
    assert str(caught.value).splitlines()[-1] == (
        "The headers look garbled: the file may not be in gb18030, the encoding cxlens read "
        'it with. Name its encoding in its [[sources]] entry: encoding = "big5".'
    )


def test_plain_chinese_headers_get_no_encoding_hint(tmp_path, warehouse):
    path = tmp_path / "zh.csv"
    path.write_text("工单编号,标题\n1,x\n", encoding="utf-8")
    with pytest.raises(ColumnsError) as caught:
        import_file(warehouse, path, table="tickets")
    assert "garbled" not in str(caught.value)
